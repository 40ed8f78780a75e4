//! Suppressions: `# pipelint: ignore[rule-id, other-id] reason` comments (on the flagged line
//! or the line that opens the step), the `pipelint.dev/ignore` step annotation (the form
//! that survives recompiling KFP IR), and `suppressions:` entries in the config. A
//! suppression that silences nothing is itself a finding.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::model::Pipeline;
use crate::rules::registry;
use crate::yaml::{LineIndex, Span, YamlFile};

pub const ANNOTATION_IGNORE: &str = "pipelint.dev/ignore";
pub const ANNOTATION_IGNORE_REASON: &str = "pipelint.dev/ignore-reason";
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";

static COMMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*pipelint:\s*ignore\[([^\]]*)\]\s*(.*)$").expect("static pattern")
});

/// One place that silences rules.
struct Directive {
    /// Rule ids with the span of each id (for pointing at the unused one).
    rules: Vec<(String, Span)>,
    used: Vec<bool>,
    reason: Option<String>,
    /// The whole comment or annotation value.
    span: Span,
    kind: Kind,
}

enum Kind {
    /// A comment on this 1-based line.
    Comment(u32),
    /// An annotation on a step: (document, step path).
    Annotation(usize, Vec<String>),
}

fn split_ids(text: &str, base: u32) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for part in text.split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let lead = part.len() - part.trim_start().len();
            let start = base + (offset + lead) as u32;
            out.push((
                trimmed.to_string(),
                Span::new(start, start + trimmed.len() as u32),
            ));
        }
        offset += part.len() + 1;
    }
    out
}

fn directives(
    src: &str,
    yaml: &YamlFile,
    pipelines: &[Pipeline],
    lines: &LineIndex,
) -> Vec<Directive> {
    let mut out = Vec::new();
    for comment in &yaml.comments {
        let text = comment.text(src);
        let Some(caps) = COMMENT.captures(text) else {
            continue;
        };
        let ids = caps.get(1).expect("group 1");
        // +1 for the `#` that `text` leaves out.
        let base = comment.span.start + 1 + ids.start() as u32;
        let rules = split_ids(ids.as_str(), base);
        let reason = caps
            .get(2)
            .map(|m| m.as_str().trim().to_string())
            .filter(|r| !r.is_empty());
        out.push(Directive {
            used: vec![false; rules.len()],
            rules,
            reason,
            span: comment.span,
            kind: Kind::Comment(lines.line_col(comment.span.start).line),
        });
    }
    for pipeline in pipelines {
        for step in &pipeline.steps {
            let Some(value) = step.annotation(ANNOTATION_IGNORE) else {
                continue;
            };
            let raw = src.get(value.span.range()).unwrap_or("");
            // Point at ids inside the value when it is written plainly, else at the value.
            let base = if raw.contains(value.value.as_str()) {
                value.span.start + raw.find(value.value.as_str()).unwrap_or(0) as u32
            } else {
                value.span.start
            };
            let mut rules = split_ids(&value.value, base);
            if !raw.contains(value.value.as_str()) {
                for r in &mut rules {
                    r.1 = value.span;
                }
            }
            out.push(Directive {
                used: vec![false; rules.len()],
                rules,
                reason: step
                    .annotation(ANNOTATION_IGNORE_REASON)
                    .map(|r| r.value.clone()),
                span: value.span,
                kind: Kind::Annotation(pipeline.document, step.path.clone()),
            });
        }
    }
    out
}

/// Removes suppressed findings, adds `unused-suppression` and `suppression-without-reason`
/// findings, and returns how many were suppressed.
pub fn apply(
    findings: &mut Vec<Finding>,
    src: &str,
    yaml: &YamlFile,
    pipelines: &[Pipeline],
    config: &Config,
    relative: Option<&Path>,
) -> usize {
    let lines = LineIndex::new(src);
    let mut directives = directives(src, yaml, pipelines, &lines);
    let step_anchor_lines = |f: &Finding| -> Vec<u32> {
        let Some(doc) = f.document else {
            return Vec::new();
        };
        pipelines
            .iter()
            .filter(|p| p.document == doc)
            .flat_map(|p| p.steps.iter())
            .filter(|s| !f.step_path.is_empty() && s.path == f.step_path)
            .flat_map(|s| s.anchors.iter().map(|a| lines.line_col(a.start).line))
            .collect()
    };
    let before = findings.len();
    findings.retain(|f| {
        let line = lines.line_col(f.span.start).line;
        let anchors = step_anchor_lines(f);
        let mut silenced = false;
        for d in &mut directives {
            let applies = match &d.kind {
                Kind::Comment(l) => *l == line || anchors.contains(l),
                Kind::Annotation(doc, path) => f.document == Some(*doc) && *path == f.step_path,
            };
            if !applies {
                continue;
            }
            for (i, (id, _)) in d.rules.iter().enumerate() {
                if id == f.rule {
                    d.used[i] = true;
                    silenced = true;
                }
            }
        }
        let by_config = config.suppressions.iter().any(|s| {
            s.rule == f.rule
                && s.step
                    .as_ref()
                    .is_none_or(|step| f.step.as_ref() == Some(step) || f.also_steps.contains(step))
                && s.path
                    .as_ref()
                    .is_none_or(|(_, m)| relative.is_some_and(|r| m.is_match(r)))
        });
        !(silenced || by_config)
    });
    let suppressed = before - findings.len();

    for d in &directives {
        let (what, fix) = match d.kind {
            Kind::Comment(_) => (
                "comment",
                "remove it, or move it to the flagged line or the line that opens the step",
            ),
            Kind::Annotation(..) => ("annotation", "remove the rule from the annotation"),
        };
        for ((id, span), used) in d.rules.iter().zip(&d.used) {
            if *used {
                continue;
            }
            let message = if registry::find(id).is_none() {
                format!(
                    "the suppression {what} names `{id}`, which is not a rule{}",
                    crate::config::suggest(
                        id,
                        &registry::all()
                            .iter()
                            .map(|r| r.meta().id)
                            .collect::<Vec<_>>()
                    )
                )
            } else {
                format!("the suppression {what} for `{id}` silences nothing here")
            };
            findings.push(
                Finding::new(UNUSED_SUPPRESSION, Severity::Warning, *span, message)
                    .label("nothing to silence")
                    .help(fix),
            );
        }
        if config.require_suppression_reason && d.reason.is_none() {
            let how = match d.kind {
                Kind::Comment(_) => "say why after the brackets: `# pipelint: ignore[rule-id] the digest is pinned by the deploy job`",
                Kind::Annotation(..) => "say why in the annotation `pipelint.dev/ignore-reason`",
            };
            findings.push(
                Finding::new(
                    UNUSED_SUPPRESSION,
                    Severity::Error,
                    d.span,
                    format!("this suppression {what} gives no reason, and the config requires one"),
                )
                .label("no reason given")
                .help(how),
            );
        }
    }
    suppressed
}
