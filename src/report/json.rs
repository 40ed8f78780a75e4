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
struct JsonLabel {
    message: String,
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
    related: Vec<JsonLabel>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<JsonEvidence<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<Confidence>,
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
    let (kind, formats, error) = match &file.outcome {
        Outcome::Pipeline(formats) => ("pipeline", formats.clone(), None),
        Outcome::NotPipeline => ("not-pipeline", Vec::new(), None),
        Outcome::Unparseable => ("unparseable", Vec::new(), None),
        Outcome::Unreadable(reason) => ("unreadable", Vec::new(), Some(reason.as_str())),
    };
    JsonFile {
        path: &file.path,
        kind,
        formats,
        error,
    }
}

pub fn render_json(report: &RunReport) -> String {
    let findings = report
        .findings()
        .map(|(file, f)| JsonFinding {
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
                    message: l.message.clone(),
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
        })
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
