//! The classifiers' knowledge, as data: which Python calls, methods, shell commands, Argo
//! artifacts and step names answer which question (io, non-idempotent, random, seeds), under
//! which conditions on their arguments, how sure that is, the phrase for messages and a
//! reference. The built-in rows live in the YAML files beside this module (compiled in and
//! read once, on first use); `.pipelint.yaml` adds rows of the same shape (`knowledge:`).
//! The Python and shell scanners interpret these rows: no classifier knowledge is written
//! in Rust.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use super::{Confidence, Question};

/// The built-in knowledge files, one per question.
pub const BUILTIN: &[(&str, &str)] = &[
    ("io.yaml", include_str!("io.yaml")),
    ("non-idempotent.yaml", include_str!("non-idempotent.yaml")),
    ("random.yaml", include_str!("random.yaml")),
];

/// What a row answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowQuestion {
    Io,
    NonIdempotent,
    Random,
    /// Makes the randomness of the listed generators (`seeds:`) deterministic for the program.
    Seeds,
}

impl RowQuestion {
    pub fn question(self) -> Option<Question> {
        match self {
            RowQuestion::Io => Some(Question::Io),
            RowQuestion::NonIdempotent => Some(Question::NonIdempotent),
            RowQuestion::Random => Some(Question::Random),
            RowQuestion::Seeds => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowConfidence {
    /// Fires a rule on its own.
    High,
    /// Shown as context, never decisive.
    Low,
}

fn high() -> RowConfidence {
    RowConfidence::High
}

/// One row of knowledge. Exactly one of the match fields (`call`, `method`, `command`,
/// `artifact`, `step-name`, `image`) is set; the conditions narrow it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Row {
    /// A stable name: evidence and `pipelint classify` cite it, examples refer to it.
    pub id: String,
    pub question: RowQuestion,
    #[serde(default = "high")]
    pub confidence: RowConfidence,
    /// What the match means, for messages ("calls the OpenAI API").
    pub phrase: String,
    /// A documentation URL, or why the row is right (every built-in row has one).
    #[serde(default)]
    pub reference: String,

    // What it matches.
    /// Python callables by qualified name after import resolution; `*` matches any text
    /// (`boto3.*`, `torchvision.transforms.Random*`).
    #[serde(default)]
    pub call: Vec<String>,
    /// Qualified names `call` must not match (`numpy.random.seed` among `numpy.random.*`).
    #[serde(default)]
    pub except: Vec<String>,
    /// Python methods, matched on the last components of the called name
    /// (`chat.completions.create`); `*` as in `call`.
    #[serde(default)]
    pub method: Vec<String>,
    /// For `method`: the constructors the receiver comes from (`openai.OpenAI`). A receiver
    /// assigned from a call is checked against it; otherwise the program must call one.
    #[serde(default)]
    pub on: Vec<String>,
    /// A shell command: a regular expression whose first group is the matched command
    /// (`(twine\s+upload)`); it matches where a command word starts.
    #[serde(default)]
    pub command: Option<String>,
    /// Words every match of `command` contains (one of them): texts without any are skipped.
    #[serde(default)]
    pub needles: Vec<String>,
    /// Argo artifact locations (`s3`, `http`...).
    #[serde(default)]
    pub artifact: Vec<String>,
    /// Words in a step's name (always low confidence).
    #[serde(default)]
    pub step_name: Vec<String>,
    /// A container image (glob), together with `arg`.
    #[serde(default)]
    pub image: Option<String>,
    /// For `image`: an argument (glob) that must be present.
    #[serde(default)]
    pub arg: Option<String>,

    // Conditions on the call's arguments.
    /// Keywords equal to a value (source text, quotes ignored, `*` as in `call`):
    /// `shuffle: "True"`.
    #[serde(default)]
    pub keyword: std::collections::BTreeMap<String, String>,
    /// Keywords that must not equal any of the values: `local_files_only: ["True"]`.
    #[serde(default)]
    pub keyword_not: std::collections::BTreeMap<String, Vec<String>>,
    /// Keywords that must all be present (and not `None`).
    #[serde(default)]
    pub present: Vec<String>,
    /// At least one of these keywords present (and not `None`).
    #[serde(default)]
    pub present_any: Vec<String>,
    /// Keywords that must be absent (or `None`): `random_state`.
    #[serde(default)]
    pub absent: Vec<String>,
    /// No positional argument (`default_rng()`).
    #[serde(default)]
    pub no_positional: bool,
    /// An argument is a remote URI or URL (a literal, or a variable assigned one).
    #[serde(default)]
    pub remote_arg: bool,
    /// A string argument is a Hugging Face Hub id (`org/name`).
    #[serde(default)]
    pub hub_id_arg: bool,
    /// The first string argument is none of these (`json`, `csv`: a packaged builder).
    #[serde(default)]
    pub first_arg_not: Vec<String>,
    /// A string argument equals this (`append` in `.mode("append")`).
    #[serde(default)]
    pub string_arg: Option<String>,
    /// No string argument equals one of these (`dedup_key`: PagerDuty deduplicates).
    #[serde(default)]
    pub unless_string_arg: Vec<String>,
    /// The program also calls one of these (`*.backward`: it trains what it builds).
    #[serde(default)]
    pub program_calls: Vec<String>,
    /// The program imports one of these modules (patterns).
    #[serde(default)]
    pub imported: Vec<String>,
    /// Not when the program seeds one of these generators (`any`: any of them).
    #[serde(default)]
    pub unless_seeded: Vec<String>,
    /// For `seeds` rows: the generators seeded (`random`, `numpy`, `torch`, `tensorflow`).
    #[serde(default)]
    pub seeds: Vec<String>,
    /// For `command`: not when the command (up to the next `;`, `|`, `&` or line end)
    /// contains one of these (`--replace`, `--skip-existing`).
    #[serde(default)]
    pub unless_in_command: Vec<String>,
    /// For `command`: not when its SQL statement (up to the next `;`) contains one of these,
    /// in any case (`ON CONFLICT`).
    #[serde(default)]
    pub unless_in_statement: Vec<String>,
}

impl Row {
    pub fn confidence(&self) -> Confidence {
        match self.confidence {
            RowConfidence::High => Confidence::High,
            RowConfidence::Low => Confidence::Low,
        }
    }

    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if !self.call.is_empty() {
            kinds.push("call");
        }
        if !self.method.is_empty() {
            kinds.push("method");
        }
        if self.command.is_some() {
            kinds.push("command");
        }
        if !self.artifact.is_empty() {
            kinds.push("artifact");
        }
        if !self.step_name.is_empty() {
            kinds.push("step-name");
        }
        if self.image.is_some() {
            kinds.push("image");
        }
        kinds
    }

    /// A user's row is well formed: [`Row::check_shape`], and its pattern compiles (the
    /// built-in patterns are compiled by a test instead: compiling them all costs
    /// milliseconds that a short run would pay on start-up).
    pub fn check(&self) -> Result<(), String> {
        self.check_shape()?;
        if let Some(re) = &self.command {
            super::ascii_regex(re)
                .map_err(|e| format!("row `{}`: invalid `command` pattern: {e}", self.id))?;
        }
        Ok(())
    }

    /// One thing matched, seeds only on seeds rows, `on` only with `method`.
    pub fn check_shape(&self) -> Result<(), String> {
        let kinds = self.kinds();
        if kinds.len() != 1 {
            return Err(format!(
                "row `{}` should match one thing (call, method, command, artifact, step-name or image), not {}",
                self.id,
                if kinds.is_empty() { "none".to_string() } else { kinds.join(" and ") }
            ));
        }
        if self.question == RowQuestion::Seeds && self.seeds.is_empty() {
            return Err(format!("row `{}` seeds nothing: list `seeds:`", self.id));
        }
        if self.question != RowQuestion::Seeds && !self.seeds.is_empty() {
            return Err(format!(
                "row `{}` lists `seeds:` but answers another question",
                self.id
            ));
        }
        if !self.on.is_empty() && self.method.is_empty() {
            return Err(format!("row `{}`: `on` goes with `method`", self.id));
        }
        if let Some(re) = &self.command {
            if !re.contains('(') {
                return Err(format!(
                    "row `{}`: `command` needs a group around the matched command",
                    self.id
                ));
            }
        }
        Ok(())
    }
}

/// A knowledge file: `rows:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rows: Vec<Row>,
    /// URI schemes that make a path remote (`s3://`).
    #[serde(default, rename = "remote-schemes")]
    remote_schemes: Vec<String>,
}

/// All rows, indexed for the interpreters.
#[derive(Debug, Default)]
pub struct Knowledge {
    pub rows: Vec<Row>,
    pub remote_schemes: Vec<String>,
    /// Call and method rows by the last component of a pattern without `*` in it.
    by_last: HashMap<String, Vec<usize>>,
    /// Call and method rows whose last component has a `*`: tried on every call.
    always: Vec<usize>,
    /// Shell rows, in order.
    pub commands: Vec<usize>,
    shell: std::sync::OnceLock<super::shell::ShellTable>,
}

impl Knowledge {
    /// Reads knowledge files (name, YAML text), then user rows.
    pub fn from_files(files: &[(&str, &str)], user: &[Row]) -> Result<Knowledge, String> {
        let mut k = Knowledge::default();
        for (name, text) in files {
            let file: File = parse_yaml(text).map_err(|e| format!("{name}: {e}"))?;
            k.rows.extend(file.rows);
            k.remote_schemes.extend(file.remote_schemes);
        }
        k.rows.extend(user.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        for row in &k.rows {
            row.check_shape()?;
            if !seen.insert(row.id.as_str()) {
                return Err(format!("row `{}` is defined twice", row.id));
            }
        }
        for (i, row) in k.rows.iter().enumerate() {
            let mut lasts: Vec<&str> = row
                .call
                .iter()
                .chain(&row.method)
                .map(|p| p.rsplit('.').next().unwrap_or(p))
                .collect();
            lasts.sort_unstable();
            lasts.dedup();
            if lasts.iter().any(|l| l.contains('*')) {
                k.always.push(i);
            } else {
                for l in lasts {
                    k.by_last.entry(l.to_string()).or_default().push(i);
                }
            }
            if row.command.is_some() {
                k.commands.push(i);
            }
        }
        Ok(k)
    }

    /// The call and method rows that may match a call whose name ends in `last`, in row order.
    pub fn call_rows(&self, last: &str) -> impl Iterator<Item = (usize, &Row)> {
        // Two sorted lists merged, without a list per call.
        let mut named = self
            .by_last
            .get(last)
            .map_or(&[][..], |v| v.as_slice())
            .iter()
            .copied()
            .peekable();
        let mut always = self.always.iter().copied().peekable();
        std::iter::from_fn(move || {
            let next = match (named.peek(), always.peek()) {
                (Some(&a), Some(&b)) if a <= b => named.next(),
                (Some(_), Some(_)) | (None, Some(_)) => always.next(),
                (Some(_), None) => named.next(),
                (None, None) => None,
            }?;
            Some((next, &self.rows[next]))
        })
    }

    /// The shell rows, compiled on first use.
    pub fn shell(&self) -> &super::shell::ShellTable {
        self.shell
            .get_or_init(|| super::shell::ShellTable::new(&self.rows, &self.commands))
    }

    pub fn is_remote(&self, s: &str) -> bool {
        self.remote_schemes
            .iter()
            .any(|p| s.starts_with(p.as_str()))
    }
}

/// The JSON Schema of one row (`knowledge:` items in `.pipelint.yaml`).
pub fn row_schema() -> serde_json::Value {
    let list = serde_json::json!({"type": "array", "items": {"type": "string"}});
    let text = serde_json::json!({"type": "string"});
    let flag = serde_json::json!({"type": "boolean"});
    let mut props = serde_json::Map::new();
    props.insert("id".into(), text.clone());
    props.insert(
        "question".into(),
        serde_json::json!({"enum": ["io", "non-idempotent", "random", "seeds"]}),
    );
    props.insert(
        "confidence".into(),
        serde_json::json!({"enum": ["high", "low"]}),
    );
    for key in [
        "phrase",
        "reference",
        "command",
        "image",
        "arg",
        "string-arg",
    ] {
        props.insert(key.into(), text.clone());
    }
    for key in [
        "call",
        "except",
        "method",
        "on",
        "needles",
        "artifact",
        "step-name",
        "present",
        "present-any",
        "absent",
        "first-arg-not",
        "unless-string-arg",
        "program-calls",
        "imported",
        "unless-seeded",
        "seeds",
        "unless-in-command",
        "unless-in-statement",
    ] {
        props.insert(key.into(), list.clone());
    }
    for key in ["no-positional", "remote-arg", "hub-id-arg"] {
        props.insert(key.into(), flag.clone());
    }
    props.insert(
        "keyword".into(),
        serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}}),
    );
    props.insert(
        "keyword-not".into(),
        serde_json::json!({"type": "object", "additionalProperties": list}),
    );
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "question", "phrase"],
        "properties": props,
    })
}

/// Parses YAML with the project's parser into `T` (strictly: unknown keys are errors).
pub fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let yaml = crate::yaml::parse(text, &crate::yaml::ParseLimits::default());
    if let Some(e) = yaml.errors.first() {
        return Err(format!("invalid YAML: {}", e.message));
    }
    let root = yaml
        .documents
        .first()
        .and_then(|d| d.root(text))
        .ok_or("empty knowledge file")?;
    serde_json::from_value(crate::yaml::json::to_json(root)).map_err(|e| e.to_string())
}

/// The built-in knowledge.
pub static BUILTIN_KNOWLEDGE: LazyLock<Arc<Knowledge>> = LazyLock::new(|| {
    // Read whatever file's work budget is being metered: the cost is pipelint's, not the file's.
    crate::limits::unmetered(|| {
        Arc::new(Knowledge::from_files(BUILTIN, &[]).expect("built-in knowledge is valid"))
    })
});

/// `*` matches any run of characters; everything else is literal.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == b'*' {
        i += 1;
    }
    i == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("boto3.*", "boto3.client"));
        assert!(!wildcard("boto3.*", "boto3"));
        assert!(wildcard(
            "*aiplatform.Model.upload",
            "google.cloud.aiplatform.Model.upload"
        ));
        assert!(wildcard(
            "torchvision.transforms.Random*",
            "torchvision.transforms.RandomCrop"
        ));
        assert!(!wildcard(
            "torchvision.transforms.Random*",
            "torchvision.transforms.CenterCrop"
        ));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
    }

    #[test]
    fn builtin_knowledge_loads() {
        let k = &*BUILTIN_KNOWLEDGE;
        assert!(k.rows.len() > 50, "{} rows", k.rows.len());
        for row in &k.rows {
            assert!(
                !row.reference.trim().is_empty(),
                "{} has no reference",
                row.id
            );
        }
    }

    /// The schema users' rows are validated against knows every field of a row.
    #[test]
    fn the_row_schema_has_every_field() {
        let schema = row_schema();
        let props = schema["properties"].as_object().unwrap();
        let k = &*BUILTIN_KNOWLEDGE;
        for (name, text) in BUILTIN {
            let value: serde_json::Value = parse_yaml(text).unwrap();
            for row in value["rows"].as_array().unwrap() {
                for key in row.as_object().unwrap().keys() {
                    assert!(
                        props.contains_key(key),
                        "{name}: `{key}` is not in the schema"
                    );
                }
            }
        }
        assert!(!k.rows.is_empty());
    }

    #[test]
    fn a_row_matches_one_thing() {
        let text = "rows:\n  - {id: x, question: io, phrase: p, reference: r, call: [a.b], command: '(a)'}\n";
        let err = Knowledge::from_files(&[("t.yaml", text)], &[]).unwrap_err();
        assert!(err.contains("call and command"), "{err}");
        let text = "rows:\n  - {id: x, question: io, phrase: p, reference: r, cal: [a.b]}\n";
        let err = Knowledge::from_files(&[("t.yaml", text)], &[]).unwrap_err();
        assert!(err.contains("unknown field `cal`"), "{err}");
    }
}
