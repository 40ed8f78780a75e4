//! The main loop: one thread owns every document and all protocol state and never lints.
//! Lint jobs run on worker threads and post their results back with the version and job
//! number they were started for, so a result is published only if it is still the newest
//! for that document. A job whose result can no longer be wanted (its document changed,
//! closed, or is linted again) is cancelled: a queued one is skipped, a running one stops at
//! the analyzer's next check. Hover and code actions on a document whose lint is not done
//! wait for it without holding up the loop, and code actions are listed on a worker too (a
//! client that resolves them gets the list without edits, and each action's edits are
//! computed on a worker when it is chosen), so a slow document never delays the answers for
//! the others. Definition, outline, completion
//! and workspace diagnostics need no lint: they are answered on a worker from the current
//! text (or the files on disk) at once.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{never, select, Receiver, Sender};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionOptions, CodeActionParams, CodeActionProvider, Contents, Diagnostic,
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, FileSystemWatcher, GlobPattern, Hover, HoverParams, HoverProvider,
    InitializeResult, MarkupContent, MarkupKind, MessageType, PublishDiagnosticsParams,
    Registration, RegistrationParams, Save, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentContentChangeEvent, TextDocumentSync, TextDocumentSyncKind,
    TextDocumentSyncOptions, WorkspaceFoldersServerCapabilities, WorkspaceOptions,
};
use serde_json::{json, Value};

use crate::actions::{
    client_resolves_edits, fix_action, workspace_edit, Action, Resolve, SnippetEdits,
    Target as EditTarget, FIX_ALL_TITLE,
};
use crate::analyzer::{
    Analysis, Analyzer, Cancel, DependsOn, DocumentRef, Finding, FixKind, LintOptions, Offer,
};
use crate::convert::{self, capped, Presentation, RuleHelp, SourceDiagnostic};
use crate::navigate;
use crate::position::{Encoding, LineMap};
use crate::settings::{DiagnosticMode, LogFile, LogLevel, Settings};
use crate::transport::{Incoming, Outgoing};
use crate::uri;
use crate::workspace;
use lsp_types::Position;

/// How long typing must pause before a document is linted again.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

/// How the server process should end (LSP: 0 after `shutdown` then `exit`, else 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Clean,
    WithoutShutdown,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::WithoutShutdown => 1,
        }
    }
}

struct Doc {
    text: Arc<str>,
    version: i32,
    path: Option<PathBuf>,
    /// A lint is due at this time (set by `didChange`).
    deadline: Option<Instant>,
    /// The newest job for this document: only its result may be published.
    latest_job: u64,
    /// Cancels the newest lint job while it is queued or running.
    linting: Option<Cancel>,
    /// Cancels work on the current text (fixes) once the text changes or closes.
    text_cancel: Cancel,
    /// Hover and code action requests waiting for the current text's lint.
    waiting: Vec<Waiting>,
    /// Diagnostics are on screen for it (so closing or leaving pipeline shape clears them).
    shown: bool,
    /// The newest result for the current text, for hover and code actions.
    cache: Option<Cached>,
    /// The diagnostics its last published lint put on other files (the Python of KFP IR);
    /// kept while it is linted again.
    sources: Arc<Vec<SourceDiagnostic>>,
    /// What its last lint read besides the document: a change there lints it again.
    depends_on: Option<DependsOn>,
}

#[derive(Clone)]
struct Cached {
    version: i32,
    /// The lint it came from: an action listed from it is resolved only against it (the
    /// same version is linted again when the config or the settings change).
    lint: u64,
    lines: Arc<LineMap>,
    analysis: Option<Arc<Analysis>>,
    diagnostics: Arc<Vec<Diagnostic>>,
    sources: Arc<Vec<SourceDiagnostic>>,
}

/// A request that needs the lint of the document's current text.
enum Waiting {
    Hover(RequestId, HoverParams),
    CodeAction(RequestId, CodeActionParams),
    /// `textDocument/diagnostic`, with the client's `previousResultId`.
    Pull(RequestId, Option<String>),
}

impl Waiting {
    fn id(&self) -> &RequestId {
        match self {
            Waiting::Hover(id, _) | Waiting::CodeAction(id, _) | Waiting::Pull(id, _) => id,
        }
    }
}

struct Job {
    uri: String,
    version: i32,
    id: u64,
    text: Arc<str>,
    path: Option<PathBuf>,
    folder: Option<PathBuf>,
    presentation: Presentation,
    options: Arc<LintOptions>,
    /// The other open documents that have a file, as the editor holds them.
    unsaved: Arc<[(PathBuf, Arc<str>)]>,
    cancel: Cancel,
}

struct JobResult {
    uri: String,
    version: i32,
    id: u64,
    outcome: Result<Cached, String>,
    elapsed: Duration,
}

/// Fixes for the findings of a code action request, computed on a worker.
struct FixJob {
    request: RequestId,
    uri: String,
    text: Arc<str>,
    path: Option<PathBuf>,
    folder: Option<PathBuf>,
    cached: Cached,
    /// Indices into the findings (and diagnostics) of `cached`.
    hits: Vec<usize>,
    /// When to offer "Fix all pipelint problems in this file" too.
    fix_all: FixAllOffer,
    /// List the actions without edits, to be resolved when chosen.
    resolve: bool,
    snippets: SnippetEdits,
    encoding: Encoding,
    options: Arc<LintOptions>,
    cancel: Cancel,
}

/// When "Fix all" is listed beside the actions for the findings a request hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FixAllOffer {
    Never,
    /// The light bulb: beside a finding that has a safe fix.
    IfAHitIsFixable,
    /// Asked for by kind (fix on save): when any finding of the document has a safe fix.
    IfAnyIsFixable,
}

/// The edits of one listed action, computed on a worker once the user chose it.
struct ResolveJob {
    request: RequestId,
    /// The action as the client sent it back; answered with its `edit` added.
    action: Value,
    target: Resolve,
    text: Arc<str>,
    path: Option<PathBuf>,
    folder: Option<PathBuf>,
    cached: Cached,
    snippets: SnippetEdits,
    encoding: Encoding,
    options: Arc<LintOptions>,
    cancel: Cancel,
}

/// A request answered on a worker from the document's current text (definition, symbols,
/// completion, workspace diagnostics): never on the message loop.
type Task = Box<dyn FnOnce(&dyn Analyzer) -> Done + Send>;

enum Work {
    Lint(Job),
    Fixes(FixJob),
    Resolve(ResolveJob),
    Task(Task),
}

enum Done {
    Lint(JobResult),
    /// A response to send, and an error to log.
    Reply(Response, Option<String>),
}

fn run_work(analyzer: &dyn Analyzer, work: Work) -> Option<Done> {
    match work {
        // Superseded while queued: nobody will look at the result.
        Work::Lint(job) if job.cancel.is_cancelled() => None,
        Work::Lint(job) => Some(Done::Lint(run_job(analyzer, job))),
        Work::Fixes(job) => Some(run_fixes(analyzer, job)),
        Work::Resolve(job) => Some(run_resolve(analyzer, job)),
        Work::Task(task) => Some(task(analyzer)),
    }
}

/// Runs a job: the analyzer inside `catch_unwind`, then the conversion to LSP diagnostics.
fn run_job(analyzer: &dyn Analyzer, job: Job) -> JobResult {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let doc = DocumentRef {
            uri: &job.uri,
            path: job.path.as_deref(),
            text: &job.text,
            workspace_folder: job.folder.as_deref(),
            cancel: &job.cancel,
            options: &job.options,
            unsaved: &job.unsaved,
        };
        let analysis = analyzer.analyze(&doc).map(Arc::new);
        let lines = Arc::new(LineMap::new(job.text.clone()));
        let diagnostics = analysis
            .iter()
            .flat_map(|a| a.findings.iter())
            .map(|f| convert::diagnostic(f, &job.uri, &lines, &job.presentation))
            .collect();
        let sources =
            convert::source_diagnostics(analysis.as_deref(), &job.uri, &lines, &job.presentation);
        Cached {
            version: job.version,
            lint: job.id,
            lines,
            analysis,
            diagnostics: Arc::new(diagnostics),
            sources: Arc::new(sources),
        }
    }))
    .map_err(panic_message);
    JobResult {
        uri: job.uri,
        version: job.version,
        id: job.id,
        outcome,
        elapsed: started.elapsed(),
    }
}

fn content_modified(id: RequestId) -> Response {
    Response::new_err(
        id,
        ErrorCode::ContentModified as i32,
        "the document changed before the answer was ready".into(),
    )
}

/// Lists the code actions for the findings a request hit.
fn run_fixes(analyzer: &dyn Analyzer, job: FixJob) -> Done {
    if job.cancel.is_cancelled() {
        return Done::Reply(content_modified(job.request), None);
    }
    let Some(analysis) = job.cached.analysis.clone() else {
        return Done::Reply(Response::new_ok(job.request, Vec::<Value>::new()), None);
    };
    let listed = catch_unwind(AssertUnwindSafe(|| list_actions(analyzer, &job, &analysis)));
    match listed {
        _ if job.cancel.is_cancelled() => Done::Reply(content_modified(job.request), None),
        Ok(actions) => Done::Reply(Response::new_ok(job.request, actions), None),
        Err(payload) => {
            let log = format!(
                "computing fixes for {} failed: {}",
                job.uri,
                panic_message(payload)
            );
            Done::Reply(
                Response::new_ok(job.request, Vec::<Value>::new()),
                Some(log),
            )
        }
    }
}

fn list_actions(analyzer: &dyn Analyzer, job: &FixJob, analysis: &Analysis) -> Vec<Value> {
    let doc = DocumentRef {
        uri: &job.uri,
        path: job.path.as_deref(),
        text: &job.text,
        workspace_folder: job.folder.as_deref(),
        cancel: &job.cancel,
        options: &job.options,
        unsaved: &[],
    };
    let target = EditTarget {
        uri: &job.uri,
        version: job.cached.version,
        lines: &job.cached.lines,
        encoding: job.encoding,
    };
    let hits: Vec<&Finding> = job.hits.iter().map(|&i| &analysis.findings[i]).collect();
    // What is offered is read from the findings alone: no parse, no lint.
    let offers: Vec<Vec<Offer>> = hits.iter().map(|f| analyzer.offers(&doc, f)).collect();
    let fixable = |offers: &[Offer]| {
        offers
            .iter()
            .any(|o| o.preferred && o.kind == FixKind::QuickFix)
    };
    let fix_all = match job.fix_all {
        FixAllOffer::Never => false,
        FixAllOffer::IfAHitIsFixable => offers.iter().any(|o| fixable(o)),
        FixAllOffer::IfAnyIsFixable => analysis
            .findings
            .iter()
            .any(|f| fixable(&analyzer.offers(&doc, f))),
    };
    let mut quick = Vec::new();
    let mut suppress = Vec::new();
    let mut push = |kind: FixKind, action: Value| match kind {
        FixKind::QuickFix => quick.push(action),
        FixKind::Suppress => suppress.push(action),
    };
    let fix_all_action = Action {
        title: FIX_ALL_TITLE,
        kind: FixKind::QuickFix,
        fix_all: true,
        preferred: false,
        diagnostic: None,
    };
    let fix_all = if job.resolve {
        for (&i, offers) in job.hits.iter().zip(&offers) {
            for offer in offers {
                let data = Resolve {
                    uri: job.uri.clone(),
                    version: job.cached.version,
                    lint: job.cached.lint,
                    finding: Some(i),
                    title: offer.title.clone(),
                };
                let action = Action {
                    title: &offer.title,
                    kind: offer.kind,
                    fix_all: false,
                    preferred: offer.preferred,
                    diagnostic: Some(&job.cached.diagnostics[i]),
                };
                push(offer.kind, action.to_json(None, Some(data.to_json())));
            }
        }
        let data = Resolve {
            uri: job.uri.clone(),
            version: job.cached.version,
            lint: job.cached.lint,
            finding: None,
            title: FIX_ALL_TITLE.to_string(),
        };
        fix_all.then(|| fix_all_action.to_json(None, Some(data.to_json())))
    } else {
        // The client cannot ask for the edits later: they come in the list.
        let fixes = analyzer.fixes(&doc, &hits);
        for (&i, fixes) in job.hits.iter().zip(fixes) {
            for fix in fixes {
                let action = fix_action(&fix, &job.cached.diagnostics[i], &target, job.snippets);
                push(fix.kind, action);
            }
        }
        fix_all
            .then(|| analyzer.fix_all(&doc))
            .flatten()
            .map(|edits| {
                let edit = workspace_edit(&edits, None, &target, SnippetEdits::No);
                fix_all_action.to_json(Some(edit), None)
            })
    };
    quick.into_iter().chain(suppress).chain(fix_all).collect()
}

/// Computes the edits of the action the user chose (`codeAction/resolve`).
fn run_resolve(analyzer: &dyn Analyzer, job: ResolveJob) -> Done {
    if job.cancel.is_cancelled() {
        return Done::Reply(content_modified(job.request), None);
    }
    let doc = DocumentRef {
        uri: &job.target.uri,
        path: job.path.as_deref(),
        text: &job.text,
        workspace_folder: job.folder.as_deref(),
        cancel: &job.cancel,
        options: &job.options,
        unsaved: &[],
    };
    let target = EditTarget {
        uri: &job.target.uri,
        version: job.cached.version,
        lines: &job.cached.lines,
        encoding: job.encoding,
    };
    let edit = catch_unwind(AssertUnwindSafe(|| match job.target.finding {
        // Nothing left to fix is an empty edit: "Fix all" on save must not fail.
        None => Some(analyzer.fix_all(&doc).map_or_else(
            || json!({"changes": {}}),
            |edits| workspace_edit(&edits, None, &target, SnippetEdits::No),
        )),
        Some(i) => {
            let finding = job.cached.analysis.as_ref()?.findings.get(i)?;
            let fix = analyzer
                .fixes(&doc, &[finding])
                .into_iter()
                .next()?
                .into_iter()
                .find(|fix| fix.title == job.target.title)?;
            Some(workspace_edit(
                &fix.edits,
                fix.placeholder.as_deref(),
                &target,
                job.snippets,
            ))
        }
    }));
    match edit {
        _ if job.cancel.is_cancelled() => Done::Reply(content_modified(job.request), None),
        Ok(Some(edit)) => {
            let mut action = job.action;
            action["edit"] = edit;
            Done::Reply(Response::new_ok(job.request, action), None)
        }
        Ok(None) => Done::Reply(
            Response::new_err(
                job.request,
                ErrorCode::RequestFailed as i32,
                format!("\"{}\" no longer applies to this text", job.target.title),
            ),
            None,
        ),
        Err(payload) => {
            let message = format!(
                "resolving \"{}\" on {} failed: {}",
                job.target.title,
                job.target.uri,
                panic_message(payload)
            );
            Done::Reply(
                Response::new_err(
                    job.request,
                    ErrorCode::InternalError as i32,
                    message.clone(),
                ),
                Some(message),
            )
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

struct Server {
    analyzer: Arc<dyn Analyzer>,
    out: Sender<Outgoing>,
    presentation: Presentation,
    markdown_hover: bool,
    /// The client resolves code actions' edits when chosen (`codeAction/resolve`).
    resolve_edits: bool,
    /// How the client takes edits with a tab stop.
    snippets: SnippetEdits,
    watch_files: bool,
    settings: Settings,
    log_file: LogFile,
    /// Open documents' diagnostics are pulled by the client rather than published.
    pull: bool,
    /// The client accepts `workspace/diagnostic/refresh`.
    refresh_support: bool,
    /// The client answers `workspace/configuration`: settings it does not send with
    /// `workspace/didChangeConfiguration` (`settings: null`, the pull model) are asked for.
    configuration_support: bool,
    /// The last `workspace/configuration` request sent; answers to older ones are stale.
    configuration_request: Option<RequestId>,
    /// `initializationOptions` held settings (nothing to ask for at `initialized`).
    initialized_with_settings: bool,
    /// Workspace diagnostics of files that are not open, by path, kept until the file or
    /// the settings change.
    workspace_reports: workspace::Reports,
    /// Bumped when settings or the config change: older result ids no longer hold.
    report_generation: u64,
    /// Requests running on a worker that `$/cancelRequest` stops (workspace diagnostics).
    cancellable: Vec<(RequestId, Cancel)>,
    folders: Vec<(String, PathBuf)>,
    docs: HashMap<String, Doc>,
    /// The diagnostics open documents put on other files (KFP IR findings on the Python
    /// they were compiled from), by URI, as last published or answered.
    sources: HashMap<String, Vec<SourceDiagnostic>>,
    /// Bumped when those change or a document is linted again for a change elsewhere: part
    /// of every pulled result id.
    source_generation: u64,
    /// Workspace reports that put diagnostics on other files were dropped: once the next
    /// workspace pull has made them again, the open files are pulled again.
    workspace_sources_changed: bool,
    jobs: Sender<Work>,
    next_job: u64,
    next_request: i32,
    shutdown: bool,
    /// `Analysis::messages` already shown (each is shown once per session).
    shown_messages: Vec<String>,
}

/// Serves one client until `exit` or the end of its input.
pub fn serve(
    analyzer: Arc<dyn Analyzer>,
    incoming: Receiver<Incoming>,
    out: Sender<Outgoing>,
) -> Exit {
    let Some((id, params)) = wait_for_initialize(&incoming, &out) else {
        return Exit::WithoutShutdown;
    };
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<Work>();
    let (result_tx, result_rx) = crossbeam_channel::unbounded::<Done>();
    // At least two, so that one slow document (whose stale jobs are cancelled, so it keeps
    // at most one worker busy) never holds up the others, even on one core.
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    for i in 0..workers {
        let analyzer = analyzer.clone();
        let jobs = job_rx.clone();
        let results = result_tx.clone();
        std::thread::Builder::new()
            .name(format!("lsp-lint-{i}"))
            .spawn(move || {
                for work in jobs {
                    let Some(done) = run_work(analyzer.as_ref(), work) else {
                        continue;
                    };
                    if results.send(done).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn a lint worker");
    }
    let mut server = Server {
        analyzer,
        out,
        presentation: Presentation::default(),
        markdown_hover: true,
        resolve_edits: false,
        snippets: SnippetEdits::No,
        watch_files: false,
        settings: Settings::default(),
        log_file: LogFile::default(),
        pull: false,
        refresh_support: false,
        configuration_support: false,
        configuration_request: None,
        initialized_with_settings: false,
        workspace_reports: Arc::default(),
        report_generation: 0,
        cancellable: Vec::new(),
        folders: Vec::new(),
        docs: HashMap::new(),
        sources: HashMap::new(),
        source_generation: 0,
        workspace_sources_changed: false,
        jobs: job_tx,
        next_job: 0,
        next_request: 0,
        shutdown: false,
        shown_messages: Vec::new(),
    };
    server.initialize(id, &params);
    server.main_loop(&incoming, &result_rx)
}

/// Answers everything before `initialize` as the spec asks; `None` if the client left.
fn wait_for_initialize(
    incoming: &Receiver<Incoming>,
    out: &Sender<Outgoing>,
) -> Option<(RequestId, Value)> {
    for msg in incoming {
        match msg {
            Incoming::Message(Message::Request(req)) if req.method == "initialize" => {
                return Some((req.id, req.params));
            }
            Incoming::Message(Message::Request(req)) => {
                let _ = out.send(
                    Message::from(Response::new_err(
                        req.id,
                        ErrorCode::ServerNotInitialized as i32,
                        "the server is not initialized yet".into(),
                    ))
                    .into(),
                );
            }
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => return None,
            Incoming::Message(_) => {}
            Incoming::Malformed { id, code, message } => reply_malformed(out, id, code, message),
        }
    }
    None
}

fn reply_malformed(out: &Sender<Outgoing>, id: Option<RequestId>, code: i32, message: String) {
    eprintln!("pipelint-lsp: malformed message: {message}");
    let reply = match id {
        Some(id) => Message::from(Response::new_err(id, code, message)).into(),
        None => Outgoing::NullIdError { code, message },
    };
    let _ = out.send(reply);
}

fn pointer<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    v.pointer(path).filter(|v| !v.is_null())
}

impl Server {
    fn send(&self, msg: impl Into<Message>) {
        let _ = self.out.send(Outgoing::Message(msg.into()));
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Notification::new(method.to_string(), params));
    }

    /// A line of the server's log, if `logLevel` lets it through: on stderr, in the client's
    /// log (`window/logMessage`) and in the `logFile`.
    fn log(&mut self, level: LogLevel, message: String) {
        if level > self.settings.log_level {
            return;
        }
        eprintln!("pipelint-lsp: {message}");
        self.log_file.write(level, &message);
        self.notify(
            "window/logMessage",
            json!({"type": level.message_type(), "message": message}),
        );
    }

    /// Takes new settings; returns whether documents must be linted again.
    fn apply_settings(&mut self, value: &Value) -> bool {
        let before = (
            self.settings.options.clone(),
            self.settings.docs_url.clone(),
        );
        let cap = self.settings.max_diagnostics;
        for problem in self.settings.update(value) {
            self.log(LogLevel::Warning, format!("ignored a setting: {problem}"));
        }
        self.presentation.docs_url = self.settings.docs_url.clone();
        let base = self.folders.first().map(|(_, p)| p.clone());
        let wanted = self.settings.log_file.clone();
        if let Err(e) = self.log_file.open(wanted.as_deref(), base.as_deref()) {
            self.log(LogLevel::Warning, e);
        }
        let changed = before
            != (
                self.settings.options.clone(),
                self.settings.docs_url.clone(),
            )
            || cap != self.settings.max_diagnostics;
        if changed {
            self.forget_reports();
        }
        changed
    }

    /// Workspace reports are linted again at the next pull.
    fn forget_reports(&mut self) {
        self.workspace_reports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.report_generation += 1;
    }

    /// Takes settings the client sent or was asked for, and lints again if they change what
    /// a lint says.
    fn settings_changed(&mut self, value: &Value) {
        if self.apply_settings(value) {
            self.relint_all();
            self.refresh_pulled();
        }
    }

    /// Asks a client of the pull model for the `pipelint` section of its settings.
    fn ask_for_settings(&mut self) {
        if !self.configuration_support {
            return;
        }
        self.next_request += 1;
        let id = RequestId::from(format!("pipelint-{}", self.next_request));
        self.configuration_request = Some(id.clone());
        self.send(Request::new(
            id,
            "workspace/configuration".into(),
            json!({"items": [{"section": "pipelint"}]}),
        ));
    }

    /// Asks a pulling client to pull again (after a config or settings change, or a file
    /// changed on disk).
    fn refresh_pulled(&mut self) {
        if !(self.pull && self.refresh_support) {
            return;
        }
        self.next_request += 1;
        self.send(Request::new(
            RequestId::from(format!("pipelint-{}", self.next_request)),
            "workspace/diagnostic/refresh".into(),
            Value::Null,
        ));
    }

    // The client's capabilities are read field by field from the raw JSON: a capability we
    // do not understand must never stop the server from starting.
    fn initialize(&mut self, id: RequestId, params: &Value) {
        let caps = params.get("capabilities").unwrap_or(&Value::Null);
        let offered: Vec<String> = pointer(caps, "/general/positionEncodings")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let flag = |path: &str| pointer(caps, path).and_then(Value::as_bool) == Some(true);
        self.presentation.encoding = Encoding::negotiate(&offered);
        self.presentation.related_information =
            flag("/textDocument/publishDiagnostics/relatedInformation");
        self.presentation.code_description =
            flag("/textDocument/publishDiagnostics/codeDescriptionSupport");
        self.watch_files = flag("/workspace/didChangeWatchedFiles/dynamicRegistration");
        self.resolve_edits = client_resolves_edits(caps);
        self.snippets = SnippetEdits::of_client(caps);
        // The client's formats in order of preference: plain text when it puts that first.
        self.markdown_hover = pointer(caps, "/textDocument/hover/contentFormat")
            .and_then(Value::as_array)
            .and_then(|formats| {
                formats.iter().find_map(|f| match f.as_str() {
                    Some("markdown") => Some(true),
                    Some("plaintext") => Some(false),
                    _ => None,
                })
            })
            .unwrap_or(true);
        let can_pull = pointer(caps, "/textDocument/diagnostic").is_some_and(Value::is_object);
        self.refresh_support = flag("/workspace/diagnostics/refreshSupport");
        self.configuration_support = flag("/workspace/configuration");
        match pointer(params, "/workspaceFolders").and_then(Value::as_array) {
            Some(folders) => {
                for f in folders {
                    if let Some(u) = f.get("uri").and_then(Value::as_str) {
                        self.add_folder(u);
                    }
                }
            }
            None => {
                if let Some(u) = pointer(params, "/rootUri").and_then(Value::as_str) {
                    self.add_folder(u);
                } else if let Some(p) = pointer(params, "/rootPath").and_then(Value::as_str) {
                    self.folders.push((String::new(), PathBuf::from(p)));
                }
            }
        }
        // After the folders: a relative `logFile` is taken from the first.
        if let Some(options) = pointer(params, "/initializationOptions") {
            self.apply_settings(options);
            self.initialized_with_settings = holds_settings(options);
        }
        // Auto: pull only where the server can ask for a pull again after a config change
        // (`workspace/diagnostic/refresh`); Neovim 0.10 and 0.11 pull but cannot be asked,
        // and would keep showing diagnostics of the old config until the next edit.
        self.pull = match self.settings.diagnostic_mode {
            DiagnosticMode::Auto => can_pull && self.refresh_support,
            DiagnosticMode::Pull => true,
            DiagnosticMode::Push => false,
        };

        let capabilities = ServerCapabilities {
            position_encoding: Some(self.presentation.encoding.kind()),
            text_document_sync: Some(TextDocumentSync::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::Incremental),
                will_save: None,
                will_save_wait_until: None,
                save: Some(Save::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
            })),
            hover_provider: Some(HoverProvider::Bool(true)),
            definition_provider: Some(lsp_types::DefinitionProvider::Bool(true)),
            document_symbol_provider: Some(lsp_types::DocumentSymbolProvider::Bool(true)),
            code_action_provider: Some(CodeActionProvider::CodeActionOptions(CodeActionOptions {
                code_action_kinds: Some(vec![
                    lsp_types::CodeActionKind::QuickFix,
                    lsp_types::CodeActionKind::new(crate::actions::FIX_ALL),
                ]),
                resolve_provider: Some(true),
                ..CodeActionOptions::default()
            })),
            workspace: Some(WorkspaceOptions {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(true.into()),
                }),
                ..WorkspaceOptions::default()
            }),
            ..ServerCapabilities::default()
        };
        let (name, version) = self.analyzer.server_info();
        let result = InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name,
                version: Some(version),
            }),
        };
        // Completion and pull diagnostics are added as JSON: their option types are the
        // parts of the generated types most likely to change between versions.
        let mut result = serde_json::to_value(result).unwrap_or(Value::Null);
        if let Some(caps) = result
            .get_mut("capabilities")
            .and_then(Value::as_object_mut)
        {
            caps.insert(
                "completionProvider".into(),
                json!({"triggerCharacters": [" ", ":", "-"], "resolveProvider": false}),
            );
            if self.pull {
                caps.insert(
                    "diagnosticProvider".into(),
                    json!({"identifier": "pipelint", "interFileDependencies": true,
                           "workspaceDiagnostics": true}),
                );
            }
        }
        self.send(Response::new_ok(id, result));
    }

    fn add_folder(&mut self, folder_uri: &str) {
        if let Some(path) = uri::to_path(folder_uri) {
            self.folders.retain(|(u, _)| u != folder_uri);
            self.folders.push((folder_uri.to_string(), path));
        }
    }

    /// The innermost workspace folder holding `path`.
    fn folder_of(&self, path: Option<&PathBuf>) -> Option<PathBuf> {
        let path = path?;
        self.folders
            .iter()
            .filter(|(_, f)| path.starts_with(f))
            .max_by_key(|(_, f)| f.components().count())
            .map(|(_, f)| f.clone())
    }

    fn main_loop(&mut self, incoming: &Receiver<Incoming>, results: &Receiver<Done>) -> Exit {
        loop {
            let timer = match self.next_deadline() {
                Some(at) => crossbeam_channel::at(at),
                None => never(),
            };
            select! {
                recv(incoming) -> msg => {
                    let Ok(msg) = msg else {
                        // The client closed our input without `exit`.
                        return if self.shutdown { Exit::Clean } else { Exit::WithoutShutdown };
                    };
                    if let Some(exit) = self.handle_guarded(msg) {
                        return exit;
                    }
                }
                recv(results) -> done => match done {
                    Ok(Done::Lint(result)) => self.on_result(result),
                    Ok(Done::Reply(response, log)) => {
                        // Only workspace diagnostics are cancellable.
                        let workspace = self.cancellable.iter().any(|(id, _)| *id == response.id);
                        self.cancellable.retain(|(id, _)| *id != response.id);
                        if let Some(log) = log {
                            self.log(LogLevel::Error, log);
                        }
                        self.send(response);
                        if workspace && std::mem::take(&mut self.workspace_sources_changed) {
                            // Open files' pulled reports hold what those reports put on them.
                            self.source_generation += 1;
                            self.refresh_pulled();
                        }
                    }
                    Err(_) => {}
                },
                recv(timer) -> _ => {}
            }
            self.dispatch_due();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.docs.values().filter_map(|d| d.deadline).min()
    }

    fn dispatch_due(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .docs
            .iter()
            .filter(|(_, d)| d.deadline.is_some_and(|t| t <= now))
            .map(|(u, _)| u.clone())
            .collect();
        for uri in due {
            self.dispatch(&uri);
        }
    }

    /// Starts a lint of the document's current text; any older job's result is now stale.
    fn dispatch(&mut self, uri: &str) {
        self.next_job += 1;
        let id = self.next_job;
        let folder = self
            .docs
            .get(uri)
            .and_then(|d| self.folder_of(d.path.as_ref()));
        let Some(doc) = self.docs.get_mut(uri) else {
            return;
        };
        doc.deadline = None;
        doc.latest_job = id;
        let cancel = Cancel::new();
        if let Some(older) = doc.linting.replace(cancel.clone()) {
            older.cancel();
        }
        let unsaved: Arc<[(PathBuf, Arc<str>)]> = self
            .docs
            .iter()
            .filter(|(other, _)| other.as_str() != uri)
            .filter_map(|(_, d)| Some((d.path.clone()?, d.text.clone())))
            .collect();
        let Some(doc) = self.docs.get_mut(uri) else {
            return;
        };
        let job = Job {
            uri: uri.to_string(),
            version: doc.version,
            id,
            text: doc.text.clone(),
            path: doc.path.clone(),
            folder,
            presentation: self.presentation.clone(),
            options: self.settings.options.clone(),
            unsaved,
            cancel,
        };
        let _ = self.jobs.send(Work::Lint(job));
    }

    /// Lints every open document again (the config or the settings changed): their last
    /// results no longer answer requests.
    fn relint_all(&mut self) {
        let uris: Vec<String> = self.docs.keys().cloned().collect();
        for uri in uris {
            if let Some(doc) = self.docs.get_mut(&uri) {
                doc.cache = None;
            }
            self.dispatch(&uri);
        }
    }

    fn on_result(&mut self, result: JobResult) {
        let Some(doc) = self.docs.get(&result.uri) else {
            return; // closed meanwhile
        };
        if result.id != doc.latest_job || result.version != doc.version {
            return; // a newer job is running: never publish over it
        }
        let cached = match result.outcome {
            Ok(cached) => cached,
            Err(panic) => {
                let msg = format!(
                    "linting {} (version {}) failed: {panic}; no diagnostics published for it",
                    result.uri, result.version
                );
                self.log(LogLevel::Error, msg);
                if let Some(doc) = self.docs.get_mut(&result.uri) {
                    doc.linting = None;
                    for waiting in std::mem::take(&mut doc.waiting) {
                        let _ = self.out.send(
                            Message::from(Response::new_ok(waiting.id().clone(), Value::Null))
                                .into(),
                        );
                    }
                }
                return;
            }
        };
        let messages: Vec<String> = cached
            .analysis
            .iter()
            .flat_map(|a| a.messages.iter())
            .filter(|m| !self.shown_messages.contains(*m))
            .cloned()
            .collect();
        for message in messages {
            self.shown_messages.push(message.clone());
            self.log(LogLevel::Warning, message.clone());
            self.notify(
                "window/showMessage",
                lsp_types::ShowMessageParams {
                    kind: MessageType::Warning,
                    message,
                },
            );
        }
        let Some(doc) = self.docs.get_mut(&result.uri) else {
            return;
        };
        let is_pipeline = cached.analysis.is_some();
        let diagnostics = cached.diagnostics.clone();
        doc.sources = cached.sources.clone();
        doc.depends_on = cached.analysis.as_ref().and_then(|a| a.depends_on.clone());
        doc.cache = Some(cached);
        doc.linting = None;
        self.collect_sources();
        let Some(doc) = self.docs.get_mut(&result.uri) else {
            return;
        };
        for waiting in std::mem::take(&mut doc.waiting) {
            self.answer(&result.uri, waiting);
        }
        let Some(doc) = self.docs.get_mut(&result.uri) else {
            return;
        };
        if !is_pipeline && !doc.shown {
            return; // other YAML never gets diagnostics, not even an empty list
        }
        doc.shown = is_pipeline && !diagnostics.is_empty();
        let version = doc.version;
        self.log(
            LogLevel::Debug,
            format!(
                "{} v{version}: {} diagnostics in {:.1} ms",
                result.uri,
                diagnostics.len(),
                result.elapsed.as_secs_f64() * 1000.0
            ),
        );
        if self.pull {
            return; // the client asks for them (`textDocument/diagnostic`)
        }
        let capped = capped(&diagnostics, self.settings.max_diagnostics);
        self.publish(&result.uri, Some(version), capped);
    }

    /// Gathers the diagnostics that open documents put on other files and publishes (or,
    /// to a client that pulls, asks it to pull again) those of each file whose list
    /// changed: a file that no finding maps to any more gets an empty list.
    fn collect_sources(&mut self) {
        let mut now: HashMap<String, Vec<SourceDiagnostic>> = HashMap::new();
        let mut uris: Vec<&String> = self.docs.keys().collect();
        uris.sort(); // the same order every time
        for uri in uris {
            for s in self.docs[uri].sources.iter() {
                now.entry(s.uri.clone()).or_default().push(s.clone());
            }
        }
        fn same(a: Option<&Vec<SourceDiagnostic>>, b: Option<&Vec<SourceDiagnostic>>) -> bool {
            let (a, b) = (
                a.map_or(&[][..], Vec::as_slice),
                b.map_or(&[][..], Vec::as_slice),
            );
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.diagnostic == y.diagnostic)
        }
        let mut changed: Vec<String> = now
            .keys()
            .chain(self.sources.keys())
            .filter(|u| !same(now.get(*u), self.sources.get(*u)))
            .cloned()
            .collect();
        changed.sort();
        changed.dedup();
        // Files left with nothing are forgotten once their empty list is out.
        now.retain(|_, v| !v.is_empty());
        self.sources = now;
        if changed.is_empty() {
            return;
        }
        self.source_generation += 1;
        if self.pull {
            self.refresh_pulled();
            return;
        }
        for uri in changed {
            let diagnostics = self.source_diagnostics_of(&uri);
            self.publish(&uri, None, diagnostics);
        }
    }

    /// What is shown on a file: the diagnostics open documents put there (and, for a
    /// client that pulls, the files of its workspace diagnostics that are not open), capped.
    fn source_diagnostics_of(&self, uri: &str) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self
            .sources
            .get(uri)
            .into_iter()
            .flatten()
            .map(|s| s.diagnostic.clone())
            .collect();
        if self.pull {
            let open = self.docs.values().filter_map(|d| d.path.clone()).collect();
            all.extend(workspace::sources_on(&self.workspace_reports, &open, uri));
        }
        capped(&all, self.settings.max_diagnostics)
    }

    /// A file that documents' lints read changed (opened, edited, saved, closed or changed
    /// on disk): those documents are linted again after the usual pause, and what they
    /// showed no longer answers requests. The workspace reports that read it are dropped,
    /// and with `refresh` a pulling client is asked to pull them again (not while typing:
    /// the client's next pull gets them).
    fn relint_dependents(&mut self, path: &Path, except: &str, refresh: bool) {
        if workspace::forget_dependents(&self.workspace_reports, path) {
            self.workspace_sources_changed = true;
            if refresh {
                self.refresh_pulled();
            }
        }
        let due = Instant::now() + self.settings.debounce;
        let mut any = false;
        for (uri, doc) in &mut self.docs {
            if uri == except || !doc.depends_on.as_ref().is_some_and(|d| d.covers(path)) {
                continue;
            }
            doc.cache = None;
            doc.deadline = Some(doc.deadline.map_or(due, |d| d.min(due)));
            any = true;
        }
        if any {
            self.source_generation += 1;
        }
    }

    fn publish(&self, uri: &str, version: Option<i32>, diagnostics: Vec<Diagnostic>) {
        self.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams {
                uri: uri.into(),
                version,
                diagnostics,
            },
        );
    }

    /// Handles one message; a panic in a handler is logged (and answered, for a request)
    /// instead of ending the server.
    fn handle_guarded(&mut self, msg: Incoming) -> Option<Exit> {
        let request_id = match &msg {
            Incoming::Message(Message::Request(r)) => Some(r.id.clone()),
            _ => None,
        };
        match catch_unwind(AssertUnwindSafe(|| self.handle(msg))) {
            Ok(exit) => exit,
            Err(payload) => {
                let text = panic_message(payload);
                self.log(
                    LogLevel::Error,
                    format!("internal error while handling a message: {text}"),
                );
                if let Some(id) = request_id {
                    self.send(Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        format!("internal error: {text}"),
                    ));
                }
                None
            }
        }
    }

    fn handle(&mut self, msg: Incoming) -> Option<Exit> {
        match msg {
            Incoming::Malformed { id, code, message } => {
                reply_malformed(&self.out, id, code, message);
                None
            }
            Incoming::Message(Message::Request(req)) => {
                self.on_request(req);
                None
            }
            Incoming::Message(Message::Notification(n)) => self.on_notification(n),
            Incoming::Message(Message::Response(resp)) => {
                if self.configuration_request.as_ref() == Some(&resp.id) {
                    self.configuration_request = None;
                    if let Ok(items) = &resp.response_result {
                        // One item was asked for (the `pipelint` section); `null` means
                        // the client has none, and the settings stay as they are.
                        if let Some(section) = items.get(0).filter(|v| v.is_object()) {
                            self.settings_changed(section);
                        }
                    }
                }
                if let Err(e) = resp.response_result {
                    eprintln!(
                        "pipelint-lsp: the client answered request {} with an error: {}",
                        resp.id, e.message
                    );
                }
                None
            }
        }
    }

    fn on_request(&mut self, req: Request) {
        if self.shutdown {
            self.send(Response::new_err(
                req.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            ));
            return;
        }
        let id = req.id.clone();
        // `Ok(None)`: answered elsewhere (maybe later).
        let result: Result<Option<Value>, (ErrorCode, String)> = match req.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                Ok(Some(Value::Null))
            }
            "initialize" => Err((
                ErrorCode::InvalidRequest,
                "initialize was already received".into(),
            )),
            "textDocument/hover" => parse::<HoverParams>(req.params).map(|p| {
                let uri = p
                    .text_document_position_params
                    .text_document
                    .uri
                    .to_string();
                self.answer(&uri, Waiting::Hover(id.clone(), p));
                None
            }),
            "textDocument/codeAction" => parse::<CodeActionParams>(req.params).map(|p| {
                let uri = p.text_document.uri.to_string();
                self.answer(&uri, Waiting::CodeAction(id.clone(), p));
                None
            }),
            "codeAction/resolve" => {
                self.resolve_action(id.clone(), req.params);
                Ok(None)
            }
            "textDocument/diagnostic" => document_uri(&req.params).map(|uri| {
                let previous = req
                    .params
                    .get("previousResultId")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                self.answer(&uri, Waiting::Pull(id.clone(), previous));
                None
            }),
            "workspace/diagnostic" => {
                self.workspace_diagnostics(id.clone(), &req.params);
                Ok(None)
            }
            "textDocument/definition" => position_params(&req.params).map(|(uri, pos)| {
                self.on_text(&uri, id.clone(), move |analyzer, doc, lines, enc| {
                    let offset = lines.offset(pos, enc);
                    let targets = analyzer.definition(doc, offset);
                    navigate::locations(doc.uri, lines, &targets, enc)
                });
                None
            }),
            "textDocument/documentSymbol" => document_uri(&req.params).map(|uri| {
                self.on_text(&uri, id.clone(), |analyzer, doc, lines, enc| {
                    navigate::symbols(lines, &analyzer.symbols(doc), enc)
                });
                None
            }),
            // Completion is for the config file: in a pipeline, where the trigger characters
            // are typed all the time, it is answered at once without reading the document.
            "textDocument/completion" => position_params(&req.params).map(|(uri, pos)| {
                if !self.is_config(&uri) {
                    return Some(Value::Null);
                }
                self.on_text(&uri, id.clone(), move |analyzer, doc, lines, enc| {
                    let offset = lines.offset(pos, enc);
                    navigate::completions(&analyzer.completion(doc, offset))
                });
                None
            }),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("pipelint does not handle `{other}`"),
            )),
        };
        let response = match result {
            Ok(None) => return,
            Ok(Some(value)) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(response);
    }

    fn on_notification(&mut self, n: Notification) -> Option<Exit> {
        let method = n.method.clone();
        let outcome: Result<(), (ErrorCode, String)> = match method.as_str() {
            "exit" => {
                return Some(if self.shutdown {
                    Exit::Clean
                } else {
                    Exit::WithoutShutdown
                });
            }
            "initialized" => {
                self.register_watchers();
                if !self.initialized_with_settings {
                    self.ask_for_settings();
                }
                Ok(())
            }
            "textDocument/didOpen" => {
                parse::<DidOpenTextDocumentParams>(n.params).map(|p| self.did_open(p))
            }
            "textDocument/didChange" => {
                parse::<DidChangeTextDocumentParams>(n.params).map(|p| self.did_change(p))
            }
            "textDocument/didSave" => {
                parse::<DidSaveTextDocumentParams>(n.params).map(|p| self.did_save(p))
            }
            "textDocument/didClose" => {
                parse::<DidCloseTextDocumentParams>(n.params).map(|p| self.did_close(p))
            }
            "workspace/didChangeWatchedFiles" => {
                parse::<DidChangeWatchedFilesParams>(n.params).map(|p| self.watched_files(p))
            }
            "workspace/didChangeWorkspaceFolders" => {
                parse::<DidChangeWorkspaceFoldersParams>(n.params).map(|p| self.folders_changed(p))
            }
            "workspace/didChangeConfiguration" => parse::<DidChangeConfigurationParams>(n.params)
                .map(|p| {
                    if holds_settings(&p.settings) || !self.configuration_support {
                        self.settings_changed(&p.settings);
                    } else {
                        // VS Code's client (and any client of the pull model) says only
                        // that something changed: the settings themselves are asked for.
                        self.ask_for_settings();
                    }
                }),
            "$/cancelRequest" => {
                self.cancel_request(&n.params);
                Ok(())
            }
            _ => Ok(()), // `$/setTrace` and unknown notifications
        };
        if let Err((_, message)) = outcome {
            self.log(LogLevel::Warning, format!("ignored `{method}`: {message}"));
        }
        None
    }

    fn register_watchers(&mut self) {
        let names = self.analyzer.config_file_names();
        // Pipelines on disk matter only to a client that pulls workspace diagnostics; the
        // files lints read besides their document (the Python of KFP IR) to everyone.
        let mut patterns: Vec<&str> = self.analyzer.dependency_patterns().to_vec();
        if self.pull {
            patterns.extend(self.analyzer.watched_patterns());
        }
        if !self.watch_files || (names.is_empty() && patterns.is_empty()) {
            return;
        }
        let watchers: Vec<FileSystemWatcher> = names
            .iter()
            .map(|name| format!("**/{name}"))
            .chain(patterns.iter().map(|p| p.to_string()))
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::Pattern(glob),
                kind: None,
            })
            .collect();
        let options = lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers };
        self.next_request += 1;
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "pipelint-config-watcher".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.send(Request::new(
            RequestId::from(format!("pipelint-{}", self.next_request)),
            "client/registerCapability".into(),
            params,
        ));
    }

    fn is_config(&self, uri_or_path: &str) -> bool {
        let name = uri_or_path.rsplit(['/', '\\']).next().unwrap_or("");
        self.analyzer.config_file_names().contains(&name)
    }

    fn config_changed(&mut self) {
        self.analyzer.config_changed();
        self.forget_reports();
        self.relint_all();
        self.refresh_pulled();
    }

    fn did_open(&mut self, p: DidOpenTextDocumentParams) {
        let item = p.text_document;
        let uri = item.uri.to_string();
        let path = uri::to_path(&uri);
        let shown = self.docs.get(&uri).is_some_and(|d| d.shown);
        let older = self.docs.remove(&uri);
        self.docs.insert(
            uri.clone(),
            Doc {
                text: Arc::from(item.text),
                version: item.version,
                path,
                deadline: None,
                latest_job: 0,
                linting: None,
                text_cancel: Cancel::new(),
                waiting: Vec::new(),
                shown,
                cache: None,
                sources: older
                    .as_ref()
                    .map_or_else(Arc::default, |o| o.sources.clone()),
                depends_on: older.as_ref().and_then(|o| o.depends_on.clone()),
            },
        );
        if let Some(older) = older {
            self.forget(older);
        }
        // Its text now stands for the file: documents that read the file read it again.
        if let Some(path) = uri::to_path(&uri) {
            self.relint_dependents(&path, &uri, true);
        }
        self.dispatch(&uri);
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let uri = p.text_document.text_document_identifier.uri.to_string();
        let encoding = self.presentation.encoding;
        let debounce = self.settings.debounce;
        self.next_job += 1;
        let invalidate = self.next_job;
        let Some(doc) = self.docs.get_mut(&uri) else {
            return;
        };
        let mut text = doc.text.to_string();
        for change in p.content_changes {
            match change {
                TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(c) => {
                    text = c.text;
                }
                TextDocumentContentChangeEvent::TextDocumentContentChangePartial(c) => {
                    let lines = LineMap::new(Arc::from(text.as_str()));
                    let start = lines.offset(c.range.start, encoding);
                    let end = lines.offset(c.range.end, encoding).max(start);
                    text.replace_range(start..end, &c.text);
                }
            }
        }
        doc.text = Arc::from(text);
        doc.version = p.text_document.version;
        doc.cache = None;
        // Results of jobs on older text are dropped from now on (and the jobs stopped); the
        // new text is linted once typing pauses.
        doc.latest_job = invalidate;
        doc.deadline = Some(Instant::now() + debounce);
        let path = doc.path.clone();
        let waiting = Self::text_changed(doc);
        self.answer_modified(waiting);
        if let Some(path) = path {
            self.relint_dependents(&path, &uri, false);
        }
    }

    /// The document's text is no longer what running work was started on: stop that work.
    /// Returns the requests that were waiting for it.
    fn text_changed(doc: &mut Doc) -> Vec<Waiting> {
        if let Some(lint) = doc.linting.take() {
            lint.cancel();
        }
        doc.text_cancel.cancel();
        doc.text_cancel = Cancel::new();
        std::mem::take(&mut doc.waiting)
    }

    fn answer_modified(&self, waiting: Vec<Waiting>) {
        for w in waiting {
            self.send(content_modified(w.id().clone()));
        }
    }

    /// A document closed or replaced: its work stops, its waiting requests are answered.
    fn forget(&self, mut doc: Doc) {
        let waiting = Self::text_changed(&mut doc);
        self.answer_modified(waiting);
    }

    fn cancel_request(&mut self, params: &Value) {
        let Some(id) = params
            .get("id")
            .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok())
        else {
            return;
        };
        if let Some(at) = self.cancellable.iter().position(|(r, _)| *r == id) {
            self.cancellable.remove(at).1.cancel();
            return; // the task answers
        }
        for doc in self.docs.values_mut() {
            if let Some(at) = doc.waiting.iter().position(|w| *w.id() == id) {
                doc.waiting.remove(at);
                self.send(Response::new_err(
                    id,
                    ErrorCode::RequestCanceled as i32,
                    "cancelled by the client".into(),
                ));
                return;
            }
        }
    }

    fn did_save(&mut self, p: DidSaveTextDocumentParams) {
        let uri = p.text_document.uri.to_string();
        if let Some(text) = p.text {
            if let Some(doc) = self.docs.get_mut(&uri) {
                if *doc.text != *text {
                    doc.text = Arc::from(text);
                    doc.cache = None;
                    let waiting = Self::text_changed(doc);
                    self.answer_modified(waiting);
                }
            }
        }
        if self.is_config(&uri) {
            self.config_changed();
        } else if self.docs.contains_key(&uri) {
            self.dispatch(&uri);
        }
        if let Some(path) = uri::to_path(&uri) {
            self.relint_dependents(&path, &uri, true);
        }
    }

    fn did_close(&mut self, p: DidCloseTextDocumentParams) {
        let uri = p.text_document.uri.to_string();
        if let Some(doc) = self.docs.remove(&uri) {
            let shown = doc.shown;
            self.forget(doc);
            if shown && !self.pull {
                self.publish(&uri, None, Vec::new());
            }
            // What it put on other files goes with it; documents that read its text read
            // the file on disk now.
            self.collect_sources();
            if let Some(path) = uri::to_path(&uri) {
                self.relint_dependents(&path, &uri, true);
            }
        }
    }

    fn watched_files(&mut self, p: DidChangeWatchedFilesParams) {
        if p.changes.iter().any(|c| self.is_config(c.uri.as_ref())) {
            self.config_changed();
            return;
        }
        // Open documents whose lints read a changed file (the Python of KFP IR).
        for change in &p.changes {
            if let Some(path) = uri::to_path(change.uri.as_ref()) {
                self.relint_dependents(&path, "", false); // refreshed below
            }
        }
        // A pipeline changed on disk: its workspace report is stale (the reports also check
        // size and time, which a quick rewrite may keep).
        {
            let mut reports = self
                .workspace_reports
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for change in &p.changes {
                if let Some(path) = uri::to_path(change.uri.as_ref()) {
                    reports.remove(&path);
                }
            }
        }
        if !p.changes.is_empty() {
            self.refresh_pulled();
        }
    }

    fn folders_changed(&mut self, p: DidChangeWorkspaceFoldersParams) {
        for f in p.event.removed {
            let u = f.uri.to_string();
            self.folders.retain(|(x, _)| *x != u);
        }
        for f in p.event.added {
            self.add_folder(f.uri.as_ref());
        }
        // A document may now belong to another folder (and so another config).
        self.relint_all();
    }

    /// Answers a hover or code action request from the lint of the document's current
    /// text, or keeps it until that lint is done (starting it now: a request does not wait
    /// for the debounce). Fixes are computed on a worker.
    fn answer(&mut self, uri: &str, request: Waiting) {
        let Some(doc) = self.docs.get_mut(uri) else {
            self.send(Response::new_ok(request.id().clone(), Value::Null));
            return;
        };
        let Some(cached) = doc.cache.clone().filter(|c| c.version == doc.version) else {
            // A pull (sent by the editor after every change) waits for the debounce; a
            // request the user made starts the lint now.
            let pull = matches!(request, Waiting::Pull(..));
            doc.waiting.push(request);
            let due = if pull {
                doc.linting.is_none() && doc.deadline.is_none()
            } else {
                doc.linting.is_none() || doc.deadline.is_some()
            };
            if due {
                self.dispatch(uri);
            }
            return;
        };
        match request {
            Waiting::Hover(id, p) => match self.hover(&cached, &p) {
                Some(hover) => self.send(Response::new_ok(id, hover)),
                // Not on a finding: what the analyzer says about the text there (a key of
                // the config file).
                None => {
                    let pos = p.text_document_position_params.position;
                    let markdown = self.markdown_hover;
                    self.on_text(uri, id, move |analyzer, doc, lines, enc| {
                        let offset = lines.offset(pos, enc);
                        match analyzer.hover_at(doc, offset) {
                            Some(text) => json!({"contents": {
                                "kind": if markdown { "markdown" } else { "plaintext" },
                                "value": if markdown { text } else { convert::plain(&text) },
                            }}),
                            None => Value::Null,
                        }
                    });
                }
            },
            Waiting::CodeAction(id, p) => self.code_actions(uri, &cached, id, p),
            Waiting::Pull(id, previous) => {
                let result_id = format!(
                    "{}-{}-{}",
                    cached.version, self.report_generation, self.source_generation
                );
                let report = if previous.as_deref() == Some(result_id.as_str()) {
                    json!({"kind": "unchanged", "resultId": result_id})
                } else {
                    // Its own findings, then those that other documents map onto it.
                    let mut items = capped(&cached.diagnostics, self.settings.max_diagnostics);
                    items.extend(self.source_diagnostics_of(uri));
                    json!({"kind": "full", "resultId": result_id, "items": items})
                };
                self.send(Response::new_ok(id, report));
            }
        }
    }

    /// Answers a request on a worker from the document's current text, without waiting for
    /// its lint; if the text changes first, the answer is "content modified".
    fn on_text(
        &mut self,
        uri: &str,
        id: RequestId,
        answer: impl FnOnce(&dyn Analyzer, &DocumentRef<'_>, &LineMap, Encoding) -> Value
            + Send
            + 'static,
    ) {
        let Some(doc) = self.docs.get(uri) else {
            self.send(Response::new_ok(id, Value::Null));
            return;
        };
        let text = doc.text.clone();
        let path = doc.path.clone();
        let folder = self.folder_of(doc.path.as_ref());
        let cancel = doc.text_cancel.clone();
        let options = self.settings.options.clone();
        let encoding = self.presentation.encoding;
        let uri = uri.to_string();
        let task: Task = Box::new(move |analyzer: &dyn Analyzer| {
            if cancel.is_cancelled() {
                return Done::Reply(content_modified(id), None);
            }
            let lines = LineMap::new(text.clone());
            let doc = DocumentRef {
                uri: &uri,
                path: path.as_deref(),
                text: &text,
                workspace_folder: folder.as_deref(),
                cancel: &cancel,
                options: &options,
                unsaved: &[],
            };
            match catch_unwind(AssertUnwindSafe(|| {
                answer(analyzer, &doc, &lines, encoding)
            })) {
                _ if cancel.is_cancelled() => Done::Reply(content_modified(id), None),
                Ok(value) => Done::Reply(Response::new_ok(id, value), None),
                Err(payload) => Done::Reply(
                    Response::new_ok(id, Value::Null),
                    Some(format!(
                        "answering a request on {uri} failed: {}",
                        panic_message(payload)
                    )),
                ),
            }
        });
        let _ = self.jobs.send(Work::Task(task));
    }

    /// `workspace/diagnostic`: the pipelines of the workspace folders that are not open,
    /// linted from disk on a worker.
    fn workspace_diagnostics(&mut self, id: RequestId, params: &Value) {
        let previous: HashMap<String, String> = params
            .get("previousResultIds")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(|p| {
                        Some((
                            p.get("uri")?.as_str()?.to_string(),
                            p.get("value")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let job = workspace::WorkspaceJob {
            folders: self.folders.iter().map(|(_, p)| p.clone()).collect(),
            open: self.docs.values().filter_map(|d| d.path.clone()).collect(),
            unsaved: self
                .docs
                .values()
                .filter_map(|d| Some((d.path.clone()?, d.text.clone())))
                .collect(),
            previous,
            options: self.settings.options.clone(),
            presentation: self.presentation.clone(),
            max_diagnostics: self.settings.max_diagnostics,
            max_size: self.analyzer.max_document_size() as u64,
            reports: self.workspace_reports.clone(),
            generation: self.report_generation,
            cancel: Cancel::new(),
        };
        self.cancellable.push((id.clone(), job.cancel.clone()));
        let task: Task = Box::new(move |analyzer: &dyn Analyzer| {
            match catch_unwind(AssertUnwindSafe(|| workspace::run(analyzer, &job))) {
                Ok(Some(report)) => Done::Reply(Response::new_ok(id, report), None),
                Ok(None) => Done::Reply(
                    Response::new_err(
                        id,
                        ErrorCode::RequestCanceled as i32,
                        "cancelled by the client".into(),
                    ),
                    None,
                ),
                Err(payload) => Done::Reply(
                    Response::new_ok(id, json!({"items": []})),
                    Some(format!(
                        "workspace diagnostics failed: {}",
                        panic_message(payload)
                    )),
                ),
            }
        });
        let _ = self.jobs.send(Work::Task(task));
    }

    /// Findings (with their diagnostics) on the lines `first..=last`, as indices.
    fn findings_on_lines(cached: &Cached, first: u32, last: u32) -> Vec<usize> {
        let Some(analysis) = cached.analysis.as_ref() else {
            return Vec::new();
        };
        analysis
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                let (a, b) = convert::lines_of(f, &cached.lines);
                a <= last && first <= b
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn hover(&self, cached: &Cached, p: &HoverParams) -> Option<Hover> {
        let line = p.text_document_position_params.position.line;
        let analysis = cached.analysis.as_ref()?;
        let on_line = Self::findings_on_lines(cached, line, line);
        let range = cached.diagnostics[*on_line.first()?].range;
        let findings: Vec<&Finding> = on_line.iter().map(|&i| &analysis.findings[i]).collect();
        let analyzer = self.analyzer.clone();
        let text = catch_unwind(AssertUnwindSafe(|| {
            convert::hover_text(&findings, &self.presentation, self.markdown_hover, |id| {
                RuleHelp {
                    summary: analyzer.rule_summary(id),
                    page: analyzer.rule_doc(id),
                }
            })
        }))
        .ok()?;
        Some(Hover {
            contents: Contents::MarkupContent(MarkupContent {
                kind: if self.markdown_hover {
                    MarkupKind::Markdown
                } else {
                    MarkupKind::PlainText
                },
                value: text,
            }),
            range: Some(range),
        })
    }

    fn code_actions(&mut self, uri: &str, cached: &Cached, id: RequestId, p: CodeActionParams) {
        let wants_quickfix = p.context.only.as_ref().is_none_or(|kinds| {
            kinds.iter().any(|k| {
                let k = String::from(k.clone());
                k.is_empty() || "quickfix".starts_with(&k)
            })
        });
        let encoding = self.presentation.encoding;
        let first = cached
            .lines
            .line_of(cached.lines.offset(p.range.start, encoding));
        let last = cached
            .lines
            .line_of(cached.lines.offset(p.range.end, encoding))
            .max(first);
        let hits = if wants_quickfix {
            Self::findings_on_lines(cached, first, last)
        } else {
            Vec::new()
        };
        // "Fix all" when asked for by kind, else beside a diagnostic that has a safe fix.
        let fix_all = match p.context.only.as_deref() {
            None => FixAllOffer::IfAHitIsFixable,
            Some(kinds) if crate::actions::asks_for_fix_all(kinds) => FixAllOffer::IfAnyIsFixable,
            Some(_) => FixAllOffer::Never,
        };
        let nothing = hits.is_empty() && fix_all != FixAllOffer::IfAnyIsFixable;
        let Some(doc) = self.docs.get(uri).filter(|_| !nothing) else {
            let actions = if wants_quickfix {
                self.source_actions(uri, first, last)
            } else {
                Vec::new()
            };
            self.send(Response::new_ok(id, actions));
            return;
        };
        let job = FixJob {
            request: id,
            uri: uri.to_string(),
            text: doc.text.clone(),
            path: doc.path.clone(),
            folder: self.folder_of(doc.path.as_ref()),
            cached: cached.clone(),
            hits,
            fix_all,
            resolve: self.resolve_edits,
            snippets: self.snippets,
            encoding,
            options: self.settings.options.clone(),
            cancel: doc.text_cancel.clone(),
        };
        let _ = self.jobs.send(Work::Fixes(job));
    }

    /// `codeAction/resolve`: the edits of a listed action, computed on a worker from the
    /// lint the list was made from; if the document changed since, "content modified".
    fn resolve_action(&mut self, id: RequestId, action: Value) {
        let Some(target) = action.get("data").and_then(Resolve::from_json) else {
            // Not one of ours (or the client lost its data): nothing to add.
            self.send(Response::new_ok(id, action));
            return;
        };
        let Some(doc) = self.docs.get(&target.uri) else {
            self.send(content_modified(id));
            return;
        };
        let cached = doc
            .cache
            .clone()
            .filter(|c| c.version == doc.version && c.lint == target.lint);
        let Some(cached) = cached else {
            self.send(content_modified(id));
            return;
        };
        let job = ResolveJob {
            request: id,
            action,
            text: doc.text.clone(),
            path: doc.path.clone(),
            folder: self.folder_of(doc.path.as_ref()),
            cached,
            target,
            snippets: self.snippets,
            encoding: self.presentation.encoding,
            options: self.settings.options.clone(),
            cancel: doc.text_cancel.clone(),
        };
        let _ = self.jobs.send(Work::Resolve(job));
    }
}

impl Server {
    /// The ignore comments for the diagnostics other documents put on lines `first..=last`
    /// of `uri` (a Python line a KFP IR finding maps to). The fixes of the IR are not
    /// offered there: they edit the compiled file, which the next compile overwrites.
    fn source_actions(&self, uri: &str, first: u32, last: u32) -> Vec<Value> {
        let version = self.docs.get(uri).map_or(0, |d| d.version);
        self.sources
            .get(uri)
            .into_iter()
            .flatten()
            .filter(|s| {
                let (a, b) = (s.diagnostic.range.start.line, s.diagnostic.range.end.line);
                a <= last && first <= b
            })
            .filter_map(|s| {
                let fix = s.ignore.as_ref()?;
                let target = EditTarget {
                    uri,
                    version,
                    lines: &s.lines,
                    encoding: self.presentation.encoding,
                };
                Some(fix_action(fix, &s.diagnostic, &target, self.snippets))
            })
            .collect()
    }
}

/// `textDocument.uri` of a request's params.
fn document_uri(params: &Value) -> Result<String, (ErrorCode, String)> {
    pointer(params, "/textDocument/uri")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or((
            ErrorCode::InvalidParams,
            "invalid params: no textDocument.uri".into(),
        ))
}

/// `textDocument.uri` and `position` of a request's params.
fn position_params(params: &Value) -> Result<(String, Position), (ErrorCode, String)> {
    let uri = document_uri(params)?;
    let position = params
        .get("position")
        .and_then(|p| serde_json::from_value::<Position>(p.clone()).ok())
        .ok_or((
            ErrorCode::InvalidParams,
            "invalid params: no position".into(),
        ))?;
    Ok((uri, position))
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params)
        .map_err(|e| (ErrorCode::InvalidParams, format!("invalid params: {e}")))
}

/// Settings sent inline: an object with at least one key. `null` and `{}` are what clients
/// of the pull model send to say only that something changed.
fn holds_settings(value: &Value) -> bool {
    value.as_object().is_some_and(|o| !o.is_empty())
}
