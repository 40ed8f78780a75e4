//! Fixes that travel with findings. A rule that reports a problem builds its [`Fix`] where it
//! reports: edits located from the YAML nodes it touches ([`edit`]), resolved to byte ranges
//! of the source, marked [`Applicability::Safe`] (keeps what runs, except for the problem) or
//! [`Applicability::Unsafe`] (changes what runs). The renderers, `pipelint check --fix` and
//! the language server all read the same fix (zizmor's `Finding.fixes` over `yamlpatch`,
//! ruff's `Fix` on the diagnostic are the shapes this follows).
//!
//! When an edit cannot be placed safely (an anchor or alias in the way, a value inherited
//! through a merge key, a flow collection that spans lines, a JSON file where a comment was
//! asked for), no fix is built and the finding's help says why ([`NoFix`]).

pub mod apply;
pub mod diff;
pub mod digests;
pub mod edit;
mod ignore;
pub mod run;

pub use ignore::{extend_ignore, ignore_comment};

use crate::yaml::Span;

/// Replace `span` with `new_text` (an insertion when `span` is empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

impl TextEdit {
    pub fn new(span: Span, new_text: impl Into<String>) -> Self {
        TextEdit {
            span,
            new_text: new_text.into(),
        }
    }

    /// The text with this edit applied (for tests and previews).
    pub fn apply(&self, src: &str) -> String {
        apply_edits(src, std::slice::from_ref(self))
    }
}

/// Whether a fix keeps what the pipeline does (apart from the problem) or changes it, as
/// ruff's `Applicability`: `--fix` applies safe fixes, `--unsafe-fixes` the others too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps behaviour except for the problem: applied by `--fix`.
    Safe,
    /// Changes what runs (retries, caching, resources) or what a compiler regenerates:
    /// applied with `--unsafe-fixes` only.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// The fix of one finding: a title for editors and reports, and edits to apply together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    /// What applying it does: `add a bounded retryStrategy to template "fetch"`.
    pub message: String,
    /// Non-overlapping edits, sorted by position.
    pub edits: Vec<TextEdit>,
}

impl Fix {
    pub fn new(
        applicability: Applicability,
        message: impl Into<String>,
        edits: Vec<TextEdit>,
    ) -> Self {
        let mut edits = edits;
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        edits.dedup();
        Fix {
            applicability,
            message: message.into(),
            edits,
        }
    }

    pub fn safe(message: impl Into<String>, edits: Vec<TextEdit>) -> Self {
        Fix::new(Applicability::Safe, message, edits)
    }

    pub fn unsafe_(message: impl Into<String>, edits: Vec<TextEdit>) -> Self {
        Fix::new(Applicability::Unsafe, message, edits)
    }

    /// Whether `--fix` (and `--unsafe-fixes` when `unsafe_fixes`) applies it.
    pub fn applies(&self, unsafe_fixes: bool) -> bool {
        self.applicability == Applicability::Safe || unsafe_fixes
    }

    /// Folds in the edits of the same fix built for another step at the same place (a KFP
    /// executor shared by several tasks).
    pub fn absorb(&mut self, other: &Fix) {
        // Two different edits of one place cannot both apply: the first fix stays as it is.
        if other.edits.iter().any(|o| overlaps_any(o, &self.edits)) {
            return;
        }
        self.applicability = self.applicability.max(other.applicability);
        self.edits.extend(other.edits.iter().cloned());
        self.edits.sort_by_key(|e| (e.span.start, e.span.end));
        self.edits.dedup();
    }
}

/// Why no fix is offered where a rule would have one: said in the finding's help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoFix(pub String);

impl NoFix {
    pub fn new(reason: impl Into<String>) -> Self {
        NoFix(reason.into())
    }
}

/// Two spans that cannot be applied together: they share bytes, or two insertions at the
/// same offset (whose order would be a guess), or an insertion inside a replaced range.
pub fn spans_conflict(a: Span, b: Span) -> bool {
    if a.is_empty() && b.is_empty() {
        return a.start == b.start;
    }
    if a.is_empty() {
        return b.start < a.start && a.start < b.end;
    }
    if b.is_empty() {
        return a.start < b.start && b.start < a.end;
    }
    a.start < b.end && b.start < a.end
}

fn overlaps_any(edit: &TextEdit, others: &[TextEdit]) -> bool {
    others
        .iter()
        .any(|o| o != edit && spans_conflict(o.span, edit.span))
}

/// Whether any two of `edits` conflict (identical edits do not).
pub fn edits_overlap(edits: &[TextEdit]) -> bool {
    edits.iter().enumerate().any(|(i, a)| {
        edits[i + 1..]
            .iter()
            .any(|b| a != b && spans_conflict(a.span, b.span))
    })
}

/// `src` with every edit applied. The edits must not conflict ([`edits_overlap`]); identical
/// edits are applied once. Spans past the end of the text or inside a character are skipped.
pub fn apply_edits(src: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    sorted.dedup();
    let mut out =
        String::with_capacity(src.len() + sorted.iter().map(|e| e.new_text.len()).sum::<usize>());
    let mut at = 0usize;
    for e in sorted {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        if start < at
            || end > src.len()
            || !src.is_char_boundary(start)
            || !src.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&src[at..start]);
        out.push_str(&e.new_text);
        at = end;
    }
    out.push_str(&src[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_conflicts_are_seen() {
        let src = "a: 1\nb: 2\n";
        let edits = [
            TextEdit::new(Span::new(8, 9), "3"),
            TextEdit::new(Span::new(3, 4), "9"),
            TextEdit::new(Span::new(5, 5), "c: 0\n"),
        ];
        assert_eq!(apply_edits(src, &edits), "a: 9\nc: 0\nb: 3\n");
        assert!(!edits_overlap(&edits));
        // Two insertions at one offset: their order would be a guess.
        let two = [
            TextEdit::new(Span::new(5, 5), "x\n"),
            TextEdit::new(Span::new(5, 5), "y\n"),
        ];
        assert!(edits_overlap(&two));
        // The same edit twice is one edit.
        let same = [two[0].clone(), two[0].clone()];
        assert!(!edits_overlap(&same));
        assert_eq!(apply_edits(src, &same), "a: 1\nx\nb: 2\n");
        // An insertion inside a replaced range conflicts; one at its edge does not.
        assert!(spans_conflict(Span::new(2, 6), Span::new(4, 4)));
        assert!(!spans_conflict(Span::new(2, 6), Span::new(6, 6)));
        // A span past the end is skipped, not a panic.
        assert_eq!(
            apply_edits(src, &[TextEdit::new(Span::new(90, 99), "z")]),
            src
        );
    }

    #[test]
    fn absorbing_the_same_fix_of_another_step_unions_its_edits() {
        let mut a = Fix::safe("x", vec![TextEdit::new(Span::new(1, 2), "a")]);
        let b = Fix::unsafe_(
            "x",
            vec![
                TextEdit::new(Span::new(5, 6), "b"),
                TextEdit::new(Span::new(1, 2), "a"),
            ],
        );
        a.absorb(&b);
        assert_eq!(a.edits.len(), 2);
        assert_eq!(a.applicability, Applicability::Unsafe);
        // A conflicting edit of the other fix is left out.
        let c = Fix::safe("x", vec![TextEdit::new(Span::new(1, 3), "c")]);
        a.absorb(&c);
        assert_eq!(a.edits.len(), 2, "{:?}", a.edits);
    }
}
