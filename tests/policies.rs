//! Organisation policies: the three example policies of `rules/policies.md` on the fixtures
//! of `testdata/policies/` (exact lines, `# expect: <policy-id>` markers), the JSON views
//! they are written against, and config errors for policies that do not compile.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{expected_lines, lint_file, render_plain, repo_root};
use pipelint::config::Config;

const POLICIES: &[&str] = &["approved-registries", "memory-ceiling", "team-label"];

fn fixtures() -> Vec<PathBuf> {
    let dir = repo_root().join("testdata/policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| e == "yaml")
                && !p.file_name().unwrap().to_string_lossy().starts_with('.')
        })
        .collect();
    files.sort();
    files
}

#[test]
fn example_policies_fire_on_the_marked_lines() {
    let files = fixtures();
    assert!(files.len() >= 4, "fixtures: {files:?}");
    let mut failures = Vec::new();
    let mut snapshots = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let mut report = lint_file(path);
        report.findings.retain(|f| POLICIES.contains(&f.rule));
        let mut marked = 0;
        for policy in POLICIES {
            let got: BTreeSet<u32> = report
                .findings
                .iter()
                .filter(|f| f.rule == *policy)
                .map(|f| report.lines.line_col(f.span.start).line)
                .collect();
            let want: BTreeSet<u32> = expected_lines(&text, policy).into_iter().collect();
            marked += want.len();
            if got != want {
                failures.push(format!(
                    "{name}: {policy} on lines {got:?}, markers on {want:?}"
                ));
            }
        }
        if name.starts_with("pass-") {
            assert_eq!(marked, 0, "{name}: pass fixtures carry no markers");
        } else {
            assert!(marked > 0, "{name}: a fail fixture needs markers");
            snapshots.push((
                name.trim_end_matches(".yaml").to_string(),
                render_plain(report),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("testdata/policies/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (stem, rendered) in snapshots {
            insta::assert_snapshot!(stem, rendered);
        }
    });
}

#[test]
fn policy_findings_flow_through_the_reports() {
    let report = lint_file(&repo_root().join("testdata/policies/fail-argo.yaml"));
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "memory-ceiling")
        .expect("a memory-ceiling finding");
    assert_eq!(finding.severity, pipelint::finding::Severity::Error);
    assert_eq!(finding.step.as_deref(), Some("train"));
    assert!(
        finding.message.contains("more than 64Gi"),
        "{}",
        finding.message
    );
    assert!(finding.help.contains("split the step"), "{}", finding.help);
    let team = report
        .findings
        .iter()
        .find(|f| f.rule == "team-label")
        .unwrap();
    assert_eq!(team.severity, pipelint::finding::Severity::Warning);
    let json = pipelint::report::render_json(&pipelint::engine::RunReport {
        files: vec![report],
        ..Default::default()
    });
    assert!(json.contains("\"rule\": \"approved-registries\""), "{json}");
    assert!(json.contains("\"rule\": \"team-label\""), "{json}");
}

/// The step view is the documented contract of policies: snapshot it.
#[test]
fn step_and_pipeline_views() {
    let path = repo_root().join("testdata/policies/fail-argo.yaml");
    let src = std::fs::read_to_string(&path).unwrap();
    let yaml = pipelint::yaml::parse(&src, &pipelint::yaml::ParseLimits::default());
    let (pipelines, _) = pipelint::formats::adapt_file(&yaml, &src);
    let pipeline = &pipelines[0];
    let train = pipeline.steps.iter().find(|s| &*s.name == "train").unwrap();
    let view = pipelint::policy::step_view(pipeline, train, &src);
    let limits = &view.value["containers"][1]["resources"]["limits"];
    assert_eq!(limits["memory"], "137438953472");
    assert_eq!(limits["memory_bytes"], 137_438_953_472u64);
    assert_eq!(view.value["image"]["registry"], "ghcr.io");
    assert_eq!(
        view.value["resources"]["limits"]["memory_bytes"],
        103_079_215_104u64
    );
    let prepare = pipeline
        .steps
        .iter()
        .find(|s| &*s.name == "prepare")
        .unwrap();
    let prepare_view = pipelint::policy::step_view(pipeline, prepare, &src);
    assert_eq!(prepare_view.value["image"]["registry"], "docker.io");
    assert_eq!(prepare_view.value["image"]["repository"], "library/python");
    assert_eq!(
        prepare_view.value["resources"]["limits"]["cpu_millicores"],
        2000
    );
    let pipeline_view = pipelint::policy::pipeline_view(pipeline, &src);
    assert_eq!(pipeline_view.value["steps"].as_array().unwrap().len(), 2);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("testdata/policies/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_json_snapshot!("view-step-train", view.value);
        insta::assert_json_snapshot!("view-pipeline", pipeline_view.value);
    });
}

fn config(text: &str) -> Result<Config, pipelint::config::ConfigError> {
    Config::from_text(Path::new(".pipelint.yaml"), text)
}

fn lint_text(config: Config, text: &str) -> pipelint::engine::FileReport {
    let settings = pipelint::engine::Settings {
        config: std::sync::Arc::new(config),
        ..Default::default()
    };
    pipelint::engine::lint_bytes("wf.yaml".into(), text.as_bytes(), true, &settings)
}

#[test]
fn pipeline_scope_and_absent_fields() {
    let c = config(
        "policies:\n  - id: run-deadline\n    severity: warning\n    message: has no deadline\n    scope: pipeline\n    schema:\n      required: [timeout]\n  - id: bounded-retries\n    severity: info\n    message: retries too often\n    scope: step\n    schema:\n      properties:\n        retry:\n          properties:\n            limit: {maximum: 3}\n",
    )
    .unwrap();
    let wf = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: nightly\nspec:\n  entrypoint: a\n  templates:\n    - name: a\n      retryStrategy:\n        limit: 10\n      container:\n        image: ghcr.io/acme/a:1\n";
    let report = lint_text(c, wf);
    let at = |rule: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| report.lines.line_col(f.span.start))
            .unwrap_or_else(|| panic!("no {rule} finding: {:#?}", report.findings))
    };
    // No `timeout`: the pipeline's opening (its name).
    assert_eq!(at("run-deadline").line, 4);
    // The retry limit itself.
    assert_eq!(
        (at("bounded-retries").line, at("bounded-retries").column),
        (10, 16)
    );
}

#[test]
fn policy_errors_name_the_line() {
    let cases: &[(&str, (u32, u32), &str)] = &[
        (
            "policies:\n  - id: a\n    severity: error\n    message: m\n    scope: step\n    schema:\n      properties:\n        image:\n          type: strin\n",
            (9, 17),
            "does not compile",
        ),
        (
            "policies:\n  - id: a\n    severity: error\n    message: m\n    scope: step\n    schema:\n      properties:\n        name: {pattern: '^(?!tmp-)'}\n",
            (8, 25),
            "does not compile",
        ),
        (
            "policies:\n  - id: a\n    severity: error\n    message: m\n    scope: step\n    shema: {}\n",
            (6, 5),
            "did you mean `schema`",
        ),
        (
            "policies:\n  - id: unpinned-image\n    severity: error\n    message: m\n    scope: step\n    schema: {}\n",
            (2, 9),
            "built-in rule",
        ),
        (
            "policies:\n  - id: a\n    severity: fatal\n    message: m\n    scope: step\n    schema: {}\n",
            (3, 15),
            "error, warning or info",
        ),
        (
            "policies:\n  - id: a\n    severity: error\n    message: m\n    scope: job\n    schema: {}\n",
            (5, 12),
            "step or pipeline",
        ),
        (
            "policies:\n  - id: a\n    severity: error\n    message: m\n    scope: step\n    schema: {}\n  - id: a\n    severity: error\n    message: m\n    scope: step\n    schema: {}\n",
            (7, 9),
            "declared twice",
        ),
        (
            "policies:\n  - id: a\n    severity: error\n    scope: step\n    schema: {}\n",
            (2, 5),
            "no `message`",
        ),
    ];
    for (text, (line, column), needle) in cases {
        let e = config(text).expect_err(text);
        assert_eq!((e.line, e.column), (*line, *column), "{text}\n{e}");
        assert!(e.message.contains(needle), "{}", e.message);
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-policy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_broken_policy_is_exit_2_with_file_line_and_column() {
    let dir = temp_dir("broken");
    std::fs::write(
        dir.join(".pipelint.yaml"),
        "policies:\n  - id: approved-registries\n    severity: error\n    message: m\n    scope: step\n    schema:\n      properties:\n        images:\n          items:\n            properties:\n              registry: {enum: ghcr.io}\n",
    )
    .unwrap();
    std::fs::copy(
        repo_root().join("testdata/policies/pass-argo.yaml"),
        dir.join("wf.yaml"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "wf.yaml"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".pipelint.yaml:11:32"), "{stderr}");

    // An error in a file of a policies folder names that file.
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(dir.join(".pipelint.yaml"), "policies: [policies/]\n").unwrap();
    std::fs::write(
        dir.join("policies/labels.yaml"),
        "id: team-label\nseverity: warning\nmessage: m\nscope: step\nschema:\n  minProperties: many\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "wf.yaml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("labels.yaml:6:18"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
