//! JSON-RPC over stdio, framed by `Content-Length` headers, that survives bad input.
//!
//! `lsp_server::Connection::stdio` ends its reader thread at the first message that is not
//! valid JSON, which takes the whole server down. Here a malformed frame becomes an
//! [`Incoming::Malformed`] (answered with a JSON-RPC error) and reading goes on at the next
//! valid header. The message types are still `lsp_server`'s.
//!
//! A frame whose `Content-Length` is wrong leaves the reader somewhere inside a message, so
//! after any malformed frame the stream is resynchronised: bytes are skipped up to the next
//! `Content-Length: <digits>` line. That line cannot occur inside a valid JSON body (outside
//! a string it is not JSON; inside one a raw line break is not allowed), which also lets a
//! frame that declares more bytes than were sent be cut at the next header instead of
//! swallowing the messages after it (and waiting for bytes that never come). A frame over
//! the size limit is refused as soon as its header is read; its body is skipped the same way,
//! never buffered.

use std::io::{self, Read, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{ErrorCode, Message, RequestId};

/// A header block longer than this is not a header block.
const MAX_HEADER_BLOCK: usize = 8 * 1024;
/// The longest `Content-Length: <digits>` line looked for when resynchronising.
const MAX_HEADER_LINE: usize = 96;
/// How much is read from the input at a time.
const CHUNK: usize = 64 * 1024;

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

/// Reader and writer threads on stdin/stdout; frames over `max_frame` bytes are refused.
pub fn stdio(max_frame: usize) -> (Receiver<Incoming>, Sender<Outgoing>, IoThreads) {
    let (in_tx, in_rx) = crossbeam_channel::unbounded::<Incoming>();
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<Outgoing>();
    // The reader is never joined: it may be blocked on stdin when the server exits.
    let _reader = thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let _ = read_loop(&mut stdin.lock(), &in_tx, max_frame);
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

/// Reads frames until end of input or an `exit` notification; frames over `max_frame`
/// bytes are refused unread.
pub fn read_loop(input: &mut dyn Read, tx: &Sender<Incoming>, max_frame: usize) -> io::Result<()> {
    let mut reader = FrameReader::new(input, max_frame);
    loop {
        let incoming = match reader.next_frame()? {
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

/// What the header block at the reading position says.
enum Header {
    Eof,
    /// A well-formed block of `len` bytes announcing a body of `length` bytes.
    Frame {
        len: usize,
        length: usize,
    },
    /// A well-formed block announcing a body over the limit.
    TooLarge {
        len: usize,
        length: String,
    },
    /// Not a frame; reading resumes at the first header found from `resume` on.
    Bad {
        message: String,
        resume: usize,
    },
}

impl Header {
    /// Looks again from just after the block's first byte: the header that was missed may
    /// be glued to the end of a broken line.
    fn bad(message: String) -> Header {
        Header::Bad { message, resume: 1 }
    }
}

/// Splits the input into frames. The unread bytes are `buf[pos..]`.
struct FrameReader<'a> {
    input: &'a mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    max_frame: usize,
    /// Where the next frame is looked for after a malformed one (relative to `pos`);
    /// `None` when in step.
    resync_from: Option<usize>,
}

impl<'a> FrameReader<'a> {
    fn new(input: &'a mut dyn Read, max_frame: usize) -> Self {
        FrameReader {
            input,
            buf: Vec::new(),
            pos: 0,
            max_frame,
            resync_from: None,
        }
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Reads more input after the unread bytes (dropping the bytes already read);
    /// `false` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        loop {
            match self.input.read(&mut self.buf[old..]) {
                Ok(n) => {
                    self.buf.truncate(old + n);
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        }
    }

    fn next_frame(&mut self) -> io::Result<Frame> {
        if let Some(from) = self.resync_from {
            if !self.resync(from)? {
                return Ok(Frame::Eof);
            }
        }
        match self.header()? {
            Header::Eof => Ok(Frame::Eof),
            Header::Bad { message, resume } => {
                self.resync_from = Some(resume);
                Ok(Frame::Bad(message))
            }
            Header::TooLarge { len, length } => {
                self.pos += len;
                self.resync_from = Some(0);
                Ok(Frame::Bad(format!(
                    "a message of {length} bytes is over the {} byte limit; it was not read",
                    self.max_frame
                )))
            }
            Header::Frame { len, length } => {
                self.pos += len;
                self.body(length)
            }
        }
    }

    /// Parses the header block at the reading position, skipping blank lines before it.
    /// Consumes nothing but those blank lines.
    fn header(&mut self) -> io::Result<Header> {
        let mut length: Option<Vec<u8>> = None;
        let mut error: Option<String> = None;
        let mut conflict = false;
        let mut cur = 0; // relative to `pos`
        loop {
            let line_end = loop {
                if let Some(i) = self.unread()[cur..].iter().position(|&b| b == b'\n') {
                    break cur + i;
                }
                if self.unread().len() > MAX_HEADER_BLOCK {
                    return Ok(Header::bad(format!(
                        "no end of the header block within {MAX_HEADER_BLOCK} bytes"
                    )));
                }
                if !self.fill()? {
                    return Ok(Header::Eof);
                }
            };
            let line = &self.unread()[cur..line_end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let first = cur == 0;
            cur = line_end + 1;
            if line.is_empty() {
                if first {
                    self.pos += cur; // stray blank lines between frames
                    cur = 0;
                    continue;
                }
                break;
            }
            if cur > MAX_HEADER_BLOCK {
                return Ok(Header::bad(format!(
                    "no end of the header block within {MAX_HEADER_BLOCK} bytes"
                )));
            }
            let shown = String::from_utf8_lossy(line).into_owned();
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                error.get_or_insert_with(|| format!("malformed header line: {shown:?}"));
                continue;
            };
            let name = line[..colon].trim_ascii();
            if name.is_empty() || !name.iter().all(|&b| is_token_char(b)) {
                error.get_or_insert_with(|| format!("malformed header line: {shown:?}"));
                continue;
            }
            if !name.eq_ignore_ascii_case(b"content-length") {
                continue; // Content-Type and anything else
            }
            let value = line[colon + 1..].trim_ascii();
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                error.get_or_insert_with(|| format!("bad Content-Length header: {shown:?}"));
                continue;
            }
            match &length {
                None => length = Some(value.to_vec()),
                Some(seen) if seen == value => {} // the same header twice
                Some(_) if error.is_none() => {
                    // The block is well formed, only its lengths disagree: the next frame
                    // comes after it (not at its second Content-Length line).
                    error = Some("two different Content-Length headers in one message".into());
                    conflict = true;
                }
                Some(_) => {}
            }
        }
        let length = match (error, length) {
            (Some(message), _) if conflict => {
                return Ok(Header::Bad {
                    message,
                    resume: cur,
                })
            }
            (Some(message), _) => return Ok(Header::bad(message)),
            (None, None) => return Ok(Header::bad("no Content-Length header".into())),
            (None, Some(digits)) => digits,
        };
        // Digits only, so not UTF-8 or not a `usize` means too many of them.
        Ok(
            match std::str::from_utf8(&length)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
            {
                Some(length) if length <= self.max_frame => Header::Frame { len: cur, length },
                _ => Header::TooLarge {
                    len: cur,
                    length: String::from_utf8_lossy(&length).into_owned(),
                },
            },
        )
    }

    /// Reads a body of `length` bytes, unless a new header starts inside it (the frame was
    /// declared longer than it is): then that header is where reading goes on.
    fn body(&mut self, length: usize) -> io::Result<Frame> {
        let mut scanned = 0; // bytes of the body checked for a header
        loop {
            let available = self.unread().len().min(length);
            if let Some(at) = header_within(&self.unread()[..available], scanned) {
                self.pos += at;
                return Ok(Frame::Bad(format!(
                    "the message declared {length} bytes, but the next message began after {at}"
                )));
            }
            scanned = available;
            if available == length {
                let body = self.unread()[..length].to_vec();
                self.pos += length;
                return Ok(Frame::Body(body));
            }
            // The body stays in `buf` until complete (it is at most `max_frame` bytes).
            self.buf.reserve(length - available);
            if !self.fill()? {
                return Ok(Frame::Eof);
            }
        }
    }

    /// Skips to the next `Content-Length: <digits>` line at or after `from` (relative to
    /// `pos`), keeping only a line's worth of the bytes skipped; `false` at end of input.
    fn resync(&mut self, from: usize) -> io::Result<bool> {
        self.pos = (self.pos + from).min(self.buf.len());
        let mut scanned = 0;
        loop {
            if let Some(at) = header_within(self.unread(), scanned) {
                self.pos += at;
                self.resync_from = None;
                return Ok(true);
            }
            let unread = self.unread().len();
            // A header may begin in the last bytes and end in the next read.
            let keep = unread.min(MAX_HEADER_LINE);
            self.pos += unread - keep;
            scanned = keep;
            if !self.fill()? {
                self.resync_from = None;
                return Ok(false);
            }
        }
    }
}

/// RFC 9110 token characters: what a header name is made of.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The start of the first complete `Content-Length: <digits>` line in `bytes` whose line
/// break is at or after `from` (a header glued to the end of other bytes counts).
fn header_within(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = bytes[at..].iter().position(|&b| b == b'\n') {
        let nl = at + i;
        if let Some(start) = header_ending_at(bytes, nl) {
            return Some(start);
        }
        at = nl + 1;
    }
    None
}

/// Reads backwards from the line break at `nl`: `Content-Length` (any case), optional
/// blanks, `:`, optional blanks, digits, optional blanks, an optional CR.
fn header_ending_at(bytes: &[u8], nl: usize) -> Option<usize> {
    let blanks = |mut i: usize| {
        while i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        i
    };
    let mut i = nl;
    if i > 0 && bytes[i - 1] == b'\r' {
        i -= 1;
    }
    i = blanks(i);
    let digits_end = i;
    while i > 0 && bytes[i - 1].is_ascii_digit() && digits_end - i < 20 {
        i -= 1;
    }
    if i == digits_end {
        return None;
    }
    i = blanks(i);
    if i == 0 || bytes[i - 1] != b':' {
        return None;
    }
    i = blanks(i - 1);
    const NAME: &[u8] = b"content-length";
    let start = i.checked_sub(NAME.len())?;
    bytes[start..i].eq_ignore_ascii_case(NAME).then_some(start)
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

    const LIMIT: usize = 1024 * 1024;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn request(id: i32) -> String {
        frame(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"shutdown"}}"#
        ))
    }

    /// Hands out `data`, then fails as a client that waits for an answer would leave a
    /// reader waiting: what was read so far must already have been delivered.
    struct ThenStall(io::Cursor<Vec<u8>>);

    impl Read for ThenStall {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("the client is waiting for an answer")),
                n => Ok(n),
            }
        }
    }

    /// Everything delivered from `input`, which stalls at its end.
    fn read_all(input: &[u8]) -> Vec<Incoming> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut reader = ThenStall(io::Cursor::new(input.to_vec()));
        let _ = read_loop(&mut reader, &tx, LIMIT);
        drop(tx);
        rx.iter().collect()
    }

    /// Each delivery as `Ok(request id)` or `Err(error message)`.
    fn summary(got: &[Incoming]) -> Vec<Result<String, String>> {
        got.iter()
            .map(|m| match m {
                Incoming::Message(Message::Request(r)) => Ok(r.id.to_string()),
                Incoming::Message(other) => Ok(format!("{other:?}")),
                Incoming::Malformed { message, .. } => Err(message.clone()),
            })
            .collect()
    }

    fn ids(got: &[Incoming]) -> Vec<String> {
        summary(got).into_iter().filter_map(Result::ok).collect()
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
        let got = read_all(input.as_bytes());
        // The header-less block and the one after it are skipped as one stretch of junk.
        assert_eq!(got.len(), 6, "{got:#?}");
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
                Some(-32600),
                Some(-32600),
                None,
                None
            ]
        );
        match &got[3] {
            Incoming::Malformed { id, .. } => {
                assert_eq!(id, &Some(RequestId::from("a".to_string())))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_body_without_content_length_does_not_swallow_the_messages_after_it() {
        // The body is followed directly by the next header, on the same "line".
        let input = [
            "Content-Type: application/json\r\n\r\n".to_string(),
            r#"{"jsonrpc":"2.0","id":0,"method":"shutdown"}"#.to_string(),
            request(1),
            request(2),
            request(3),
        ]
        .concat();
        let got = summary(&read_all(input.as_bytes()));
        assert_eq!(
            got,
            [
                Err("no Content-Length header".to_string()),
                Ok("1".into()),
                Ok("2".into()),
                Ok("3".into())
            ]
        );
    }

    #[test]
    fn a_content_length_too_short_costs_only_its_own_message() {
        let body = r#"{"jsonrpc":"2.0","id":0,"method":"shutdown"}"#;
        let input = format!(
            "Content-Length: 20\r\n\r\n{body}{}{}",
            request(1),
            request(2)
        );
        let got = read_all(input.as_bytes());
        assert!(summary(&got)[0].is_err(), "{got:#?}");
        assert_eq!(ids(&got), ["1", "2"]);
    }

    #[test]
    fn a_content_length_too_long_is_cut_at_the_next_header_without_waiting_for_more() {
        let body = r#"{"jsonrpc":"2.0","id":0,"method":"shutdown"}"#;
        // 500 bytes declared, 44 sent: the request after it must be read before any more
        // input arrives (the reader stalls after it).
        let input = format!("Content-Length: 500\r\n\r\n{body}{}", request(1));
        let got = summary(&read_all(input.as_bytes()));
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(
            got[0]
                .as_ref()
                .is_err_and(|e| e.contains("declared 500 bytes")),
            "{got:?}"
        );
        assert_eq!(got[1], Ok("1".to_string()));
    }

    #[test]
    fn bad_or_conflicting_lengths_are_refused_and_the_next_message_is_read() {
        let body = r#"{"jsonrpc":"2.0","id":0,"method":"shutdown"}"#;
        for header in [
            "Content-Length: 4x\r\n".to_string(),
            "Content-Length: -44\r\n".to_string(),
            "Content-Length: +44\r\n".to_string(),
            "Content-Length:\r\n".to_string(),
            "Content-Length: 44\r\nContent-Length: 45\r\n".to_string(),
            "Content-Length 44\r\n".to_string(),
            "{\"Content-Length\": 44}\r\n".to_string(),
        ] {
            let input = format!("{header}\r\n{body}{}", request(1));
            let got = summary(&read_all(input.as_bytes()));
            assert_eq!(got.len(), 2, "{header:?}: {got:#?}");
            assert!(got[0].is_err(), "{header:?}: {got:?}");
            assert_eq!(got[1], Ok("1".to_string()), "{header:?}");
        }
        // The same length twice is one length.
        let twice = format!("Content-Length: 44\r\nContent-Length: 44\r\n\r\n{body}");
        assert_eq!(ids(&read_all(twice.as_bytes())), ["0"]);
        // Any case, blanks around the value, LF-only lines.
        let loose = format!("content-LENGTH:\t44 \n\n{body}");
        assert_eq!(ids(&read_all(loose.as_bytes())), ["0"]);
    }

    #[test]
    fn a_body_that_is_not_json_is_answered_and_reading_goes_on() {
        let input = format!("{}{}", frame("\u{1}\u{2} not json at all"), request(1));
        let got = summary(&read_all(input.as_bytes()));
        assert!(
            got[0].as_ref().is_err_and(|e| e.contains("not JSON")),
            "{got:?}"
        );
        assert_eq!(got[1..], [Ok("1".to_string())]);
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_before_its_body_is_read() {
        // Only the header is there; the reader stalls after it, so the refusal must not
        // wait for (or allocate) the body.
        let got = summary(&read_all(
            b"Content-Length: 999999999999999999999999\r\n\r\n",
        ));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0]
                .as_ref()
                .is_err_and(|e| e.contains("over the 1048576 byte limit")),
            "{got:?}"
        );
        let just_over = format!("Content-Length: {}\r\n\r\n", LIMIT + 1);
        let got = summary(&read_all(just_over.as_bytes()));
        assert!(got[0].is_err(), "{got:?}");
        // The body is skipped up to the next header, in pieces (it is larger than a read).
        let huge_body = format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"x","params":"{}"}}"#,
            "y".repeat(3 * LIMIT)
        );
        let input = format!("{}{}", frame(&huge_body), request(1));
        let got = summary(&read_all(input.as_bytes()));
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].is_err(), "{got:?}");
        assert_eq!(got[1], Ok("1".to_string()));
    }

    #[test]
    fn junk_between_frames_is_skipped_even_when_a_header_straddles_reads() {
        // Junk longer than one read, then a header split across the read boundary.
        let mut input = "x".repeat(CHUNK - 7).into_bytes();
        input.extend_from_slice(request(1).as_bytes());
        input.extend_from_slice(b"\r\n\r\n\r\n");
        input.extend_from_slice(request(2).as_bytes());
        let got = summary(&read_all(&input));
        assert!(got[0].is_err(), "{got:?}");
        assert_eq!(got[1..], [Ok("1".to_string()), Ok("2".to_string())]);
    }

    #[test]
    fn a_header_block_without_end_is_cut() {
        let mut input = "X-Long: ".to_string();
        input.push_str(&"z".repeat(3 * MAX_HEADER_BLOCK));
        input.push_str("\r\n\r\n");
        input.push_str(&request(1));
        let got = summary(&read_all(input.as_bytes()));
        assert!(got[0].is_err(), "{got:?}");
        assert_eq!(got[1..], [Ok("1".to_string())]);
    }

    #[test]
    fn random_bytes_never_stop_the_reader() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces: [&[u8]; 6] = [
            b"Content-Length: ",
            b"\r\n",
            b"\r\n\r\n",
            b"{\"jsonrpc\":",
            b"12",
            b":",
        ];
        for round in 0..200 {
            let mut input = Vec::new();
            for _ in 0..(next() % 40) {
                if next() % 2 == 0 {
                    input.extend_from_slice(pieces[(next() % 6) as usize]);
                } else {
                    input.push(next() as u8);
                }
            }
            // Junk may declare a body that ends inside the first request; never in the second.
            input.extend_from_slice(request(round).as_bytes());
            input.extend_from_slice(request(1000 + round).as_bytes());
            let got = ids(&read_all(&input));
            assert_eq!(
                got.last().map(String::as_str),
                Some((1000 + round).to_string().as_str()),
                "round {round}: {:?}",
                String::from_utf8_lossy(&input)
            );
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
