//! The fuzz targets' bodies, shared by the libFuzzer binaries in `fuzz_targets/` (nightly,
//! `cargo fuzz run <target>`) and by the stable harness in `tests/fuzz.rs` (CI). Each takes
//! arbitrary bytes and must neither panic nor break an invariant the renderers rely on.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use pipelint::config::Config;
use pipelint::engine::{lint_bytes, FileReport, RunReport, Settings};
use pipelint::limits;
use pipelint::report::{render_compact, render_human, render_json, HumanStyle};
use pipelint::yaml::{parse, LineIndex, ParseLimits, Span};

/// A fuzz target: arbitrary bytes in, a panic on a bug.
pub type Target = fn(&[u8]);

/// The targets by name, as `cargo fuzz` and the stable harness call them.
pub const TARGETS: &[(&str, Target)] = &[
    ("yaml", yaml),
    ("lint", lint),
    ("config", config),
    ("scanners", scanners),
];

fn check_span(src: &str, span: Span, what: &str) {
    assert!(span.start <= span.end, "{what}: inverted span {span:?}");
    assert!(
        src.get(span.range()).is_some(),
        "{what}: span {span:?} is outside the text or not on character boundaries (len {})",
        src.len()
    );
}

/// (a) The YAML layer: parse, walk every node, decode every scalar and map it back.
pub fn yaml(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let lines = LineIndex::new(&src);
    for parse_limits in [
        ParseLimits::default(),
        ParseLimits {
            max_alias_expansion: 50,
            max_nesting_depth: 4,
        },
    ] {
        let file = parse(&src, &parse_limits);
        for error in file.errors.iter().chain(&file.too_complex) {
            check_span(&src, error.span, "syntax error");
            let at = lines.line_col(error.span.start);
            assert!(at.line >= 1 && at.column >= 1);
        }
        for dup in &file.duplicate_keys {
            check_span(&src, dup.first, "duplicate key");
            check_span(&src, dup.second, "duplicate key");
        }
        for comment in &file.comments {
            check_span(&src, comment.span, "comment");
        }
        for doc in &file.documents {
            check_span(&src, doc.span, "document");
            for node in doc.all_nodes(&src) {
                check_span(&src, node.span(), "node");
                let _ = node.raw();
                let _ = node.resolved();
                let _ = (node.as_bool(), node.as_int_lenient(), node.as_f64_lenient());
                if let Some(text) = node.str() {
                    // Every decoded offset maps back into the node's text.
                    let mut mid = text.len() / 2;
                    while !text.is_char_boundary(mid) {
                        mid -= 1;
                    }
                    for end in [0, mid, text.len()] {
                        if let Some(span) = node.source_span(0..end) {
                            check_span(&src, span, "decoded scalar");
                        }
                    }
                }
                for (k, _) in node.entries().take(64) {
                    if let Some(key) = k.str() {
                        let _ = node.get(key);
                    }
                }
            }
        }
    }
}

fn check_report(file: &FileReport) {
    for f in &file.findings {
        check_span(&file.source, f.span, f.rule);
        for related in &f.related {
            check_span(&file.source, related.span, f.rule);
        }
    }
}

/// (b) Detection, the adapters, the classifiers and every rule, then every renderer, with
/// the default limits and with tight ones (so that each limit's path is exercised too).
pub fn lint(data: &[u8]) {
    let tight = Settings {
        parse_limits: ParseLimits {
            max_alias_expansion: 200,
            max_nesting_depth: 12,
        },
        max_file_size: 1 << 16,
        work_budget: 5_000,
        ..Settings::default()
    };
    let mut files = Vec::new();
    for (settings, explicit) in [(Settings::default(), true), (tight, false)] {
        let report = lint_bytes("fuzz.yaml".to_string(), data, explicit, &settings);
        check_report(&report);
        files.push(report);
    }
    let run = RunReport {
        files,
        ..RunReport::default()
    };
    let _ = render_compact(&run);
    let _ = render_json(&run);
    let _ = render_human(
        &run,
        HumanStyle {
            color: false,
            width: 80,
        },
    );
}

/// (c) The `.pipelint.yaml` loader: an error names a position inside the file; a loaded
/// config can lint a pipeline.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Config::from_text(Path::new(".pipelint.yaml"), &text) {
        Ok(config) => {
            let settings = Settings {
                config: Arc::new(config),
                work_budget: limits::DEFAULT_WORK_BUDGET,
                ..Settings::default()
            };
            let report = lint_bytes("p.yaml".into(), SAMPLE_PIPELINE.as_bytes(), true, &settings);
            check_report(&report);
        }
        Err(e) => {
            let lines = LineIndex::new(&text);
            assert!(
                e.line >= 1 && e.line <= lines.line_count().max(1) + 1,
                "{e}"
            );
            assert!(e.column >= 1, "{e}");
        }
    }
}

/// (d) The embedded-source scanners on any text: every call, argument list, string and shell
/// match lies inside the text on character boundaries, and a call's string arguments are a
/// range of the scan's literals (calls nest: their ranges must too).
pub fn scanners(data: &[u8]) {
    use pipelint::analysis::{python, shell};
    let text = String::from_utf8_lossy(data);
    let inside = |r: &std::ops::Range<usize>, what: &str| {
        assert!(
            r.start <= r.end && text.get(r.clone()).is_some(),
            "{what}: {r:?} is outside the text (len {}) or not on character boundaries",
            text.len()
        );
    };
    let scan = python::scan(&text);
    for call in &scan.calls {
        inside(&call.range, "call name");
        inside(&call.args, "call arguments");
        assert!(call.range.end <= call.args.start, "{call:?}");
        assert!(call.string_args.end <= scan.arg_strings.len(), "{call:?}");
        let _ = scan.string_args(call);
    }
    for lit in &scan.strings {
        inside(&lit.range, "string literal");
    }
    let mut last = 0;
    let knowledge = &pipelint::analysis::knowledge::BUILTIN_KNOWLEDGE;
    for hit in shell::scan(knowledge, &text) {
        inside(&hit.range, "shell match");
        assert!(hit.range.start >= last, "shell matches are sorted");
        last = hit.range.start;
    }
    for code in shell::python_snippets(&text) {
        inside(&code, "python -c snippet");
    }
}

const SAMPLE_PIPELINE: &str = "apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: sample-
spec:
  entrypoint: main
  templates:
    - name: main
      retryStrategy: {limit: 3}
      container:
        image: python:3.11
        command: [python, -c, 'import random; print(random.random())']
";
