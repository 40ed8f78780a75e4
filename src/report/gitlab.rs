//! GitLab Code Quality (`artifacts:reports:codequality`): a JSON array of issues, the subset
//! of the Code Climate spec GitLab reads. Shaped as ruff's `--output-format gitlab`:
//! `check_name`, `description`, `fingerprint`, `severity`, and `location` with a path
//! relative to the repository root and begin/end positions.

use std::collections::HashMap;

use serde::Serialize;

use super::RepoRoot;
use crate::engine::RunReport;
use crate::finding::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    check_name: &'a str,
    description: String,
    /// Unique per issue: GitLab shows only one issue per fingerprint.
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

/// GitLab's scale is info, minor, major, critical, blocker: an error blocks nothing by
/// itself in GitLab, so it is `major`, as ruff reports its findings.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

pub fn render_gitlab(report: &RunReport, root: &RepoRoot) -> String {
    let mut issues = Vec::new();
    for file in &report.files {
        let path = root.display(&file.path);
        // The fingerprint of SARIF's `partialFingerprints` (line-independent), numbered
        // when one file has the same finding twice, so that each issue is unique.
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in &file.findings {
            let fingerprint = f.fingerprint(&path, &file.source);
            let n = seen.entry(fingerprint.clone()).or_insert(0);
            *n += 1;
            let at = |offset: u32| {
                let lc = file.lines.line_col(offset);
                Position {
                    line: lc.line,
                    column: lc.column,
                }
            };
            issues.push(Issue {
                check_name: f.rule,
                description: format!("{}: {}", f.rule, f.message),
                fingerprint: if *n == 1 {
                    fingerprint
                } else {
                    format!("{fingerprint}:{n}")
                },
                severity: severity(f.severity),
                // `--report-at source`: the Python line the finding maps to.
                location: match f.sources.first().filter(|_| f.at_source) {
                    Some(source) => Location {
                        path: root.display(&source.path),
                        positions: Positions {
                            begin: Position {
                                line: source.start.line,
                                column: source.start.column,
                            },
                            end: Position {
                                line: source.end.line,
                                column: source.end.column,
                            },
                        },
                    },
                    None => Location {
                        path: path.clone(),
                        positions: Positions {
                            begin: at(f.span.start),
                            end: at(f.span.end),
                        },
                    },
                },
            });
        }
    }
    let mut out = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}
