use super::{at_step, FileContext, Rule, RuleMeta};
use crate::analysis::Question;
use crate::finding::{Finding, Severity};
use crate::model::{ArgoFlavor, Format, Pipeline, Step};

/// A step whose output depends on randomness or time, with its result cached.
pub struct CacheOnRandomStep;

static META: RuleMeta = RuleMeta {
    id: "cache-on-random-step",
    summary: "a step's output depends on unseeded randomness or the current time, and it is cached",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/cache-on-random-step.md"),
    options: &[],
};

/// Can this rule fire on `step`, whatever it does? Only then is its question asked.
pub(crate) fn asks(step: &Step) -> bool {
    !step.system && step.caching.as_ref().is_some_and(|c| c.enabled)
}

impl Rule for CacheOnRandomStep {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_step(
        &self,
        cx: &FileContext<'_>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        if step.system {
            return;
        }
        let Some(caching) = step.caching.as_ref().filter(|c| c.enabled) else {
            return;
        };
        let Some(facts) = cx.facts_of(pipeline, step) else {
            return;
        };
        if !facts.is_random() {
            return;
        }
        let evidence: Vec<_> = facts.strong(Question::Random).take(3).collect();
        let what = evidence.first().map_or_else(
            || {
                "is declared non-deterministic (`pipelint.dev/deterministic: \"false\"`)"
                    .to_string()
            },
            |e| e.description.clone(),
        );
        let (label, help) = match pipeline.format {
            Format::KfpIr(_) => (
                "caching is on: reruns with the same inputs reuse the first result",
                "turn caching off for this task: `task.set_caching_options(enable_caching=False)`, or make it deterministic by seeding from a pipeline parameter (`random.seed(seed)`, `np.random.default_rng(seed)`, `random_state=seed`), then recompile",
            ),
            Format::Argo(_, ArgoFlavor::KfpV1) => (
                "caching is on (`pipelines.kubeflow.org/enable_caching`): reruns with the same inputs reuse the first result",
                "turn caching off for this step in the KFP v1 pipeline: `op.execution_options.caching_strategy.max_cache_staleness = \"P0D\"`, and recompile; or make it deterministic by seeding from a pipeline parameter (`random.seed(seed)`, `np.random.default_rng(seed)`, `random_state=seed`)",
            ),
            Format::Argo(..) => (
                "memoized: reruns with the same key reuse the first result",
                "remove `memoize` from this template, or make the step deterministic (seed it from an input parameter that is part of the memoize key)",
            ),
        };
        let finding = Finding::new(
            META.id,
            META.default_severity,
            caching.span,
            format!(
                "step \"{}\" caches a result that changes from run to run ({what})",
                step.qualified_name()
            ),
        )
        .label(label)
        .help(help)
        .with_evidence(evidence);
        out.push(at_step(finding, pipeline, step));
    }
}
