//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` reports
//! only the others. Findings are matched by fingerprint (rule, file, step and the offending
//! text, never a line number), so editing a file does not bring baselined findings back.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::RunReport;

pub const BASELINE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    rule: String,
    file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<String>,
    message: String,
}

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

/// The path findings are fingerprinted with: relative to the baseline file's folder, with
/// `/` separators, so the baseline works from any working directory. Both sides are resolved
/// (symlinks, `.` and `..`), so `--baseline ../baseline.json` from a subfolder matches.
fn key_path(file: &str, base: &Path) -> String {
    let resolved = resolve(Path::new(file));
    let rel = resolved
        .strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| PathBuf::from(file));
    rel.to_string_lossy().replace('\\', "/")
}

/// The real path when it exists; else absolute with `.` and `..` removed lexically (a name
/// given with `--stdin-filename` need not exist).
fn resolve(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let out = crate::report::normalize(&absolute);
    // The folder it is in is resolved for real when it exists (symlinks).
    match (out.parent(), out.file_name()) {
        (Some(parent), Some(name)) => match std::fs::canonicalize(parent) {
            Ok(parent) => parent.join(name),
            Err(_) => out,
        },
        _ => out,
    }
}

fn base_of(baseline: &Path) -> PathBuf {
    let resolved = resolve(baseline);
    resolved.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn entries(report: &RunReport, base: &Path) -> Vec<Entry> {
    report
        .findings()
        .map(|(file, f)| {
            let path = key_path(&file.path, base);
            Entry {
                fingerprint: f.fingerprint(&path, &file.source),
                rule: f.rule.to_string(),
                step: f.step.as_deref().map(str::to_string),
                message: f.message.clone(),
                file: path,
            }
        })
        .collect()
}

/// Reads a baseline like a pipeline: only a regular file, only up to `max_size` bytes (it
/// may come from a pull request too).
fn read(path: &Path, max_size: u64) -> Result<BaselineFile, String> {
    let text = crate::files::read_regular_text(path, max_size)
        .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<BaselineFile, String> {
    let doc: BaselineFile = serde_json::from_str(text)
        .map_err(|e| format!("{}: not a pipelint baseline: {e}", path.display()))?;
    if doc.version != BASELINE_VERSION {
        return Err(format!(
            "{}: baseline version {} is not supported (expected {BASELINE_VERSION})",
            path.display(),
            doc.version
        ));
    }
    Ok(doc)
}

/// What `--write-baseline` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Entries in the file now.
    pub findings: usize,
    /// Entries of the previous baseline whose finding is gone (the file was linted and no
    /// longer has it, or the file was deleted): pruned.
    pub pruned: usize,
}

/// Writes the baseline atomically (see [`crate::files::write_atomic`]).
/// An existing baseline keeps its entries for files this run did not lint (a run on a
/// subfolder does not forget the rest of the repository); entries of linted or deleted
/// files are replaced by today's findings.
pub fn write(report: &RunReport, path: &Path, max_size: u64) -> Result<Written, String> {
    let base = base_of(path);
    let linted: HashSet<String> = report
        .files
        .iter()
        .map(|f| key_path(&f.path, &base))
        .collect();
    let mut findings = entries(report, &base);
    let mut pruned = 0;
    // Only a regular file (or a link to one) can hold a previous baseline; anything else is
    // refused by the write below, with its own message. An empty file is no baseline yet; a
    // file that is something else (a mistyped `--write-baseline pipeline.yaml`) is never
    // overwritten.
    let existing = match path.is_file() {
        true => crate::files::read_regular_text(path, max_size)
            .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?,
        false => String::new(),
    };
    if !existing.trim().is_empty() {
        let previous = parse(path, &existing)
            .map_err(|e| format!("{e}; it was not overwritten: remove it or name another file"))?;
        let mut today: HashMap<&str, usize> = HashMap::new();
        for entry in &findings {
            *today.entry(entry.fingerprint.as_str()).or_default() += 1;
        }
        let mut kept = Vec::new();
        for entry in previous.findings {
            if !linted.contains(&entry.file) && base.join(&entry.file).exists() {
                kept.push(entry);
                continue;
            }
            match today.get_mut(entry.fingerprint.as_str()) {
                Some(n) if *n > 0 => *n -= 1,
                _ => pruned += 1,
            }
        }
        findings.extend(kept);
    }
    findings.sort_by(|a, b| {
        (&a.file, &a.rule, &a.fingerprint).cmp(&(&b.file, &b.rule, &b.fingerprint))
    });
    let doc = BaselineFile {
        version: BASELINE_VERSION,
        findings,
    };
    let count = doc.findings.len();
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    text.push('\n');
    crate::files::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(Written {
        findings: count,
        pruned,
    })
}

/// Drops the findings the baseline has (each baseline entry absorbs one finding); counts
/// them in `report.baselined`, and in `report.stale_baseline` the entries of files this run
/// linted that matched nothing (fixed findings: `--write-baseline` prunes them). Returns how
/// many findings were dropped.
pub fn apply(report: &mut RunReport, path: &Path, max_size: u64) -> Result<usize, String> {
    let doc = read(path, max_size)?;
    let base = base_of(path);
    let mut budget: HashMap<String, usize> = HashMap::new();
    let mut per_file: HashMap<String, usize> = HashMap::new();
    for entry in doc.findings {
        *budget.entry(entry.fingerprint).or_default() += 1;
        *per_file.entry(entry.file).or_default() += 1;
    }
    let mut dropped = 0;
    let mut linted_entries = 0;
    for file in &mut report.files {
        let key = key_path(&file.path, &base);
        // A file named twice is counted once.
        linted_entries += per_file.remove(&key).unwrap_or(0);
        let source = file.source.clone();
        file.findings.retain(|f| {
            let fp = f.fingerprint(&key, &source);
            match budget.get_mut(&fp) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    dropped += 1;
                    false
                }
                _ => true,
            }
        });
    }
    report.baselined += dropped;
    report.stale_baseline += linted_entries.saturating_sub(dropped);
    Ok(dropped)
}
