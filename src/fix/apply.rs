//! Applying fixes to one file's text, in rounds until stable: each round takes the fixes
//! that do not overlap, applies them together, parses the result again (a fix that would
//! break the file is dropped with a message) and lints it again; fixes that overlapped, or
//! that only the new text allows (a comment added to a line that got one this round), come in
//! the next round. The same loop serves `--fix`, `--add-ignore` and the editor's "fix all".

use std::collections::HashSet;

use super::{apply_edits, spans_conflict, TextEdit};
use crate::engine::{FileReport, Outcome};
use crate::finding::Finding;
use crate::yaml::{parse, LineIndex, ParseLimits, YamlFile};

/// Rounds are bounded: fixes that keep making work for each other stop here.
pub const MAX_ROUNDS: usize = 8;

/// One finding's edits, offered for this round.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The rule whose finding it fixes or silences (for messages).
    pub rule: &'static str,
    pub edits: Vec<TextEdit>,
}

/// What fixing one file did.
#[derive(Debug)]
pub struct Fixed {
    /// The text after every round (the input when nothing applied).
    pub text: String,
    /// Findings whose fix (or ignore comment) was applied.
    pub applied: usize,
    /// Fixes left out because the text they made no longer parsed, as messages
    /// (`path:line:col: ...`).
    pub dropped: Vec<String>,
    /// The lint of [`Fixed::text`].
    pub report: FileReport,
}

impl Fixed {
    pub fn changed(&self, original: &str) -> bool {
        self.text != original
    }
}

/// How broken a text is: syntax errors, abandoned documents, duplicate keys.
fn damage(yaml: &YamlFile) -> (usize, usize, usize) {
    (
        yaml.errors.len() + yaml.too_complex.len(),
        yaml.duplicate_keys.len(),
        yaml.documents.len(),
    )
}

/// Whether `after` parses worse than `before`: a new syntax error or duplicate key, or a
/// document more or less.
fn breaks(before: (usize, usize, usize), after: &str) -> Option<String> {
    let y = parse(after, &ParseLimits::default());
    let (errors, duplicates, documents) = damage(&y);
    if errors > before.0 {
        let e = y.errors.first().or(y.too_complex.first());
        return Some(e.map_or_else(|| "a syntax error".to_string(), |e| e.message.clone()));
    }
    if duplicates > before.1 {
        return Some(format!(
            "a duplicate key `{}`",
            y.duplicate_keys.last().map_or("", |d| d.key.as_str())
        ));
    }
    (documents != before.2).then(|| "a document more or less".to_string())
}

/// Applies the candidates `choose` offers for each lint of the text, round after round, until
/// none applies or the text stops changing. `lint` lints a text as the file; `path` names it
/// in messages. A file that does not parse to begin with is left as it is.
pub fn fix_text(
    path: &str,
    original: &str,
    lint: &dyn Fn(&str) -> FileReport,
    choose: &dyn Fn(&str, &FileReport) -> Vec<Candidate>,
) -> Fixed {
    let mut text = original.to_string();
    let mut report = lint(&text);
    let mut applied = 0;
    let mut dropped = Vec::new();
    let before = parse(&text, &ParseLimits::default());
    if before.is_incomplete() || !matches!(report.outcome, Outcome::Pipeline(_)) {
        return Fixed {
            text,
            applied,
            dropped,
            report,
        };
    }
    // Texts of earlier rounds, by hash: a round that comes back to one stops the loop.
    let hash = |t: &str| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    };
    let mut seen: HashSet<u64> = HashSet::from([hash(&text)]);
    let mut refused: HashSet<Vec<TextEdit>> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let base = damage(&parse(&text, &ParseLimits::default()));
        let mut candidates: Vec<Candidate> = choose(&text, &report)
            .into_iter()
            .filter(|c| !c.edits.is_empty() && !refused.contains(&c.edits))
            .collect();
        candidates.sort_by_key(|c| c.edits.first().map(|e| (e.span.start, e.span.end)));
        // The candidates whose edits fit with those taken so far.
        let mut edits: Vec<TextEdit> = Vec::new();
        let mut chosen: Vec<Candidate> = Vec::new();
        for c in candidates {
            let fits = c.edits.iter().all(|e| {
                edits.contains(e)
                    || !edits
                        .iter()
                        .any(|o| o != e && spans_conflict(o.span, e.span))
            });
            if fits {
                edits.extend(c.edits.iter().cloned());
                chosen.push(c);
            }
        }
        if chosen.is_empty() {
            break;
        }
        let mut next = apply_edits(&text, &edits);
        if breaks(base, &next).is_some() {
            // Find the culprits one by one, each against this round's text.
            let lines = LineIndex::new(&text);
            let mut good = Vec::new();
            for c in chosen {
                match breaks(base, &apply_edits(&text, &c.edits)) {
                    None => good.push(c),
                    Some(why) => {
                        let at = lines.line_col(c.edits[0].span.start);
                        dropped.push(format!(
                            "{path}:{}:{}: the fix for {} was not applied: the fixed text would have {why}",
                            at.line, at.column, c.rule
                        ));
                        refused.insert(c.edits.clone());
                    }
                }
            }
            let edits: Vec<TextEdit> = good.iter().flat_map(|c| c.edits.iter().cloned()).collect();
            next = apply_edits(&text, &edits);
            if breaks(base, &next).is_some() {
                // Good alone, broken together: one this round, the others in the next.
                match good.first() {
                    Some(first) => {
                        next = apply_edits(&text, &first.edits);
                        good.truncate(1);
                    }
                    None => next = text.clone(),
                }
            }
            chosen = good;
        }
        if next == text || !seen.insert(hash(&next)) {
            break;
        }
        let next_report = lint(&next);
        if !matches!(next_report.outcome, Outcome::Pipeline(_)) {
            dropped.push(format!(
                "{path}: fixes were not applied: the fixed text is no longer read as a pipeline"
            ));
            break;
        }
        applied += chosen.len();
        text = next;
        report = next_report;
    }
    Fixed {
        text,
        applied,
        dropped,
        report,
    }
}

/// The fixes of a lint that `--fix` applies (`--unsafe-fixes`: every fix).
pub fn fixes_of(report: &FileReport, unsafe_fixes: bool) -> Vec<Candidate> {
    report
        .findings
        .iter()
        .filter_map(|f| candidate(f, unsafe_fixes))
        .collect()
}

fn candidate(f: &Finding, unsafe_fixes: bool) -> Option<Candidate> {
    let fix = f.fix.as_ref().filter(|x| x.applies(unsafe_fixes))?;
    Some(Candidate {
        rule: f.rule,
        edits: fix.edits.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{lint_bytes, Settings};
    use crate::yaml::Span;

    fn lint(text: &str) -> FileReport {
        lint_bytes(
            "wf.yaml".into(),
            text.as_bytes(),
            true,
            &Settings::default(),
        )
    }

    const WF: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: w\nspec:\n  entrypoint: main\n  templates:\n    - name: main\n      container:\n        image: alpine:3.19\n";

    #[test]
    fn a_fix_that_breaks_the_file_is_dropped_with_a_message() {
        let choose = |text: &str, _: &FileReport| {
            let at = text.find("alpine").unwrap() as u32;
            vec![
                Candidate {
                    rule: "breaks",
                    edits: vec![TextEdit::new(Span::new(at, at), "[")],
                },
                Candidate {
                    rule: "duplicates",
                    edits: vec![TextEdit::new(Span::new(0, 0), "kind: Workflow\n")],
                },
            ]
        };
        let fixed = fix_text("wf.yaml", WF, &lint, &choose);
        assert_eq!(fixed.text, WF);
        assert_eq!(fixed.applied, 0);
        assert_eq!(fixed.dropped.len(), 2, "{:?}", fixed.dropped);
        assert!(fixed.dropped[0].starts_with("wf.yaml:1:1: the fix for duplicates was not applied: the fixed text would have a duplicate key `kind`"), "{:?}", fixed.dropped);
        assert!(
            fixed.dropped[1].starts_with("wf.yaml:10:16: the fix for breaks"),
            "{:?}",
            fixed.dropped
        );
    }

    #[test]
    fn overlapping_fixes_come_in_rounds_and_stop_when_stable() {
        // Two insertions at one place: one per round, until the text holds both.
        let choose = |text: &str, _: &FileReport| {
            let at = text.find("    - name: main").unwrap() as u32;
            ["# one\n", "# two\n"]
                .iter()
                .filter(|c| !text.contains(**c))
                .map(|c| Candidate {
                    rule: "r",
                    edits: vec![TextEdit::new(Span::new(at, at), *c)],
                })
                .collect()
        };
        let fixed = fix_text("wf.yaml", WF, &lint, &choose);
        assert_eq!(fixed.applied, 2);
        assert!(fixed.text.contains("# one\n") && fixed.text.contains("# two\n"));
        // A text that does not parse is left alone.
        let broken = format!("{WF}  bad: [\n");
        let fixed = fix_text("wf.yaml", &broken, &lint, &choose);
        assert_eq!((fixed.text.as_str(), fixed.applied), (broken.as_str(), 0));
    }
}
