//! The binary as users run it: exit codes, formats, determinism, skipping, errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::repo_root;

fn pipelint(args: &[&str]) -> Output {
    pipelint_in(&repo_root(), args)
}

/// The binary run in `dir`, without colour and without the caller's `COLUMNS`.
fn pipelint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("the binary runs")
}

/// How many compact lines name `[rule]`.
fn count(text: &str, rule: &str) -> usize {
    text.lines()
        .filter(|l| l.contains(&format!("[{rule}]")))
        .count()
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

/// git's global excludes file is honoured in a walk where git finds it: named by
/// `core.excludesFile` in `$GIT_CONFIG_GLOBAL` or `~/.gitconfig`, else the default
/// `$XDG_CONFIG_HOME/git/ignore`. With none of them, or a config that names no excludes
/// file, nothing more is ignored.
#[test]
fn the_global_gitignore_is_honoured_where_git_finds_it() {
    let dir = temp_dir("global-ignore");
    let (home, xdg, tree) = (dir.join("home"), dir.join("xdg"), dir.join("tree"));
    for d in [&home, &xdg.join("git"), &tree.join("generated")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let src = repo_root().join("testdata/rules/unpinned-image/fail-argo-workflow.yaml");
    std::fs::copy(&src, tree.join("generated/wf.yaml")).unwrap();
    let rules = dir.join("global-ignore");
    std::fs::write(&rules, "generated/\n").unwrap();
    let findings = |global_config: Option<&Path>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pipelint"));
        command
            .args(["check", "--format", "compact", tree.to_str().unwrap()])
            .env("NO_COLOR", "1")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &xdg)
            .env("GIT_CONFIG_SYSTEM", dir.join("no-system-config"))
            .env_remove("GIT_CONFIG_GLOBAL");
        if let Some(config) = global_config {
            command.env("GIT_CONFIG_GLOBAL", config);
        }
        let out = command.output().expect("the binary runs");
        count(&stdout(&out), "unpinned-image")
    };
    assert_eq!(findings(None), 5, "no global excludes file");
    std::fs::write(home.join(".gitconfig"), "[user]\n\tname = someone\n").unwrap();
    assert_eq!(findings(None), 5, "a config without excludesFile");
    let names_rules = format!("[core]\n\tExcludesFile = {}\n", rules.display());
    std::fs::write(home.join(".gitconfig"), &names_rules).unwrap();
    assert_eq!(findings(None), 0, "core.excludesFile in ~/.gitconfig");
    std::fs::remove_file(home.join(".gitconfig")).unwrap();
    let global = dir.join("global-config");
    std::fs::write(&global, &names_rules).unwrap();
    assert_eq!(
        findings(Some(&global)),
        0,
        "core.excludesFile in $GIT_CONFIG_GLOBAL"
    );
    std::fs::write(xdg.join("git/ignore"), "generated/\n").unwrap();
    assert_eq!(findings(None), 0, "$XDG_CONFIG_HOME/git/ignore");
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

/// Five `unpinned-image` findings (`:latest` and tags) and seven `missing-resource-limits`.
const MIXED: &str = "testdata/rules/unpinned-image/fail-argo-workflow.yaml";

#[test]
fn select_extend_select_and_ignore_combine_with_the_config_as_ruffs_do() {
    let dir = temp_dir("select");
    std::fs::copy(repo_root().join(MIXED), dir.join("wf.yaml")).unwrap();
    std::fs::write(
        dir.join(".pipelint.yaml"),
        "ignore: [missing-resource-limits]\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "compact", "--fail-on", "never"];
        args.extend_from_slice(extra);
        args.push("wf.yaml");
        let out = pipelint_in(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        let text = stdout(&out);
        (
            count(&text, "unpinned-image"),
            count(&text, "missing-resource-limits"),
        )
    };
    assert_eq!(run(&[]), (5, 0), "the config ignores the limits rule");
    // --select replaces the config's selection, its `ignore` included.
    assert_eq!(run(&["--select", "missing-resource-limits"]), (0, 7));
    assert_eq!(
        run(&["--select=missing-resource-limits,unpinned-image"]),
        (5, 7)
    );
    // --extend-select adds to it; --ignore removes from the result.
    assert_eq!(run(&["--extend-select", "missing-resource-limits"]), (5, 7));
    assert_eq!(
        run(&[
            "--extend-select",
            "missing-resource-limits",
            "--ignore",
            "unpinned-image"
        ]),
        (0, 7)
    );
    // --config KEY=VALUE sets one key on top of the config file.
    assert_eq!(run(&["--config", "ignore=[]"]), (5, 7));
    let lenient = pipelint_in(
        &dir,
        &[
            "check",
            "--config",
            "rules.unpinned-image.severity=warning",
            "wf.yaml",
        ],
    );
    assert_eq!(lenient.status.code(), Some(0), "{}", stdout(&lenient));

    // Typos: exit 2, the flag named, the closest id suggested, nothing linted.
    for (args, expected) in [
        (
            vec!["check", "--select", "unpinned-imag", "wf.yaml"],
            "--select: `unpinned-imag` is not a rule id or a policy of",
        ),
        (
            vec!["check", "--ignore", "missing-resource-limit", "wf.yaml"],
            "(did you mean `missing-resource-limits`?)",
        ),
        (
            vec!["check", "--config", "rules.unpinned-imag.severity=warning", "wf.yaml"],
            "--config rules.unpinned-imag.severity=warning: unknown key `unpinned-imag` under `rules` (did you mean `unpinned-image`?)",
        ),
        (
            vec!["check", "--config", "=warning", "wf.yaml"],
            "the key should be a config key",
        ),
    ] {
        let out = pipelint_in(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expected), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn min_severity_and_min_confidence_filter_what_is_shown() {
    let all = pipelint(&["check", "--format", "json", "testdata"]);
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let findings = all["findings"].as_array().unwrap();
    let at_least = |min: &[&str]| {
        findings
            .iter()
            .filter(|f| min.contains(&f["severity"].as_str().unwrap()))
            .count()
    };
    // Rules fire on high-confidence evidence only, so no finding is `low` today; the filter
    // itself is unit-tested in `src/cli.rs`.
    let low = findings.iter().filter(|f| f["confidence"] == "low").count();
    assert!(at_least(&["info"]) > 0, "the test data has infos");
    for (args, expected) in [
        (
            vec!["--min-severity", "warning"],
            at_least(&["warning", "error"]),
        ),
        (vec!["--min-severity", "error"], at_least(&["error"])),
        (vec!["--min-confidence", "high"], findings.len() - low),
        (vec!["--min-confidence", "low"], findings.len()),
    ] {
        let mut full = vec!["check", "--format", "json", "--fail-on", "never"];
        full.extend_from_slice(&args);
        full.push("testdata");
        let out = pipelint(&full);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let shown = doc["findings"].as_array().unwrap();
        assert_eq!(shown.len(), expected, "{args:?}");
        assert_eq!(doc["summary"]["findings"], expected, "{args:?}");
    }
    // Only what is shown fails the run.
    let warnings = "testdata/rules/missing-resource-limits/fail-argo-workflow.yaml";
    let out = pipelint(&[
        "check",
        "--fail-on",
        "warning",
        "--min-severity",
        "error",
        warnings,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn statistics_alone_print_the_table_instead_of_the_findings() {
    let findings = stdout(&pipelint(&[
        "check",
        "--format",
        "compact",
        "testdata/examples",
    ]));
    let out = pipelint(&[
        "check",
        "--format",
        "compact",
        "--statistics",
        "testdata/examples",
    ]);
    let table = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !table.contains("testdata/examples/"),
        "no findings: {table}"
    );
    let mut total = 0;
    for line in table.lines() {
        let mut words = line.split_whitespace();
        let n: usize = words.next().unwrap().parse().unwrap();
        let rule = words.next().unwrap();
        assert_eq!(n, count(&findings, rule), "{line}");
        total += n;
    }
    assert_eq!(total, findings.lines().count());
    assert!(stderr(&out).contains(&format!("{total} findings (")));
    // As JSON with --format json.
    let out = pipelint(&[
        "check",
        "--format",
        "json",
        "--statistics",
        "testdata/examples",
    ]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), table.lines().count());
    for row in rows {
        let rule = row["rule"].as_str().unwrap();
        assert_eq!(row["count"], count(&findings, rule), "{row}");
        let split = row["errors"].as_u64().unwrap()
            + row["warnings"].as_u64().unwrap()
            + row["infos"].as_u64().unwrap();
        assert_eq!(row["count"], split, "{row}");
    }
}

#[test]
fn a_missing_path_is_reported_and_the_others_are_still_linted() {
    let out = pipelint(&["check", "--format", "compact", MIXED, "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2), "exit 2 at the end");
    assert_eq!(
        count(&stdout(&out), "unpinned-image"),
        5,
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("error: no/such/file.yaml: no such file or directory"),
        "{}",
        stderr(&out)
    );
    let json = pipelint(&["check", "--format", "json", MIXED, "no/such/file.yaml"]);
    assert_eq!(json.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let missing = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "no/such/file.yaml")
        .expect("listed");
    assert_eq!(missing["kind"], "unreadable");
    assert_eq!(doc["summary"]["unreadable"], 1);
    // `config --show` on a missing path says so.
    let show = pipelint(&["config", "--show", "no/such/dir"]);
    assert_eq!(show.status.code(), Some(2));
    assert!(
        stderr(&show).contains("no/such/dir: no such file or directory"),
        "{}",
        stderr(&show)
    );
}

#[test]
fn baselines_work_from_any_directory_report_stale_entries_and_prune_them() {
    let dir = temp_dir("baseline-dirs");
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    let text = std::fs::read_to_string(repo_root().join(MIXED)).unwrap();
    std::fs::write(dir.join("pipelines/wf.yaml"), &text).unwrap();
    std::fs::write(dir.join("pipelines/other.yaml"), &text).unwrap();
    let written = pipelint_in(
        &dir,
        &[
            "check",
            "--write-baseline",
            "pipelint-baseline.json",
            "pipelines",
        ],
    );
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let per_file = stdout(&pipelint(&["check", "--format", "compact", MIXED]))
        .lines()
        .count();
    let unpinned = count(
        &stdout(&pipelint(&["check", "--format", "compact", MIXED])),
        "unpinned-image",
    );
    assert_eq!(unpinned, 5);
    assert!(
        stderr(&written).contains(&format!("wrote {} findings", 2 * per_file)),
        "{}",
        stderr(&written)
    );
    // From the subfolder, `..` in the baseline's path: everything matches.
    let sub = dir.join("pipelines");
    let args = [
        "check",
        "--format",
        "compact",
        "--baseline",
        "../pipelint-baseline.json",
        "wf.yaml",
    ];
    let out = pipelint_in(&sub, &args);
    assert_eq!(stdout(&out), "", "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains(&format!("{per_file} in the baseline")),
        "{}",
        stderr(&out)
    );
    // A fixed finding: its entry is reported as stale ...
    let fixed = text.replacen(
        "amazon/aws-cli:latest",
        "amazon/aws-cli@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        1,
    );
    assert_ne!(fixed, text);
    std::fs::write(sub.join("wf.yaml"), &fixed).unwrap();
    let out = pipelint_in(&sub, &args);
    assert_eq!(stdout(&out), "", "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{} in the baseline; 1 baseline entry no longer found (--write-baseline prunes it)",
            per_file - 1
        )),
        "{}",
        stderr(&out)
    );
    // ... and --write-baseline from the subfolder prunes it, keeping the other file's entries.
    let pruned = pipelint_in(
        &sub,
        &[
            "check",
            "--write-baseline",
            "../pipelint-baseline.json",
            "wf.yaml",
        ],
    );
    assert!(
        stderr(&pruned).contains(&format!(
            "wrote {} findings to the baseline ../pipelint-baseline.json; 1 entry no longer found was pruned",
            2 * per_file - 1
        )),
        "{}",
        stderr(&pruned)
    );
    let again = pipelint_in(
        &dir,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "pipelint-baseline.json",
            "pipelines",
        ],
    );
    assert!(
        stderr(&again).contains(&format!("{} in the baseline", 2 * per_file - 1)),
        "{}",
        stderr(&again)
    );
    assert!(
        !stderr(&again).contains("no longer found"),
        "{}",
        stderr(&again)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn policies_are_checked_against_the_view_and_run_whatever_the_config_selects() {
    let dir = temp_dir("policy-fields");
    std::fs::copy(repo_root().join(MIXED), dir.join("wf.yaml")).unwrap();
    let policy = |field: &str| {
        format!(
            "select: [unpinned-image]\npolicies:\n  - id: team-label\n    severity: warning\n    message: has no team label\n    scope: step\n    schema:\n      required: [{field}]\n      properties:\n        {field}:\n          required: [team]\n"
        )
    };
    // `label` for `labels`: a config error at its position, with the right name.
    std::fs::write(dir.join(".pipelint.yaml"), policy("label")).unwrap();
    let out = pipelint_in(&dir, &["check", "wf.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(".pipelint.yaml:10:9: policy `team-label`: the step view has no field `label` here, so this would never match (did you mean `labels`?)"),
        "{}",
        stderr(&out)
    );
    // The look-alike that exists: the policy runs, though `select:` names only a rule.
    std::fs::write(dir.join(".pipelint.yaml"), policy("labels")).unwrap();
    let out = pipelint_in(&dir, &["check", "--format", "compact", "wf.yaml"]);
    assert!(count(&stdout(&out), "team-label") > 0, "{}", stderr(&out));
    assert_eq!(count(&stdout(&out), "missing-resource-limits"), 0);
    // --select on the command line is exclusive: the policy is off unless named.
    let out = pipelint_in(
        &dir,
        &[
            "check",
            "--format",
            "compact",
            "--select",
            "unpinned-image",
            "wf.yaml",
        ],
    );
    assert_eq!(count(&stdout(&out), "team-label"), 0);
    let out = pipelint_in(
        &dir,
        &[
            "check",
            "--format",
            "compact",
            "--select",
            "team-label",
            "wf.yaml",
        ],
    );
    assert!(count(&stdout(&out), "team-label") > 0);
    assert_eq!(count(&stdout(&out), "unpinned-image"), 0);
    // `config --show` lists it.
    let show = stdout(&pipelint_in(&dir, &["config", "--show"]));
    assert!(
        show.contains("policies:\n  - id: team-label\n    severity: warning\n    scope: step"),
        "{show}"
    );
    // An empty config is fine, and `config --show` says it is empty.
    std::fs::write(dir.join(".pipelint.yaml"), "# nothing yet\n").unwrap();
    let show = pipelint_in(&dir, &["config", "--show"]);
    assert_eq!(show.status.code(), Some(0));
    assert!(
        stdout(&show).contains(".pipelint.yaml, which is empty"),
        "{}",
        stdout(&show)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_wraps_to_columns_and_not_at_all_without_a_terminal() {
    let help = |columns: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pipelint"));
        command.args(["check", "--help"]).env_remove("COLUMNS");
        if let Some(columns) = columns {
            command.env("COLUMNS", columns);
        }
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        stdout(&out)
    };
    let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap();
    // Piped, no COLUMNS: a paragraph is one line, longer than the old fixed 100 columns.
    let unwrapped = help(None);
    assert!(widest(&unwrapped) > 120, "{unwrapped}");
    let narrow = help(Some("60"));
    assert!(widest(&narrow) <= 60, "{narrow}");
    // Every flag of the issue is documented.
    for flag in [
        "--select",
        "--extend-select",
        "--ignore",
        "--config <FILE|KEY=VALUE>",
        "--min-severity",
        "--min-confidence",
        "--statistics",
        "gitlab",
        "json-lines",
    ] {
        assert!(unwrapped.contains(flag), "{flag} in --help");
    }
}

#[test]
fn rule_typos_rules_json_and_aligned_rules() {
    let typo = pipelint(&["rule", "unpinned-imag"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("no rule `unpinned-imag` (did you mean `unpinned-image`?)"),
        "{}",
        stderr(&typo)
    );
    let json = pipelint(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let ids: Vec<&str> = pipelint::rules::registry::all()
        .iter()
        .map(|r| r.meta().id)
        .collect();
    assert_eq!(
        rules
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ids
    );
    let limits = rules
        .iter()
        .find(|r| r["id"] == "missing-resource-limits")
        .unwrap();
    assert_eq!(limits["default_severity"], "warning");
    assert_eq!(
        limits["options"],
        serde_json::json!(["resources", "require-requests"])
    );
    // The text list: every summary starts in the same column.
    let text = stdout(&pipelint(&["rules"]));
    let columns: Vec<usize> = text
        .lines()
        .map(|l| {
            let after_id = l.find(' ').unwrap();
            let severity = after_id + l[after_id..].find(|c: char| c != ' ').unwrap();
            let after_severity = severity + l[severity..].find(' ').unwrap();
            after_severity + l[after_severity..].find(|c: char| c != ' ').unwrap()
        })
        .collect();
    assert_eq!(columns.len(), ids.len());
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
}

#[test]
fn config_show_prints_resolved_values() {
    let show = stdout(&pipelint(&["config", "--show", "testdata/examples"]));
    assert!(!show.contains("(default)"), "{show}");
    assert!(show.contains("  missing-resource-limits:\n    severity: warning\n    resources: [cpu, memory]\n    require-requests: false\n"), "{show}");
    assert!(show.contains("    default-grace-seconds: 30\n"), "{show}");
    assert!(show.contains("policies: []\n"), "{show}");
    let with_value = stdout(&pipelint(&["config", "--show", "testdata/examples"]));
    assert_eq!(show, with_value, "stable");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pipelint"),
        ("fish", "complete -c pipelint"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = pipelint(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("extend-select"),
            "{shell}: the flags are completed"
        );
    }
    assert_eq!(pipelint(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn a_bad_regex_is_one_error() {
    let dir = temp_dir("regex");
    std::fs::copy(repo_root().join(MIXED), dir.join("wf.yaml")).unwrap();
    std::fs::write(
        dir.join(".pipelint.yaml"),
        "rules:\n  unpinned-image:\n    allow-tags: ['v(']\n",
    )
    .unwrap();
    let out = pipelint_in(&dir, &["check", "wf.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{err}"
    );
    assert!(
        err.contains(".pipelint.yaml:3:18: `v(` is not a valid regular expression: unclosed group"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_readme_rule_table_lists_every_registered_rule() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## What it checks")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| [`"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let mut registered: Vec<&str> = pipelint::rules::registry::all()
        .iter()
        .map(|r| r.meta().id)
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    registered.sort();
    assert_eq!(sorted, registered, "README rows: {listed:?}");
}

/// GitLab's documented Code Quality fields (docs.gitlab.com/ci/testing/code_quality,
/// "Code Quality report format"), written down as a schema here: the required fields,
/// their types and the severity scale.
fn gitlab_code_quality_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["description", "check_name", "fingerprint", "severity", "location"],
            "properties": {
                "description": {"type": "string", "minLength": 1},
                "check_name": {"type": "string", "minLength": 1},
                "fingerprint": {"type": "string", "minLength": 1},
                "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
                "location": {
                    "type": "object",
                    "required": ["path"],
                    "properties": {
                        "path": {"type": "string", "minLength": 1, "not": {"pattern": "^(/|\\./)"}},
                        "lines": {
                            "type": "object",
                            "required": ["begin"],
                            "properties": {"begin": {"type": "integer", "minimum": 1}}
                        },
                        "positions": {
                            "type": "object",
                            "required": ["begin"],
                            "properties": {
                                "begin": {
                                    "type": "object",
                                    "required": ["line"],
                                    "properties": {"line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}}
                                }
                            }
                        }
                    },
                    "oneOf": [{"required": ["lines"]}, {"required": ["positions"]}]
                }
            }
        }
    })
}

#[test]
fn gitlab_code_quality_and_json_lines() {
    let out = pipelint(&["check", "--format", "gitlab", "testdata/examples"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&gitlab_code_quality_schema()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert_eq!(errors, Vec::<String>::new());
    let issues = doc.as_array().unwrap();
    let compact = stdout(&pipelint(&[
        "check",
        "--format",
        "compact",
        "testdata/examples",
    ]));
    assert_eq!(issues.len(), compact.lines().count());
    // GitLab shows one issue per fingerprint: each is unique.
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len());
    let first = &issues[0];
    let line = compact.lines().next().unwrap();
    let expected = format!(
        "{}:{}:{}:",
        first["location"]["path"].as_str().unwrap(),
        first["location"]["positions"]["begin"]["line"],
        first["location"]["positions"]["begin"]["column"]
    );
    assert!(line.starts_with(&expected), "{line} vs {expected}");
    assert!(line.contains(&format!("[{}]", first["check_name"].as_str().unwrap())));

    // json-lines: each line one finding of the json format, in order.
    let lines = stdout(&pipelint(&[
        "check",
        "--format",
        "json-lines",
        "testdata/examples",
    ]));
    let json = pipelint(&["check", "--format", "json", "testdata/examples"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(lines.lines().count(), findings.len());
    for (line, finding) in lines.lines().zip(findings) {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(&parsed, finding);
    }
}

#[test]
fn every_finding_says_where_to_read_more() {
    let dir = temp_dir("docs-url");
    std::fs::copy(repo_root().join(MIXED), dir.join("wf.yaml")).unwrap();
    let docs_lines = |line: &str| {
        let human = stdout(&pipelint_in(
            &dir,
            &["check", "--select", "unpinned-image", "wf.yaml"],
        ));
        assert_eq!(human.matches(line).count(), 5, "{line} in {human}");
    };
    let json = || {
        let out = pipelint_in(&dir, &["check", "--format", "json", "wf.yaml"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // Without `docs-url`: the offline page, and the rule's page in the repository that
    // Cargo.toml names (none without one).
    let repository = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    let default_url =
        (!repository.is_empty()).then(|| format!("{repository}/blob/main/rules/unpinned-image.md"));
    match &default_url {
        Some(url) => docs_lines(&format!(
            "  docs: `pipelint rule unpinned-image` or {url}\n"
        )),
        None => docs_lines("  docs: `pipelint rule unpinned-image`\n"),
    }
    let doc = json();
    let unpinned = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "unpinned-image")
        .unwrap();
    assert_eq!(
        unpinned.get("url").and_then(|u| u.as_str()),
        default_url.as_deref()
    );

    std::fs::write(
        dir.join(".pipelint.yaml"),
        "docs-url: https://wiki.example.com/pipelint/{rule}\n",
    )
    .unwrap();
    docs_lines("  docs: `pipelint rule unpinned-image` or https://wiki.example.com/pipelint/unpinned-image\n");
    for f in json()["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap();
        assert_eq!(
            f["url"],
            format!("https://wiki.example.com/pipelint/{rule}")
        );
    }
    let sarif = pipelint_in(&dir, &["check", "--format", "sarif", "wf.yaml"]);
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let unpinned = rules.iter().find(|r| r["id"] == "unpinned-image").unwrap();
    assert_eq!(
        unpinned["helpUri"],
        "https://wiki.example.com/pipelint/unpinned-image"
    );
    // A template without `{rule}` would send every finding to one page: refused.
    std::fs::write(
        dir.join(".pipelint.yaml"),
        "docs-url: https://wiki.example.com/\n",
    )
    .unwrap();
    let bad = pipelint_in(&dir, &["check", "wf.yaml"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains(".pipelint.yaml:1:11: `docs-url` should contain `{rule}`"),
        "{}",
        stderr(&bad)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
