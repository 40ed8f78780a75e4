//! The binary as users run it: exit codes, formats, determinism, skipping, errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::repo_root;

fn pipelint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn exit_codes() {
    let clean = pipelint(&[
        "check",
        "testdata/rules/unpinned-image/pass-argo.yaml",
        "testdata/rules/unpinned-image/pass-kfp.yaml",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    // Only warnings (mutable tags) still exit 0.
    let warnings = pipelint(&[
        "check",
        "testdata/rules/missing-resource-limits/fail-argo-workflow.yaml",
    ]);
    assert_eq!(warnings.status.code(), Some(0), "{}", stdout(&warnings));
    assert!(
        stdout(&warnings).contains("warning"),
        "{}",
        stdout(&warnings)
    );
    let errors = pipelint(&[
        "check",
        "testdata/rules/unpinned-image/fail-argo-workflow.yaml",
    ]);
    assert_eq!(errors.status.code(), Some(1));
    let missing = pipelint(&["check", "no/such/file.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/file.yaml"));
    let usage = pipelint(&["check", "--format", "xml", "."]);
    assert_eq!(usage.status.code(), Some(2));
    let unknown_rule = pipelint(&["rule", "no-such-rule"]);
    assert_eq!(unknown_rule.status.code(), Some(2));
    assert!(stderr(&unknown_rule).contains("unpinned-image"));
}

#[test]
fn compact_format_is_one_line_per_finding() {
    let out = pipelint(&[
        "check",
        "--format",
        "compact",
        "testdata/rules/unpinned-image/fail-argo-workflow.yaml",
    ]);
    let text = stdout(&out);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[unpinned-image]"))
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    let limits = text
        .lines()
        .filter(|l| l.contains("[missing-resource-limits]"))
        .count();
    assert_eq!(limits, 7, "and seven containers without limits:\n{text}");
    assert_eq!(
        lines[0],
        "testdata/rules/unpinned-image/fail-argo-workflow.yaml:44:16: error[unpinned-image] step \"fetch-data\" runs image \"amazon/aws-cli:latest\", not pinned by digest"
    );
    let summary = stderr(&out);
    let counted = format!("{} findings (3 errors, ", text.lines().count());
    assert!(summary.contains(&counted), "{summary}");
    assert!(summary.ends_with("in 1 pipeline file\n"), "{summary}");
}

#[test]
fn json_report_carries_every_documented_field() {
    let out = pipelint(&[
        "check",
        "--format",
        "json",
        "testdata/rules/missing-resource-limits/fail-kfp.yaml",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "pipelint");
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for field in [
            "rule", "severity", "message", "file", "pipeline", "step", "span", "label", "help",
        ] {
            assert!(!f[field].is_null(), "missing {field} in {f}");
        }
        for end in ["start", "end"] {
            for k in ["line", "column", "column_utf16", "offset"] {
                assert!(
                    f["span"][end][k].as_u64().is_some(),
                    "span.{end}.{k} in {f}"
                );
            }
        }
    }
    let first = findings
        .iter()
        .find(|f| f["rule"] == "missing-resource-limits")
        .expect("a missing-resource-limits finding");
    assert_eq!(
        first["file"],
        "testdata/rules/missing-resource-limits/fail-kfp.yaml"
    );
    assert_eq!(first["span"]["start"]["line"], 196);
    assert_eq!(first["span"]["start"]["column"], 9);
    assert_eq!(
        doc["summary"]["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
    assert_eq!(doc["files"][0]["formats"][0], "kfp-ir");
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let a = pipelint(&["check", "--format", "json", "-j", "1", "testdata"]);
    let b = pipelint(&["check", "--format", "json", "-j", "2", "testdata"]);
    let c = pipelint(&["check", "--format", "json", "testdata"]);
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(b.stdout, c.stdout);
    let human_a = pipelint(&["check", "testdata/examples"]);
    let human_b = pipelint(&["check", "testdata/examples"]);
    assert_eq!(human_a.stdout, human_b.stdout);
}

#[test]
fn other_yaml_is_skipped_and_counted_and_a_broken_pipeline_does_not_stop_the_run() {
    let dir = temp_dir("skip");
    std::fs::write(
        dir.join("configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.json"), "{\"replicas\": 2}").unwrap();
    std::fs::write(dir.join("helm.yaml"), "{{ if .Values.x }}\nkey: [\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not linted").unwrap();
    std::fs::write(
        dir.join("broken.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates: [\n",
    )
    .unwrap();
    std::fs::copy(
        repo_root().join("testdata/rules/unpinned-image/fail-argo-workflow.yaml"),
        dir.join("workflow.yaml"),
    )
    .unwrap();
    let out = pipelint(&["check", "--format", "compact", dir.to_str().unwrap()]);
    let text = stdout(&out);
    // The unclosed bracket is reported where it opens.
    assert!(
        text.contains("broken.yaml:4:14: error[yaml-syntax] invalid YAML: unclosed bracket"),
        "{text}"
    );
    assert_eq!(text.matches("error[unpinned-image]").count(), 3, "{text}");
    assert!(
        !text.contains("configmap") && !text.contains("helm.yaml"),
        "{text}"
    );
    let summary = stderr(&out);
    assert!(
        summary.contains("3 other YAML/JSON files skipped"),
        "{summary}"
    );
    assert!(summary.contains("in 2 pipeline files"), "{summary}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gitignored_files_are_not_walked_but_explicit_ones_are_linted() {
    let dir = temp_dir("ignore");
    std::fs::write(dir.join(".gitignore"), "generated/\n").unwrap();
    std::fs::create_dir(dir.join("generated")).unwrap();
    let src = repo_root().join("testdata/rules/unpinned-image/fail-argo-workflow.yaml");
    std::fs::copy(&src, dir.join("generated/wf.yaml")).unwrap();
    let walked = pipelint(&["check", "--format", "compact", dir.to_str().unwrap()]);
    assert_eq!(stdout(&walked), "");
    let explicit = dir.join("generated/wf.yaml");
    let named = pipelint(&["check", "--format", "compact", explicit.to_str().unwrap()]);
    assert_eq!(stdout(&named).matches("[unpinned-image]").count(), 5);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_bytes_get_a_message_and_the_other_files_are_still_linted() {
    let dir = temp_dir("bytes");
    std::fs::write(
        dir.join("binary.yaml"),
        b"apiVersion: argoproj.io/v1alpha1\nkind: \xff\xfe\x00\x01",
    )
    .unwrap();
    let utf16: Vec<u8> = [0xFFu8, 0xFE]
        .into_iter()
        .chain("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n  - name: a\n    container: {image: alpine}\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    std::fs::write(dir.join("utf16.yaml"), utf16).unwrap();
    std::fs::write(dir.join("empty.yaml"), "").unwrap();
    let out = pipelint(&["check", "--format", "compact", dir.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        text.contains("binary.yaml:2:7: error[yaml-syntax] the file is not UTF-8 text"),
        "{text}"
    );
    assert!(
        text.contains("utf16.yaml:6:24: error[unpinned-image]"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rules_and_rule_print_the_registry_and_docs() {
    let out = pipelint(&["rules"]);
    let text = stdout(&out);
    for id in [
        "unpinned-image",
        "missing-resource-limits",
        "yaml-syntax",
        "duplicate-key",
        "malformed-pipeline",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{text}"
        );
    }
    let doc = pipelint(&["rule", "unpinned-image"]);
    assert_eq!(doc.status.code(), Some(0));
    let expected = std::fs::read_to_string(repo_root().join("rules/unpinned-image.md")).unwrap();
    assert_eq!(stdout(&doc), expected);
}

#[test]
fn human_output_names_file_line_column_rule_and_help() {
    let out = pipelint(&[
        "check",
        "testdata/rules/unpinned-image/fail-argo-workflow.yaml",
    ]);
    let text = stdout(&out);
    assert!(text.contains("pipelint(unpinned-image)"), "{text}");
    assert!(
        text.contains("[testdata/rules/unpinned-image/fail-argo-workflow.yaml:44:16]"),
        "{text}"
    );
    assert!(text.contains("help: pin it by digest"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes when NO_COLOR is set or not a terminal"
    );
    assert!(Path::new(env!("CARGO_BIN_EXE_pipelint")).exists());
}

#[test]
fn config_is_found_by_walking_up_and_validated() {
    let dir = temp_dir("config");
    std::fs::create_dir_all(dir.join("team/pipelines")).unwrap();
    let fixture = repo_root().join("testdata/rules/unpinned-image/fail-argo-workflow.yaml");
    std::fs::copy(&fixture, dir.join("team/pipelines/wf.yaml")).unwrap();
    std::fs::copy(&fixture, dir.join("other.yaml")).unwrap();
    // Applies to team/pipelines/wf.yaml only: tags like v1.2.3 allowed, limits rule off.
    std::fs::write(
        dir.join("team/.pipelint.yaml"),
        "rules:\n  unpinned-image:\n    allow-tags: ['^v\\d+\\.\\d+\\.\\d+$']\n  missing-resource-limits:\n    severity: off\n",
    )
    .unwrap();
    let out = pipelint(&["check", "--format", "compact", dir.to_str().unwrap()]);
    let text = stdout(&out);
    let team: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("team/pipelines")
                && (l.contains("[unpinned-image]") || l.contains("[missing-resource-limits]"))
        })
        .collect();
    let other: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("other.yaml")
                && (l.contains("[unpinned-image]") || l.contains("[missing-resource-limits]"))
        })
        .collect();
    assert_eq!(team.len(), 4, "{text}");
    assert!(
        team.iter()
            .all(|l| l.contains("[unpinned-image]") && !l.contains("v1.2.3")),
        "{text}"
    );
    assert_eq!(other.len(), 12, "{other:#?}");

    // --config applies one file everywhere; a severity override changes the exit code.
    std::fs::write(
        dir.join("lenient.yaml"),
        "rules:\n  unpinned-image:\n    severity: warning\n",
    )
    .unwrap();
    let lenient = pipelint(&[
        "check",
        "--config",
        dir.join("lenient.yaml").to_str().unwrap(),
        dir.join("other.yaml").to_str().unwrap(),
    ]);
    assert_eq!(lenient.status.code(), Some(0), "{}", stdout(&lenient));

    // A typo is exit 2 with file:line:col, and nothing is linted.
    std::fs::write(
        dir.join("team/.pipelint.yaml"),
        "rules:\n  unpinned-image:\n    allow-tag: [x]\n",
    )
    .unwrap();
    let bad = pipelint(&["check", dir.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let message = stderr(&bad);
    assert!(message.contains(".pipelint.yaml:3:5: unknown key `allow-tag` under `rules.unpinned-image` (did you mean `allow-tags`?)"), "{message}");
    assert_eq!(stdout(&bad), "");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn target_versions_from_flags() {
    let v1 = "testdata/rules/unpinned-image/pass-argo.yaml";
    let none = pipelint(&["check", "--format", "compact", v1]);
    assert!(!stdout(&none).contains("sdk-backend-version-mismatch"));
    let bad_flag = pipelint(&["check", "--kfp-backend-version", "latest", v1]);
    assert_eq!(bad_flag.status.code(), Some(2));
    assert!(
        stderr(&bad_flag).contains("not a version"),
        "{}",
        stderr(&bad_flag)
    );
}
