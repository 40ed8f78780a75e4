//! `unbounded-retry`: Argo retries that never stop, or whose backoff waits outlast the run.

use super::io_step_without_retry::{retry_count, RetryCount};
use super::{at_step, FileContext, OptionKind, OptionSpec, Rule, RuleMeta};
use crate::analysis::durations::parse_seconds;
use crate::finding::{Finding, Severity};
use crate::model::{Format, Origin, Pipeline, Retry, Step};

/// A retry strategy with no bound: no `limit`, or waits that add up past the deadline.
pub struct UnboundedRetry;

static META: RuleMeta = RuleMeta {
    id: "unbounded-retry",
    summary: "a retry strategy never stops, or its backoff waits add up to more than the run's deadline or the configured ceiling",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/unbounded-retry.md"),
    options: &[OptionSpec {
        name: "max-total-wait-seconds",
        kind: OptionKind::Integer,
    }],
};

/// The longest total backoff wait accepted when the option is not set: a day.
const DEFAULT_MAX_TOTAL_WAIT_SECONDS: u64 = 24 * 3600;

/// Seconds spent waiting between attempts, when every retry of `retry` runs: the sum of
/// `duration × factor^i`, each wait capped by `cap` (Argo 3.7+). Counting stops once it
/// passes `stop_above` (a limit of a million retries must not cost a million steps).
/// `None` when a value is templated or unreadable.
fn total_wait(retry: &Retry, retries: i64, stop_above: u64) -> Option<f64> {
    let Some(duration) = &retry.backoff_duration else {
        return Some(0.0); // no backoff: Argo retries at once
    };
    let base = parse_seconds(&duration.value)? as f64;
    let factor = match &retry.backoff_factor {
        Some(f) => f
            .value
            .trim()
            .trim_matches(['"', '\''])
            .parse::<f64>()
            .ok()?,
        None => 1.0,
    };
    let factor = if factor > 0.0 { factor } else { 1.0 };
    let cap = match &retry.backoff_cap {
        Some(c) => Some(parse_seconds(&c.value)? as f64),
        None => None,
    };
    let mut total = 0.0;
    let mut wait = base;
    for _ in 0..retries {
        total += cap.map_or(wait, |c| wait.min(c));
        if total > stop_above as f64 {
            break;
        }
        wait *= factor;
    }
    Some(total)
}

/// `90 s`, `7 min`, `3.5 h`, `10 days`: a wait in the unit a person reads.
fn human(seconds: f64) -> String {
    match seconds {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 2.0 * 3600.0 => format!("{:.0} min", s / 60.0),
        s if s < 2.0 * 86400.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.0} days", s / 86400.0),
    }
}

impl Rule for UnboundedRetry {
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
        // KFP retry policies always carry `maxRetryCount`, and the backend caps each wait
        // (`backoffMaxDuration`, one hour by default).
        if step.system || !matches!(pipeline.format, Format::Argo(..)) {
            return;
        }
        let Some(retry) = &step.retry else { return };
        let inherited = match retry.origin {
            Origin::TemplateDefaults => " (from `spec.templateDefaults`)",
            Origin::Workflow => " (from the workflow's `spec.retryStrategy`)",
            _ => "",
        };
        let (message, label) = match retry_count(step) {
            RetryCount::Unbounded => {
                // `maxDuration` stops retrying once that much time has passed.
                if retry.backoff_max_duration.is_some() {
                    return;
                }
                (
                    format!("step \"{}\" retries without a `limit`{inherited}: a broken step retries until someone stops it", step.qualified_name()),
                    "no `limit` and no `backoff.maxDuration`: retries never stop".to_string(),
                )
            }
            RetryCount::Some(retries) => {
                let ceiling = cx
                    .config
                    .integer(META.id, "max-total-wait-seconds")
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(DEFAULT_MAX_TOTAL_WAIT_SECONDS);
                let deadline = pipeline
                    .timeout
                    .as_ref()
                    .and_then(|t| parse_seconds(&t.value));
                let (bound, what) = match deadline {
                    Some(d) if d < ceiling => {
                        (d, format!("the workflow's deadline ({})", human(d as f64)))
                    }
                    _ => (
                        ceiling,
                        format!(
                            "the ceiling of {} (`max-total-wait-seconds`)",
                            human(ceiling as f64)
                        ),
                    ),
                };
                let Some(total) = total_wait(retry, retries, bound) else {
                    return;
                };
                let bounded_by_max = retry
                    .backoff_max_duration
                    .as_ref()
                    .and_then(|m| parse_seconds(&m.value))
                    .is_some_and(|m| m <= bound);
                if total <= bound as f64 || bounded_by_max {
                    return;
                }
                (
                    format!("step \"{}\" waits {} or more between its {retries} retries{inherited}, longer than {what}", step.qualified_name(), human(total)),
                    "backoff waits outlast the bound".to_string(),
                )
            }
            RetryCount::None | RetryCount::Unknown => return,
        };
        let help = "give the `retryStrategy` a `limit` and bound its waits: `retryStrategy: {limit: \"3\", backoff: {duration: \"30s\", factor: \"2\", maxDuration: \"10m\"}}` (`maxDuration` stops retrying after that long; from Argo 3.7, `cap` bounds each wait)";
        let finding = Finding::new(META.id, META.default_severity, retry.span, message)
            .label(label)
            .help(help);
        out.push(at_step(finding, pipeline, step));
    }
}
