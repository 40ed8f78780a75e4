use super::{Rule, RuleMeta};
use crate::finding::Severity;

/// Reported by the source map (`crate::kfp_source`), which reads the Python around the IR:
/// a lightweight component's embedded source differs from its function in the repository.
pub struct StaleCompiledPipeline;

static META: RuleMeta = RuleMeta {
    id: "stale-compiled-pipeline",
    summary: "the compiled KFP IR embeds a component's code that differs from the repository's: recompile",
    default_severity: Severity::Info,
    doc: include_str!("../../rules/stale-compiled-pipeline.md"),
    options: &[],
};

impl Rule for StaleCompiledPipeline {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}
