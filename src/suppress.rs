//! Suppressions: `# pipelint: ignore[rule-id, other-id] reason` comments (on the flagged line
//! or the line that opens the step), the `pipelint.dev/ignore` step annotation (the form
//! that survives recompiling KFP IR), and `suppressions:` entries in the config. A
//! suppression that silences nothing is itself a finding.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::model::Pipeline;
use crate::rules::registry;
use crate::yaml::{LineIndex, Span, YamlFile};

pub const ANNOTATION_IGNORE: &str = "pipelint.dev/ignore";
pub const ANNOTATION_IGNORE_REASON: &str = "pipelint.dev/ignore-reason";
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
/// The reason an editor writes into an ignore comment for the user to replace: it counts as
/// no reason, so `require-suppression-reason` flags it until a real one is written.
pub const REASON_PLACEHOLDER: &str = "<reason>";

/// A `pipelint: ignore[ids] reason` comment's text (after the `#`), read by hand rather than
/// by a regex (compiling one cost more than reading every comment of a typical run).
struct IgnoreComment<'a> {
    /// What is between the brackets, and where it starts in the text.
    ids: &'a str,
    ids_at: usize,
    /// What follows the `]`, without the spaces before it.
    reason: &'a str,
}

impl<'a> IgnoreComment<'a> {
    /// `^\s*pipelint:\s*ignore\[([^\]]*)\]\s*(.*)$`: the reason is one line.
    fn read(text: &'a str) -> Option<Self> {
        let rest = text.trim_start().strip_prefix("pipelint:")?;
        let rest = rest.trim_start().strip_prefix("ignore[")?;
        let ids_at = text.len() - rest.len();
        let close = rest.find(']')?;
        let reason = rest[close + 1..].trim_start();
        if reason.contains('\n') {
            return None;
        }
        Some(IgnoreComment {
            ids: &rest[..close],
            ids_at,
            reason,
        })
    }
}

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

/// The rule ids a comment's text (after the `#`) silences, if it is a
/// `pipelint: ignore[...]` comment; also read on the Python lines a KFP finding maps to
/// (`crate::kfp_source`).
pub fn ignored_ids(comment: &str) -> Option<Vec<String>> {
    let ids = split_ids(IgnoreComment::read(comment)?.ids, 0);
    Some(ids.into_iter().map(|(id, _)| id).collect())
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
        let Some(ignore) = IgnoreComment::read(text) else {
            continue;
        };
        // +1 for the `#` that `text` leaves out.
        let base = comment.span.start + 1 + ignore.ids_at as u32;
        let rules = split_ids(ignore.ids, base);
        let reason = Some(ignore.reason.trim().to_string())
            .filter(|r| !r.is_empty() && r != REASON_PLACEHOLDER);
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
                kind: Kind::Annotation(pipeline.document, step.path.to_vec()),
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
    lines: &LineIndex,
    yaml: &YamlFile,
    pipelines: &[Pipeline],
    config: &Config,
    relative: Option<&Path>,
) -> usize {
    let mut directives = directives(src, yaml, pipelines, lines);
    // Most files have no suppression: nothing to match, nothing unused to report.
    if directives.is_empty() && config.suppressions.is_empty() {
        return 0;
    }
    // A finding outside any step is also silenced from the line that opens its document.
    let document_lines: HashMap<usize, u32> = yaml
        .documents
        .iter()
        .map(|d| (d.index, lines.line_col(d.span.start).line))
        .collect();
    // Everything a finding is matched against is indexed once, so that each finding costs
    // the directives that apply to it, not every directive, step and config entry.
    let mut anchor_lines: HashMap<(usize, &[String]), Vec<u32>> = HashMap::new();
    for pipeline in pipelines {
        for step in &pipeline.steps {
            anchor_lines
                .entry((pipeline.document, &step.path[..]))
                .or_default()
                .extend(step.anchors.iter().map(|a| lines.line_col(a.start).line));
        }
    }
    let mut on_line: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut on_step: HashMap<(usize, Vec<String>), Vec<usize>> = HashMap::new();
    for (i, d) in directives.iter().enumerate() {
        match &d.kind {
            Kind::Comment(line) => on_line.entry(*line).or_default().push(i),
            Kind::Annotation(doc, path) => on_step.entry((*doc, path.clone())).or_default().push(i),
        }
    }
    // Per directive, where each rule id is named; emptied once marked used (a later finding
    // is still silenced by it, and does not walk the list again).
    let mut named: Vec<HashMap<String, Vec<usize>>> = directives
        .iter()
        .map(|d| {
            let mut ids: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, (id, _)) in d.rules.iter().enumerate() {
                ids.entry(id.clone()).or_default().push(i);
            }
            ids
        })
        .collect();
    // Config entries for this file, by rule, then by step (`None`: every step).
    let mut by_config: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
    // Only entries that could silence one of this file's findings are looked at further,
    // so a path glob is compiled only when its rule and step occur.
    let rules: HashSet<&str> = findings.iter().map(|f| f.rule).collect();
    let steps: HashSet<&str> = findings.iter().filter_map(|f| f.step.as_deref()).collect();
    for s in &config.suppressions {
        let candidate = rules.contains(s.rule.as_str())
            && s.step.as_deref().is_none_or(|step| steps.contains(step));
        let for_file = candidate
            && s.path
                .as_ref()
                .is_none_or(|glob| relative.is_some_and(|r| glob.is_match(r)));
        if for_file {
            by_config
                .entry(s.rule.as_str())
                .or_default()
                .insert(s.step.as_deref());
        }
    }
    let before = findings.len();
    let mut lines_to_check: Vec<u32> = Vec::new();
    findings.retain(|f| {
        lines_to_check.clear();
        lines_to_check.push(lines.line_col(f.span.start).line);
        if f.step_span.is_none() {
            lines_to_check.extend(f.document.and_then(|d| document_lines.get(&d)));
        }
        if let Some(doc) = f.document.filter(|_| !f.step_path.is_empty()) {
            if let Some(anchors) = anchor_lines.get(&(doc, &f.step_path[..])) {
                lines_to_check.extend(anchors);
            }
        }
        lines_to_check.sort_unstable();
        lines_to_check.dedup();
        let comments = lines_to_check
            .iter()
            .filter_map(|l| on_line.get(l))
            .flatten();
        let annotations = f
            .document
            .filter(|_| !on_step.is_empty())
            .and_then(|doc| on_step.get(&(doc, f.step_path.to_vec())))
            .into_iter()
            .flatten();
        let mut silenced = false;
        for &d in comments.chain(annotations) {
            if let Some(at) = named[d].get_mut(f.rule) {
                silenced = true;
                for i in at.drain(..) {
                    directives[d].used[i] = true;
                }
            }
        }
        let by_config = by_config.get(f.rule).is_some_and(|steps| {
            steps.contains(&None)
                || f.step
                    .as_deref()
                    .into_iter()
                    .chain(f.also_steps.iter().map(String::as_str))
                    .any(|step| steps.contains(&Some(step)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The comment syntax as a regex (what the hand-written reader replaces): both read every
    /// sample alike.
    #[test]
    fn ignore_comments_are_read_as_the_pattern_reads_them() {
        let pattern =
            regex::Regex::new(r"^\s*pipelint:\s*ignore\[([^\]]*)\]\s*(.*)$").expect("pattern");
        let samples = [
            " pipelint: ignore[unpinned-image] pinned by the registry",
            "pipelint:ignore[a,b]",
            "\t pipelint:  ignore[ a , b ]  why  ",
            " pipelint: ignore[] ",
            " pipelint: ignore[a] one\nline two",
            " pipelint: ignore[a]\n\u{a0} reason",
            " pipelint: ignore[a\nb] r",
            " pipelint: ignore[a]]",
            " pipelint: ignore[a",
            " pipelint: ignore (a)",
            " pipelint : ignore[a]",
            " PIPELINT: ignore[a]",
            "x pipelint: ignore[a]",
            "\u{2003}pipelint:\u{2003}ignore[a]\u{2003}r\r",
            "",
        ];
        for text in samples {
            let by_pattern = pattern.captures(text).map(|c| {
                let ids = c.get(1).unwrap();
                (ids.as_str(), ids.start(), c.get(2).unwrap().as_str())
            });
            let by_hand = IgnoreComment::read(text).map(|c| (c.ids, c.ids_at, c.reason));
            assert_eq!(by_hand, by_pattern, "{text:?}");
        }
    }
}
