//! Every file of the shared corpus of real pipelines (`../shared/corpus`, see its
//! SOURCES.md): nothing panics, every file is classified, the known-malformed files are
//! reported, and findings land on the lines a person would point at.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::require_shared;
use pipelint::discover::discover;
use pipelint::engine::{lint_inputs, FileReport, Outcome, RunReport, Settings};

fn corpus() -> (PathBuf, RunReport) {
    let dir = require_shared().join("corpus");
    let inputs = discover(std::slice::from_ref(&dir)).expect("corpus exists");
    (dir, lint_inputs(&inputs, &Settings::default()))
}

fn folder_of(corpus: &Path, file: &FileReport) -> String {
    let path = Path::new(&file.path);
    let rel = path.strip_prefix(corpus).unwrap_or(path);
    rel.components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned()
}

fn line_text(file: &FileReport, offset: u32) -> String {
    let line = file.lines.line_col(offset).line;
    file.source
        .lines()
        .nth(line as usize - 1)
        .unwrap_or("")
        .to_string()
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn every_corpus_file_is_classified() {
    let (dir, report) = corpus();
    assert!(
        report.files.len() >= 1269,
        "only {} files",
        report.files.len()
    );
    let mut by_folder: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for file in &report.files {
        if file.path.ends_with(".tsv") || file.path.ends_with(".md") {
            continue;
        }
        let kind = match &file.outcome {
            Outcome::Pipeline(formats) if formats.is_empty() => "unparseable pipeline".to_string(),
            Outcome::Pipeline(formats) => formats.join("+"),
            other => format!("{other:?}"),
        };
        *by_folder
            .entry(folder_of(&dir, file))
            .or_default()
            .entry(kind)
            .or_default() += 1;
    }
    eprintln!("{by_folder:#?}");
    let kinds = |folder: &str| by_folder[folder].keys().cloned().collect::<Vec<_>>();
    // Each folder holds what SOURCES.md says it holds, and nothing is left unread.
    assert_eq!(kinds("kfp-ir"), ["kfp-ir"]);
    assert_eq!(kinds("kfp-ir-legacy-json"), ["kfp-ir"]);
    assert_eq!(kinds("kfp-ir-community"), ["kfp-ir"]);
    assert_eq!(kinds("kfp-v2-argo"), ["kfp-v2-backend-argo"]);
    for folder in [
        "argo-examples",
        "argo-e2e",
        "hera-examples",
        "argo-community",
    ] {
        for kind in kinds(folder) {
            assert!(
                kind.starts_with("argo-") || kind == "unparseable pipeline",
                "{folder}: {kind}"
            );
        }
    }
    // The oldest v1 fixtures carry no KFP marker at all and read as plain Argo.
    let v1 = &by_folder["kfp-v1-argo"];
    assert!(v1["kfp-v1-argo"] >= 40, "{v1:?}");
    assert!(
        v1.keys()
            .all(|k| k == "kfp-v1-argo" || k == "argo-workflow"),
        "{v1:?}"
    );
    assert!(kinds("kubeflow-examples").contains(&"kfp-v1-argo".to_string()));
    assert!(kinds("kubeflow-examples").contains(&"argo-workflow".to_string()));
    assert_eq!(by_folder["argo-e2e"]["unparseable pipeline"], 1);
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn malformed_corpus_files_are_reported_and_the_run_goes_on() {
    let (_, report) = corpus();
    let rules_of = |name: &str| -> Vec<&str> {
        let file = report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not linted"));
        file.findings.iter().map(|f| f.rule).collect()
    };
    assert_eq!(
        rules_of("argo-e2e/e2e__smoke__basic-invalid.yaml"),
        ["yaml-syntax"]
    );
    for name in [
        "argo-e2e/e2e__testdata__malformed__malformed-workflow.yaml",
        "argo-e2e/e2e__testdata__malformed__malformed-workflowtemplate.yaml",
        "argo-e2e/e2e__testdata__malformed__malformed-workflowtemplate-2.yaml",
        "argo-e2e/e2e__testdata__malformed__malformed-clusterworkflowtemplate.yaml",
        "argo-e2e/e2e__testdata__malformed__malformed-cronworkflow.yaml",
        "argo-e2e/e2e__lintfail__malformed-spec.yaml",
        "kfp-ir/invalid__empty_file.yaml",
        "kfp-ir/invalid__invalid_yaml.yaml",
        "kfp-ir/invalid__no_name.yaml",
    ] {
        assert!(
            rules_of(name).contains(&"malformed-pipeline"),
            "{name}: {:?}",
            rules_of(name)
        );
    }
    // The files after a broken one are linted all the same.
    let after_broken = report
        .files
        .iter()
        .skip_while(|f| !f.path.ends_with("e2e__smoke__basic-invalid.yaml"))
        .skip(1)
        .filter(|f| !f.findings.is_empty())
        .count();
    assert!(after_broken > 100);
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn findings_point_at_the_offending_line() {
    let (dir, report) = corpus();
    let mut seen_folders: BTreeMap<String, usize> = BTreeMap::new();
    for (file, f) in report.findings() {
        let text = line_text(file, f.span.start);
        match f.rule {
            "unpinned-image" => {
                // The line holds the image (KFP executor, Argo container) that is flagged.
                let image = f.message.split('"').nth(3).unwrap();
                assert!(
                    text.contains(image),
                    "{}: `{text}` lacks {image}",
                    file.path
                );
                assert!(!image.contains("@sha256:"), "{}: {image}", file.path);
            }
            "missing-resource-limits" => {
                let key = text.trim_start().trim_start_matches("- ").replace('"', "");
                assert!(
                    [
                        "container:",
                        "script:",
                        "resources:",
                        "limits:",
                        "name:",
                        "image:"
                    ]
                    .iter()
                    .any(|k| key.starts_with(k))
                        || key.starts_with('{')
                        || text.trim_start().starts_with("- "),
                    "{}:{}: `{text}`",
                    file.path,
                    file.lines.line_col(f.span.start).line
                );
            }
            _ => {}
        }
        if f.rule == "unpinned-image" || f.rule == "missing-resource-limits" {
            *seen_folders
                .entry(format!("{}/{}", folder_of(&dir, file), f.rule))
                .or_default() += 1;
        }
    }
    for folder in [
        "kfp-ir",
        "argo-examples",
        "hera-examples",
        "kfp-v1-argo",
        "kubeflow-examples",
    ] {
        for rule in ["unpinned-image", "missing-resource-limits"] {
            assert!(
                seen_folders.contains_key(&format!("{folder}/{rule}")),
                "{rule} never fired in {folder}: {seen_folders:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn known_cases_from_the_corpus_notes() {
    let (_, report) = corpus();
    let findings_in = |name: &str| -> Vec<(String, u32)> {
        let file = report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap();
        file.findings
            .iter()
            .map(|f| (f.rule.to_string(), file.lines.line_col(f.span.start).line))
            .collect()
    };
    // The kfp-kubernetes stub images are never pulled: no unpinned-image for them.
    let pvc = findings_in("kfp-ir/kubernetes_platform__create_mount_delete_dynamic_pvc.yaml");
    let file = report
        .files
        .iter()
        .find(|f| {
            f.path
                .ends_with("kubernetes_platform__create_mount_delete_dynamic_pvc.yaml")
        })
        .unwrap();
    for (rule, line) in &pvc {
        let text = file.source.lines().nth(*line as usize - 1).unwrap();
        assert!(!text.contains("argostub"), "{rule} on a stub image: {text}");
    }
    // The Llama fine-tune trainer runs `:latest`.
    let llama = report
        .files
        .iter()
        .find(|f| f.path.ends_with("use_cases__fine-tune-llama.yaml"))
        .unwrap();
    assert!(llama
        .findings
        .iter()
        .any(|f| f.rule == "unpinned-image" && f.message.contains("finetune-llama2:latest")));
    // The KFP v2 backend's driver and launcher images are the backend's, not the user's.
    let v2 = report
        .files
        .iter()
        .find(|f| f.path.ends_with("kfp-v2-argo/hello_world.yaml"))
        .unwrap();
    assert!(v2
        .findings
        .iter()
        .all(|f| !f.message.contains("kfp-driver") && !f.message.contains("kfp-launcher")));
    // A templateDefaults image is reported where it is written, once per default (script
    // and container), however many templates inherit it.
    let defaults = findings_in("argo-e2e/e2e__functional__template-default-image.yaml");
    let lines: Vec<u32> = defaults
        .iter()
        .filter(|(r, _)| r == "unpinned-image")
        .map(|(_, l)| *l)
        .collect();
    assert_eq!(lines, [9, 13], "{defaults:?}");
}

/// The judgment rules on the corpus files SOURCES.md lists as having real-world defects:
/// each fires where the file has its defect, and not on the file's clean steps.
#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn judgment_rules_on_the_files_with_known_defects() {
    let shared = require_shared();
    let corpus = shared.join("corpus");
    let steps_of = |report: &FileReport, rule: &str| -> Vec<String> {
        let mut steps: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .flat_map(|f| {
                f.step
                    .as_deref()
                    .into_iter()
                    .chain(f.also_steps.iter().map(String::as_str))
                    .map(str::to_string)
            })
            .collect();
        steps.sort();
        steps.dedup();
        steps
    };
    let lint = |name: &str| common::lint_file(&corpus.join(name));

    // Downloads from an external URL with no retry; the other two steps do no IO.
    let iris = lint("kfp-ir-community/dspo__docs__example_pipelines__iris__iris-pipeline.yaml");
    assert_eq!(steps_of(&iris, "io-step-without-retry"), ["create-dataset"]);

    // The hand-written workflow imports its data from GCS (S3 API) as a declared input
    // artifact and runs only local commands: the Argo executor moves the artifact under its
    // own retry with backoff (knowledge row `artifact-executor-retried`; the evaluation
    // set's labels take the same position), so the step itself is not an IO finding.
    let github = lint(
        "kubeflow-examples/github_issue_summarization__workflow__github_issues_summarization.yaml",
    );
    assert!(!steps_of(&github, "io-step-without-retry").contains(&"import-data".to_string()));

    // `uuid.uuid4()` in an f-string, cached; no other step of the pipeline is random.
    let automl = lint("kfp-ir/gcpc__v1__automl__tabular__automl_tabular_pipeline.yaml");
    assert_eq!(
        steps_of(&automl, "cache-on-random-step"),
        ["get-model-display-name"]
    );

    // `random.randint` inside `python -c "..."` in args; the print steps are clean.
    let nested = lint("kfp-ir/valid__essential__pipeline_with_nested_conditions_yaml.yaml");
    assert_eq!(
        steps_of(&nested, "cache-on-random-step"),
        [
            "flip-coin",
            "generate-random-number",
            "generate-random-number-2"
        ]
    );

    // The IR header says kfp-2.13.0, the executors install kfp==2.14.3.
    let nap = lint("kfp-ir/valid__take_nap_compiled.yaml");
    let skew: Vec<&str> = nap
        .findings
        .iter()
        .filter(|f| f.rule == "sdk-backend-version-mismatch")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        !skew.is_empty()
            && skew
                .iter()
                .all(|m| m.contains("kfp-2.13.0") && m.contains("kfp==2.14.3")),
        "{skew:?}"
    );

    // KFP v1-compiled Argo aimed at a KFP 2 backend.
    let settings = Settings {
        config: std::sync::Arc::new(pipelint::config::Config {
            kfp_backend_version: Some(pipelint::config::Version(2, 5, 0)),
            ..Default::default()
        }),
        ..Settings::default()
    };
    let v1 = common::lint_with(
        &corpus.join("kfp-v1-argo/sdk-1.8.22__preemptible_tpu_gpu.yaml"),
        &settings,
    );
    // A warning, not an error: v1 is deprecated, and the 2.x backend still runs v1
    // pipelines (Kubeflow's version-compatibility page; issue 14).
    assert!(v1
        .findings
        .iter()
        .any(|f| f.rule == "sdk-backend-version-mismatch"
            && f.message.contains("KFP v1 SDK")
            && f.severity == pipelint::finding::Severity::Warning));

    // The Llama fine-tune checkpoints with torchrun but states no checkpoint time; once it
    // does (here by annotation), the 30 s default grace period is reported on that line.
    let llama_path = corpus.join("hera-examples/use_cases__fine-tune-llama.yaml");
    let original = std::fs::read_to_string(&llama_path).unwrap();
    let annotated = original.replacen(
        "  - name: fine-tune-rank-n\n",
        "  - name: fine-tune-rank-n\n    metadata:\n      annotations:\n        pipelint.dev/checkpoint-seconds: \"240\"\n",
        1,
    );
    assert_ne!(original, annotated);
    let report = pipelint::engine::lint_bytes(
        "fine-tune-llama.yaml".into(),
        annotated.as_bytes(),
        true,
        &Settings::default(),
    );
    let grace: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "grace-period-shorter-than-checkpoint")
        .collect();
    assert_eq!(grace.len(), 1, "{grace:?}");
    assert_eq!(grace[0].step.as_deref(), Some("fine-tune-rank-n"));
    assert!(
        grace[0].message.contains("240 s") && grace[0].message.contains("30 s"),
        "{}",
        grace[0].message
    );
    assert!(steps_of(
        &lint("hera-examples/use_cases__fine-tune-llama.yaml"),
        "grace-period-shorter-than-checkpoint"
    )
    .is_empty());
}

/// The DAG and hygiene rules on real pipelines: `broken-dependency` only where the Argo
/// end-to-end suite breaks a reference on purpose, no cycles, no plaintext credentials
/// (every credential in the corpus comes from a Secret), and no `missing-timeout` where a
/// deadline is set.
#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn dag_and_hygiene_rules_on_the_corpus() {
    let (dir, report) = corpus();
    let hits = |rule: &str| -> Vec<String> {
        report
            .findings()
            .filter(|(_, f)| f.rule == rule)
            .map(|(file, f)| {
                let path = Path::new(&file.path);
                let rel = path.strip_prefix(&dir).unwrap_or(path);
                format!(
                    "{}:{}",
                    rel.to_string_lossy(),
                    file.lines.line_col(f.span.start).line
                )
            })
            .collect()
    };
    assert_eq!(
        hits("broken-dependency"),
        [
            "argo-e2e/e2e__expectedfailures__misreference-template-name.yaml:21",
            "argo-e2e/e2e__lintfail__invalid-spec.yaml:9",
        ]
    );
    assert_eq!(hits("dependency-cycle"), Vec::<String>::new());
    assert_eq!(hits("plaintext-secret"), Vec::<String>::new());
    let timeouts = hits("missing-timeout");
    assert!(timeouts.len() > 1000, "{}", timeouts.len());
    // Steps without a pod that could hang (review of real pipelines, issue 14): the
    // kfp-kubernetes CreatePVC/DeletePVC stubs and Argo daemons get no `missing-timeout`;
    // the daemon's client still does.
    let steps_with_timeout_findings = |name: &str| -> Vec<String> {
        let file = report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap();
        file.findings
            .iter()
            .filter(|f| f.rule == "missing-timeout")
            .map(|f| f.step.as_deref().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        steps_with_timeout_findings("argo-examples/daemon-nginx.yaml"),
        ["nginx-client"]
    );
    let pvc =
        steps_with_timeout_findings("kfp-ir/valid__critical__pipeline_with_volume_long_name.yaml");
    assert!(
        pvc.iter()
            .all(|s| !s.contains("createpvc") && !s.contains("deletepvc")),
        "{pvc:?}"
    );
    // Unbounded retries: only Argo's "retry until it succeeds" example (and Hera's copy),
    // no `limit` by design there, flagged for what it is. Bounded backoffs (a `limit`, no
    // `maxDuration`) are not findings any more, and no step of the corpus is both retried
    // and non-idempotent.
    assert_eq!(
        hits("unbounded-retry"),
        [
            "argo-examples/retry-container-to-completion.yaml:12",
            "hera-examples/upstream__retry-container-to-completion.yaml:16",
        ]
    );
    assert_eq!(hits("retry-on-non-idempotent-step"), Vec::<String>::new());
    // `whalesay` sets `activeDeadlineSeconds`; only `say` is flagged.
    let global = report
        .files
        .iter()
        .find(|f| f.path.ends_with("hera-examples/misc__global-config.yaml"))
        .unwrap();
    let steps: Vec<_> = global
        .findings
        .iter()
        .filter(|f| f.rule == "missing-timeout")
        .map(|f| f.step.as_deref().unwrap_or_default().to_string())
        .collect();
    assert_eq!(steps, ["say"]);
}

/// `invalid-manifest` (the Argo schema): nothing on the files Argo accepts, every
/// deliberately malformed e2e file caught at the key, and every other finding in the corpus
/// accounted for.
#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn invalid_manifest_on_the_corpus() {
    let (dir, report) = corpus();
    let mut found: Vec<(String, u32, String)> = Vec::new();
    let mut argo_examples = 0;
    for file in &report.files {
        if folder_of(&dir, file) == "argo-examples" && matches!(file.outcome, Outcome::Pipeline(_))
        {
            argo_examples += 1;
        }
        let name = Path::new(&file.path)
            .strip_prefix(&dir)
            .unwrap_or(Path::new(&file.path))
            .to_string_lossy()
            .into_owned();
        for f in file
            .findings
            .iter()
            .filter(|f| f.rule == "invalid-manifest")
        {
            let line = file.lines.line_col(f.span.start).line;
            let key = file.source[f.span.range()]
                .split(':')
                .next()
                .unwrap()
                .trim_start_matches("- ")
                .to_string();
            found.push((name.clone(), line, key));
        }
    }
    found.sort();
    let found: Vec<(&str, u32, &str)> = found
        .iter()
        .map(|(f, l, k)| (f.as_str(), *l, k.as_str()))
        .collect();
    // Every Argo example upstream ships (all accepted by Argo) is clean, including the 13
    // that Argo's own published schema rejects (`limit: 10`, `port: 80`).
    assert_eq!(argo_examples, 212);
    let expected: &[(&str, u32, &str)] = &[
        // A 2018 `kubectl get -o yaml` export: `metadata.clusterName` left Kubernetes'
        // ObjectMeta in 1.25, and Argo rejects it today (the `status` is not checked).
        (
            "argo-community/kubeflow-testing__py__kubeflow__tests__test-data__successful_workflow.yaml",
            4,
            "clusterName",
        ),
        // Deliberately malformed: a misspelled `entrypoint`, a template without a name.
        ("argo-e2e/e2e__cron__cron-and-malformed-template.yaml", 37, "entrypoints"),
        ("argo-e2e/e2e__cron__cron-and-malformed-template.yaml", 39, "container"),
        // `argo lint` must fail on these: an unknown container field; a list entrypoint.
        ("argo-e2e/e2e__lintfail__disallow-unknown.yaml", 15, "someExtraField"),
        ("argo-e2e/e2e__lintfail__malformed-spec.yaml", 9, "entrypoint"),
        // `dbapiVersion:` typo (also malformed-pipeline: `apiVersion` missing).
        ("argo-e2e/e2e__synchronization__db-mutex-wf-level.yaml", 1, "dbapiVersion"),
        ("argo-e2e/e2e__synchronization__mutex-wf-level.yaml", 1, "dbapiVersion"),
        // `parameters` written as a mapping; the CronWorkflow also has no schedule.
        (
            "argo-e2e/e2e__testdata__malformed__malformed-clusterworkflowtemplate.yaml",
            9,
            "parameters",
        ),
        ("argo-e2e/e2e__testdata__malformed__malformed-cronworkflow.yaml", 7, "spec"),
        ("argo-e2e/e2e__testdata__malformed__malformed-cronworkflow.yaml", 10, "parameters"),
        ("argo-e2e/e2e__testdata__malformed__malformed-workflow.yaml", 9, "parameters"),
        // A template with no name.
        ("argo-e2e/e2e__testdata__malformed__malformed-workflowtemplate-2.yaml", 9, "container"),
        ("argo-e2e/e2e__testdata__malformed__malformed-workflowtemplate.yaml", 9, "parameters"),
        // Test inputs for other errors that also mount a volume without `mountPath`.
        ("argo-e2e/e2e__testdata__workflow-template-invalid-entrypoint.yaml", 28, "name"),
        ("argo-e2e/e2e__testdata__workflow-template-invalid-onexit.yaml", 33, "name"),
        // Deliberately invalid: `entrypoints`.
        ("argo-e2e/e2e__testdata__workflow-templates__invalid-workflowtemplate.yaml", 9, "entrypoints"),
    ];
    assert_eq!(found, expected);
    // The one lintfail file with no schema problem: `entrypoint: doesnotexist` is a broken
    // reference, not a shape (see `broken-dependency`).
    assert!(!found
        .iter()
        .any(|(f, _, _)| f.ends_with("e2e__lintfail__invalid-spec.yaml")));
}

/// The embedded schema (from Hera's models, plus the documented patches) knows every field
/// that Argo's own published schema knows for the types of Workflow manifests. Argo's schema
/// is read from `../shared` for this comparison only; it is never copied into the repository.
#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn the_argo_schema_covers_what_argo_publishes() {
    let shared = require_shared();
    let read = |path: PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let argo = read(shared.join("schemas/argo-workflows.schema.json"));
    let ours =
        read(common::repo_root().join("src/rules/invalid_manifest/argo-workflows.schema.json"));
    let argo = argo["definitions"].as_object().unwrap();
    let mut compared = 0;
    let mut missing = Vec::new();
    for (name, def) in ours["$defs"].as_object().unwrap() {
        let Some(props) = def["properties"].as_object() else {
            continue;
        };
        // pydantic prefixes the module path when two models share a name.
        let full = name
            .strip_prefix("hera__workflows__models__")
            .map(|n| n.replace("__", "."));
        let candidates: Vec<String> = match full {
            Some(full) => vec![full],
            None => [
                "io.argoproj.workflow.v1alpha1",
                "io.k8s.api.core.v1",
                "io.k8s.api.policy.v1",
                "io.k8s.apimachinery.pkg.apis.meta.v1",
            ]
            .iter()
            .map(|p| format!("{p}.{name}"))
            .collect(),
        };
        let found: Vec<&serde_json::Map<String, serde_json::Value>> = candidates
            .iter()
            .filter_map(|n| argo.get(n)?["properties"].as_object())
            .collect();
        let [argo_props] = found.as_slice() else {
            continue;
        };
        compared += 1;
        for field in argo_props.keys() {
            if !props.contains_key(field) {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(compared > 150, "only {compared} types compared");
    assert!(
        missing.is_empty(),
        "fields Argo has and the schema lacks: {missing:?}"
    );
}

/// `undefined-reference`, `argument-mismatch` and the KFP input bindings of
/// `malformed-pipeline` on the whole corpus: exactly the references the upstream files
/// really break, each checked against Argo's validator (`workflow/validate/validate.go`,
/// `ProcessArgs` in `workflow/common/util.go`).
#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn reference_rules_find_only_the_broken_references_of_the_corpus() {
    let (corpus, report) = corpus();
    let mut found: Vec<String> = Vec::new();
    for file in &report.files {
        let rel = Path::new(&file.path)
            .strip_prefix(&corpus)
            .unwrap_or(Path::new(&file.path))
            .to_string_lossy()
            .into_owned();
        for f in &file.findings {
            let binding = f.rule == "malformed-pipeline" && f.message.contains(" takes ");
            if f.rule == "undefined-reference" || f.rule == "argument-mismatch" || binding {
                let line = file.lines.line_col(f.span.start).line;
                found.push(format!("{rel}:{line} {}", f.rule));
            }
        }
    }
    found.sort();
    assert_eq!(
        found,
        [
            // Couler's golden file passes `{{steps.A...}}` inside a DAG: Argo cannot resolve
            // it (`tasks.A` was meant).
            "argo-community/couler__artifact_passing_golden.yaml:23 undefined-reference",
            // Argo's own expected-failure e2e cases: a required input left out.
            "argo-e2e/e2e__expectedfailures__empty-parameter-dag.yaml:12 argument-mismatch",
            "argo-e2e/e2e__expectedfailures__empty-parameter-steps.yaml:11 argument-mismatch",
            // Hera's example calls a suspend template whose input `duration` has no default
            // without passing it: `inputs.parameters.duration was not supplied`.
            "hera-examples/misc__suspend-input-duration.yaml:27 argument-mismatch",
        ],
        "{found:#?}"
    );
}
