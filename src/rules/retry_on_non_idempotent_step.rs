use super::io_step_without_retry::{retry_count, RetryCount};
use super::{at_step, FileContext, Rule, RuleMeta};
use crate::analysis::Question;
use crate::finding::{Finding, Severity};
use crate::model::{Format, Origin, Pipeline, Step};

/// Retries on a step whose effect a second attempt repeats, and retries that never stop.
pub struct RetryOnNonIdempotentStep;

static META: RuleMeta = RuleMeta {
    id: "retry-on-non-idempotent-step",
    summary: "a step that registers, pushes, inserts or notifies is retried, or retries never stop",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/retry-on-non-idempotent-step.md"),
    options: &[],
};

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
        let is_argo = matches!(pipeline.format, Format::Argo(..));
        let times = match count {
            RetryCount::Some(1) => "once".to_string(),
            RetryCount::Some(n) => format!("up to {n} times"),
            RetryCount::Unbounded => "without a limit".to_string(),
            _ => "a templated number of times".to_string(),
        };
        let inherited = match retry.origin {
            Origin::TemplateDefaults => " (from `spec.templateDefaults`)",
            Origin::Workflow => " (from the workflow's `spec.retryStrategy`)",
            _ => "",
        };
        let mut problems: Vec<String> = Vec::new();
        let mut evidence = Vec::new();
        let mut label = String::new();
        let declared_idempotent = facts.declared_idempotent.as_ref().is_some_and(|d| d.value);
        if facts.is_non_idempotent() {
            evidence = facts.strong(Question::NonIdempotent).take(3).collect();
            let what = evidence.first().map_or_else(
                || "is declared non-idempotent (`pipelint.dev/idempotent: \"false\"`)".to_string(),
                |e| e.description.clone(),
            );
            problems.push(format!(
                "is retried {times}{inherited}, but a retry repeats its effect ({what})"
            ));
            label = "a second attempt repeats the effect".to_string();
        }
        if is_argo && count == RetryCount::Unbounded && !declared_idempotent {
            problems.push(format!("retries without a `limit`{inherited}: a broken step retries until someone stops it"));
            if label.is_empty() {
                label = "no `limit`: retries never stop".to_string();
            }
        } else if is_argo && count == RetryCount::Unbounded {
            problems.push(format!("retries without a `limit`{inherited}"));
            label = "no `limit`: retries never stop".to_string();
        }
        if is_argo && retry.backoff_factor.is_some() && retry.backoff_max_duration.is_none() {
            problems.push(
                "backs off with no `maxDuration` or `cap`: waits grow without bound".to_string(),
            );
            if label.is_empty() {
                label = "backoff without a cap".to_string();
            }
        }
        if problems.is_empty() {
            return;
        }
        let help = match pipeline.format {
            Format::KfpIr(_) => "make the step idempotent first (run-scoped output paths, write then atomically promote, check an \"already done\" marker), then keep the retry; or drop it: remove `.set_retry(...)` from the task. If it is idempotent, say so: `kfp.kubernetes.add_pod_annotation(task, \"pipelint.dev/idempotent\", \"true\")`",
            Format::Argo(..) => "make the step idempotent first (run-scoped output paths, upserts, an \"already done\" check), or remove the retry from this template; always bound retries: `retryStrategy: {limit: \"3\", backoff: {duration: \"30s\", factor: \"2\", maxDuration: \"10m\"}}`. If the step is idempotent, annotate the template with `pipelint.dev/idempotent: \"true\"`",
        };
        let finding = Finding::new(
            META.id,
            META.default_severity,
            retry.span,
            format!(
                "step \"{}\" {}",
                step.qualified_name(),
                problems.join("; and ")
            ),
        )
        .label(label)
        .help(help)
        .with_evidence(evidence);
        out.push(at_step(finding, pipeline, step));
    }
}
