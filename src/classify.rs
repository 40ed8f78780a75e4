//! `pipelint classify PATH [--step NAME]`: per step, each question's verdict (does IO? is
//! non-idempotent? is random?) and what decided it: a declaration (annotation or the
//! config's `classify:`), or the knowledge rows that matched, with their spans.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::analysis::{analyze, Asked, Confidence, Declared, Evidence, Question, StepFacts};
use crate::config::Config;
use crate::formats::{adapt_file, FileKind};
use crate::limits;
use crate::yaml::{parse, LineIndex, Span};

/// One step's verdicts.
#[derive(Debug, Serialize)]
pub struct ClassifiedStep {
    pub pipeline: Option<String>,
    pub step: String,
    pub line: u32,
    pub questions: Vec<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointShown>,
}

#[derive(Debug, Serialize)]
pub struct Verdict {
    pub question: Question,
    pub answer: bool,
    /// `declared`, `evidence` or `none`.
    pub decided_by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<DeclaredShown>,
    pub evidence: Vec<EvidenceShown>,
}

#[derive(Debug, Serialize)]
pub struct DeclaredShown {
    pub value: bool,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Serialize)]
pub struct EvidenceShown {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
    pub confidence: Confidence,
    pub text: String,
    pub description: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Serialize)]
pub struct CheckpointShown {
    pub seconds: u64,
    pub source: String,
    pub line: u32,
}

/// Classifies the steps of one file (those named `step`, if given).
pub fn classify_file(
    path: &Path,
    config: &Config,
    step: Option<&str>,
) -> Result<Vec<ClassifiedStep>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| format!("{}: not UTF-8 text: {e}", path.display()))?;
    classify_text(text, config, step).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`classify_file`] on text.
pub fn classify_text(
    text: &str,
    config: &Config,
    step: Option<&str>,
) -> Result<Vec<ClassifiedStep>, String> {
    let lines = LineIndex::new(text);
    // Metered as `check` is: a file built to expand (a diamond of components, an alias
    // bomb) stops at the same budget with its position, not when memory runs out.
    let meter = limits::Meter::start(limits::DEFAULT_WORK_BUDGET);
    let too_complex = |at: Span| {
        let at = lines.line_col(at.start);
        format!(
            "{}:{}: input too complex: the file's work budget is spent here; its steps are not classified (see `pipelint rule input-too-complex`)",
            at.line, at.column
        )
    };
    let yaml = parse(text, &crate::yaml::ParseLimits::default());
    for (what, e) in [
        ("invalid YAML", yaml.errors.first()),
        ("input too complex", yaml.too_complex.first()),
    ] {
        if let Some(e) = e {
            let at = lines.line_col(e.span.start);
            return Err(format!("{}:{}: {what}: {}", at.line, at.column, e.message));
        }
    }
    let (pipelines, kind) = adapt_file(&yaml, text);
    if let Some(at) = meter.exhausted_at() {
        return Err(too_complex(at));
    }
    if kind == FileKind::NotPipeline {
        return Err("not a KFP or Argo pipeline".into());
    }
    let options = crate::engine::analysis_options(config);
    let mut out = Vec::new();
    for pipeline in &pipelines {
        for s in &pipeline.steps {
            if s.system
                || s.kind == crate::model::StepKind::Group
                || step.is_some_and(|n| n != &*s.name)
            {
                continue;
            }
            // Every question, each with its evidence (the rules ask only what they use).
            let facts = analyze(s, pipeline, text, &options, Asked::ALL);
            let held = 1 + facts.evidence.len() as u64 * limits::EVIDENCE_COST;
            if !limits::charge(limits::STEP_COST + held, s.span) {
                return Err(too_complex(s.span));
            }
            out.push(shown(&lines, pipeline, s, &facts));
        }
    }
    if let (Some(name), true) = (step, out.is_empty()) {
        return Err(format!("no step named `{name}`"));
    }
    Ok(out)
}

fn shown(
    lines: &LineIndex,
    pipeline: &crate::model::Pipeline,
    step: &crate::model::Step,
    facts: &StepFacts,
) -> ClassifiedStep {
    let questions = [
        (Question::Io, &facts.declared_io, facts.does_io(), false),
        (
            Question::NonIdempotent,
            &facts.declared_idempotent,
            facts.is_non_idempotent(),
            true,
        ),
        (
            Question::Random,
            &facts.declared_deterministic,
            facts.is_random(),
            true,
        ),
    ]
    .into_iter()
    .map(|(question, declared, answer, negated)| {
        let evidence: Vec<EvidenceShown> = facts
            .evidence
            .iter()
            .filter(|e| e.question == question)
            .map(|e| evidence_shown(lines, e))
            .collect();
        let decided_by = if declared.is_some() {
            "declared"
        } else if facts.strong(question).next().is_some() {
            "evidence"
        } else {
            "none"
        };
        Verdict {
            question,
            answer,
            decided_by,
            // `idempotent: true` declares "not non-idempotent": shown as the answer it gives.
            declared: declared.as_ref().map(|d: &Declared| {
                let at = lines.line_col(d.span.start);
                DeclaredShown {
                    value: if negated { !d.value } else { d.value },
                    line: at.line,
                    column: at.column,
                }
            }),
            evidence,
        }
    })
    .collect();
    ClassifiedStep {
        pipeline: pipeline.name.as_ref().map(|n| n.value.clone()),
        step: step.name.to_string(),
        line: lines.line_col(step.span.start).line,
        questions,
        checkpoint: facts.checkpoint.as_ref().map(|c| CheckpointShown {
            seconds: c.seconds,
            source: c.source.clone(),
            line: lines.line_col(c.span.start).line,
        }),
    }
}

fn evidence_shown(lines: &LineIndex, e: &Evidence) -> EvidenceShown {
    let at = lines.line_col(e.span.start);
    EvidenceShown {
        row: e.row.clone(),
        confidence: e.confidence,
        text: e.text.clone(),
        description: e.description.clone(),
        line: at.line,
        column: at.column,
    }
}

fn question_name(q: Question) -> &'static str {
    match q {
        Question::Io => "io",
        Question::NonIdempotent => "non-idempotent",
        Question::Random => "random",
    }
}

/// The human rendering: one block per step.
pub fn render_human(path: &str, steps: &[ClassifiedStep]) -> String {
    let mut out = String::new();
    for s in steps {
        let _ = writeln!(out, "{path}:{}: step `{}`", s.line, s.step);
        for v in &s.questions {
            let answer = if v.answer { "yes" } else { "no" };
            let _ = write!(out, "  {:<15} {answer:<4}", question_name(v.question));
            match (&v.declared, v.decided_by) {
                (Some(d), _) => {
                    let _ = writeln!(out, "declared at {}:{}", d.line, d.column);
                }
                (None, "evidence") => {
                    let _ = writeln!(out, "by evidence");
                }
                _ => {
                    let _ = writeln!(out, "no decisive evidence");
                }
            }
            for e in &v.evidence {
                let row = e.row.as_deref().unwrap_or("(structure)");
                let weak = if e.confidence == Confidence::Low {
                    " (weak)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "    {}:{} [{row}]{weak} {}",
                    e.line, e.column, e.description
                );
            }
        }
        if let Some(c) = &s.checkpoint {
            let _ = writeln!(
                out,
                "  checkpoint      {}s from {} (line {})",
                c.seconds, c.source, c.line
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                // Hostile inputs test limits, not verdicts.
                if !path.ends_with("hostile") {
                    files(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                out.push(path);
            }
        }
    }

    /// The rules ask only the questions they can use about a step; each asked question gets
    /// the same evidence as when all are asked (`pipelint classify`), on every test file.
    #[test]
    fn an_asked_question_has_the_evidence_of_all_questions_asked() {
        let config = Config::default();
        let options = crate::engine::analysis_options(&config);
        let mut paths = Vec::new();
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
            &mut paths,
        );
        let (mut steps, mut skipped) = (0, 0);
        for path in &paths {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let yaml = parse(&text, &crate::yaml::ParseLimits::default());
            let (pipelines, _) = adapt_file(&yaml, &text);
            for pipeline in &pipelines {
                for step in &pipeline.steps {
                    let asked = crate::rules::questions_asked(&config, pipeline, step);
                    let all = analyze(step, pipeline, &text, &options, Asked::ALL);
                    let some = analyze(step, pipeline, &text, &options, asked);
                    for q in [Question::Io, Question::NonIdempotent, Question::Random] {
                        let of = |f: &StepFacts| -> Vec<Evidence> {
                            f.evidence
                                .iter()
                                .filter(|e| e.question == q)
                                .cloned()
                                .collect()
                        };
                        if asked.question(q) {
                            assert_eq!(of(&some), of(&all), "{}: {}", path.display(), step.name);
                        } else {
                            assert!(of(&some).is_empty());
                            skipped += usize::from(!of(&all).is_empty());
                        }
                    }
                    steps += 1;
                }
            }
        }
        eprintln!("{steps} steps; {skipped} answers not asked for that had evidence");
        assert!(
            steps > 500 && skipped > 0,
            "{steps} steps, {skipped} skipped"
        );
    }
}
