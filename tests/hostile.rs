//! Hostile input: every case runs the binary on a file crafted to break a linter, beside a
//! well-formed pipeline (`testdata/hostile/control.yaml`), and states what must happen: the
//! finding or message (file, line, column), the exit code, and that the control file is still
//! linted. No case may panic (exit code 101) or be killed, and each must stay under 5 s of CPU
//! and 500 MB of memory, as the child's own accounting (wait4) reports: a guard against
//! runaways, not a benchmark.
//!
//! Small cases are files in `testdata/hostile/` (skipped by directory walks, see its
//! `.ignore`); large ones and filesystem oddities are made in a temporary folder.

mod common;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::repo_root;
use serde_json::Value;

const CONTROL: &str = "testdata/hostile/control.yaml";
/// The runaway guard: CPU seconds and peak resident memory of one run.
const MAX_CPU_SECONDS: f64 = 5.0;
const MAX_RSS_KB: i64 = 500 * 1024;
/// A run that has not finished by then is killed (and the case fails).
const WATCHDOG: Duration = Duration::from_secs(60);

struct Run {
    name: String,
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    cpu_seconds: f64,
    max_rss_kb: i64,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: the JSON report does not parse: {e}\n{}",
                self.name, self.stdout
            )
        })
    }

    /// `(line, column, severity, message)` of each finding of `rule` in `file`.
    fn findings(&self, file: &str, rule: &str) -> Vec<(u64, u64, String, String)> {
        let report = self.json();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == file && f["rule"] == rule)
            .map(|f| {
                (
                    f["span"]["start"]["line"].as_u64().unwrap(),
                    f["span"]["start"]["column"].as_u64().unwrap(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Asserts a finding of `rule` in `file` at `line:column` whose message contains `text`.
    fn expect(&self, file: &str, rule: &str, line: u64, column: u64, text: &str) -> &Self {
        let found = self.findings(file, rule);
        assert!(
            found
                .iter()
                .any(|(l, c, _, m)| *l == line && *c == column && m.contains(text)),
            "{}: expected {rule} at {file}:{line}:{column} containing {text:?}, got {found:?}\n{}",
            self.name,
            self.stdout
        );
        self
    }

    fn expect_none(&self, file: &str) -> &Self {
        let report = self.json();
        let any: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == file && f["severity"] == "error")
            .collect();
        assert!(
            any.is_empty(),
            "{}: expected no errors in {file}, got {any:?}",
            self.name
        );
        self
    }

    fn kind(&self, file: &str) -> String {
        let report = self.json();
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == file)
            .unwrap_or_else(|| {
                panic!(
                    "{}: {file} is not in the report\n{}",
                    self.name, self.stdout
                )
            })["kind"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn exit(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "{}: exit code\nstdout: {}\nstderr: {}",
            self.name,
            self.stdout,
            self.stderr
        );
        self
    }

    fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "{}: stderr should contain {text:?}: {}",
            self.name,
            self.stderr
        );
        self
    }
}

/// Runs `pipelint check --format json ARGS... control.yaml` and checks what every case
/// must satisfy.
fn check(name: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let mut all: Vec<OsString> = vec!["check".into(), "--format".into(), "json".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_os_string()));
    all.push(CONTROL.into());
    let run = spawn(name, &all);
    assert_ne!(
        run.code,
        Some(101),
        "{name}: pipelint panicked:\n{}",
        run.stderr
    );
    assert!(
        run.signal.is_none(),
        "{name}: killed by signal {:?} (the watchdog kills after {WATCHDOG:?})\n{}",
        run.signal,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    assert!(
        run.cpu_seconds < MAX_CPU_SECONDS,
        "{name}: {:.2} s of CPU",
        run.cpu_seconds
    );
    assert!(
        run.max_rss_kb < MAX_RSS_KB,
        "{name}: {} KB resident",
        run.max_rss_kb
    );
    // The other file of the run is still linted.
    run.expect(CONTROL, "unpinned-image", 12, 16, "python:3.11");
    eprintln!(
        "hostile case {name:<48} exit {:?}  cpu {:>5.2} s  max rss {:>7} KB",
        run.code, run.cpu_seconds, run.max_rss_kb
    );
    run
}

fn spawn(name: &str, args: &[OsString]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !done.load(Ordering::SeqCst) {
                if start.elapsed() > WATCHDOG {
                    // SAFETY: the child has not been reaped yet (`done` is false), so the pid
                    // is still ours.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    assert_eq!(waited, pid, "{name}: wait4 failed");
    // The child is reaped: std must not wait for it again.
    std::mem::forget(child);
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        name: name.to_string(),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        stdout: String::from_utf8_lossy(&stdout.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux reports kilobytes.
        max_rss_kb: usage.ru_maxrss,
    }
}

fn hostile(name: &str) -> String {
    format!("testdata/hostile/{name}")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn not_yaml_binary_and_encodings() {
    let f = hostile("not-yaml.yaml");
    check("not YAML at all", &[&f]).exit(1).expect(
        &f,
        "yaml-syntax",
        1,
        13,
        "mapping values are not allowed",
    );

    // The position of the first bad byte, and the text before it still shown.
    let f = hostile("invalid-utf8.yaml");
    check("invalid UTF-8", &[&f]).exit(1).expect(
        &f,
        "yaml-syntax",
        3,
        21,
        "not UTF-8 text (invalid byte at offset 68)",
    );

    // UTF-16 with a BOM is decoded and linted; positions are those of the decoded text.
    let f = hostile("utf16-bom.yaml");
    let run = check("UTF-16 with BOM", &[&f]);
    run.exit(0)
        .expect(&f, "unpinned-image", 11, 16, "python:3.11");
    assert_eq!(run.kind(&f), "pipeline");

    let f = hostile("binary.yaml");
    check("binary file named .yaml", &[&f]).exit(1).expect(
        &f,
        "yaml-syntax",
        1,
        5,
        "not UTF-8 text (invalid byte at offset 4)",
    );

    // Valid UTF-8 that is binary all the same (NUL bytes).
    let f = hostile("binary-nul.yaml");
    check("binary file that is valid UTF-8", &[&f])
        .exit(1)
        .expect(&f, "yaml-syntax", 1, 1, "unexpected character");
}

#[test]
fn files_that_hold_no_pipeline_are_skipped_quietly() {
    for (name, what) in [
        ("empty.yaml", "empty file"),
        ("only-comments.yaml", "only comments"),
        ("scalar.yaml", "a document that is a scalar"),
        ("list.yaml", "a document that is a list"),
    ] {
        let f = hostile(name);
        let run = check(what, &[&f]);
        run.exit(0).expect_none(&f);
        assert_eq!(run.kind(&f), "not-pipeline", "{what}");
        assert!(run.findings(&f, "yaml-syntax").is_empty(), "{what}");
    }
}

#[test]
fn syntax_duplicates_and_yaml_1_1_booleans() {
    let f = hostile("tabs.yaml");
    check("tabs in indentation", &[&f])
        .exit(1)
        .expect(&f, "yaml-syntax", 6, 2, "tabs");

    // The later value is the one YAML (and Kubernetes) keeps: it is what gets linted.
    let f = hostile("duplicate-keys.yaml");
    let run = check("duplicate keys", &[&f]);
    run.exit(1)
        .expect(&f, "duplicate-key", 12, 9, "`image` is repeated")
        .expect(&f, "unpinned-image", 12, 16, "python:latest");
    assert_eq!(run.findings(&f, "unpinned-image").len(), 1);

    // Kubernetes decodes YAML 1.1: `yes` and `on` are booleans where strings are expected.
    let f = hostile("yaml11-booleans.yaml");
    let run = check("YAML 1.1 booleans where k8s expects strings", &[&f]);
    run.exit(1);
    let errors_on = |line: u64| {
        let report = run.json();
        report["findings"].as_array().unwrap().iter().any(|x| {
            x["file"] == f.as_str()
                && x["severity"] == "error"
                && x["span"]["start"]["line"] == line
                && x["message"].as_str().unwrap().contains("boolean")
        })
    };
    assert!(errors_on(8), "`gpu: yes` is a boolean\n{}", run.stdout);
    assert!(errors_on(16), "`value: on` is a boolean\n{}", run.stdout);
}

#[test]
fn wrong_types_everywhere_the_model_reads() {
    let f = hostile("wrong-types-argo.yaml");
    let run = check("wrong types (Argo)", &[&f]);
    run.exit(1)
        .expect(
            &f,
            "malformed-pipeline",
            9,
            22,
            "`retryStrategy` should be a mapping",
        )
        .expect(
            &f,
            "malformed-pipeline",
            10,
            21,
            "`podSpecPatch` is not valid JSON or YAML",
        )
        .expect(
            &f,
            "malformed-pipeline",
            13,
            20,
            "`resources` should be a mapping",
        )
        .expect(
            &f,
            "malformed-pipeline",
            18,
            28,
            "`limits.memory` should be a quantity, not null",
        );
    let report = run.json();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["file"] == f.as_str()
                && x["span"]["start"]["line"] == 12
                && x["message"].as_str().unwrap().contains("42")),
        "`image: 42` is reported\n{}",
        run.stdout
    );

    let f = hostile("wrong-types-kfp.yaml");
    check("wrong types (KFP: tasks as a string)", &[&f])
        .exit(1)
        .expect(
            &f,
            "malformed-pipeline",
            5,
            12,
            "`tasks` should be a mapping",
        );
}

#[test]
fn references_that_loop() {
    let f = hostile("dag-self-dependency.yaml");
    check("a DAG task depending on itself", &[&f])
        .exit(1)
        .expect(&f, "dependency-cycle", 13, 28, "waits for itself");

    // Recursive templates are legal in Argo (they usually stop on a `when`): linted, no hang.
    let f = hostile("templates-calling-each-other.yaml");
    let run = check("templates calling each other", &[&f]);
    run.exit(0).expect_none(&f);
    assert_eq!(run.kind(&f), "pipeline");

    let (a, b) = (
        hostile("template-ref-cycle-a.yaml"),
        hostile("template-ref-cycle-b.yaml"),
    );
    let run = check("templateRef cycle across files", &[&a, &b]);
    run.exit(0).expect_none(&a).expect_none(&b);
    let run = check(
        "templateRef cycle across files, --strict-refs",
        &[&"--strict-refs", &a, &b],
    );
    run.exit(0).expect_none(&a).expect_none(&b);
}

#[test]
fn deep_nesting_alias_bombs_and_exponential_expansion() {
    let dir = temp_dir("deep");
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path_str(&path)
    };
    let cases = [
        (
            "100,000 levels of [",
            "flow-seq.yaml",
            "[".repeat(100_000),
            1,
            256,
        ),
        (
            "100,000 levels of {",
            "flow-map.yaml",
            "{a: ".repeat(100_000),
            1,
            1021,
        ),
        (
            "100,000 levels of - (block sequences)",
            "block-seq.yaml",
            "- ".repeat(100_000) + "x\n",
            1,
            511,
        ),
        (
            "100,000 levels of ? (block mappings)",
            "block-map.yaml",
            "? ".repeat(100_000) + "x\n",
            1,
            511,
        ),
        (
            "3,000 levels of indented mappings",
            "indented.yaml",
            (0..3_000)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect(),
            256,
            256,
        ),
    ];
    for (what, name, text, line, column) in cases {
        let f = write(name, text);
        check(what, &[&f]).exit(1).expect(
            &f,
            "input-too-complex",
            line,
            column,
            "nested more than 255 levels deep",
        );
    }
    // A higher limit is honoured, and still no recursion: 10,000 levels are read.
    let f = write("flow-seq-10k.yaml", "[".repeat(100_000));
    check(
        "100,000 levels of [ with --max-nesting-depth 10000",
        &[&"--max-nesting-depth", &"10000", &f],
    )
    .exit(1)
    .expect(
        &f,
        "input-too-complex",
        1,
        10_001,
        "nested more than 10000 levels deep",
    );
    // The control file nests 7 levels deep.
    let f = write("ten-levels.yaml", "[[[[[[[[[[1]]]]]]]]]]\n".to_string());
    check("--max-nesting-depth 8", &[&"--max-nesting-depth", &"8", &f])
        .exit(1)
        .expect(
            &f,
            "input-too-complex",
            1,
            9,
            "nested more than 8 levels deep",
        );

    let f = hostile("alias-bomb.yaml");
    check("billion laughs", &[&f]).exit(1).expect(
        &f,
        "input-too-complex",
        14,
        41,
        "aliases expand to more than 1000000 nodes",
    );
    check(
        "billion laughs, --max-alias-expansion 50",
        &[&"--max-alias-expansion", &"50", &f],
    )
    .exit(1)
    .expect(
        &f,
        "input-too-complex",
        10,
        29,
        "aliases expand to more than 50 nodes",
    );

    // A component used twice at each of 60 levels: 2^60 tasks if expanded.
    let f = hostile("kfp-diamond.yaml");
    let run = check("KFP component used twice at each of 60 levels", &[&f]);
    run.exit(1);
    let found = run.findings(&f, "input-too-complex");
    assert!(
        found.len() == 1 && found[0].3.contains("--file-time-budget"),
        "{found:?}"
    );
    // Every entry of an Argo step group depends on every entry of the group before.
    let entries = |prefix: &str| {
        (0..20_000)
            .map(|i| format!("{{name: {prefix}{i}, template: t}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let f = write(
        "steps-quadratic.yaml",
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: q}}\nspec:\n  templates:\n  - name: main\n    steps:\n    - [{}]\n    - [{}]\n",
            entries("a"),
            entries("b")
        ),
    );
    let run = check("Argo step groups of 20,000 entries each", &[&f]);
    run.exit(1);
    assert_eq!(
        run.findings(&f, "input-too-complex").len(),
        1,
        "{}",
        run.stdout
    );
    // The same as a WorkflowTemplate, read once more by --strict-refs.
    let text = std::fs::read_to_string(&f).unwrap();
    let f = write(
        "steps-quadratic-template.yaml",
        text.replace("kind: Workflow", "kind: WorkflowTemplate"),
    );
    let run = check(
        "the same in a WorkflowTemplate, --strict-refs",
        &[&"--strict-refs", &f],
    );
    run.exit(1);
    assert_eq!(
        run.findings(&f, "input-too-complex").len(),
        1,
        "{}",
        run.stdout
    );
    // A small budget stops a normal file early, at a position, deterministically.
    let f = hostile("templates-calling-each-other.yaml");
    // (2,000 units: enough for the control file's one step and its one finding, not for this
    // file's two steps.)
    check(
        "--file-time-budget 2000",
        &[&"--file-time-budget", &"2000", &f],
    )
    .exit(1)
    .expect(
        &f,
        "input-too-complex",
        12,
        7,
        "more than 2000 units of work",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn large_files_are_refused_under_a_configurable_cap() {
    let dir = temp_dir("large");
    // 200 MB, sparse: the size is checked before anything is read.
    let big = dir.join("big.yaml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    let f = path_str(&big);
    let run = check("a 200 MB file", &[&f]);
    run.exit(1)
        .expect(
            &f,
            "input-too-large",
            1,
            1,
            "209715200 bytes, over the 67108864 byte limit",
        )
        .stderr_has("could not be read");
    assert_eq!(run.kind(&f), "unreadable");

    let small = dir.join("small.yaml");
    std::fs::write(
        &small,
        std::fs::read(repo_root().join(CONTROL)).unwrap().repeat(3),
    )
    .unwrap();
    let f = path_str(&small);
    check("--max-file-size 1000", &[&"--max-file-size", &"1000", &f])
        .exit(1)
        .expect(&f, "input-too-large", 1, 1, "over the 1000 byte limit");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn filesystem_oddities() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = temp_dir("fs");
    let control = std::fs::read(repo_root().join(CONTROL)).unwrap();

    // Unreadable: a message naming the file, the run goes on. (root reads it anyway.)
    let locked = dir.join("locked.yaml");
    std::fs::write(&locked, &control).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let f = path_str(&locked);
    let run = check("unreadable file (mode 000)", &[&f]);
    if std::fs::read(&locked).is_err() {
        run.exit(0)
            .stderr_has(&format!("{f}: could not be read: Permission denied"));
        assert_eq!(run.kind(&f), "unreadable");
    } else {
        // Running as root: permissions do not apply, so the file is linted like any other.
        run.exit(0)
            .expect(&f, "unpinned-image", 12, 16, "python:3.11");
    }

    // A symlink loop: named, it is a message; walked, it is not followed.
    let looped = dir.join("loop.yaml");
    symlink(&looped, &looped).unwrap();
    let f = path_str(&looped);
    check("symlink loop, named", &[&f])
        .exit(0)
        .stderr_has(&format!("{f}: could not be read"));
    let walk = dir.join("walk");
    std::fs::create_dir_all(walk.join("x.yaml")).unwrap();
    symlink(walk.join("loop-a.yaml"), walk.join("loop-b.yaml")).unwrap();
    symlink(walk.join("loop-b.yaml"), walk.join("loop-a.yaml")).unwrap();
    symlink(&walk, walk.join("parent.yaml")).unwrap();
    // A directory named x.yaml is walked, not read.
    let inner = walk.join("x.yaml/inner.yaml");
    std::fs::write(&inner, &control).unwrap();
    let run = check(
        "directory walk: symlink loops and a directory named x.yaml",
        &[&path_str(&walk)],
    );
    run.exit(0)
        .expect(&path_str(&inner), "unpinned-image", 12, 16, "python:3.11");
    let f = path_str(&walk.join("x.yaml"));
    check("a directory named x.yaml, named", &[&f])
        .exit(0)
        .expect(&path_str(&inner), "unpinned-image", 12, 16, "python:3.11");

    // A FIFO is never opened (opening one blocks until a writer comes).
    let fifo = dir.join("pipe.yaml");
    let status = Command::new("mkfifo").arg(&fifo).status();
    if status.is_ok_and(|s| s.success()) {
        let f = path_str(&fifo);
        check("FIFO, named", &[&f])
            .exit(0)
            .stderr_has(&format!("{f}: could not be read: not a regular file"));
        std::fs::remove_dir_all(walk.join("x.yaml")).unwrap();
        std::fs::rename(&fifo, walk.join("pipe.yaml")).unwrap();
        check("FIFO, walked", &[&path_str(&walk)]).exit(0);
    } else {
        panic!("mkfifo is missing (coreutils)");
    }

    // Spaces and non-ASCII names are reported as they are.
    let odd = dir.join("with spaces/ünïcödé 流水线.yaml");
    std::fs::create_dir_all(odd.parent().unwrap()).unwrap();
    std::fs::write(&odd, &control).unwrap();
    let f = path_str(&odd);
    check("spaces and non-ASCII in the path", &[&f])
        .exit(0)
        .expect(&f, "unpinned-image", 12, 16, "python:3.11");
    let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file found by the walk that is gone when its turn comes: a message, and the run goes on.
#[test]
fn a_path_that_vanishes_mid_run() {
    use pipelint::engine::{lint_inputs, Input, Outcome, Settings};
    let dir = temp_dir("vanish");
    let gone = dir.join("gone.yaml");
    std::fs::write(&gone, "x: 1\n").unwrap();
    let mut inputs = pipelint::discover::discover(&[dir.clone(), repo_root().join(CONTROL)])
        .expect("paths exist");
    assert_eq!(inputs.len(), 2);
    std::fs::remove_file(&gone).unwrap();
    for input in &mut inputs {
        input.explicit = true;
    }
    let inputs: Vec<Input> = inputs;
    let report = lint_inputs(&inputs, &Settings::default());
    let vanished = report
        .files
        .iter()
        .find(|f| f.path.ends_with("gone.yaml"))
        .unwrap();
    assert!(
        matches!(&vanished.outcome, Outcome::Unreadable(reason) if reason.contains("No such file")),
        "{:?}",
        vanished.outcome
    );
    let control = report
        .files
        .iter()
        .find(|f| f.path.ends_with("control.yaml"))
        .unwrap();
    assert!(control.findings.iter().any(|f| f.rule == "unpinned-image"));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Bounded work: inputs of 1–4 MB along each path that was quadratic (each doubling of the
// input four times the time). Each must finish under the guards with its findings, or stop
// at a position with `input-too-complex` where the work budget runs out.
// ---------------------------------------------------------------------------------------

/// An Argo Workflow with one template (line 7) that runs `source` with `command`.
fn argo_script(command: &str, source: &str) -> String {
    let mut text = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{generateName: big-}}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    activeDeadlineSeconds: 60\n    script:\n      image: python:3.11@sha256:{}\n      resources: {{limits: {{cpu: 1, memory: 1Gi}}}}\n      command: [{command}]\n      source: |\n",
        "0".repeat(64)
    );
    for line in source.lines() {
        text.push_str("        ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// An Argo Workflow with one container template (line 7) whose `args` is one double-quoted
/// scalar (escapes in it: its offsets need a map), and `extra` lines in the template.
fn argo_args(args: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{generateName: big-}}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    activeDeadlineSeconds: 60\n{extra}    container:\n      image: python:3.11@sha256:{}\n      resources: {{limits: {{cpu: 1, memory: 1Gi}}}}\n      command: [sh, -c]\n      args: [\"{args}\"]\n",
        "0".repeat(64)
    )
}

#[test]
fn embedded_python_of_any_shape_is_read_in_linear_time() {
    let dir = temp_dir("bounded-python");
    let write = |name: &str, text: String| {
        assert!(
            (1 << 20..4 << 20).contains(&text.len()),
            "{name}: {}",
            text.len()
        );
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path_str(&path)
    };
    // f(random.random(), 's3://b/k', f(random.random(), 's3://b/k', f(...))): 40,000 levels.
    let n = 40_000;
    let source = "import random\nx = ".to_string()
        + &"f(random.random(), 's3://b/k', ".repeat(n)
        + &")".repeat(n);
    let f = write("nested-calls.yaml", argo_script("python", &source));
    check("40,000 nested calls in embedded Python", &[&f])
        .exit(0)
        .expect(
            &f,
            "io-step-without-retry",
            7,
            5,
            "the remote path `s3://b/k`",
        );
    // One statement that is a list of 150,000 calls.
    let source = "import requests\nx = [".to_string() + &"requests.get(u), ".repeat(150_000) + "]";
    let f = write("call-list.yaml", argo_script("python", &source));
    check("a list of 150,000 calls in one statement", &[&f])
        .exit(0)
        .expect(&f, "io-step-without-retry", 7, 5, "calls `requests.get`");
    // 100,000 f-strings, each with a call inside, in one call's arguments.
    let source = "import uuid\nprint(".to_string() + &"f'{uuid.uuid4()}', ".repeat(100_000) + ")";
    let f = write("fstring-calls.yaml", argo_script("python", &source));
    check("100,000 f-strings with calls in one call", &[&f]).exit(0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_shell_matches_in_one_scalar_are_read_in_linear_time() {
    let dir = temp_dir("bounded-shell");
    let write = |name: &str, text: String| {
        assert!(
            (1 << 20..4 << 20).contains(&text.len()),
            "{name}: {}",
            text.len()
        );
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path_str(&path)
    };
    let f = write(
        "aws-cp.yaml",
        argo_args(&"aws s3 cp s3://a/b c\\t; ".repeat(50_000), ""),
    );
    check("50,000 `aws s3 cp` in one double-quoted args scalar", &[&f])
        .exit(0)
        .expect(
            &f,
            "io-step-without-retry",
            7,
            5,
            "command runs `aws s3 cp`",
        );
    // Every INSERT of one statement-less text asked whether an upsert follows it.
    let f = write(
        "inserts.yaml",
        argo_args(
            &"INSERT INTO t VALUES (1) ".repeat(60_000),
            "    retryStrategy: {limit: 2}\n",
        ),
    );
    check("60,000 `INSERT INTO` in one scalar, retried", &[&f])
        .exit(0)
        .expect(&f, "retry-on-non-idempotent-step", 9, 5, "INSERT INTO");
    // The same text as a `script` (its source is one block scalar).
    let f = write(
        "script-wget.yaml",
        argo_script(
            "sh",
            &"kubectl get x; wget https://x/a -O a\n".repeat(40_000),
        ),
    );
    check("40,000 `wget` lines in a shell script", &[&f])
        .exit(0)
        .expect(&f, "io-step-without-retry", 7, 5, "script runs `wget`");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A KFP pipeline compiled by kfp 2.15.2 whose one executor command holds `pins` `kfp==`
/// pins, every thousandth of another release, run by `tasks` tasks.
fn kfp_pins(pins: usize, tasks: usize) -> String {
    let command: String = (0..pins)
        .map(|i| {
            let version = if i % 1000 == 999 { "2.13.0" } else { "2.15.2" };
            format!("pip install 'kfp=={version}'\\n")
        })
        .collect();
    let mut text = format!(
        "# PIPELINE DEFINITION\ncomponents:\n  comp-a:\n    executorLabel: exec-a\ndeploymentSpec:\n  executors:\n    exec-a:\n      container:\n        command: [sh, -c, \"{command}\"]\n        image: python:3.11@sha256:{}\npipelineInfo:\n  name: pins\nroot:\n  dag:\n    tasks:\n",
        "0".repeat(64)
    );
    for i in 0..tasks {
        text.push_str(&format!(
            "      t{i}:\n        componentRef: {{name: comp-a}}\n        taskInfo: {{name: t{i}}}\n"
        ));
    }
    text + "schemaVersion: 2.1.0\nsdkVersion: kfp-2.15.2\n"
}

#[test]
fn many_kfp_pins_and_tasks_sharing_them_stay_bounded() {
    let dir = temp_dir("bounded-pins");
    let write = |name: &str, text: String| {
        assert!(
            (1 << 20..4 << 20).contains(&text.len()),
            "{name}: {}",
            text.len()
        );
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path_str(&path)
    };
    // 40,000 pins, the 40 of another release each reported once although 20 tasks share
    // the executor (the first is the 1,000th pin, 27 bytes each, the first at column 41).
    let f = write("pins.yaml", kfp_pins(40_000, 20));
    let run = check("40,000 kfp== pins shared by 20 tasks", &[&f]);
    run.exit(0);
    let found = run.findings(&f, "sdk-backend-version-mismatch");
    assert_eq!(found.len(), 40, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (9, 41 + 999 * 27));
    assert!(found[0].3.contains("install `kfp==2.13.0`"), "{found:?}");
    // 100,000 pins (2.8 MB) copied into each of 2,000 tasks: the budget stops the copies at
    // the executor, long before they fill the memory.
    let f = write("pins-copied.yaml", kfp_pins(100_000, 2_000));
    check("100,000 kfp== pins run by 2,000 tasks", &[&f])
        .exit(1)
        .expect(&f, "input-too-complex", 8, 7, "units of work");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An Argo Workflow of `n` container templates, each with an unpinned image, no timeout and
/// no limits, and a suppression comment `comment` on its image line.
fn argo_templates(n: usize, comment: &str) -> String {
    let mut text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: many-}\nspec:\n  entrypoint: t0\n  templates:\n".to_string();
    for i in 0..n {
        text.push_str(&format!(
            "  - name: t{i}\n    container:\n      image: python:3.11  # {comment}\n      command: [sh, -c, \"aws s3 cp s3://a/b c\"]\n"
        ));
    }
    text
}

#[test]
fn many_templates_with_many_findings_and_suppressions_stay_bounded() {
    let dir = temp_dir("bounded-templates");
    let write = |name: &str, text: String| {
        assert!(
            (1 << 20..4 << 20).contains(&text.len()),
            "{name}: {}",
            text.len()
        );
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path_str(&path)
    };
    // 8,000 templates: every unpinned image suppressed on its line, the rest reported.
    let f = write(
        "suppressed.yaml",
        argo_templates(
            8_000,
            "pipelint: ignore[unpinned-image] pinned by the deploy job",
        ),
    );
    // (Three rules only: the report of every finding would be large for the test itself.)
    let config = dir.join("select.yaml");
    std::fs::write(
        &config,
        "select: [missing-timeout, unpinned-image, unused-suppression]\n",
    )
    .unwrap();
    let run = check(
        "8,000 templates, each with findings and a suppression",
        &[&"--config", &config, &f],
    );
    run.exit(0).expect(&f, "missing-timeout", 7, 5, "t0");
    assert_eq!(run.findings(&f, "missing-timeout").len(), 8_000);
    assert!(run.findings(&f, "unpinned-image").is_empty());
    assert!(run.findings(&f, "unused-suppression").is_empty());
    assert_eq!(run.json()["summary"]["suppressed"], 8_000, "{}", run.stdout);
    // 25,000 templates: the findings cost more than the file's budget. The file stops at a
    // position; its suppressions are not reported as unused (they were never matched).
    let f = write(
        "over-budget.yaml",
        argo_templates(25_000, "pipelint: ignore[missing-timeout]"),
    );
    let run = check("25,000 templates with findings over the budget", &[&f]);
    run.exit(1);
    let found = run.findings(&f, "input-too-complex");
    assert!(
        found.len() == 1 && found[0].3.contains("units of work"),
        "{found:?}"
    );
    assert!(run.findings(&f, "unused-suppression").is_empty());
    assert!(run.findings(&f, "missing-timeout").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_huge_jobs_count_is_capped() {
    check(
        "-j 100000",
        &[&"-j", &"100000", &hostile("kfp-diamond.yaml")],
    )
    .exit(1);
}

/// Config and policy files come in pull requests: the limits of a pipeline apply to them,
/// and one over them stops the run (exit 2) with the file and position.
#[test]
fn configs_and_policies_too_complex_are_errors_at_a_position() {
    let dir = temp_dir("bounded-config");
    let mut bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let config = dir.join("bomb-config.yaml");
    std::fs::write(
        &config,
        format!(
            "ignore: [unpinned-image]\nx-bomb:\n{}",
            bomb.lines().map(|l| format!("  {l}\n")).collect::<String>()
        ),
    )
    .unwrap();
    let run = spawn(
        "a config with an alias bomb",
        &[
            "check".into(),
            "--config".into(),
            config.clone().into(),
            CONTROL.into(),
        ],
    );
    run.exit(2).stderr_has(&format!(
        "{}:8:47: too complex: aliases expand to more than 1000000 nodes",
        path_str(&config)
    ));
    let policy = dir.join("bomb-policy.yaml");
    std::fs::write(&policy, bomb).unwrap();
    let config = dir.join("policy-config.yaml");
    std::fs::write(&config, "policies: [bomb-policy.yaml]\n").unwrap();
    let run = spawn(
        "a policy file with an alias bomb",
        &[
            "check".into(),
            "--config".into(),
            config.into(),
            CONTROL.into(),
        ],
    );
    run.exit(2).stderr_has(&format!(
        "{}:6:45: too complex: aliases expand to more than 1000000 nodes",
        path_str(&policy)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
