use std::fmt::Write as _;

use super::io_step_without_retry::{retry_count, RetryCount};
use super::{at_step, FileContext, Rule, RuleMeta};
use crate::analysis::Question;
use crate::finding::{Finding, Severity};
use crate::model::{Format, Origin, Pipeline, Step};

/// Retries on a step whose effect a second attempt repeats.
pub struct RetryOnNonIdempotentStep;

static META: RuleMeta = RuleMeta {
    id: "retry-on-non-idempotent-step",
    summary: "a step that registers, pushes, inserts or notifies is retried",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/retry-on-non-idempotent-step.md"),
    options: &[],
};

/// Can this rule fire on `step`, whatever it does? Only then is its question asked.
pub(crate) fn asks(step: &Step) -> bool {
    !step.system && step.retry.is_some() && retry_count(step) != RetryCount::None
}

impl Rule for RetryOnNonIdempotentStep {
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
        let Some(retry) = &step.retry else { return };
        let count = retry_count(step);
        if count == RetryCount::None {
            return;
        }
        let Some(facts) = cx.facts_of(pipeline, step) else {
            return;
        };
        // Retries that never stop, or wait too long, are `unbounded-retry`'s: idempotent or
        // not, they are another problem.
        if !facts.is_non_idempotent() {
            return;
        }
        let times: std::borrow::Cow<'static, str> = match count {
            RetryCount::Some(1) => "once".into(),
            RetryCount::Some(n) => format!("up to {n} times").into(),
            RetryCount::Unbounded => "without a limit".into(),
            _ => "a templated number of times".into(),
        };
        let inherited = match retry.origin {
            Origin::TemplateDefaults => " (from `spec.templateDefaults`)",
            Origin::Workflow => " (from the workflow's `spec.retryStrategy`)",
            _ => "",
        };
        let evidence: Vec<_> = facts.strong(Question::NonIdempotent).take(3).collect();
        let what = evidence.first().map_or(
            "is declared non-idempotent (`pipelint.dev/idempotent: \"false\"`)",
            |e| e.description.as_str(),
        );
        let help = match pipeline.format {
            Format::KfpIr(_) => "make the step idempotent first (run-scoped output paths, write then atomically promote, check an \"already done\" marker), then keep the retry; or drop it: remove `.set_retry(...)` from the task. If it is idempotent, say so: `kfp.kubernetes.add_pod_annotation(task, \"pipelint.dev/idempotent\", \"true\")`",
            Format::Argo(..) => "make the step idempotent first (run-scoped output paths, upserts, an \"already done\" check), or take the retry off this template (`retryStrategy: {limit: 0}` overrides an inherited one). If the step is idempotent, annotate the template with `pipelint.dev/idempotent: \"true\"` under `metadata.annotations`",
        };
        // The message is written into one string, the step's name in place.
        let mut message = String::with_capacity(128 + what.len());
        message.push_str("step \"");
        step.push_qualified_name(&mut message);
        let _ = write!(
            message,
            "\" is retried {times}{inherited}, but a retry repeats its effect ({what})"
        );
        let finding = Finding::new(META.id, META.default_severity, retry.span, message)
            .label("a second attempt repeats the effect")
            .help(help)
            .with_evidence(evidence);
        out.push(at_step(finding, pipeline, step));
    }
}
