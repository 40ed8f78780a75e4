//! What the server asks of the linter: the one seam between the protocol (this crate) and
//! pipelint's engine (the root package implements [`Analyzer`]).
//!
//! Everything here is LSP-neutral: positions are byte offsets into the document's text, so
//! the analyzer never sees a position encoding, and the server never sees a YAML node.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set by the server when the result of a call is no longer wanted (the document changed
/// or closed): the analyzer should stop soon and may return anything.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag itself, for code that checks it where work is metered.
    pub fn flag(&self) -> &Arc<AtomicBool> {
        &self.0
    }
}

/// One open document, as the analyzer sees it.
#[derive(Clone, Copy, Debug)]
pub struct DocumentRef<'a> {
    /// The URI the client knows the document by.
    pub uri: &'a str,
    /// The file behind it, for `file:` URIs (config discovery walks up from here).
    pub path: Option<&'a Path>,
    /// The editor's text, which may differ from the file on disk.
    pub text: &'a str,
    /// The workspace folder holding the document, if any (the innermost one).
    pub workspace_folder: Option<&'a Path>,
    /// Set once this call's result will be thrown away.
    pub cancel: &'a Cancel,
    /// What the client's settings change about linting.
    pub options: &'a LintOptions,
    /// The other open documents that have a file, as the editor holds them (unsaved edits
    /// included): read instead of the file on disk when the analysis reads that file.
    pub unsaved: &'a [(PathBuf, Arc<str>)],
}

/// The client's settings that change what is linted and how (`initializationOptions` and
/// `workspace/didChangeConfiguration`); empty means "as `pipelint check` would".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// `configPath`: this config file for every document instead of the nearest
    /// `.pipelint.yaml` (a relative path is taken from the workspace folder).
    pub config_path: Option<std::path::PathBuf>,
    /// `select`: only these rules run (replaces the config's `select`).
    pub select: Vec<String>,
    /// `ignore`: these rules never run (added to the config's `ignore`).
    pub ignore: Vec<String>,
}

/// A place a definition lives: in the document asked about, or in another file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `None`: the document itself.
    pub path: Option<std::path::PathBuf>,
    /// The other file's text as read (positions are counted in it).
    pub text: Option<Arc<str>>,
    /// The whole definition, in bytes.
    pub span: Range<usize>,
    /// The name within it, in bytes.
    pub name_span: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A pipeline (KFP) or a workflow (Argo).
    Pipeline,
    /// A step that runs (a KFP task, an Argo template that runs a pod).
    Step,
    /// A DAG, steps group or other template that runs no container itself.
    Group,
}

/// One entry of a document's outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    /// A short note shown beside the name (the image, the kind of template).
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub span: Range<usize>,
    pub name_span: Range<usize>,
    pub children: Vec<Symbol>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A key of the config.
    Key,
    /// A value (a severity, a rule id in a list).
    Value,
    /// A rule id.
    Rule,
}

/// One completion offered in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// What is inserted, when not the label (a key gets its `: `).
    pub insert_text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A secondary location: evidence, or where a default was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// Byte range in the document's text.
    pub span: Range<usize>,
    pub message: String,
}

/// A place in another file where the finding is changed: the Python line a KFP IR finding
/// was compiled from. The first of a finding's places gets a diagnostic of its own there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePlace {
    pub path: PathBuf,
    /// That file's text as the analysis read it (the editor's, when it is open): `span` and
    /// `ignore` are counted in it.
    pub text: Arc<str>,
    /// Byte range in `text`.
    pub span: Range<usize>,
    /// What is there (`set in pipeline.py:42: ...`).
    pub message: String,
    /// The code action that silences the finding from this place (an ignore comment on its
    /// line), its edits in `text`.
    pub ignore: Option<Fix>,
}

/// The files besides the document that an analysis read: a change to one of them (open,
/// edited, saved or changed on disk) means the document is linted again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependsOn {
    /// The directory that was read.
    pub dir: PathBuf,
    /// The file name extension of the files that were read, without the dot (`py`).
    pub extension: String,
}

impl DependsOn {
    pub fn covers(&self, path: &Path) -> bool {
        path.starts_with(&self.dir)
            && path
                .extension()
                .is_some_and(|x| x == self.extension.as_str())
    }
}

/// One finding, ready to become a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule id (`unpinned-image`): the diagnostic's `code`.
    pub rule: String,
    pub severity: Severity,
    /// One line naming the step.
    pub message: String,
    /// What is wrong at that spot (may be empty).
    pub label: String,
    /// How to fix it (may be empty).
    pub help: String,
    /// Byte range in the document's text.
    pub span: Range<usize>,
    pub related: Vec<Related>,
    /// A page about the rule, when one is configured (`codeDescription`).
    pub doc_url: Option<String>,
    /// The analyzer's own notes about the finding, handed back to [`Analyzer::fixes`].
    pub data: Option<serde_json::Value>,
    /// Where in other files the finding is changed (the Python of a KFP pipeline), the
    /// primary place first.
    pub sources: Vec<SourcePlace>,
}

/// The result of linting one document that is a pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    /// What the user should know that is not a finding (a broken config file): shown once.
    pub messages: Vec<String>,
    /// The other files the result depends on, if any.
    pub depends_on: Option<DependsOn>,
}

/// A text replacement: `span` (bytes) becomes `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Range<usize>,
    pub new_text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// Changes the pipeline so that the finding goes away.
    QuickFix,
    /// Keeps the pipeline and silences the finding (an ignore comment).
    Suppress,
}

/// An edit offered for one finding (a code action).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub kind: FixKind,
    pub edits: Vec<Edit>,
    /// The one fix an editor may apply on "auto fix".
    pub preferred: bool,
    /// Text in the edits the user is meant to replace (the reason of an ignore comment): a
    /// snippet's tab stop in clients that take snippet edits.
    pub placeholder: Option<String>,
}

/// A code action offered for a finding before its edits are computed: the editor lists
/// these, and asks for the edits (`codeAction/resolve`) of the one the user picks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub title: String,
    pub kind: FixKind,
    /// The one fix an editor may apply on "auto fix"; also what "Fix all" applies.
    pub preferred: bool,
}

/// The linter behind the server. Implementations must be cheap to call from several
/// threads at once (the server calls them from worker threads, never from its message
/// loop); the server catches a panic in any method and carries on. `analyze` and `fixes`
/// should bound their own work and return early once `doc.cancel` is set.
pub trait Analyzer: Send + Sync + 'static {
    /// `None` when the document is not a pipeline: it then gets no diagnostics at all.
    fn analyze(&self, doc: &DocumentRef<'_>) -> Option<Analysis>;

    /// The fixes for each of `findings` (all from [`Analyzer::analyze`] on this same text),
    /// in order. Called only when the editor asks for code actions.
    fn fixes(&self, doc: &DocumentRef<'_>, findings: &[&Finding]) -> Vec<Vec<Fix>>;

    /// The fixes [`Analyzer::fixes`] would give for `finding`, without their edits: read from
    /// the finding alone (no parse, no lint), for the list of code actions. Each offer's
    /// title is the title of the fix it stands for.
    fn offers(&self, _doc: &DocumentRef<'_>, _finding: &Finding) -> Vec<Offer> {
        Vec::new()
    }

    /// The edits of "Fix all pipelint problems in this file" (`source.fixAll.pipelint`):
    /// every safe fix, applied until stable; `None` when there is nothing to fix.
    fn fix_all(&self, _doc: &DocumentRef<'_>) -> Option<Vec<Edit>> {
        None
    }

    /// The rule's documentation, in Markdown, for hover.
    fn rule_doc(&self, rule: &str) -> Option<String>;

    /// The rule's one-line summary, shown in hover above its documentation.
    fn rule_summary(&self, _rule: &str) -> Option<String> {
        None
    }

    /// Where the name at byte `offset` is defined (an Argo template, a KFP component or
    /// executor), maybe in other files of `doc.workspace_folder`.
    fn definition(&self, _doc: &DocumentRef<'_>, _offset: usize) -> Vec<Target> {
        Vec::new()
    }

    /// The document's outline: pipelines and their steps.
    fn symbols(&self, _doc: &DocumentRef<'_>) -> Vec<Symbol> {
        Vec::new()
    }

    /// Completions at byte `offset` of a document (the config file).
    fn completion(&self, _doc: &DocumentRef<'_>, _offset: usize) -> Vec<Completion> {
        Vec::new()
    }

    /// Hover text (Markdown) at byte `offset` that is not about a finding (a key of the
    /// config file).
    fn hover_at(&self, _doc: &DocumentRef<'_>, _offset: usize) -> Option<String> {
        None
    }

    /// The files of a workspace folder that `pipelint check <folder>` would lint, with the
    /// config's excludes applied: the workspace diagnostics.
    fn workspace_files(&self, _folder: &Path, _options: &LintOptions) -> Vec<std::path::PathBuf> {
        Vec::new()
    }

    /// File name patterns (globs) whose change on disk may change workspace diagnostics.
    fn watched_patterns(&self) -> &'static [&'static str] {
        &[]
    }

    /// File name patterns (globs) of files that analyses may read besides the document (see
    /// [`Analysis::depends_on`]): watched, so that a change on disk lints them again.
    fn dependency_patterns(&self) -> &'static [&'static str] {
        &[]
    }

    /// File names whose change means open documents must be linted again (the config).
    fn config_file_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// A config file changed on disk: forget anything cached from it.
    fn config_changed(&self) {}

    /// The largest document the analyzer reads: a message larger than this (plus room for
    /// the JSON around the text) is refused unread.
    fn max_document_size(&self) -> usize {
        64 * 1024 * 1024
    }

    /// `(name, version)` for `serverInfo`.
    fn server_info(&self) -> (String, String);
}
