//! The versioned JSON report. Its fields are documented in the README; any change that
//! removes or renames a field bumps [`JSON_FORMAT_VERSION`].

use serde::Serialize;

use super::Summary;
use crate::engine::{FileReport, Outcome, RunReport};
use crate::finding::{Finding, Severity};
use crate::yaml::{LineCol, LineIndex, Span};

pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    kind: &'a str,
    formats: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    /// Always empty here: findings are written by [`FindingWriter`] into the text.
    findings: [(); 0],
    files: Vec<JsonFile<'a>>,
    summary: Summary,
}

fn outcome_entry<'a>(path: &'a str, outcome: &'a Outcome) -> JsonFile<'a> {
    let (kind, formats, error) = match outcome {
        Outcome::Pipeline(formats) => ("pipeline", formats.clone(), None),
        Outcome::NotPipeline => ("not-pipeline", Vec::new(), None),
        Outcome::Unsupported(format) => ("unsupported-pipeline", vec![*format], None),
        Outcome::Unparseable => ("unparseable", Vec::new(), None),
        Outcome::Unreadable(reason) => ("unreadable", Vec::new(), Some(reason.as_str())),
    };
    JsonFile {
        path,
        kind,
        formats,
        error,
    }
}

/// The whole report: [`JsonStream`] over every file, with the baseline's counts.
pub fn render_json(report: &RunReport) -> String {
    let mut out = Vec::new();
    let mut stream = JsonStream::start(&mut out);
    for file in &report.files {
        stream.add(file);
    }
    stream.summary.baselined = report.baselined;
    stream.summary.stale_baseline = report.stale_baseline;
    // Writing into memory does not fail.
    let _ = stream.finish();
    String::from_utf8(out).unwrap_or_default()
}

/// `--format json-lines`: one finding a line, each the object of the JSON report's
/// `findings` array (as ruff's `json-lines` is its `json` array, one element a line).
pub fn render_json_lines(report: &RunReport) -> String {
    let mut out = Vec::new();
    let mut memory = WriterMemory::default();
    for file in &report.files {
        let path = quoted(&file.path);
        for f in &file.findings {
            FindingWriter::compact(&mut out, &mut memory).finding(file, &path, f);
            out.push(b'\n');
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The JSON report written file by file (what [`render_json`] writes too): findings are
/// written as each file arrives (its source and findings can then be dropped); only the
/// `files` entries and the counts are kept to the end.
/// A write that fails (a closed pipe, a full disk) stops the writing, not the counting: the
/// error is returned by [`JsonStream::finish`], for the caller to judge.
pub struct JsonStream<W: std::io::Write> {
    out: W,
    failed: Option<std::io::Error>,
    findings: usize,
    /// What the entries of `files` show, packed into one buffer (no allocation per file,
    /// so nothing long-lived is scattered through the heap), each path written as what it
    /// adds to the one before (sorted paths share their folders): see [`JsonStream::file`].
    files: String,
    /// The path of the last file, which the next one is written against.
    last_path: String,
    /// The outcomes seen, each once; `files` refers to them by index.
    outcomes: Vec<Outcome>,
    file_count: usize,
    summary: Summary,
    /// Where a file's findings are written before they go out (kept: no allocation per
    /// file).
    scratch: Vec<u8>,
    /// What the finding writer keeps from file to file.
    memory: WriterMemory,
}

/// The arrays the stream fills in.
const FINDINGS_KEY: &str = "\"findings\": []";
const FILES_KEY: &str = "\"files\": []";

/// The report with no finding and no file, given the counts: the stream writes its text
/// with the two arrays filled in.
fn skeleton(summary: Summary) -> String {
    let doc = JsonReport {
        version: JSON_FORMAT_VERSION,
        tool: Tool {
            name: "pipelint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: [],
        files: Vec::new(),
        summary,
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

impl<W: std::io::Write> JsonStream<W> {
    pub fn start(out: W) -> Self {
        let mut stream = JsonStream {
            out,
            failed: None,
            findings: 0,
            files: String::new(),
            last_path: String::new(),
            outcomes: Vec::new(),
            file_count: 0,
            summary: Summary::default(),
            scratch: Vec::new(),
            memory: WriterMemory::default(),
        };
        let head = skeleton(Summary::default());
        let at = head.find(FINDINGS_KEY).unwrap_or(0);
        // Up to and including the array's `[`.
        stream.write(&head[..at + FINDINGS_KEY.len() - 1]);
        stream
    }

    fn write(&mut self, text: &str) {
        self.write_bytes(text.as_bytes());
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.failed = Some(e);
            }
        }
    }

    /// Writes one entry of the `files` array, straight into the output, indented as `to_string_pretty` indents it inside the whole report.
    fn entry(&mut self, first: bool, value: &impl Serialize) {
        self.write(if first { "\n    " } else { ",\n    " });
        if self.failed.is_some() {
            return;
        }
        let mut ser = serde_json::Serializer::with_formatter(&mut self.out, NestedPretty::at(2));
        if let Err(e) = value.serialize(&mut ser) {
            self.failed = Some(e.into());
        }
    }

    /// Writes the findings of the next file (files come in the order of the report).
    pub fn file(&mut self, file: FileReport) {
        self.add(&file);
    }

    fn add(&mut self, file: &FileReport) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        write_findings(&mut text, &mut self.memory, file);
        self.add_written(&text, file.findings.iter().map(|f| f.severity));
        self.scratch = text;
        self.add_file(file);
    }

    /// Writes the next file, whose findings [`RenderedFindings::of`] wrote already (on the
    /// thread that linted it; `file.findings` may have been freed since).
    pub fn file_rendered(&mut self, file: FileReport, rendered: RenderedFindings) {
        self.add_written(&rendered.text, rendered.severities.iter().copied());
        self.add_file(&file);
    }

    /// Writes findings [`write_findings`] wrote, and counts them.
    fn add_written(&mut self, text: &[u8], severities: impl Iterator<Item = Severity>) {
        if !text.is_empty() {
            // Each finding was written after `,\n    `; the report's first has no comma.
            let from = usize::from(self.findings == 0);
            self.write_bytes(&text[from..]);
        }
        for severity in severities {
            self.findings += 1;
            self.summary.count_finding(severity);
        }
    }

    /// The file's entry of `files` and its outcome in the counts.
    fn add_file(&mut self, file: &FileReport) {
        self.summary.count_file(file);
        // `shared NUL rest NUL outcome-index NUL`, the path being the first `shared` bytes of
        // the one before and `rest`: a shown path has no NUL.
        let index = match self.outcomes.iter().position(|o| *o == file.outcome) {
            Some(index) => index,
            None => {
                self.outcomes.push(file.outcome.clone());
                self.outcomes.len() - 1
            }
        };
        let shared = shared_prefix(&self.last_path, &file.path);
        {
            use std::fmt::Write as _;
            let _ = write!(self.files, "{shared}\0{}\0{index}\0", &file.path[shared..]);
        }
        self.last_path.truncate(shared);
        self.last_path.push_str(&file.path[shared..]);
        self.file_count += 1;
    }

    /// Writes the rest of the report; returns the counts (for the summary line) and whether
    /// everything was written.
    pub fn finish(mut self) -> (Summary, std::io::Result<()>) {
        let summary = std::mem::take(&mut self.summary);
        let tail = skeleton(summary.clone());
        let at = tail.find(FINDINGS_KEY).unwrap_or(0) + FINDINGS_KEY.len();
        let files_at = tail.find(FILES_KEY).unwrap_or(at);
        self.write(if self.findings == 0 { "]" } else { "\n  ]" });
        // Up to and including the `files` array's `[`, its entries, then the rest.
        self.write(&tail[at..files_at + FILES_KEY.len() - 1]);
        let files = std::mem::take(&mut self.files);
        let outcomes = std::mem::take(&mut self.outcomes);
        let mut fields = files.split('\0');
        let mut path = String::new();
        for n in 0..self.file_count {
            let (Some(shared), Some(rest), Some(index)) =
                (fields.next(), fields.next(), fields.next())
            else {
                break;
            };
            let Some(outcome) = index.parse::<usize>().ok().and_then(|i| outcomes.get(i)) else {
                break;
            };
            path.truncate(shared.parse().unwrap_or(0));
            path.push_str(rest);
            self.entry(n == 0, &outcome_entry(&path, outcome));
        }
        self.write(if self.file_count == 0 { "]" } else { "\n  ]" });
        self.write(&tail[files_at + FILES_KEY.len()..]);
        let written = match self.failed.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        };
        (summary, written)
    }
}

/// A file's findings as [`JsonStream`] writes them, each after `,\n    `, and their
/// severities: made where the file was linted, so that the thread writing the report
/// only copies them out.
pub struct RenderedFindings {
    text: Vec<u8>,
    severities: Vec<Severity>,
}

impl RenderedFindings {
    pub fn of(file: &FileReport) -> RenderedFindings {
        thread_local! {
            static MEMORY: std::cell::RefCell<WriterMemory> = std::cell::RefCell::default();
        }
        let mut text = Vec::new();
        MEMORY.with_borrow_mut(|memory| write_findings(&mut text, memory, file));
        RenderedFindings {
            text,
            severities: file.findings.iter().map(|f| f.severity).collect(),
        }
    }

    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.severities.iter().copied().max()
    }
}

/// The findings of `file` as the report writes them, each after `,\n    `.
fn write_findings(out: &mut Vec<u8>, memory: &mut WriterMemory, file: &FileReport) {
    if file.findings.is_empty() {
        return;
    }
    // Every finding of the file names it: its path is escaped once.
    let path = quoted(&file.path);
    for f in &file.findings {
        out.extend_from_slice(b",\n    ");
        FindingWriter::pretty(out, 2, memory).finding(file, &path, f);
    }
}

/// `s` as a JSON string, quotes included.
fn quoted(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    FindingWriter::compact(&mut out, &mut WriterMemory::default()).str(s);
    out
}

/// How many leading bytes `b` shares with `a`, ending at a character boundary.
fn shared_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// `serde_json`'s pretty formatter (two spaces a level) starting `depth` levels deep, so
/// that a value written on its own lands byte for byte as it would inside the whole report.
struct NestedPretty {
    depth: usize,
    has_value: bool,
}

impl NestedPretty {
    fn at(depth: usize) -> Self {
        NestedPretty {
            depth,
            has_value: false,
        }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const SPACES: &[u8; 64] = &[b' '; 64];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut left = self.depth * 2;
        while left > 0 {
            let n = left.min(SPACES.len());
            w.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(c)
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A field name as a key of the pretty report (`"rule": `), in one piece: a name needs no
/// escaping.
macro_rules! field {
    ($name:literal) => {
        concat!("\"", $name, "\": ")
    };
}

/// Writes a finding's JSON object straight into the output, byte for byte as `serde_json`
/// writes it (pretty, at a depth, or compact), without building anything per finding: the
/// fields are written in their documented order as they are read from the finding.
struct FindingWriter<'w> {
    out: &'w mut Vec<u8>,
    /// `Some(depth)`: pretty, two spaces a level, starting `depth` levels deep.
    depth: Option<usize>,
    /// No value yet in the object or array just opened.
    first: bool,
    memory: &'w mut WriterMemory,
}

/// A span object's text at one depth with its eight numbers left out, and where they go:
/// a finding's spans are its most repeated text (four of its five fields are keys and
/// indentation), written as nine pieces of one template rather than some thirty pieces.
struct SpanTemplate {
    depth: Option<usize>,
    text: Vec<u8>,
    /// Where the start's line, column, UTF-16 column and offset go, then the end's.
    holes: [usize; 8],
    /// The nine pieces around the holes, each padded to [`PIECE`] bytes (copies of a length
    /// known when compiling are a few moves, not a call of `memcpy`), when they fit: at the
    /// depths findings have.
    pieces: Option<Box<SpanPieces>>,
}

/// Bytes each piece of a [`SpanTemplate`] is padded to.
const PIECE: usize = 64;
/// Room for a span written from [`SpanPieces`]: each piece is copied whole (padding
/// included) where the text has got to, and each number has at most ten digits.
const SPAN_ROOM: usize = 9 * PIECE + 8 * 10;

struct SpanPieces {
    padded: [[u8; PIECE]; 9],
    lens: [usize; 9],
}

/// What a [`FindingWriter`] keeps from finding to finding and file to file: the text it
/// writes again and again, made once.
#[derive(Default)]
struct WriterMemory {
    /// The span templates made so far, one for each depth a span was written at.
    spans: Vec<SpanTemplate>,
    /// Where a span is put together from its template's pieces ([`SPAN_ROOM`] bytes once
    /// used).
    span_room: Vec<u8>,
    recent: RecentStrings,
}

impl WriterMemory {
    /// The index in `spans` of the template at `depth`.
    fn span_template(&mut self, depth: Option<usize>) -> usize {
        match self.spans.iter().position(|t| t.depth == depth) {
            Some(index) => index,
            None => {
                self.spans.push(SpanTemplate::new(depth));
                self.spans.len() - 1
            }
        }
    }
}

/// Strings that findings repeat (a rule's help and label, its documentation URL, a fix's
/// message), as [`FindingWriter::str`] wrote them last: a string equal to one kept is
/// copied out rather than read for escapes again. Found by length (one slot per length,
/// the last string of that length kept): comparing equal strings is a `memcmp`, much less
/// than the escaping, and most texts of a length are the same text.
#[derive(Default)]
struct RecentStrings {
    slots: Vec<RecentString>,
}

#[derive(Default)]
struct RecentString {
    raw: Vec<u8>,
    escaped: Vec<u8>,
}

/// Slots of [`RecentStrings`] (a power of two).
const RECENT_SLOTS: usize = 256;
/// Strings shorter are escaped as fast as they are looked up; longer ones are not kept
/// (a finding's repeated strings are a few hundred bytes).
const RECENT_MIN_LEN: usize = 32;
const RECENT_MAX_LEN: usize = 2048;

impl RecentStrings {
    fn slot(len: usize) -> usize {
        // Fibonacci hashing: the top bits of the product.
        ((len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - RECENT_SLOTS.trailing_zeros()))
            as usize
    }
}

impl SpanTemplate {
    /// Written as [`FindingWriter`] writes any object, with a hole where each number goes.
    fn new(depth: Option<usize>) -> Self {
        let mut text = Vec::new();
        let mut holes = [0; 8];
        let mut none = WriterMemory::default();
        let mut writer = FindingWriter {
            out: &mut text,
            depth,
            first: false,
            memory: &mut none,
        };
        let mut hole = holes.iter_mut();
        writer.open(b'{');
        for end in [field!("start"), field!("end")] {
            writer.key(end);
            writer.open(b'{');
            for number in [
                field!("line"),
                field!("column"),
                field!("column_utf16"),
                field!("offset"),
            ] {
                writer.key(number);
                if let Some(hole) = hole.next() {
                    *hole = writer.out.len();
                }
            }
            writer.close(b'}');
        }
        writer.close(b'}');
        let mut pieces = SpanPieces {
            padded: [[b' '; PIECE]; 9],
            lens: [0; 9],
        };
        let mut from = 0;
        let mut fits = true;
        for (i, to) in holes.iter().copied().chain([text.len()]).enumerate() {
            let piece = &text[from..to];
            fits &= piece.len() <= PIECE;
            if let Some(padded) = pieces.padded[i].get_mut(..piece.len()) {
                padded.copy_from_slice(piece);
            }
            pieces.lens[i] = piece.len();
            from = to;
        }
        SpanTemplate {
            depth,
            text,
            holes,
            pieces: fits.then(|| Box::new(pieces)),
        }
    }
}

impl<'w> FindingWriter<'w> {
    fn pretty(out: &'w mut Vec<u8>, depth: usize, memory: &'w mut WriterMemory) -> Self {
        FindingWriter {
            out,
            depth: Some(depth),
            first: true,
            memory,
        }
    }

    fn compact(out: &'w mut Vec<u8>, memory: &'w mut WriterMemory) -> Self {
        FindingWriter {
            out,
            depth: None,
            first: true,
            memory,
        }
    }

    /// `path` is the file's path as [`quoted`] writes it.
    fn finding(&mut self, file: &FileReport, path: &[u8], f: &Finding) {
        let lines = &file.lines;
        self.open(b'{');
        self.key(field!("rule"));
        self.str(f.rule);
        self.key(field!("severity"));
        // One of three names that need no escaping, written with their quotes.
        let severity: &[u8] = match f.severity {
            Severity::Info => b"\"info\"",
            Severity::Warning => b"\"warning\"",
            Severity::Error => b"\"error\"",
        };
        self.raw(severity);
        self.key(field!("message"));
        self.str(&f.message);
        self.key(field!("file"));
        self.raw(path);
        self.key(field!("pipeline"));
        self.opt_str(f.pipeline.as_deref());
        self.key(field!("step"));
        self.opt_str(f.step.as_deref());
        self.key(field!("step_path"));
        self.strs(&f.step_path);
        self.key(field!("also_steps"));
        self.strs(&f.also_steps);
        self.key(field!("document"));
        match f.document {
            Some(n) => self.number(n as u64),
            None => self.raw(b"null"),
        }
        self.key(field!("span"));
        self.span(lines, f.span);
        self.key(field!("label"));
        self.repeated_str(&f.label);
        self.key(field!("help"));
        self.repeated_str(&f.help);
        self.key(field!("related"));
        self.open(b'[');
        for label in &f.related {
            self.item();
            self.open(b'{');
            self.key(field!("message"));
            self.repeated_str(&label.message);
            self.key(field!("span"));
            self.span(lines, label.span);
            self.close(b'}');
        }
        self.close(b']');
        if !f.evidence.is_empty() {
            self.key(field!("evidence"));
            self.open(b'[');
            for e in &f.evidence {
                self.item();
                self.open(b'{');
                self.key(field!("kind"));
                self.unit_variant(&e.question);
                self.key(field!("text"));
                self.str(&e.text);
                self.key(field!("description"));
                self.repeated_str(&e.description);
                self.key(field!("confidence"));
                self.unit_variant(&e.confidence);
                self.key(field!("span"));
                self.span(lines, e.span);
                self.close(b'}');
            }
            self.close(b']');
        }
        if let Some(confidence) = &f.confidence {
            self.key(field!("confidence"));
            self.unit_variant(confidence);
        }
        if let Some(url) = &f.url {
            self.key(field!("url"));
            self.repeated_str(url);
        }
        if let Some(fix) = &f.fix {
            self.key(field!("fix"));
            self.open(b'{');
            self.key(field!("applicability"));
            self.str(fix.applicability.as_str());
            self.key(field!("message"));
            self.repeated_str(&fix.message);
            self.key(field!("edits"));
            self.open(b'[');
            for edit in &fix.edits {
                self.item();
                self.open(b'{');
                self.key(field!("span"));
                self.span(lines, edit.span);
                self.key(field!("replacement"));
                self.str(&edit.new_text);
                self.close(b'}');
            }
            self.close(b']');
            self.close(b'}');
        }
        if !f.sources.is_empty() {
            self.key(field!("sources"));
            self.open(b'[');
            for s in &f.sources {
                self.item();
                self.open(b'{');
                self.key(field!("file"));
                self.str(&s.path);
                self.key(field!("message"));
                self.str(&s.message);
                self.key(field!("start"));
                self.line_col(s.start, None);
                self.key(field!("end"));
                self.line_col(s.end, None);
                self.close(b'}');
            }
            self.close(b']');
        }
        if f.at_source {
            self.key(field!("reported_at"));
            self.str("source");
        }
        self.close(b'}')
    }

    /// `{"start": position, "end": position}`, each with its byte offset.
    fn span(&mut self, lines: &LineIndex, span: Span) {
        let [start, end] = lines.span_line_cols(span.start, span.end);
        let numbers = [
            start.line,
            start.column,
            start.column_utf16,
            span.start,
            end.line,
            end.column,
            end.column_utf16,
            span.end,
        ];
        let index = self.memory.span_template(self.depth);
        let WriterMemory {
            spans, span_room, ..
        } = &mut *self.memory;
        let template = &spans[index];
        self.first = false;
        if let Some(pieces) = &template.pieces {
            // Put together in a buffer of known room, then written in one copy.
            if span_room.len() < SPAN_ROOM {
                span_room.resize(SPAN_ROOM, 0);
            }
            let room = &mut span_room[..SPAN_ROOM];
            let mut at = 0;
            for (i, n) in numbers.into_iter().enumerate() {
                room[at..at + PIECE].copy_from_slice(&pieces.padded[i]);
                at += pieces.lens[i];
                at = put_number(room, at, n);
            }
            room[at..at + PIECE].copy_from_slice(&pieces.padded[8]);
            at += pieces.lens[8];
            self.out.extend_from_slice(&room[..at]);
            return;
        }
        let mut from = 0;
        for (&hole, n) in template.holes.iter().zip(numbers) {
            self.out.extend_from_slice(&template.text[from..hole]);
            push_number(self.out, u64::from(n));
            from = hole;
        }
        self.out.extend_from_slice(&template.text[from..]);
    }

    fn line_col(&mut self, at: LineCol, offset: Option<u32>) {
        self.open(b'{');
        self.key(field!("line"));
        self.number(u64::from(at.line));
        self.key(field!("column"));
        self.number(u64::from(at.column));
        self.key(field!("column_utf16"));
        self.number(u64::from(at.column_utf16));
        if let Some(offset) = offset {
            self.key(field!("offset"));
            self.number(u64::from(offset));
        }
        self.close(b'}')
    }

    #[inline(always)]
    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Where the next value of an object (after its key) or an array goes.
    #[inline(always)]
    fn item(&mut self) {
        let first = std::mem::replace(&mut self.first, false);
        match self.depth {
            Some(depth) => {
                let skip = usize::from(first);
                self.break_and_indent(skip, depth)
            }
            None if first => {}
            None => self.raw(b","),
        }
    }

    /// `BREAK_AND_INDENT[skip..]` up to the indentation of `depth`. A copy of a length
    /// chosen at run time is a call of `memcpy`: at the depths findings have, a whole chunk of
    /// known length is copied (a few moves) and what is past the indentation cut off again.
    #[inline(always)]
    fn break_and_indent(&mut self, skip: usize, depth: usize) {
        let len = 2 - skip + depth * 2;
        match BREAK_AND_INDENT.get(skip..skip + CHUNK) {
            Some(chunk) if len <= CHUNK => {
                let chunk: &[u8; CHUNK] = chunk.try_into().unwrap_or(&[b' '; CHUNK]);
                let end = self.out.len() + len;
                self.out.extend_from_slice(chunk);
                self.out.truncate(end);
            }
            _ => {
                self.raw(&BREAK_AND_INDENT[skip..2]);
                self.indent(depth)
            }
        }
    }

    /// A key, written as [`field!`] gives it (pretty), or without its last space (compact).
    #[inline(always)]
    fn key(&mut self, field: &'static str) {
        self.item();
        // A copy of a length known where the key is written, in each branch: a few moves,
        // not a call of `memcpy` with the length chosen at run time.
        match self.depth {
            Some(_) => self.raw(field.as_bytes()),
            None => self.raw(&field.as_bytes()[..field.len() - 1]),
        }
    }

    fn indent(&mut self, depth: usize) {
        const SPACES: &[u8; 64] = &[b' '; 64];
        let mut left = depth * 2;
        while left > 0 {
            let n = left.min(SPACES.len());
            self.raw(&SPACES[..n]);
            left -= n;
        }
    }

    #[inline(always)]
    fn open(&mut self, bracket: u8) {
        if let Some(depth) = &mut self.depth {
            *depth += 1;
        }
        self.first = true;
        self.raw(&[bracket])
    }

    /// Closes what [`FindingWriter::open`] opened; an empty one closes on its line (`[]`).
    #[inline(always)]
    fn close(&mut self, bracket: u8) {
        let empty = std::mem::replace(&mut self.first, false);
        if let Some(depth) = &mut self.depth {
            *depth -= 1;
            let depth = *depth;
            if !empty {
                // `BREAK_AND_INDENT` without its comma.
                self.break_and_indent(1, depth);
            }
        }
        self.raw(&[bracket])
    }

    #[inline(always)]
    fn number(&mut self, n: u64) {
        push_number(self.out, n)
    }

    /// [`FindingWriter::str`] of a string that findings repeat (see [`RecentStrings`]).
    fn repeated_str(&mut self, s: &str) {
        if !(RECENT_MIN_LEN..=RECENT_MAX_LEN).contains(&s.len()) {
            return self.str(s);
        }
        let recent = &mut self.memory.recent.slots;
        if recent.is_empty() {
            recent.resize_with(RECENT_SLOTS, RecentString::default);
        }
        let kept = &mut recent[RecentStrings::slot(s.len())];
        if kept.raw == s.as_bytes() {
            self.out.extend_from_slice(&kept.escaped);
            return;
        }
        let start = self.out.len();
        self.str(s);
        let kept = &mut self.memory.recent.slots[RecentStrings::slot(s.len())];
        kept.raw.clear();
        kept.raw.extend_from_slice(s.as_bytes());
        kept.escaped.clear();
        kept.escaped.extend_from_slice(&self.out[start..]);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw(b"null"),
        }
    }

    fn strs(&mut self, items: &[String]) {
        self.open(b'[');
        for s in items {
            self.item();
            self.str(s);
        }
        self.close(b']')
    }

    /// An enum written as its serde name (`"non-idempotent"`): the name stays where the
    /// type says it.
    fn unit_variant(&mut self, value: &impl Serialize) {
        // Writing into memory does not fail.
        let _ = serde_json::to_writer(&mut *self.out, value);
    }

    /// A string, escaped as `serde_json` escapes it: `"` and `\\` and the control characters
    /// below U+0020 (`\\b \\t \\n \\f \\r` by name, the others as `\\u00XX`); everything else as is.
    fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.out.reserve(bytes.len() + 2);
        self.raw(b"\"");
        let mut written = 0;
        let mut at = 0;
        // A block at a time while none of its bytes needs escaping (most strings have none,
        // or a few quotes): the test of a whole block compiles to vector compares.
        while let Some(block) = bytes.get(at..at + BLOCK) {
            let block: &[u8; BLOCK] = block.try_into().unwrap_or(&[0; BLOCK]);
            if block.iter().fold(false, |any, &b| any | needs_escape(b)) {
                written = self.escape_words(bytes, at..at + BLOCK, written);
            }
            at += BLOCK;
        }
        // The tail, tested as a block too: the string's last block when it has one (it
        // reaches back into bytes already tested or written: then the tail is only looked at
        // again), else the tail made a block with spaces (which need no escaping).
        let tail = &bytes[at..];
        let mut padded = [b' '; BLOCK];
        let block: &[u8; BLOCK] = match bytes.len().checked_sub(BLOCK) {
            Some(from) => bytes[from..].try_into().unwrap_or(&padded),
            None => {
                padded[..tail.len()].copy_from_slice(tail);
                &padded
            }
        };
        if !tail.is_empty() && block.iter().fold(false, |any, &b| any | needs_escape(b)) {
            written = self.escape_words(bytes, at..bytes.len(), written);
        }
        self.raw(&bytes[written..]);
        self.raw(b"\"")
    }

    /// Writes `bytes[written..]` up to the last byte of `range` that needs escaping, escaped,
    /// and returns how far it wrote. A word of eight bytes at a time, each word giving where
    /// its bytes to escape are.
    fn escape_words(
        &mut self,
        bytes: &[u8],
        range: std::ops::Range<usize>,
        mut written: usize,
    ) -> usize {
        let mut at = range.start;
        while at < range.end {
            let n = (range.end - at).min(8);
            let word = match bytes.get(at..at + 8) {
                Some(word) if n == 8 => word.try_into().unwrap_or([0; 8]),
                _ => {
                    // The tail, made a word with spaces (which need no escaping).
                    let mut word = [b' '; 8];
                    word[..n].copy_from_slice(&bytes[at..at + n]);
                    word
                }
            };
            let mut to_escape = escapes_in(u64::from_le_bytes(word));
            while to_escape != 0 {
                let escape_at = at + to_escape.trailing_zeros() as usize / 8;
                to_escape &= to_escape - 1;
                self.raw_within(bytes, written..escape_at);
                self.escaped(bytes[escape_at]);
                written = escape_at + 1;
            }
            at += n;
        }
        written
    }

    /// `bytes[range]`: when `bytes` has a [`CHUNK`] from its start and the range is no
    /// longer, as a copy of the whole chunk cut back to the range (see
    /// [`FindingWriter::break_and_indent`]).
    #[inline(always)]
    fn raw_within(&mut self, bytes: &[u8], range: std::ops::Range<usize>) {
        match bytes.get(range.start..range.start + CHUNK) {
            Some(chunk) if range.len() <= CHUNK => {
                let chunk: &[u8; CHUNK] = chunk.try_into().unwrap_or(&[b' '; CHUNK]);
                let end = self.out.len() + range.len();
                self.out.extend_from_slice(chunk);
                self.out.truncate(end);
            }
            _ => self.raw(&bytes[range]),
        }
    }

    /// The escape of a byte [`FindingWriter::str`] escapes: written as two or six bytes
    /// (lengths known when compiling: a few moves, not a call of `memcpy`).
    #[inline(always)]
    fn escaped(&mut self, byte: u8) {
        let named = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\x08' => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            b'\x0c' => b'f',
            b'\r' => b'r',
            _ => {
                let hex = |nibble: u8| HEX_DIGITS[usize::from(nibble & 0xf)];
                return self.raw(&[b'\\', b'u', b'0', b'0', hex(byte >> 4), hex(byte)]);
            }
        };
        self.raw(&[b'\\', named])
    }
}

/// `n` in decimal.
#[inline(always)]
fn push_number(out: &mut Vec<u8>, n: u64) {
    // Lines and columns are mostly one or two digits.
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    if n < 100 {
        let pair = n as usize * 2;
        let digits: &[u8; 2] = DIGIT_PAIRS[pair..pair + 2].try_into().unwrap_or(&[b'0'; 2]);
        out.extend_from_slice(digits);
        return;
    }
    // Two digits at a time, from a table.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    while n >= 100 {
        let pair = usize::from((n % 100) as u8) * 2;
        n /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[at..])
}

/// Writes `n` in decimal at `room[at..]`; returns where it ends.
#[inline(always)]
fn put_number(room: &mut [u8], at: usize, n: u32) -> usize {
    // Lines and columns are mostly one or two digits.
    if n < 10 {
        room[at] = b'0' + n as u8;
        return at + 1;
    }
    if n < 100 {
        let pair = n as usize * 2;
        room[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        return at + 2;
    }
    let len = n.ilog10() as usize + 1;
    let mut end = at + len;
    let mut n = n;
    // Two digits at a time, from a table, from the last.
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        end -= 2;
        room[end..end + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        room[end - 2..end].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        room[end - 1] = b'0' + n as u8;
    }
    at + len
}

/// `"`, `\` and the control characters: what a JSON string escapes (bytes of multi-byte
/// UTF-8 characters are 0x80 and up: never).
fn needs_escape(byte: u8) -> bool {
    (byte < 0x20) | (byte == b'"') | (byte == b'\\')
}

/// Bytes copied at once where a copy of a length chosen at run time would be a call of
/// `memcpy`: the copy is cut back to its length after.
const CHUNK: usize = 32;

/// Bytes [`FindingWriter::str`] tests at a time.
const BLOCK: usize = 32;

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = ONES * 0x7f;

/// The high bit of each byte of `word` that [`needs_escape`], and no other bit.
fn escapes_in(word: u64) -> u64 {
    // A byte is zero exactly when neither its low seven bits (which, plus 0x7f, carry into
    // the high bit) nor its high bit are set; below 0x20 when neither the low seven bits
    // plus 0x60 nor the high bit reach the high bit. No carry crosses a byte.
    let zero = |w: u64| !(((w & LOW7) + LOW7) | w | LOW7);
    let below_space = !(((word & LOW7) + ONES * 0x60) | word | LOW7);
    below_space | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')))
}

/// `00` to `99`.
const DIGIT_PAIRS: &[u8; 200] = &{
    let mut pairs = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        pairs[2 * n] = b'0' + (n / 10) as u8;
        pairs[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    pairs
};

/// `,` and a line break, then the spaces of up to 32 levels: what goes before a value.
const BREAK_AND_INDENT: &[u8; 66] = &{
    let mut text = [b' '; 66];
    text[0] = b',';
    text[1] = b'\n';
    text
};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = Vec::new();
        FindingWriter::compact(&mut out, &mut WriterMemory::default()).str(s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Every ASCII character, and some that are not, at every place of an eight-byte word
        // and of a block of 32, and in the tail after the last whole block or word.
        let mut samples: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        samples.extend(["é", "🚀", "\u{2028}", "\u{fffd}"].map(String::from));
        for sample in samples {
            for before in 0..(BLOCK + 10) {
                for after in [0, 1, 7, 8, 9] {
                    let s = format!("{}{sample}{}", "a".repeat(before), "é".repeat(after));
                    assert_eq!(escaped(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn spans_are_written_as_serde_json_writes_them_at_every_depth() {
        // Line breaks and a wide character, so that columns in bytes and UTF-16 differ.
        // Lines and offsets of many digits, where the numbers are written from a table.
        let text = "a: 1\n".repeat(30_000) + "b: \"é😀x\"\r\nc: [1, 2]\n";
        let text = text.as_str();
        let lines = LineIndex::new(text);
        let span = Span::new(text.find('x').unwrap() as u32, text.len() as u32);
        // Fields in the documented order (a `serde_json::Value` would sort them).
        #[derive(Serialize)]
        struct Position {
            line: u32,
            column: u32,
            column_utf16: u32,
            offset: u32,
        }
        #[derive(Serialize)]
        struct SpanJson {
            start: Position,
            end: Position,
        }
        let position = |at: u32| {
            let lc = lines.line_col(at);
            Position {
                line: lc.line,
                column: lc.column,
                column_utf16: lc.column_utf16,
                offset: at,
            }
        };
        let expected = SpanJson {
            start: position(span.start),
            end: position(span.end),
        };
        let mut memory = WriterMemory::default();
        for depth in [None, Some(0), Some(1), Some(3), Some(40)] {
            // Twice at each depth: the template is made, then reused.
            for _ in 0..2 {
                let mut out = Vec::new();
                let mut writer = FindingWriter {
                    out: &mut out,
                    depth,
                    first: true,
                    memory: &mut memory,
                };
                writer.span(&lines, span);
                let mut want = Vec::new();
                match depth {
                    Some(depth) => {
                        let mut ser = serde_json::Serializer::with_formatter(
                            &mut want,
                            NestedPretty::at(depth),
                        );
                        expected.serialize(&mut ser).unwrap();
                    }
                    None => serde_json::to_writer(&mut want, &expected).unwrap(),
                }
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(want).unwrap(),
                    "at depth {depth:?}"
                );
            }
        }
        assert_eq!(memory.spans.len(), 5);
        // Both ways of writing a span were taken: from padded pieces, and (deep down) from
        // the template's text.
        let padded: Vec<bool> = memory.spans.iter().map(|t| t.pieces.is_some()).collect();
        assert_eq!(padded, [true, true, true, true, false]);
    }

    #[test]
    fn numbers_of_every_length_are_written_in_decimal() {
        let mut n = 1u64;
        let mut samples = vec![0u32, u32::MAX];
        while n <= u64::from(u32::MAX) {
            samples.extend([n - 1, n, n + 1].map(|n| n as u32));
            n *= 10;
        }
        for n in samples {
            let mut room = [b'x'; 20];
            let end = put_number(&mut room, 3, n);
            assert_eq!(&room[3..end], n.to_string().as_bytes());
            assert_eq!(room[end], b'x', "{n}: nothing written after it");
            let mut out = Vec::new();
            push_number(&mut out, u64::from(n));
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    /// Strings kept by length: another string of the same length takes the slot, and each
    /// is written as itself.
    #[test]
    fn repeated_strings_are_written_as_themselves() {
        let texts = [
            "a \"quoted\" help text, long enough to be kept",
            "a \"quoted\" help text, long enough to be KEPT",
            "another help text\twith a tab, of another length",
            "short",
        ];
        let mut memory = WriterMemory::default();
        for _ in 0..3 {
            for text in texts {
                let mut out = Vec::new();
                FindingWriter::compact(&mut out, &mut memory).repeated_str(text);
                assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text}");
            }
        }
    }

    #[test]
    fn files_are_listed_with_their_whole_paths_and_outcomes() {
        // Paths sharing folders, and bytes of a character (`é` and `è` share their first).
        let paths = [
            "dé/a.yaml",
            "dé/ab.yaml",
            "dè.yaml",
            "dé/a.yaml",
            "",
            "x/y/z.yaml",
            "x/y",
        ];
        let mut out = Vec::new();
        let mut stream = JsonStream::start(&mut out);
        for (n, path) in paths.iter().enumerate() {
            let outcome = if n % 2 == 0 {
                Outcome::NotPipeline
            } else {
                Outcome::Unreadable(format!("reason {n}"))
            };
            stream.file(crate::engine::FileReport {
                path: path.to_string(),
                source: std::sync::Arc::default(),
                lines: std::sync::Arc::new(LineIndex::new("")),
                outcome,
                findings: Vec::new(),
                suppressed: 0,
            });
        }
        let (summary, written) = stream.finish();
        written.unwrap();
        assert_eq!(summary.files, paths.len());
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let files = doc["files"].as_array().unwrap();
        let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(listed, paths);
        assert_eq!(files[2]["kind"], "not-pipeline");
        assert_eq!(files[3]["error"], "reason 3");
    }
}
