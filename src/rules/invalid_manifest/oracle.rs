//! jsonschema as the oracle of [`super::validate`]: both validate the same documents (the
//! validator the tree, jsonschema its JSON view against the schema as written) and must
//! report the same errors in the same order: instance paths, defs, kinds and what each
//! carries. On every Argo document of `testdata/` and of the corpus, and on mutants of each
//! (a key misspelt; a value made null, a list, a mapping, a number, a boolean, a string).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::validate::{validate, ErrorKind, SchemaError, TYPE_BITS};
use super::MAX_DEPTH;
use crate::yaml::json::to_json_without_null_entries;
use crate::yaml::{parse, NodeRef, ParseLimits};

const SCHEMA_TEXT: &str = include_str!("argo-workflows.schema.json");

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(SCHEMA_TEXT).expect("the embedded Argo schema is valid JSON")
});

const SCHEMA_URI: &str = "urn:pipelint:argo-workflows";

static REGISTRY: LazyLock<jsonschema::Registry<'static>> = LazyLock::new(|| {
    jsonschema::Registry::new()
        .add(SCHEMA_URI, &*SCHEMA)
        .and_then(|r| r.prepare())
        .expect("the embedded Argo schema is a valid resource")
});

/// Each document checked against `#/$defs/<its kind>` (as the rule did with jsonschema).
static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let kinds: Vec<Value> = SCHEMA["x-kinds"]
        .as_array()
        .expect("the schema lists its kinds")
        .iter()
        .map(|kind| {
            let kind = kind.as_str().expect("a kind is a string");
            serde_json::json!({
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": format!("{SCHEMA_URI}#/$defs/{kind}")},
            })
        })
        .collect();
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": kinds,
    });
    jsonschema::options()
        .with_registry(&REGISTRY)
        .build(&root)
        .unwrap_or_else(|e| panic!("the embedded Argo schema does not compile: {e}"))
});

/// An error as both validators can state it: instance path, def, kind.
#[derive(Debug, PartialEq)]
struct Plain {
    path: String,
    def: Option<String>,
    kind: PlainKind,
}

#[derive(Debug, PartialEq)]
enum PlainKind {
    Unexpected(Vec<String>),
    Required(String),
    /// As `TYPE_BITS`.
    Type(u8),
    AnyOf(Vec<Vec<Plain>>),
    /// A kind the validator never reports.
    Other(String),
}

fn bits(types: impl Iterator<Item = jsonschema::JsonType>) -> u8 {
    types
        .map(|ty| {
            TYPE_BITS
                .iter()
                .find(|(_, t)| *t == ty)
                .map_or(0, |(bit, _)| *bit)
        })
        .fold(0, |a, b| a | b)
}

fn from_jsonschema(error: &ValidationError<'_>) -> Plain {
    let schema_path = error.schema_path().as_str();
    let def = schema_path
        .rsplit("/$defs/")
        .next()
        .filter(|_| schema_path.contains("/$defs/"))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_string);
    let kind = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            PlainKind::Unexpected(unexpected.clone())
        }
        ValidationErrorKind::Required { property } => {
            PlainKind::Required(property.as_str().unwrap_or_default().to_string())
        }
        ValidationErrorKind::Type { kind } => PlainKind::Type(match kind {
            TypeKind::Single(t) => bits(std::iter::once(*t)),
            TypeKind::Multiple(set) => bits(set.iter()),
        }),
        ValidationErrorKind::AnyOf { context } => PlainKind::AnyOf(
            context
                .iter()
                .map(|branch| branch.iter().map(from_jsonschema).collect())
                .collect(),
        ),
        other => PlainKind::Other(format!("{other:?}")),
    };
    Plain {
        path: error.instance_path().as_str().to_string(),
        def,
        kind,
    }
}

fn from_validator(error: &SchemaError<'_>) -> Plain {
    let kind = match &error.kind {
        ErrorKind::Unexpected(keys) => {
            PlainKind::Unexpected(keys.iter().map(|k| k.to_string()).collect())
        }
        ErrorKind::Required(field) => PlainKind::Required(field.to_string()),
        ErrorKind::Type(types) => PlainKind::Type(*types),
        ErrorKind::AnyOf(branches) => PlainKind::AnyOf(
            branches
                .iter()
                .map(|branch| branch.iter().map(from_validator).collect())
                .collect(),
        ),
    };
    Plain {
        path: error.path.clone(),
        def: Some(error.def.to_string()),
        kind,
    }
}

/// What the comparison saw.
#[derive(Default, Debug)]
struct Tally {
    /// Documents of an Argo kind, compared.
    argo: usize,
    /// Of those, documents with errors.
    invalid: usize,
    errors: usize,
    mismatches: Vec<String>,
}

impl Tally {
    /// Compares the two on every document of `text`; whether the file parsed cleanly.
    fn compare(&mut self, name: &str, text: &str) -> bool {
        let file = parse(text, &ParseLimits::default());
        for doc in &file.documents {
            let Some(root) = doc.root(text) else { continue };
            if root.depth_up_to(MAX_DEPTH) > MAX_DEPTH || !is_argo_kind(root) {
                continue;
            }
            self.argo += 1;
            let ours: Vec<Plain> = validate(root).iter().map(from_validator).collect();
            let instance = to_json_without_null_entries(root);
            let theirs: Vec<Plain> = VALIDATOR
                .iter_errors(&instance)
                .map(|e| from_jsonschema(&e))
                .collect();
            if !theirs.is_empty() {
                self.invalid += 1;
                self.errors += theirs.len();
            }
            if ours != theirs && self.mismatches.len() < 20 {
                self.mismatches.push(format!(
                    "{name} (document {}):\n  validator:  {ours:?}\n  jsonschema: {theirs:?}",
                    doc.index
                ));
            }
        }
        file.errors.is_empty() && file.too_complex.is_empty()
    }

    fn assert_agreed(&self) {
        assert!(
            self.mismatches.is_empty(),
            "{} disagreement(s):\n{}",
            self.mismatches.len(),
            self.mismatches.join("\n")
        );
    }
}

fn is_argo_kind(root: NodeRef<'_>) -> bool {
    let kind = root.get("kind").and_then(|k| k.str());
    SCHEMA["x-kinds"]
        .as_array()
        .is_some_and(|kinds| kinds.iter().any(|k| k.as_str() == kind))
}

/// The YAML and JSON files under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut work = vec![dir.to_path_buf()];
    while let Some(dir) = work.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                work.push(path);
            } else if kind.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The texts made from `text` by changes to its Argo documents: at up to `sites` entries and
/// list items spread over each document, a key misspelt and the value replaced (by null,
/// which unsets the field; a list; a mapping; an integer; a float; a boolean; a string); and
/// for each two neighbouring sites, both changed at once (several errors in one document,
/// whose order counts).
fn mutants(text: &str, sites: usize) -> Vec<String> {
    const VALUES: [&str; 7] = ["~", "[1]", "{zz: 1}", "7", "1.5", "true", "'s'"];
    let file = parse(text, &ParseLimits::default());
    let mut out = Vec::new();
    for doc in &file.documents {
        let Some(root) = doc.root(text) else { continue };
        if !is_argo_kind(root) {
            continue;
        }
        // (key, value) of every entry with a scalar key, (None, item) of every list item.
        let mut places = Vec::new();
        let mut work = vec![root];
        let mut seen = vec![false; root.document_len()];
        while let Some(node) = work.pop() {
            if std::mem::replace(&mut seen[node.id() as usize], true) {
                continue;
            }
            for (key, value) in node.entries() {
                if key.is_scalar() {
                    places.push((Some(key), value));
                }
                work.push(value);
            }
            for item in node.items() {
                places.push((None, item));
                work.push(item);
            }
        }
        places.sort_by_key(|(key, value)| key.map_or(value.span().start, |k| k.span().start));
        let step = places.len().div_ceil(sites).max(1);
        // Per site, its changes as (range, replacement).
        let mut changes: Vec<Vec<(std::ops::Range<usize>, String)>> = Vec::new();
        for (n, (key, value)) in places.into_iter().step_by(step).enumerate() {
            // Every site gets a misspelt key and three of the values, a different three at
            // each site.
            let values = (0..3).map(|i| VALUES[(n * 3 + i) % VALUES.len()]);
            match key {
                // An alias's value is the anchored node, written before its key.
                Some(key) if value.span().end < key.span().end => {}
                Some(key) => {
                    let span = key.span();
                    let at = match key.raw().as_bytes().first() {
                        Some(b'"' | b'\'') => span.end as usize - 1,
                        _ => span.end as usize,
                    };
                    let mut site = vec![(at..at, "x".to_string())];
                    let value_range = span.end as usize..value.span().end as usize;
                    site.extend(values.map(|v| (value_range.clone(), format!(": {v}"))));
                    changes.push(site);
                }
                None => changes.push(
                    values
                        .map(|v| (value.span().range(), v.to_string()))
                        .collect(),
                ),
            }
        }
        let splice = |edits: &[&(std::ops::Range<usize>, String)]| {
            let mut t = text.to_string();
            // From the end, so that the ranges before stay where they were.
            for (range, with) in edits.iter().rev() {
                t.replace_range(range.clone(), with);
            }
            t
        };
        for site in &changes {
            out.extend(site.iter().map(|edit| splice(&[edit])));
        }
        for pair in changes.windows(2) {
            let (first, second) = (&pair[0][pair[0].len() - 1], &pair[1][0]);
            // Only changes that do not overlap (a site inside the value another replaces).
            if first.0.end <= second.0.start {
                out.push(splice(&[first, second]));
            }
        }
    }
    out
}

/// Compares on every file under `dir` and on `sites` mutants of each document.
fn compare_dir(dir: &Path, sites: usize) -> (Tally, Tally) {
    let mut originals = Tally::default();
    let mut mutated = Tally::default();
    for path in files(dir) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.display().to_string();
        originals.compare(&name, &text);
        for (i, mutant) in mutants(&text, sites).iter().enumerate() {
            mutated.compare(&format!("{name}, mutant {i}"), mutant);
        }
    }
    (originals, mutated)
}

#[test]
fn the_schema_compiles_for_every_kind() {
    for kind in [
        "Workflow",
        "WorkflowTemplate",
        "ClusterWorkflowTemplate",
        "CronWorkflow",
    ] {
        // Checked against its own kind's definition, with that definition's paths.
        let doc = serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": "x"},
            "spec": {},
            "bogusKey": 1,
        });
        let paths: Vec<String> = VALIDATOR
            .iter_errors(&doc)
            .map(|e| e.schema_path().as_str().to_string())
            .collect();
        assert!(
            paths
                .iter()
                .any(|p| p == &format!("/$defs/{kind}/additionalProperties")),
            "{kind}: {paths:?}"
        );
        assert!(
            paths.iter().all(|p| p.starts_with("/$defs/")),
            "{kind}: {paths:?}"
        );
    }
}

/// The tables build.rs wrote are the schema: its defs in order, each with its fields.
#[test]
fn the_tables_are_the_schema() {
    let defs = SCHEMA["$defs"].as_object().expect("the schema has $defs");
    let names: Vec<&str> = defs.keys().map(String::as_str).collect();
    assert_eq!(super::validate::ARGO_DEFS, names.as_slice());
    for (name, def) in defs {
        let fields: Vec<&str> = def["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let ours: Vec<&str> = super::validate::fields_of(name).collect();
        assert_eq!(ours, fields, "{name}");
    }
    assert!(super::validate::fields_of("NoSuchDef").next().is_none());
}

/// The schema records the Hera release it was generated from; it must be the one
/// `testdata/schema-src/requirements.txt` pins.
#[test]
fn the_schema_names_the_pinned_hera() {
    let requirements = include_str!("../../../testdata/schema-src/requirements.txt");
    let pinned = requirements
        .lines()
        .find_map(|l| l.strip_prefix("hera=="))
        .expect("hera is pinned");
    assert_eq!(SCHEMA["x-source"]["package"], "hera");
    assert_eq!(SCHEMA["x-source"]["version"], pinned.trim());
    assert!(SCHEMA["$comment"]
        .as_str()
        .unwrap()
        .contains(&format!("hera {}", pinned.trim())));
}

/// Documents written to reach what the corpus may not: merge keys, repeated keys, null
/// entries and null items, YAML 1.1 scalars, integral floats, numbers JSON cannot hold,
/// keys that need escaping in a pointer, both `anyOf`s, every kind.
#[test]
fn agrees_with_jsonschema_on_corner_cases() {
    let head = "apiVersion: argoproj.io/v1alpha1\nmetadata: {name: a}\n";
    let cases = [
        "kind: Workflow\nspec:\n  entrypoint: a\n  templates:\n  - &t\n    name: a\n    container: {image: x}\n  - <<: *t\n    name: b\n  - <<: [*t, {nme: 1}]\n    contianer: {image: y}\n",
        "kind: Workflow\nspec:\n  entrypoint: a\n  entrypoint: ~\n  parallelism: 1.0\n  activeDeadlineSeconds: 1.5\n  templates:\n  - name: a\n    container: {image: x, args: [a, ~, 1, yes, .inf], command: ~}\n    retryStrategy: {limit: 1.5, backoff: {duration: 1}}\n",
        "kind: Workflow\nspec:\n  templates:\n  - {}\n  - name: a\n    nodeSelector: {a/b~c: 1, 'x': [1]}\n    podSpecPatch: {a: 1}\n    inputs: {parameters: [{name: p, value: {a: 1}}, {value: 1}, {name: q, default: [1]}]}\n  - ~\n  - 7\n",
        "kind: CronWorkflow\nspec:\n  workflowSpec: {entrypoint: a}\n",
        "kind: CronWorkflow\nspec:\n  schedule: 1\n  schedules: x\n  workflowSpec: []\n",
        "kind: WorkflowTemplate\nspec: [1]\n",
        "kind: ClusterWorkflowTemplate\nspec:\n  templates:\n  - name: a\n    resource: {action: 1}\n    container: {image: 2, resources: {limits: {cpu: [1], memory: true}}, ports: [{containerPort: '80'}]}\n",
        "kind: Workflow\n",
        "kind: Workflow\nmetadata: 3\nspec: ~\nstatus: 1\n",
        "kind: Workflow\nspec: {templates: [{name: a, steps: [[{name: s, template: a, arguments: {parameters: [{name: p}]}}], {x: 1}]}], entrypoint: 9223372036854775808}\n",
        "kind: Workflow\nspec:\n  templates:\n  - name: a\n    container:\n      image: x\n      env: [{name: e, valueFrom: {secretKeyRef: {name: s}}}]\n      livenessProbe: {httpGet: {port: true, path: /}}\n      securityContext: {runAsUser: '1'}\n",
        // One required field of a closed object is reported after its unexpected keys.
        "kind: Workflow\nspec:\n  templates:\n  - name: a\n    inputs: {parameters: [{zz: 1, value: {a: 1}}, {name: p, zz: 2}]}\n",
        "kind: Other\nspec: 1\n",
        "kind: [Workflow]\n",
    ];
    let mut tally = Tally::default();
    for (i, case) in cases.iter().enumerate() {
        let text = format!("{head}{case}");
        assert!(
            tally.compare(&format!("case {i}"), &text),
            "case {i} parses"
        );
    }
    tally.assert_agreed();
    assert_eq!(tally.argo, cases.len() - 2, "{tally:?}");
    assert_eq!(tally.invalid, tally.argo, "{tally:?}");
}

/// Every Argo document of `testdata/`, and mutants of each.
#[test]
fn agrees_with_jsonschema_on_testdata() {
    let (originals, mutated) =
        compare_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"), 6);
    originals.assert_agreed();
    mutated.assert_agreed();
    assert!(
        originals.argo >= 50 && originals.invalid >= 10,
        "{originals:?}"
    );
    assert!(mutated.invalid >= 200, "{mutated:?}");
}

/// Every Argo document of the corpus of real pipelines (`../shared/corpus`), and mutants of
/// each.
#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn agrees_with_jsonschema_on_the_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        corpus.is_dir(),
        "../shared (with corpus/) is not present beside the repository: this test needs it"
    );
    let (originals, mutated) = compare_dir(&corpus, 8);
    originals.assert_agreed();
    mutated.assert_agreed();
    assert!(originals.argo >= 500, "{originals:?}");
    assert!(mutated.invalid >= 2000, "{mutated:?}");
}
