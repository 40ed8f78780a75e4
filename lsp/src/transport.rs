//! JSON-RPC over stdio, framed by `Content-Length` headers, that survives bad input.
//!
//! `lsp_server::Connection::stdio` ends its reader thread at the first message that is not
//! valid JSON, which takes the whole server down. Here a malformed frame becomes an
//! [`Incoming::Malformed`] (answered with a JSON-RPC error) and reading goes on with the next
//! frame. The message types are still `lsp_server`'s.

use std::io::{self, BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{ErrorCode, Message, RequestId};

/// Frames larger than this are skipped (and answered with an error), never buffered.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// What the reader hands to the main loop.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame that is not a JSON-RPC message; `id` when one could still be read from it.
    Malformed {
        id: Option<RequestId>,
        code: i32,
        message: String,
    },
}

/// What the main loop hands to the writer.
#[derive(Debug)]
pub enum Outgoing {
    Message(Message),
    /// An error response with `"id": null` (JSON-RPC's answer to an unreadable request),
    /// which `lsp_server::Response` cannot express.
    NullIdError {
        code: i32,
        message: String,
    },
}

impl From<Message> for Outgoing {
    fn from(m: Message) -> Self {
        Outgoing::Message(m)
    }
}

pub struct IoThreads {
    writer: thread::JoinHandle<()>,
}

impl IoThreads {
    /// Waits until everything sent before the main loop dropped its sender is written.
    pub fn join_writer(self) {
        let _ = self.writer.join();
    }
}

/// Reader and writer threads on stdin/stdout.
pub fn stdio() -> (Receiver<Incoming>, Sender<Outgoing>, IoThreads) {
    let (in_tx, in_rx) = crossbeam_channel::unbounded::<Incoming>();
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<Outgoing>();
    // The reader is never joined: it may be blocked on stdin when the server exits.
    let _reader = thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let _ = read_loop(&mut stdin.lock(), &in_tx);
        })
        .expect("spawn the LSP reader thread");
    let writer = thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for msg in out_rx {
                if write_message(&mut out, &msg).is_err() {
                    break; // the client is gone
                }
            }
        })
        .expect("spawn the LSP writer thread");
    (in_rx, out_tx, IoThreads { writer })
}

enum Frame {
    Eof,
    Body(Vec<u8>),
    Bad(String),
}

/// Reads frames until end of input or an `exit` notification.
pub fn read_loop(input: &mut dyn BufRead, tx: &Sender<Incoming>) -> io::Result<()> {
    loop {
        let incoming = match read_frame(input)? {
            Frame::Eof => return Ok(()),
            Frame::Bad(message) => Incoming::Malformed {
                id: None,
                code: ErrorCode::ParseError as i32,
                message,
            },
            Frame::Body(body) => parse(&body),
        };
        let exit =
            matches!(&incoming, Incoming::Message(Message::Notification(n)) if n.method == "exit");
        if tx.send(incoming).is_err() || exit {
            return Ok(());
        }
    }
}

fn read_frame(input: &mut dyn BufRead) -> io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut bad_header: Option<String> = None;
    let mut line = Vec::new();
    let mut saw_any = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(Frame::Eof);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_any {
                continue; // stray blank lines between frames
            }
            break;
        }
        saw_any = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length header: {text:?}")),
                );
            }
            Some(_) => {} // Content-Type and anything else
            None => {
                bad_header.get_or_insert_with(|| format!("malformed header line: {text:?}"));
            }
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(e)) => return Ok(Frame::Bad(e)),
        None => {
            return Ok(Frame::Bad(
                bad_header.unwrap_or_else(|| "no Content-Length header".into()),
            ))
        }
    };
    if length > MAX_FRAME {
        io::copy(&mut input.take(length as u64), &mut io::sink())?;
        return Ok(Frame::Bad(format!(
            "message of {length} bytes is over the {MAX_FRAME} byte limit"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

fn parse(body: &[u8]) -> Incoming {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Malformed {
                id: None,
                code: ErrorCode::ParseError as i32,
                message: format!("the message is not JSON: {e}"),
            }
        }
    };
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    match serde_json::from_value::<Message>(value) {
        Ok(msg) => Incoming::Message(msg),
        Err(e) => Incoming::Malformed {
            id,
            code: ErrorCode::InvalidRequest as i32,
            message: format!("not a JSON-RPC request, response or notification: {e}"),
        },
    }
}

pub fn write_message(out: &mut dyn Write, msg: &Outgoing) -> io::Result<()> {
    match msg {
        Outgoing::Message(m) => {
            let mut buf = Vec::new();
            m.clone().write(&mut buf)?;
            out.write_all(&buf)?;
        }
        Outgoing::NullIdError { code, message } => {
            let body = serde_json::json!({
                "jsonrpc": "2.0",
                "id": null,
                "error": {"code": code, "message": message},
            })
            .to_string();
            write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn read_all(input: &str) -> Vec<Incoming> {
        let (tx, rx) = crossbeam_channel::unbounded();
        read_loop(&mut io::Cursor::new(input.as_bytes().to_vec()), &tx).unwrap();
        drop(tx);
        rx.iter().collect()
    }

    #[test]
    fn survives_bad_frames_and_reads_on() {
        let input = [
            frame("{not json"),
            "X-Garbage\r\n\r\n".to_string(),
            "Content-Length: abc\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":3}"#),
            frame(r#"{"jsonrpc":"2.0","id":"a","params":{}}"#),
            format!(
                "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n{}",
                frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#)
            ),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
            frame(r#"{"jsonrpc":"2.0","method":"never-read"}"#),
        ]
        .concat();
        let got = read_all(&input);
        assert_eq!(got.len(), 7, "{got:#?}");
        let codes: Vec<Option<i32>> = got
            .iter()
            .map(|m| match m {
                Incoming::Malformed { code, .. } => Some(*code),
                Incoming::Message(_) => None,
            })
            .collect();
        assert_eq!(
            codes,
            [
                Some(-32700),
                Some(-32700),
                Some(-32700),
                Some(-32600),
                Some(-32600),
                None,
                None
            ]
        );
        match &got[4] {
            Incoming::Malformed { id, .. } => {
                assert_eq!(id, &Some(RequestId::from("a".to_string())))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn writes_null_id_errors() {
        let mut out = Vec::new();
        write_message(
            &mut out,
            &Outgoing::NullIdError {
                code: -32700,
                message: "bad".into(),
            },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(head, format!("Content-Length: {}", body.len()));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["id"], serde_json::Value::Null);
        assert_eq!(v["error"]["code"], -32700);
    }
}
