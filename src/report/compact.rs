use std::fmt::Write;

use super::visible::visible;
use crate::engine::RunReport;

/// `path:line:col: severity[rule-id] message`, one finding a line (a newline or control
/// character in the path or message is shown escaped, see [`visible`]).
pub fn render_compact(report: &RunReport) -> String {
    let mut out = String::new();
    for (file, f) in report.findings() {
        let at = file.lines.line_col(f.span.start);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            visible(&file.path),
            at.line,
            at.column,
            f.severity.as_str(),
            f.rule,
            visible(&f.message)
        );
    }
    out
}
