//! `plaintext-secret`: a credential written as a literal env value instead of a secret ref.

use std::sync::{LazyLock, OnceLock};

use regex::Regex;

use super::{at_step, FileContext, Rule, RuleMeta};
use crate::analysis::ascii_regex;
use crate::finding::{Finding, Severity};
use crate::model::{is_templated, ContainerRole, EnvVar, Format, Pipeline, Step};

/// An env var whose literal value is a credential.
pub struct PlaintextSecret;

static META: RuleMeta = RuleMeta {
    id: "plaintext-secret",
    summary: "an env var holds a credential as a literal value in the pipeline file instead of reading it from a Kubernetes Secret",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/plaintext-secret.md"),
    options: &[],
};

/// Credentials recognisable by their shape, whatever the variable is called. The prefix
/// shown in messages is the format's public marker, never part of the secret.
struct Shape {
    what: &'static str,
    pattern: &'static str,
    /// Characters of the match that may be shown (`AKIA`, `ghp_`).
    show: usize,
    /// Text every match holds one of: the pattern is compiled (a few hundred thousand
    /// instructions each) only for a value that holds one, which few ever do.
    needles: &'static [&'static str],
}

const SHAPES: &[Shape] = &[
    Shape {
        what: "an AWS access key id",
        pattern: r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        show: 4,
        needles: &["AKIA", "ASIA"],
    },
    Shape {
        what: "a GitHub token",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})",
        show: 4,
        needles: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    },
    Shape {
        what: "a GitLab token",
        pattern: r"\bglpat-[A-Za-z0-9_-]{20,}",
        show: 6,
        needles: &["glpat-"],
    },
    Shape {
        what: "a Slack token",
        pattern: r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
        show: 5,
        needles: &["xox"],
    },
    Shape {
        what: "a Slack webhook URL",
        pattern: r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{8,}",
        show: 0,
        needles: &["https://hooks.slack.com/services/T"],
    },
    Shape {
        what: "a private key",
        pattern: r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----",
        show: 0,
        needles: &["-----BEGIN "],
    },
    Shape {
        what: "a Hugging Face token",
        pattern: r"\bhf_[A-Za-z0-9]{30,}",
        show: 3,
        needles: &["hf_"],
    },
    Shape {
        what: "an OpenAI API key",
        pattern: r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}",
        show: 3,
        needles: &["sk-"],
    },
    Shape {
        what: "a Stripe live key",
        pattern: r"\b[rs]k_live_[A-Za-z0-9]{20,}",
        show: 8,
        needles: &["k_live_"],
    },
    Shape {
        what: "a Google API key",
        pattern: r"\bAIza[0-9A-Za-z_-]{35}",
        show: 4,
        needles: &["AIza"],
    },
];

/// Each shape's pattern, compiled the first time a value holds one of its needles.
static COMPILED: [OnceLock<Regex>; SHAPES.len()] = [const { OnceLock::new() }; SHAPES.len()];

fn compiled(at: usize) -> &'static Regex {
    COMPILED[at].get_or_init(|| {
        ascii_regex(SHAPES[at].pattern).expect("the built-in secret patterns compile")
    })
}

/// `scheme://user:password@host`, the password neither templated nor an env reference.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@[^\s/]").expect("compiles")
});

/// The words of a variable name as pieces of it: `dbPassword`, `DB_PASSWORD`, `db-password`
/// all give `db`/`DB` and `Password`/`PASSWORD` (compared without regard to case). Every
/// character of a word is ASCII, so each is a slice of the name: no word is copied.
fn each_word<'a>(name: &'a str, mut word: impl FnMut(&'a str)) {
    let mut start = None::<usize>;
    let mut prev_lower = false;
    for (at, ch) in name.char_indices() {
        if !ch.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                word(&name[s..at]);
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower {
            if let Some(s) = start.replace(at) {
                word(&name[s..at]);
            }
        }
        start.get_or_insert(at);
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
    }
    if let Some(s) = start {
        word(&name[s..]);
    }
}

/// The words of a variable name, upper-cased: `dbPassword`, `DB_PASSWORD`, `db-password`
/// all give `[DB, PASSWORD]`.
#[cfg(test)]
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_word(name, |w| out.push(w.to_ascii_uppercase()));
    out
}

/// Tokenizer special tokens (`PAD_TOKEN`, `EOS_TOKEN`) are vocabulary, not credentials.
const TOKENIZER_WORDS: &[&str] = &[
    "BOS", "EOS", "PAD", "UNK", "SEP", "CLS", "MASK", "START", "END", "STOP", "SPECIAL", "MAX",
    "NUM", "MIN",
];

/// Qualifiers that make `KEY` a credential (`API_KEY`, not `PARTITION_KEY`).
const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "ACCESS",
    "SECRET",
    "PRIVATE",
    "ENCRYPTION",
    "SIGNING",
    "SSH",
    "AUTH",
    "CLIENT",
    "MASTER",
];

/// What a name says its value is, when it names a credential: `password`, `token`...
fn secret_name(name: &str) -> Option<String> {
    // The last two words, read in place (most names name no credential).
    let (mut before, mut last) = (None::<&str>, None::<&str>);
    each_word(name, |w| before = last.replace(w));
    let last = last?;
    let is = |word: &str| last.eq_ignore_ascii_case(word);
    // A word of `list` (as the list spells it) that `before` is.
    let before_in = |list: &[&'static str]| {
        before.and_then(|b| list.iter().copied().find(|w| b.eq_ignore_ascii_case(w)))
    };
    let what = match () {
        _ if is("PASSWORD") || is("PASSWD") => "a password".to_string(),
        _ if (is("PASS") || is("PWD")) && before.is_some() => "a password".to_string(),
        _ if is("APIKEY") => "an API key".to_string(),
        _ if is("TOKEN") && before_in(TOKENIZER_WORDS).is_none() => "a token".to_string(),
        _ if is("SECRET") => "a secret".to_string(),
        _ if is("KEY") => match before_in(KEY_QUALIFIERS)? {
            "API" => "an API key".to_string(),
            "ACCESS" | "AUTH" | "ENCRYPTION" => {
                format!("an {} key", before?.to_ascii_lowercase())
            }
            other => format!("a {} key", other.to_ascii_lowercase()),
        },
        _ => return None,
    };
    Some(what)
}

/// A value that stands for a credential without being one: templated, an env reference,
/// a path, a placeholder, a flag.
fn is_placeholder(value: &str) -> bool {
    value.trim().chars().count() < 4 || is_placeholder_text(value)
}

/// [`is_placeholder`] whatever the length (a URL's password may be short and real).
fn is_placeholder_text(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if v.is_empty() || is_templated(v) {
        return true;
    }
    // `$(VAR)`, `${VAR}`, `$VAR`: Kubernetes or shell expansion of another variable.
    if v.starts_with('$') {
        return true;
    }
    let first = v.chars().next().unwrap_or(' ');
    if (first == '<' && v.ends_with('>')) || (first == '[' && v.ends_with(']')) {
        return true;
    }
    if v.starts_with('/') || v.starts_with("./") || v.starts_with("~/") || v.contains("://") {
        // Paths and URIs to a key file; credentials inside URLs are checked separately.
        return true;
    }
    if v.chars().all(|c| c == first) {
        return true;
    }
    const WORDS: &[&str] = &[
        "example",
        "placeholder",
        "changeme",
        "change_me",
        "change-me",
        "replace",
        "your_",
        "your-",
        "redacted",
        "dummy",
        "xxxx",
        "****",
        "...",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    matches!(
        lower.as_str(),
        "none" | "null" | "true" | "false" | "todo" | "unset" | "empty"
    )
}

/// A Secret *name* (`mlpipeline-minio-artifact`) in a variable called `..._SECRET`.
fn looks_like_resource_name(value: &str) -> bool {
    value.contains('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// What is wrong with an env var's literal value, and what of it may be shown.
fn judge(var: &EnvVar) -> Option<(String, String)> {
    let value = var.value.as_ref()?;
    if var.value_from.is_some() || is_templated(&value.value) {
        return None;
    }
    let v = value.value.as_str();
    let upper_example = v.contains("EXAMPLE");
    for (at, shape) in SHAPES.iter().enumerate() {
        if !shape.needles.iter().any(|n| v.contains(n)) {
            continue;
        }
        if let Some(m) = compiled(at).find(v) {
            if upper_example {
                return None;
            }
            let shown = if shape.show > 0 {
                format!(" `{}…`", &m.as_str()[..shape.show])
            } else {
                String::new()
            };
            return Some((shape.what.to_string(), shown));
        }
    }
    if let Some(c) = v
        .contains("://")
        .then(|| URL_PASSWORD.captures(v))
        .flatten()
    {
        let password = c.get(1).map_or("", |m| m.as_str());
        if !is_placeholder_text(password) && !upper_example {
            return Some(("a URL with a password".to_string(), String::new()));
        }
    }
    let what = secret_name(&var.name.value)?;
    if is_placeholder(v) || upper_example {
        return None;
    }
    if what == "a secret" && looks_like_resource_name(v) {
        return None;
    }
    Some((what, String::new()))
}

impl Rule for PlaintextSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_step(
        &self,
        _cx: &FileContext<'_>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        for container in &step.containers {
            let whose = match container.role {
                ContainerRole::Main => String::new(),
                ContainerRole::Init => format!(
                    " (init container \"{}\")",
                    container.name.as_deref().unwrap_or("?")
                ),
                ContainerRole::Sidecar => format!(
                    " (sidecar \"{}\")",
                    container.name.as_deref().unwrap_or("?")
                ),
                ContainerRole::SetMember => format!(
                    " (container \"{}\")",
                    container.name.as_deref().unwrap_or("?")
                ),
            };
            for var in &container.env {
                let Some((what, shown)) = judge(var) else {
                    continue;
                };
                let Some(value) = &var.value else { continue };
                // A block scalar (a private key) starts on the line after its key, where
                // no comment can go: point at the variable's name instead.
                let span = if value.value.trim_end().contains('\n') {
                    var.name.span
                } else {
                    value.span
                };
                let help = match pipeline.format {
                    Format::KfpIr(_) => "store it in a Kubernetes Secret and read it with `kfp.kubernetes.use_secret_as_env(task, secret_name=..., secret_key_to_env={...})` instead of `set_env_variable`, recompile, then rotate the credential: it is in the repository's history",
                    Format::Argo(..) => "store it in a Kubernetes Secret and read it with `valueFrom: {secretKeyRef: {name: <secret>, key: <key>}}`, then rotate the credential: it is in the repository's history",
                };
                let finding = Finding::new(
                    META.id,
                    META.default_severity,
                    span,
                    format!(
                        "step \"{}\"{whose} sets env var \"{}\" to {what}{shown} written in plain text",
                        step.qualified_name(),
                        var.name.value
                    ),
                )
                .label(format!(
                    "{what} in plain text ({} characters, not shown)",
                    value.value.chars().count()
                ))
                .help(help);
                out.push(at_step(finding, pipeline, step));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["AWS", "SECRET", "ACCESS", "KEY"]
        );
        assert_eq!(
            secret_name("AWS_SECRET_ACCESS_KEY").as_deref(),
            Some("an access key")
        );
        assert_eq!(secret_name("HF_TOKEN").as_deref(), Some("a token"));
        assert_eq!(secret_name("PAD_TOKEN"), None);
        assert_eq!(secret_name("MAX_TOKENS"), None);
        assert_eq!(secret_name("SECRET_NAME"), None);
        assert_eq!(secret_name("PASSWORD_FILE"), None);
        assert_eq!(secret_name("PARTITION_KEY"), None);
        assert_eq!(secret_name("PWD"), None);
        assert_eq!(secret_name("TOKENIZER"), None);
        assert_eq!(secret_name("clientSecret").as_deref(), Some("a secret"));
        assert_eq!(secret_name("WANDB_API_KEY").as_deref(), Some("an API key"));
    }

    /// Every form a shape's pattern allows holds one of its needles (a needle missing for
    /// one alternative would hide that credential without a sound).
    #[test]
    fn every_form_of_a_credential_holds_a_needle_of_its_shape() {
        let run = |n: usize| "a1B2c3D4e5".repeat(8)[..n].to_string();
        let upper = |n: usize| "A1B2C3D4E5".repeat(8)[..n].to_string();
        let samples: &[(&str, Vec<String>)] = &[
            (
                "an AWS access key id",
                vec![format!("AKIA{}", upper(16)), format!("ASIA{}", upper(16))],
            ),
            (
                "a GitHub token",
                ["p", "o", "u", "s", "r"]
                    .iter()
                    .map(|k| format!("gh{k}_{}", run(36)))
                    .chain([format!("github_pat_{}", run(40))])
                    .collect(),
            ),
            ("a GitLab token", vec![format!("glpat-{}", run(20))]),
            (
                "a Slack token",
                ["a", "b", "p", "o", "s", "r"]
                    .iter()
                    .map(|k| format!("xox{k}-{}", run(10)))
                    .collect(),
            ),
            (
                "a Slack webhook URL",
                vec!["https://hooks.slack.com/services/T01/B02/abcdEFGH1".to_string()],
            ),
            (
                "a private key",
                vec![
                    "-----BEGIN PRIVATE KEY-----".to_string(),
                    "-----BEGIN OPENSSH PRIVATE KEY-----".to_string(),
                    "-----BEGIN ENCRYPTED RSA PRIVATE KEY-----".to_string(),
                ],
            ),
            ("a Hugging Face token", vec![format!("hf_{}", run(30))]),
            (
                "an OpenAI API key",
                ["", "proj-", "svcacct-", "admin-"]
                    .iter()
                    .map(|k| format!("sk-{k}{}", run(32)))
                    .collect(),
            ),
            (
                "a Stripe live key",
                vec![
                    format!("sk_live_{}", run(20)),
                    format!("rk_live_{}", run(20)),
                ],
            ),
            ("a Google API key", vec![format!("AIza{}", run(35))]),
        ];
        assert_eq!(samples.len(), SHAPES.len());
        for (at, shape) in SHAPES.iter().enumerate() {
            let (what, forms) = samples.iter().find(|(w, _)| *w == shape.what).unwrap();
            for form in forms {
                let value = format!("token={form} end");
                assert!(compiled(at).is_match(&value), "{what}: {form}");
                assert!(
                    shape.needles.iter().any(|n| value.contains(n)),
                    "{what}: {form} holds no needle"
                );
            }
        }
        // A look-alike holds a needle but is no credential: compiled, and no match.
        let at = SHAPES
            .iter()
            .position(|s| s.what == "an OpenAI API key")
            .unwrap();
        assert!(!compiled(at).is_match("task-sk-short"));
    }

    #[test]
    fn placeholders() {
        for v in [
            "",
            "{{inputs.parameters.pw}}",
            "$(DB_PASSWORD)",
            "<your token>",
            "/var/run/secrets/token",
            "********",
            "changeme",
            "REPLACE_ME",
            "abc",
        ] {
            assert!(is_placeholder(v), "{v}");
        }
        for v in ["hunter22", "minio123", "s3cr3t-P4ss"] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}
