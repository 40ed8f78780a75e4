//! `pipelint lsp` under abuse, over real stdio with the real analyzer: random JSON-RPC
//! messages, malformed frames, a huge document, 1,000 `didChange` in a burst, a document
//! that expands exponentially. The server must keep answering, stay within its memory
//! bounds and end up publishing the diagnostics of the final text.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const URI: &str = "file:///abuse/pipeline.yaml";

struct Server {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
}

impl Server {
    fn start() -> Server {
        Server::start_with(json!({"debounceMs": 50}))
    }

    fn start_with(options: Value) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pipelint"));
        command
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            command.pre_exec(|| {
                // A safety net so that a runaway server fails its test instead of the
                // machine: 4 GiB of address space (thread stacks and malloc arenas count
                // here, far beyond what is resident; the bound tested is `max_rss_kb`).
                let limit = libc::rlimit {
                    rlim_cur: 4 << 30,
                    rlim_max: 4 << 30,
                };
                libc::setrlimit(libc::RLIMIT_AS, &limit);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("pipelint lsp starts");
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = channel();
        std::thread::spawn(move || loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                if out.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length:") {
                    length = v.trim().parse::<usize>().ok();
                }
            }
            let mut body = vec![0; length.expect("the server frames its messages")];
            if out.read_exact(&mut body).is_err() {
                return;
            }
            let value: Value = serde_json::from_slice(&body).expect("the server writes JSON");
            if tx.send(value).is_err() {
                return;
            }
        });
        let mut server = Server { child, stdin, rx };
        server.request(
            "init",
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {},
                   "initializationOptions": options}),
        );
        server.expect_response("init");
        server.notify("initialized", json!({}));
        server
    }

    fn raw(&mut self, body: &[u8]) {
        let _ = write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len());
        let _ = self.stdin.write_all(body);
        let _ = self.stdin.flush();
    }

    fn send(&mut self, value: Value) {
        self.raw(value.to_string().as_bytes());
    }

    fn request(&mut self, id: &str, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message that satisfies `pred` (others are dropped).
    fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(_) => panic!("no {what} within {timeout:?}"),
            }
        }
    }

    fn expect_response(&self, id: &str) -> Value {
        self.wait_for(&format!("response {id}"), Duration::from_secs(60), |v| {
            v["id"] == id && v.get("method").is_none()
        })
    }

    /// The server still answers: a hover request gets its response.
    fn probe(&mut self, id: &str) {
        self.request(
            id,
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}),
        );
        self.expect_response(id);
    }

    /// Shuts the server down; returns its peak resident memory in kilobytes (wait4).
    fn stop_measured(mut self) -> i64 {
        self.request("bye", "shutdown", Value::Null);
        self.expect_response("bye");
        self.notify("exit", Value::Null);
        let pid = self.child.id() as libc::pid_t;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut status: libc::c_int = 0;
            // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: `pid` is our child, not yet reaped; both pointers are valid.
            let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
            if waited == pid {
                // Reaped here: std must not wait for it again.
                std::mem::forget(self.child);
                assert!(
                    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                    "the server did not exit cleanly: status {status}"
                );
                return usage.ru_maxrss;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(mut self) {
        self.request("bye", "shutdown", Value::Null);
        self.expect_response("bye");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert_ne!(status.code(), Some(101), "the server panicked");
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not exit");
    }
}

fn pipeline(image: &str, padding: usize) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: abuse-\nspec:\n  entrypoint: main\n  templates:\n    - name: main\n      container:\n        image: {image}\n{}",
        "# padding\n".repeat(padding)
    )
}

fn open(server: &mut Server, text: &str) {
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": text}}),
    );
}

/// Diagnostics published for `URI` with this `rule` on 0-based `line`.
fn has(diagnostics: &Value, rule: &str, line: u64) -> bool {
    diagnostics["params"]["diagnostics"]
        .as_array()
        .is_some_and(|d| {
            d.iter()
                .any(|x| x["code"] == rule && x["range"]["start"]["line"] == line)
        })
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    match rng.next() % if depth > 3 { 5 } else { 7 } {
        0 => Value::Null,
        1 => json!(rng.next() as i64),
        2 => json!(rng.next() % 2 == 0),
        3 => json!(rng
            .pick(&["", "file:///x.yaml", URI, "\u{0}", "é", "{{x}}"])
            .to_string()),
        4 => json!(-1.5e300),
        5 => Value::Array(
            (0..rng.next() % 4)
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "textDocument",
                "uri",
                "position",
                "line",
                "character",
                "range",
                "contentChanges",
                "text",
                "version",
                "context",
                "settings",
                "x",
            ];
            let mut map = serde_json::Map::new();
            for _ in 0..rng.next() % 5 {
                map.insert(rng.pick(&keys).to_string(), random_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

#[test]
fn random_json_rpc_messages_do_not_stop_the_server() {
    let mut server = Server::start();
    open(&mut server, &pipeline("python:latest", 0));
    let methods = [
        "textDocument/hover",
        "textDocument/codeAction",
        "textDocument/didChange",
        "textDocument/didOpen",
        "textDocument/didClose",
        "textDocument/didSave",
        "workspace/didChangeConfiguration",
        "workspace/didChangeWatchedFiles",
        "workspace/didChangeWorkspaceFolders",
        "initialize",
        "$/cancelRequest",
        "no/such/method",
        "",
    ];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..5 {
        for i in 0..200 {
            match rng.next() % 6 {
                0 => {
                    let bytes: Vec<u8> = (0..rng.next() % 64).map(|_| rng.next() as u8).collect();
                    server.raw(&bytes);
                }
                1 => server.raw(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": "),
                2 => server.send(random_value(&mut rng, 0)),
                3 => server.send(json!({"jsonrpc": "2.0", "id": random_value(&mut rng, 3),
                                        "result": random_value(&mut rng, 0)})),
                _ => {
                    let method = *rng.pick(&methods);
                    let mut msg = json!({"jsonrpc": "2.0", "method": method,
                                         "params": random_value(&mut rng, 0)});
                    if rng.next() % 2 == 0 {
                        msg["id"] = json!(format!("r{round}-{i}"));
                    }
                    server.send(msg);
                }
            }
        }
        // A header block with no Content-Length, then the server must still answer.
        let _ = server
            .stdin
            .write_all(b"Content-Type: x\r\nnot a header\r\n\r\n");
        server.probe(&format!("probe-{round}"));
    }
    // The document it knew is still linted.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 100},
               "contentChanges": [{"text": pipeline("python:latest", 1)}]}),
    );
    server.wait_for(
        "diagnostics after the noise",
        Duration::from_secs(60),
        |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == URI
                && has(v, "unpinned-image", 9)
        },
    );
    server.stop();
}

#[test]
fn a_huge_document_is_answered() {
    let mut server = Server::start();
    // About 10 MB: 100,000 templates.
    let mut text = pipeline("python:latest", 0);
    for i in 0..100_000 {
        text.push_str(&format!(
            "    - name: t{i}\n      container: {{image: alpine:3.20, command: [echo, '{i}']}}\n"
        ));
    }
    open(&mut server, &text);
    let published = server.wait_for(
        "diagnostics of the huge document",
        Duration::from_secs(120),
        |v| v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == URI,
    );
    // Either linted, or cut by the work budget with a finding that says so; never silence.
    let codes: Vec<&Value> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["code"])
        .collect();
    assert!(
        has(&published, "unpinned-image", 9) || codes.iter().any(|c| **c == "input-too-complex"),
        "{codes:?}"
    );
    server.probe("after-huge");
    server.stop();
}

#[test]
fn a_burst_of_1000_changes_ends_with_the_final_text() {
    let mut server = Server::start();
    open(&mut server, &pipeline("alpine:3.20", 0));
    for version in 2..=1001 {
        // Every text but the last pins its image; the last has `:latest` on a line of its own.
        let text = if version == 1001 {
            pipeline("python:latest", 7)
        } else {
            pipeline(&format!("alpine:3.{version}"), version % 13)
        };
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }
    let last = server.wait_for(
        "diagnostics of the final text",
        Duration::from_secs(120),
        |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == URI
                && has(v, "unpinned-image", 9)
                && v["params"]["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| {
                        d["message"]
                            .as_str()
                            .unwrap_or("")
                            .contains("python:latest")
                    })
        },
    );
    if let Some(version) = last["params"].get("version") {
        assert!(version.is_null() || *version == 1001, "{last}");
    }
    server.probe("after-burst");
    // Nothing older is published after the final text's diagnostics.
    while let Ok(v) = server.rx.recv_timeout(Duration::from_millis(500)) {
        if v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == URI {
            assert!(
                v["params"]["diagnostics"]
                    .to_string()
                    .contains("python:latest"),
                "a stale text was published after the final one: {v}"
            );
        }
    }
    server.stop();
}

/// A KFP pipeline whose one component is used twice at each of `levels` levels: 2^levels
/// tasks if every use were expanded.
fn kfp_reused_at_every_level(levels: usize) -> String {
    let mut text = String::from(
        "# PIPELINE DEFINITION\npipelineInfo:\n  name: diamond\nroot:\n  dag:\n    tasks:\n      left: {componentRef: {name: comp-0}}\n      right: {componentRef: {name: comp-0}}\ncomponents:\n",
    );
    for level in 0..levels {
        let next = level + 1;
        text.push_str(&format!(
            "  comp-{level}:\n    dag:\n      tasks:\n        left: {{componentRef: {{name: comp-{next}}}}}\n        right: {{componentRef: {{name: comp-{next}}}}}\n"
        ));
    }
    text.push_str(&format!(
        "  comp-{levels}:\n    executorLabel: exec-train\ndeploymentSpec:\n  executors:\n    exec-train:\n      container:\n        image: python:latest\n        command: [sh, -c, \"aws s3 cp s3://bucket/data /tmp/data\"]\nschemaVersion: 2.1.0\nsdkVersion: kfp-2.14.3\n"
    ));
    text
}

#[test]
fn code_actions_on_an_exponential_kfp_document_stay_within_the_work_budget() {
    let mut server = Server::start();
    let text = kfp_reused_at_every_level(60);
    let lines = text.lines().count();
    open(&mut server, &text);
    let published = server.wait_for(
        "diagnostics of the 60-level document",
        Duration::from_secs(120),
        |v| v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == URI,
    );
    assert!(
        published["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "input-too-complex"),
        "{published}"
    );
    // Code actions over the whole document: their fixes read the document again, and must
    // do it under the same budget as the lint.
    server.request(
        "actions",
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 0, "character": 0},
                         "end": {"line": lines, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    let actions = server.expect_response("actions");
    let titles: Vec<&str> = actions["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{actions}"))
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Ignore input-too-complex")),
        "{titles:?}"
    );
    server.probe("after-actions");
    let max_rss_kb = server.stop_measured();
    assert!(
        max_rss_kb < 500 * 1024,
        "the server peaked at {} MB",
        max_rss_kb / 1024
    );
}

#[test]
fn malformed_frames_are_answered_and_the_stream_resynchronised() {
    let mut server = Server::start();
    open(&mut server, &pipeline("python:latest", 0));
    let body = r#"{"jsonrpc":"2.0","id":"lost","method":"shutdown"}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "short",
            format!("Content-Length: 20\r\n\r\n{body}").into_bytes(),
        ),
        // Declares more than is sent: the probe after it must not be swallowed (the test
        // then waits for the answer, as a client does, sending nothing more).
        (
            "long",
            format!("Content-Length: 400\r\n\r\n{body}").into_bytes(),
        ),
        (
            "missing",
            format!("Content-Type: x\r\n\r\n{body}").into_bytes(),
        ),
        (
            "non-numeric",
            format!("Content-Length: 4o\r\n\r\n{body}").into_bytes(),
        ),
        (
            "duplicated",
            format!("Content-Length: 50\r\nContent-Length: 51\r\n\r\n{body}").into_bytes(),
        ),
        (
            "corrupt",
            format!("Cont\u{0}ent-Length: 50\r\n\r\n{body}").into_bytes(),
        ),
        ("not json", b"Content-Length: 9\r\n\r\n{\"x\": ]]}".to_vec()),
        // Over the document size limit: refused unread, the body (never sent) not awaited.
        ("huge", b"Content-Length: 999999999999\r\n\r\n".to_vec()),
    ];
    for (name, bytes) in cases {
        let _ = server.stdin.write_all(&bytes);
        let probe = format!("probe-{name}");
        server.request(
            &probe,
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": 9, "character": 10}}),
        );
        // The malformed frame is answered (id null), then the probe is.
        let error = server.wait_for(
            &format!("the error for {name}"),
            Duration::from_secs(30),
            |v| v["id"].is_null() && v.get("error").is_some(),
        );
        assert_eq!(error["error"]["code"], -32700, "{name}: {error}");
        let answer = server.expect_response(&probe);
        assert!(
            answer["result"]["contents"]["value"]
                .as_str()
                .unwrap_or("")
                .contains("unpinned-image"),
            "{name}: {answer}"
        );
    }
    server.stop();
}

#[test]
fn a_slow_document_does_not_hold_up_requests_for_others() {
    let mut server = Server::start_with(json!({"debounceMs": 0}));
    // About 10 MB: linting it takes a while (up to the work budget).
    let mut big = pipeline("python:latest", 0);
    for i in 0..100_000 {
        big.push_str(&format!(
            "    - name: t{i}\n      container: {{image: alpine:3.20, command: [echo, '{i}']}}\n"
        ));
    }
    open(&mut server, &big);
    let position = json!({"line": 9, "character": 10});
    server.request(
        "hover-big",
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": position}),
    );
    let small = "file:///abuse/small.yaml";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": small, "languageId": "yaml", "version": 1,
                                "text": pipeline("python:latest", 0)}}),
    );
    server.request(
        "hover-small",
        "textDocument/hover",
        json!({"textDocument": {"uri": small}, "position": position}),
    );
    // The small document is linted and answered while the big one is still being linted.
    let first = server.wait_for("an answer to either hover", Duration::from_secs(120), |v| {
        v["id"] == "hover-big" || v["id"] == "hover-small"
    });
    assert_eq!(first["id"], "hover-small", "{first}");
    let big_answer = server.expect_response("hover-big");
    assert!(big_answer.get("result").is_some(), "{big_answer}");
    server.stop();
}

/// A config is untrusted input: a `.pipelint.yaml` that is a link to `/dev/stdin`, or that
/// names `/dev/stdin` as a policy file, must not make the server read its own protocol
/// stream (which would swallow the editor's messages and leave it deaf). Each is reported
/// as a message naming the path, and the server keeps answering.
#[test]
fn a_config_naming_dev_stdin_is_refused_not_read() {
    let dir = std::env::temp_dir().join(format!("pipelint-lsp-stdin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let linked = dir.join("linked");
    let policy = dir.join("policy");
    std::fs::create_dir_all(&linked).unwrap();
    std::fs::create_dir_all(&policy).unwrap();
    std::os::unix::fs::symlink("/dev/stdin", linked.join(".pipelint.yaml")).unwrap();
    std::fs::write(policy.join(".pipelint.yaml"), "policies: [/dev/stdin]\n").unwrap();
    for (folder, expected) in [
        (
            &linked,
            format!("{}", linked.join(".pipelint.yaml").display()),
        ),
        (&policy, "/dev/stdin".to_string()),
    ] {
        let mut server = Server::start();
        let uri = format!("file://{}", folder.join("pipeline.yaml").display());
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                    "text": pipeline("python:latest", 0)}}),
        );
        let shown = server.wait_for("the config message", Duration::from_secs(60), |v| {
            v["method"] == "window/showMessage"
        });
        let message = shown["params"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains(&expected) && message.contains("not a regular file"),
            "{message}"
        );
        // Linted with the defaults meanwhile, and still answering.
        server.wait_for("diagnostics", Duration::from_secs(60), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri.as_str()
                && has(v, "unpinned-image", 9)
        });
        server.probe("after-config");
        server.stop();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
