use super::{Rule, RuleMeta};
use crate::finding::Severity;

/// Reported by the engine (`crate::suppress`) after suppressions are applied: a suppression
/// that silences nothing, or (when the config requires reasons) one that gives no reason.
pub struct UnusedSuppression;

static META: RuleMeta = RuleMeta {
    id: "unused-suppression",
    summary: "a `# pipelint: ignore[...]` comment or `pipelint.dev/ignore` annotation silences nothing, or gives no required reason",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/unused-suppression.md"),
    options: &[],
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}
