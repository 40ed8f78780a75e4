//! Fixes (`pipelint check --fix`, `--diff`, `--add-ignore`): each rule's fixes on its
//! fixtures, snapshotted as the diff they make; and the round trip on every rule fixture and
//! every Argo file of the corpus: after `--fix --unsafe-fixes` the fixed findings are gone, no
//! finding is new, the file parses to the same tree apart from the fixed fields, every comment
//! is still there, a second `--fix` changes nothing, and the `--diff` output applies with
//! `patch`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo_root, require_shared, settings_for};
use pipelint::engine::{lint_bytes, FileReport, Outcome, Settings};
use pipelint::finding::Finding;
use pipelint::fix::apply::{fix_text, fixes_of};
use pipelint::fix::diff::unified;
use pipelint::fix::digests::ImageDigests;
use pipelint::fix::run::{fix_bytes, Mode};
use pipelint::yaml::{json::to_json, parse, ParseLimits};
use serde_json::Value;

fn digests() -> std::sync::Arc<ImageDigests> {
    std::sync::Arc::new(ImageDigests::read(&repo_root().join("testdata/fix/images.lock")).unwrap())
}

/// A fixture's settings, with the digests of `testdata/fix/images.lock`.
fn settings(path: &Path) -> Settings {
    let mut settings = settings_for(path);
    let mut config = (*settings.config).clone();
    config.image_digests = Some(digests());
    settings.config = std::sync::Arc::new(config);
    settings
}

fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

// ------------------------------------------------------------------------------ the round trip

/// What identifies a finding across an edit that moves lines.
fn key(f: &Finding) -> (String, Vec<String>, String) {
    (f.rule.to_string(), f.step_path.to_vec(), f.message.clone())
}

/// The JSON pointers where two values differ (a key added or removed, a scalar changed).
fn differences(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => differences(p, q, format!("{at}/{k}"), out),
                    _ => out.push(format!("{at}/{k}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(at),
        _ => {}
    }
}

fn documents(text: &str) -> Vec<Value> {
    let yaml = parse(text, &ParseLimits::default());
    yaml.documents
        .iter()
        .map(|d| d.root(text).map_or(Value::Null, to_json))
        .collect()
}

fn comments(text: &str) -> Vec<String> {
    let yaml = parse(text, &ParseLimits::default());
    let mut all: Vec<String> = yaml
        .comments
        .iter()
        .map(|c| c.text(text).to_string())
        .collect();
    all.sort();
    all
}

/// Words in backticks: the fields a fix or its finding names (`limit`, `comand`, `command`).
fn named_fields(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|w| {
            w.split(['.', ':', ' '])
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Fields every fix may add, remove or change.
const FIXED_FIELDS: &[&str] = &[
    "retryStrategy",
    "limit",
    "maxDuration",
    "memoize",
    "enableCache",
    "limits",
    "image",
    // The KFP v1 caching label (`pipelines.kubeflow.org/enable_caching`), split at its `/`.
    "enable_caching",
];

fn patch_applies(name: &str, old: &str, new: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "pipelint-patch-{}-{}",
        std::process::id(),
        name.replace(['/', '\\'], "_")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = "pipeline.yaml";
    std::fs::write(dir.join(file), old).unwrap();
    std::fs::write(dir.join("fix.diff"), unified(file, old, new)).unwrap();
    let out = Command::new("patch")
        .args(["-p0", "-s", "-i", "fix.diff"])
        .current_dir(&dir)
        .output()
        .expect("patch(1) runs");
    let patched = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "patch failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if patched != new {
        return Err("patch applied the diff but the result is not the fixed text".into());
    }
    Ok(())
}

/// The round trip on one text; `Ok(n)` with the number of fixes applied.
fn round_trip(name: &str, text: &str, settings: &Settings) -> Result<usize, String> {
    let mode = Mode {
        unsafe_fixes: true,
        ignore_reason: None,
    };
    let before = lint_bytes(name.into(), text.as_bytes(), true, settings);
    let fixed = fix_bytes(name.into(), text.as_bytes(), true, settings, &mode);
    if !fixed.dropped.is_empty() {
        return Err(format!("fixes were dropped: {:?}", fixed.dropped));
    }
    let Some((_, new)) = &fixed.change else {
        let offered: Vec<&str> = before
            .findings
            .iter()
            .filter(|f| f.fix.is_some())
            .map(|f| f.rule)
            .collect();
        return if offered.is_empty() || !matches!(before.outcome, Outcome::Pipeline(_)) {
            Ok(0)
        } else {
            Err(format!(
                "fixes were offered ({offered:?}) but nothing changed"
            ))
        };
    };
    let after = &fixed.report;
    let mut problems = Vec::new();
    // The fixed findings are gone.
    let remaining: Vec<_> = after.findings.iter().map(key).collect();
    for f in before.findings.iter().filter(|f| f.fix.is_some()) {
        if remaining.contains(&key(f)) {
            problems.push(format!("still there after its fix: {:?}", key(f)));
        }
    }
    // No finding is new. One exception: a misspelled key renamed (`contianer` ->
    // `container`) lets the rules read a step its typo hid, and what they find there is
    // news about a step no finding named before.
    let earlier: Vec<_> = before.findings.iter().map(key).collect();
    let renamed = before
        .findings
        .iter()
        .any(|f| f.rule == "invalid-manifest" && f.fix.is_some());
    let named_before: BTreeSet<&[String]> = before
        .findings
        .iter()
        .filter(|f| !f.step_path.is_empty())
        .map(|f| &f.step_path[..])
        .collect();
    for k in &remaining {
        let revealed = renamed && !named_before.contains(k.1.as_slice());
        if !earlier.contains(k) && !revealed {
            problems.push(format!("new after fixing: {k:?}"));
        }
    }
    // The same tree, apart from the fields the fixes touch.
    let mut allowed: BTreeSet<String> = FIXED_FIELDS.iter().map(|s| s.to_string()).collect();
    for f in before.findings.iter().filter(|f| f.fix.is_some()) {
        allowed.extend(named_fields(&f.message));
        allowed.extend(named_fields(&f.fix.as_ref().unwrap().message));
    }
    let (old_docs, new_docs) = (documents(text), documents(new));
    if old_docs.len() != new_docs.len() {
        problems.push("the number of documents changed".into());
    }
    for (a, b) in old_docs.iter().zip(&new_docs) {
        let mut paths = Vec::new();
        differences(a, b, String::new(), &mut paths);
        for p in paths {
            if !p.split('/').any(|segment| allowed.contains(segment)) {
                problems.push(format!("unintended change at {p}"));
            }
        }
    }
    // Every comment is still there.
    let kept = comments(new);
    for c in comments(text) {
        if !kept.contains(&c) {
            problems.push(format!("comment lost: #{c}"));
        }
    }
    // A second `--fix` changes nothing.
    let again = fix_bytes(name.into(), new.as_bytes(), true, settings, &mode);
    if again.change.is_some() {
        problems.push("a second --fix changed the file again".into());
    }
    // The diff applies with patch(1).
    if let Err(e) = patch_applies(name, text, new) {
        problems.push(e);
    }
    if problems.is_empty() {
        Ok(fixed.applied)
    } else {
        Err(problems.join("\n  "))
    }
}

#[test]
fn round_trip_on_every_rule_fixture() {
    let mut failures = Vec::new();
    let mut applied = 0;
    let mut files = yaml_files(&repo_root().join("testdata/rules"));
    files.extend(yaml_files(&repo_root().join("testdata/fix")));
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(_) => continue, // not UTF-8 on purpose: nothing is fixed there
        };
        match round_trip(&shown(path), &text, &settings(path)) {
            Ok(n) => applied += n,
            Err(e) => failures.push(format!("{}:\n  {e}", shown(path))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every kind of fix ran somewhere.
    assert!(
        applied >= 30,
        "only {applied} fixes applied on the fixtures"
    );
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn round_trip_on_every_argo_file_of_the_corpus() {
    let corpus = require_shared().join("corpus");
    let settings = Settings::default();
    let mut failures = Vec::new();
    let (mut argo, mut changed) = (0, 0);
    for path in yaml_files(&corpus) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.to_string_lossy().into_owned();
        let report = lint_bytes(name.clone(), text.as_bytes(), true, &settings);
        let Outcome::Pipeline(formats) = &report.outcome else {
            continue;
        };
        if !formats.iter().any(|f| f.contains("argo")) {
            continue;
        }
        argo += 1;
        match round_trip(&name, &text, &settings) {
            Ok(0) => {}
            Ok(_) => changed += 1,
            Err(e) => failures.push(format!("{name}:\n  {e}")),
        }
    }
    eprintln!("{argo} Argo files, {changed} changed by --fix --unsafe-fixes");
    assert!(
        failures.is_empty(),
        "{} files:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(argo > 500, "only {argo} Argo files");
    assert!(changed >= 60, "only {changed} files fixed");
}

// ------------------------------------------------------------------------ each rule's fixes

/// Applies only `rule`'s fixes to each of its `fail-*` fixtures and snapshots the diffs
/// (`testdata/rules/<rule>/snapshots/fix__<fixture>.snap`); returns how many fixtures changed.
fn check_fixes(rule: &str) -> usize {
    let dir = repo_root().join("testdata/rules").join(rule);
    let mut diffs = Vec::new();
    for path in yaml_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("fail-") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let settings = settings(&path);
        let shown = shown(&path);
        let lint = |t: &str| lint_bytes(shown.clone(), t.as_bytes(), true, &settings);
        let choose = |_: &str, report: &FileReport| {
            let mut fixes = fixes_of(report, true);
            fixes.retain(|c| c.rule == rule);
            fixes
        };
        let fixed = fix_text(&shown, &text, &lint, &choose);
        assert!(fixed.dropped.is_empty(), "{shown}: {:?}", fixed.dropped);
        if fixed.changed(&text) {
            // The rule's own findings that had a fix are gone.
            assert!(
                !fixed
                    .report
                    .findings
                    .iter()
                    .any(|f| f.rule == rule && f.fix.is_some()),
                "{shown}: a fix is still offered after fixing"
            );
            let stem = path
                .strip_prefix(&dir)
                .unwrap()
                .with_extension("")
                .to_string_lossy()
                .replace(['/', '\\'], "__");
            diffs.push((format!("fix__{stem}"), unified(&shown, &text, &fixed.text)));
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let changed = diffs.len();
    settings.bind(|| {
        for (name, diff) in diffs {
            insta::assert_snapshot!(name, diff);
        }
    });
    changed
}

#[test]
fn io_step_without_retry_adds_a_bounded_retry_strategy() {
    assert!(check_fixes("io-step-without-retry") >= 2);
}

#[test]
fn unbounded_retry_is_capped() {
    assert!(check_fixes("unbounded-retry") >= 2);
}

#[test]
fn cache_on_random_step_turns_the_cache_off() {
    assert!(check_fixes("cache-on-random-step") >= 2);
}

#[test]
fn missing_resource_limits_copies_requests() {
    assert!(check_fixes("missing-resource-limits") >= 1);
}

#[test]
fn invalid_manifest_renames_a_misspelled_key() {
    assert!(check_fixes("invalid-manifest") >= 1);
}

#[test]
fn unpinned_image_pins_digests_from_the_users_file() {
    assert!(check_fixes("unpinned-image") >= 1);
}

/// The look-alikes: `fail-*-no-fix.yaml` fixtures where a fix would be unsafe to place (an
/// anchor, a merge key, `templateDefaults`, a comment that would be lost, a list dash, a key
/// that would collide). Every finding of the rule there that carries no fix says why.
#[test]
fn where_a_fix_cannot_be_placed_none_is_offered_and_the_help_says_why() {
    let mut refused = 0;
    for rule in [
        "io-step-without-retry",
        "cache-on-random-step",
        "unbounded-retry",
        "invalid-manifest",
    ] {
        let path = repo_root()
            .join("testdata/rules")
            .join(rule)
            .join("fail-argo-no-fix.yaml");
        let report = common::lint_file(&path);
        let mine: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == rule).collect();
        assert!(!mine.is_empty(), "{rule}: no finding");
        for f in mine.iter().filter(|f| f.fix.is_none()) {
            assert!(
                f.help.contains("no automatic fix here: "),
                "{rule}: {}: {}",
                f.message,
                f.help
            );
            refused += 1;
        }
    }
    // download-a and upload; the templateDefaults memoize, sample-b and sample-c; poll-a and
    // poll-b; imagePullPolice.
    assert_eq!(refused, 8);
}

// ------------------------------------------------------------------------------ the CLI

fn pipelint(args: &[&str], dir: &Path, stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        // A run refused before it reads standard input closes the pipe early.
        let _ = input.write_all(text.as_bytes());
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh folder holding the fixable workflow and the digests file.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-fixcli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["fixable.yaml", "images.lock"] {
        std::fs::copy(repo_root().join("testdata/fix").join(file), dir.join(file)).unwrap();
    }
    dir
}

const FIXABLE: &str = include_str!("../testdata/fix/fixable.yaml");

#[test]
fn fix_writes_the_safe_fixes_reports_counts_and_a_second_run_changes_nothing() {
    let dir = workdir("fix");
    let args = [
        "check",
        "--fix",
        "--image-digests",
        "images.lock",
        "--format",
        "compact",
        "fixable.yaml",
    ];
    let (code, out, err) = pipelint(&args, &dir, None);
    let fixed = std::fs::read_to_string(dir.join("fixable.yaml")).unwrap();
    // Safe only: the two digests, the retry cap and the renamed key; the unsafe ones remain.
    assert!(
        fixed.contains("image: amazon/aws-cli:2.15.0@sha256:aaaa"),
        "{fixed}"
    );
    assert!(
        fixed.contains("        limit: \"3\"\n        retryPolicy: Always\n"),
        "{fixed}"
    );
    assert!(fixed.contains("        command: [python]\n"), "{fixed}");
    assert!(
        fixed.contains("      memoize:\n"),
        "unsafe fixes wait for --unsafe-fixes"
    );
    assert!(
        err.contains(
            "fixed 4 problems in 1 file; 3 findings remaining (3 with an unsafe fix: --unsafe-fixes)"
        ),
        "{err}"
    );
    assert_eq!(out.lines().count(), 3, "{out}");
    assert_eq!(code, 0, "warnings only remain: {err}");
    let (code, _, err) = pipelint(&args, &dir, None);
    assert!(
        err.contains("fixed 0 problems in 0 files; 3 findings remaining"),
        "{err}"
    );
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("fixable.yaml")).unwrap(),
        fixed
    );
    // --unsafe-fixes takes the rest (the cache finding came to light once `comand` was
    // renamed and the script was read as Python).
    let (_, out, err) = pipelint(
        &[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--image-digests",
            "images.lock",
            "--format",
            "compact",
            "fixable.yaml",
        ],
        &dir,
        None,
    );
    assert!(
        err.contains("fixed 3 problems in 1 file; 0 findings remaining"),
        "{err}"
    );
    assert_eq!(out, "");
    assert!(!std::fs::read_to_string(dir.join("fixable.yaml"))
        .unwrap()
        .contains("memoize"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_writes_nothing_exits_1_and_applies_with_patch() {
    let dir = workdir("diff");
    let args = [
        "check",
        "--diff",
        "--unsafe-fixes",
        "--image-digests",
        "images.lock",
        "fixable.yaml",
    ];
    let (code, out, err) = pipelint(&args, &dir, None);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("--- fixable.yaml\n+++ fixable.yaml\n@@ "),
        "{out}"
    );
    assert!(err.contains("would fix 7 problems in 1 file"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("fixable.yaml")).unwrap(),
        FIXABLE
    );
    std::fs::write(dir.join("fix.diff"), &out).unwrap();
    let patched = Command::new("patch")
        .args(["-p0", "-s", "-i", "fix.diff"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(patched.success());
    let (code, out, err) = pipelint(&args, &dir, None);
    assert_eq!(
        (code, out.as_str()),
        (0, ""),
        "after patching, nothing to fix: {err}"
    );
    assert!(err.contains("nothing to fix"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn standard_input_gets_the_fixed_text_on_standard_output() {
    let dir = workdir("stdin");
    let (code, out, err) = pipelint(
        &["check", "--fix", "--stdin-filename", "wf.yaml", "-"],
        &dir,
        Some(FIXABLE),
    );
    assert!(out.contains("        command: [python]\n"), "{out}");
    assert!(
        out.starts_with("# One Argo workflow"),
        "the whole text: {out}"
    );
    assert!(
        err.contains("wf.yaml:") && err.contains("fixed 2 problems in 1 file"),
        "{err}"
    );
    assert_eq!(code, 0, "{err}");
    // Nothing to fix: the text as it came.
    let (_, again, _) = pipelint(&["check", "--fix", "-"], &dir, Some(&out));
    assert_eq!(again, out);
    // `-` with files is refused: both would go to standard output.
    let (code, _, err) = pipelint(
        &["check", "--fix", "-", "fixable.yaml"],
        &dir,
        Some(FIXABLE),
    );
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_symlink_out_of_the_linted_paths_is_never_rewritten() {
    let dir = workdir("link");
    let outside = dir.join("outside");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(outside.join("victim.yaml"), FIXABLE).unwrap();
    std::os::unix::fs::symlink(outside.join("victim.yaml"), repo.join("planted.yaml")).unwrap();
    std::fs::write(repo.join("own.yaml"), FIXABLE).unwrap();
    // The walk of the folder: its own file is fixed, the link's target is left alone.
    let (_, _, err) = pipelint(
        &["check", "--fix", "--format", "compact", "repo"],
        &dir,
        None,
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("victim.yaml")).unwrap(),
        FIXABLE,
        "{err}"
    );
    assert_ne!(
        std::fs::read_to_string(repo.join("own.yaml")).unwrap(),
        FIXABLE
    );
    // Named on the command line, the link is linted but not rewritten, and the run says so.
    let (_, _, err) = pipelint(
        &["check", "--fix", "--format", "compact", "repo/planted.yaml"],
        &dir,
        None,
    );
    assert!(
        err.contains("outside the paths being linted; it is not rewritten"),
        "{err}"
    );
    assert!(err.contains("fixed 0 problems in 0 files"), "{err}");
    assert_eq!(
        std::fs::read_to_string(outside.join("victim.yaml")).unwrap(),
        FIXABLE
    );
    assert!(std::fs::symlink_metadata(repo.join("planted.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn add_ignore_silences_every_finding_once() {
    let dir = workdir("ignore");
    let args = [
        "check",
        "--add-ignore",
        "tracked in ISSUE-7",
        "--format",
        "compact",
        "fixable.yaml",
    ];
    let (code, out, err) = pipelint(&args, &dir, None);
    let text = std::fs::read_to_string(dir.join("fixable.yaml")).unwrap();
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(
        err.contains("ignored 6 problems in 1 file; 0 findings remaining"),
        "{err}"
    );
    assert!(text.contains("        image: amazon/aws-cli:2.15.0  # pipelint: ignore[unpinned-image] tracked in ISSUE-7\n"), "{text}");
    // Two findings on one line share one comment.
    assert!(
        text.contains("ignore[io-step-without-retry, missing-timeout]")
            || text.contains("# pipelint: ignore[io-step-without-retry] tracked in ISSUE-7\n"),
        "{text}"
    );
    let (_, _, err) = pipelint(&args, &dir, None);
    assert!(err.contains("ignored 0 problems in 0 files"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("fixable.yaml")).unwrap(),
        text
    );
    // JSON cannot hold a comment: the file stays as it is, and the run says so.
    let json = "{\"apiVersion\": \"argoproj.io/v1alpha1\", \"kind\": \"Workflow\", \"metadata\": {\"name\": \"w\"}, \"spec\": {\"entrypoint\": \"main\", \"templates\": [{\"name\": \"main\", \"container\": {\"image\": \"python:3.11\"}}]}}\n";
    std::fs::write(dir.join("wf.json"), json).unwrap();
    let (_, _, err) = pipelint(&["check", "--add-ignore", "why", "wf.json"], &dir, None);
    assert!(
        err.contains("wf.json: JSON cannot hold an ignore comment"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("wf.json")).unwrap(), json);
    // A reason on two lines would break out of the comment.
    let (code, _, err) = pipelint(
        &["check", "--add-ignore", "a\nb", "fixable.yaml"],
        &dir,
        None,
    );
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_digests_file_is_a_usage_error_naming_its_line() {
    let dir = workdir("digests");
    std::fs::write(dir.join("bad.lock"), "# ok\npython:3.11 sha256:123\n").unwrap();
    let (code, _, err) = pipelint(
        &[
            "check",
            "--fix",
            "--image-digests",
            "bad.lock",
            "fixable.yaml",
        ],
        &dir,
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.lock:2: `sha256:123` is not a digest"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("fixable.yaml")).unwrap(),
        FIXABLE
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_and_sarif_carry_each_fix() {
    let dir = workdir("formats");
    let (_, out, _) = pipelint(
        &[
            "check",
            "--format",
            "json",
            "--image-digests",
            "images.lock",
            "fixable.yaml",
        ],
        &dir,
        None,
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let pin = findings
        .iter()
        .find(|f| f["rule"] == "unpinned-image" && f["fix"].is_object())
        .expect("the pinned image has a fix");
    assert_eq!(pin["fix"]["applicability"], "safe");
    let edit = &pin["fix"]["edits"][0];
    let (start, end) = (
        edit["span"]["start"]["offset"].as_u64().unwrap() as usize,
        edit["span"]["end"]["offset"].as_u64().unwrap() as usize,
    );
    assert_eq!(&FIXABLE[start..end], "amazon/aws-cli:2.15.0");
    assert!(edit["replacement"]
        .as_str()
        .unwrap()
        .starts_with("amazon/aws-cli:2.15.0@sha256:"));
    assert_eq!(edit["span"]["start"]["line"], 20);
    let unsafe_fixes = findings
        .iter()
        .filter(|f| f["fix"]["applicability"] == "unsafe")
        .count();
    assert_eq!(unsafe_fixes, 2, "the retry and the limits");
    // Without the digests file, the images have no fix: no `fix` key at all.
    let (_, out, _) = pipelint(&["check", "--format", "json", "fixable.yaml"], &dir, None);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let images: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unpinned-image")
        .collect();
    assert_eq!(images.len(), 2);
    assert!(images.iter().all(|f| f.get("fix").is_none()));

    let (_, out, _) = pipelint(
        &[
            "check",
            "--format",
            "sarif",
            "--image-digests",
            "images.lock",
            "fixable.yaml",
        ],
        &dir,
        None,
    );
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_fixes: Vec<&Value> = results.iter().filter(|r| r["fixes"].is_array()).collect();
    assert_eq!(with_fixes.len(), 6, "{out}");
    let fix = &with_fixes
        .iter()
        .find(|r| r["ruleId"] == "unpinned-image")
        .unwrap()["fixes"][0];
    let change = &fix["artifactChanges"][0];
    assert_eq!(
        change["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next(),
        Some("fixable.yaml")
    );
    let replacement = &change["replacements"][0];
    assert_eq!(replacement["deletedRegion"]["startLine"], 20);
    assert_eq!(replacement["deletedRegion"]["startColumn"], 16);
    assert_eq!(replacement["deletedRegion"]["endColumn"], 37);
    assert!(replacement["insertedContent"]["text"]
        .as_str()
        .unwrap()
        .contains("@sha256:"));
    assert_eq!(fix["properties"]["applicability"], "safe");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs ../shared (the official SARIF schema); CI runs it: cargo test -- --ignored"]
fn sarif_with_fixes_is_valid_against_the_official_schema() {
    let schema_path = require_shared().join("schemas/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let dir = workdir("schema");
    let (_, out, _) = pipelint(
        &[
            "check",
            "--format",
            "sarif",
            "--image-digests",
            "images.lock",
            "fixable.yaml",
        ],
        &dir,
        None,
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().filter(|r| r["fixes"].is_array()).count() >= 6);
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    // The check can fail: a replacement without its region is caught.
    let mut broken = doc.clone();
    let fixes = broken["runs"][0]["results"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["fixes"].is_array())
        .unwrap();
    fixes["fixes"][0]["artifactChanges"][0]["replacements"][0]
        .as_object_mut()
        .unwrap()
        .remove("deletedRegion");
    assert!(validator.iter_errors(&broken).count() > 0);
    let _ = std::fs::remove_dir_all(&dir);
}
