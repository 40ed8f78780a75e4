//! The versioned JSON report. Its fields are documented in the README; any change that
//! removes or renames a field bumps [`JSON_FORMAT_VERSION`].

use serde::Serialize;

use super::Summary;
use crate::analysis::{Confidence, Question};
use crate::engine::{FileReport, Outcome, RunReport};
use crate::yaml::{LineIndex, Span};

pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
    column_utf16: u32,
    offset: u32,
}

#[derive(Serialize)]
struct JsonSpan {
    start: Position,
    end: Position,
}

fn json_span(lines: &LineIndex, span: Span) -> JsonSpan {
    let at = |offset: u32| {
        let lc = lines.line_col(offset);
        Position {
            line: lc.line,
            column: lc.column,
            column_utf16: lc.column_utf16,
            offset,
        }
    };
    JsonSpan {
        start: at(span.start),
        end: at(span.end),
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    span: JsonSpan,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    pipeline: Option<&'a str>,
    step: Option<&'a str>,
    step_path: &'a [String],
    also_steps: &'a [String],
    document: Option<usize>,
    span: JsonSpan,
    label: &'a str,
    help: &'a str,
    related: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<JsonEvidence<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<Confidence>,
    /// The rule's documentation online (`docs-url`); omitted when none is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    /// The finding's fix (`pipelint check --fix`); omitted when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
    /// Where the finding is in the Python the KFP IR was compiled from, the most specific
    /// place first; omitted when no source was found. `file`, `span` and the fix's edits
    /// stay the IR's (a fix edits the compiled file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<JsonSource<'a>>,
    /// `"source"` with `--report-at source`: the first of `sources` is where the finding
    /// is reported; omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_at: Option<&'static str>,
}

/// A place in another file; no byte offset, as that file's text is not part of the report.
#[derive(Serialize)]
struct JsonSource<'a> {
    file: &'a str,
    message: &'a str,
    start: crate::yaml::LineCol,
    end: crate::yaml::LineCol,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    /// `safe` (`--fix`) or `unsafe` (`--fix --unsafe-fixes`).
    applicability: &'static str,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

/// Replace the text at `span` (empty: insert at its start) with `replacement`.
#[derive(Serialize)]
struct JsonEdit<'a> {
    span: JsonSpan,
    replacement: &'a str,
}

#[derive(Serialize)]
struct JsonEvidence<'a> {
    kind: Question,
    text: &'a str,
    description: &'a str,
    confidence: Confidence,
    span: JsonSpan,
}

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
    findings: Vec<JsonFinding<'a>>,
    files: Vec<JsonFile<'a>>,
    summary: Summary,
}

fn file_entry(file: &FileReport) -> JsonFile<'_> {
    outcome_entry(&file.path, &file.outcome)
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

pub fn render_json(report: &RunReport) -> String {
    let findings = report
        .findings()
        .map(|(file, f)| finding_entry(file, f))
        .collect();
    let doc = JsonReport {
        version: JSON_FORMAT_VERSION,
        tool: Tool {
            name: "pipelint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings,
        files: report.files.iter().map(file_entry).collect(),
        summary: Summary::of(report),
    };
    let mut out =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

/// `--format json-lines`: one finding a line, each the object of the JSON report's
/// `findings` array (as ruff's `json-lines` is its `json` array, one element a line).
pub fn render_json_lines(report: &RunReport) -> String {
    let mut out = String::new();
    for (file, f) in report.findings() {
        if let Ok(line) = serde_json::to_string(&finding_entry(file, f)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn finding_entry<'a>(file: &'a FileReport, f: &'a crate::finding::Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        file: &file.path,
        pipeline: f.pipeline.as_deref(),
        step: f.step.as_deref(),
        step_path: &f.step_path,
        also_steps: &f.also_steps,
        document: f.document,
        span: json_span(&file.lines, f.span),
        label: &f.label,
        help: &f.help,
        related: f
            .related
            .iter()
            .map(|l| JsonLabel {
                message: &l.message,
                span: json_span(&file.lines, l.span),
            })
            .collect(),
        evidence: f
            .evidence
            .iter()
            .map(|e| JsonEvidence {
                kind: e.question,
                text: &e.text,
                description: &e.description,
                confidence: e.confidence,
                span: json_span(&file.lines, e.span),
            })
            .collect(),
        confidence: f.confidence,
        url: f.url.as_deref(),
        fix: f.fix.as_ref().map(|fix| JsonFix {
            applicability: fix.applicability.as_str(),
            message: &fix.message,
            edits: fix
                .edits
                .iter()
                .map(|e| JsonEdit {
                    span: json_span(&file.lines, e.span),
                    replacement: &e.new_text,
                })
                .collect(),
        }),
        sources: f
            .sources
            .iter()
            .map(|s| JsonSource {
                file: &s.path,
                message: &s.message,
                start: s.start,
                end: s.end,
            })
            .collect(),
        reported_at: f.at_source.then_some("source"),
    }
}

/// The JSON report written file by file, byte for byte what [`render_json`] gives for the
/// same files in the same order: findings are written as each file arrives (its source and
/// findings can then be dropped); only the `files` entries and the counts are kept to the end.
/// A write that fails (a closed pipe, a full disk) stops the writing, not the counting: the
/// error is returned by [`JsonStream::finish`], for the caller to judge.
pub struct JsonStream<W: std::io::Write> {
    out: W,
    failed: Option<std::io::Error>,
    findings: usize,
    /// What the entries of `files` show, packed into one buffer (no allocation per file,
    /// so nothing long-lived is scattered through the heap): see [`JsonStream::file`].
    files: String,
    /// The outcomes seen, each once; `files` refers to them by index.
    outcomes: Vec<Outcome>,
    file_count: usize,
    summary: Summary,
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
        findings: Vec::new(),
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
            outcomes: Vec::new(),
            file_count: 0,
            summary: Summary::default(),
        };
        let head = skeleton(Summary::default());
        let at = head.find(FINDINGS_KEY).unwrap_or(0);
        // Up to and including the array's `[`.
        stream.write(&head[..at + FINDINGS_KEY.len() - 1]);
        stream
    }

    fn write(&mut self, text: &str) {
        if self.failed.is_none() {
            if let Err(e) = self.out.write_all(text.as_bytes()) {
                self.failed = Some(e);
            }
        }
    }

    /// Writes one entry of an array two levels deep (`findings` or `files`), straight into
    /// the output, indented as `to_string_pretty` indents it inside the whole report.
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
        for f in &file.findings {
            self.entry(self.findings == 0, &finding_entry(&file, f));
            self.findings += 1;
        }
        self.summary.count(&file);
        // `path NUL outcome-index NUL`: a shown path has no NUL.
        let index = match self.outcomes.iter().position(|o| *o == file.outcome) {
            Some(index) => index,
            None => {
                self.outcomes.push(file.outcome);
                self.outcomes.len() - 1
            }
        };
        self.files.push_str(&file.path);
        self.files.push('\0');
        self.files.push_str(&index.to_string());
        self.files.push('\0');
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
        for n in 0..self.file_count {
            let (Some(path), Some(index)) = (fields.next(), fields.next()) else {
                break;
            };
            let Some(outcome) = index.parse::<usize>().ok().and_then(|i| outcomes.get(i)) else {
                break;
            };
            self.entry(n == 0, &outcome_entry(path, outcome));
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
