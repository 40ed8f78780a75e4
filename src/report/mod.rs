//! Renderers: each turns the same [`RunReport`] into one output format.

mod compact;
mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod paths;
mod sarif;
mod statistics;
mod visible;

pub use compact::render_compact;
pub use github::render_github;
pub use gitlab::render_gitlab;
pub use human::{render_human, render_human_findings, HumanStyle};
pub use json::{render_json, render_json_lines, JsonStream, RenderedFindings, JSON_FORMAT_VERSION};
pub use junit::render_junit;
pub(crate) use paths::normalize;
pub use paths::RepoRoot;
pub use sarif::{render_sarif, FINGERPRINT_KEY};
pub use statistics::{render_statistics, render_statistics_json};
pub use visible::visible;

use crate::engine::{FileReport, Outcome, RunReport};
use crate::finding::{Finding, Severity};

/// The line that tells a reader a finding can be fixed, and how: `fix available (`--fix`):
/// ...`, or for a fix that changes what runs, `unsafe fix available (`--unsafe-fixes`): ...`.
pub(crate) fn fix_note(finding: &Finding) -> Option<String> {
    let fix = finding.fix.as_ref()?;
    Some(match fix.applicability {
        crate::fix::Applicability::Safe => format!("fix available (`--fix`): {}", fix.message),
        crate::fix::Applicability::Unsafe => {
            format!("unsafe fix available (`--unsafe-fixes`): {}", fix.message)
        }
    })
}

/// Counts for the closing summary line and the JSON `summary` object.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub pipeline_files: usize,
    pub pipelines: usize,
    pub not_pipelines: usize,
    /// Pipelines in a format pipelint does not lint (KFP-Tekton `PipelineRun`s).
    pub unsupported: usize,
    pub unparseable: usize,
    pub unreadable: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings silenced by suppressions.
    pub suppressed: usize,
    /// Findings left out because the baseline has them.
    pub baselined: usize,
    /// Baseline entries of linted files that matched no finding: fixed since, pruned by
    /// `--write-baseline`. Left out of JSON when 0 (the report without a baseline is as it was).
    #[serde(skip_serializing_if = "is_zero")]
    pub stale_baseline: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of(report: &RunReport) -> Summary {
        let mut s = Summary {
            baselined: report.baselined,
            stale_baseline: report.stale_baseline,
            ..Summary::default()
        };
        for file in &report.files {
            s.count(file);
        }
        s
    }

    /// Adds one file's outcome and findings to the counts.
    pub fn count(&mut self, file: &FileReport) {
        self.count_file(file);
        for f in &file.findings {
            self.count_finding(f.severity);
        }
    }

    /// Adds one file's outcome and suppressed findings to the counts (its findings are
    /// added with [`Summary::count_finding`]).
    pub fn count_file(&mut self, file: &FileReport) {
        self.files += 1;
        match &file.outcome {
            Outcome::Pipeline(formats) => {
                self.pipeline_files += 1;
                self.pipelines += formats.len();
            }
            Outcome::NotPipeline => self.not_pipelines += 1,
            Outcome::Unsupported(_) => self.unsupported += 1,
            Outcome::Unparseable => self.unparseable += 1,
            Outcome::Unreadable(_) => self.unreadable += 1,
        }
        self.suppressed += file.suppressed;
    }

    pub fn count_finding(&mut self, severity: Severity) {
        self.findings += 1;
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => self.infos += 1,
        }
    }

    /// One line: `12 findings (3 errors, 9 warnings) in 40 pipeline files; 5 other YAML/JSON files skipped`.
    pub fn line(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut line = if self.findings == 0 {
            format!(
                "no findings in {}",
                plural(self.pipeline_files, "pipeline file", "pipeline files")
            )
        } else {
            format!(
                "{} ({}, {}, {}) in {}",
                plural(self.findings, "finding", "findings"),
                plural(self.errors, "error", "errors"),
                plural(self.warnings, "warning", "warnings"),
                plural(self.infos, "info", "infos"),
                plural(self.pipeline_files, "pipeline file", "pipeline files"),
            )
        };
        if self.suppressed > 0 {
            line.push_str(&format!("; {} suppressed", self.suppressed));
        }
        if self.baselined > 0 {
            line.push_str(&format!("; {} in the baseline", self.baselined));
        }
        if self.stale_baseline > 0 {
            line.push_str(&format!(
                "; {} no longer found (--write-baseline prunes {})",
                plural(self.stale_baseline, "baseline entry", "baseline entries"),
                if self.stale_baseline == 1 {
                    "it"
                } else {
                    "them"
                }
            ));
        }
        if self.not_pipelines + self.unparseable > 0 {
            line.push_str(&format!(
                "; {} skipped (not pipelines)",
                plural(
                    self.not_pipelines + self.unparseable,
                    "other YAML/JSON file",
                    "other YAML/JSON files"
                )
            ));
        }
        if self.unsupported > 0 {
            line.push_str(&format!(
                "; {} in a pipeline format pipelint does not lint (Tekton)",
                plural(self.unsupported, "file", "files")
            ));
        }
        if self.unreadable > 0 {
            line.push_str(&format!(
                "; {} could not be read",
                plural(self.unreadable, "file", "files")
            ));
        }
        line
    }
}
