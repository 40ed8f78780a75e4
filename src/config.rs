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

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde_json::{json, Value};

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
    /// Only these rules run (all when empty). Policies declared in a config file run
    /// whatever `select:` says (declaring one is opting in) unless `ignore`d; `--select` on
    /// the command line is exclusive and covers them too (see `select_covers_policies`).
    pub select: Vec<String>,
    /// Set by `--select`: policies it does not name are off, like rules.
    pub select_covers_policies: bool,
    /// These rules never run.
    pub ignore: Vec<String>,
    /// Files below the config's folder that a directory walk skips.
    pub exclude: Option<GlobSet>,
    pub exclude_patterns: Vec<String>,
    /// Rules ignored for files matching a glob.
    pub per_file_ignores: Vec<(String, GlobMatcher, Vec<String>)>,
    /// Steps declared idempotent / doing IO / deterministic, by step name or image glob.
    pub classify: Classify,
    /// The classifiers' knowledge with the rows of `knowledge:` added; `None`: built-in only.
    pub knowledge: Option<Arc<crate::analysis::knowledge::Knowledge>>,
    /// Findings silenced by path glob + rule (+ step name).
    pub suppressions: Vec<ConfigSuppression>,
    /// A suppression comment or annotation must give a reason.
    pub require_suppression_reason: bool,
    /// Organisation policies (`policies:`), compiled; see `crate::policy`.
    pub policies: Vec<Arc<crate::policy::Policy>>,
    /// With `--strict-refs`: the WorkflowTemplates of the whole run (set by the command
    /// line, like the target versions); `None` when references to other files go unchecked.
    pub known_templates: Option<Arc<crate::refs::KnownTemplates>>,
    /// `--image-digests FILE`: digests `unpinned-image` may pin images to (its fix).
    pub image_digests: Option<Arc<crate::fix::digests::ImageDigests>>,
    /// `limits:` (file size, nesting depth, alias expansion, work budget); see `crate::limits`.
    pub limits: crate::limits::Configured,
    /// `--config KEY=VALUE` values set in this config, as typed (for `config --show`).
    pub values_set: Vec<String>,
    /// The file exists but sets nothing (`config --show` says so).
    pub empty: bool,
    /// `docs-url`: where a rule's documentation is online, `{rule}` standing for its id.
    pub docs_url: Option<String>,
    /// `kfp-source`: where the Python that KFP IR is compiled from lives (relative to the
    /// config file's directory); `None`: the repository around the IR (`crate::kfp_source`).
    pub kfp_source: Option<PathBuf>,
}

/// `classify:` globs, matched against step names and images.
#[derive(Clone, Debug, Default)]
pub struct Classify {
    pub idempotent: Vec<(String, GlobMatcher)>,
    pub io: Vec<(String, GlobMatcher)>,
    pub deterministic: Vec<(String, GlobMatcher)>,
}

/// A `suppressions:` entry.
#[derive(Clone, Debug)]
pub struct ConfigSuppression {
    /// The `path:` glob, checked when the config is read and compiled only when a finding
    /// of this entry's rule and step needs it: a compiled matcher costs ~9 KB, and 100,000
    /// entries compiled up front took 866 MB.
    pub path: Option<LazyGlob>,
    pub rule: String,
    pub step: Option<String>,
    pub reason: Option<String>,
}

/// A glob compiled on first use.
#[derive(Clone, Debug)]
pub struct LazyGlob {
    pub glob: Glob,
    matcher: std::sync::OnceLock<GlobMatcher>,
}

impl LazyGlob {
    pub fn is_match(&self, path: impl AsRef<std::path::Path>) -> bool {
        self.matcher
            .get_or_init(|| self.glob.compile_matcher())
            .is_match(path)
    }
}

/// Parses a config or policy file under the limits a pipeline gets (size, nesting depth,
/// alias expansion, work budget): they come in pull requests too. Too large or too complex
/// is an error at a position, never a silent fall-back to the defaults.
pub(crate) fn parse_bounded(
    text: &str,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<crate::yaml::YamlFile, ConfigError> {
    use crate::limits;
    if text.len() as u64 > limits::DEFAULT_MAX_FILE_SIZE {
        return Err(err(
            Span::default(),
            format!(
                "the file is {} bytes, over the {} byte limit",
                text.len(),
                limits::DEFAULT_MAX_FILE_SIZE
            ),
        ));
    }
    let meter = limits::Meter::start(limits::DEFAULT_WORK_BUDGET);
    let yaml = parse(text, &ParseLimits::default());
    if let Some(e) = yaml.too_complex.first() {
        return Err(err(e.span, format!("too complex: {}", e.message)));
    }
    if let Some(at) = meter.exhausted_at() {
        return Err(err(
            at,
            format!(
                "too complex: reading it needs more than {} units of work",
                meter.budget()
            ),
        ));
    }
    Ok(yaml)
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
        // Line 0: an error of the command line (`--select`, `--config KEY=VALUE`), which has
        // no position worth printing.
        if self.line == 0 {
            return write!(f, "{}: {}", self.path.display(), self.message);
        }
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
        // Configs come in pull requests too: only a regular file, only up to the size a
        // pipeline may have (a committed link to `/dev/zero` or a FIFO is an error).
        let text = crate::files::read_regular_text(path, crate::limits::DEFAULT_MAX_FILE_SIZE)
            .map_err(|e| ConfigError {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("cannot read the config: {e}"),
            })?;
        Config::from_text(path, &text)
    }

    pub fn from_text(path: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::from_text_checked(path, text, true)
    }

    /// `check_ids`: whether rule ids in `select`, `ignore`... must be known (a `--config`
    /// value alone is read without, as it may name a policy of the config it goes into).
    fn from_text_checked(path: &Path, text: &str, check_ids: bool) -> Result<Config, ConfigError> {
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
        let yaml = parse_bounded(text, &err)?;
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
        let Some(root) = yaml
            .documents
            .first()
            .and_then(|d| d.root(text))
            .filter(|r| !r.is_null())
        else {
            // An empty file is the defaults.
            config.empty = true;
            return Ok(config);
        };
        validate_against_schema(root, &err)?;
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
                "select" => config.select = strings(value),
                "ignore" => config.ignore = strings(value),
                "exclude" => {
                    let mut builder = GlobSetBuilder::new();
                    for item in value.items() {
                        builder.add(glob(item, &err)?.glob().clone());
                        config
                            .exclude_patterns
                            .push(item.str().unwrap_or("").to_string());
                    }
                    config.exclude = Some(
                        builder
                            .build()
                            .map_err(|e| err(value.span(), e.to_string()))?,
                    );
                }
                "per-file-ignores" => {
                    for (pattern, rules) in value.entries() {
                        let matcher = glob(pattern, &err)?;
                        config.per_file_ignores.push((
                            pattern.str().unwrap_or("").to_string(),
                            matcher,
                            strings(rules),
                        ));
                    }
                }
                "classify" => {
                    for (kind, patterns) in value.entries() {
                        let list = patterns
                            .items()
                            .map(|p| Ok((p.str().unwrap_or("").to_string(), glob(p, &err)?)))
                            .collect::<Result<Vec<_>, ConfigError>>()?;
                        match kind.str() {
                            Some("idempotent") => config.classify.idempotent = list,
                            Some("io") => config.classify.io = list,
                            Some("deterministic") => config.classify.deterministic = list,
                            _ => {}
                        }
                    }
                }
                "knowledge" => {
                    // Rows of the same shape as the built-in ones (already checked against
                    // the schema); each row is checked as the built-in rows are.
                    let mut rows = Vec::new();
                    for item in value.items() {
                        let row: crate::analysis::knowledge::Row =
                            serde_json::from_value(crate::yaml::json::to_json(item))
                                .map_err(|e| err(item.span(), format!("knowledge row: {e}")))?;
                        if let Err(e) = row.check() {
                            return Err(err(item.span(), e));
                        }
                        rows.push(row);
                    }
                    let knowledge = crate::analysis::knowledge::Knowledge::with_user_rows(&rows)
                        .map_err(|e| err(value.span(), e))?;
                    config.knowledge = Some(Arc::new(knowledge));
                }
                "suppressions" => {
                    for entry in value.items() {
                        let text = |k: &str| {
                            entry
                                .get(k)
                                .and_then(|v| v.scalar_text())
                                .map(str::to_string)
                        };
                        let path = match entry.get("path") {
                            Some(p) => Some(LazyGlob {
                                glob: glob_pattern(p, &err)?,
                                matcher: std::sync::OnceLock::new(),
                            }),
                            None => None,
                        };
                        config.suppressions.push(ConfigSuppression {
                            path,
                            rule: text("rule").unwrap_or_default(),
                            step: text("step"),
                            reason: text("reason"),
                        });
                    }
                }
                "limits" => config.limits = crate::limits::Configured::read(value),
                "docs-url" => {
                    let template = value.str().unwrap_or("");
                    if !template.contains("{rule}") {
                        return Err(err(
                            value.span(),
                            format!("`docs-url` should contain `{{rule}}`, where the rule id goes, as in `https://example.com/pipelint/{{rule}}`; not `{template}`"),
                        ));
                    }
                    config.docs_url = Some(template.to_string());
                }
                "kfp-source" => {
                    let dir = Path::new(value.str().unwrap_or(""));
                    let base = path.parent().unwrap_or(Path::new(""));
                    config.kfp_source = Some(base.join(dir));
                }
                "require-suppression-reason" => {
                    config.require_suppression_reason = value.as_bool().unwrap_or(false)
                }
                // Each policy is validated and compiled there; errors name file:line:col.
                "policies" => config.policies = crate::policy::read(value, path, &err)?,
                // Validated by the schema; read by `crate::policy` where it applies.
                _ => {}
            }
        }
        if check_ids {
            check_rule_ids(root, &config, &err)?;
        }
        config.empty = root.is_mapping() && root.entries().next().is_none();
        Ok(config)
    }

    /// Is a rule on for a file at `relative` (a path relative to the config's folder)?
    pub fn rule_enabled(&self, id: &str, relative: Option<&Path>) -> bool {
        if !self.select.is_empty()
            && !self.select.iter().any(|s| s == id)
            && (self.select_covers_policies || !self.is_policy(id))
        {
            return false;
        }
        if self.ignore.iter().any(|s| s == id) {
            return false;
        }
        if let Some(rel) = relative {
            if self
                .per_file_ignores
                .iter()
                .any(|(_, m, rules)| m.is_match(rel) && rules.iter().any(|r| r == id))
            {
                return false;
            }
        }
        !matches!(
            self.rule(id).and_then(|r| r.severity),
            Some(RuleSeverity::Off)
        )
    }

    /// The URL of a built-in rule's documentation: `docs-url`, else the rule's page in the
    /// project's repository when `Cargo.toml` names one; `None` for policies.
    pub fn rule_url(&self, id: &str) -> Option<String> {
        self.shared_rule_url(id).map(|url| url.to_string())
    }

    /// [`Config::rule_url`] as findings carry it: without `docs-url`, one string per rule
    /// for the whole run, counted into each finding, not copied.
    pub fn shared_rule_url(&self, id: &str) -> Option<std::sync::Arc<str>> {
        let index = registry::all().iter().position(|r| r.meta().id == id)?;
        if let Some(template) = &self.docs_url {
            return Some(template.replace("{rule}", id).into());
        }
        // The same for every config: written once per run, not once per file and rule.
        static REPOSITORY_URLS: std::sync::LazyLock<Vec<Option<std::sync::Arc<str>>>> =
            std::sync::LazyLock::new(|| {
                let repository = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
                registry::all()
                    .iter()
                    .map(|rule| {
                        (!repository.is_empty()).then(|| {
                            format!("{repository}/blob/main/rules/{}.md", rule.meta().id).into()
                        })
                    })
                    .collect()
            });
        REPOSITORY_URLS[index].clone()
    }

    /// Is `id` one of this config's policies (rather than a built-in rule)?
    pub fn is_policy(&self, id: &str) -> bool {
        self.policies.iter().any(|p| p.id == id)
    }

    /// Rule ids and this config's policy ids: what `select`, `ignore` and friends may name.
    pub fn known_ids(&self) -> Vec<&str> {
        let mut known: Vec<&str> = registry::all().iter().map(|r| r.meta().id).collect();
        known.extend(self.policies.iter().map(|p| p.id));
        known
    }

    /// The path of `file` relative to the config's folder, when the file is below it.
    pub fn relative<'p>(&self, file: &'p Path) -> Option<std::borrow::Cow<'p, Path>> {
        let base = self.path.as_ref()?.parent()?;
        let absolute = std::path::absolute(file).ok()?;
        let base = std::path::absolute(base).ok()?;
        absolute
            .strip_prefix(&base)
            .ok()
            .map(|p| std::borrow::Cow::Owned(p.to_path_buf()))
    }

    /// Does a directory walk skip this file?
    pub fn excludes(&self, file: &Path) -> bool {
        match (&self.exclude, self.relative(file)) {
            (Some(set), Some(rel)) => set.is_match(rel.as_ref()),
            _ => false,
        }
    }
}

/// `select`, `ignore`, `per-file-ignores` and `suppressions` name rules or this config's
/// policies; anything else is a typo, reported at its position.
fn check_rule_ids(
    root: NodeRef<'_>,
    config: &Config,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let known = config.known_ids();
    let mut named: Vec<NodeRef<'_>> = Vec::new();
    for key in ["select", "ignore"] {
        named.extend(root.get(key).into_iter().flat_map(|l| l.items()));
    }
    if let Some(map) = root.get("per-file-ignores") {
        named.extend(map.entries().flat_map(|(_, l)| l.items()));
    }
    if let Some(list) = root.get("suppressions") {
        named.extend(list.items().filter_map(|e| e.get("rule")));
    }
    for node in named {
        let id = node.str().unwrap_or("");
        if !known.contains(&id) {
            return Err(err(
                node.span(),
                format!(
                    "`{id}` is not a rule id or a policy of this config{}",
                    suggest(id, &known)
                ),
            ));
        }
    }
    Ok(())
}

fn strings(node: NodeRef<'_>) -> Vec<String> {
    node.items()
        .filter_map(|i| i.str().map(str::to_string))
        .collect()
}

fn glob(
    node: NodeRef<'_>,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<GlobMatcher, ConfigError> {
    glob_pattern(node, err).map(|g| g.compile_matcher())
}

fn glob_pattern(
    node: NodeRef<'_>,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<Glob, ConfigError> {
    let text = node.str().unwrap_or("");
    Glob::new(text).map_err(|e| err(node.span(), format!("`{text}` is not a valid glob: {e}")))
}

/// The JSON Schema of `.pipelint.yaml`, built from the rule registry so that rule ids and
/// their options are always the ones the binary has. `pipelint config --schema` prints it.
pub fn schema() -> &'static Value {
    static SCHEMA: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        // Rule ids are checked after loading, against the rules and the config's policies.
        let id_list = json!({"type": "array", "items": {"type": "string"}});
        let string_list = json!({"type": "array", "items": {"type": "string"}});
        let mut rules = serde_json::Map::new();
        for rule in registry::all() {
            let mut props = serde_json::Map::new();
            props.insert(
                "severity".into(),
                // `off` unquoted is a YAML 1.1 boolean (false): both spellings mean off.
                json!({"enum": ["error", "warning", "info", "off", false]}),
            );
            for option in rule.meta().options {
                let schema = match option.kind {
                    OptionKind::Strings | OptionKind::Regexes => string_list.clone(),
                    OptionKind::Integer => json!({"type": "integer", "minimum": 0}),
                    OptionKind::Bool => json!({"type": "boolean"}),
                };
                props.insert(option.name.into(), schema);
            }
            rules.insert(
                rule.meta().id.into(),
                json!({"type": ["object", "null"], "additionalProperties": false, "properties": props}),
            );
        }
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "pipelint configuration (.pipelint.yaml)",
            "type": ["object", "null"],
            "additionalProperties": false,
            "properties": {
                "kfp-backend-version": {"type": ["string", "number"]},
                "argo-version": {"type": ["string", "number"]},
                "select": id_list,
                "ignore": id_list,
                "exclude": string_list,
                "per-file-ignores": {"type": "object", "additionalProperties": id_list},
                "classify": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {"idempotent": string_list, "io": string_list, "deterministic": string_list}
                },
                "knowledge": {
                    "type": "array",
                    "items": crate::analysis::knowledge::row_schema()
                },
                "suppressions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["rule"],
                        "properties": {
                            "path": {"type": "string"},
                            "rule": {"type": "string"},
                            "step": {"type": "string"},
                            "reason": {"type": "string"}
                        }
                    }
                },
                "require-suppression-reason": {"type": "boolean"},
                "docs-url": {"type": "string"},
                "kfp-source": {"type": "string", "minLength": 1},
                "policies": true,
                "limits": {
                    "type": ["object", "null"],
                    "additionalProperties": false,
                    "properties": {
                        "max-file-size": {"type": "integer", "minimum": 1},
                        "max-nesting-depth": {"type": "integer", "minimum": 1, "maximum": crate::limits::MAX_NESTING_DEPTH_CAP},
                        "max-alias-expansion": {"type": "integer", "minimum": 0},
                        "file-time-budget": {"type": "integer", "minimum": 1}
                    }
                },
                "rules": {"type": ["object", "null"], "additionalProperties": false, "properties": rules}
            }
        })
    });
    &SCHEMA
}

/// The key names valid at a JSON pointer of the config, for "did you mean" hints.
fn names_at(pointer: &str) -> Vec<String> {
    let mut node = schema();
    for segment in pointer.split('/').skip(1) {
        let next = node
            .get("properties")
            .and_then(|p| p.get(segment))
            .or_else(|| segment.parse::<usize>().ok().and(node.get("items")))
            .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
        match next {
            Some(n) => node = n,
            None => return Vec::new(),
        }
    }
    node.get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Validates the config with the `jsonschema` crate; the first problem in file order is the
/// error, at the offending key.
fn validate_against_schema(
    root: NodeRef<'_>,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<(), ConfigError> {
    static VALIDATOR: std::sync::LazyLock<Option<jsonschema::Validator>> =
        std::sync::LazyLock::new(|| jsonschema::validator_for(schema()).ok());
    let Some(validator) = VALIDATOR.as_ref() else {
        return Ok(()); // the built-in schema always compiles (tested)
    };
    let instance = crate::yaml::json::to_json(root);
    let mut problems: Vec<(Span, String)> = Vec::new();
    for error in validator.iter_errors(&instance) {
        let pointer = error.instance_path().as_str().to_string();
        match error.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                let names = names_at(&pointer);
                let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
                for key in unexpected {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    let node =
                        crate::yaml::json::key_at_pointer(root, &format!("{pointer}/{escaped}"));
                    let place = if pointer.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " under `{}`",
                            pointer.trim_start_matches('/').replace('/', ".")
                        )
                    };
                    problems.push((
                        node.span(),
                        format!("unknown key `{key}`{place}{}", suggest(key, &candidates)),
                    ));
                }
            }
            jsonschema::error::ValidationErrorKind::Enum { .. } => {
                let node = crate::yaml::json::node_at_pointer(root, &pointer);
                let value = node.scalar_text().unwrap_or("");
                let ids: Vec<&str> = registry::all().iter().map(|r| r.meta().id).collect();
                let what = if pointer.ends_with("severity") {
                    format!("`{value}` is not a severity (error, warning, info or off)")
                } else {
                    format!("`{value}` is not a rule id{}", suggest(value, &ids))
                };
                problems.push((node.span(), what));
            }
            _ => {
                let node = crate::yaml::json::node_at_pointer(root, &pointer);
                let field = pointer.trim_start_matches('/').replace('/', ".");
                problems.push((node.span(), format!("`{field}`: {}", error.masked())));
            }
        }
    }
    problems.sort_by_key(|(span, _)| span.start);
    match problems.into_iter().next() {
        Some((span, message)) => Err(err(span, message)),
        None => Ok(()),
    }
}

fn show(node: NodeRef<'_>) -> String {
    match node.scalar_text() {
        Some(s) => format!("`{s}`"),
        None => node.describe().to_string(),
    }
}

/// " (did you mean `x`?)" for the closest candidate, if one is close: a few edits away, or
/// sharing a long prefix (`cache-on-random` for `cache-on-random-step`).
pub(crate) fn suggest(name: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (c, strsim::jaro_winkler(name, c)))
        .filter(|(c, score)| strsim::levenshtein(name, c) <= 3 || *score >= 0.9)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| format!(" (did you mean `{c}`?)"))
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
                            format!(
                                "`{s}` is not a valid regular expression: {}",
                                regex_problem(&e)
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(OptionValue::Regexes)
        }
    }
}

/// The regex crate's syntax error in one line: its display draws the pattern with a caret
/// over several lines and ends with its own `error: ...` line, which reads as a second error.
fn regex_problem(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    last.trim().trim_start_matches("error: ").to_string()
}

/// The effective configuration as text: where it comes from and every value that differs
/// from the defaults (`pipelint config --show`).
pub fn describe(config: &Config) -> String {
    let mut out = String::new();
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    match &config.path {
        Some(p) if config.empty => out.push_str(&format!(
            "# from {}, which is empty: built-in defaults\n",
            p.display()
        )),
        Some(p) => out.push_str(&format!("# from {}\n", p.display())),
        None => out.push_str("# no .pipelint.yaml applies: built-in defaults\n"),
    }
    for value in &config.values_set {
        out.push_str(&format!("# with --config {value}\n"));
    }
    let version = |v: Option<Version>| v.map_or("(not set)".to_string(), |v| v.to_string());
    out.push_str(&format!(
        "kfp-backend-version: {}\n",
        version(config.kfp_backend_version)
    ));
    out.push_str(&format!("argo-version: {}\n", version(config.argo_version)));
    out.push_str(&format!(
        "select: {}\n",
        if config.select.is_empty() {
            "[all]".to_string()
        } else {
            list(&config.select)
        }
    ));
    out.push_str(&format!("ignore: {}\n", list(&config.ignore)));
    out.push_str(&format!("exclude: {}\n", list(&config.exclude_patterns)));
    out.push_str("per-file-ignores:");
    if config.per_file_ignores.is_empty() {
        out.push_str(" {}");
    }
    out.push('\n');
    for (pattern, _, rules) in &config.per_file_ignores {
        out.push_str(&format!("  '{pattern}': {}\n", list(rules)));
    }
    let globs =
        |v: &[(String, GlobMatcher)]| list(&v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>());
    out.push_str(&format!(
        "classify:\n  idempotent: {}\n  io: {}\n  deterministic: {}\n",
        globs(&config.classify.idempotent),
        globs(&config.classify.io),
        globs(&config.classify.deterministic)
    ));
    out.push_str(&format!(
        "suppressions: {} entries\n",
        config.suppressions.len()
    ));
    out.push_str(&format!(
        "require-suppression-reason: {}\n",
        config.require_suppression_reason
    ));
    out.push_str(&format!(
        "docs-url: {}\n",
        config
            .docs_url
            .as_deref()
            .unwrap_or("(none: `pipelint rule <id>`)")
    ));
    out.push_str("policies:");
    if config.policies.is_empty() {
        out.push_str(" []");
    }
    out.push('\n');
    for policy in &config.policies {
        let enabled = if config.rule_enabled(policy.id, None) {
            ""
        } else {
            "  # not selected"
        };
        out.push_str(&format!(
            "  - id: {}{enabled}\n    severity: {}\n    scope: {}\n    from: {}\n",
            policy.id,
            policy.severity.as_str(),
            match policy.scope {
                crate::policy::Scope::Step => "step",
                crate::policy::Scope::Pipeline => "pipeline",
            },
            policy.source.display()
        ));
    }
    out.push_str("rules:\n");
    for rule in registry::all() {
        let meta = rule.meta();
        let rc = config.rule(meta.id);
        let severity = match rc.and_then(|r| r.severity) {
            Some(RuleSeverity::Off) => "off".to_string(),
            Some(RuleSeverity::Set(s)) => s.as_str().to_string(),
            None => meta.default_severity.as_str().to_string(),
        };
        let enabled = if config.rule_enabled(meta.id, None) {
            ""
        } else {
            "  # not selected"
        };
        out.push_str(&format!(
            "  {}:{enabled}\n    severity: {severity}\n",
            meta.id
        ));
        for option in meta.options {
            let value = match rc.and_then(|r| r.options.get(option.name)) {
                Some(OptionValue::Strings(v)) => list(v),
                Some(OptionValue::Regexes(v)) => list(
                    &v.iter()
                        .map(|r| format!("'{}'", r.as_str()))
                        .collect::<Vec<_>>(),
                ),
                Some(OptionValue::Integer(i)) => i.to_string(),
                Some(OptionValue::Bool(b)) => b.to_string(),
                None => option.default.to_string(),
            };
            out.push_str(&format!("    {}: {value}\n", option.name));
        }
    }
    out
}

/// Finds and loads the config that applies to each file, each config file read once.
#[derive(Default)]
pub struct ConfigResolver {
    explicit: Option<Arc<Config>>,
    by_dir: HashMap<PathBuf, Arc<Config>>,
    /// The built-in defaults with the overrides applied, made once.
    defaults: Option<Arc<Config>>,
    overrides: Overrides,
    /// The folder of the last file asked about, as given, and its config: files come
    /// sorted, a folder's files one after another, and they need neither the absolute
    /// folder (a `getcwd` each) nor a lookup.
    last: Option<(PathBuf, Arc<Config>)>,
}

/// Values from the command line that beat every config file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub kfp_backend_version: Option<Version>,
    pub argo_version: Option<Version>,
    /// `--strict-refs`: the WorkflowTemplates collected from every input.
    pub known_templates: Option<Arc<crate::refs::KnownTemplates>>,
    /// `--image-digests FILE`, read once.
    pub image_digests: Option<Arc<crate::fix::digests::ImageDigests>>,
    /// `--max-file-size`, `--max-nesting-depth`, `--max-alias-expansion`, `--file-time-budget`.
    pub limits: crate::limits::Configured,
    /// `--select`, `--extend-select`, `--ignore`.
    pub selection: Selection,
    /// `--config KEY=VALUE`, in command-line order (a later one wins).
    pub values: Vec<ConfigValue>,
}

/// Rule selection from the command line, applied on top of each config's own as ruff does:
/// `--select` replaces the config's selection (its `select`, `ignore` and `severity: off`),
/// `--extend-select` adds to it, `--ignore` removes from the result. `per-file-ignores`
/// still apply.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    fn is_empty(&self) -> bool {
        self.select.is_none() && self.extend_select.is_empty() && self.ignore.is_empty()
    }

    /// Every id must be a rule or a policy of `config`: a typo is an error with a suggestion.
    fn check(&self, config: &Config) -> Result<(), ConfigError> {
        let known = config.known_ids();
        let flags = [
            ("--select", self.select.as_deref().unwrap_or_default()),
            ("--extend-select", &self.extend_select[..]),
            ("--ignore", &self.ignore[..]),
        ];
        for (flag, ids) in flags {
            if let Some(id) = ids.iter().find(|id| !known.contains(&id.as_str())) {
                let of = match &config.path {
                    Some(path) => format!("a policy of {}", path.display()),
                    None => "a policy".to_string(),
                };
                return Err(ConfigError {
                    path: PathBuf::from(flag),
                    line: 0,
                    column: 0,
                    message: format!("`{id}` is not a rule id or {of}{}", suggest(id, &known)),
                });
            }
        }
        Ok(())
    }

    fn apply(&self, config: &mut Config) {
        let turn_on = |config: &mut Config, id: &str| {
            config.ignore.retain(|i| i != id);
            if let Some(rc) = config.rules.get_mut(id) {
                if rc.severity == Some(RuleSeverity::Off) {
                    rc.severity = None;
                }
            }
        };
        if let Some(select) = &self.select {
            config.select = select.clone();
            config.select_covers_policies = true;
            config.ignore.clear();
            for id in select {
                turn_on(config, id);
            }
        }
        for id in &self.extend_select {
            turn_on(config, id);
            if !config.select.is_empty() && !config.select.contains(id) {
                config.select.push(id.clone());
            }
        }
        config.ignore.extend(self.ignore.iter().cloned());
    }
}

/// `--config KEY=VALUE`: one config key (dotted for nested keys, as in
/// `rules.unpinned-image.severity`) set to a YAML value, as if the config file said so.
#[derive(Clone, Debug)]
pub struct ConfigValue {
    /// As typed, for messages.
    pub text: String,
    pub key: Vec<String>,
    pub value: Value,
}

impl ConfigValue {
    /// `None` when `text` is not `KEY=VALUE` (then it names a config file).
    pub fn parse(text: &str) -> Option<Result<ConfigValue, String>> {
        let (key, value) = text.split_once('=')?;
        let key: Vec<String> = key
            .trim()
            .split('.')
            .map(|k| k.trim().to_string())
            .collect();
        if key.iter().any(String::is_empty) {
            return Some(Err(format!(
                "`{text}`: the key should be a config key like `argo-version` or `rules.unpinned-image.severity`"
            )));
        }
        let yaml = parse(value, &ParseLimits::default());
        if let Some(e) = yaml.errors.first() {
            return Some(Err(format!(
                "`{text}`: the value is not YAML: {}",
                e.message
            )));
        }
        let value = yaml
            .documents
            .first()
            .and_then(|d| d.root(value))
            .map(crate::yaml::json::to_json)
            .unwrap_or(Value::Null);
        Some(Ok(ConfigValue {
            text: text.to_string(),
            key,
            value,
        }))
    }

    /// Sets the key in a config document (a JSON object), creating the mappings above it.
    fn set_in(&self, doc: &mut Value) {
        let mut node = doc;
        for (i, key) in self.key.iter().enumerate() {
            if !node.is_object() {
                *node = Value::Object(serde_json::Map::new());
            }
            let map = node.as_object_mut().expect("made an object above");
            if i + 1 == self.key.len() {
                map.insert(key.clone(), self.value.clone());
                return;
            }
            node = map.entry(key.clone()).or_insert(Value::Null);
        }
    }
}

impl Overrides {
    fn apply(&self, mut config: Config) -> Result<Config, ConfigError> {
        if self.kfp_backend_version.is_some() {
            config.kfp_backend_version = self.kfp_backend_version;
        }
        if self.argo_version.is_some() {
            config.argo_version = self.argo_version;
        }
        if self.known_templates.is_some() {
            config.known_templates = self.known_templates.clone();
        }
        if self.image_digests.is_some() {
            config.image_digests = self.image_digests.clone();
        }
        config.limits = config.limits.overridden_by(self.limits);
        if !self.selection.is_empty() {
            self.selection.check(&config)?;
            self.selection.apply(&mut config);
        }
        Ok(config)
    }

    /// Loads a config file (or the defaults, for `None`) with the `--config KEY=VALUE` values
    /// set in it, then the other overrides applied.
    fn load(&self, path: Option<&Path>) -> Result<Config, ConfigError> {
        let base = match path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        if self.values.is_empty() {
            return self.apply(base);
        }
        // Each value alone first, so that a typo in one is reported against what was typed.
        for value in &self.values {
            let mut doc = Value::Object(serde_json::Map::new());
            value.set_in(&mut doc);
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            if let Err(mut e) = Config::from_text_checked(Path::new("--config"), &text, false) {
                e.path = PathBuf::from(format!("--config {}", value.text));
                e.line = 0;
                return Err(e);
            }
        }
        let mut doc = match path {
            Some(path) => {
                let text =
                    crate::files::read_regular_text(path, crate::limits::DEFAULT_MAX_FILE_SIZE)
                        .unwrap_or_default();
                let yaml = parse(&text, &ParseLimits::default());
                yaml.documents
                    .first()
                    .and_then(|d| d.root(&text))
                    .map(crate::yaml::json::to_json)
                    .unwrap_or(Value::Null)
            }
            None => Value::Null,
        };
        for value in &self.values {
            value.set_in(&mut doc);
        }
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        // Without a file, relative paths (policy folders, `exclude`) are read from the
        // current directory.
        let at = path.map_or_else(|| PathBuf::from(CONFIG_FILE), Path::to_path_buf);
        let mut config = Config::from_text(&at, &text).map_err(|mut e| {
            // A position in the merged document would mean nothing to the user.
            e.path = PathBuf::from(format!("{} with --config values", at.display()));
            e.line = 0;
            e
        })?;
        if path.is_none() {
            config.path = None;
        }
        config.values_set = self.values.iter().map(|v| v.text.clone()).collect();
        self.apply(config)
    }
}

impl ConfigResolver {
    pub fn new(
        explicit: Option<&Path>,
        overrides: Overrides,
    ) -> Result<ConfigResolver, ConfigError> {
        let explicit = match explicit {
            Some(path) => Some(Arc::new(overrides.load(Some(path))?)),
            None => None,
        };
        Ok(ConfigResolver {
            explicit,
            by_dir: HashMap::new(),
            defaults: None,
            overrides,
            last: None,
        })
    }

    /// The config for a file: `--config`, else the nearest `.pipelint.yaml` above it, else
    /// the defaults.
    pub fn for_file(&mut self, file: &Path) -> Result<Arc<Config>, ConfigError> {
        if let Some(config) = &self.explicit {
            return Ok(config.clone());
        }
        // A name (not `.`, `..` or `/`) in a folder, which alone decides.
        let named = matches!(
            file.components().next_back(),
            Some(std::path::Component::Normal(_))
        );
        let folder = file.parent().filter(|_| named);
        if let (Some(folder), Some((last, config))) = (folder, &self.last) {
            if last == folder {
                return Ok(config.clone());
            }
        }
        let config = self.for_folder_of(file)?;
        if let Some(folder) = folder {
            self.last = Some((folder.to_path_buf(), config.clone()));
        }
        Ok(config)
    }

    /// [`ConfigResolver::for_file`], looked up.
    fn for_folder_of(&mut self, file: &Path) -> Result<Arc<Config>, ConfigError> {
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
            // Whatever is there is loaded, so that a committed link to a FIFO or a device
            // is an error naming it, not silently replaced by the defaults.
            if std::fs::symlink_metadata(&candidate).is_ok() {
                found = Some(Arc::new(self.overrides.load(Some(&candidate))?));
                break;
            }
            dir = d.parent();
        }
        let config = match found {
            Some(config) => config,
            None => match &self.defaults {
                Some(config) => config.clone(),
                None => {
                    let config = Arc::new(self.overrides.load(None)?);
                    self.defaults = Some(config.clone());
                    config
                }
            },
        };
        for d in visited {
            self.by_dir.insert(d, config.clone());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last folder's config is reused only for files of that same folder: files of
    /// folders that alternate, and a file beneath, each get their own folder's config.
    #[test]
    fn each_file_gets_its_folders_config_when_folders_alternate() {
        let root = std::env::temp_dir().join(format!("pipelint-resolver-{}", std::process::id()));
        std::fs::create_dir_all(root.join("a/deeper")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("a/.pipelint.yaml"), "ignore: [missing-timeout]\n").unwrap();
        std::fs::write(root.join("b/.pipelint.yaml"), "ignore: [unpinned-image]\n").unwrap();
        let mut resolver = ConfigResolver::new(None, Overrides::default()).unwrap();
        let mut config = |path: &str| resolver.for_file(&root.join(path)).unwrap();
        let a = config("a/x.yaml");
        let b = config("b/x.yaml");
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&config("a/y.yaml"), &a));
        assert!(Arc::ptr_eq(&config("a/deeper/z.yaml"), &a));
        assert!(Arc::ptr_eq(&config("b/y.yaml"), &b));
        assert!(Arc::ptr_eq(&config("b/z.yaml"), &b));
        let outside = config("x.yaml");
        assert!(!Arc::ptr_eq(&outside, &a) && !Arc::ptr_eq(&outside, &b));
        assert!(Arc::ptr_eq(&config("a/z.yaml"), &a));
        std::fs::remove_dir_all(root).unwrap();
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_text(Path::new(".pipelint.yaml"), text)
    }

    /// A config gets the limits of a pipeline, and one over them is an error at a position:
    /// never the defaults in its place (the `ignore:` beside the bomb is not dropped quietly).
    #[test]
    fn a_config_too_complex_is_an_error_at_a_position() {
        let mut bomb =
            "ignore: [missing-timeout]\nx:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
        }
        let e = load(&bomb).unwrap_err();
        assert_eq!((e.line, e.column), (8, 47), "{e:?}");
        assert!(e
            .message
            .contains("too complex: aliases expand to more than 1000000 nodes"));
        let e = load(&format!("ignore: {}\n", "[".repeat(1_000))).unwrap_err();
        assert_eq!((e.line, e.column), (1, 264), "{e:?}");
        assert!(
            e.message.contains("nested more than 255 levels deep"),
            "{e:?}"
        );
        // The look-alike: an alias within the limits is read.
        let c = load("rules:\n  unpinned-image: &r {severity: warning}\n  missing-timeout: *r\n")
            .unwrap();
        assert_eq!(
            c.rule("missing-timeout").unwrap().severity,
            Some(RuleSeverity::Set(Severity::Warning))
        );
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
    fn a_typo_names_its_position_and_the_likely_key() {
        let e = load("rules:\n  unpinned-image:\n    serverity: error\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 5));
        assert!(
            e.message.contains("unknown key `serverity`")
                && e.message.contains("did you mean `severity`?"),
            "{}",
            e.message
        );
        let e = load("select: [unpinned-image, cache-on-random]\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 26));
        assert!(
            e.message.contains("did you mean `cache-on-random-step`?"),
            "{}",
            e.message
        );
        let e = load("classify:\n  idempotent: publish-*\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = load("exclude: ['a/[']\n").unwrap_err();
        assert!(e.message.contains("not a valid glob"), "{}", e.message);
    }

    #[test]
    fn an_unquoted_off_is_off() {
        let c = load("rules:\n  unpinned-image:\n    severity: off\n").unwrap();
        assert!(!c.rule_enabled("unpinned-image", None));
    }

    #[test]
    fn selection_and_per_file_ignores() {
        let c = load("select: [unpinned-image, missing-resource-limits]\nignore: [missing-resource-limits]\nper-file-ignores:\n  'legacy/**': [unpinned-image]\n").unwrap();
        assert!(c.rule_enabled("unpinned-image", Some(Path::new("new/a.yaml"))));
        assert!(!c.rule_enabled("unpinned-image", Some(Path::new("legacy/x/a.yaml"))));
        assert!(!c.rule_enabled("missing-resource-limits", None));
        assert!(!c.rule_enabled("cache-on-random-step", None));
    }

    #[test]
    fn the_schema_compiles() {
        assert!(jsonschema::validator_for(schema()).is_ok());
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("kfp-2.0.0-beta.16"), Some(Version(2, 0, 0)));
        assert_eq!(Version::parse("2.14"), Some(Version(2, 14, 0)));
        assert!(Version(2, 14, 0) > Version(2, 5, 0));
        assert_eq!(Version::parse("two"), None);
    }
}
