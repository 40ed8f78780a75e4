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
    assert_guarded(&run);
    // The other file of the run is still linted.
    run.expect(CONTROL, "unpinned-image", 12, 16, "python:3.11");
    eprintln!(
        "hostile case {name:<48} exit {:?}  cpu {:>5.2} s  max rss {:>7} KB",
        run.code, run.cpu_seconds, run.max_rss_kb
    );
    run
}

/// No panic, no signal (a memory cap's failed allocation aborts), within the CPU and
/// memory guard.
fn assert_guarded(run: &Run) {
    let name = &run.name;
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
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("memory allocation"),
        "{name}: {}",
        run.stderr
    );
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
}

fn spawn(name: &str, args: &[OsString]) -> Run {
    spawn_command(
        name,
        Command::new(env!("CARGO_BIN_EXE_pipelint")).args(args),
    )
}

/// [`spawn`] with the child's address space capped at `kb` (`ulimit -v`, then `exec`: the
/// pid and its accounting stay the child's): a case that once ran away with all memory
/// fails here instead of taking the machine down.
fn spawn_capped(name: &str, kb: u64, args: &[OsString]) -> Run {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_pipelint"))
        .args(args);
    spawn_command(name, &mut command)
}

fn spawn_command(name: &str, command: &mut Command) -> Run {
    let mut child = command
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
// Writes and untrusted reads: pipelint writes only the files the user named, only as
// regular files (or through a symlink to one), atomically; configs, policies, baselines and
// standard input are read only as regular files and only up to the size limit.

/// Runs `pipelint ARGS` (no control file: what is checked is the write) with the guards of
/// every case: no panic, not killed by the watchdog (a blocked open of a FIFO would be).
fn run_guarded(name: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let all: Vec<OsString> = args.iter().map(|a| a.as_ref().to_os_string()).collect();
    let run = spawn(name, &all);
    assert_ne!(run.code, Some(101), "{name}: panicked:\n{}", run.stderr);
    assert!(
        run.signal.is_none(),
        "{name}: killed by signal {:?} (blocked?)\n{}",
        run.signal,
        run.stderr
    );
    eprintln!("hostile case {name:<48} exit {:?}", run.code);
    run
}

/// The names in a folder, sorted (to see that no temporary file is left behind).
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn is_char_device(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[test]
fn output_and_baseline_are_written_only_as_regular_files() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = temp_dir("writes");
    for flag in ["--output", "--write-baseline"] {
        // A symlink to a regular file: the target is written, the link stays a link, and the
        // target keeps its permissions.
        let real = dir.join(format!("real{flag}.json"));
        // An empty file is no baseline yet, and any report may be replaced.
        let old = if flag == "--write-baseline" {
            ""
        } else {
            "old"
        };
        std::fs::write(&real, old).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join(format!("link{flag}.json"));
        symlink(&real, &link).unwrap();
        run_guarded(
            &format!("{flag} through a symlink"),
            &[&"check", &"--format", &"json", &flag, &link, &CONTROL],
        )
        .exit(0);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let written: Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
        assert!(
            written["findings"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            "{flag}: {written}"
        );
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{flag}: the target's permissions are kept");
        if flag == "--write-baseline" {
            // A file that is not a baseline (a mistyped path) is never overwritten.
            let other = dir.join("pipeline-named-by-mistake.yaml");
            std::fs::write(&other, "kind: Workflow\n").unwrap();
            run_guarded(
                "--write-baseline over a file that is not a baseline",
                &[&"check", &flag, &other, &CONTROL],
            )
            .exit(2)
            .stderr_has("not a pipelint baseline")
            .stderr_has("it was not overwritten");
            assert_eq!(std::fs::read_to_string(&other).unwrap(), "kind: Workflow\n");
        }

        // Devices: refused, named, and still devices afterwards (this suite may run as root,
        // where a rename over /dev/null would replace the device node).
        for device in ["/dev/null", "/dev/full"] {
            run_guarded(
                &format!("{flag} {device}"),
                &[&"check", &flag, &device, &CONTROL],
            )
            .exit(2)
            .stderr_has(&format!(
                "{device}: it is a character device, not a regular file"
            ));
            assert!(is_char_device(device), "{device} is no longer a device");
        }
        // A symlink to a device: refused, naming both.
        let to_null = dir.join(format!("null{flag}.json"));
        symlink("/dev/null", &to_null).unwrap();
        run_guarded(
            &format!("{flag} symlink to /dev/null"),
            &[&"check", &flag, &to_null, &CONTROL],
        )
        .exit(2)
        .stderr_has(&format!(
            "{}: links to /dev/null is a character device",
            path_str(&to_null)
        ));
        assert!(is_char_device("/dev/null"));

        // A FIFO: refused without opening it (an open would block until a reader comes).
        let fifo = dir.join(format!("pipe{flag}.json"));
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success()));
        run_guarded(&format!("{flag} FIFO"), &[&"check", &flag, &fifo, &CONTROL])
            .exit(2)
            .stderr_has(&format!("{}: it is a FIFO", path_str(&fifo)));

        // A socket and a directory: refused.
        let socket = dir.join(format!("sock{flag}.json"));
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        run_guarded(
            &format!("{flag} socket"),
            &[&"check", &flag, &socket, &CONTROL],
        )
        .exit(2)
        .stderr_has(&format!("{}: it is a socket", path_str(&socket)));
        let folder = dir.join(format!("folder{flag}.json"));
        std::fs::create_dir(&folder).unwrap();
        run_guarded(
            &format!("{flag} directory"),
            &[&"check", &flag, &folder, &CONTROL],
        )
        .exit(2)
        .stderr_has(&format!("{}: it is a directory", path_str(&folder)));
        assert!(folder.is_dir() && names_in(&folder).is_empty());
    }
    // Nothing but what the cases made: no temporary file anywhere.
    let left: Vec<String> = names_in(&dir)
        .into_iter()
        .filter(|n| n.contains("pipelint"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Makes `path` unwritable even for root (`chattr +i`), or by its mode where the suite does
/// not run as root; panics if neither works (the case would prove nothing).
fn make_unwritable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let immutable = Command::new("chattr")
        .arg("+i")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if !immutable {
        let mode = if path.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        let probe = if path.is_dir() {
            std::fs::write(path.join("probe"), "x").is_ok()
        } else {
            std::fs::OpenOptions::new().append(true).open(path).is_ok()
        };
        assert!(
            !probe,
            "{}: could not be made read-only (root without chattr?)",
            path.display()
        );
    }
    immutable
}

fn make_writable(path: &Path, immutable: bool) {
    use std::os::unix::fs::PermissionsExt;
    if immutable {
        let _ = Command::new("chattr").arg("-i").arg(path).status();
    }
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

#[test]
fn a_failed_write_is_exit_2_naming_the_path_and_leaves_nothing_behind() {
    let dir = temp_dir("readonly");
    // A read-only folder: the temporary file cannot even be made.
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    let immutable = make_unwritable(&locked);
    for flag in ["--output", "--write-baseline"] {
        let target = locked.join("out.json");
        run_guarded(
            &format!("{flag} into a read-only folder"),
            &[&"check", &flag, &target, &CONTROL],
        )
        .exit(2)
        .stderr_has(&format!("{}: ", path_str(&target)));
        assert!(names_in(&locked).is_empty(), "{:?}", names_in(&locked));
    }
    make_writable(&locked, immutable);
    // An existing file that cannot be replaced (the rename fails after the temporary file
    // was written): the file is untouched and the temporary file removed.
    let kept = dir.join("kept.json");
    std::fs::write(&kept, "kept").unwrap();
    let immutable = make_unwritable(&kept);
    if immutable {
        for flag in ["--output", "--write-baseline"] {
            run_guarded(
                &format!("{flag} over an immutable file"),
                &[&"check", &flag, &kept, &CONTROL],
            )
            .exit(2)
            .stderr_has(&format!("{}: ", path_str(&kept)));
            assert_eq!(std::fs::read_to_string(&kept).unwrap(), "kept");
            assert_eq!(names_in(&dir), ["kept.json", "locked"]);
        }
    }
    make_writable(&kept, immutable);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A report that cannot be written to standard output is exit 2 with a message, in every
/// format and on the streamed JSON path; a closed pipe stays quiet.
#[test]
fn standard_output_that_fails_is_exit_2_a_closed_pipe_is_quiet() {
    for format in ["human", "compact", "json", "sarif", "github", "junit"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
            .args(["check", "--format", format, CONTROL])
            .current_dir(repo_root())
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("error: cannot write to standard output: No space left on device"),
            "{format}: {stderr}"
        );
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .arg("rules")
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A closed pipe: the reader took what it wanted; the exit code is the findings'.
    for format in ["human", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipelint"))
            .args(["check", "--fail-on", "warning", "--format", format, CONTROL])
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(!stderr.contains("error:"), "{format}: {stderr}");
    }
}

#[test]
fn config_policy_and_baseline_are_read_only_as_regular_files() {
    use std::os::unix::fs::symlink;
    let dir = temp_dir("untrusted-reads");
    let fifo = dir.join("fifo.yaml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success()));
    let zero = dir.join("zero.yaml");
    symlink("/dev/zero", &zero).unwrap();
    // --config and --baseline naming a device, a link to one, a FIFO.
    for (flag, what) in [("--config", "config"), ("--baseline", "baseline")] {
        for path in [Path::new("/dev/zero"), &zero, &fifo] {
            let f = path_str(path);
            run_guarded(
                &format!("{flag} {}", path.file_name().unwrap().to_string_lossy()),
                &[&"check", &flag, &f, &CONTROL],
            )
            .exit(2)
            .stderr_has(&f)
            .stderr_has("not a regular file")
            .stderr_has(what);
        }
    }
    // A committed `.pipelint.yaml` that links to a device, found next to the file.
    let repo = dir.join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::copy(repo_root().join(CONTROL), repo.join("pipeline.yaml")).unwrap();
    symlink("/dev/zero", repo.join(".pipelint.yaml")).unwrap();
    run_guarded(
        "committed .pipelint.yaml -> /dev/zero",
        &[&"check", &repo.join("pipeline.yaml")],
    )
    .exit(2)
    .stderr_has(&format!("{}", repo.join(".pipelint.yaml").display()))
    .stderr_has("not a regular file (a character device)");
    // A policy path naming a FIFO, a device, and a FIFO inside a policy folder.
    let policies = dir.join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::rename(&fifo, policies.join("p.yaml")).unwrap();
    for (name, named) in [
        ("policy /dev/stdin", "/dev/stdin".to_string()),
        ("policy folder with a FIFO", path_str(&policies)),
    ] {
        let config = dir.join("policy-config.yaml");
        std::fs::write(&config, format!("policies: [\"{named}\"]\n")).unwrap();
        let run = run_guarded(name, &[&"check", &"--config", &config, &CONTROL]);
        run.exit(2).stderr_has("not a regular file");
        if named == "/dev/stdin" {
            run.stderr_has("/dev/stdin");
        } else {
            run.stderr_has(&path_str(&policies.join("p.yaml")));
        }
    }
    // A baseline over the size limit is refused like a pipeline file.
    let big = dir.join("big.json");
    std::fs::write(
        &big,
        format!("{{\"version\": 1, \"findings\": []{}}}", " ".repeat(2000)),
    )
    .unwrap();
    run_guarded(
        "--baseline over --max-file-size",
        &[
            &"check",
            &"--max-file-size",
            &"1000",
            &"--baseline",
            &big,
            &CONTROL,
        ],
    )
    .exit(2)
    .stderr_has(&format!("{}: cannot read the baseline: ", path_str(&big)))
    .stderr_has("over the 1000 byte limit");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Standard input gets the file size cap: past it nothing more is read, and the input is
/// `input-too-large` (an endless stream does not fill the memory).
#[test]
fn standard_input_is_capped_like_a_file() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "--format", "json", "--max-file-size", "4096", "-"])
        .current_dir(repo_root())
        .stdin(zero)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["input-too-large"], "{report}");
    assert_eq!(report["files"][0]["path"], "<stdin>");
}

// ---------------------------------------------------------------------------------------
// Output cannot be hijacked by what it reports: control characters, line breaks and bidi
// controls in step names, file names and messages are shown escaped in `human`, `compact`
// and `github`, so that they neither drive the terminal nor start a line of their own (a
// GitHub workflow command); JSON keeps the exact text.

const HIJACK: &str = "testdata/hostile/control-chars-in-names.yaml";
/// The template name of [`HIJACK`], as every text output must show it.
const HIJACK_SHOWN: &str =
    r#"x\x1b]0;pwned\x07\r\n::error file=README.md,line=1::injected\u{202e}evil"#;

/// Runs `pipelint check --format FORMAT ARGS` and returns its standard output.
fn rendered(format: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let mut all: Vec<OsString> = vec!["check".into(), "--format".into(), format.into()];
    all.extend(args.iter().map(|a| a.as_ref().to_os_string()));
    let run = spawn(&format!("hijack, {format}"), &all);
    assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
    run.stdout
}

/// Nothing that drives a terminal or breaks a line is left in `out`.
fn assert_inert(format: &str, out: &str) {
    let bad: Vec<char> = out
        .chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{format}: {bad:?} in\n{out}");
    // Every line is one the renderer wrote: none starts with a workflow command of its own.
    let commands = out.lines().filter(|l| l.starts_with("::")).count();
    let expected = if format == "github" { 1 } else { 0 };
    assert_eq!(commands, expected, "{format}:\n{out}");
}

#[test]
fn control_characters_in_a_step_name_are_shown_escaped() {
    let compact = rendered("compact", &[&HIJACK]);
    assert_inert("compact", &compact);
    assert_eq!(
        compact,
        format!(
            "{HIJACK}:14:16: warning[unpinned-image] step \"{HIJACK_SHOWN}\" runs image \"python:3.11\", not pinned by digest\n"
        )
    );

    let github = rendered("github", &[&HIJACK]);
    assert_inert("github", &github);
    assert_eq!(
        github.lines().next().unwrap(),
        format!(
            "::warning file={HIJACK},line=14,col=16,endLine=14,endColumn=27,title=pipelint(unpinned-image)::step \"{HIJACK_SHOWN}\" runs image \"python:3.11\", not pinned by digest%0Ahelp: pin it by digest: `image: python:3.11@sha256:<digest>`; get the digest with `crane digest python:3.11` or `docker buildx imagetools inspect python:3.11`"
        )
    );

    let human = rendered("human", &[&"--color", &"always", &HIJACK]);
    assert_inert("human (colour codes aside)", &strip_colour(&human));
    assert!(
        strip_colour(&human).contains(&format!("step \"{HIJACK_SHOWN}\" runs image")),
        "{human}"
    );

    // JSON is escaped by its format and keeps the exact name.
    let json: Value = serde_json::from_str(&rendered("json", &[&HIJACK])).unwrap();
    assert_eq!(
        json["findings"][0]["message"],
        "step \"x\u{1b}]0;pwned\u{7}\r\n::error file=README.md,line=1::injected\u{202e}evil\" runs image \"python:3.11\", not pinned by digest"
    );
}

/// A lone CR (a line break in YAML 1.2) is drawn as a line break in the human snippet, not
/// sent to the terminal, where it would return the cursor and overwrite the line.
#[test]
fn a_lone_cr_in_the_snippet_is_drawn_as_a_line_break() {
    let human = rendered("human", &[&hostile("cr-line-endings.yaml")]);
    assert_inert("human", &human);
    assert!(
        human.contains(" 12 │         image: python:3.11\n"),
        "{human}"
    );
    assert!(human.contains(" 13 │         resources:\n"), "{human}");
}

/// The SGR sequences (`ESC [ … m`) the human renderer itself writes with `--color always`.
fn strip_colour(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_file_name_with_a_newline_stays_on_its_line() {
    let dir = temp_dir("newline-name");
    let name = dir.join("a\n::error file=x::injected\u{1b}[2J.yaml");
    std::fs::copy(repo_root().join(CONTROL), &name).unwrap();
    // A raw bidi override on the finding's line, drawn in the human snippet.
    let source = std::fs::read_to_string(repo_root().join(CONTROL))
        .unwrap()
        .replace("image: python:3.11", "image: python:3.11 # \u{202e}lave");
    let snippet = dir.join("bidi.yaml");
    std::fs::write(&snippet, source).unwrap();
    let shown = format!(
        "{}/a\\n::error file=x::injected\\x1b[2J.yaml",
        path_str(&dir)
    );

    let compact = rendered("compact", &[&name]);
    assert_inert("compact", &compact);
    assert_eq!(
        compact,
        format!("{shown}:12:16: warning[unpinned-image] step \"main\" runs image \"python:3.11\", not pinned by digest\n")
    );
    let github = rendered("github", &[&name]);
    assert_inert("github", &github);
    assert!(github.starts_with("::warning file="), "{github}");
    assert!(
        github.contains(&shown.replace(':', "%3A").replace(',', "%2C")),
        "{github}"
    );
    let human = rendered("human", &[&name, &snippet]);
    assert_inert("human", &human);
    assert!(human.contains(&format!("[{shown}:12:16]")), "{human}");
    assert!(
        human.contains("12 │         image: python:3.11 # \u{fffd}lave"),
        "{human}"
    );
    let json: Value = serde_json::from_str(&rendered("json", &[&name])).unwrap();
    assert_eq!(json["findings"][0]["file"], path_str(&name));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Parsing edge cases: line endings, numbers JSON cannot hold, BOMs, merge and alias keys,
// a file named `.yaml`.

#[test]
fn every_line_ending_gives_the_right_position() {
    // A lone CR is a line break in YAML 1.2: not one 300-byte line.
    let f = hostile("cr-line-endings.yaml");
    let run = check("CR-only line endings", &[&f]);
    run.exit(0)
        .expect(&f, "unpinned-image", 12, 16, "python:3.11");
    assert_eq!(run.findings(&f, "unpinned-image").len(), 1);
    // LF, CR and CRLF in turn; columns count bytes (`née` is 4).
    let f = hostile("mixed-line-endings.yaml");
    check("LF, CR and CRLF mixed", &[&f])
        .exit(0)
        .expect(&f, "unpinned-image", 11, 40, "python:3.11")
        .expect(&f, "missing-resource-limits", 11, 7, "\"main\"");
}

#[test]
fn numbers_json_cannot_hold_are_reported_not_dropped() {
    let f = hostile("numbers-json-cannot-hold.yaml");
    let run = check("infinite, NaN and oversized numbers", &[&f]);
    run.exit(1)
        .expect(
            &f,
            "invalid-manifest",
            9,
            26,
            "`activeDeadlineSeconds` is `1e309`, not a finite number",
        )
        .expect(
            &f,
            "invalid-manifest",
            12,
            30,
            "`activeDeadlineSeconds` is `.nan`, not a finite number",
        )
        .expect(
            &f,
            "invalid-manifest",
            14,
            16,
            "`limit` is `.inf`, not a finite number",
        )
        .expect(
            &f,
            "invalid-manifest",
            18,
            25,
            "`cpu` is `-.inf`, not a finite number",
        )
        .expect(
            &f,
            "invalid-manifest",
            18,
            40,
            "`memory` is `123456789012345678901234567890`, an integer beyond 64 bits",
        );
    // The look-alikes (`1e3`, the largest i64, a quoted `"1e309"`, `1.5e9`) pass.
    assert_eq!(
        run.findings(&f, "invalid-manifest").len(),
        5,
        "{}",
        run.stdout
    );
}

#[test]
fn boms_merge_keys_alias_keys_and_a_file_named_dot_yaml() {
    let f = hostile("bom-before-second-document.yaml");
    let run = check("a BOM before the second document's ---", &[&f]);
    run.exit(0)
        .expect(&f, "unpinned-image", 12, 16, "python:3.11")
        .expect(&f, "unpinned-image", 26, 16, "python:3.11");
    assert!(run.findings(&f, "yaml-syntax").is_empty(), "{}", run.stdout);

    let f = hostile("merge-and-alias-keys.yaml");
    let run = check("merge keys and a mapping alias as a key", &[&f]);
    run.exit(1).expect(
        &f,
        "invalid-manifest",
        23,
        21,
        "an entry of `resources` has a mapping as its key (an alias to one?), not a field name",
    );
    // `<<` is understood (the second template is the first, renamed), not an unknown field.
    assert_eq!(
        run.findings(&f, "invalid-manifest").len(),
        1,
        "{}",
        run.stdout
    );

    let f = hostile(".yaml");
    check("a file named exactly .yaml", &[&f]).exit(0).expect(
        &f,
        "unpinned-image",
        12,
        16,
        "python:3.11",
    );
}

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

/// A config with 60,000 `suppressions:` entries, each with its own path glob: memory stays
/// proportional to the config (globs are compiled only for entries whose rule and step a
/// finding has; compiled up front, 100,000 of them took 866 MB), and the one entry that
/// matches still silences its finding.
#[test]
fn a_config_with_many_path_suppressions_stays_bounded() {
    let dir = temp_dir("many-suppressions");
    let mut config = String::from("suppressions:\n");
    for i in 0..60_000 {
        config.push_str(&format!(
            "  - {{rule: unpinned-image, path: \"teams/t{i}/**/*.yaml\", step: s{i}}}\n"
        ));
    }
    // The control file is not below this config's folder, so its entry has no path.
    config.push_str("  - {rule: unpinned-image, step: main, reason: test}\n");
    let config_path = dir.join("suppressions.yaml");
    std::fs::write(&config_path, config).unwrap();
    let run = spawn(
        "60,000 path suppressions",
        &[
            "check".into(),
            "--format".into(),
            "compact".into(),
            "--config".into(),
            config_path.into(),
            CONTROL.into(),
        ],
    );
    run.exit(0);
    assert!(!run.stdout.contains("unpinned-image"), "{}", run.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `pipelint classify` is metered like `check`: every hostile file gets its verdicts or a
/// message with its position, within the same CPU and memory guard.
#[test]
fn classify_is_bounded_on_every_hostile_file() {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("testdata/hostile"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() > 20, "{names:?}");
    for name in &names {
        let file = hostile(name);
        let args: Vec<OsString> = vec![
            "classify".into(),
            "--format".into(),
            "json".into(),
            file.clone().into(),
        ];
        // Twice the guard below: a runaway is stopped by the cap, then fails the guard.
        let run = spawn_capped(name, 2 * MAX_RSS_KB as u64, &args);
        assert_guarded(&run);
        assert!(
            matches!(run.code, Some(0 | 2)),
            "{name}: exit {:?}: {}",
            run.code,
            run.stderr
        );
        if run.code == Some(2) {
            // An error names the file, and a position where there is one.
            assert!(
                run.stderr.starts_with(&format!("error: {file}: ")),
                "{name}: {}",
                run.stderr
            );
        }
    }
    // The diamond of components expands past the work budget: it stops where `check` does.
    let run = spawn_capped(
        "diamond",
        2 * MAX_RSS_KB as u64,
        &["classify".into(), hostile("kfp-diamond.yaml").into()],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let checked = check("diamond (check)", &[&hostile("kfp-diamond.yaml")]);
    let (line, column, _, _) =
        checked.findings(&hostile("kfp-diamond.yaml"), "input-too-complex")[0].clone();
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: {line}:{column}: input too complex: the file's work budget is spent here; its steps are not classified (see `pipelint rule input-too-complex`)\n",
            hostile("kfp-diamond.yaml")
        )
    );
}
