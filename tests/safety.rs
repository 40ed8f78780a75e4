//! Safety: pipelint never executes anything it reads, never opens a network connection and
//! never writes outside the paths the user names. Checked by running the whole corpus (or
//! `testdata/` without it) under `strace -f` and reading every system call it traced.
//! `.ci/run` installs strace; without it (or where ptrace is not allowed) this test says so
//! and checks nothing.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{repo_root, shared_dir};

fn strace_works() -> bool {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The syscall name of a line: `1234  openat(AT_FDCWD, "x", O_RDONLY) = 3`.
fn syscall(line: &str) -> &str {
    let rest = line.split_once(' ').map_or(line, |(_, r)| r).trim_start();
    rest.split('(').next().unwrap_or("")
}

/// Whether a traced call writes, creates, renames or deletes something.
fn changes_the_filesystem(line: &str) -> bool {
    match syscall(line) {
        "open" | "openat" | "openat2" | "creat" => ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
            .iter()
            .any(|flag| line.contains(flag)),
        "unlink" | "unlinkat" | "rename" | "renameat" | "renameat2" | "mkdir" | "mkdirat"
        | "rmdir" | "symlink" | "symlinkat" | "link" | "linkat" | "chmod" | "fchmodat"
        | "truncate" | "mknod" | "mknodat" => true,
        _ => false,
    }
}

/// The quoted strings (paths) of a traced call.
fn quoted(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

/// Runs the binary under `strace -f` in `dir`; returns its output and the traced calls.
fn traced(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> (std::process::Output, String) {
    let trace = dir.join("trace.txt");
    let out = Command::new("strace")
        .arg("-f")
        .arg("-qq")
        .args(["-e", "trace=network,process,%file"])
        .arg("-o")
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    std::fs::remove_file(&trace).unwrap();
    (out, text)
}

/// Across the hostile inputs, with `--output` and `--write-baseline` named (and named as
/// things pipelint must refuse to write: devices, a FIFO, a folder, a link to a device), the
/// only files written, renamed or removed are the named outputs and their temporary files
/// beside them.
#[cfg(target_os = "linux")]
#[test]
fn writes_only_the_named_outputs_under_strace() {
    if !strace_works() {
        eprintln!(
            "SKIPPED: strace is not installed or ptrace is not permitted here; .ci/run installs it"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("pipelint-strace-writes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Every hostile file, named (a walk of the folder skips them, see its `.ignore`).
    let mut hostile: Vec<PathBuf> = std::fs::read_dir(repo_root().join("testdata/hostile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    hostile.sort();
    assert!(hostile.len() > 15, "{hostile:?}");
    std::fs::create_dir(dir.join("folder.json")).unwrap();
    std::os::unix::fs::symlink("/dev/null", dir.join("null.json")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(dir.join("fifo.json"))
        .status()
        .is_ok_and(|s| s.success()));
    // (flag, path, allowed path prefixes, expected exit codes)
    let cases: [(&str, &str, &[&str], &[i32]); 8] = [
        (
            "--output",
            "reports/out.json",
            &["reports/out.json", "reports/.out.json.pipelint-", "reports"],
            &[0, 1],
        ),
        (
            "--write-baseline",
            "base.json",
            &["base.json", "./.base.json.pipelint-"],
            &[0],
        ),
        ("--output", "/dev/null", &[], &[2]),
        ("--write-baseline", "/dev/full", &[], &[2]),
        ("--output", "fifo.json", &[], &[2]),
        ("--write-baseline", "fifo.json", &[], &[2]),
        ("--output", "folder.json", &[], &[2]),
        ("--write-baseline", "null.json", &[], &[2]),
    ];
    let mut problems = Vec::new();
    for (flag, path, allowed, codes) in cases {
        let args: Vec<&std::ffi::OsStr> = vec![
            "check".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            flag.as_ref(),
            path.as_ref(),
        ];
        let args: Vec<&std::ffi::OsStr> = args
            .into_iter()
            .chain(hostile.iter().map(|p| p.as_os_str()))
            .collect();
        let (out, trace) = traced(&dir, &args);
        assert!(
            out.status.code().is_some_and(|c| codes.contains(&c)),
            "{flag} {path}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let mut wrote = false;
        for line in trace.lines().filter(|l| changes_the_filesystem(l)) {
            let paths = quoted(line);
            let ours = !paths.is_empty()
                && paths.iter().all(|p| {
                    allowed
                        .iter()
                        .any(|a| p == a || (a.ends_with('-') && p.starts_with(a)))
                });
            if ours {
                wrote |= syscall(line).starts_with("rename");
            } else {
                problems.push(format!("{flag} {path}: {line}"));
            }
        }
        assert_eq!(
            wrote,
            !allowed.is_empty(),
            "{flag} {path}: the output was renamed into place"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(std::fs::metadata(dir.join("reports/out.json"))
        .unwrap()
        .is_file());
    assert!(std::fs::metadata(dir.join("base.json")).unwrap().is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn no_network_no_exec_no_writes_under_strace() {
    let installed = Command::new("strace").arg("-V").output().is_ok();
    assert!(
        installed || std::env::var("CI").is_err(),
        "strace is missing on CI: .ci/run installs it"
    );
    if !strace_works() {
        eprintln!(
            "SKIPPED: strace is not installed or ptrace is not permitted here; .ci/run installs it"
        );
        return;
    }
    let target: PathBuf = match shared_dir() {
        Some(shared) => shared.join("corpus"),
        None => repo_root().join("testdata"),
    };
    let dir = std::env::temp_dir().join(format!("pipelint-strace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.txt");
    let binary = env!("CARGO_BIN_EXE_pipelint");
    let out = Command::new("strace")
        .arg("-f")
        .arg("-qq")
        .args(["-e", "trace=network,process,%file"])
        .arg("-o")
        .arg(&trace)
        .arg(binary)
        .args(["check", "--format", "json", "-j", "2"])
        .arg(&target)
        .arg(repo_root().join("testdata/hostile"))
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["summary"]["files"].as_u64().unwrap() > 20,
        "the traced run linted too little"
    );

    let text = std::fs::read_to_string(&trace).unwrap();
    let calls: Vec<&str> = text.lines().collect();
    assert!(calls.len() > 100, "strace recorded almost nothing");
    let mut problems = Vec::new();
    let mut execs = 0;
    for line in &calls {
        match syscall(line) {
            // The process itself, once.
            "execve" | "execveat" => {
                execs += 1;
                if !line.contains(binary) {
                    problems.push(format!("executes something else: {line}"));
                }
            }
            // Threads (rayon) are clones with CLONE_THREAD; anything else is a new process.
            "clone" | "clone3" if !line.contains("CLONE_THREAD") => {
                problems.push(format!("starts a process: {line}"))
            }
            "fork" | "vfork" => problems.push(format!("starts a process: {line}")),
            "socket" | "connect" | "bind" | "listen" | "accept" | "accept4" | "sendto"
            | "sendmsg" | "sendmmsg" | "recvfrom" | "recvmsg" | "socketpair" => {
                problems.push(format!("network: {line}"))
            }
            // Nothing is written, created, renamed or deleted: no path was named for output.
            _ if changes_the_filesystem(line) => {
                problems.push(format!("changes the filesystem: {line}"))
            }
            _ => {}
        }
    }
    assert_eq!(execs, 1, "exactly one execve (the binary itself)");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
