//! Shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pipelint::engine::{lint_bytes, FileReport, RunReport, Settings};
use pipelint::report::{render_human, HumanStyle};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository (CI has it; a bare clone may not).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared");
    dir.join("corpus").is_dir().then_some(dir)
}

/// `../shared`, for the tests that cannot run without it. Those are `#[ignore]`d with the
/// reason, so that `cargo test` in a clone without it reports them as ignored rather than as
/// passed; `.ci/run` (which has `../shared`) runs them with `--ignored`, as anyone with
/// `../shared` can. Run without it, such a test fails: it never passes having checked nothing.
pub fn require_shared() -> PathBuf {
    shared_dir().unwrap_or_else(|| {
        panic!("../shared (with corpus/) is not present beside the repository: this test needs it")
    })
}

/// Lints one file as the CLI would, with the `.pipelint.yaml` above it inside `testdata/`
/// (fixtures that need a target version keep one in their folder).
pub fn lint_file(path: &Path) -> FileReport {
    lint_with(path, &settings_for(path))
}

/// The settings [`lint_file`] lints a fixture with.
pub fn settings_for(path: &Path) -> Settings {
    let mut settings = Settings::default();
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.ends_with("testdata") {
            break;
        }
        let candidate = d.join(".pipelint.yaml");
        if candidate.is_file() {
            let config =
                pipelint::config::Config::load(&candidate).expect("fixture config is valid");
            settings.config = std::sync::Arc::new(config);
            break;
        }
        dir = d.parent();
    }
    settings
}

/// Lints one file with the given settings.
pub fn lint_with(path: &Path, settings: &Settings) -> FileReport {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let shown = path
        .strip_prefix(repo_root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    lint_bytes(shown, &bytes, true, settings)
}

/// The human rendering with no colour and a fixed width, as snapshots store it.
pub fn render_plain(file: FileReport) -> String {
    render_human(
        &RunReport {
            files: vec![file],
            ..RunReport::default()
        },
        HumanStyle {
            color: false,
            width: 100,
        },
    )
}

/// Lines (1-based) marked `# expect: a, b` for `rule`.
pub fn expected_lines(text: &str, rule: &str) -> Vec<u32> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (_, ids) = line.rsplit_once("# expect:")?;
            ids.split(',')
                .any(|id| id.trim() == rule)
                .then_some(i as u32 + 1)
        })
        .collect()
}

/// The binary run in `dir`, without colour and without the caller's `COLUMNS`.
pub fn pipelint_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("the binary runs")
}
