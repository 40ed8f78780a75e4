//! `check --format json` on standard output is written file by file (memory stays flat
//! however many files a run has); with `--min-severity` it takes the whole-report path. Both
//! must print the same bytes, on every thread count.

use std::path::Path;
use std::process::Command;

fn json(args: &[&str], dir: &Path) -> (Vec<u8>, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "--format", "json"])
        .args(args)
        .arg(dir)
        .output()
        .expect("run pipelint");
    (out.stdout, out.status.code())
}

#[test]
fn streamed_json_is_the_whole_report_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("testdata")];
    let shared = root.join("../shared/corpus");
    if shared.is_dir() {
        dirs.push(shared);
    }
    let empty = std::env::temp_dir().join(format!("pipelint-json-stream-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    dirs.push(empty.clone());
    for dir in &dirs {
        // `--min-severity info` hides nothing but takes the whole-report path.
        let (whole, code) = json(&["--min-severity", "info"], dir);
        assert!(!whole.is_empty(), "{}: no output", dir.display());
        for jobs in ["1", "2", "3"] {
            let (streamed, streamed_code) = json(&["-j", jobs], dir);
            assert_eq!(code, streamed_code, "{}: exit code", dir.display());
            assert!(
                whole == streamed,
                "{} (-j {jobs}): the streamed JSON differs from the whole report",
                dir.display()
            );
        }
        let (quiet, _) = json(&["--quiet", "--fail-on", "never", "-o", "-"], dir);
        assert!(whole == quiet, "{}: -o - --quiet", dir.display());
    }
    std::fs::remove_dir_all(&empty).unwrap();
}

/// A report whose findings use every field of the JSON format, with text that must be
/// escaped (quotes, backslashes, line breaks, control characters) and columns that differ in
/// UTF-8 and UTF-16; a file with a bare finding; a file that could not be read.
fn report_with_every_field() -> pipelint::engine::RunReport {
    use pipelint::analysis::{Confidence, Evidence, Question};
    use pipelint::engine::{FileReport, Outcome, RunReport};
    use pipelint::finding::{Finding, Severity, SourceLocation};
    use pipelint::fix::{Fix, TextEdit};
    use pipelint::yaml::{LineCol, LineIndex, Span};
    use std::sync::Arc;

    let source = "steps:\n- name: \"é🚀\" # \"quoted\" \\ \t\n  run: |\n    echo \u{1}\u{7f}\n";
    let at = |needle: &str| {
        let start = source.find(needle).unwrap() as u32;
        Span::new(start, start + needle.len() as u32)
    };
    let mut full = Finding::new(
        "io-step-without-retry",
        Severity::Warning,
        at("name"),
        "step \"é🚀\" does IO\n\tand \\ more \u{1}\u{1f}\u{7f} </script>",
    )
    .label("no `retryStrategy` \"here\"")
    .help("add a retry:\r\n  limit: \"3\"")
    .related(at("run"), "runs \"echo\"");
    full.pipeline = Some("pipe\"line".into());
    full.step = Some("é🚀".into());
    full.step_path = vec!["root".to_string(), "é🚀".to_string()].into();
    full.also_steps = vec!["other \\ step".to_string()];
    full.document = Some(3);
    full.evidence = vec![Evidence {
        question: Question::NonIdempotent,
        text: "echo \u{1}".to_string(),
        description: "command runs `echo`".to_string(),
        span: at("echo"),
        confidence: Confidence::High,
        row: Some("echo".to_string()),
    }];
    full.confidence = Some(Confidence::Low);
    full.url = Some("https://example.com/rules/x?a=\"b\"".into());
    full.fix = Some(Fix::unsafe_(
        "add a bounded `retryStrategy` to \"é🚀\"",
        vec![
            TextEdit::new(
                Span::new(at("run").start, at("run").start),
                "retryStrategy:\n    limit: \"3\"\n  ",
            ),
            TextEdit::new(at("é🚀"), ""),
        ],
    ));
    full.sources = vec![SourceLocation {
        path: "pipelines/train \"x\".py".to_string(),
        start: LineCol {
            line: 4,
            column: 5,
            column_utf16: 5,
        },
        end: LineCol {
            line: 4,
            column: 9,
            column_utf16: 8,
        },
        message: "set in pipelines/train.py:4: `t.set_retry(\"3\")`".to_string(),
    }];
    full.at_source = true;
    let bare = Finding::new("unpinned-image", Severity::Info, Span::new(0, 0), "");
    let file = |path: &str, outcome: Outcome, findings: Vec<Finding>| FileReport {
        path: path.to_string(),
        source: Arc::new(source.to_string()),
        lines: Arc::new(LineIndex::new(source)),
        outcome,
        findings,
        suppressed: 1,
    };
    RunReport {
        files: vec![
            file(
                "a \"dir\"/é.yaml",
                Outcome::Pipeline(vec!["argo-workflow", "kfp-ir"]),
                vec![full, bare.clone()],
            ),
            file("b.yaml", Outcome::Unsupported("tekton"), vec![bare]),
            file(
                "c.yaml",
                Outcome::Unreadable("not \"text\"\n".to_string()),
                Vec::new(),
            ),
        ],
        baselined: 2,
        stale_baseline: 1,
    }
}

#[test]
fn json_report_writes_every_field_and_escapes_text() {
    let report = report_with_every_field();
    let whole = pipelint::report::render_json(&report);
    let lines = pipelint::report::render_json_lines(&report);
    // Both are JSON, and a reader gets the text back unescaped.
    let doc: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(
        doc["findings"][0]["message"],
        "step \"é🚀\" does IO\n\tand \\ more \u{1}\u{1f}\u{7f} </script>"
    );
    for line in lines.lines() {
        let finding: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(finding["rule"].is_string(), "{line}");
    }
    insta::assert_snapshot!("json_report_every_field", whole);
    insta::assert_snapshot!("json_lines_every_field", lines);
}

#[test]
fn streamed_json_of_every_field_is_the_whole_report() {
    let mut report = report_with_every_field();
    // The stream counts what it sees; a baseline is the whole-report path's.
    report.baselined = 0;
    report.stale_baseline = 0;
    let whole = pipelint::report::render_json(&report);
    let mut streamed = Vec::new();
    let mut stream = pipelint::report::JsonStream::start(&mut streamed);
    for file in report.files {
        stream.file(file);
    }
    let (summary, written) = stream.finish();
    written.unwrap();
    assert_eq!(summary.findings, 3);
    assert_eq!(String::from_utf8(streamed).unwrap(), whole);
}

#[test]
fn findings_written_where_the_file_was_linted_are_the_whole_report() {
    let without_baseline = || {
        let mut report = report_with_every_field();
        report.baselined = 0;
        report.stale_baseline = 0;
        report
    };
    let whole = pipelint::report::render_json(&without_baseline());
    // Every file written ahead (its findings freed, as a worker does), and every other
    // file so: the report's first finding has no comma before it either way.
    for ahead in [
        |_: usize| true,
        |i: usize| i % 2 == 0,
        |i: usize| i % 2 == 1,
    ] {
        let mut streamed = Vec::new();
        let mut stream = pipelint::report::JsonStream::start(&mut streamed);
        for (i, file) in without_baseline().files.into_iter().enumerate() {
            if ahead(i) {
                let rendered = pipelint::report::RenderedFindings::of(&file);
                let freed = pipelint::engine::FileReport {
                    findings: Vec::new(),
                    ..file
                };
                stream.file_rendered(freed, rendered);
            } else {
                stream.file(file);
            }
        }
        let (summary, written) = stream.finish();
        written.unwrap();
        assert_eq!(summary.findings, 3);
        assert_eq!(summary.errors + summary.warnings + summary.infos, 3);
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
    }
}
