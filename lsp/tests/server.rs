//! The main loop driven in memory with a scripted analyzer: lifecycle, debounce, stale
//! results, panics, malformed input. (The real server over stdio, with the real analyzer and
//! a real client, is tested by the pytest-lsp suite in `tests/e2e/`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Message, Notification, Request, RequestId};
use pipelint_lsp::transport::{Incoming, Outgoing};
use pipelint_lsp::{serve, Analysis, Analyzer, DocumentRef, Exit, Finding, Fix, Severity};
use serde_json::{json, Value};

/// Pipelines are texts starting with `kind:`; every `latest` is a finding. `PANIC` panics,
/// `SLOW` takes 400 ms.
#[derive(Default)]
struct Scripted {
    calls: AtomicUsize,
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
            })
            .collect();
        Some(Analysis {
            findings,
            messages: Vec::new(),
        })
    }

    fn fixes(&self, _: &DocumentRef<'_>, findings: &[&Finding]) -> Vec<Vec<Fix>> {
        vec![Vec::new(); findings.len()]
    }

    fn rule_doc(&self, rule: &str) -> Option<String> {
        Some(format!("# {rule}"))
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
        let (tx, in_rx) = crossbeam_channel::unbounded();
        let (out_tx, rx) = crossbeam_channel::unbounded();
        let server =
            std::thread::spawn(move || serve(Arc::new(Scripted::default()), in_rx, out_tx));
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
        let id = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {"general": {"positionEncodings": ["utf-32", "utf-16"]}},
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

#[test]
fn lifecycle_follows_the_spec() {
    let mut c = Client::start();
    let early = c.request("textDocument/hover", json!({}));
    assert_eq!(c.response(&early).unwrap_err().0, -32002);
    let init = c.initialize(json!(null));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-32");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 1);
    assert_eq!(init["serverInfo"]["name"], "scripted");
    let again = c.request("initialize", json!({"capabilities": {}}));
    assert_eq!(c.response(&again).unwrap_err().0, -32600);
    let unknown = c.request("textDocument/definition", json!({}));
    assert_eq!(c.response(&unknown).unwrap_err().0, -32601);
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
