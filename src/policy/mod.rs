//! Organisation policies: rules declared in `.pipelint.yaml` (or in files it names), each a
//! JSON Schema that the JSON view of every step, or of every pipeline, must satisfy.
//! The views and their fields are documented in `rules/policies.md`.
//!
//! ```yaml
//! policies:
//!   - id: approved-registries
//!     severity: error
//!     message: images come from the company registries
//!     scope: step
//!     schema:
//!       properties:
//!         images:
//!           items:
//!             properties:
//!               registry: {enum: [ghcr.io, europe-docker.pkg.dev]}
//!   - policies/          # a folder of policy files (or one file), relative to the config
//! ```
//!
//! Policies are compiled when the config is read: a policy that does not compile is a
//! config error with its file, line and column. Regular expressions in schemas (`pattern`,
//! `patternProperties`) run on the `regex` crate's engine, in time linear in the input:
//! look-around and backreferences are rejected when the policy is compiled.

mod quantity;
mod view;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::{PatternOptions, Validator};

use crate::config::ConfigError;
use crate::finding::{Finding, Severity};
use crate::rules::{registry, FileContext};
use crate::yaml::json::{node_at_pointer, to_json};
use crate::yaml::{LineIndex, NodeRef, Span};

pub use view::{pipeline_view, split_image, step_view, Shape, View};

/// What a policy's schema is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every step that runs a user's container.
    Step,
    /// Every pipeline (its steps are in the view).
    Pipeline,
}

/// One policy, compiled.
pub struct Policy {
    /// Reported as the finding's rule id.
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub scope: Scope,
    /// The file that declares it (the config, or a file under a policies folder).
    pub source: PathBuf,
    validator: Validator,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("id", &self.id)
            .field("severity", &self.severity)
            .field("scope", &self.scope)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Policy ids live as long as the process: findings carry rule ids as `&'static str`.
/// Each distinct id is stored once, however often configs are (re)loaded.
fn intern(id: &str) -> &'static str {
    static IDS: LazyLock<Mutex<BTreeSet<&'static str>>> =
        LazyLock::new(|| Mutex::new(BTreeSet::new()));
    let mut ids = IDS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = ids.get(id) {
        return known;
    }
    let leaked: &'static str = Box::leak(id.to_string().into_boxed_str());
    ids.insert(leaked);
    leaked
}

const KEYS: &[&str] = &["id", "severity", "message", "help", "scope", "schema"];

/// At most this many policy files are read from one folder (folders are not walked).
const MAX_FILES: usize = 1000;

/// Builds a [`ConfigError`] at a span of one file.
struct Errors<'a> {
    path: &'a Path,
    lines: LineIndex,
}

impl Errors<'_> {
    fn at(&self, span: Span, message: impl Into<String>) -> ConfigError {
        let at = self.lines.line_col(span.start);
        ConfigError {
            path: self.path.to_path_buf(),
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }
}

/// Reads `policies:` of a config: a list of policies and of paths (files, or folders of
/// `*.yaml`/`*.yml` files, relative to the config's folder) holding one policy or a list.
/// `err` places an error in the config file itself.
pub fn read(
    node: NodeRef<'_>,
    config_path: &Path,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<Vec<Arc<Policy>>, ConfigError> {
    let mut policies: Vec<Arc<Policy>> = Vec::new();
    if node.is_null() {
        return Ok(policies);
    }
    let items: Vec<NodeRef<'_>> = if node.is_sequence() {
        node.items().collect()
    } else if node.is_scalar() {
        vec![node]
    } else {
        return Err(err(
            node.span(),
            format!(
                "`policies` should be a list of policies or of paths, not {}",
                node.describe()
            ),
        ));
    };
    let base = config_path.parent().unwrap_or(Path::new(""));
    for item in items {
        if item.is_mapping() {
            let policy = compile(item, config_path, err)?;
            push_unique(&mut policies, policy, item, err)?;
            continue;
        }
        let Some(relative) = item.str().filter(|_| item.is_scalar() && !item.is_null()) else {
            return Err(err(
                item.span(),
                format!(
                    "items of `policies` should be policies (mappings) or paths, not {}",
                    item.describe()
                ),
            ));
        };
        let path = base.join(relative);
        let files = policy_files(&path)
            .map_err(|e| err(item.span(), format!("cannot read `{relative}`: {e}")))?;
        for file in files {
            read_file(&file, &mut policies)?;
        }
    }
    Ok(policies)
}

/// The policy files a path names: itself, or the YAML files of a folder, sorted.
fn policy_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            // Not only regular files: a FIFO or a link to a device named `*.yaml` is an
            // error when it is read, not skipped without a word.
            !p.is_dir()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e == "yaml" || e == "yml")
        })
        .take(MAX_FILES)
        .collect();
    files.sort();
    Ok(files)
}

fn read_file(path: &Path, policies: &mut Vec<Arc<Policy>>) -> Result<(), ConfigError> {
    // Read like a config: only a regular file, only up to the size a pipeline may have.
    let text = crate::files::read_regular_text(path, crate::limits::DEFAULT_MAX_FILE_SIZE)
        .map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("cannot read the policy file: {e}"),
        })?;
    let errors = Errors {
        path,
        lines: LineIndex::new(&text),
    };
    let err = |span: Span, message: String| errors.at(span, message);
    let yaml = crate::config::parse_bounded(&text, &err)?;
    if let Some(e) = yaml.errors.first() {
        return Err(err(e.span, format!("invalid YAML: {}", e.message)));
    }
    if let Some(dup) = yaml.duplicate_keys.first() {
        return Err(err(dup.second, format!("`{}` is set twice", dup.key)));
    }
    for document in &yaml.documents {
        let Some(root) = document.root(&text) else {
            continue;
        };
        let items: Vec<NodeRef<'_>> = if root.is_sequence() {
            root.items().collect()
        } else {
            vec![root]
        };
        for item in items {
            if item.is_null() {
                continue;
            }
            if !item.is_mapping() {
                return Err(err(
                    item.span(),
                    format!("a policy should be a mapping, not {}", item.describe()),
                ));
            }
            let policy = compile(item, path, &err)?;
            push_unique(policies, policy, item, &err)?;
        }
    }
    Ok(())
}

fn push_unique(
    policies: &mut Vec<Arc<Policy>>,
    policy: Policy,
    item: NodeRef<'_>,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<(), ConfigError> {
    if let Some(other) = policies.iter().find(|p| p.id == policy.id) {
        let at = item.get("id").map_or(item.span(), |n| n.span());
        return Err(err(
            at,
            format!(
                "policy `{}` is declared twice (also in {})",
                policy.id,
                other.source.display()
            ),
        ));
    }
    policies.push(Arc::new(policy));
    Ok(())
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && id.as_bytes()[0].is_ascii_lowercase()
}

/// Deeper schemas are refused: the validator recurses once per level.
const MAX_SCHEMA_DEPTH: usize = 64;

/// Reads and compiles one policy mapping.
fn compile(
    item: NodeRef<'_>,
    source: &Path,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<Policy, ConfigError> {
    for (key, _) in item.entries() {
        let name = key.str().unwrap_or("");
        if !KEYS.contains(&name) {
            let hint = KEYS
                .iter()
                .filter(|k| strsim::levenshtein(name, k) <= 2)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .next()
                .unwrap_or_default();
            return Err(err(
                key.span(),
                format!(
                    "unknown key `{name}` in a policy{hint}; a policy has {}",
                    KEYS.join(", ")
                ),
            ));
        }
    }
    let text = |key: &str, required: bool| -> Result<Option<String>, ConfigError> {
        match item.get(key) {
            None if required => Err(err(
                item.span(),
                format!("this policy has no `{key}`; a policy needs id, severity, message, scope and schema"),
            )),
            None => Ok(None),
            Some(v) => match v.str() {
                Some(s) if v.is_scalar() && !v.is_null() && !s.trim().is_empty() => {
                    Ok(Some(s.to_string()))
                }
                _ => Err(err(
                    v.span(),
                    format!("`{key}` should be a non-empty string, not {}", v.describe()),
                )),
            },
        }
    };
    let id = text("id", true)?.unwrap_or_default();
    let id_span = item.get("id").map_or(item.span(), |n| n.span());
    if !is_kebab_id(&id) {
        return Err(err(
            id_span,
            format!("policy id `{id}` should be lower-case words joined by `-`, like `approved-registries`"),
        ));
    }
    if registry::find(&id).is_some() {
        return Err(err(
            id_span,
            format!("`{id}` is a built-in rule; give the policy another id"),
        ));
    }
    let severity_text = text("severity", true)?.unwrap_or_default();
    let severity = match severity_text.as_str() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        other => {
            return Err(err(
                item.get("severity").map_or(item.span(), |n| n.span()),
                format!("`severity` should be error, warning or info, not `{other}`"),
            ))
        }
    };
    let message = text("message", true)?.unwrap_or_default();
    let help = text("help", false)?;
    let scope = match text("scope", true)?.unwrap_or_default().as_str() {
        "step" => Scope::Step,
        "pipeline" => Scope::Pipeline,
        other => {
            return Err(err(
                item.get("scope").map_or(item.span(), |n| n.span()),
                format!("`scope` should be step or pipeline, not `{other}`"),
            ))
        }
    };
    let Some(schema_node) = item.get("schema") else {
        return Err(err(
            item.span(),
            "this policy has no `schema`; a policy needs id, severity, message, scope and schema"
                .to_string(),
        ));
    };
    if !(schema_node.is_mapping() || schema_node.as_bool().is_some()) {
        return Err(err(
            schema_node.span(),
            format!(
                "`schema` should be a JSON Schema (a mapping), not {}",
                schema_node.describe()
            ),
        ));
    }
    if schema_node.depth_up_to(MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH {
        return Err(err(
            schema_node.span(),
            format!("policy `{id}`: the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
        ));
    }
    let shape = match scope {
        Scope::Step => &view::STEP_SHAPE,
        Scope::Pipeline => &view::PIPELINE_SHAPE,
    };
    check_fields(schema_node, shape, &id, scope, err)?;
    let schema = to_json(schema_node);
    let validator = jsonschema::options()
        // The `regex` crate: linear time, no look-around or backreferences.
        .with_pattern_options(PatternOptions::regex())
        .build(&schema)
        .map_err(|e| {
            let pointer = e.instance_path().as_str().to_string();
            let node = node_at_pointer(schema_node, &pointer);
            let place = if pointer.is_empty() {
                String::new()
            } else {
                format!(" at `schema{}`", pointer.replace('/', "."))
            };
            let hint = if pointer.contains("pattern") {
                " (patterns run on the linear-time `regex` engine: no look-around, no backreferences)"
            } else {
                ""
            };
            err(
                node.span(),
                format!("policy `{id}`: the schema does not compile{place}: {e}{hint}"),
            )
        })?;
    Ok(Policy {
        id: intern(&id),
        severity,
        message,
        help,
        scope,
        source: source.to_path_buf(),
        validator,
    })
}

/// Keywords whose subschemas apply to the same value as the schema they are in.
const SAME_VALUE: &[&str] = &["allOf", "anyOf", "oneOf", "not", "if", "then", "else"];
/// Keywords whose subschemas apply to the items of an array.
const ITEMS: &[&str] = &["items", "contains", "prefixItems", "additionalItems"];

/// The subschemas under these keywords: one schema, or each of a list (`allOf: [...]`).
fn subschemas<'a>(schema: NodeRef<'a>, keywords: &[&str]) -> Vec<NodeRef<'a>> {
    let mut out = Vec::new();
    for sub in keywords.iter().filter_map(|k| schema.get(k)) {
        if sub.is_sequence() {
            out.extend(sub.items());
        } else {
            out.push(sub);
        }
    }
    out
}

/// Every property a schema names (under `properties`, `required`, `dependentRequired`) must
/// be a field of the view at that place: a misspelt one would make the policy silently
/// never fire. The error names the field, suggests the closest and lists the others.
fn check_fields(
    schema: NodeRef<'_>,
    shape: &Shape,
    id: &str,
    scope: Scope,
    err: &dyn Fn(Span, String) -> ConfigError,
) -> Result<(), ConfigError> {
    if !schema.is_mapping() {
        return Ok(());
    }
    for sub in subschemas(schema, SAME_VALUE) {
        check_fields(sub, shape, id, scope, err)?;
    }
    match shape {
        Shape::Open => Ok(()),
        Shape::Array(item) => {
            for sub in subschemas(schema, ITEMS) {
                check_fields(sub, item, id, scope, err)?;
            }
            Ok(())
        }
        Shape::Object(fields) => {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            let unknown = |node: NodeRef<'_>| -> ConfigError {
                let name = node.str().unwrap_or("");
                let view = match scope {
                    Scope::Step => "step",
                    Scope::Pipeline => "pipeline",
                };
                err(
                    node.span(),
                    format!(
                        "policy `{id}`: the {view} view has no field `{name}` here, so this would never match{}; the fields here: {} (rules/policies.md)",
                        crate::config::suggest(name, &names),
                        names.join(", ")
                    ),
                )
            };
            if let Some(properties) = schema.get("properties") {
                for (key, sub) in properties.entries() {
                    let name = key.str().unwrap_or("");
                    match fields.iter().find(|(n, _)| *n == name) {
                        Some((_, field)) => check_fields(sub, field, id, scope, err)?,
                        None => return Err(unknown(key)),
                    }
                }
            }
            if let Some(required) = schema.get("required") {
                for item in required.items() {
                    if !names.contains(&item.str().unwrap_or("")) {
                        return Err(unknown(item));
                    }
                }
            }
            if let Some(dependent) = schema.get("dependentRequired") {
                for (key, list) in dependent.entries() {
                    for node in std::iter::once(key).chain(list.items()) {
                        if !names.contains(&node.str().unwrap_or("")) {
                            return Err(unknown(node));
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

/// A schema error's text for a label: values under `env` are masked (they may be
/// credentials), and long texts are cut.
fn describe(error: &jsonschema::ValidationError<'_>, pointer: &str) -> String {
    let message = if pointer.contains("/env") {
        error.masked().to_string()
    } else {
        error.to_string()
    };
    // `/containers/0/resources/limits/memory_bytes` -> `containers[0].resources.limits.memory_bytes`
    let mut field = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty() {
            field.push_str(&format!("[{token}]"));
        } else {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(&token);
        }
    }
    let text = if field.is_empty() {
        message
    } else {
        format!("`{field}`: {message}")
    };
    if text.chars().count() > 160 {
        let cut: String = text.chars().take(157).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn violations(policy: &Policy, view: &View) -> Vec<(Span, String)> {
    let mut out: Vec<(Span, String)> = Vec::new();
    for error in policy.validator.iter_errors(&view.value) {
        let pointer = error.instance_path().as_str().to_string();
        let span = view.span_of(&pointer);
        let label = describe(&error, &pointer);
        match out.iter_mut().find(|(s, _)| *s == span) {
            Some((_, existing)) => {
                if !existing.contains(&label) && existing.len() < 400 {
                    existing.push_str("; ");
                    existing.push_str(&label);
                }
            }
            None => out.push((span, label)),
        }
    }
    out
}

fn finding(policy: &Policy, span: Span, subject: String, label: String) -> Finding {
    let help = policy.help.clone().unwrap_or_else(|| {
        format!(
            "organisation policy `{}`, declared in {}",
            policy.id,
            policy.source.file_name().map_or_else(
                || policy.source.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            )
        )
    });
    Finding::new(
        policy.id,
        policy.severity,
        span,
        format!("{subject}: {}", policy.message),
    )
    .label(label)
    .help(help)
}

/// Checks every policy of the file's config against its pipelines and steps.
pub fn check(cx: &FileContext<'_>, out: &mut Vec<Finding>) {
    let policies = &cx.config.policies;
    if policies.is_empty() {
        return;
    }
    let has = |scope: Scope| policies.iter().any(|p| p.scope == scope);
    for pipeline in cx.pipelines {
        if has(Scope::Pipeline) {
            let view = pipeline_view(pipeline, cx.src);
            for policy in policies.iter().filter(|p| p.scope == Scope::Pipeline) {
                for (span, label) in violations(policy, &view) {
                    let mut f = finding(
                        policy,
                        span,
                        format!("pipeline \"{}\"", pipeline.display_name()),
                        label,
                    );
                    f.pipeline = Some(pipeline.display_name().into());
                    f.document = Some(pipeline.document);
                    out.push(f);
                }
            }
        }
        if !has(Scope::Step) {
            continue;
        }
        for step in pipeline.steps.iter().filter(|s| view::in_scope(s)) {
            let view = step_view(pipeline, step, cx.src);
            for policy in policies.iter().filter(|p| p.scope == Scope::Step) {
                for (span, label) in violations(policy, &view) {
                    let f = finding(
                        policy,
                        span,
                        format!("step \"{}\"", step.qualified_name()),
                        label,
                    );
                    out.push(crate::rules::at_step(f, pipeline, step));
                }
            }
        }
    }
}
