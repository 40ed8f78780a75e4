//! Pipelines in formats pipelint does not lint (KFP-Tekton `PipelineRun`s) are named in the
//! summary and the JSON `files` list, not counted as "not a pipeline".

mod common;

use std::process::Command;

use common::repo_root;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .arg("check")
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the binary runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn kfp_tekton_pipelineruns_are_an_unsupported_pipeline_format() {
    let json = run(&[
        "--format",
        "json",
        "testdata/formats/kfp-tekton-pipelinerun.yaml",
        "testdata/formats/tekton-pipelinerun.yaml",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    let files = report["files"].as_array().expect("a files list");
    let entry = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} is listed: {json}"))
    };
    let kfp = entry("kfp-tekton-pipelinerun.yaml");
    assert_eq!(kfp["kind"], "unsupported-pipeline", "{kfp}");
    assert_eq!(kfp["formats"], serde_json::json!(["kfp-tekton"]), "{kfp}");
    let plain = entry("/tekton-pipelinerun.yaml");
    assert_eq!(plain["kind"], "unsupported-pipeline", "{plain}");
    assert_eq!(plain["formats"], serde_json::json!(["tekton"]), "{plain}");
    assert_eq!(report["summary"]["unsupported"], 2, "{json}");
    assert_eq!(report["summary"]["not_pipelines"], 0, "{json}");
    assert_eq!(report["findings"], serde_json::json!([]), "{json}");

    let text = run(&["testdata/formats/kfp-tekton-pipelinerun.yaml"]);
    assert!(
        text.contains("1 file in a pipeline format pipelint does not lint (Tekton)"),
        "{text}"
    );
    assert!(!text.contains("not pipelines"), "{text}");
}

#[test]
fn other_tekton_and_kubernetes_objects_are_not_pipelines() {
    // A Tekton Task is not a pipeline run; a ConfigMap is nothing pipelint knows.
    let dir = std::env::temp_dir().join(format!("pipelint-unsupported-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let task = dir.join("task.yaml");
    std::fs::write(
        &task,
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: echo\nspec:\n  steps:\n    - name: echo\n      image: alpine\n",
    )
    .unwrap();
    let json = run(&["--format", "json", task.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    assert_eq!(report["files"][0]["kind"], "not-pipeline", "{json}");
    assert_eq!(report["summary"]["unsupported"], 0, "{json}");
    let _ = std::fs::remove_dir_all(&dir);
}
