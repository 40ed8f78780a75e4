//! Analyzer data -> LSP types: diagnostics and hover text (code actions: `actions.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use lsp_types::{
    Code, CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    Uri,
};

use crate::analyzer::{Analysis, Finding, Fix, Severity};
use crate::position::{Encoding, LineMap};

pub const SOURCE: &str = "pipelint";

/// What the client said it can show, and what the user configured.
#[derive(Clone, Debug, Default)]
pub struct Presentation {
    pub encoding: Encoding,
    pub related_information: bool,
    pub code_description: bool,
    /// `https://example.com/rules/{rule}`: the `codeDescription` of every diagnostic.
    pub docs_url: Option<String>,
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::Error,
        Severity::Warning => DiagnosticSeverity::Warning,
        Severity::Info => DiagnosticSeverity::Information,
    }
}

/// The message line, then the fix (the label points at the squiggle, which the editor draws),
/// then the rule's page for a client that cannot show `codeDescription` (Neovim, Eglot).
pub fn message(f: &Finding, p: &Presentation) -> String {
    let mut text = f.message.clone();
    if !f.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&f.help);
    }
    if !p.code_description {
        if let Some(url) = doc_url(f, p) {
            text.push_str("\ndocs: ");
            text.push_str(&url);
        }
    }
    text
}

pub fn doc_url(f: &Finding, p: &Presentation) -> Option<String> {
    f.doc_url
        .clone()
        .or_else(|| p.docs_url.as_ref().map(|t| t.replace("{rule}", &f.rule)))
}

pub fn diagnostic(f: &Finding, uri: &str, lines: &LineMap, p: &Presentation) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .map(|r| DiagnosticRelatedInformation {
            location: Location {
                uri: Uri::from(uri),
                range: lines.range(r.span.clone(), p.encoding),
            },
            message: r.message.clone(),
        })
        .collect();
    Diagnostic {
        range: lines.range(f.span.clone(), p.encoding),
        severity: Some(severity(f.severity)),
        code: Some(Code::String(f.rule.clone())),
        code_description: doc_url(f, p).filter(|_| p.code_description).map(|href| {
            CodeDescription {
                href: Uri::from(href),
            }
        }),
        source: Some(SOURCE.to_string()),
        message: message(f, p).into(),
        tags: None,
        related_information: (p.related_information && !related.is_empty()).then_some(related),
        data: None,
    }
}

/// The diagnostic of a finding at its primary place in another file (the Python line a KFP
/// IR finding maps to), on `lines` of that file; its related information leads back to the
/// finding in `uri` (the IR document) and to the finding's other places.
pub fn source_diagnostic(
    f: &Finding,
    uri: &str,
    doc_lines: &LineMap,
    lines: &LineMap,
    p: &Presentation,
) -> Option<Diagnostic> {
    let (primary, others) = f.sources.split_first()?;
    let mut diagnostic = diagnostic(f, uri, doc_lines, p);
    diagnostic.range = lines.range(primary.span.clone(), p.encoding);
    let label = if f.label.is_empty() {
        "reported here".to_string()
    } else {
        f.label.clone()
    };
    let mut related = vec![DiagnosticRelatedInformation {
        location: Location {
            uri: Uri::from(uri),
            range: doc_lines.range(f.span.clone(), p.encoding),
        },
        message: format!("in the compiled pipeline: {label}"),
    }];
    for place in others {
        let place_lines = LineMap::new(place.text.clone());
        related.push(DiagnosticRelatedInformation {
            location: Location {
                uri: Uri::from(crate::uri::from_path(&place.path)),
                range: place_lines.range(place.span.clone(), p.encoding),
            },
            message: place.message.clone(),
        });
    }
    diagnostic.related_information = p.related_information.then_some(related);
    Some(diagnostic)
}

/// A finding's diagnostic on another file (the Python line a KFP IR finding maps to).
#[derive(Clone, Debug)]
pub struct SourceDiagnostic {
    pub uri: String,
    pub diagnostic: Diagnostic,
    /// That file's text as the lint read it: where the diagnostic and `ignore` are counted.
    pub lines: Arc<LineMap>,
    /// The ignore comment for that line.
    pub ignore: Option<Fix>,
}

/// The diagnostics of an analysis's findings on the other files they map to, at each
/// finding's primary place.
pub fn source_diagnostics(
    analysis: Option<&Analysis>,
    uri: &str,
    lines: &LineMap,
    presentation: &Presentation,
) -> Vec<SourceDiagnostic> {
    let mut texts: HashMap<PathBuf, Arc<LineMap>> = HashMap::new();
    let mut out = Vec::new();
    for f in analysis.iter().flat_map(|a| a.findings.iter()) {
        let Some(place) = f.sources.first() else {
            continue;
        };
        let place_lines = texts
            .entry(place.path.clone())
            .or_insert_with(|| Arc::new(LineMap::new(place.text.clone())))
            .clone();
        let Some(diagnostic) = source_diagnostic(f, uri, lines, &place_lines, presentation) else {
            continue;
        };
        let ignore = place.ignore.clone();
        out.push(SourceDiagnostic {
            uri: crate::uri::from_path(&place.path),
            diagnostic,
            lines: place_lines,
            ignore,
        });
    }
    out
}

/// At most `max` diagnostics, the most severe first (in document order within a severity),
/// and, when some were left out, one more at the top of the document saying how many.
/// Thousands of diagnostics make a publish megabytes long and an editor sluggish.
pub fn capped(diagnostics: &[Diagnostic], max: usize) -> Vec<Diagnostic> {
    if diagnostics.len() <= max {
        return diagnostics.to_vec();
    }
    // Error = 1 ... Hint = 4: a stable sort keeps document order within a severity.
    let rank = |d: &Diagnostic| match d.severity {
        Some(DiagnosticSeverity::Error) => 0,
        Some(DiagnosticSeverity::Warning) => 1,
        Some(DiagnosticSeverity::Information) => 2,
        _ => 3,
    };
    let mut kept: Vec<Diagnostic> = diagnostics.to_vec();
    kept.sort_by_key(rank);
    let left_out = kept.len() - max;
    kept.truncate(max);
    let start = lsp_types::Position {
        line: 0,
        character: 0,
    };
    kept.push(Diagnostic {
        range: lsp_types::Range { start, end: start },
        severity: Some(DiagnosticSeverity::Information),
        code: None,
        code_description: None,
        source: Some(SOURCE.to_string()),
        message: format!(
            "{left_out} more findings are not shown: the {max} most severe are \
             (setting `maxDiagnostics`; `pipelint check` lists them all)"
        )
        .into(),
        tags: None,
        related_information: None,
        data: None,
    });
    kept
}

/// 0-based first and last line a finding covers (an end at column 0 does not count).
pub fn lines_of(f: &Finding, lines: &LineMap) -> (u32, u32) {
    let first = lines.line_of(f.span.start);
    let last = if f.span.end > f.span.start {
        lines.line_of(f.span.end - 1)
    } else {
        first
    };
    (first, last.max(first))
}

/// What hover shows of one rule.
pub struct RuleHelp {
    pub summary: Option<String>,
    /// The rule's page, in Markdown.
    pub page: Option<String>,
}

/// Hover text for the findings on one line, each rule once: its message, fix, summary and
/// link first, and only then, below a rule, the full pages (some are 300 lines long).
/// `markdown: false` gives plain text for clients that asked for it.
pub fn hover_text(
    findings: &[&Finding],
    p: &Presentation,
    markdown: bool,
    help: impl Fn(&str) -> RuleHelp,
) -> String {
    let mut short: Vec<String> = Vec::new();
    let mut pages: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for f in findings {
        if seen.contains(&f.rule.as_str()) {
            continue;
        }
        seen.push(&f.rule);
        let about = help(&f.rule);
        let mut part = if markdown {
            format!("**pipelint({})**: {}", f.rule, f.message)
        } else {
            format!("pipelint({}): {}", f.rule, f.message)
        };
        if !f.help.is_empty() {
            part.push_str(&format!("\n\nhelp: {}", f.help));
        }
        if let Some(summary) = about.summary.filter(|s| !s.is_empty()) {
            part.push_str(&format!("\n\n{summary}"));
        }
        if let Some(url) = doc_url(f, p) {
            if markdown {
                part.push_str(&format!("\n\n[Documentation of {}]({url})", f.rule));
            } else {
                part.push_str(&format!("\n\ndocs: {url}"));
            }
        }
        short.push(part);
        if let Some(page) = about.page {
            let page = page.trim_end();
            pages.push(if markdown {
                page.to_string()
            } else {
                plain(page)
            });
        }
    }
    let mut text = short.join("\n\n");
    if !pages.is_empty() {
        text.push_str(if markdown {
            "\n\n---\n\n"
        } else {
            "\n\n----------------------------------------\n\n"
        });
        text.push_str(&pages.join(if markdown { "\n\n---\n\n" } else { "\n\n" }));
    }
    text
}

/// A Markdown page as plain text: no heading marks, emphasis, code fences or backticks.
pub fn plain(markdown: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            continue;
        }
        let line = match line.strip_prefix('#') {
            Some(heading) => heading.trim_start_matches('#').trim_start(),
            None => line,
        };
        out.push(line.replace("**", "").replace('`', ""));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lsp_types::Position;

    use super::*;
    use crate::analyzer::Related;

    fn msg(m: &lsp_types::Message) -> String {
        match m {
            lsp_types::Message::String(s) => s.clone(),
            lsp_types::Message::MarkupContent(c) => c.value.clone(),
        }
    }

    const TEXT: &str = "kind: Workflow\n# ünïcödé 😀\nimage: \"ça:latest\"\n";

    fn finding() -> Finding {
        let start = TEXT.find("ça").unwrap();
        Finding {
            rule: "unpinned-image".into(),
            severity: Severity::Error,
            message: "step \"a\" runs image \"ça:latest\"".into(),
            label: "moves".into(),
            help: "pin it".into(),
            span: start..start + "ça:latest".len(),
            related: vec![Related {
                span: 15..16,
                message: "evidence".into(),
            }],
            doc_url: None,
            data: None,
            sources: Vec::new(),
        }
    }

    #[test]
    fn diagnostic_fields() {
        let lines = LineMap::new(Arc::from(TEXT));
        let p = Presentation {
            encoding: Encoding::Utf16,
            related_information: true,
            code_description: true,
            docs_url: Some("https://example.com/rules/{rule}.html".into()),
        };
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert_eq!(d.range.start, Position::new(2, 8));
        assert_eq!(d.range.end, Position::new(2, 17));
        assert_eq!(d.severity, Some(DiagnosticSeverity::Error));
        assert_eq!(d.code, Some(Code::String("unpinned-image".into())));
        assert_eq!(
            d.code_description.unwrap().href.to_string(),
            "https://example.com/rules/unpinned-image.html"
        );
        assert_eq!(d.source.as_deref(), Some("pipelint"));
        assert_eq!(
            d.message,
            lsp_types::Message::from("step \"a\" runs image \"ça:latest\"\nhelp: pin it")
        );
        let related = d.related_information.unwrap();
        assert_eq!(related[0].location.uri.to_string(), "file:///w.yaml");
        assert_eq!(related[0].location.range.start, Position::new(1, 0));
        assert_eq!(related[0].message, "evidence");
    }

    #[test]
    fn utf8_and_utf32_ranges() {
        let lines = LineMap::new(Arc::from(TEXT));
        let mut p = Presentation {
            encoding: Encoding::Utf8,
            ..Presentation::default()
        };
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert_eq!(d.range.start, Position::new(2, 8));
        assert_eq!(d.range.end, Position::new(2, 18)); // `ç` is two bytes
        p.encoding = Encoding::Utf32;
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert_eq!(d.range.end, Position::new(2, 17));
    }

    #[test]
    fn optional_fields_follow_client_capabilities() {
        let lines = LineMap::new(Arc::from(TEXT));
        let p = Presentation {
            docs_url: Some("https://x/{rule}".into()),
            ..Presentation::default()
        };
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert!(d.code_description.is_none());
        assert!(d.related_information.is_none());
        // A URL from the analyzer (the config) wins over the server setting.
        let mut f = finding();
        f.doc_url = Some("https://docs/{rule}".into());
        let p = Presentation {
            code_description: true,
            ..p
        };
        let d = diagnostic(&f, "file:///w.yaml", &lines, &p);
        assert_eq!(d.code_description.unwrap().href.0, "https://docs/{rule}");
    }

    #[test]
    fn the_docs_link_ends_the_message_when_the_client_cannot_show_it() {
        let lines = LineMap::new(Arc::from(TEXT));
        let mut p = Presentation {
            docs_url: Some("https://x/{rule}".into()),
            ..Presentation::default()
        };
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert_eq!(
            d.message,
            lsp_types::Message::from(
                "step \"a\" runs image \"ça:latest\"\nhelp: pin it\ndocs: https://x/unpinned-image"
            )
        );
        p.code_description = true;
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert!(d.code_description.is_some());
        assert!(!msg(&d.message).contains("https://"));
        // No URL configured: nothing added.
        p.code_description = false;
        p.docs_url = None;
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        assert!(!msg(&d.message).contains("docs:"));
    }

    #[test]
    fn lines_and_hover() {
        let lines = LineMap::new(Arc::from(TEXT));
        let mut f = finding();
        assert_eq!(lines_of(&f, &lines), (2, 2));
        f.span = 0..TEXT.find('#').unwrap(); // ends at the start of line 1
        assert_eq!(lines_of(&f, &lines), (0, 0));
        let a = finding();
        let b = finding();
        let p = Presentation {
            docs_url: Some("https://x/{rule}".into()),
            ..Presentation::default()
        };
        let help = |id: &str| RuleHelp {
            summary: Some("Images must be pinned.".into()),
            page: Some(format!(
                "# {id}\n\nSee `docker pull` and **this**.\n\n```yaml\nimage: x\n```\n"
            )),
        };
        let md = hover_text(&[&a, &b], &p, true, help);
        assert_eq!(
            md,
            "**pipelint(unpinned-image)**: step \"a\" runs image \"ça:latest\"\n\nhelp: pin it\n\n\
             Images must be pinned.\n\n[Documentation of unpinned-image](https://x/unpinned-image)\n\n\
             ---\n\n# unpinned-image\n\nSee `docker pull` and **this**.\n\n```yaml\nimage: x\n```"
        );
        let text = hover_text(&[&a], &p, false, help);
        assert_eq!(
            text,
            "pipelint(unpinned-image): step \"a\" runs image \"ça:latest\"\n\nhelp: pin it\n\n\
             Images must be pinned.\n\ndocs: https://x/unpinned-image\n\n\
             ----------------------------------------\n\n\
             unpinned-image\n\nSee docker pull and this.\n\nimage: x"
        );
    }

    #[test]
    fn a_capped_list_keeps_the_most_severe_and_says_how_many_are_left_out() {
        let lines = LineMap::new(Arc::from(TEXT));
        let p = Presentation::default();
        let mut all = Vec::new();
        for (i, severity) in [
            Severity::Info,
            Severity::Warning,
            Severity::Error,
            Severity::Error,
        ]
        .into_iter()
        .enumerate()
        {
            let mut f = finding();
            f.severity = severity;
            f.message = format!("finding {i}");
            all.push(diagnostic(&f, "file:///w.yaml", &lines, &p));
        }
        assert_eq!(capped(&all, 4), all);
        let kept = capped(&all, 2);
        let messages: Vec<String> = kept.iter().map(|d| msg(&d.message)).collect();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0], "finding 2\nhelp: pin it");
        assert_eq!(messages[1], "finding 3\nhelp: pin it");
        assert!(
            messages[2].starts_with("2 more findings are not shown: the 2 most severe are"),
            "{}",
            messages[2]
        );
        assert_eq!(kept[2].severity, Some(DiagnosticSeverity::Information));
        assert_eq!(kept[2].range.start, Position::new(0, 0));
    }
}
