//! Workspace diagnostics (`workspace/diagnostic`): the pipelines of the workspace folders
//! that are not open, as `pipelint check <folder>` finds them, each linted from disk.
//!
//! A file's report is kept (by path, with its size and modification time) until the file
//! changes on disk or the settings change, so that the client's repeated pulls cost a `stat`
//! per file; an unchanged report is answered as `unchanged`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use lsp_types::Diagnostic;
use serde_json::{json, Value};

use crate::analyzer::{Analyzer, Cancel, DependsOn, DocumentRef, LintOptions};
use crate::convert::{self, Presentation, SourceDiagnostic};
use crate::position::LineMap;
use crate::uri;

/// The last report of one file that is not open.
#[derive(Clone, Debug)]
pub struct FileReport {
    len: u64,
    modified: Option<SystemTime>,
    result_id: String,
    /// Other YAML gets no report (unless it had one before: then an empty one).
    pipeline: bool,
    items: Vec<Diagnostic>,
    /// What its findings put on other files (the Python KFP IR maps to).
    pub sources: Arc<Vec<SourceDiagnostic>>,
    /// What the lint read besides the file: a change there makes the report stale.
    pub depends_on: Option<DependsOn>,
}

pub type Reports = Arc<Mutex<HashMap<PathBuf, FileReport>>>;

pub struct WorkspaceJob {
    pub folders: Vec<PathBuf>,
    /// Open documents: their diagnostics come with `textDocument/diagnostic`.
    pub open: HashSet<PathBuf>,
    /// Their texts, which lints read instead of the files (the Python of KFP IR).
    pub unsaved: Arc<[(PathBuf, Arc<str>)]>,
    /// `previousResultIds` of the request, by URI.
    pub previous: HashMap<String, String>,
    pub options: Arc<LintOptions>,
    pub presentation: Presentation,
    pub max_diagnostics: usize,
    pub max_size: u64,
    pub reports: Reports,
    /// Changes with the settings and the config, so that no report from before counts as
    /// unchanged after.
    pub generation: u64,
    pub cancel: Cancel,
}

/// The `WorkspaceDiagnosticReport`; `None` when cancelled.
pub fn run(analyzer: &dyn Analyzer, job: &WorkspaceJob) -> Option<Value> {
    let mut items: Vec<Value> = Vec::new();
    let mut reported: HashSet<String> = HashSet::new();
    for folder in &job.folders {
        for path in analyzer.workspace_files(folder, &job.options) {
            if job.cancel.is_cancelled() {
                return None;
            }
            if job.open.contains(&path) {
                continue;
            }
            let Some(report) = report_of(analyzer, job, folder, &path) else {
                continue;
            };
            let uri = uri::from_path(&path);
            if !report.pipeline && !job.previous.contains_key(&uri) {
                continue;
            }
            if !reported.insert(uri.clone()) {
                continue; // nested folders
            }
            if job.previous.get(&uri) == Some(&report.result_id) {
                items.push(json!({"kind": "unchanged", "uri": uri, "version": null,
                                  "resultId": report.result_id}));
            } else {
                items.push(json!({"kind": "full", "uri": uri, "version": null,
                                  "resultId": report.result_id, "items": report.items}));
            }
        }
    }
    // What the findings of those files put on other files that are not open (the Python of
    // KFP IR), one report per file; an open one gets them with `textDocument/diagnostic`.
    let mut on_sources: HashMap<String, Vec<Diagnostic>> = HashMap::new();
    {
        let reports = job.reports.lock().unwrap_or_else(|e| e.into_inner());
        for (path, report) in reports.iter() {
            if job.open.contains(path) || !reported.contains(&uri::from_path(path)) {
                continue;
            }
            for s in report.sources.iter() {
                on_sources
                    .entry(s.uri.clone())
                    .or_default()
                    .push(s.diagnostic.clone());
            }
        }
    }
    let mut source_uris: Vec<String> = on_sources.keys().cloned().collect();
    source_uris.sort();
    for source in source_uris {
        let open = uri::to_path(&source).is_some_and(|p| job.open.contains(&p));
        if open || reported.contains(&source) {
            continue;
        }
        let diagnostics = convert::capped(&on_sources[&source], job.max_diagnostics);
        let result_id = format!("{}-sources-{}", job.generation, fingerprint(&diagnostics));
        reported.insert(source.clone());
        if job.previous.get(&source) == Some(&result_id) {
            items.push(json!({"kind": "unchanged", "uri": source, "version": null,
                              "resultId": result_id}));
        } else {
            items.push(json!({"kind": "full", "uri": source, "version": null,
                              "resultId": result_id, "items": diagnostics}));
        }
    }
    // A file reported before that is gone, excluded or open now: its old list is cleared.
    for uri in job.previous.keys() {
        let open = uri::to_path(uri).is_some_and(|p| job.open.contains(&p));
        if !reported.contains(uri) && !open {
            items.push(json!({"kind": "full", "uri": uri, "version": null, "items": []}));
        }
    }
    Some(json!({ "items": items }))
}

/// A result id for diagnostics that have no file version of their own.
fn fingerprint(diagnostics: &[Diagnostic]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(diagnostics)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

/// Forgets the reports whose lints read `path`; returns whether there was any.
pub fn forget_dependents(reports: &Reports, path: &std::path::Path) -> bool {
    let mut reports = reports.lock().unwrap_or_else(|e| e.into_inner());
    let before = reports.len();
    reports.retain(|_, r| !r.depends_on.as_ref().is_some_and(|d| d.covers(path)));
    reports.len() != before
}

/// What the reports of files that are not open put on `uri` (a Python file).
pub fn sources_on(reports: &Reports, open: &HashSet<PathBuf>, uri: &str) -> Vec<Diagnostic> {
    let reports = reports.lock().unwrap_or_else(|e| e.into_inner());
    let mut paths: Vec<&PathBuf> = reports.keys().filter(|p| !open.contains(*p)).collect();
    paths.sort();
    paths
        .into_iter()
        .flat_map(|p| reports[p].sources.iter())
        .filter(|s| s.uri == uri)
        .map(|s| s.diagnostic.clone())
        .collect()
}

fn report_of(
    analyzer: &dyn Analyzer,
    job: &WorkspaceJob,
    folder: &std::path::Path,
    path: &std::path::Path,
) -> Option<FileReport> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let (len, modified) = (meta.len(), meta.modified().ok());
    if let Some(known) = job
        .reports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(path)
        .filter(|r| r.len == len && r.modified == modified)
    {
        return Some(known.clone());
    }
    if len > job.max_size {
        return None;
    }
    let text: Arc<str> = Arc::from(std::fs::read_to_string(path).ok()?);
    let uri = uri::from_path(path);
    let doc = DocumentRef {
        uri: &uri,
        path: Some(path),
        text: &text,
        workspace_folder: Some(folder),
        cancel: &job.cancel,
        options: &job.options,
        unsaved: &job.unsaved,
    };
    let analysis =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyzer.analyze(&doc))).ok()?;
    if job.cancel.is_cancelled() {
        return None;
    }
    let lines = LineMap::new(text.clone());
    let all: Vec<Diagnostic> = analysis
        .iter()
        .flat_map(|a| a.findings.iter())
        .map(|f| convert::diagnostic(f, &uri, &lines, &job.presentation))
        .collect();
    let stamp = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let report = FileReport {
        len,
        modified,
        result_id: format!("{}-{len}-{stamp}", job.generation),
        pipeline: analysis.is_some(),
        items: convert::capped(&all, job.max_diagnostics),
        sources: Arc::new(convert::source_diagnostics(
            analysis.as_ref(),
            &uri,
            &lines,
            &job.presentation,
        )),
        depends_on: analysis.as_ref().and_then(|a| a.depends_on.clone()),
    };
    job.reports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf(), report.clone());
    Some(report)
}
