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
    // The syscall name of a line: `1234  openat(AT_FDCWD, "x", O_RDONLY) = 3`.
    let name = |line: &str| -> String {
        let rest = line.split_once(' ').map_or(line, |(_, r)| r).trim_start();
        rest.split('(').next().unwrap_or("").to_string()
    };
    let mut problems = Vec::new();
    let mut execs = 0;
    for line in &calls {
        let call = name(line);
        match call.as_str() {
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
            "open" | "openat" | "openat2" | "creat"
                if ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                    .iter()
                    .any(|flag| line.contains(flag)) =>
            {
                problems.push(format!("opens for writing: {line}"))
            }
            "unlink" | "unlinkat" | "rename" | "renameat" | "renameat2" | "mkdir" | "mkdirat"
            | "rmdir" | "symlink" | "symlinkat" | "link" | "linkat" | "chmod" | "fchmodat"
            | "truncate" => problems.push(format!("changes the filesystem: {line}")),
            _ => {}
        }
    }
    assert_eq!(execs, 1, "exactly one execve (the binary itself)");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
