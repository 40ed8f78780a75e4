//! The main loop driven in memory with a scripted analyzer: lifecycle, debounce, stale
//! results, panics, malformed input. (The real server over stdio, with the real analyzer and
//! a real client, is tested by the pytest-lsp suite in `tests/e2e/`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Message, Notification, Request, RequestId};
use pipelint_lsp::transport::{Incoming, Outgoing};
use pipelint_lsp::{
    serve, Analysis, Analyzer, DependsOn, DocumentRef, Edit, Exit, Finding, Fix, FixKind, Offer,
    Severity, SourcePlace, Symbol, SymbolKind, Target,
};
use serde_json::{json, Value};

/// Pipelines are texts starting with `kind:`; every `latest` is a finding, fixed by writing
/// `1.0` or ignored by a comment at the end of its line with a `<why>` to replace. A line
/// `source <path>` maps the findings to `make_step()` in that Python file as the editor
/// holds it (like KFP IR and its Python); a Python file that says `STALE` maps nothing and
/// gives one `stale-compiled-pipeline` finding instead. `PANIC` panics, `SLOW` takes
/// 400 ms, `BLOCK` notes the text's last line in `started`, waits until the server cancels
/// it (at most 20 s) and notes the line in `cancelled`.
#[derive(Default)]
struct Scripted {
    calls: AtomicUsize,
    /// Calls of `fixes` and `fix_all`: the edits' work.
    edit_calls: AtomicUsize,
    started: Mutex<Vec<String>>,
    cancelled: Mutex<Vec<String>>,
}

impl Analyzer for Scripted {
    fn analyze(&self, doc: &DocumentRef<'_>) -> Option<Analysis> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if doc.text.contains("PANIC") {
            panic!("scripted panic");
        }
        if doc.text.contains("SLOW") {
            std::thread::sleep(Duration::from_millis(400));
        }
        if doc.text.contains("BLOCK") {
            let last = doc.text.lines().last().unwrap_or("").to_string();
            self.started.lock().unwrap().push(last);
            let deadline = Instant::now() + Duration::from_secs(20);
            while !doc.cancel.is_cancelled() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if doc.cancel.is_cancelled() {
                let last = doc.text.lines().last().unwrap_or("").to_string();
                self.cancelled.lock().unwrap().push(last);
            }
        }
        if !doc.text.starts_with("kind:") {
            return None;
        }
        let findings = doc
            .text
            .match_indices("latest")
            .map(|(at, m)| Finding {
                rule: "unpinned-image".into(),
                severity: Severity::Error,
                message: "unpinned".into(),
                label: String::new(),
                help: String::new(),
                span: at..at + m.len(),
                related: Vec::new(),
                doc_url: None,
                data: None,
                sources: Vec::new(),
            })
            .collect::<Vec<_>>();
        let mut findings = findings;
        let source = doc.text.lines().find_map(|l| l.strip_prefix("source "));
        let depends_on = source.map(|path| DependsOn {
            dir: std::path::Path::new(path).parent().unwrap().to_path_buf(),
            extension: "py".into(),
        });
        let python = source.and_then(|path| {
            doc.unsaved
                .iter()
                .find(|(p, _)| p == std::path::Path::new(path))
        });
        if let Some((path, text)) = python {
            if text.contains("STALE") {
                findings.push(Finding {
                    rule: "stale-compiled-pipeline".into(),
                    severity: Severity::Info,
                    message: "recompile".into(),
                    label: String::new(),
                    help: String::new(),
                    span: 0..4,
                    related: Vec::new(),
                    doc_url: None,
                    data: None,
                    sources: Vec::new(),
                });
            } else if let Some(at) = text.find("make_step()") {
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                for f in findings.iter_mut() {
                    f.sources.push(SourcePlace {
                        path: path.clone(),
                        text: text.clone(),
                        span: at..at + "make_step()".len(),
                        message: "task created here".into(),
                        ignore: Some(Fix {
                            title: format!("Ignore {} on this line", f.rule),
                            kind: FixKind::Suppress,
                            edits: vec![Edit {
                                span: end..end,
                                new_text: format!("  # pipelint: ignore[{}] <reason>", f.rule),
                            }],
                            preferred: false,
                            placeholder: Some("<reason>".into()),
                        }),
                    });
                }
            }
        }
        Some(Analysis {
            findings,
            messages: Vec::new(),
            depends_on,
        })
    }

    fn offers(&self, _: &DocumentRef<'_>, _: &Finding) -> Vec<Offer> {
        vec![
            Offer {
                title: PIN.into(),
                kind: FixKind::QuickFix,
                preferred: true,
            },
            Offer {
                title: IGNORE.into(),
                kind: FixKind::Suppress,
                preferred: false,
            },
        ]
    }

    fn fixes(&self, doc: &DocumentRef<'_>, findings: &[&Finding]) -> Vec<Vec<Fix>> {
        self.edit_calls.fetch_add(1, Ordering::SeqCst);
        findings
            .iter()
            .map(|f| {
                let line_end = doc.text[f.span.end..]
                    .find('\n')
                    .map_or(doc.text.len(), |i| f.span.end + i);
                vec![
                    Fix {
                        title: PIN.into(),
                        kind: FixKind::QuickFix,
                        edits: vec![Edit {
                            span: f.span.clone(),
                            new_text: "1.0".into(),
                        }],
                        preferred: true,
                        placeholder: None,
                    },
                    Fix {
                        title: IGNORE.into(),
                        kind: FixKind::Suppress,
                        edits: vec![Edit {
                            span: line_end..line_end,
                            new_text: "  # ignore <why>".into(),
                        }],
                        preferred: false,
                        placeholder: Some("<why>".into()),
                    },
                ]
            })
            .collect()
    }

    fn fix_all(&self, doc: &DocumentRef<'_>) -> Option<Vec<Edit>> {
        self.edit_calls.fetch_add(1, Ordering::SeqCst);
        let edits: Vec<Edit> = doc
            .text
            .match_indices("latest")
            .map(|(at, m)| Edit {
                span: at..at + m.len(),
                new_text: "1.0".into(),
            })
            .collect();
        (!edits.is_empty()).then_some(edits)
    }

    fn rule_doc(&self, rule: &str) -> Option<String> {
        Some(format!("# {rule}"))
    }

    /// Each line `step <name>` is a step; `run <name>` is defined at that step.
    fn symbols(&self, doc: &DocumentRef<'_>) -> Vec<Symbol> {
        let mut at = 0;
        let mut out = Vec::new();
        for line in doc.text.split_inclusive('\n') {
            if let Some(name) = line.strip_prefix("step ") {
                let name = name.trim_end();
                out.push(Symbol {
                    name: name.to_string(),
                    detail: None,
                    kind: SymbolKind::Step,
                    span: at..at + line.trim_end().len(),
                    name_span: at + 5..at + 5 + name.len(),
                    children: Vec::new(),
                });
            }
            at += line.len();
        }
        out
    }

    fn definition(&self, doc: &DocumentRef<'_>, offset: usize) -> Vec<Target> {
        let line_start = doc.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line = doc.text[line_start..].lines().next().unwrap_or("");
        let Some(name) = line.strip_prefix("run ") else {
            return Vec::new();
        };
        self.symbols(doc)
            .into_iter()
            .filter(|s| s.name == name)
            .map(|s| Target {
                path: None,
                text: None,
                span: s.span,
                name_span: s.name_span,
            })
            .collect()
    }

    fn server_info(&self) -> (String, String) {
        ("scripted".into(), "0".into())
    }
}

struct Client {
    tx: Option<Sender<Incoming>>,
    rx: Receiver<Outgoing>,
    server: Option<JoinHandle<Exit>>,
    next_id: i32,
}

impl Client {
    fn start() -> Client {
        Client::start_with(Arc::new(Scripted::default()))
    }

    fn start_with(analyzer: Arc<Scripted>) -> Client {
        let (tx, in_rx) = crossbeam_channel::unbounded();
        let (out_tx, rx) = crossbeam_channel::unbounded();
        let server = std::thread::spawn(move || serve(analyzer, in_rx, out_tx));
        Client {
            tx: Some(tx),
            rx,
            server: Some(server),
            next_id: 0,
        }
    }

    fn send(&self, msg: Incoming) {
        self.tx.as_ref().unwrap().send(msg).unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Incoming::Message(Message::Request(Request::new(
            id.clone(),
            method.into(),
            params,
        ))));
        id
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(Incoming::Message(Message::Notification(Notification::new(
            method.into(),
            params,
        ))));
    }

    fn next(&self, timeout: Duration) -> Option<Outgoing> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// The response to `id`, skipping notifications.
    fn response(&self, id: &RequestId) -> Result<Value, (i32, String)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(msg) = self.next(deadline.saturating_duration_since(Instant::now())) {
            if let Outgoing::Message(Message::Response(r)) = msg {
                if &r.id == id {
                    return r.response_result.map_err(|e| (e.code, e.message));
                }
            }
        }
        panic!("no response to {id}");
    }

    /// Every `publishDiagnostics` within `window`, as (uri, version, diagnostics).
    fn publishes(&self, window: Duration) -> Vec<(String, Option<i64>, Vec<Value>)> {
        let deadline = Instant::now() + window;
        let mut out = Vec::new();
        while let Some(msg) = self.next(deadline.saturating_duration_since(Instant::now())) {
            if let Outgoing::Message(Message::Notification(n)) = msg {
                if n.method == "textDocument/publishDiagnostics" {
                    out.push((
                        n.params["uri"].as_str().unwrap().to_string(),
                        n.params["version"].as_i64(),
                        n.params["diagnostics"].as_array().unwrap().clone(),
                    ));
                }
            }
        }
        out
    }

    fn initialize(&mut self, options: Value) -> Value {
        self.initialize_with(
            json!({"general": {"positionEncodings": ["utf-32", "utf-16"]}}),
            options,
        )
    }

    fn initialize_with(&mut self, capabilities: Value, options: Value) -> Value {
        let id = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        let result = self.response(&id).unwrap();
        self.notify("initialized", json!({}));
        result
    }

    fn open(&self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}}),
        );
    }

    fn change(&self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn finish(mut self) -> Exit {
        self.tx.take();
        self.server.take().unwrap().join().unwrap()
    }
}

const SHORT: Duration = Duration::from_millis(600);

const PIN: &str = "Pin the version";
const IGNORE: &str = "Ignore unpinned-image";
const FIX_ALL: &str = "Fix all pipelint problems in this file";

#[test]
fn lifecycle_follows_the_spec() {
    let mut c = Client::start();
    let early = c.request("textDocument/hover", json!({}));
    assert_eq!(c.response(&early).unwrap_err().0, -32002);
    let init = c.initialize(json!(null));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-32");
    // Incremental sync: an edit sends the change, not the document.
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2);
    assert_eq!(init["capabilities"]["definitionProvider"], true);
    assert_eq!(init["capabilities"]["documentSymbolProvider"], true);
    // No pull diagnostics for a client that cannot pull.
    assert!(init["capabilities"].get("diagnosticProvider").is_none());
    assert_eq!(init["serverInfo"]["name"], "scripted");
    let again = c.request("initialize", json!({"capabilities": {}}));
    assert_eq!(c.response(&again).unwrap_err().0, -32600);
    let unknown = c.request("textDocument/rename", json!({}));
    assert_eq!(c.response(&unknown).unwrap_err().0, -32601);
    let no_position = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": "file:///x"}}),
    );
    assert_eq!(c.response(&no_position).unwrap_err().0, -32602);
    let bad = c.request("textDocument/hover", json!({"bogus": true}));
    assert_eq!(c.response(&bad).unwrap_err().0, -32602);
    c.notify("$/cancelRequest", json!({"id": 1}));
    c.notify("workspace/somethingNew", json!([1, 2]));
    let shutdown = c.request("shutdown", Value::Null);
    assert_eq!(c.response(&shutdown).unwrap(), Value::Null);
    let late = c.request("textDocument/hover", json!({}));
    assert_eq!(c.response(&late).unwrap_err().0, -32600);
    c.notify("exit", Value::Null);
    assert_eq!(c.finish(), Exit::Clean);
}

#[test]
fn exit_without_shutdown_is_an_error_and_so_is_a_vanished_client() {
    let mut c = Client::start();
    c.initialize(json!(null));
    c.notify("exit", Value::Null);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
    let mut c = Client::start();
    c.initialize(json!(null));
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn malformed_messages_are_answered_and_the_server_goes_on() {
    let mut c = Client::start();
    c.initialize(json!(null));
    c.send(Incoming::Malformed {
        id: None,
        code: -32700,
        message: "not JSON".into(),
    });
    match c.next(SHORT) {
        Some(Outgoing::NullIdError { code, .. }) => assert_eq!(code, -32700),
        other => panic!("{other:?}"),
    }
    c.send(Incoming::Malformed {
        id: Some(RequestId::from(77)),
        code: -32600,
        message: "no method".into(),
    });
    assert_eq!(c.response(&RequestId::from(77)).unwrap_err().0, -32600);
    // Notifications with bad params are logged, not fatal.
    c.notify("textDocument/didOpen", json!({"textDocument": 3}));
    let id = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///nope.yaml"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(c.response(&id).unwrap(), Value::Null);
}

#[test]
fn a_panicking_lint_publishes_nothing_and_harms_no_one() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 20}));
    c.open("file:///bad.yaml", 1, "kind: Workflow\nPANIC latest\n");
    c.open("file:///good.yaml", 1, "kind: Workflow\nimage: x:latest\n");
    let published = c.publishes(SHORT);
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].0, "file:///good.yaml");
    // The broken document recovers once its text no longer panics.
    c.change("file:///bad.yaml", 2, "kind: Workflow\nimage: latest\n");
    let published = c.publishes(SHORT);
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].1, Some(2));
    // A hover on a panicking text answers null instead of taking the server down.
    c.change("file:///bad.yaml", 3, "kind: Workflow\nPANIC\n");
    let id = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///bad.yaml"}, "position": {"line": 1, "character": 0}}),
    );
    assert_eq!(c.response(&id).unwrap(), Value::Null);
    let shutdown = c.request("shutdown", Value::Null);
    assert!(c.response(&shutdown).is_ok());
}

#[test]
fn typing_is_debounced_and_stale_results_never_win() {
    let mut c = Client::start();
    c.initialize(json!(null)); // the default 200 ms
    let uri = "file:///w.yaml";
    // A slow first lint, overtaken by edits: its result must not be published.
    c.open(uri, 1, "kind: Workflow\nSLOW latest latest latest\n");
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    for v in 2..=6 {
        c.change(
            uri,
            v,
            &format!("kind: Workflow\n{}\n", "latest ".repeat(v as usize)),
        );
    }
    let first = loop {
        match c.next(Duration::from_secs(5)) {
            Some(Outgoing::Message(Message::Notification(n)))
                if n.method == "textDocument/publishDiagnostics" =>
            {
                break n.params;
            }
            Some(_) => continue,
            None => panic!("nothing published"),
        }
    };
    assert!(
        started.elapsed() >= Duration::from_millis(190),
        "published {:?} after the last edit, before the debounce",
        started.elapsed()
    );
    assert_eq!(first["version"], 6, "{first}");
    assert_eq!(first["diagnostics"].as_array().unwrap().len(), 6);
    let rest = c.publishes(Duration::from_millis(800));
    assert!(
        rest.is_empty(),
        "one publish for a burst of edits: {rest:?}"
    );
}

#[test]
fn other_yaml_gets_nothing_and_leaving_pipeline_shape_clears() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 10}));
    let uri = "file:///x.yaml";
    c.open(uri, 1, "name: not a pipeline latest\n");
    assert!(c.publishes(SHORT).is_empty());
    c.change(uri, 2, "kind: Workflow\nimage: latest\n");
    let p = c.publishes(SHORT);
    assert_eq!((p.len(), p[0].2.len()), (1, 1), "{p:?}");
    // UTF-32 was negotiated: columns count code points.
    c.change(uri, 3, "kind: Workflow\n# é😀 latest\n");
    let p = c.publishes(SHORT);
    assert_eq!(
        p[0].2[0]["range"]["start"],
        json!({"line": 1, "character": 5})
    );
    c.change(uri, 4, "name: not a pipeline any more\n");
    let p = c.publishes(SHORT);
    assert_eq!(p.len(), 1);
    assert!(p[0].2.is_empty());
    c.change(uri, 5, "kind: Workflow\nimage: latest\n");
    assert_eq!(c.publishes(SHORT).len(), 1);
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    let p = c.publishes(SHORT);
    assert_eq!(p.len(), 1);
    assert!(p[0].2.is_empty());
    assert_eq!(p[0].1, None);
}

/// A lone CR ends a line as LF and CRLF do (LSP and YAML 1.2 agree): a CR-only file is not
/// one long line.
#[test]
fn cr_only_and_mixed_line_endings_give_the_right_positions() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 10}));
    let uri = "file:///cr.yaml";
    c.open(uri, 1, "kind: Workflow\r# é😀\rimage: latest\r");
    let p = c.publishes(SHORT);
    assert_eq!(
        p[0].2[0]["range"],
        json!({"start": {"line": 2, "character": 7}, "end": {"line": 2, "character": 13}})
    );
    // Each kind of line ending in turn; UTF-32 columns after an astral character.
    c.change(uri, 2, "kind: Workflow\r\n# x\r😀: latest\nlatest");
    let p = c.publishes(SHORT);
    let starts: Vec<&Value> = p[0].2.iter().map(|d| &d["range"]["start"]).collect();
    assert_eq!(
        starts,
        [
            &json!({"line": 2, "character": 3}),
            &json!({"line": 3, "character": 0})
        ]
    );
}

/// What the server sent, in order, until `until` holds for the list: each response as
/// `response <id> ok|<error code>`, each publish as `publish <uri> v<version>`.
fn events(c: &Client, until: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while !until(&seen) {
        let Some(msg) = c.next(deadline.saturating_duration_since(Instant::now())) else {
            panic!("gave up waiting; saw {seen:?}");
        };
        match msg {
            Outgoing::Message(Message::Response(r)) => seen.push(format!(
                "response {} {}",
                r.id,
                r.response_result
                    .as_ref()
                    .map_or_else(|e| e.code.to_string(), |_| "ok".to_string())
            )),
            Outgoing::Message(Message::Notification(n))
                if n.method == "textDocument/publishDiagnostics" =>
            {
                seen.push(format!(
                    "publish {} v{}",
                    n.params["uri"].as_str().unwrap_or(""),
                    n.params["version"]
                ))
            }
            _ => {}
        }
    }
    seen
}

/// What the analyzer noted as cancelled, once it noted anything (a cancelled lint notices
/// within milliseconds; 10 s is the limit).
fn cancelled_soon(analyzer: &Scripted) -> Vec<String> {
    soon(&analyzer.cancelled, 1)
}

/// The list once it has `n` entries (or after 10 s).
fn soon(list: &Mutex<Vec<String>>, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while list.lock().unwrap().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    list.lock().unwrap().clone()
}

fn hover(c: &mut Client, uri: &str) -> RequestId {
    c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 0}}),
    )
}

#[test]
fn a_superseded_lint_is_cancelled_and_the_new_text_is_linted() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize(json!({"debounceMs": 0}));
    let uri = "file:///w/slow.yaml";
    c.open(uri, 1, "kind: Workflow\nBLOCK\nv1");
    assert_eq!(soon(&analyzer.started, 1), ["v1"]);
    // v1's lint runs until it is cancelled.
    c.change(uri, 2, "kind: Workflow\nBLOCK\nv2");
    c.change(uri, 3, "kind: Workflow\nimage: latest\nv3");
    let seen = events(&c, |seen| seen.iter().any(|e| e.starts_with("publish")));
    assert_eq!(seen, [format!("publish {uri} v3")]);
    // v1 was running and is stopped (v2 too, if it ever started: either may note it first).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !analyzer
        .cancelled
        .lock()
        .unwrap()
        .contains(&"v1".to_string())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let cancelled = analyzer.cancelled.lock().unwrap().clone();
    assert!(cancelled.contains(&"v1".to_string()), "{cancelled:?}");
    assert!(!cancelled.contains(&"v3".to_string()), "{cancelled:?}");
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn closing_a_document_stops_its_lint_and_answers_what_waited_for_it() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize(json!({"debounceMs": 0}));
    let slow = "file:///w/slow.yaml";
    let quick = "file:///w/quick.yaml";
    c.open(slow, 1, "kind: Workflow\nBLOCK latest\nslow");
    // A request on the slow document waits for its lint; one on another document does not.
    let waiting = hover(&mut c, slow);
    c.open(quick, 1, "kind: Workflow\nimage: latest\n");
    let answered = hover(&mut c, quick);
    let seen = events(&c, |seen| {
        seen.contains(&format!("response {answered} ok"))
            && seen.contains(&format!("publish {quick} v1"))
    });
    assert!(
        !seen.iter().any(|e| e.contains(&waiting.to_string())),
        "{seen:?}"
    );
    // Closing the slow document cancels its lint; the request waiting for it is told the
    // content changed (-32801).
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": slow}}),
    );
    let seen = events(&c, |seen| {
        seen.iter()
            .any(|e| e.starts_with(&format!("response {waiting}")))
    });
    assert!(
        seen.contains(&format!("response {waiting} -32801")),
        "{seen:?}"
    );
    assert_eq!(cancelled_soon(&analyzer), ["slow"]);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn requests_are_answered_from_the_lint_of_the_current_text() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 5000}));
    let uri = "file:///w/p.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: alpine\n");
    // The change is not linted before the debounce, but a request does not wait for it.
    c.change(uri, 2, "kind: Workflow\nimage: latest\n");
    let id = hover(&mut c, uri);
    let result = c.response(&id).unwrap();
    assert!(
        result["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("unpinned-image"),
        "{result}"
    );
    let id = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 3}},
               "context": {"diagnostics": []}}),
    );
    let titles: Vec<Value> = c
        .response(&id)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].clone())
        .collect();
    assert_eq!(titles, [PIN, IGNORE, FIX_ALL]);
    // A request the client cancels while it waits is answered with -32800.
    c.change(uri, 3, "kind: Workflow\nBLOCK\n");
    let id = hover(&mut c, uri);
    c.notify("$/cancelRequest", json!({"id": id}));
    assert_eq!(c.response(&id).unwrap_err().0, -32800);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_version_superseded_while_queued_is_never_linted() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize(json!({"debounceMs": 0}));
    // Two blocked lints hold both workers (the server runs at least two).
    c.open("file:///w/a.yaml", 1, "kind: Workflow\nBLOCK\na1");
    c.open("file:///w/b.yaml", 1, "kind: Workflow\nBLOCK\nb1");
    assert_eq!(soon(&analyzer.started, 2).len(), 2);
    let uri = "file:///w/c.yaml";
    c.open(uri, 1, "kind: Workflow\nBLOCK\nc1");
    c.change(uri, 2, "kind: Workflow\nimage: latest\nc2");
    // Free the workers.
    for done in ["file:///w/a.yaml", "file:///w/b.yaml"] {
        c.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": done}}),
        );
    }
    let seen = events(&c, |seen| seen.iter().any(|e| e.contains("c.yaml")));
    assert_eq!(seen, [format!("publish {uri} v2")]);
    let mut started = analyzer.started.lock().unwrap().clone();
    started.sort();
    assert_eq!(
        started,
        ["a1", "b1"],
        "c1 was linted after it was superseded"
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

/// The `(line, character)` of each diagnostic.
fn starts(diagnostics: &[Value]) -> Vec<(u64, u64)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn incremental_edits_in_utf16_across_crlf_lines() {
    let mut c = Client::start();
    c.initialize_with(json!({}), json!({"debounceMs": 0})); // UTF-16 positions
    let uri = "file:///w/inc.yaml";
    c.open(uri, 1, "kind: Workflow\r\nimage: \u{1F600}x\r\nend\r\n");
    assert_eq!(c.publishes(SHORT)[0].2.len(), 0);
    // Replace `x` (after the emoji: two UTF-16 units) with `latest`, then insert a line
    // before it: the finding moves down with the text.
    let edit = |version: i32, range: Value, text: &str| {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"range": range, "text": text}]}),
        );
    };
    edit(
        2,
        json!({"start": {"line": 1, "character": 9}, "end": {"line": 1, "character": 10}}),
        "latest",
    );
    edit(
        3,
        json!({"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}),
        "# added\r\n",
    );
    let published = c.publishes(SHORT);
    let last = published.last().unwrap();
    assert_eq!(last.1, Some(3));
    assert_eq!(starts(&last.2), [(2, 9)]);
    assert_eq!(last.2[0]["range"]["end"]["character"], 15);
    // An edit spanning the CRLF joins two lines.
    edit(
        4,
        json!({"start": {"line": 1, "character": 7}, "end": {"line": 2, "character": 0}}),
        " ",
    );
    let published = c.publishes(SHORT);
    assert_eq!(starts(&published.last().unwrap().2), [(1, 17)]);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_publish_stops_at_the_cap_and_says_how_many_more() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 0, "maxDiagnostics": 3}));
    let uri = "file:///w/many.yaml";
    c.open(
        uri,
        1,
        &format!("kind: Workflow\n{}", "image: latest\n".repeat(10)),
    );
    let published = c.publishes(SHORT);
    let diagnostics = &published[0].2;
    assert_eq!(diagnostics.len(), 4);
    assert_eq!(
        diagnostics[3]["message"]
            .as_str()
            .unwrap()
            .split(':')
            .next()
            .unwrap(),
        "7 more findings are not shown"
    );
    // The cap is a setting: raised, everything is published again.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"pipelint": {"maxDiagnostics": 100}}}),
    );
    let published = c.publishes(SHORT);
    assert_eq!(published.last().unwrap().2.len(), 10);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

/// The next `workspace/configuration` request the server sends, skipping notifications.
fn configuration_request(c: &Client) -> Option<Request> {
    let deadline = Instant::now() + SHORT;
    while let Some(msg) = c.next(deadline.saturating_duration_since(Instant::now())) {
        if let Outgoing::Message(Message::Request(r)) = msg {
            if r.method == "workspace/configuration" {
                return Some(r);
            }
        }
    }
    None
}

fn answer(c: &Client, id: RequestId, result: Value) {
    c.send(Incoming::Message(Message::Response(
        lsp_server::Response::new_ok(id, result),
    )));
}

#[test]
fn a_client_of_the_pull_model_is_asked_for_its_settings() {
    let mut c = Client::start();
    c.initialize_with(json!({"workspace": {"configuration": true}}), Value::Null);
    // No settings came with `initialize`: they are asked for, the `pipelint` section only.
    let asked = configuration_request(&c).expect("settings asked for at `initialized`");
    assert_eq!(asked.params, json!({"items": [{"section": "pipelint"}]}));
    answer(
        &c,
        asked.id,
        json!([{"debounceMs": 0, "maxDiagnostics": 3}]),
    );
    let uri = "file:///w/many.yaml";
    c.open(
        uri,
        1,
        &format!("kind: Workflow\n{}", "image: latest\n".repeat(10)),
    );
    assert_eq!(
        c.publishes(SHORT)[0].2.len(),
        4,
        "the cap of the answer holds"
    );
    // `settings: null` says only that something changed: asked again, then linted again.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    let asked = configuration_request(&c).expect("settings asked for after a change");
    answer(&c, asked.id, json!([{"maxDiagnostics": 100}]));
    assert_eq!(c.publishes(SHORT).last().unwrap().2.len(), 10);
    // A client without settings for pipelint answers `null`: nothing changes.
    c.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    let asked = configuration_request(&c).expect("`{}` is a change without settings too");
    answer(&c, asked.id, json!([null]));
    assert_eq!(c.publishes(SHORT), []);
    // Settings sent inline are taken as they are, without asking.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"pipelint": {"maxDiagnostics": 3}}}),
    );
    assert_eq!(c.publishes(SHORT).last().unwrap().2.len(), 4);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_client_that_cannot_be_asked_keeps_the_settings_it_sent() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 0, "maxDiagnostics": 3}));
    assert!(
        configuration_request(&c).is_none(),
        "nothing to ask at `initialized`"
    );
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    assert!(
        configuration_request(&c).is_none(),
        "the client cannot answer"
    );
    c.open(
        "file:///w/many.yaml",
        1,
        &format!("kind: Workflow\n{}", "image: latest\n".repeat(10)),
    );
    assert_eq!(c.publishes(SHORT)[0].2.len(), 4);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn outline_and_definition_do_not_wait_for_a_lint() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize(json!({"debounceMs": 0}));
    let uri = "file:///w/nav.yaml";
    // The lint of this very document blocks until cancelled.
    c.open(uri, 1, "kind: Workflow\nstep train\nrun train\nBLOCK");
    assert_eq!(soon(&analyzer.started, 1), ["BLOCK"]);
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let symbols = c.response(&symbols).unwrap();
    assert_eq!(symbols[0]["name"], "train");
    assert_eq!(symbols[0]["kind"], 12);
    assert_eq!(
        symbols[0]["selectionRange"]["start"],
        json!({"line": 1, "character": 5})
    );
    let definition = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 6}}),
    );
    let definition = c.response(&definition).unwrap();
    assert_eq!(
        definition,
        json!([{"uri": uri, "range": {"start": {"line": 1, "character": 5},
                                      "end": {"line": 1, "character": 10}}}])
    );
    // Nothing to go to elsewhere.
    let none = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}),
    );
    assert_eq!(c.response(&none).unwrap(), json!([]));
    // Completion is for config files only: none here, at once.
    let completion = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 0}}),
    );
    assert_eq!(c.response(&completion).unwrap(), Value::Null);
    assert!(analyzer.cancelled.lock().unwrap().is_empty());
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_client_that_pulls_gets_no_publishes_and_unchanged_reports() {
    let mut c = Client::start();
    let init = c.initialize_with(
        json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}},
               "workspace": {"diagnostics": {"refreshSupport": true}}}),
        json!({"debounceMs": 0}),
    );
    assert_eq!(
        init["capabilities"]["diagnosticProvider"]["workspaceDiagnostics"],
        true
    );
    let uri = "file:///w/pulled.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: latest\n");
    let pull = |c: &mut Client, previous: Value| {
        let id = c.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}, "previousResultId": previous}),
        );
        c.response(&id).unwrap()
    };
    let first = pull(&mut c, Value::Null);
    assert_eq!(first["kind"], "full");
    assert_eq!(starts(first["items"].as_array().unwrap()), [(1, 7)]);
    let again = pull(&mut c, first["resultId"].clone());
    assert_eq!(
        again,
        json!({"kind": "unchanged", "resultId": first["resultId"]})
    );
    // After an edit the report is new (the pull waits for the lint of the new text).
    c.change(uri, 2, "kind: Workflow\nimage: alpine\n");
    let edited = pull(&mut c, first["resultId"].clone());
    assert_eq!(edited["kind"], "full");
    assert_eq!(edited["items"], json!([]));
    assert!(
        c.publishes(SHORT).is_empty(),
        "a pulling client got a publish"
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

/// Every `window/logMessage` within `window`, as (type, message).
fn log_messages(c: &Client, window: Duration) -> Vec<(u64, String)> {
    let deadline = Instant::now() + window;
    let mut out = Vec::new();
    while let Some(msg) = c.next(deadline.saturating_duration_since(Instant::now())) {
        if let Outgoing::Message(Message::Notification(n)) = msg {
            if n.method == "window/logMessage" {
                out.push((
                    n.params["type"].as_u64().unwrap(),
                    n.params["message"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn the_log_says_only_warnings_unless_asked_for_more() {
    let mut c = Client::start();
    c.initialize(json!({"debounceMs": 0}));
    c.open("file:///w/a.yaml", 1, "kind: Workflow\nimage: latest\n");
    assert_eq!(log_messages(&c, SHORT), []);
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"logLevel": "debug"}}),
    );
    c.open("file:///w/b.yaml", 1, "kind: Workflow\nimage: latest\n");
    let logged = log_messages(&c, SHORT);
    assert!(
        logged
            .iter()
            .any(|(kind, m)| *kind == 4 && m.starts_with("file:///w/b.yaml v1: 1 diagnostics")),
        "{logged:?}"
    );
    // A setting of the wrong kind is a warning, and the server goes on.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"logLevel": 3}}),
    );
    let logged = log_messages(&c, SHORT);
    assert!(
        logged
            .iter()
            .any(|(kind, m)| *kind == 2 && m.contains("`logLevel` must be a string")),
        "{logged:?}"
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_pull_after_an_edit_waits_for_the_debounce_and_stale_text_is_never_linted() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize_with(
        json!({"textDocument": {"diagnostic": {}},
               "workspace": {"diagnostics": {"refreshSupport": true}}}),
        json!({"debounceMs": 300}),
    );
    let uri = "file:///w/typed.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: alpine\n");
    let first = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(c.response(&first).unwrap()["items"], json!([]));
    let calls = analyzer.calls.load(Ordering::SeqCst);
    // Typing: a pull after each change, as editors send them.
    let mut pulls = Vec::new();
    for (version, text) in [
        (2, "kind: Workflow\nimage: l\n"),
        (3, "kind: Workflow\nimage: latest\n"),
    ] {
        c.change(uri, version, text);
        pulls.push(c.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        ));
    }
    // The first pull is told its text changed; the last gets the last text's findings.
    assert_eq!(c.response(&pulls[0]).unwrap_err().0, -32801);
    let last = c.response(&pulls[1]).unwrap();
    assert_eq!(starts(last["items"].as_array().unwrap()), [(1, 7)]);
    // One lint for the two changes: version 2 was never linted.
    assert_eq!(analyzer.calls.load(Ordering::SeqCst), calls + 1);
    // A config change makes the last report stale: the next pull is a new one.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"maxDiagnostics": 5}}),
    );
    let again = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}, "previousResultId": last["resultId"]}),
    );
    let again = c.response(&again).unwrap();
    assert_eq!(again["kind"], "full");
    assert_ne!(again["resultId"], last["resultId"]);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_client_that_pulls_but_cannot_be_asked_to_pull_again_gets_publishes() {
    // Neovim 0.10 and 0.11: `textDocument.diagnostic`, no `workspace.diagnostics`.
    let mut c = Client::start();
    let init = c.initialize_with(
        json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}}}),
        json!({"debounceMs": 0}),
    );
    assert!(init["capabilities"].get("diagnosticProvider").is_none());
    let uri = "file:///w/nvim.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: latest\n");
    let published = c.publishes(SHORT);
    assert_eq!(published.len(), 1);
    assert_eq!(starts(&published[0].2), [(1, 7)]);
    // Asked for pull explicitly, it pulls.
    let mut c2 = Client::start();
    let init = c2.initialize_with(
        json!({"textDocument": {"diagnostic": {}}}),
        json!({"diagnosticMode": "pull"}),
    );
    assert_eq!(
        init["capabilities"]["diagnosticProvider"]["identifier"],
        "pipelint"
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
    assert_eq!(c2.finish(), Exit::WithoutShutdown);
}

/// The next `publishDiagnostics` of `uri` whose diagnostics pass `wanted` (at most 10 s).
fn published(c: &Client, uri: &str, wanted: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(msg) = c.next(deadline.saturating_duration_since(Instant::now())) {
        if let Outgoing::Message(Message::Notification(n)) = msg {
            let diagnostics = n.params["diagnostics"].as_array().cloned();
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                let diagnostics = diagnostics.unwrap();
                if wanted(&diagnostics) {
                    return diagnostics;
                }
            }
        }
    }
    panic!("no wanted publish of {uri}");
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or(""))
        .collect()
}

const PY_URI: &str = "file:///ws/pipe.py";
const IR_URI: &str = "file:///ws/pipe.yaml";
const IR: &str = "kind: Workflow\nsource /ws/pipe.py\nimage: latest\n";
const PY: &str = "import kfp\n\nstep = make_step()\n";
const PY_STALE: &str = "import kfp\n# STALE\nstep = make_step()\n";

/// A KFP IR finding also shows on the Python line it maps to (with the way back to the IR
/// and the ignore comment for that line); editing the Python so that it no longer matches
/// clears it there, and closing the IR too.
#[test]
fn ir_findings_are_published_on_the_python_they_map_to_and_cleared_with_the_mapping() {
    let mut c = Client::start();
    c.initialize_with(
        json!({"textDocument": {"publishDiagnostics": {"relatedInformation": true}}}),
        json!({"debounceMs": 0}),
    );
    c.open(PY_URI, 1, PY);
    c.open(IR_URI, 1, IR);
    let on_py = published(&c, PY_URI, |d| !d.is_empty());
    assert_eq!(codes(&on_py), ["unpinned-image"]);
    assert_eq!(
        on_py[0]["range"],
        json!({"start": {"line": 2, "character": 7}, "end": {"line": 2, "character": 18}})
    );
    assert_eq!(on_py[0]["source"], "pipelint");
    assert_eq!(on_py[0]["severity"], 1);
    let back = &on_py[0]["relatedInformation"][0];
    assert_eq!(back["location"]["uri"], IR_URI);
    assert_eq!(
        back["location"]["range"]["start"],
        json!({"line": 2, "character": 7})
    );

    // On the Python line: the ignore comment, at the end of the line; no fix of the IR.
    let id = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": PY_URI},
               "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    let actions = c.response(&id).unwrap();
    let [action] = actions.as_array().unwrap().as_slice() else {
        panic!("{actions}");
    };
    assert_eq!(action["title"], "Ignore unpinned-image on this line");
    let edits = &action["edit"]["changes"][PY_URI];
    assert_eq!(
        edits,
        &json!([{"range": {"start": {"line": 2, "character": 18}, "end": {"line": 2, "character": 18}},
                 "newText": "  # pipelint: ignore[unpinned-image] <reason>"}])
    );

    // The Python edited so that the IR is stale: cleared on the Python, said on the IR.
    c.change(PY_URI, 2, PY_STALE);
    assert_eq!(published(&c, PY_URI, |_| true), Vec::<Value>::new());
    let on_ir = published(&c, IR_URI, |d| {
        codes(d).contains(&"stale-compiled-pipeline")
    });
    assert_eq!(codes(&on_ir), ["unpinned-image", "stale-compiled-pipeline"]);
    // Back as compiled: mapped again.
    c.change(PY_URI, 3, PY);
    assert_eq!(
        codes(&published(&c, PY_URI, |d| !d.is_empty())),
        ["unpinned-image"]
    );

    // The IR closed: nothing maps there any more; reopened: mapped again.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": IR_URI}}),
    );
    assert_eq!(published(&c, PY_URI, |_| true), Vec::<Value>::new());
    c.open(IR_URI, 1, IR);
    assert_eq!(
        codes(&published(&c, PY_URI, |d| !d.is_empty())),
        ["unpinned-image"]
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

/// A client that pulls gets the mapped diagnostic with the Python file's own report, and a
/// new report once the Python changes.
#[test]
fn a_pulled_python_report_holds_the_ir_findings_mapped_to_it() {
    let mut c = Client::start();
    c.initialize_with(
        json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}},
               "workspace": {"diagnostics": {"refreshSupport": true}}}),
        json!({"debounceMs": 0}),
    );
    c.open(PY_URI, 1, PY);
    c.open(IR_URI, 1, IR);
    let pull = |c: &mut Client, uri: &str| {
        let id = c.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        );
        c.response(&id).unwrap()
    };
    // The IR's pull waits for its lint, which maps its findings.
    assert_eq!(
        codes(pull(&mut c, IR_URI)["items"].as_array().unwrap()),
        ["unpinned-image"]
    );
    let py = pull(&mut c, PY_URI);
    assert_eq!(py["kind"], "full");
    let items = py["items"].as_array().unwrap();
    assert_eq!(codes(items), ["unpinned-image"]);
    assert_eq!(
        items[0]["range"]["start"],
        json!({"line": 2, "character": 7})
    );
    c.change(PY_URI, 2, PY_STALE);
    // The IR is linted again (its pull waits for that), and the Python's report is empty.
    let ir = pull(&mut c, IR_URI);
    assert_eq!(
        codes(ir["items"].as_array().unwrap()),
        ["unpinned-image", "stale-compiled-pipeline"]
    );
    let py_after = pull(&mut c, PY_URI);
    assert_eq!(py_after["items"], json!([]));
    assert_ne!(py_after["resultId"], py["resultId"]);
    assert!(
        c.publishes(SHORT).is_empty(),
        "a pulling client got a publish"
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

/// The code actions on line `line` of `uri`, as the light bulb asks for them.
fn code_actions(c: &mut Client, uri: &str, line: u32) -> Vec<Value> {
    let id = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": line, "character": 0},
                         "end": {"line": line, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    c.response(&id).unwrap().as_array().unwrap().clone()
}

fn resolve(c: &mut Client, action: &Value) -> Result<Value, (i32, String)> {
    let id = c.request("codeAction/resolve", action.clone());
    c.response(&id)
}

fn titled<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no {title:?} in {actions:?}"))
}

const RESOLVES: fn() -> Value = || {
    json!({"textDocument": {"codeAction": {"dataSupport": true,
        "resolveSupport": {"properties": ["edit", "command"]}}}})
};

#[test]
fn code_actions_are_listed_without_edits_and_computed_when_chosen() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    let init = c.initialize_with(RESOLVES(), json!({"debounceMs": 0}));
    assert_eq!(
        init["capabilities"]["codeActionProvider"]["resolveProvider"],
        true
    );
    let uri = "file:///w/p.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: latest\n");
    assert_eq!(c.publishes(SHORT).len(), 1);
    let actions = code_actions(&mut c, uri, 1);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, [PIN, IGNORE, FIX_ALL]);
    // Titles, kinds, diagnostics and data; no edits, and none computed.
    assert!(
        actions.iter().all(|a| a.get("edit").is_none()),
        "{actions:?}"
    );
    assert!(actions.iter().all(|a| a.get("data").is_some()));
    assert_eq!(analyzer.edit_calls.load(Ordering::SeqCst), 0);
    let pin = titled(&actions, PIN);
    assert_eq!(pin["kind"], "quickfix");
    assert_eq!(pin["isPreferred"], true);
    assert_eq!(pin["diagnostics"][0]["code"], "unpinned-image");
    assert!(titled(&actions, IGNORE).get("isPreferred").is_none());
    assert_eq!(titled(&actions, FIX_ALL)["kind"], "source.fixAll.pipelint");

    // Chosen: the action comes back with its edit (and what the client sent).
    let resolved = resolve(&mut c, pin).unwrap();
    assert_eq!(resolved["title"], PIN);
    assert_eq!(resolved["data"], pin["data"]);
    assert_eq!(
        resolved["edit"],
        json!({"changes": {uri: [{"range": {"start": {"line": 1, "character": 7},
                                             "end": {"line": 1, "character": 13}},
                                  "newText": "1.0"}]}})
    );
    assert_eq!(analyzer.edit_calls.load(Ordering::SeqCst), 1);
    // This client takes no snippets: the placeholder is plain text.
    let ignore = resolve(&mut c, titled(&actions, IGNORE)).unwrap();
    assert_eq!(
        ignore["edit"]["changes"][uri][0]["newText"],
        "  # ignore <why>"
    );
    let all = resolve(&mut c, titled(&actions, FIX_ALL)).unwrap();
    assert_eq!(all["edit"]["changes"][uri][0]["newText"], "1.0");
    assert_eq!(analyzer.edit_calls.load(Ordering::SeqCst), 3);

    // The same version linted again (the settings changed): its findings may differ, so an
    // action listed before is refused.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"ignore": ["some-rule"]}}),
    );
    assert_eq!(c.publishes(SHORT).len(), 1);
    assert_eq!(resolve(&mut c, pin).unwrap_err().0, -32801);
    let relisted = code_actions(&mut c, uri, 1);
    assert!(resolve(&mut c, titled(&relisted, PIN)).is_ok());
    // An action of an older version is not applied to the new text.
    c.change(uri, 2, "kind: Workflow\n\nimage: latest\n");
    assert_eq!(
        resolve(&mut c, titled(&relisted, PIN)).unwrap_err().0,
        -32801
    );
    // Data that is not ours is handed back as it came.
    let foreign = json!({"title": "x", "data": {"someone": "else"}});
    assert_eq!(resolve(&mut c, &foreign).unwrap(), foreign);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_client_that_cannot_resolve_gets_the_edits_in_the_list() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    // Eglot: code action literals, no `resolveSupport`, no `dataSupport`.
    c.initialize_with(
        json!({"textDocument": {"codeAction": {"codeActionLiteralSupport":
            {"codeActionKind": {"valueSet": ["quickfix", "source"]}}}}}),
        json!({"debounceMs": 0}),
    );
    let uri = "file:///w/p.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: latest\n");
    let actions = code_actions(&mut c, uri, 1);
    assert!(actions.iter().all(|a| a.get("data").is_none()));
    assert_eq!(
        titled(&actions, PIN)["edit"]["changes"][uri][0]["newText"],
        "1.0"
    );
    assert_eq!(
        titled(&actions, IGNORE)["edit"]["changes"][uri][0]["newText"],
        "  # ignore <why>"
    );
    assert_eq!(
        titled(&actions, FIX_ALL)["edit"]["changes"][uri][0]["newText"],
        "1.0"
    );
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn the_reason_is_a_tab_stop_where_the_client_takes_snippet_edits() {
    let mut c = Client::start();
    let mut caps = RESOLVES();
    caps["workspace"] = json!({"workspaceEdit": {"documentChanges": true,
                                                "snippetEditSupport": true}});
    c.initialize_with(caps, json!({"debounceMs": 0}));
    let uri = "file:///w/p.yaml";
    c.open(uri, 4, "kind: Workflow\nimage: latest\n");
    let actions = code_actions(&mut c, uri, 1);
    let ignore = resolve(&mut c, titled(&actions, IGNORE)).unwrap();
    assert_eq!(
        ignore["edit"],
        json!({"documentChanges": [{
            "textDocument": {"uri": uri, "version": 4},
            "edits": [{"range": {"start": {"line": 1, "character": 13},
                                 "end": {"line": 1, "character": 13}},
                       "snippet": {"kind": "snippet", "value": "  # ignore ${1:<why>}"}}],
        }]})
    );
    // A fix with nothing to write stays a plain edit.
    let pin = resolve(&mut c, titled(&actions, PIN)).unwrap();
    assert_eq!(pin["edit"]["changes"][uri][0]["newText"], "1.0");
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_code_action_on_one_document_does_not_wait_for_anothers_lint() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize_with(RESOLVES(), json!({"debounceMs": 0}));
    let quick = "file:///w/quick.yaml";
    c.open(quick, 1, "kind: Workflow\nimage: latest\n");
    assert_eq!(c.publishes(SHORT).len(), 1);
    // The other document's lint runs until it is cancelled.
    let slow = "file:///w/slow.yaml";
    c.open(slow, 1, "kind: Workflow\nBLOCK latest\nslow");
    assert_eq!(soon(&analyzer.started, 1), ["slow"]);
    let actions = code_actions(&mut c, quick, 1);
    assert_eq!(actions.len(), 3);
    let resolved = resolve(&mut c, titled(&actions, PIN)).unwrap();
    assert_eq!(resolved["edit"]["changes"][quick][0]["newText"], "1.0");
    let id = hover(&mut c, quick);
    assert!(c.response(&id).unwrap()["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("unpinned-image"));
    // All answered while the slow lint still runs.
    assert!(analyzer.cancelled.lock().unwrap().is_empty());
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": slow}}),
    );
    assert_eq!(cancelled_soon(&analyzer), ["slow"]);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}

#[test]
fn a_code_action_on_an_edited_document_lints_it_once() {
    let analyzer = Arc::new(Scripted::default());
    let mut c = Client::start_with(analyzer.clone());
    c.initialize_with(RESOLVES(), json!({"debounceMs": 200}));
    let uri = "file:///w/p.yaml";
    c.open(uri, 1, "kind: Workflow\nimage: alpine\n");
    assert_eq!(c.publishes(SHORT).len(), 1);
    assert_eq!(analyzer.calls.load(Ordering::SeqCst), 1);
    // Typing, then the light bulb before the debounce is over: the request starts the
    // lint of the new text, and the debounced one does not follow it.
    c.change(uri, 2, "kind: Workflow\nimage: lat\n");
    c.change(uri, 3, "kind: Workflow\nimage: latest\n");
    let actions = code_actions(&mut c, uri, 1);
    assert_eq!(actions.len(), 3);
    let later = code_actions(&mut c, uri, 1);
    assert_eq!(later, actions);
    assert_eq!(analyzer.calls.load(Ordering::SeqCst), 2);
    // (Its publish came before the answers.) Past the debounce, nothing is linted again.
    let published = c.publishes(SHORT);
    assert!(published.is_empty(), "{published:?}");
    assert_eq!(analyzer.calls.load(Ordering::SeqCst), 2);

    // While a lint of the document is running, a request waits for it: no second lint.
    c.change(uri, 4, "kind: Workflow\nSLOW\nimage: latest\n");
    let actions = code_actions(&mut c, uri, 2);
    assert_eq!(actions.len(), 3);
    let hover_id = hover(&mut c, uri);
    c.response(&hover_id).unwrap();
    assert!(c.publishes(SHORT).is_empty());
    assert_eq!(analyzer.calls.load(Ordering::SeqCst), 3);
    assert_eq!(c.finish(), Exit::WithoutShutdown);
}
