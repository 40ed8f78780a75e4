//! Findings where KFP users write code: IR compiled by the real SDK from
//! `testdata/kfp-src/`, each finding's Python line checked exactly, in every output.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{pipelint_in, repo_root};

fn pipelint(args: &[&str]) -> Output {
    pipelint_in(&repo_root(), args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts that there are findings and every compact line is reported in `file`.
fn all_in(text: &str, file: &str) {
    assert!(!text.is_empty(), "no findings");
    for line in text.lines() {
        assert!(
            line.starts_with(&format!("{file}:")),
            "not in {file}: {line}\n{text}"
        );
    }
}

/// A fresh folder of this test process.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-kfpsrc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const NESTED_IR: &str = "testdata/sourcemap/nested.yaml";
const NESTED_PY: &str = "testdata/kfp-src/sourcemap_nested.py";

/// The 1-based line of `sourcemap_nested.py` that holds `text` (exactly one does).
fn line_of(text: &str) -> usize {
    let src = std::fs::read_to_string(repo_root().join(NESTED_PY)).unwrap();
    let lines: Vec<usize> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(text))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(lines.len(), 1, "{text:?} is on lines {lines:?}");
    lines[0]
}

/// Every finding of the nested pipeline (a nested pipeline with its own name, a loop, a
/// condition, an exit handler, a container component, a component used twice, chained and
/// later configuration calls, `dsl as d`) lands on the Python line where it is changed.
#[test]
fn nested_pipeline_findings_land_on_their_python_lines() {
    let out = pipelint(&[
        "check",
        NESTED_IR,
        "--kfp-source",
        "testdata/kfp-src",
        "--report-at",
        "source",
        "--format",
        "compact",
    ]);
    let text = stdout(&out);
    // (rule, step, the Python text of the line it must land on)
    let expected = [
        // Inside the loop: the chained set_retry the backend ignores.
        (
            "io-step-without-retry",
            "exit-handler-1/prepare-data/for-loop-2/fetch-shard",
            "fetch_shard(shard=region).set_retry(num_retries=3)",
        ),
        // The second call of the component: `fetch-shard-2`, no retry: its creation line.
        (
            "io-step-without-retry",
            "exit-handler-1/prepare-data/fetch-shard-2",
            "fetch_shard(shard=day)",
        ),
        // Inside the condition, the second `check_quality`.
        (
            "missing-resource-limits",
            "exit-handler-1/prepare-data/condition-3/check-quality-2",
            "check_quality(rows=10)",
        ),
        // A later call on the task variable sets the cpu limit; memory is what is missing.
        (
            "missing-resource-limits",
            "exit-handler-1/train-model",
            "train_task.set_cpu_limit(\"4\")",
        ),
        // No timeout call: the creation line, inside `train_task = (...)`.
        (
            "missing-timeout",
            "exit-handler-1/train-model",
            "train_model(seed=seed)",
        ),
        // The container component's image: where its string is written.
        (
            "unpinned-image",
            "exit-handler-1/export-model",
            "image=\"ghcr.io/acme/exporter:1.4\",",
        ),
        // The exit handler's task, at the root.
        ("missing-resource-limits", "notify", "exit_task = notify("),
    ];
    for (rule, step, python) in expected {
        let line = line_of(python);
        let found = text
            .lines()
            .find(|l| l.contains(&format!("[{rule}] step \"{step}\"")));
        let found = found.unwrap_or_else(|| panic!("no {rule} on {step}:\n{text}"));
        assert!(
            found.starts_with(&format!("{NESTED_PY}:{line}:")),
            "{rule} on {step} should be on line {line} ({python}):\n{found}"
        );
    }
    // Every finding of the file is mapped: none is left on the IR.
    assert!(!text.contains("testdata/sourcemap/nested.yaml:"), "{text}");
    insta::assert_snapshot!("nested_report_at_source_compact", text);
}

/// `# pipelint: ignore[missing-timeout] reason` on the Python line silences that rule
/// there; the other rules of the same line stay.
#[test]
fn an_ignore_comment_on_the_mapped_python_line_suppresses() {
    let args = [
        "check",
        NESTED_IR,
        "--format",
        "compact",
        "--report-at",
        "source",
    ];
    let with = pipelint(&[&args[..], &["--kfp-source", "testdata/kfp-src"]].concat());
    let text = stdout(&with);
    let line = line_of("export_model(model=train_task.outputs[\"model\"])");
    let on_line: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(&format!("{NESTED_PY}:{line}:")))
        .collect();
    assert_eq!(on_line.len(), 1, "{text}");
    assert!(on_line[0].contains("[missing-resource-limits]"), "{text}");
    assert!(
        !text.contains("[missing-timeout] step \"exit-handler-1/export-model\""),
        "{text}"
    );
    let summary = String::from_utf8(with.stderr).unwrap();
    assert!(summary.contains("; 1 suppressed"), "{summary}");
    // Without the Python, the IR has nothing that silences it.
    let empty = temp_dir("empty-source");
    let without = pipelint(&[&args[..], &["--kfp-source", empty.to_str().unwrap()]].concat());
    assert!(
        stdout(&without).contains("[missing-timeout] step \"exit-handler-1/export-model\""),
        "{}",
        stdout(&without)
    );
    std::fs::remove_dir_all(&empty).unwrap();
}

/// The rule fixtures compiled from `testdata/kfp-src/`: in the repository (no
/// `--kfp-source`), every finding of these files is mapped to its source file.
#[test]
fn rule_fixtures_map_to_the_files_they_were_compiled_from() {
    let pairs = [
        (
            "testdata/rules/io-step-without-retry/fail-kfp.yaml",
            "testdata/kfp-src/io_step_without_retry_fail.py",
        ),
        (
            "testdata/rules/cache-on-random-step/fail-kfp.yaml",
            "testdata/kfp-src/cache_on_random_step_fail.py",
        ),
        (
            "testdata/rules/grace-period-shorter-than-checkpoint/fail-kfp.yaml",
            "testdata/kfp-src/grace_period_shorter_than_checkpoint_fail.py",
        ),
    ];
    let mut all = String::new();
    for (ir, py) in pairs {
        let out = pipelint(&["check", ir, "--report-at", "source", "--format", "compact"]);
        let text = stdout(&out);
        assert!(!text.is_empty(), "{ir}: no findings");
        for line in text.lines() {
            assert!(line.starts_with(&format!("{py}:")), "{ir}: {line}");
        }
        all.push_str(&text);
    }
    insta::assert_snapshot!("rule_fixtures_report_at_source_compact", all);
}

/// An image finding lands where the pin goes: the string of `base_image=` or of
/// `ContainerSpec(image=...)`, at its first character; a component on the SDK's default
/// image (no `base_image`) at its `def`, where one is added.
#[test]
fn image_findings_land_on_the_string_that_names_the_image() {
    const IR: &str = "testdata/rules/unpinned-image/fail-kfp.yaml";
    const PY: &str = "testdata/kfp-src/unpinned_image_fail.py";
    let out = pipelint(&[
        "check",
        IR,
        "--select",
        "unpinned-image",
        "--report-at",
        "source",
        "--format",
        "compact",
    ]);
    let text = stdout(&out);
    let src = std::fs::read_to_string(repo_root().join(PY)).unwrap();
    // (step, the text its finding must start at)
    let expected = [
        ("download-data", "python:3.11\", packages_to_install"),
        ("validate-data", "python\")"),
        ("train", "ghcr.io/acme/trainer:latest"),
        ("evaluate", "def evaluate("),
        ("export-onnx", "registry.acme.internal:5000/ml/onnx-export"),
        (
            "push-model",
            "registry.acme.internal:5000/ml/model-pusher:1.4.2",
        ),
    ];
    for (step, at) in expected {
        let offset = src.find(at).unwrap_or_else(|| panic!("{at:?} not in {PY}"));
        assert_eq!(src.matches(at).count(), 1, "{at:?}");
        let line = src[..offset].matches('\n').count() + 1;
        let column = offset - src[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
        let want = format!("{PY}:{line}:{column}: ");
        let found = text
            .lines()
            .find(|l| l.contains(&format!("[unpinned-image] step \"{step}\"")))
            .unwrap_or_else(|| panic!("no unpinned-image on {step}:\n{text}"));
        assert!(
            found.starts_with(&want),
            "{step} should be at {want}:\n{found}"
        );
    }
    assert_eq!(text.lines().count(), expected.len(), "{text}");
    // The human output names the string, the component and the task.
    let human = stdout(&pipelint(&[
        "check",
        IR,
        "--select",
        "unpinned-image",
        "--format",
        "human",
    ]));
    insta::assert_snapshot!("unpinned_image_human_with_python", human);
}

/// The human output lists the Python places under each finding; JSON keeps `file`, `span`
/// and the fix on the IR and adds `sources` (and `reported_at` with `--report-at source`).
#[test]
fn human_and_json_show_the_python_places() {
    let args = [
        "check",
        "testdata/rules/io-step-without-retry/fail-kfp.yaml",
        "--select",
        "io-step-without-retry",
    ];
    let human = stdout(&pipelint(&args));
    insta::assert_snapshot!("io_step_human_with_python", human);

    let json = stdout(&pipelint(
        &[&args[..], &["--format", "json", "--report-at", "source"]].concat(),
    ));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(
            f["file"],
            "testdata/rules/io-step-without-retry/fail-kfp.yaml"
        );
        assert_eq!(f["reported_at"], "source");
        let sources = f["sources"].as_array().unwrap();
        assert!(!sources.is_empty(), "{f}");
        assert_eq!(
            sources[0]["file"],
            "testdata/kfp-src/io_step_without_retry_fail.py"
        );
        assert!(sources[0]["start"]["line"].as_u64().unwrap() > 100, "{f}");
    }
    // `fetch-labels` sets `set_retry(num_retries=0)`: reported at that call.
    let labels = findings
        .iter()
        .find(|f| f["step"] == "fetch-labels")
        .unwrap();
    assert!(
        labels["sources"][0]["message"]
            .as_str()
            .unwrap()
            .contains("set_retry(num_retries=0)"),
        "{labels}"
    );
    // Without --report-at, no `reported_at`.
    let plain = stdout(&pipelint(&[&args[..], &["--format", "json"]].concat()));
    assert!(!plain.contains("reported_at"), "{plain}");
    assert!(plain.contains("\"sources\""), "{plain}");
}

/// GitHub annotations land on the Python file by default; `--report-at ir` keeps them on
/// the IR. SARIF with `--report-at source`: the Python location first, the IR related, and
/// the fix still edits the IR.
#[test]
fn github_annotations_and_sarif_locations() {
    let ir = "testdata/rules/missing-resource-limits/fail-kfp.yaml";
    let py = "testdata/kfp-src/missing_resource_limits_fail.py";
    let github = stdout(&pipelint(&["check", ir, "--format", "github"]));
    assert!(!github.is_empty());
    for line in github.lines() {
        assert!(line.contains(&format!("file={py},")), "{line}");
        assert!(line.contains(&format!("compiled into {ir}:")), "{line}");
    }
    let on_ir = stdout(&pipelint(&[
        "check",
        ir,
        "--format",
        "github",
        "--report-at",
        "ir",
    ]));
    for line in on_ir.lines() {
        assert!(line.contains(&format!("file={ir},")), "{line}");
    }

    // A fixture whose findings carry fixes (cache-on-random-step turns caching off).
    let ir = "testdata/rules/cache-on-random-step/fail-kfp.yaml";
    let py = "testdata/kfp-src/cache_on_random_step_fail.py";
    let sarif = stdout(&pipelint(&[
        "check",
        ir,
        "--format",
        "sarif",
        "--report-at",
        "source",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let uri = |l: &serde_json::Value| {
        l["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut fixes = 0;
    for r in results {
        assert_eq!(uri(&r["locations"][0]), py, "{r}");
        let related = r["relatedLocations"].as_array().unwrap();
        assert_eq!(uri(&related[0]), ir, "{r}");
        for (i, l) in related.iter().enumerate() {
            assert_eq!(l["id"], i + 1, "{r}");
        }
        for fix in r["fixes"].as_array().into_iter().flatten() {
            fixes += 1;
            assert_eq!(
                fix["artifactChanges"][0]["artifactLocation"]["uri"], ir,
                "{r}"
            );
        }
    }
    assert!(fixes > 0, "the fixture's findings carry fixes: {sarif}");
}

/// A copy of the nested pipeline's IR and (when given) Python in a repository of its own.
fn repository(name: &str, python: Option<&str>) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    std::fs::copy(
        repo_root().join(NESTED_IR),
        dir.join("pipelines/nested.yaml"),
    )
    .unwrap();
    if let Some(python) = python {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/training.py"), python).unwrap();
    }
    dir
}

fn nested_python() -> String {
    std::fs::read_to_string(repo_root().join(NESTED_PY)).unwrap()
}

/// The repository around the IR is scanned by default, and honours `.gitignore`.
#[test]
fn the_repository_around_the_ir_is_scanned_honouring_gitignore() {
    let dir = repository("gitignore", Some(&nested_python()));
    let compact = |dir: &Path| {
        stdout(&pipelint_in(
            dir,
            &[
                "check",
                "pipelines/nested.yaml",
                "--format",
                "compact",
                "--report-at",
                "source",
            ],
        ))
    };
    let mapped = compact(&dir);
    all_in(&mapped, "src/training.py");
    std::fs::write(dir.join(".gitignore"), "src/\n").unwrap();
    let ignored = compact(&dir);
    all_in(&ignored, "pipelines/nested.yaml");
    // The config key names the folder instead.
    std::fs::write(
        dir.join("pipelines/.pipelint.yaml"),
        "kfp-source: ../src-copy\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("src-copy")).unwrap();
    std::fs::write(dir.join("src-copy/training.py"), nested_python()).unwrap();
    std::fs::write(dir.join(".gitignore"), "src/\nsrc-copy/\n").unwrap();
    let configured = compact(&dir);
    all_in(&configured, "src-copy/training.py");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without the sources (no Python, or Python that defines no KFP function), every output
/// is byte for byte what it is outside any repository.
#[test]
fn a_repository_without_sources_changes_nothing() {
    let outside = temp_dir("outside");
    std::fs::copy(repo_root().join(NESTED_IR), outside.join("nested.yaml")).unwrap();
    let repo = repository(
        "no-sources",
        Some("import os\n\ndef main():\n    print(os.getcwd())\n"),
    );
    std::fs::copy(repo_root().join(NESTED_IR), repo.join("nested.yaml")).unwrap();
    for format in [
        "human",
        "compact",
        "json",
        "sarif",
        "github",
        "gitlab",
        "junit",
        "json-lines",
    ] {
        let args = ["check", "nested.yaml", "--format", format];
        let a = pipelint_in(&outside, &args);
        let b = pipelint_in(&repo, &args);
        // SARIF and GitLab name the root they ran in; everything else must be identical.
        let (a_out, b_out) = (
            stdout(&a).replace(outside.to_str().unwrap(), "ROOT"),
            stdout(&b).replace(repo.to_str().unwrap(), "ROOT"),
        );
        assert_eq!(a_out, b_out, "{format}");
        assert_eq!(a.stderr, b.stderr, "{format}");
        assert!(!a_out.contains("  python: "), "{format}");
        assert!(!a_out.contains("\"sources\""), "{format}");
    }
    std::fs::remove_dir_all(&outside).unwrap();
    std::fs::remove_dir_all(&repo).unwrap();
}

/// Never wrong: two identical definitions of the pipeline cannot be told apart, so nothing
/// is mapped; a definition whose component changed is stale, and nothing points into it.
#[test]
fn ambiguous_and_stale_sources_are_not_pointed_into() {
    let dir = repository("ambiguous", Some(&nested_python()));
    std::fs::write(dir.join("src/copy.py"), nested_python()).unwrap();
    let args = [
        "check",
        "pipelines/nested.yaml",
        "--format",
        "compact",
        "--report-at",
        "source",
    ];
    let text = stdout(&pipelint_in(&dir, &args));
    all_in(&text, "pipelines/nested.yaml");
    assert!(!text.contains("stale-compiled-pipeline"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();

    let changed = nested_python().replace("return rows > 1000", "return rows > 500");
    let dir = repository("stale", Some(&changed));
    let text = stdout(&pipelint_in(&dir, &args));
    all_in(&text, "pipelines/nested.yaml");
    let stale: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[stale-compiled-pipeline]"))
        .collect();
    assert_eq!(stale.len(), 1, "{text}");
    assert!(
        stale[0].ends_with("pipelines/nested.yaml is older than src/training.py: component `check_quality` has changed since it was compiled"),
        "{}",
        stale[0]
    );
    let json = stdout(&pipelint_in(
        &dir,
        &["check", "pipelines/nested.yaml", "--format", "json"],
    ));
    assert!(!json.contains("\"sources\""), "{json}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Hostile Python in the repository: a large file of nested brackets and unclosed strings
/// is scanned (linearly) without taking the run down; a symlink to code outside the
/// folder is not followed; an unreadable name is skipped.
#[cfg(unix)]
#[test]
fn hostile_python_is_bounded_and_symlinks_are_not_followed() {
    let dir = repository("hostile", None);
    let mut hostile = String::from("from kfp import dsl\n");
    hostile.push_str(&"(".repeat(200_000));
    hostile.push_str("\n'''");
    hostile.push_str(&"@dsl.pipeline\ndef x():\n    y()\n".repeat(20_000));
    std::fs::write(dir.join("hostile.py"), &hostile).unwrap();
    // Many pipeline functions, each creating and configuring tasks: every function costs
    // its own calls (a scan per function over the file's calls would be quadratic).
    let mut many = String::from("from kfp import dsl\n\n@dsl.component\ndef c():\n    pass\n\n");
    many.push_str(
        &"@dsl.pipeline(name='p')\ndef p():\n    a = (\n        c())\n    a.set_retry(1)\n"
            .repeat(40_000),
    );
    std::fs::write(dir.join("many.py"), &many).unwrap();
    // The real pipeline, outside the repository, linked in: not read.
    let outside = temp_dir("hostile-outside");
    std::fs::write(outside.join("training.py"), nested_python()).unwrap();
    std::os::unix::fs::symlink(outside.join("training.py"), dir.join("linked.py")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("linked-dir")).unwrap();
    let out = pipelint_in(
        &dir,
        &[
            "check",
            "pipelines/nested.yaml",
            "--format",
            "compact",
            "--report-at",
            "source",
        ],
    );
    let text = stdout(&out);
    assert!(!text.is_empty());
    all_in(&text, "pipelines/nested.yaml");
    // A budget too small for the hostile file: scanning stops with a clear warning, the
    // IR is still linted.
    let small = pipelint_in(
        &dir,
        &[
            "check",
            "pipelines/nested.yaml",
            "--format",
            "compact",
            "--file-time-budget",
            "20000",
        ],
    );
    let warning = String::from_utf8(small.stderr).unwrap();
    assert!(
        warning.contains("warning: the Python sources under") && warning.contains("were not read"),
        "{warning}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}

/// `--kfp-source` that is not a folder is a usage error.
#[test]
fn kfp_source_must_be_a_directory() {
    let out = pipelint(&["check", NESTED_IR, "--kfp-source", "testdata/no-such-dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("--kfp-source testdata/no-such-dir: not a directory"));
}
