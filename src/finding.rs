//! What a rule reports: plain data, rendered by `report/`.

use std::borrow::Cow;
use std::sync::Arc;

use crate::analysis::{Confidence, Evidence};
use crate::fix::{Fix, NoFix};
use crate::yaml::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary location: evidence, or where a default was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    /// Most are the rule's own words (not copied per finding).
    pub message: Cow<'static, str>,
}

/// A place in another file than the finding's: the Python line a KFP IR finding maps to
/// (see [`crate::kfp_source`]). Positions are computed when it is made: the other file's
/// text is not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file as the source scan found it (relative to where pipelint runs, or absolute).
    pub path: String,
    pub start: crate::yaml::LineCol,
    pub end: crate::yaml::LineCol,
    /// What is there: `set in pipelines/train.py:42: train_task.set_retry(...)`.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// One line naming the step: `step "train" runs image "python:3.11" by tag`.
    pub message: String,
    /// Where the problem is; the primary label sits here.
    pub span: Span,
    /// What is wrong at that spot (most rules say it in words of their own: not copied).
    pub label: Cow<'static, str>,
    /// How to fix it.
    pub help: Cow<'static, str>,
    /// Shared: every finding of a step has the same (made once per step, see
    /// [`crate::model::Step::names`]).
    pub pipeline: Option<Arc<str>>,
    pub step: Option<Arc<str>>,
    /// From the pipeline down to the step.
    pub step_path: Arc<[String]>,
    /// The line that opens the step (where an ignore comment for the whole step goes).
    pub step_span: Option<Span>,
    /// Other steps reported at the same place (KFP executors shared by several tasks).
    pub also_steps: Vec<String>,
    pub related: Vec<Label>,
    pub document: Option<usize>,
    /// What a heuristic rule matched (each also shown as a related label).
    pub evidence: Vec<Evidence>,
    /// How sure a heuristic rule is; `None` for rules that read a field.
    pub confidence: Option<Confidence>,
    /// Where the rule's documentation is online (`docs-url` in the config); `None` for
    /// policies and when no URL is configured.
    /// Shared: every finding of a rule has the same.
    pub url: Option<Arc<str>>,
    /// The rule's fix for this finding, when it can place one safely (see [`crate::fix`]).
    pub fix: Option<Fix>,
    /// Where the finding is in the Python that produced the IR, the most specific place
    /// first (empty unless the sources were found: [`crate::kfp_source`]).
    pub sources: Vec<SourceLocation>,
    /// Reported at `sources[0]` (`--report-at source`): renderers show that place as the
    /// primary location and the IR span as related. The span and the fix stay the IR's.
    pub at_source: bool,
}

impl Finding {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            severity,
            message: message.into(),
            span,
            label: Cow::Borrowed(""),
            help: Cow::Borrowed(""),
            pipeline: None,
            step: None,
            step_path: Arc::default(),
            step_span: None,
            also_steps: Vec::new(),
            related: Vec::new(),
            document: None,
            evidence: Vec::new(),
            confidence: None,
            url: None,
            fix: None,
            sources: Vec::new(),
            at_source: false,
        }
    }

    /// Attaches the rule's fix; when none can be placed here, the help says why, so the
    /// user knows to edit by hand.
    pub fn with_fix(mut self, fix: Result<Fix, NoFix>) -> Self {
        match fix {
            Ok(fix) if !fix.edits.is_empty() => self.fix = Some(fix),
            Ok(_) => {}
            Err(NoFix(reason)) => {
                // Written once at its final size (a borrowed help made owned, then grown,
                // was two allocations).
                const WHY: &str = "no automatic fix here: ";
                let mut help =
                    String::with_capacity(self.help.len() + 2 + WHY.len() + reason.len());
                help.push_str(&self.help);
                if !help.is_empty() {
                    help.push_str("; ");
                }
                help.push_str(WHY);
                help.push_str(&reason);
                self.help = help.into();
            }
        }
        self
    }

    /// Attaches evidence: kept as data for JSON and shown as secondary labels.
    pub fn with_evidence<'a>(mut self, evidence: impl IntoIterator<Item = &'a Evidence>) -> Self {
        for e in evidence {
            if !self.related.iter().any(|l| l.span == e.span) && e.span != self.span {
                self.related.push(Label {
                    span: e.span,
                    message: e.description.clone().into(),
                });
            }
            self.confidence = Some(
                self.confidence
                    .map_or(e.confidence, |c| c.max(e.confidence)),
            );
            self.evidence.push(e.clone());
        }
        self
    }

    pub fn label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = help.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<Cow<'static, str>>) -> Self {
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// A fingerprint that follows the finding when lines are added or removed around it:
    /// 32 lowercase hex digits, the first 128 bits of SHA-256 over the rule id, `file`, the
    /// step path (joined with `/`) and the source text of the primary span (`source[span]`,
    /// e.g. `image: python:3.11`), each field followed by a NUL byte. It never includes a
    /// line, column or offset, nor the message or severity (which may be reworded or
    /// overridden). Pass `file` relative to the repository root with `/` separators, so that
    /// the same finding gets the same fingerprint whatever directory pipelint ran from.
    ///
    /// Two findings of one rule on the same text in the same step share a fingerprint; a
    /// consumer that needs them apart numbers them in order of position (SARIF does:
    /// `partialFingerprints."pipelint/v1"` is `<fingerprint>:<n>`). Used for SARIF
    /// `partialFingerprints` and for baselines, so changing it re-opens every known finding.
    pub fn fingerprint(&self, file: &str, source: &str) -> String {
        use sha2::{Digest, Sha256};
        let text = source
            .get(self.span.start as usize..self.span.end as usize)
            .unwrap_or("");
        let mut hasher = Sha256::new();
        for field in [self.rule, file, &self.step_path.join("/"), text] {
            hasher.update(field.as_bytes());
            hasher.update([0u8]);
        }
        hasher.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(start: u32, end: u32) -> Finding {
        let mut f = Finding::new(
            "unpinned-image",
            Severity::Warning,
            Span::new(start, end),
            "step \"train\" runs image \"python:3.11\" by tag",
        );
        f.step_path = vec!["pipeline".into(), "train".into()].into();
        f
    }

    #[test]
    fn fingerprint_ignores_lines_but_not_rule_file_step_or_text() {
        let before = "spec:\n  image: python:3.11\n";
        let after = "# a comment\n\nspec:\n    image: python:3.11\n";
        let span = |src: &str| {
            let at = src.find("image:").unwrap() as u32;
            (at, at + "image: python:3.11".len() as u32)
        };
        let (a0, a1) = span(before);
        let (b0, b1) = span(after);
        let fp = finding(a0, a1).fingerprint("wf.yaml", before);
        assert_eq!(fp.len(), 32);
        assert!(fp
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // Moved down three lines and re-indented: same fingerprint.
        assert_eq!(fp, finding(b0, b1).fingerprint("wf.yaml", after));
        // A reworded message or another severity: same fingerprint.
        let mut reworded = finding(a0, a1);
        reworded.message = "something else".into();
        reworded.severity = Severity::Error;
        assert_eq!(fp, reworded.fingerprint("wf.yaml", before));
        // Another file, step, rule or value: another fingerprint.
        assert_ne!(fp, finding(a0, a1).fingerprint("other.yaml", before));
        let mut other_step = finding(a0, a1);
        other_step.step_path = vec!["pipeline".into(), "eval".into()].into();
        assert_ne!(fp, other_step.fingerprint("wf.yaml", before));
        let mut other_rule = finding(a0, a1);
        other_rule.rule = "missing-resource-limits";
        assert_ne!(fp, other_rule.fingerprint("wf.yaml", before));
        let pinned = before.replace("3.11", "3.12");
        assert_ne!(fp, finding(a0, a1).fingerprint("wf.yaml", &pinned));
        // The NUL after each field keeps "ab" + "c" apart from "a" + "bc".
        let mut f1 = finding(0, 0);
        f1.rule = "ab";
        let mut f2 = finding(0, 0);
        f2.rule = "a";
        assert_ne!(f1.fingerprint("c", ""), f2.fingerprint("bc", ""));
        // A span outside the text (a stale source) does not panic.
        assert_eq!(finding(90, 99).fingerprint("wf.yaml", before).len(), 32);
    }
}
