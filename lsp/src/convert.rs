//! Analyzer data -> LSP types: diagnostics, hover text and code actions.

use std::collections::HashMap;

use lsp_types::{
    Code, CodeAction, CodeActionKind, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Location, TextEdit, Uri, WorkspaceEdit,
};

use crate::analyzer::{Finding, Fix, FixKind, Severity};
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

/// The message line, then the fix (the label points at the squiggle, which the editor draws).
pub fn message(f: &Finding) -> String {
    if f.help.is_empty() {
        f.message.clone()
    } else {
        format!("{}\nhelp: {}", f.message, f.help)
    }
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
        message: message(f).into(),
        tags: None,
        related_information: (p.related_information && !related.is_empty()).then_some(related),
        data: None,
    }
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

/// Hover text for the findings on one line: each rule once, its message and its page.
pub fn hover_markdown(findings: &[&Finding], doc: impl Fn(&str) -> Option<String>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for f in findings {
        if seen.contains(&f.rule.as_str()) {
            continue;
        }
        seen.push(&f.rule);
        let mut part = format!("**pipelint({})**: {}", f.rule, f.message);
        if let Some(text) = doc(&f.rule) {
            part.push_str("\n\n");
            part.push_str(text.trim_end());
        }
        parts.push(part);
    }
    parts.join("\n\n---\n\n")
}

pub fn code_action(
    fix: &Fix,
    diagnostic: &Diagnostic,
    uri: &str,
    lines: &LineMap,
    enc: Encoding,
) -> CodeAction {
    let edits: Vec<TextEdit> = fix
        .edits
        .iter()
        .map(|e| TextEdit {
            range: lines.range(e.span.clone(), enc),
            new_text: e.new_text.clone(),
        })
        .collect();
    CodeAction {
        title: fix.title.clone(),
        kind: Some(CodeActionKind::QuickFix),
        diagnostics: Some(vec![diagnostic.clone()]),
        is_preferred: (fix.preferred && fix.kind == FixKind::QuickFix).then_some(true),
        disabled: None,
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(Uri::from(uri), edits)])),
            document_changes: None,
            change_annotations: None,
        }),
        command: None,
        data: None,
        tags: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lsp_types::Position;

    use super::*;
    use crate::analyzer::{Edit, Related};

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
    fn lines_and_hover() {
        let lines = LineMap::new(Arc::from(TEXT));
        let mut f = finding();
        assert_eq!(lines_of(&f, &lines), (2, 2));
        f.span = 0..TEXT.find('#').unwrap(); // ends at the start of line 1
        assert_eq!(lines_of(&f, &lines), (0, 0));
        let a = finding();
        let b = finding();
        let md = hover_markdown(&[&a, &b], |id| Some(format!("# {id}\n\ndoc\n")));
        assert_eq!(
            md,
            "**pipelint(unpinned-image)**: step \"a\" runs image \"ça:latest\"\n\n# unpinned-image\n\ndoc"
        );
    }

    #[test]
    fn fixes_become_workspace_edits() {
        let lines = LineMap::new(Arc::from(TEXT));
        let at = TEXT.find("image").unwrap();
        let fix = Fix {
            title: "Ignore unpinned-image on this line".into(),
            kind: FixKind::Suppress,
            edits: vec![Edit {
                span: at..at,
                new_text: "# pipelint: ignore[unpinned-image] reason\n".into(),
            }],
            preferred: true,
        };
        let p = Presentation::default();
        let d = diagnostic(&finding(), "file:///w.yaml", &lines, &p);
        let action = code_action(&fix, &d, "file:///w.yaml", &lines, Encoding::Utf16);
        assert_eq!(action.kind, Some(CodeActionKind::QuickFix));
        assert_eq!(action.is_preferred, None); // a suppression is never the preferred fix
        let edits = &action.edit.unwrap().changes.unwrap()[&Uri::from("file:///w.yaml")];
        assert_eq!(edits[0].range.start, Position::new(2, 0));
        assert_eq!(edits[0].range.end, Position::new(2, 0));
    }
}
