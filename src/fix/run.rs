//! `pipelint check --fix`, `--diff` and `--add-ignore` for one file: read it, fix its text in
//! rounds ([`super::apply`]), and say whether the result may be written back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::apply::{fix_text, fixes_of, Candidate};
use super::ignore_comment;
use crate::engine::{display_path, lint_bytes, lint_path, FileReport, Input, Settings};
use crate::suppress::UNUSED_SUPPRESSION;
use crate::yaml::parse;

/// What the run does to the files.
#[derive(Clone, Debug, Default)]
pub struct Mode {
    /// `--unsafe-fixes`: unsafe fixes apply too.
    pub unsafe_fixes: bool,
    /// `--add-ignore REASON`: ignore comments for every finding instead of fixes.
    pub ignore_reason: Option<String>,
}

/// One file after fixing.
#[derive(Debug)]
pub struct FileFix {
    /// The lint of the fixed text (of the file as it was when it was not fixed).
    pub report: FileReport,
    /// The text before and after, when they differ.
    pub change: Option<(String, String)>,
    /// Fixes (or ignore comments) applied.
    pub applied: usize,
    /// Fixes dropped, as messages.
    pub dropped: Vec<String>,
}

/// The edits of this round: the findings' fixes, or ignore comments.
fn candidates(mode: &Mode, text: &str, report: &FileReport, settings: &Settings) -> Vec<Candidate> {
    let Some(reason) = &mode.ignore_reason else {
        return fixes_of(report, mode.unsafe_fixes);
    };
    let yaml = parse(text, &settings.parse_limits);
    report
        .findings
        .iter()
        // An unused suppression is fixed by removing it, not by another one; findings about
        // the file as a whole have no line to carry a comment.
        .filter(|f| {
            f.rule != UNUSED_SUPPRESSION
                && !matches!(
                    f.rule,
                    "yaml-syntax" | "input-too-large" | "input-too-complex"
                )
        })
        .filter_map(|f| {
            let mut anchors = vec![f.span.start];
            anchors.extend(f.step_span.map(|s| s.start));
            let edit = ignore_comment(text, &yaml, f.rule, reason, &anchors)?;
            Some(Candidate {
                rule: f.rule,
                edits: vec![edit],
            })
        })
        .collect()
}

/// Fixes text in memory (a file read, standard input, tests), linted under `name`.
pub fn fix_bytes(
    name: String,
    bytes: &[u8],
    explicit: bool,
    settings: &Settings,
    mode: &Mode,
) -> FileFix {
    // Only UTF-8 text is rewritten: a UTF-16 file would need re-encoding.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return FileFix {
            report: lint_bytes(name, bytes, explicit, settings),
            change: None,
            applied: 0,
            dropped: Vec::new(),
        };
    };
    let lint = |t: &str| lint_bytes(name.clone(), t.as_bytes(), explicit, settings);
    let choose = |t: &str, r: &FileReport| candidates(mode, t, r, settings);
    let mut fixed = fix_text(&name, text, &lint, &choose);
    if mode.ignore_reason.is_some() {
        let yaml = parse(&fixed.text, &settings.parse_limits);
        let left = fixed
            .report
            .findings
            .iter()
            .filter(|f| f.rule != UNUSED_SUPPRESSION)
            .count();
        if left > 0 && super::edit::Source::new(&fixed.text, &yaml).is_json() {
            fixed.dropped.push(format!(
                "{name}: JSON cannot hold an ignore comment; {left} finding(s) stay (silence them with `suppressions:` in the config, or the `pipelint.dev/ignore` annotation)"
            ));
        }
    }
    let change = fixed
        .changed(text)
        .then(|| (text.to_string(), fixed.text.clone()));
    FileFix {
        report: fixed.report,
        change,
        applied: fixed.applied,
        dropped: fixed.dropped,
    }
}

/// Fixes one input file's text (nothing is written here).
pub fn fix_input(input: &Input, settings: &Settings, mode: &Mode) -> FileFix {
    let settings = match &input.config {
        Some(config) if !Arc::ptr_eq(config, &settings.config) => Settings {
            config: config.clone(),
            ..settings.clone()
        },
        _ => settings.clone(),
    };
    let settings = settings.config.limits.apply(&settings);
    let unfixed = || FileFix {
        report: lint_path(&input.path, input.explicit, &settings),
        change: None,
        applied: 0,
        dropped: Vec::new(),
    };
    let Ok(bytes) = crate::files::read_regular(&input.path, settings.max_file_size) else {
        return unfixed(); // the lint says why
    };
    fix_bytes(
        display_path(&input.path),
        &bytes,
        input.explicit,
        &settings,
        mode,
    )
}

/// The paths a run lints, as places a fix may write to: a folder named covers what is in
/// it; a file named covers itself, not what a symlink of that name points to.
#[derive(Debug, Default)]
pub struct WritableArea {
    areas: Vec<PathBuf>,
}

impl WritableArea {
    pub fn new(roots: &[PathBuf]) -> Self {
        let areas = roots
            .iter()
            .filter_map(|root| {
                if std::fs::metadata(root).is_ok_and(|m| m.is_dir()) {
                    return std::fs::canonicalize(root).ok();
                }
                let name = root.file_name()?;
                let parent = match root.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                Some(std::fs::canonicalize(parent).ok()?.join(name))
            })
            .collect();
        WritableArea { areas }
    }

    /// Whether `path` may be rewritten: the file it resolves to (through any symlink) lies
    /// inside the paths being linted. A pull request can plant a link to a file elsewhere
    /// (`pipeline.yaml -> ~/.bashrc`); that file is never written.
    pub fn check(&self, path: &Path) -> Result<(), String> {
        let target = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if self.areas.iter().any(|a| target.starts_with(a)) {
            return Ok(());
        }
        Err(format!(
            "{} resolves to {}, outside the paths being linted; it is not rewritten",
            path.display(),
            target.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_out_of_the_linted_paths_are_not_writable() {
        let base = std::env::temp_dir().join(format!("pipelint-area-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (inside, outside) = (base.join("repo"), base.join("home"));
        std::fs::create_dir_all(&inside).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(inside.join("wf.yaml"), "a: 1\n").unwrap();
        std::fs::write(outside.join("secret"), "b: 2\n").unwrap();
        symlink(outside.join("secret"), inside.join("planted.yaml")).unwrap();
        symlink("wf.yaml", inside.join("alias.yaml")).unwrap();
        let area = WritableArea::new(std::slice::from_ref(&inside));
        assert!(area.check(&inside.join("wf.yaml")).is_ok());
        assert!(
            area.check(&inside.join("alias.yaml")).is_ok(),
            "a link inside the folder"
        );
        let e = area.check(&inside.join("planted.yaml")).unwrap_err();
        assert!(e.contains("outside the paths being linted"), "{e}");
        // Named as a file, the link covers itself, not its target.
        let named = WritableArea::new(&[inside.join("planted.yaml")]);
        assert!(named.check(&inside.join("planted.yaml")).is_err());
        let _ = std::fs::remove_dir_all(&base);
    }
}
