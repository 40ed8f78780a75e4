//! `invalid-manifest`: Argo manifests validated against a JSON Schema of the Argo API.
//!
//! The schema (`invalid_manifest/argo-workflows.schema.json`) is generated from the Hera
//! SDK's models by `testdata/schema-src/argo_schema.py`; see that script for its source,
//! version and the patches that make it judge manifests the way Argo does. `build.rs`
//! compiles it into static tables; [`validate`] walks the YAML tree against them.

use std::collections::BTreeMap;

use jsonschema::JsonType;
use serde_json::Value;

use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{Format, Pipeline};
use crate::yaml::json::{
    document_may_hold_unrepresentable, key_at_pointer, merged_entries, node_at_pointer,
    to_json_without_null_entries, unrepresentable_number,
};
use crate::yaml::{NodeRef, Resolved, ScalarStyle, Span};

#[cfg(test)]
mod oracle;
mod validate;

use validate::{ErrorKind, SchemaError, TYPE_BITS};

/// An Argo manifest that the Argo API would not accept.
pub struct InvalidManifest;

static META: RuleMeta = RuleMeta {
    id: "invalid-manifest",
    summary: "an Argo manifest has a field Argo does not know, a value of the wrong type, or lacks a required field",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/invalid-manifest.md"),
    options: &[],
};

/// Deeper documents are not validated: no real manifest comes near, and the validator
/// recurses once per level.
const MAX_DEPTH: usize = 200;

impl Rule for InvalidManifest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let Format::Argo(..) = pipeline.format else {
            return;
        };
        let Some(root) = cx
            .yaml
            .documents
            .iter()
            .find(|d| d.index == pipeline.document)
            .and_then(|d| d.root(cx.src))
        else {
            return;
        };
        if root.depth_up_to(MAX_DEPTH) > MAX_DEPTH {
            return;
        }
        // As Kubernetes reads it: `key: null` is an unset field, left out (the schema allows
        // null nowhere).
        let mut collected = Collected::default();
        for error in validate::validate(root) {
            describe(&error, root, &mut collected);
        }
        let mut problems = collected.problems;
        if document_may_hold_unrepresentable(root) {
            problems.extend(unrepresentable(root));
        }
        for (path, (def, fields)) in &collected.missing {
            let fields: Vec<String> = fields
                .iter()
                .filter(|f| !collected.suggested.contains(&(path.clone(), (*f).clone())))
                .cloned()
                .collect();
            if !fields.is_empty() {
                let mut problem = missing_field(root, path, def.as_deref(), &fields);
                // The first key of a list item may be flagged itself (`- contianer: ...`);
                // one place holds one finding per rule, so take the whole item instead.
                if problems.iter().any(|p| p.span == problem.span) {
                    problem.span = node_at_pointer(root, path).span();
                }
                problems.push(problem);
            }
        }
        for problem in problems {
            let mut finding = Finding::new(
                META.id,
                META.default_severity,
                problem.span,
                problem.message,
            )
            .label(problem.label)
            .help(problem.help);
            if let Some(&(_, name)) = collected.renames.iter().find(|(at, _)| *at == problem.span) {
                finding = finding.with_fix(rename_fix(cx, problem.span, name));
            }
            finding.pipeline = Some(pipeline.display_name().into());
            finding.document = Some(pipeline.document);
            out.push(finding);
        }
    }
}

/// What the JSON view leaves out because JSON cannot hold it, and Kubernetes (which turns
/// YAML into JSON before it decodes a manifest) rejects: numbers that are not finite
/// (`.inf`, `.nan`, `1e309`) and keys that are collections (a mapping or list used as a
/// key, usually through an alias). One walk over the document, each node once.
fn unrepresentable(root: NodeRef<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = vec![false; root.document_len()];
    // The field each node is the value of, written out only for a problem (a string per
    // node cost more than the rest of the walk).
    let mut names = vec![FieldName::Document];
    let mut work = vec![(root, 0usize)];
    while let Some((node, field)) = work.pop() {
        if std::mem::replace(&mut seen[node.id() as usize], true) {
            continue;
        }
        if node.is_mapping() {
            for (key, value) in merged_entries(node) {
                match key.str() {
                    Some(name) => {
                        names.push(FieldName::Key(name));
                        work.push((value, names.len() - 1));
                    }
                    None => problems.push(Problem {
                        span: value.span(),
                        message: format!(
                            "an entry of {} has {} as its key (an alias to one?), not a field name",
                            unrepresentable_field(&names, field),
                            key.describe()
                        ),
                        label: format!("the key of this value is {}", key.describe()),
                        help: "write the field name as the key; an alias used as a key must refer to a string".into(),
                    }),
                }
            }
        } else if node.is_sequence() {
            for (i, item) in node.items().enumerate() {
                names.push(FieldName::Item(field, i));
                work.push((item, names.len() - 1));
            }
        } else if let Some(why) = unrepresentable_number(node) {
            problems.push(Problem {
                span: node.span(),
                message: format!(
                    "{} is `{}`, {why}, which Kubernetes cannot read",
                    unrepresentable_field(&names, field),
                    node.raw()
                ),
                label: why.into(),
                help: "write a number Kubernetes can read: it turns YAML into JSON, which has no infinity or NaN, and reads integers in 64 bits".into(),
            });
        }
    }
    problems.sort_by_key(|p| p.span.start);
    problems
}

/// Where a value sits, for [`unrepresentable`]'s messages.
enum FieldName<'a> {
    Document,
    Key(&'a str),
    /// Item `.1` of the list that is the value of name `.0`.
    Item(usize, usize),
}

/// `` `limit` ``, `` `args[0]` ``, or "the document".
fn unrepresentable_field(names: &[FieldName<'_>], at: usize) -> String {
    match names[at] {
        FieldName::Document => "the document".to_string(),
        FieldName::Key(name) => format!("`{name}`"),
        FieldName::Item(list, i) => {
            let base = unrepresentable_field(names, list);
            format!("{}[{i}]`", base.trim_end_matches('`'))
        }
    }
}

/// One problem, ready to become a finding.
#[derive(Debug)]
struct Problem {
    span: Span,
    message: String,
    label: String,
    help: String,
}

/// What the errors of one document say: problems, and missing fields by mapping (so that
/// several missing fields of one mapping make one finding).
#[derive(Default)]
struct Collected {
    problems: Vec<Problem>,
    missing: BTreeMap<String, (Option<String>, Vec<String>)>,
    /// `(mapping, field)` for each unknown key reported as a likely typo of `field`: the
    /// field is then not reported missing as well.
    suggested: Vec<(String, String)>,
    /// Unknown keys with exactly one field they can be a typo of: the key, and the field.
    renames: Vec<(Span, &'static str)>,
}

/// The fix of a misspelled key with one candidate: the key renamed in place. Safe: the
/// backend rejects or ignores the key as written.
fn rename_fix(
    cx: &FileContext<'_>,
    key: Span,
    name: &str,
) -> Result<crate::fix::Fix, crate::fix::NoFix> {
    let source = &cx.source;
    let entry = source.entry_at_key(key)?;
    let edit = source.rename_key(entry, name)?;
    Ok(crate::fix::Fix::safe(
        format!("rename it to `{name}`"),
        vec![edit],
    ))
}

fn describe(error: &SchemaError<'_>, root: NodeRef<'_>, collected: &mut Collected) {
    let out = &mut collected.problems;
    let path = error.path.as_str();
    // Reported on its own by `unrepresentable` (a null in a list stands for it here).
    if unrepresentable_number(node_at_pointer(root, path)).is_some() {
        return;
    }
    let def = Some(def_name(error.def));
    match &error.kind {
        ErrorKind::Unexpected(unexpected) => {
            for key in unexpected {
                let (problem, suggestion) = unknown_field(root, path, def, key);
                if let Some(only) = suggestion.filter(|_| candidates(key, &fields_of(def)) == 1) {
                    collected.renames.push((problem.span, only));
                }
                out.push(problem);
                if let Some(field) = suggestion {
                    collected
                        .suggested
                        .push((path.to_string(), field.to_string()));
                }
            }
        }
        ErrorKind::Required(field) => {
            let entry = collected
                .missing
                .entry(path.to_string())
                .or_insert_with(|| (def.map(str::to_string), Vec::new()));
            entry.1.push(field.to_string());
        }
        ErrorKind::Type(types) => {
            out.push(wrong_type(
                root,
                path,
                &expected_types(*types),
                &to_json_without_null_entries(error.node),
            ));
        }
        ErrorKind::AnyOf(branches) => out.push(any_of(root, path, def, branches, error)),
    }
}

/// The def a finding names: `spec.templates` items are a `NamedTemplate` (a Template that
/// must have a name), which Argo's field reference calls a Template.
fn def_name(def: &'static str) -> &'static str {
    match def {
        "NamedTemplate" => "Template",
        def => def,
    }
}

/// The def's name as Argo's field reference spells it (pydantic prefixes the module path
/// when two models share a name).
fn type_name(def: &str) -> &str {
    def.rsplit("__").next().unwrap_or(def)
}

/// The def, in words: "a template", "a container", "`SecurityContext`".
fn noun(def: Option<&str>) -> String {
    let Some(def) = def else {
        return "this object".into();
    };
    let words = match type_name(def) {
        "Workflow" => "a Workflow",
        "WorkflowTemplate" => "a WorkflowTemplate",
        "ClusterWorkflowTemplate" => "a ClusterWorkflowTemplate",
        "CronWorkflow" => "a CronWorkflow",
        "WorkflowSpec" => "a workflow spec",
        "CronWorkflowSpec" => "a CronWorkflow spec",
        "Template" => "a template",
        "Container" | "UserContainer" | "ContainerNode" => "a container",
        "ScriptTemplate" => "a script template",
        "ResourceTemplate" => "a resource template",
        "ContainerSetTemplate" => "a container set",
        "DAGTemplate" => "a DAG",
        "DAGTask" => "a DAG task",
        "WorkflowStep" => "a step",
        "ObjectMeta" => "object metadata",
        "Metadata" => "template metadata",
        "RetryStrategy" => "a retry strategy",
        "Backoff" => "a retry backoff",
        "ResourceRequirements" => "resource requirements",
        "Inputs" => "template inputs",
        "Outputs" => "template outputs",
        "Arguments" => "arguments",
        "Parameter" => "a parameter",
        "Artifact" => "an artifact",
        "EnvVar" => "an environment variable",
        "VolumeMount" => "a volume mount",
        "CacheConfigMap" => "a memoization cache's ConfigMap",
        "Volume" => "a volume",
        other => return format!("`{other}`"),
    };
    words.to_string()
}

fn help_for(def: Option<&str>, advice: &str) -> String {
    let Some(def) = def else {
        return advice.to_string();
    };
    // Argo's field reference (https://argo-workflows.readthedocs.io/en/latest/fields/) has
    // a section per type; the memoization cache's ConfigMap is documented under `Cache`.
    let section = match type_name(def) {
        "CacheConfigMap" => "Cache",
        name => name,
    };
    format!("{advice} (see `{section}` in Argo's field reference)")
}

/// The fields the schema allows on a def.
fn fields_of(def: Option<&str>) -> Vec<&'static str> {
    def.map(|def| validate::fields_of(def).collect())
        .unwrap_or_default()
}

/// The allowed field a mistyped one most likely meant: the same word in another case, or
/// one within a couple of edits.
/// How many allowed fields a mistyped key is close enough to (as [`closest`] counts).
fn candidates(key: &str, fields: &[&str]) -> usize {
    let lower = key.to_ascii_lowercase();
    fields
        .iter()
        .filter(|f| strsim::damerau_levenshtein(&lower, &f.to_ascii_lowercase()) <= typo_limit(key))
        .count()
}

fn typo_limit(key: &str) -> usize {
    match key.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

fn closest<'a>(key: &str, fields: &[&'a str]) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    let limit = match key.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    fields
        .iter()
        .map(|f| {
            (
                strsim::damerau_levenshtein(&lower, &f.to_ascii_lowercase()),
                *f,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, f)| f)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The last key of a pointer with the indexes after it, as a person reads it: `limit`,
/// `args[2]`, `steps[1][0]`.
fn field_name(path: &str) -> String {
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    let mut indexes = Vec::new();
    for segment in path.rsplit('/') {
        if segment.is_empty() {
            break;
        }
        if segment.chars().all(|c| c.is_ascii_digit()) {
            indexes.push(segment);
            continue;
        }
        let suffix: String = indexes.iter().rev().map(|i| format!("[{i}]")).collect();
        return format!("`{}{suffix}`", unescape(segment));
    }
    "the document".into()
}

/// The problem, and the field the key is a likely typo of.
fn unknown_field(
    root: NodeRef<'_>,
    path: &str,
    def: Option<&str>,
    key: &str,
) -> (Problem, Option<&'static str>) {
    let span = key_at_pointer(root, &format!("{path}/{}", escape(key))).span();
    let fields = fields_of(def);
    let here = noun(def);
    let suggestion = closest(key, &fields);
    // A pod-level setting written inside the container: it belongs one level up.
    let on_template = matches!(
        def.map(type_name),
        Some("Container" | "UserContainer" | "ScriptTemplate")
    ) && fields_of(Some("Template")).contains(&key);
    let (message, help) = match suggestion {
        Some(s) if s != key => (
            format!("`{key}` is not a field of {here} (did you mean `{s}`?)"),
            help_for(def, &format!("rename it to `{s}`")),
        ),
        _ if on_template => (
            format!("`{key}` is not a field of {here}; it is a field of the template"),
            help_for(
                Some("Template"),
                &format!("move `{key}` out of the container, to the template itself"),
            ),
        ),
        _ => (
            format!("`{key}` is not a field of {here}"),
            help_for(
                def,
                "remove it, or move it to where it belongs (it may be a field of another Argo version)",
            ),
        ),
    };
    let problem = Problem {
        span,
        message,
        label: "unknown field".into(),
        help,
    };
    (problem, suggestion.filter(|s| *s != key))
}

fn missing_field(root: NodeRef<'_>, path: &str, def: Option<&str>, fields: &[String]) -> Problem {
    let node = node_at_pointer(root, path);
    // Point at the key that names the mapping (`spec:`), the first key of a list item,
    // or `kind:` for the document itself.
    let span = if path.is_empty() {
        root.entry("kind").map_or(root.span(), |(k, _)| k.span())
    } else {
        let key = key_at_pointer(root, path);
        if key.id() == node.id() {
            node.entries().next().map_or(node.span(), |(k, _)| k.span())
        } else {
            key.span()
        }
    };
    let list = fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let whose = match (path.is_empty(), def.map(|d| noun(Some(d)))) {
        (true, _) => noun(def),
        (false, Some(n)) if !n.starts_with('`') => format!("{} ({n})", field_name(path)),
        (false, _) => field_name(path),
    };
    Problem {
        span,
        message: format!("{whose} lacks {list}, which Argo requires"),
        label: format!("{list} missing here"),
        help: help_for(def, &format!("add {list}")),
    }
}

fn type_words(ty: JsonType) -> &'static str {
    match ty {
        JsonType::Array => "a list",
        JsonType::Boolean => "a boolean (`true` or `false`)",
        JsonType::Integer => "an integer",
        JsonType::Null => "empty",
        JsonType::Number => "a number",
        JsonType::Object => "a mapping",
        JsonType::String => "a string",
    }
}

fn expected_types(types: u8) -> Vec<JsonType> {
    TYPE_BITS
        .iter()
        .filter(|(bit, _)| types & bit != 0)
        .map(|&(_, ty)| ty)
        .collect()
}

/// The order types are named in: `an integer or a string`.
fn type_rank(ty: JsonType) -> u8 {
    match ty {
        JsonType::Integer => 0,
        JsonType::Number => 1,
        JsonType::String => 2,
        JsonType::Boolean => 3,
        JsonType::Object => 4,
        JsonType::Array => 5,
        JsonType::Null => 6,
    }
}

fn actual(value: &Value) -> String {
    match value {
        Value::Null => "empty".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string \"{s}\""),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => "something else".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn wrong_type(root: NodeRef<'_>, path: &str, expected: &[JsonType], value: &Value) -> Problem {
    let mut expected = expected.to_vec();
    expected.sort_by_key(|t| type_rank(*t));
    expected.dedup();
    // An integer is a number: `a number` says it all.
    if expected.contains(&JsonType::Number) {
        expected.retain(|t| *t != JsonType::Integer);
    }
    let words: Vec<&str> = expected.iter().map(|t| type_words(*t)).collect();
    let want = join_or(&words);
    // A number as written: `123456789012345678901234567890`, not the float JSON made of it.
    let node = node_at_pointer(root, path);
    let written = match (value, node.style(), node.resolved()) {
        (
            Value::Number(_),
            Some(ScalarStyle::Plain),
            Some(Resolved::Int(_) | Resolved::Float(_)),
        ) => node.raw().to_string(),
        _ => value.to_string(),
    };
    let got = match value {
        Value::Number(_) => format!("the number `{written}`"),
        _ => actual(value),
    };
    let quoted_number = matches!(value, Value::String(s) if s.parse::<f64>().is_ok())
        && expected
            .iter()
            .any(|t| matches!(t, JsonType::Integer | JsonType::Number));
    let help = if quoted_number {
        "write the number without quotes".to_string()
    } else if matches!(value, Value::String(s) if s.contains("{{")) {
        "Argo reads this field before it substitutes `{{...}}` templates, so it cannot be templated here".to_string()
    } else if expected == [JsonType::String] && matches!(value, Value::Number(_) | Value::Bool(_)) {
        format!("quote it: `\"{written}\"`")
    } else if expected == [JsonType::Array] && matches!(value, Value::String(_)) {
        "make it a list, one item per entry: `[a, b]`".to_string()
    } else {
        format!("write {want} here")
    };
    Problem {
        span: key_at_pointer(root, path).span(),
        message: format!("{} should be {want}, not {got}", field_name(path)),
        label: format!("expected {want}"),
        help,
    }
}

/// `anyOf` in the schema: integer-or-string fields, and the CronWorkflow's schedules.
fn any_of(
    root: NodeRef<'_>,
    path: &str,
    def: Option<&str>,
    context: &[Vec<SchemaError<'_>>],
    error: &SchemaError<'_>,
) -> Problem {
    let branches: Vec<&SchemaError<'_>> = context.iter().flatten().collect();
    let types: Option<Vec<JsonType>> = branches
        .iter()
        .map(|e| match e.kind {
            ErrorKind::Type(types) => Some(expected_types(types)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .map(|v| v.concat());
    if let Some(types) = types.filter(|t| !t.is_empty()) {
        return wrong_type(
            root,
            path,
            &types,
            &to_json_without_null_entries(error.node),
        );
    }
    let required: Option<Vec<String>> = branches
        .iter()
        .map(|e| match e.kind {
            ErrorKind::Required(field) => Some(field.to_string()),
            _ => None,
        })
        .collect();
    if let Some(fields) = required.filter(|f| !f.is_empty()) {
        // One of several fields: `schedules`, or the `schedule` of Argo 3.x.
        let mut problem = missing_field(root, path, def, &fields[..1]);
        if fields.len() > 1 {
            let others = fields[1..]
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            problem.message = format!(
                "{} (or the older {others})",
                problem.message.trim_end_matches(", which Argo requires")
            );
        }
        return problem;
    }
    Problem {
        span: key_at_pointer(root, path).span(),
        message: format!(
            "{} has none of the shapes Argo accepts for it",
            field_name(path)
        ),
        label: "Argo rejects this".into(),
        help: help_for(def, "fix the value to what Argo expects"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, the text the finding points at, message) of this rule's findings.
    fn lint(name: &str, text: &str) -> Vec<(u32, String, String)> {
        let report = crate::engine::lint_bytes(
            name.into(),
            text.as_bytes(),
            true,
            &crate::engine::Settings::default(),
        );
        report
            .findings
            .iter()
            .filter(|f| f.rule == META.id)
            .map(|f| {
                let line = report.lines.line_col(f.span.start).line;
                (line, text[f.span.range()].to_string(), f.message.clone())
            })
            .collect()
    }

    #[test]
    fn json_documents_point_at_the_key() {
        let text = r#"{
  "apiVersion": "argoproj.io/v1alpha1",
  "kind": "Workflow",
  "metadata": {"generateName": "nightly-"},
  "spec": {
    "entrypoint": "train",
    "templates": [
      {"name": "train", "container": {"image": "busybox:1.36", "comand": ["sh"]}}
    ]
  }
}
"#;
        let found = lint("wf.json", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0, found[0].1.as_str()),
            (8, "\"comand\""),
            "{found:?}"
        );
        assert!(found[0].2.contains("did you mean `command`"), "{found:?}");
    }

    #[test]
    fn one_finding_per_problem_and_none_twice() {
        // A typo of a required field is reported once, as the typo.
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  templates:\n  - name: a\n    inputs:\n      artifacts:\n      - nme: data\n        path: /data\n";
        let found = lint("wf.yaml", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].2.contains("`nme`") && found[0].2.contains("`name`"));
    }

    #[test]
    fn deep_documents_are_not_validated() {
        let mut text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  templates:\n  - name: a\n    plugin:\n      x: ".to_string();
        text.push_str(&"[".repeat(300));
        text.push_str(&"]".repeat(300));
        text.push('\n');
        assert!(lint("deep.yaml", &text).is_empty());
    }

    #[test]
    fn numbers_json_cannot_hold_and_collection_keys_are_reported() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  entrypoint: a\n  activeDeadlineSeconds: 1e309\n  templates:\n  - name: a\n    activeDeadlineSeconds: .nan\n    retryStrategy: {limit: -.inf}\n    container: {image: x, args: [.inf]}\n    inputs: &in {}\n    outputs:\n      *in : 1\n";
        let found = lint("wf.yaml", text);
        let expected = [
            (
                6,
                "1e309",
                "`activeDeadlineSeconds` is `1e309`, not a finite number",
            ),
            (
                9,
                ".nan",
                "`activeDeadlineSeconds` is `.nan`, not a finite number",
            ),
            (10, "-.inf", "`limit` is `-.inf`, not a finite number"),
            (11, ".inf", "`args[0]` is `.inf`, not a finite number"),
            (
                14,
                "1",
                "an entry of `outputs` has a mapping as its key (an alias to one?)",
            ),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for ((line, at, message), want) in found.iter().zip(expected) {
            assert_eq!((*line, at.as_str()), (want.0, want.1), "{found:?}");
            assert!(message.starts_with(want.2), "{message}");
        }
    }

    #[test]
    fn merge_keys_are_applied_before_validation() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  entrypoint: a\n  templates:\n  - &t\n    name: a\n    container: {image: x}\n  - <<: *t\n    name: b\n  - <<: *t\n    name: c\n    contianer: {image: y}\n";
        let found = lint("wf.yaml", text);
        // `<<` itself is not a field; the typo next to it still is.
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0, found[0].1.as_str()),
            (14, "contianer"),
            "{found:?}"
        );
    }

    #[test]
    fn integers_beyond_64_bits_are_shown_as_written() {
        // A wrong type shows the number as written too.
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  entrypoint: a\n  templates:\n  - name: 1.50\n    container: {image: x}\n";
        let found = lint("wf.yaml", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].2,
            "`name` should be a string, not the number `1.50`"
        );
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: a}\nspec:\n  entrypoint: a\n  parallelism: 123456789012345678901234567890\n  templates:\n  - name: a\n    container: {image: x}\n";
        let found = lint("wf.yaml", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].2,
            "`parallelism` is `123456789012345678901234567890`, an integer beyond 64 bits, which Kubernetes cannot read"
        );
    }

    #[test]
    fn closest_field() {
        let fields = ["container", "script", "name", "retryStrategy"];
        assert_eq!(closest("contianer", &fields), Some("container"));
        assert_eq!(closest("retrystrategy", &fields), Some("retryStrategy"));
        assert_eq!(closest("zzz", &fields), None);
    }
}
