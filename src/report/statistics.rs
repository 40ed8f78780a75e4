//! `--statistics`: how many findings each rule produced, most frequent first.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::engine::RunReport;
use crate::finding::Severity;

#[derive(Default)]
struct Counts {
    total: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

/// `--statistics --format json`: an array of `{rule, count, errors, warnings, infos}`, in
/// the order of the table.
pub fn render_statistics_json(report: &RunReport) -> String {
    let rows: Vec<serde_json::Value> = rows(report)
        .into_iter()
        .map(|(id, c)| {
            serde_json::json!({
                "rule": id,
                "count": c.total,
                "errors": c.errors,
                "warnings": c.warnings,
                "infos": c.infos,
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

/// Counts per rule, sorted by count (descending) then rule id.
fn rows(report: &RunReport) -> Vec<(&str, Counts)> {
    let mut by_rule: BTreeMap<&str, Counts> = BTreeMap::new();
    for (_, f) in report.findings() {
        let c = by_rule.entry(f.rule).or_default();
        c.total += 1;
        match f.severity {
            Severity::Error => c.errors += 1,
            Severity::Warning => c.warnings += 1,
            Severity::Info => c.infos += 1,
        }
    }
    let mut rows: Vec<(&str, Counts)> = by_rule.into_iter().collect();
    rows.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(b.0)));
    rows
}

/// One line per rule that fired: count, rule id, and the split by severity, sorted by count
/// (descending) then rule id. Empty when there are no findings.
pub fn render_statistics(report: &RunReport) -> String {
    let rows = rows(report);
    let width = rows.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    let count_width = rows.first().map_or(1, |(_, c)| c.total.to_string().len());
    let mut out = String::new();
    for (id, c) in rows {
        let mut split = Vec::new();
        for (n, one, many) in [
            (c.errors, "error", "errors"),
            (c.warnings, "warning", "warnings"),
            (c.infos, "info", "infos"),
        ] {
            if n > 0 {
                split.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        let _ = writeln!(
            out,
            "{:>count_width$}  {id:<width$}  {}",
            c.total,
            split.join(", ")
        );
    }
    out
}
