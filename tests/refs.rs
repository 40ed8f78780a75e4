//! `--strict-refs`: `templateRef`s resolved against every file of the run.

mod common;

use std::process::Command;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-refs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn broken_dependency_lines(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "--format", "compact"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("[broken-dependency]"))
        .map(str::to_string)
        .collect()
}

#[test]
fn template_refs_resolve_across_the_files_of_a_run() {
    let dir = temp_dir("strict");
    std::fs::write(
        dir.join("library.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: ml-steps\nspec:\n  templates:\n    - name: train\n      container:\n        image: ghcr.io/acme/trainer:1.4.0\n---\napiVersion: argoproj.io/v1alpha1\nkind: ClusterWorkflowTemplate\nmetadata:\n  name: notify\nspec:\n  templates:\n    - name: slack\n      container:\n        image: ghcr.io/acme/notify:1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("wf.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: churn-\nspec:\n  entrypoint: main\n  templates:\n    - name: main\n      steps:\n        - - name: train\n            templateRef: {name: ml-steps, template: train}\n        - - name: evaluate\n            templateRef: {name: ml-steps, template: evaluate}\n        - - name: notify\n            templateRef: {name: notify, template: slack, clusterScope: true}\n        - - name: scan\n            templateRef: {name: security-scans, template: trivy}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: from-template-\nspec:\n  workflowTemplateRef: {name: nightly-churn}\n",
    )
    .unwrap();
    // Without the flag, other files are not consulted: nothing to report.
    assert!(broken_dependency_lines(&dir, &["wf.yaml"]).is_empty());
    // With it, the known WorkflowTemplate lacks `evaluate`, and two manifests are unknown.
    let lines = broken_dependency_lines(&dir, &["--strict-refs", "."]);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines[0].starts_with("wf.yaml:13:53:") && lines[0].contains("has no template \"evaluate\""),
        "{lines:#?}"
    );
    assert!(
        lines[1].starts_with("wf.yaml:17:33:")
            && lines[1].contains("WorkflowTemplate \"security-scans\" is not defined"),
        "{lines:#?}"
    );
    assert!(
        lines[2].starts_with("wf.yaml:24:31:") && lines[2].contains("\"nightly-churn\""),
        "{lines:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn rule_lines(dir: &std::path::Path, rule: &str, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "--format", "compact"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&format!("[{rule}]")))
        .map(str::to_string)
        .collect()
}

#[test]
fn arguments_and_outputs_are_checked_through_template_refs_of_the_run() {
    let dir = temp_dir("strict-arguments");
    std::fs::write(
        dir.join("library.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: ml-steps\nspec:\n  templates:\n    - name: train\n      inputs:\n        parameters:\n          - name: epochs\n      container:\n        image: ghcr.io/acme/trainer:1.4.0\n      outputs:\n        parameters:\n          - name: score\n            valueFrom: {path: /tmp/score}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("wf.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: churn-\nspec:\n  entrypoint: main\n  templates:\n    - name: main\n      steps:\n        - - name: train\n            templateRef: {name: ml-steps, template: train}\n            arguments:\n              parameters:\n                - {name: epoch, value: \"3\"}\n        - - name: report\n            template: report\n            arguments:\n              parameters:\n                - {name: score, value: \"{{steps.train.outputs.parameters.scor}}\"}\n    - name: report\n      inputs:\n        parameters:\n          - name: score\n      container:\n        image: ghcr.io/acme/report:1.0.0\n",
    )
    .unwrap();
    // Without the flag, the WorkflowTemplate of the other file is unknown: nothing to judge.
    assert!(rule_lines(&dir, "argument-mismatch", &["wf.yaml"]).is_empty());
    assert!(rule_lines(&dir, "undefined-reference", &["wf.yaml"]).is_empty());
    let arguments = rule_lines(&dir, "argument-mismatch", &["--strict-refs", "."]);
    assert_eq!(arguments.len(), 2, "{arguments:#?}");
    assert!(
        arguments[0].starts_with("wf.yaml:10:19:") && arguments[0].contains("\"epochs\""),
        "{arguments:#?}"
    );
    assert!(
        arguments[1].starts_with("wf.yaml:14:26:") && arguments[1].contains("\"epoch\""),
        "{arguments:#?}"
    );
    let references = rule_lines(&dir, "undefined-reference", &["--strict-refs", "."]);
    assert_eq!(references.len(), 1, "{references:#?}");
    assert!(
        references[0].starts_with("wf.yaml:19:41:")
            && references[0].contains("has no output parameter \"scor\""),
        "{references:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
