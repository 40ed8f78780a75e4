//! The knowledge rows by example: every case of `testdata/classify/*.yaml` is a tiny
//! program, command or Argo template with the row it exercises and whether the row fires
//! (a look-alike must not, and must leave the row's question unanswered). A row without an
//! example that fires is a failure: knowledge is added with its example.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::repo_root;
use pipelint::analysis::knowledge::{parse_yaml, RowConfidence, RowQuestion, BUILTIN_KNOWLEDGE};
use pipelint::analysis::{evidence_in, Confidence, Question};
use pipelint::model::Language;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The row the case exercises; or `shape`, a key of a knowledge file's `shapes:`.
    row: Option<String>,
    shape: Option<String>,
    /// For a shape: words the evidence says when it fires (and must not say otherwise)...
    says: Option<String>,
    /// ...or the checkpoint seconds read from the env (`checkpoint-env`).
    checkpoint: Option<u64>,
    #[serde(default = "yes")]
    fires: bool,
    python: Option<String>,
    shell: Option<String>,
    /// One Argo template's body (below `- name:`), wrapped into a Workflow.
    template: Option<String>,
    /// A whole pipeline file (a KFP importer: structure no template shows).
    pipeline: Option<String>,
    /// The template's name (default `main`); for `pipeline`, the step to look at.
    name: Option<String>,
}

fn yes() -> bool {
    true
}

/// What the classifiers said about a case: the rows that matched, and the questions
/// answered by high-confidence evidence.
struct Outcome {
    rows: BTreeSet<String>,
    strong: BTreeSet<Question>,
    descriptions: Vec<String>,
    checkpoint: Option<u64>,
}

fn outcome(case: &Case) -> Outcome {
    let k = &*BUILTIN_KNOWLEDGE;
    let evidence = if let Some(code) = &case.python {
        evidence_in(k, Language::Python, code)
    } else if let Some(script) = &case.shell {
        evidence_in(k, Language::Shell, script)
    } else if case.template.is_some() || case.pipeline.is_some() {
        let (text, step) = match (&case.template, &case.pipeline) {
            (Some(template), _) => {
                let body: String = template.lines().map(|l| format!("      {l}\n")).collect();
                let name = case.name.as_deref().unwrap_or("main");
                let text = format!(
                    "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: example-\nspec:\n  entrypoint: {name}\n  templates:\n    - name: {name}\n{body}"
                );
                (text, None)
            }
            (None, Some(pipeline)) => (pipeline.clone(), case.name.as_deref()),
            (None, None) => unreachable!(),
        };
        let steps =
            pipelint::classify::classify_text(&text, &pipelint::config::Config::default(), step)
                .unwrap_or_else(|e| panic!("{:?}: {e}\n{text}", case.row));
        let mut rows = BTreeSet::new();
        let mut strong = BTreeSet::new();
        let mut descriptions = Vec::new();
        let mut checkpoint = None;
        for step in steps {
            checkpoint = checkpoint.or(step.checkpoint.as_ref().map(|c| c.seconds));
            for v in step.questions {
                for e in v.evidence {
                    rows.extend(e.row.clone());
                    descriptions.push(e.description.clone());
                    if e.confidence == Confidence::High {
                        strong.insert(v.question);
                    }
                }
            }
        }
        return Outcome {
            rows,
            strong,
            descriptions,
            checkpoint,
        };
    } else {
        panic!(
            "case for {:?} has no python, shell, template or pipeline",
            case.row
        )
    };
    Outcome {
        rows: evidence.iter().filter_map(|e| e.row.clone()).collect(),
        strong: evidence
            .iter()
            .filter(|e| e.confidence == Confidence::High)
            .map(|e| e.question)
            .collect(),
        descriptions: evidence.iter().map(|e| e.description.clone()).collect(),
        checkpoint: None,
    }
}

/// A shape's case: what it says, or the checkpoint it reads, when it fires, and not otherwise.
fn shape_problem(case: &Case, got: &Outcome) -> Option<String> {
    let said = case
        .says
        .as_ref()
        .map(|w| got.descriptions.iter().any(|d| d.contains(w.as_str())));
    match (said, case.checkpoint, case.fires) {
        (Some(said), None, fires) if said != fires => Some(format!(
            "the evidence should {}say {:?} (it says {:?})",
            if fires { "" } else { "not " },
            case.says,
            got.descriptions
        )),
        (None, Some(seconds), true) if got.checkpoint != Some(seconds) => Some(format!(
            "should read a {seconds}s checkpoint, not {:?}",
            got.checkpoint
        )),
        (None, Some(_), false) if got.checkpoint.is_some() => Some(format!(
            "should read no checkpoint, not {:?}",
            got.checkpoint
        )),
        (None, None, _) | (Some(_), Some(_), _) => {
            Some("a shape's case has `says` or `checkpoint`".to_string())
        }
        _ => None,
    }
}

/// The keys of the knowledge files' `shapes:`.
fn shape_keys() -> BTreeSet<String> {
    let dir = repo_root().join("src/analysis/knowledge");
    let mut keys = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = parse_yaml(&text).unwrap();
            if let Some(shapes) = value["shapes"].as_object() {
                keys.extend(shapes.keys().cloned());
            }
        }
    }
    keys
}

#[test]
fn every_row_has_an_example_and_its_examples_hold() {
    let k = &*BUILTIN_KNOWLEDGE;
    let rows: BTreeMap<&str, _> = k.rows.iter().map(|r| (&*r.id, r)).collect();
    let dir = repo_root().join("testdata/classify");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut fired_examples: BTreeSet<String> = BTreeSet::new();
    let mut fired_shapes: BTreeSet<String> = BTreeSet::new();
    let mut failures = Vec::new();
    let (mut examples, mut look_alikes) = (0, 0);
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let file: CasesFile =
            parse_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for case in &file.cases {
            let Some(row_id) = &case.row else {
                let Some(shape) = &case.shape else {
                    failures.push(format!(
                        "{}: a case without `row` or `shape`",
                        path.display()
                    ));
                    continue;
                };
                if let Some(problem) = shape_problem(case, &outcome(case)) {
                    failures.push(format!("{} shape `{shape}`: {problem}", path.display()));
                }
                if case.fires {
                    fired_shapes.insert(shape.clone());
                }
                continue;
            };
            let Some(row) = rows.get(row_id.as_str()) else {
                failures.push(format!("{}: no row `{row_id}`", path.display()));
                continue;
            };
            let got = outcome(case);
            let matched = got.rows.contains(row_id);
            let decisive = row.confidence == RowConfidence::High;
            let problem = match (row.question.question(), case.fires) {
                // A seeding row fires and leaves the program not random.
                (None, true) if !matched || got.strong.contains(&Question::Random) => Some(
                    "the seeding row should match and leave the program not random".to_string(),
                ),
                (Some(q), true) if !matched || (decisive && !got.strong.contains(&q)) => {
                    Some(format!(
                        "should fire and answer {q:?} (rows matched: {:?})",
                        got.rows
                    ))
                }
                (_, false) if matched => Some("a look-alike should not match".to_string()),
                (Some(q), false) if decisive && got.strong.contains(&q) => Some(format!(
                    "a look-alike should leave {q:?} unanswered (rows matched: {:?})",
                    got.rows
                )),
                _ => None,
            };
            if let Some(problem) = problem {
                failures.push(format!("{} `{row_id}`: {problem}", path.display()));
            }
            if case.fires {
                examples += 1;
                fired_examples.insert(row_id.clone());
            } else {
                look_alikes += 1;
            }
        }
    }
    for row in &k.rows {
        if !fired_examples.contains(&*row.id) {
            failures.push(format!("row `{}` has no example that fires", row.id));
        }
    }
    let shapes = shape_keys();
    assert!(shapes.len() >= 7, "{shapes:?}");
    for shape in shapes.difference(&fired_shapes) {
        failures.push(format!("shape `{shape}` has no example that fires"));
    }
    eprintln!(
        "{} rows, {examples} examples, {look_alikes} look-alikes",
        k.rows.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Seeding rows are the only ones with no question of their own.
    assert!(k
        .rows
        .iter()
        .all(|r| (r.question == RowQuestion::Seeds) == r.question.question().is_none()));
}

fn pipelint(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// `pipelint classify` shows each question's verdict per step, with the declaration or the
/// rows (and their spans) that decided it.
#[test]
fn classify_explains_each_step() {
    let path = "testdata/classify/pipelines/explain.yaml";
    let out = pipelint(&["classify", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let human = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("classify_human", human);

    let out = pipelint(&["classify", "--format", "json", "--step", "publish", path]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "only the step asked for");
    insta::assert_json_snapshot!("classify_json_publish", json);

    let out = pipelint(&["classify", "--step", "nope", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no step named `nope`"));
}

/// Rows in `.pipelint.yaml` teach the classifiers an organisation's own libraries: the rules
/// act on them as on built-in rows.
#[test]
fn user_rows_extend_the_knowledge() {
    let path = repo_root().join("testdata/classify/user-rows/pipeline.yaml");
    let report = common::lint_file(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    for rule in ["io-step-without-retry", "retry-on-non-idempotent-step"] {
        let got: Vec<u32> = report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| report.lines.line_col(f.span.start).line)
            .collect();
        assert_eq!(got, common::expected_lines(&text, rule), "{rule}");
    }
    let config = pipelint::config::Config::load(
        &repo_root().join("testdata/classify/user-rows/.pipelint.yaml"),
    )
    .unwrap();
    let steps = pipelint::classify::classify_text(&text, &config, Some("shuffle-seeded")).unwrap();
    let random = steps[0]
        .questions
        .iter()
        .find(|v| v.question == Question::Random)
        .unwrap();
    assert!(!random.answer, "seeded by the user's `acme.seed_all`");
    assert!(random
        .evidence
        .iter()
        .any(|e| e.row.as_deref() == Some("acme-seed-all")));
}

/// User rows are validated as strictly as the rest of the config: unknown fields, a row that
/// matches nothing, a bad pattern and a duplicate id are errors at the row.
#[test]
fn user_rows_are_validated() {
    let load = |text: &str| {
        pipelint::config::Config::from_text(std::path::Path::new(".pipelint.yaml"), text)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let row = "knowledge:\n  - id: acme\n    question: io\n    phrase: p\n";
    let e = load(&format!("{row}    calls: [acme.x]\n")).unwrap_err();
    assert!(e.contains("calls"), "{e}");
    let e = load(row).unwrap_err();
    assert!(e.contains("should match one thing"), "{e}");
    assert!(e.starts_with(".pipelint.yaml:2:"), "{e}");
    let e = load(&format!("{row}    command: '(unclosed'\n")).unwrap_err();
    assert!(e.contains("invalid `command` pattern"), "{e}");
    let e =
        load("knowledge:\n  - {id: aws-sdk, question: io, phrase: p, call: [x]}\n").unwrap_err();
    assert!(e.contains("defined twice"), "{e}");
    let e = load(&format!("{row}    call: [acme.x]\n    question: maybe\n")).unwrap_err();
    assert!(e.contains("question"), "{e}");
    assert!(load(&format!("{row}    call: [acme.x]\n")).is_ok());
}

/// Every pipeline file under `dir` (YAML and JSON, at any depth).
fn pipeline_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            // Hostile inputs test limits and time, not verdicts (and classify applies none).
            if !path.ends_with("hostile") {
                pipeline_files(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

/// The prefilter (one automaton over the rows' trigger words) only skips work: every
/// step's verdicts, evidence and spans are the same with it off, on every file under `dirs`.
/// Returns how many steps were compared.
fn prefilter_changes_nothing(dirs: &[std::path::PathBuf]) -> usize {
    use pipelint::analysis::knowledge::Knowledge;
    let with = pipelint::config::Config::default();
    let without = pipelint::config::Config {
        knowledge: Some(std::sync::Arc::new(
            Knowledge::with_user_rows(&[]).unwrap().without_prefilter(),
        )),
        ..Default::default()
    };
    let mut files = Vec::new();
    for dir in dirs {
        pipeline_files(dir, &mut files);
    }
    let (mut steps, mut evidence) = (0, 0);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // not UTF-8: no steps either way
        };
        let a = pipelint::classify::classify_text(&text, &with, None);
        let b = pipelint::classify::classify_text(&text, &without, None);
        let show = |r: Result<Vec<_>, String>| match r {
            Ok(s) => serde_json::to_string_pretty(&serde_json::json!({ "steps": s })).unwrap(),
            Err(e) => e,
        };
        let (a, b) = (show(a), show(b));
        assert!(
            a == b,
            "{}: the prefilter changed the classification",
            path.display()
        );
        steps += a.matches("\"step\":").count();
        evidence += a.matches("\"description\":").count();
    }
    eprintln!(
        "{} files, {steps} steps, {evidence} pieces of evidence: the same with and without the prefilter",
        files.len()
    );
    assert!(evidence > 0);
    steps
}

#[test]
fn the_prefilter_changes_no_verdict_on_the_test_files() {
    let steps = prefilter_changes_nothing(&[repo_root().join("testdata")]);
    assert!(steps > 500, "{steps} steps");
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn the_prefilter_changes_no_verdict_on_the_corpus() {
    let steps = prefilter_changes_nothing(&[common::require_shared().join("corpus")]);
    assert!(steps > 1_000, "{steps} steps");
}
