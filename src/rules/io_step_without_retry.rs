use std::fmt::Write as _;

use super::{at_step, FileContext, Rule, RuleMeta};
use crate::analysis::Question;
use crate::finding::{Finding, Severity};
use crate::fix::edit::Value;
use crate::fix::{Fix, NoFix};
use crate::model::{ArgoFlavor, Format, Pipeline, Step, StepKind};
/// A step that does network or storage IO with no retry to absorb a transient failure.
pub struct IoStepWithoutRetry;

static META: RuleMeta = RuleMeta {
    id: "io-step-without-retry",
    summary: "a step does network or storage IO but has no retries",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/io-step-without-retry.md"),
    options: &[],
};

/// Retries the orchestrator will make, as far as the file says: `None` when unknown at lint
/// time (templated) or unbounded.
pub(crate) fn retry_count(step: &Step) -> RetryCount {
    let Some(retry) = &step.retry else {
        return RetryCount::None;
    };
    match &retry.limit {
        None => RetryCount::Unbounded,
        Some(limit) => match limit.value.trim().parse::<i64>() {
            Ok(n) if n <= 0 => RetryCount::None,
            Ok(n) => RetryCount::Some(n),
            Err(_) => RetryCount::Unknown,
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryCount {
    None,
    Some(i64),
    Unbounded,
    /// Templated (`{{inputs.parameters.retries}}`): assumed to retry.
    Unknown,
}

/// Why the KFP backend would drop a task's retry policy, if it would.
fn kfp_retry_ignored(config: &crate::config::Config, step: &Step) -> Option<String> {
    if let Some(target) = config.kfp_backend_version {
        if target < crate::config::Version(2, 5, 0) {
            return Some(format!(
                "the KFP backend {target} ignores task retry policies (honoured from 2.5.0, kubeflow/pipelines#11673)"
            ));
        }
    }
    step.path
        .iter()
        .any(|p| p.starts_with("for-loop"))
        .then(|| "the KFP backend ignores retry policies of tasks inside `dsl.ParallelFor` (kubeflow/pipelines#13897)".to_string())
}

/// Can this rule fire on `step`, whatever it does? Only then are its questions asked (IO,
/// and non-idempotent effects, which silence it).
pub(crate) fn asks(config: &crate::config::Config, pipeline: &Pipeline, step: &Step) -> bool {
    !step.system
        && step.kind != StepKind::Group
        && (retry_count(step) == RetryCount::None
            || (matches!(pipeline.format, Format::KfpIr(_))
                && kfp_retry_ignored(config, step).is_some()))
}

impl Rule for IoStepWithoutRetry {
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
        if step.system || step.kind == StepKind::Group {
            return;
        }
        let Some(facts) = cx.facts_of(pipeline, step) else {
            return;
        };
        if !facts.does_io() || facts.is_non_idempotent() {
            return;
        }
        let is_kfp = matches!(pipeline.format, Format::KfpIr(_));
        let ignored = if is_kfp {
            kfp_retry_ignored(cx.config, step)
        } else {
            None
        };
        if retry_count(step) != RetryCount::None && ignored.is_none() {
            return;
        }
        let evidence: Vec<_> = facts.strong(Question::Io).take(3).collect();
        let what = evidence
            .first()
            .map_or("is declared to do IO (`pipelint.dev/io`)", |e| {
                e.description.as_str()
            });
        // The message is written into one string, the step's name in place.
        let mut message = String::with_capacity(128 + what.len());
        message.push_str("step \"");
        step.push_qualified_name(&mut message);
        let label = match &ignored {
            Some(reason) => {
                let _ = write!(
                    message,
                    "\" does network or storage IO, and its retries will not run: {reason}"
                );
                "retries here are ignored by the backend"
            }
            None => {
                message.push_str("\" does network or storage IO but has no retries (");
                message.push_str(what);
                message.push(')');
                if is_kfp {
                    "no `retryPolicy` on this task"
                } else {
                    "no `retryStrategy` for this template"
                }
            }
        };
        let help = match pipeline.format {
            Format::KfpIr(_) => "a timeout or a throttled API fails the whole run; make a second attempt safe (run-scoped output paths), then let the backend retry the task: `task.set_retry(num_retries=3, backoff_duration=\"30s\", backoff_max_duration=\"10m\")`, and recompile. If the step already retries well on its own (a retry loop in its code) or only talks to a sidecar, declare it: `kfp.kubernetes.add_pod_annotation(task, \"pipelint.dev/io\", \"false\")`; if it must never run twice: `kfp.kubernetes.add_pod_annotation(task, \"pipelint.dev/idempotent\", \"false\")`",
            Format::Argo(..) => "a timeout or a throttled API fails the whole run; make a second attempt safe (run-scoped output paths), then add `retryStrategy: {limit: \"3\", retryPolicy: Always, backoff: {duration: \"30s\", factor: \"2\", maxDuration: \"10m\"}}` to the template (or once under `spec.templateDefaults`). If the step already retries well on its own (a retry loop in its code) or only talks to a sidecar, declare it under the template's `metadata.annotations`: `pipelint.dev/io: \"false\"`; if it must never run twice: `pipelint.dev/idempotent: \"false\"`",
        };
        let mut finding = Finding::new(META.id, META.default_severity, step.span, message)
            .label(label)
            .help(help)
            .with_evidence(evidence);
        if let (Format::Argo(_, flavor), None) = (pipeline.format, &ignored) {
            finding = finding.with_fix(retry_fix(cx, flavor, step));
        }
        if let Some(declared) = &facts.declared_io {
            finding = finding.related(declared.span, "declared by annotation `pipelint.dev/io`");
        }
        out.push(at_step(finding, pipeline, step));
    }
}

/// The retry a fix adds: three more attempts, 30 s, 1 min and 2 min apart, none started after
/// ten minutes. `Always` because an IO failure usually ends the main container (a failure,
/// which `OnError` does not retry) or its artifact loading (an error, which `OnFailure` does
/// not). Quoted numbers: Argo reads `limit` and `factor` as int-or-string.
pub(crate) fn bounded_retry_strategy() -> &'static [(String, Value)] {
    // Made once: the same entries are inserted for every step that lacks a retry.
    static ENTRIES: std::sync::LazyLock<Vec<(String, Value)>> =
        std::sync::LazyLock::new(retry_strategy_entries);
    &ENTRIES
}

fn retry_strategy_entries() -> Vec<(String, Value)> {
    vec![(
        "retryStrategy".to_string(),
        Value::map([
            ("limit", Value::quoted("3")),
            ("retryPolicy", Value::plain("Always")),
            (
                "backoff",
                Value::map([
                    ("duration", Value::quoted("30s")),
                    ("factor", Value::quoted("2")),
                    ("maxDuration", Value::quoted("10m")),
                ]),
            ),
        ]),
    )]
}

/// Argo: the bounded retry inserted into the template, after its first line, in the file's
/// style. Unsafe: a second attempt runs the step's effects again.
fn retry_fix(cx: &FileContext<'_>, flavor: ArgoFlavor, step: &Step) -> Result<Fix, NoFix> {
    let source = &cx.source;
    let template = source.mapping_opened_at(step.span)?;
    let edit = source.insert_entries(template, bounded_retry_strategy())?;
    // The KFP v1 compiler writes this file: the next compile drops the edit.
    let recompiled = match flavor {
        ArgoFlavor::KfpV1 => {
            " (the file is compiled from Python: also call `op.set_retry(3)` there)"
        }
        _ => "",
    };
    Ok(Fix::unsafe_(
        format!(
            "add a bounded `retryStrategy` to template \"{}\" (3 retries, backoff from 30s, none started after 10m){recompiled}",
            step.name
        ),
        vec![edit],
    ))
}
