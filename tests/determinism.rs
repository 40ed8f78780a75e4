//! Property: for every fixture, the output does not depend on the order the files are given
//! in or on the number of worker threads (the work budget is counted, not timed, so a loaded
//! machine cannot change it either).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::repo_root;
use pipelint::config::{ConfigResolver, Overrides};
use pipelint::engine::{lint_inputs, Input, RunReport, Settings};
use pipelint::report::{render_compact, render_json};

/// Every fixture: rule fixtures (with the `.pipelint.yaml` of their folder), examples and the
/// small hostile files.
fn fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![
        repo_root().join("testdata/rules"),
        repo_root().join("testdata/examples"),
        repo_root().join("testdata/hostile"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() && name != "snapshots" {
                dirs.push(path);
            } else if path.is_file()
                && !name.starts_with('.')
                && matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
            {
                files.push(path.strip_prefix(repo_root()).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    assert!(files.len() > 40, "{} fixtures", files.len());
    files
}

fn inputs(paths: &[PathBuf]) -> Vec<Input> {
    let mut resolver = ConfigResolver::new(None, Overrides::default()).unwrap();
    paths
        .iter()
        .map(|path| {
            let absolute = repo_root().join(path);
            Input {
                config: Some(resolver.for_file(&absolute).unwrap()),
                path: path.clone(),
                explicit: true,
            }
        })
        .collect()
}

fn render(report: &RunReport) -> String {
    format!("{}\n{}", render_json(report), render_compact(report))
}

fn lint_with_threads(inputs: &[Input], threads: usize) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    // Relative paths are resolved against the repository, as the CLI's are against its cwd.
    let absolute: Vec<Input> = inputs
        .iter()
        .map(|i| Input {
            path: repo_root().join(&i.path),
            ..i.clone()
        })
        .collect();
    let report = pool.install(|| lint_inputs(&absolute, &Settings::default()));
    render(&report).replace(&format!("{}/", repo_root().display()), "")
}

#[test]
fn order_and_thread_count_do_not_change_the_output() {
    let paths = fixtures();
    let reference = lint_with_threads(&inputs(&paths), 1);
    assert!(reference.contains("\"findings\""));
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for (round, threads) in [4, 1, 3, 8].into_iter().enumerate() {
        // A seeded Fisher-Yates shuffle: a different order every round, the same every run.
        let mut shuffled = paths.clone();
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        if round == 1 {
            shuffled.reverse();
        }
        let got = lint_with_threads(&inputs(&shuffled), threads);
        assert!(
            got == reference,
            "round {round} ({threads} threads, shuffled) differs from 1 thread in order"
        );
    }
}

/// The same through the binary: `-j 1` with the paths in one order, `-j 4` in another.
#[test]
fn cli_output_is_the_same_for_any_order_and_jobs() {
    let paths: Vec<String> = fixtures()
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let run = |jobs: &str, paths: &[String]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
            .args(["check", "--format", "json", "-j", jobs])
            .args(paths)
            .current_dir(repo_root())
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(101));
        (out.status.code(), out.stdout)
    };
    let forward = run("1", &paths);
    let mut backward = paths.clone();
    backward.reverse();
    let mut interleaved: Vec<String> = paths.iter().step_by(2).cloned().collect();
    interleaved.extend(paths.iter().skip(1).step_by(2).cloned());
    assert!(forward.1.len() > 1000);
    assert!(run("4", &backward) == forward, "-j 4, reversed order");
    assert!(run("2", &interleaved) == forward, "-j 2, interleaved order");
}
