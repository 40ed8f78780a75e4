use std::fmt::Write;

use crate::engine::RunReport;

/// `path:line:col: severity[rule-id] message`, one finding a line.
pub fn render_compact(report: &RunReport) -> String {
    let mut out = String::new();
    for (file, f) in report.findings() {
        let at = file.lines.line_col(f.span.start);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            file.path,
            at.line,
            at.column,
            f.severity.as_str(),
            f.rule,
            f.message
        );
    }
    out
}
