use super::{at_step, FileContext, Rule, RuleMeta};
use crate::analysis::Question;
use crate::finding::{Finding, Severity};
use crate::fix::{Fix, NoFix};
use crate::model::{ArgoFlavor, Caching, Format, Origin, Pipeline, Step};

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
        let what = evidence.first().map_or(
            "is declared non-deterministic (`pipelint.dev/deterministic: \"false\"`)",
            |e| e.description.as_str(),
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
        // The message is written into one string, the step's name in place.
        let mut message = String::with_capacity(96 + what.len());
        message.push_str("step \"");
        step.push_qualified_name(&mut message);
        message.push_str("\" caches a result that changes from run to run (");
        message.push_str(what);
        message.push(')');
        let finding = Finding::new(META.id, META.default_severity, caching.span, message)
            .label(label)
            .help(help)
            .with_evidence(evidence)
            .with_fix(caching_fix(cx, pipeline.format, step, caching));
        out.push(at_step(finding, pipeline, step));
    }
}

/// Turns the cache off where the finding points. Unsafe: reruns compute anew instead of
/// reusing a result, and a KFP file is recompiled from Python, where the change belongs too.
fn caching_fix(
    cx: &FileContext<'_>,
    format: Format,
    step: &Step,
    caching: &Caching,
) -> Result<Fix, NoFix> {
    let source = &cx.source;
    match format {
        // `enableCache: true` -> `false` on the task.
        Format::KfpIr(_) => {
            let value = source.entry_at_key(caching.span)?.value;
            if value.as_bool() != Some(true) {
                return Err(NoFix::new(
                    "`enableCache` is not written as `true` on the task",
                ));
            }
            let edit = source.replace_plain(value, "false")?;
            Ok(Fix::unsafe_(
                format!(
                    "set `enableCache: false` on task \"{}\" (the IR is compiled from Python: also call `task.set_caching_options(enable_caching=False)` there, or the next compile turns it back on)",
                    step.name
                ),
                vec![edit],
            ))
        }
        // The KFP v1 caching label, `"true"` -> `"false"`.
        Format::Argo(_, ArgoFlavor::KfpV1) => {
            let value = source.node_at(caching.span)?;
            let edit = source.replace_scalar(value, "false")?;
            Ok(Fix::unsafe_(
                format!(
                    "set the caching label of step \"{}\" to `false` (the file is compiled from Python: set `max_cache_staleness = \"P0D\"` there too)",
                    step.name
                ),
                vec![edit],
            ))
        }
        Format::Argo(..) => {
            if caching.origin != Origin::Step {
                return Err(NoFix::new(
                    "`memoize` comes from `spec.templateDefaults`, which other templates inherit",
                ));
            }
            let entry = source.entry_at_key(caching.span)?;
            let edit = source.remove_entry(entry)?;
            Ok(Fix::unsafe_(
                format!("remove `memoize` from template \"{}\"", step.name),
                vec![edit],
            ))
        }
    }
}
