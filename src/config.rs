//! `.pipelint.yaml`: found by walking up from each linted file (the nearest wins), or given
//! with `--config`. Validated strictly: an unknown key or a wrong type is an error naming the
//! file, line and column, never silence.
//!
//! ```yaml
//! kfp-backend-version: 2.5.0
//! argo-version: 3.6.7
//! rules:
//!   unpinned-image:
//!     severity: warning
//!     allow-tags: ['^v\d+\.\d+\.\d+$']
//!   grace-period-shorter-than-checkpoint:
//!     checkpoint-env: [SAVE_TIME]
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;

use crate::finding::Severity;
use crate::rules::{registry, OptionKind};
use crate::yaml::{parse, LineIndex, NodeRef, ParseLimits, Span};

pub const CONFIG_FILE: &str = ".pipelint.yaml";

/// A version as `major.minor.patch` (missing parts are 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// `2.5.0`, `v2.14`, `kfp-2.0.0-beta.16` (pre-release parts are ignored).
    pub fn parse(text: &str) -> Option<Version> {
        let t = text
            .trim()
            .trim_start_matches("kfp-")
            .trim_start_matches('v');
        let core = t.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[derive(Clone, Debug)]
pub enum OptionValue {
    Strings(Vec<String>),
    Regexes(Vec<Regex>),
    Integer(i64),
    Bool(bool),
}

/// A rule's severity as configured; `off` disables the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSeverity {
    Off,
    Set(Severity),
}

#[derive(Clone, Debug, Default)]
pub struct RuleConfig {
    pub severity: Option<RuleSeverity>,
    pub options: BTreeMap<String, OptionValue>,
}

/// The effective configuration for a file.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    pub kfp_backend_version: Option<Version>,
    pub argo_version: Option<Version>,
    pub rules: BTreeMap<String, RuleConfig>,
}

/// An error in a config file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn rule(&self, id: &str) -> Option<&RuleConfig> {
        self.rules.get(id)
    }

    fn option(&self, rule: &str, name: &str) -> Option<&OptionValue> {
        self.rules.get(rule)?.options.get(name)
    }

    pub fn strings(&self, rule: &str, name: &str) -> Option<&[String]> {
        match self.option(rule, name)? {
            OptionValue::Strings(v) => Some(v),
            _ => None,
        }
    }

    pub fn regexes(&self, rule: &str, name: &str) -> &[Regex] {
        match self.option(rule, name) {
            Some(OptionValue::Regexes(v)) => v,
            _ => &[],
        }
    }

    pub fn integer(&self, rule: &str, name: &str) -> Option<i64> {
        match self.option(rule, name)? {
            OptionValue::Integer(v) => Some(*v),
            _ => None,
        }
    }

    pub fn bool(&self, rule: &str, name: &str) -> Option<bool> {
        match self.option(rule, name)? {
            OptionValue::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("cannot read the config: {e}"),
        })?;
        Config::from_text(path, &text)
    }

    pub fn from_text(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let lines = LineIndex::new(text);
        let err = |span: Span, message: String| {
            let at = lines.line_col(span.start);
            ConfigError {
                path: path.to_path_buf(),
                line: at.line,
                column: at.column,
                message,
            }
        };
        let yaml = parse(text, &ParseLimits::default());
        if let Some(e) = yaml.errors.first() {
            return Err(err(e.span, format!("invalid YAML: {}", e.message)));
        }
        if let Some(dup) = yaml.duplicate_keys.first() {
            return Err(err(dup.second, format!("`{}` is set twice", dup.key)));
        }
        let mut config = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        let Some(root) = yaml.documents.first().and_then(|d| d.root(text)) else {
            return Ok(config); // an empty file is the defaults
        };
        if !root.is_mapping() {
            return Err(err(
                root.span(),
                format!("the config should be a mapping, not {}", root.describe()),
            ));
        }
        for (key, value) in root.entries() {
            let name = key.str().unwrap_or("");
            match name {
                "kfp-backend-version" | "argo-version" => {
                    let version =
                        value
                            .scalar_text()
                            .and_then(Version::parse)
                            .ok_or_else(|| {
                                err(
                                    value.span(),
                                    format!(
                                        "`{name}` should be a version like 2.5.0, not {}",
                                        show(value)
                                    ),
                                )
                            })?;
                    if name == "kfp-backend-version" {
                        config.kfp_backend_version = Some(version);
                    } else {
                        config.argo_version = Some(version);
                    }
                }
                "rules" => read_rules(value, &mut config, &err)?,
                _ => {
                    return Err(err(
                        key.span(),
                        format!(
                            "unknown key `{name}`{}",
                            suggest(name, &["kfp-backend-version", "argo-version", "rules"])
                        ),
                    ))
                }
            }
        }
        Ok(config)
    }
}

fn show(node: NodeRef<'_>) -> String {
    match node.scalar_text() {
        Some(s) => format!("`{s}`"),
        None => node.describe().to_string(),
    }
}

fn suggest(name: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .filter(|c| strsim::levenshtein(name, c) <= 3)
        .min_by_key(|c| strsim::levenshtein(name, c))
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

fn read_rules(
    rules: NodeRef<'_>,
    config: &mut Config,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<(), ConfigError> {
    if rules.is_null() {
        return Ok(());
    }
    if !rules.is_mapping() {
        return Err(err(
            rules.span(),
            format!(
                "`rules` should be a mapping of rule ids, not {}",
                rules.describe()
            ),
        ));
    }
    let ids: Vec<&str> = registry::all().iter().map(|r| r.meta().id).collect();
    for (key, body) in rules.entries() {
        let id = key.str().unwrap_or("");
        let Some(rule) = registry::find(id) else {
            return Err(err(
                key.span(),
                format!("unknown rule `{id}`{}", suggest(id, &ids)),
            ));
        };
        let mut rc = RuleConfig::default();
        if !body.is_mapping() {
            return Err(err(
                body.span(),
                format!("`rules.{id}` should be a mapping, not {}", body.describe()),
            ));
        }
        for (okey, value) in body.entries() {
            let name = okey.str().unwrap_or("");
            if name == "severity" {
                rc.severity = Some(match value.scalar_text() {
                    Some("off") => RuleSeverity::Off,
                    Some("error") => RuleSeverity::Set(Severity::Error),
                    Some("warning") => RuleSeverity::Set(Severity::Warning),
                    Some("info") => RuleSeverity::Set(Severity::Info),
                    _ => {
                        return Err(err(
                            value.span(),
                            format!(
                                "`severity` should be error, warning, info or off, not {}",
                                show(value)
                            ),
                        ))
                    }
                });
                continue;
            }
            let Some(spec) = rule.meta().options.iter().find(|o| o.name == name) else {
                let known: Vec<&str> = std::iter::once("severity")
                    .chain(rule.meta().options.iter().map(|o| o.name))
                    .collect();
                return Err(err(
                    okey.span(),
                    format!(
                        "`{id}` has no option `{name}`{}; its options: {}",
                        suggest(name, &known),
                        known.join(", ")
                    ),
                ));
            };
            rc.options.insert(
                name.to_string(),
                read_option(id, name, spec.kind, value, err)?,
            );
        }
        config.rules.insert(id.to_string(), rc);
    }
    Ok(())
}

fn read_option(
    id: &str,
    name: &str,
    kind: OptionKind,
    value: NodeRef<'_>,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<OptionValue, ConfigError> {
    let wrong = |what: &str| {
        err(
            value.span(),
            format!("`{id}.{name}` should be {what}, not {}", show(value)),
        )
    };
    match kind {
        OptionKind::Integer => match value.resolved() {
            Some(crate::yaml::Resolved::Int(i)) if i >= 0 => Ok(OptionValue::Integer(i)),
            _ => Err(wrong("a whole number")),
        },
        OptionKind::Bool => value
            .as_bool()
            .map(OptionValue::Bool)
            .ok_or_else(|| wrong("true or false")),
        OptionKind::Strings | OptionKind::Regexes => {
            if !value.is_sequence() {
                return Err(wrong("a list of strings"));
            }
            let mut items = Vec::new();
            for item in value.items() {
                match item.str() {
                    Some(s) if item.is_scalar() && !item.is_null() => {
                        items.push((s.to_string(), item.span()))
                    }
                    _ => {
                        return Err(err(
                            item.span(),
                            format!(
                                "items of `{id}.{name}` should be strings, not {}",
                                item.describe()
                            ),
                        ))
                    }
                }
            }
            if kind == OptionKind::Strings {
                return Ok(OptionValue::Strings(
                    items.into_iter().map(|(s, _)| s).collect(),
                ));
            }
            items
                .into_iter()
                .map(|(s, span)| {
                    Regex::new(&s).map_err(|e| {
                        err(
                            span,
                            format!("`{s}` is not a valid regular expression: {e}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(OptionValue::Regexes)
        }
    }
}

/// Finds and loads the config that applies to each file, each config file read once.
#[derive(Default)]
pub struct ConfigResolver {
    explicit: Option<Arc<Config>>,
    by_dir: HashMap<PathBuf, Arc<Config>>,
    overrides: Overrides,
}

/// Values from the command line that beat every config file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub kfp_backend_version: Option<Version>,
    pub argo_version: Option<Version>,
}

impl Overrides {
    fn apply(&self, mut config: Config) -> Config {
        if self.kfp_backend_version.is_some() {
            config.kfp_backend_version = self.kfp_backend_version;
        }
        if self.argo_version.is_some() {
            config.argo_version = self.argo_version;
        }
        config
    }
}

impl ConfigResolver {
    pub fn new(
        explicit: Option<&Path>,
        overrides: Overrides,
    ) -> Result<ConfigResolver, ConfigError> {
        let explicit = match explicit {
            Some(path) => Some(Arc::new(overrides.apply(Config::load(path)?))),
            None => None,
        };
        Ok(ConfigResolver {
            explicit,
            by_dir: HashMap::new(),
            overrides,
        })
    }

    /// The config for a file: `--config`, else the nearest `.pipelint.yaml` above it, else
    /// the defaults.
    pub fn for_file(&mut self, file: &Path) -> Result<Arc<Config>, ConfigError> {
        if let Some(config) = &self.explicit {
            return Ok(config.clone());
        }
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let start = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut visited = Vec::new();
        let mut dir = Some(start.as_path());
        let mut found: Option<Arc<Config>> = None;
        while let Some(d) = dir {
            if let Some(config) = self.by_dir.get(d) {
                found = Some(config.clone());
                break;
            }
            visited.push(d.to_path_buf());
            let candidate = d.join(CONFIG_FILE);
            if candidate.is_file() {
                found = Some(Arc::new(self.overrides.apply(Config::load(&candidate)?)));
                break;
            }
            dir = d.parent();
        }
        let config = found.unwrap_or_else(|| Arc::new(self.overrides.apply(Config::default())));
        for d in visited {
            self.by_dir.insert(d, config.clone());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_text(Path::new(".pipelint.yaml"), text)
    }

    #[test]
    fn reads_versions_rules_and_options() {
        let c = load("kfp-backend-version: 2.5.0\nargo-version: v3.6\nrules:\n  unpinned-image:\n    severity: warning\n    allow-tags: ['^v\\d+$']\n  grace-period-shorter-than-checkpoint:\n    default-grace-seconds: 60\n    checkpoint-env: [SAVE_TIME]\n").unwrap();
        assert_eq!(c.kfp_backend_version, Some(Version(2, 5, 0)));
        assert_eq!(c.argo_version, Some(Version(3, 6, 0)));
        assert_eq!(
            c.rule("unpinned-image").unwrap().severity,
            Some(RuleSeverity::Set(Severity::Warning))
        );
        assert!(c.regexes("unpinned-image", "allow-tags")[0].is_match("v12"));
        assert_eq!(
            c.integer(
                "grace-period-shorter-than-checkpoint",
                "default-grace-seconds"
            ),
            Some(60)
        );
        assert_eq!(
            c.strings("grace-period-shorter-than-checkpoint", "checkpoint-env"),
            Some(&["SAVE_TIME".to_string()][..])
        );
    }

    #[test]
    fn errors_name_the_line_and_suggest() {
        let e = load("rules:\n  unpinned-imag:\n    severity: error\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(
            e.message.contains("did you mean `unpinned-image`"),
            "{}",
            e.message
        );
        let e = load("rules:\n  unpinned-image:\n    allow-tag: [x]\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("allow-tags"), "{}", e.message);
        let e = load(
            "rules:\n  grace-period-shorter-than-checkpoint:\n    default-grace-seconds: soon\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (3, 28));
        let e = load("kfp-backend-version: latest\n").unwrap_err();
        assert!(e.message.contains("version"), "{}", e.message);
        let e = load("rules:\n  unpinned-image:\n    allow-tags: ['(']\n").unwrap_err();
        assert!(e.message.contains("regular expression"), "{}", e.message);
        let e = load("rulez: {}\n").unwrap_err();
        assert!(e.message.contains("did you mean `rules`"), "{}", e.message);
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("kfp-2.0.0-beta.16"), Some(Version(2, 0, 0)));
        assert_eq!(Version::parse("2.14"), Some(Version(2, 14, 0)));
        assert!(Version(2, 14, 0) > Version(2, 5, 0));
        assert_eq!(Version::parse("two"), None);
    }
}
