//! KFP IR findings mapped into the Python they were compiled from, for the editor: the same
//! mapping as `pipelint check` (`crate::kfp_source`), with the Python read as the editor
//! holds it, and each Python place handed to the server with its text, so that it can
//! publish a diagnostic on the Python file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pipelint_lsp::{DependsOn, DocumentRef, Edit, Fix, FixKind, SourcePlace};

use crate::engine::{FileReport, Outcome, Settings};
use crate::finding::Finding;
use crate::kfp_source::{attach, ignore_edit, repository_of, SourceIndex};
use crate::suppress::REASON_PLACEHOLDER;

/// The Python sources a linted KFP IR document was mapped into.
pub struct Mapped {
    index: SourceIndex,
    pub depends_on: DependsOn,
    /// Why the scan stopped early, if it did: shown to the user once.
    pub incomplete: Option<String>,
    /// Each scanned file's text, shared by the places in it.
    texts: HashMap<PathBuf, Arc<str>>,
}

/// Maps the findings of `report` (a KFP IR document) into the Python under the config's
/// `kfp-source`, else the workspace folder, else the repository around the document: adds
/// the Python places, the staleness finding and the Python-line suppressions, as `pipelint
/// check` does. `None` for anything else, or with nowhere to look.
pub fn map(report: &mut FileReport, doc: &DocumentRef<'_>, settings: &Settings) -> Option<Mapped> {
    let Outcome::Pipeline(formats) = &report.outcome else {
        return None;
    };
    if !formats.contains(&"kfp-ir") {
        return None;
    }
    let dir = settings
        .config
        .kfp_source
        .clone()
        .or_else(|| doc.workspace_folder.map(Path::to_path_buf))
        .or_else(|| doc.path.and_then(repository_of))?;
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let depends_on = DependsOn {
        dir: dir.clone(),
        extension: "py".to_string(),
    };
    let unsaved: Vec<(PathBuf, Arc<str>)> = doc
        .unsaved
        .iter()
        .filter(|(path, _)| depends_on.covers(path))
        .cloned()
        .collect();
    let limited = settings.config.limits.apply(settings);
    let index = SourceIndex::scan_with(&dir, limited.max_file_size, limited.work_budget, &unsaved);
    attach(report, &index, settings, false);
    Some(Mapped {
        incomplete: index.incomplete.clone(),
        index,
        depends_on,
        texts: HashMap::new(),
    })
}

impl Mapped {
    /// The Python places of one finding, the primary one first, each with the ignore
    /// comment for its line.
    pub fn places(&mut self, finding: &Finding) -> Vec<SourcePlace> {
        let mut places = Vec::new();
        for at in &finding.sources {
            let Some((path, text, span)) = self.index.place(at) else {
                continue;
            };
            let text = self
                .texts
                .entry(path.to_path_buf())
                .or_insert_with(|| Arc::from(text))
                .clone();
            let (range, new_text) =
                ignore_edit(&text, span.start, finding.rule, REASON_PLACEHOLDER);
            places.push(SourcePlace {
                path: path.to_path_buf(),
                text,
                span,
                message: at.message.clone(),
                ignore: Some(Fix {
                    title: super::ignore_title(finding.rule),
                    kind: FixKind::Suppress,
                    edits: vec![Edit {
                        span: range,
                        new_text,
                    }],
                    preferred: false,
                    placeholder: Some(REASON_PLACEHOLDER.to_string()),
                }),
            });
        }
        places
    }
}
