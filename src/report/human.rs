//! The default output: miette diagnostics with the source snippet, labels, help and rule id.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::visible::{visible, visible_same_length};
use super::Summary;
use crate::engine::{FileReport, Outcome, RunReport};
use crate::finding::{Finding, Severity};
use crate::yaml::LineIndex;

/// The file's text behind our line index: miette's default `SourceCode` for strings rescans
/// the file from the start for every label.
struct IndexedSource {
    name: String,
    text: Arc<String>,
    lines: Arc<LineIndex>,
}

impl SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let len = self.text.len();
        let start = span.offset();
        let end = start + span.len();
        if end > len {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.lines.line_col(start as u32).line;
        let last_of_span = if !span.is_empty() { end - 1 } else { end };
        let last_line = self.lines.line_col(last_of_span as u32).line;
        let from_line = first_line
            .saturating_sub(context_lines_before as u32)
            .max(1);
        let to_line = (last_line + context_lines_after as u32).min(self.lines.line_count());
        // Without context, miette wants the contents to start at the span (it reads the
        // header's line:column from them).
        let from = if context_lines_before == 0 {
            start
        } else {
            self.lines.line_start(from_line) as usize
        };
        let column = from - self.lines.line_start(from_line) as usize;
        let mut to = if to_line >= self.lines.line_count() {
            len
        } else {
            self.lines.line_start(to_line + 1) as usize
        };
        while to > from && matches!(self.text.as_bytes()[to - 1], b'\n' | b'\r') {
            to -= 1;
        }
        let to = to.max(end.min(len));
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[from..to],
            SourceSpan::new(from.into(), to - from),
            (from_line - 1) as usize,
            column,
            (to_line - from_line + 1) as usize,
        )))
    }
}

struct Rendered<'a> {
    finding: &'a Finding,
    source: &'a IndexedSource,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(&self.finding.message))
    }
}

// Every text from the linted file (message, help, labels, the file name and the snippet)
// is drawn through `visible`: see `super::visible`.
impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(&self.finding.message))?;
        if !self.finding.also_steps.is_empty() {
            let steps = self.finding.also_steps.join(", ");
            write!(f, " (also used by {})", visible(&steps))?;
        }
        Ok(())
    }
}

impl std::error::Error for Rendered<'_> {}

fn span_of(s: crate::yaml::Span) -> SourceSpan {
    SourceSpan::new((s.start as usize).into(), s.len() as usize)
}

impl Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("pipelint({})", self.finding.rule)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help = [
            Some(self.finding.help.to_string()),
            super::fix_note(self.finding),
        ]
        .into_iter()
        .flatten()
        .filter(|h| !h.is_empty())
        .map(|h| visible(&h).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
        (!help.is_empty()).then(|| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(
            (!self.finding.label.is_empty()).then(|| visible(&self.finding.label).into_owned()),
            span_of(self.finding.span),
        );
        let related = self.finding.related.iter().map(|l| {
            LabeledSpan::new_with_span(Some(visible(&l.message).into_owned()), span_of(l.span))
        });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// How to draw: colours only on a terminal; a fixed width keeps snapshots stable.
#[derive(Clone, Copy, Debug)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

/// Findings further right than this on their line are not drawn with a snippet.
const MAX_DRAWN_COLUMN: u32 = 10_000;

fn render_file(handler: &GraphicalReportHandler, file: &FileReport, out: &mut String) {
    if file.findings.is_empty() {
        return;
    }
    // The snippet's hidden characters are replaced byte for byte, so the line index and
    // every span still fit the text.
    let text = match visible_same_length(&file.source) {
        std::borrow::Cow::Borrowed(_) => file.source.clone(),
        std::borrow::Cow::Owned(shown) => Arc::new(shown),
    };
    let source = IndexedSource {
        name: visible(&file.path).into_owned(),
        text,
        lines: file.lines.clone(),
    };
    for finding in &file.findings {
        let diagnostic = Rendered {
            finding,
            source: &source,
        };
        // miette panics drawing a label past column 65535 (a format width), which one line of
        // minified JSON reaches: such findings get the one-line form below.
        let too_wide = std::iter::once(finding.span)
            .chain(finding.related.iter().map(|l| l.span))
            .any(|span| file.lines.line_col(span.end).column > MAX_DRAWN_COLUMN);
        if too_wide || handler.render_report(out, &diagnostic).is_err() {
            // Rendering cannot fail on a String; keep the finding visible if it ever does.
            let at = file.lines.line_col(finding.span.start);
            out.push_str(&format!(
                "{}:{}:{}: {}[{}] {}\n",
                visible(&file.path),
                at.line,
                at.column,
                finding.severity.as_str(),
                finding.rule,
                visible(&finding.message)
            ));
        }
        // Where the finding is in the Python the IR was compiled from.
        for source in &finding.sources {
            out.push_str(&format!("  python: {}\n", visible(&source.message)));
        }
        // Where to read more: the rule's page, offline and (when configured) online.
        if crate::rules::registry::find(finding.rule).is_some() {
            out.push_str(&format!("  docs: `pipelint rule {}`", finding.rule));
            if let Some(url) = &finding.url {
                out.push_str(&format!(" or {url}"));
            }
            out.push('\n');
        }
        out.push('\n');
    }
}

/// The diagnostics and unreadable-file warnings, followed by the summary line.
pub fn render_human(report: &RunReport, style: HumanStyle) -> String {
    let mut out = render_human_findings(report, style);
    out.push_str(&Summary::of(report).line());
    out.push('\n');
    out
}

/// The diagnostics and unreadable-file warnings alone (`--quiet`, or when the summary goes
/// elsewhere).
pub fn render_human_findings(report: &RunReport, style: HumanStyle) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(2);
    let mut out = String::new();
    for file in &report.files {
        render_file(&handler, file, &mut out);
        if let Outcome::Unreadable(reason) = &file.outcome {
            out.push_str(&format!(
                "warning: {}: could not be read: {}\n",
                visible(&file.path),
                visible(reason)
            ));
        }
    }
    out
}
