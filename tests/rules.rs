//! The rule harness: every fixture under `testdata/rules/<rule-id>/` is linted; findings of
//! that rule must start exactly on the lines marked `# expect: <rule-id>` (none in `pass-*`),
//! and the rendered output of each `fail-*` fixture is snapshotted beside it.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{expected_lines, lint_file, lint_with, render_plain, repo_root};
use pipelint::rules::registry;

/// Fixtures of a rule, subfolders included (a subfolder may hold a `.pipelint.yaml` that
/// applies to its files, e.g. a target backend version).
fn fixtures(rule: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![repo_root().join("testdata/rules").join(rule)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() && name != "snapshots" {
                dirs.push(path);
            } else if !name.starts_with('.')
                && matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Snapshot name: the path below the rule's folder, `/` as `__`.
fn snapshot_name(rule: &str, path: &std::path::Path) -> String {
    let base = repo_root().join("testdata/rules").join(rule);
    let rel = path.strip_prefix(&base).unwrap_or(path).with_extension("");
    rel.to_string_lossy().replace(['/', '\\'], "__")
}

/// Fixtures in a `strict-refs/` folder are linted as with `--strict-refs`, the run being the
/// fixture itself: its own (Cluster)WorkflowTemplates are the known ones.
fn strict_refs_settings(path: &std::path::Path) -> pipelint::engine::Settings {
    let input = pipelint::engine::Input {
        path: path.to_path_buf(),
        explicit: true,
        config: None,
    };
    let mut settings = pipelint::engine::Settings::default();
    let known = pipelint::refs::KnownTemplates::collect(&[input], settings.max_file_size);
    settings.config = std::sync::Arc::new(pipelint::config::Config {
        known_templates: Some(std::sync::Arc::new(known)),
        ..pipelint::config::Config::default()
    });
    settings
}

/// A rule that reads the Python a KFP pipeline was compiled from keeps that Python in
/// `testdata/rules/<rule-id>/python/`: its fixtures are linted with it as `--kfp-source`.
fn python_beside(rule: &str) -> Option<pipelint::kfp_source::SourceIndex> {
    let dir = std::path::Path::new("testdata/rules")
        .join(rule)
        .join("python");
    dir.is_dir().then(|| {
        let settings = pipelint::engine::Settings::default();
        pipelint::kfp_source::SourceIndex::scan(&dir, settings.max_file_size, settings.work_budget)
    })
}

fn check_rule(rule: &str) {
    let files = fixtures(rule);
    assert!(!files.is_empty(), "no fixtures for {rule}");
    let sources = python_beside(rule);
    let mut failures = Vec::new();
    let mut snapshots = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut report = if path.parent().is_some_and(|d| d.ends_with("strict-refs")) {
            lint_with(path, &strict_refs_settings(path))
        } else {
            lint_file(path)
        };
        if let Some(index) = &sources {
            let settings = common::settings_for(path);
            pipelint::kfp_source::attach(&mut report, index, &settings, false);
        }
        report.findings.retain(|f| f.rule == rule);
        let got: BTreeSet<u32> = report
            .findings
            .iter()
            .map(|f| report.lines.line_col(f.span.start).line)
            .collect();
        let want: BTreeSet<u32> = expected_lines(&text, rule).into_iter().collect();
        if name.starts_with("pass-") {
            assert!(want.is_empty(), "{name}: pass fixtures carry no markers");
        } else {
            assert!(
                name.starts_with("fail-"),
                "{name}: fixtures are named fail-* or pass-*"
            );
            assert!(
                !want.is_empty(),
                "{name}: a fail fixture needs `# expect: {rule}` markers"
            );
        }
        if got != want {
            failures.push(format!(
                "{name}: findings on lines {got:?}, markers on lines {want:?}\n{}",
                render_plain(report)
            ));
            continue;
        }
        if name.starts_with("fail-") {
            snapshots.push((snapshot_name(rule, path), render_plain(report)));
        }
    }
    // Every marker mismatch first, then the rendered output of the fail fixtures.
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        repo_root()
            .join("testdata/rules")
            .join(rule)
            .join("snapshots"),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (stem, rendered) in snapshots {
            insta::assert_snapshot!(stem, rendered);
        }
    });
}

#[test]
fn unpinned_image() {
    check_rule("unpinned-image");
}

#[test]
fn missing_resource_limits() {
    check_rule("missing-resource-limits");
}

#[test]
fn input_too_large() {
    check_rule("input-too-large");
}

#[test]
fn input_too_complex() {
    check_rule("input-too-complex");
}

#[test]
fn yaml_syntax() {
    check_rule("yaml-syntax");
}

#[test]
fn duplicate_key() {
    check_rule("duplicate-key");
}

#[test]
fn malformed_pipeline() {
    check_rule("malformed-pipeline");
}

#[test]
fn invalid_manifest() {
    check_rule("invalid-manifest");
}

#[test]
fn io_step_without_retry() {
    check_rule("io-step-without-retry");
}

#[test]
fn retry_on_non_idempotent_step() {
    check_rule("retry-on-non-idempotent-step");
}

#[test]
fn cache_on_random_step() {
    check_rule("cache-on-random-step");
}

#[test]
fn grace_period_shorter_than_checkpoint() {
    check_rule("grace-period-shorter-than-checkpoint");
}

#[test]
fn sdk_backend_version_mismatch() {
    check_rule("sdk-backend-version-mismatch");
}

#[test]
fn stale_compiled_pipeline() {
    check_rule("stale-compiled-pipeline");
}

#[test]
fn unused_suppression() {
    check_rule("unused-suppression");
}

#[test]
fn broken_dependency() {
    check_rule("broken-dependency");
}

#[test]
fn undefined_reference() {
    check_rule("undefined-reference");
}

#[test]
fn argument_mismatch() {
    check_rule("argument-mismatch");
}

#[test]
fn dependency_cycle() {
    check_rule("dependency-cycle");
}

#[test]
fn unbounded_retry() {
    check_rule("unbounded-retry");
}

#[test]
fn missing_timeout() {
    check_rule("missing-timeout");
}

#[test]
fn plaintext_secret() {
    check_rule("plaintext-secret");
}

/// Every registered rule has a test above, a doc, fixtures both ways and snapshots.
#[test]
fn every_rule_is_complete() {
    let this_file = std::fs::read_to_string(repo_root().join("tests/rules.rs")).unwrap();
    let index = std::fs::read_to_string(repo_root().join("rules/README.md")).unwrap();
    for rule in registry::all() {
        let id = rule.meta().id;
        assert!(
            this_file.contains(&format!("check_rule(\"{id}\")")),
            "{id}: add a test calling check_rule(\"{id}\")"
        );
        let doc = std::fs::read_to_string(repo_root().join("rules").join(format!("{id}.md")))
            .unwrap_or_else(|_| panic!("rules/{id}.md is missing"));
        assert_eq!(doc, rule.meta().doc, "{id}: the embedded doc is stale");
        assert!(
            doc.starts_with(&format!("# {id}\n")),
            "{id}: the doc starts with `# {id}`"
        );
        for heading in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "### Fails",
            "### Passes",
            "## How to fix",
            "## Options",
            "## Severity",
            "## References",
        ] {
            assert!(
                doc.contains(&format!("\n{heading}\n")),
                "{id}: the doc lacks `{heading}`"
            );
        }
        assert!(
            index.contains(&format!("`{id}`")),
            "{id}: missing from rules/README.md"
        );
        let files = fixtures(id);
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("fail-")),
            "{id}: no fail-* fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("pass-")),
            "{id}: no pass-* fixture"
        );
        for path in files.iter().filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("fail-")
        }) {
            let stem = snapshot_name(id, path);
            let snap = repo_root()
                .join("testdata/rules")
                .join(id)
                .join("snapshots")
                .join(format!("{stem}.snap"));
            assert!(snap.is_file(), "{id}: no snapshot {}", snap.display());
        }
    }
}

/// The `Fails` and `Passes` examples in every rule doc are complete files that behave as
/// the doc says.
#[test]
fn doc_examples_behave_as_documented() {
    for rule in registry::all() {
        let id = rule.meta().id;
        let doc = rule.meta().doc;
        let example = doc
            .split("\n## Example\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_else(|| panic!("{id}: no Example section"));
        // Python the examples are linted with (rules that read the KFP source): written
        // to a folder of its own, given as `--kfp-source`.
        let python: Vec<&str> = example
            .split("```python\n")
            .skip(1)
            .filter_map(|p| p.split("```").next())
            .collect();
        let sources = (!python.is_empty()).then(|| {
            let dir =
                std::env::temp_dir().join(format!("pipelint-doc-{id}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("pipeline.py"), python.concat()).unwrap();
            let settings = pipelint::engine::Settings::default();
            let index = pipelint::kfp_source::SourceIndex::scan(
                &dir,
                settings.max_file_size,
                settings.work_budget,
            );
            std::fs::remove_dir_all(&dir).unwrap();
            index
        });
        let fails = example.split("### Passes").next().unwrap();
        let passes = example.split("### Passes").nth(1).unwrap_or("");
        for (section, should_fire) in [(fails, true), (passes, false)] {
            // Each block with the text before it, which may name limits it is linted with
            // (`--max-file-size 600`): a 64 MiB example cannot be written out.
            let pieces: Vec<&str> = section.split("```yaml\n").collect();
            let blocks: Vec<(&str, &str)> = (1..pieces.len())
                .filter_map(|i| {
                    let intro = match i {
                        1 => pieces[0],
                        _ => pieces[i - 1]
                            .split_once("```")
                            .map_or("", |(_, after)| after),
                    };
                    Some((intro, pieces[i].split("```").next()?))
                })
                .collect();
            assert!(
                !blocks.is_empty() || !should_fire,
                "{id}: no example under Fails"
            );
            for (intro, block) in blocks {
                let settings = example_settings(intro);
                let mut report = pipelint::engine::lint_bytes(
                    format!("rules/{id}.md"),
                    block.as_bytes(),
                    true,
                    &settings,
                );
                if let Some(index) = &sources {
                    pipelint::kfp_source::attach(&mut report, index, &settings, false);
                }
                let fired = report.findings.iter().any(|f| f.rule == id);
                assert_eq!(
                    fired,
                    should_fire,
                    "{id}: this doc example should {}fire:\n{block}\n{:#?}",
                    if should_fire { "" } else { "not " },
                    report.findings
                );
            }
        }
    }
}

/// The settings an example is linted with: the defaults, with the limits its introduction
/// names as command-line flags (`--max-file-size 600`).
fn example_settings(intro: &str) -> pipelint::engine::Settings {
    let flag = |name: &str| -> Option<u64> {
        let after = intro.split(&format!("--{name} ")).nth(1)?;
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let mut settings = pipelint::engine::Settings::default();
    if let Some(v) = flag("max-file-size") {
        settings.max_file_size = v;
    }
    if let Some(v) = flag("max-nesting-depth") {
        settings.parse_limits.max_nesting_depth = v as usize;
    }
    if let Some(v) = flag("max-alias-expansion") {
        settings.parse_limits.max_alias_expansion = v;
    }
    if let Some(v) = flag("file-time-budget") {
        settings.work_budget = v;
    }
    settings
}
