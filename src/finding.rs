//! What a rule reports: plain data, rendered by `report/`.

use crate::analysis::{Confidence, Evidence};
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
    /// What is wrong at that spot.
    pub label: String,
    /// How to fix it.
    pub help: String,
    pub pipeline: Option<String>,
    pub step: Option<String>,
    /// From the pipeline down to the step.
    pub step_path: Vec<String>,
    /// Other steps reported at the same place (KFP executors shared by several tasks).
    pub also_steps: Vec<String>,
    pub related: Vec<Label>,
    pub document: Option<usize>,
    /// What a heuristic rule matched (each also shown as a related label).
    pub evidence: Vec<Evidence>,
    /// How sure a heuristic rule is; `None` for rules that read a field.
    pub confidence: Option<Confidence>,
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
            label: String::new(),
            help: String::new(),
            pipeline: None,
            step: None,
            step_path: Vec::new(),
            also_steps: Vec::new(),
            related: Vec::new(),
            document: None,
            evidence: Vec::new(),
            confidence: None,
        }
    }

    /// Attaches evidence: kept as data for JSON and shown as secondary labels.
    pub fn with_evidence<'a>(mut self, evidence: impl IntoIterator<Item = &'a Evidence>) -> Self {
        for e in evidence {
            if !self.related.iter().any(|l| l.span == e.span) && e.span != self.span {
                self.related.push(Label {
                    span: e.span,
                    message: e.description.clone(),
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

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }
}
