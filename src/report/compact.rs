use std::fmt::Write;

use super::visible::visible;
use crate::engine::RunReport;

/// `path:line:col: severity[rule-id] message`, one finding a line (a newline or control
/// character in the path or message is shown escaped, see [`visible`]).
pub fn render_compact(report: &RunReport) -> String {
    let mut out = String::new();
    for (file, f) in report.findings() {
        // `--report-at source`: the Python line the finding maps to.
        let (path, at) = match f.sources.first().filter(|_| f.at_source) {
            Some(source) => (source.path.as_str(), source.start),
            None => (file.path.as_str(), file.lines.line_col(f.span.start)),
        };
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            visible(path),
            at.line,
            at.column,
            f.severity.as_str(),
            f.rule,
            visible(&f.message)
        );
    }
    out
}
