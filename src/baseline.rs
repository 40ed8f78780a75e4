//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` reports
//! only the others. Findings are matched by fingerprint (rule, file, step and the offending
//! text, never a line number), so editing a file does not bring baselined findings back.

use std::collections::HashMap;
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
/// `/` separators, so the baseline works from any working directory.
fn key_path(file: &str, base: &Path) -> String {
    let absolute = std::path::absolute(file).unwrap_or_else(|_| PathBuf::from(file));
    let rel = absolute
        .strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| PathBuf::from(file));
    rel.to_string_lossy().replace('\\', "/")
}

fn base_of(baseline: &Path) -> PathBuf {
    let absolute = std::path::absolute(baseline).unwrap_or_else(|_| baseline.to_path_buf());
    absolute.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn entries(report: &RunReport, base: &Path) -> Vec<Entry> {
    let mut out: Vec<Entry> = report
        .findings()
        .map(|(file, f)| {
            let path = key_path(&file.path, base);
            Entry {
                fingerprint: f.fingerprint(&path, &file.source),
                rule: f.rule.to_string(),
                step: f.step.clone(),
                message: f.message.clone(),
                file: path,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.file, &a.rule, &a.fingerprint).cmp(&(&b.file, &b.rule, &b.fingerprint)));
    out
}

/// Writes the baseline atomically (see [`crate::files::write_atomic`]).
pub fn write(report: &RunReport, path: &Path) -> Result<usize, String> {
    let doc = BaselineFile {
        version: BASELINE_VERSION,
        findings: entries(report, &base_of(path)),
    };
    let count = doc.findings.len();
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    text.push('\n');
    crate::files::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(count)
}

/// Drops the findings the baseline has (each baseline entry absorbs one finding) and
/// returns how many were dropped. The file is read like a pipeline: only a regular file,
/// only up to `max_size` bytes (it may come from a pull request too).
pub fn apply(report: &mut RunReport, path: &Path, max_size: u64) -> Result<usize, String> {
    let text = crate::files::read_regular_text(path, max_size)
        .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
    let doc: BaselineFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a pipelint baseline: {e}", path.display()))?;
    if doc.version != BASELINE_VERSION {
        return Err(format!(
            "{}: baseline version {} is not supported (expected {BASELINE_VERSION})",
            path.display(),
            doc.version
        ));
    }
    let mut budget: HashMap<String, usize> = HashMap::new();
    for entry in doc.findings {
        *budget.entry(entry.fingerprint).or_default() += 1;
    }
    let base = base_of(path);
    let mut dropped = 0;
    for file in &mut report.files {
        let key = key_path(&file.path, &base);
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
    Ok(dropped)
}
