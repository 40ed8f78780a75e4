//! GitHub Actions workflow commands, one per finding, which GitHub shows as annotations on
//! the run and on the pull request's diff:
//! `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=pipelint(rule-id)::message`.

use std::fmt::Write;

use super::paths::RepoRoot;
use super::visible::visible;
use crate::engine::RunReport;
use crate::finding::Severity;

/// The message part of a workflow command: `%`, CR and LF are percent-encoded.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A property value of a workflow command: as [`escape_data`], plus `:` and `,`, which
/// would end the value.
pub fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// One line per finding. Files are named relative to the repository root, which is what
/// GitHub needs to attach an annotation to a file of the checkout; columns are 1-based
/// UTF-16 code units, as GitHub's web UI counts them. The message carries the help on a
/// second line.
pub fn render_github(report: &RunReport, root: &RepoRoot) -> String {
    let mut out = String::new();
    for file in &report.files {
        let path = root.display(&file.path);
        let path = visible(&path);
        for f in &file.findings {
            let mut start = file.lines.line_col(f.span.start);
            let mut end = file.lines.line_col(f.span.end.max(f.span.start));
            // Reported at the Python line (`--report-at source`, the default here when the
            // sources were found): the annotation lands where users edit.
            let mut annotated = path.clone();
            if let Some(source) = f.sources.first().filter(|_| f.at_source) {
                annotated = visible(&root.display(&source.path)).into_owned().into();
                (start, end) = (source.start, source.end);
            }
            // Control characters are made visible before the command's own escaping, so
            // that only the help's line break below is a line break of the annotation.
            let mut message = f.message.clone();
            if !f.also_steps.is_empty() {
                message.push_str(&format!(" (also used by {})", f.also_steps.join(", ")));
            }
            let mut message = visible(&message).into_owned();
            if !f.help.is_empty() {
                message.push_str(&format!("\nhelp: {}", visible(&f.help)));
            }
            if let Some(note) = super::fix_note(f) {
                message.push_str(&format!("\n{}", visible(&note)));
            }
            if f.at_source {
                let at = file.lines.line_col(f.span.start);
                message.push_str(&format!("\ncompiled into {}:{}", path, at.line));
            }
            for source in f.sources.iter().skip(usize::from(f.at_source)) {
                message.push_str(&format!("\n{}", visible(&source.message)));
            }
            let _ = writeln!(
                out,
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                command(f.severity),
                escape_property(&annotated),
                start.line,
                start.column_utf16,
                end.line,
                end.column_utf16,
                escape_property(&format!("pipelint({})", f.rule)),
                escape_data(&message),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_actions_toolkit() {
        // The cases of @actions/core's command.test.ts.
        assert_eq!(
            escape_data("percent % percent % cr \r cr \r lf \n lf \n"),
            "percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A"
        );
        assert_eq!(escape_data("a:b,c"), "a:b,c", "data keeps : and ,");
        assert_eq!(
            escape_property("%25 %3A : , \r\n"),
            "%2525 %253A %3A %2C %0D%0A"
        );
    }
}
