//! A team repository (`testdata/repo/`): its config (ignore, exclude, per-file ignores,
//! classification, a config suppression, a rule option), suppression comments and
//! annotations, an unused suppression, and a baseline that survives edits.

mod common;

use std::path::Path;
use std::process::Command;

use common::repo_root;

fn pipelint(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// With the committed baseline, which holds the legacy file's findings.
const EXPECTED: &str = "\
pipelines/train.yaml:36:7: warning[team-label] step \"train\": has no `team` label, so its cost and alerts reach nobody
pipelines/train.yaml:36:64: warning[unused-suppression] the suppression comment for `cache-on-random-step` silences nothing here
pipelines/train.yaml:38:16: error[approved-registries] step \"train\": runs an image from outside the approved registries
pipelines/train.yaml:51:38: error[memory-ceiling] step \"upload-model\": asks for more than 64Gi of memory, more than any node has
pipelines/train.yaml:60:16: warning[unpinned-image] step \"notify\" runs image \"curlimages/curl:8.8.0\", not pinned by digest
";

#[test]
fn config_policies_suppressions_and_baseline() {
    let repo = repo_root().join("testdata/repo");
    let args = [
        "check",
        "--format",
        "compact",
        "--baseline",
        "pipelint-baseline.json",
        ".",
    ];
    let (out, err, code) = pipelint(&repo, &args);
    assert_eq!(out, EXPECTED, "{err}");
    assert_eq!(code, 1);
    // Comment (fetch image, train limits), annotation (notify IO), config (old-train image).
    assert!(err.contains("; 4 suppressed; 3 in the baseline"), "{err}");
    // Without the baseline the legacy file's findings are back.
    let (out, _, _) = pipelint(&repo, &["check", "--format", "compact", "."]);
    let legacy = out
        .lines()
        .filter(|l| l.starts_with("pipelines/legacy/"))
        .count();
    assert_eq!(legacy, 3, "{out}");
}

#[test]
fn a_baseline_survives_edits_that_shift_every_line() {
    let dir = std::env::temp_dir().join(format!("pipelint-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    copy_tree(&repo_root().join("testdata/repo"), &dir);

    let (_, err, code) = pipelint(
        &dir,
        &["check", "--write-baseline", "pipelint-baseline.json", "."],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote 8 findings"), "{err}");
    let (out, err, _) = pipelint(
        &dir,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "pipelint-baseline.json",
            ".",
        ],
    );
    assert_eq!(out, "", "{err}");
    assert!(err.contains("8 in the baseline"), "{err}");

    // Shift every line and re-indent nothing else: no finding comes back.
    let train = dir.join("pipelines/train.yaml");
    let text = std::fs::read_to_string(&train).unwrap();
    std::fs::write(
        &train,
        format!("# Owner: ml-platform\n# Runbook: https://wiki.acme.io/churn\n\n{text}"),
    )
    .unwrap();
    let legacy = dir.join("pipelines/legacy/old.yaml");
    let text = std::fs::read_to_string(&legacy).unwrap();
    std::fs::write(
        &legacy,
        text.replace(
            "  templates:\n",
            "  serviceAccountName: legacy\n  templates:\n",
        ),
    )
    .unwrap();
    let (out, err, _) = pipelint(
        &dir,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "pipelint-baseline.json",
            ".",
        ],
    );
    assert_eq!(out, "", "{err}");

    // A new defect is reported, and only it.
    let text = std::fs::read_to_string(&train).unwrap();
    std::fs::write(
        &train,
        text.replace("curlimages/curl:8.8.0", "curlimages/curl:latest"),
    )
    .unwrap();
    let (out, _, code) = pipelint(
        &dir,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "pipelint-baseline.json",
            ".",
        ],
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("curlimages/curl:latest"), "{out}");
    assert_eq!(code, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
