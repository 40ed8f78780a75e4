//! `unbounded-retry`: Argo retries that never stop, or whose backoff waits outlast the run.

use super::io_step_without_retry::{retry_count, RetryCount};
use super::{at_step, FileContext, OptionKind, OptionSpec, Rule, RuleMeta};
use crate::analysis::durations::parse_seconds;
use crate::finding::{Finding, Severity};
use crate::fix::edit::Value;
use crate::fix::{Fix, NoFix};
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
        default: "21600", // DEFAULT_MAX_TOTAL_WAIT_SECONDS, as config --show prints it
    }],
};

/// The longest total backoff wait accepted when the option is not set: six hours, longer
/// than a patient wait for an upstream outage, shorter than a retry that outlives a nightly
/// run (`limit: 10`, `factor: 2` from one minute waits 17 hours).
const DEFAULT_MAX_TOTAL_WAIT_SECONDS: u64 = 6 * 3600;

/// Counting stops past a century of waiting: a limit of a million retries must not cost a
/// million steps, and the message only needs the order of magnitude.
const COUNT_UP_TO_SECONDS: f64 = 100.0 * 365.0 * 86400.0;

/// Seconds spent waiting between attempts, when every retry of `retry` runs: the sum of
/// `duration × factor^i`, each wait capped by `cap` (Argo 3.7+). `None` when a value is
/// templated or unreadable.
fn total_wait(retry: &Retry, retries: i64) -> Option<f64> {
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
        if total > COUNT_UP_TO_SECONDS {
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
        s if s < COUNT_UP_TO_SECONDS => format!("{:.0} days", s / 86400.0),
        _ => "more than a century".to_string(),
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
        let (message, label, cap) = match retry_count(step) {
            RetryCount::Unbounded => {
                // `maxDuration` stops retrying once that much time has passed.
                if retry.backoff_max_duration.is_some() {
                    return;
                }
                (
                    format!("step \"{}\" retries without a `limit`{inherited}: a broken step retries until someone stops it", step.qualified_name()),
                    "no `limit` and no `backoff.maxDuration`: retries never stop".to_string(),
                    Cap::Limit,
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
                let (bound, by_deadline) = match deadline {
                    Some(d) if d < ceiling => (d, true),
                    _ => (ceiling, false),
                };
                let Some(total) = total_wait(retry, retries) else {
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
                // Worded only for a finding: most retries wait well within the bound.
                let what = if by_deadline {
                    format!("the workflow's deadline ({})", human(bound as f64))
                } else {
                    format!(
                        "the ceiling of {} (`max-total-wait-seconds`)",
                        human(ceiling as f64)
                    )
                };
                (
                    format!("step \"{}\" waits {} in total between its {retries} retries{inherited}, longer than {what}", step.qualified_name(), human(total)),
                    "backoff waits outlast the bound".to_string(),
                    Cap::MaxDuration(bound),
                )
            }
            RetryCount::None | RetryCount::Unknown => return,
        };
        let help = "give the `retryStrategy` a `limit` and bound its waits: `retryStrategy: {limit: \"3\", backoff: {duration: \"30s\", factor: \"2\", maxDuration: \"10m\"}}` (`maxDuration` stops retrying after that long; from Argo 3.7, `cap` bounds each wait)";
        let finding = Finding::new(META.id, META.default_severity, retry.span, message)
            .label(label)
            .help(help)
            .with_fix(cap_fix(cx, retry, cap));
        out.push(at_step(finding, pipeline, step));
    }
}

/// How a fix bounds the retries.
enum Cap {
    /// `limit: "3"`: a broken step stops after three more attempts.
    Limit,
    /// `backoff.maxDuration` set to the bound (seconds): no retry starts after that long.
    MaxDuration(u64),
}

/// A Go duration for `seconds`, in the largest unit that divides it: `6h`, `90m`, `45s`.
fn go_duration(seconds: u64) -> String {
    match seconds {
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The cap, written into the `retryStrategy` the finding points at (the template's own, or
/// the `templateDefaults` or workflow one it inherits). Safe: only retries that would run
/// past the bound are dropped.
fn cap_fix(cx: &FileContext<'_>, retry: &Retry, cap: Cap) -> Result<Fix, NoFix> {
    let source = &cx.source;
    let strategy = source.entry_at_key(retry.span)?.value;
    match cap {
        Cap::Limit => {
            let edit =
                source.insert_entries(strategy, &[("limit".to_string(), Value::quoted("3"))])?;
            Ok(Fix::safe("cap the retries: `limit: \"3\"`", vec![edit]))
        }
        Cap::MaxDuration(bound) => {
            let duration = go_duration(bound);
            let message =
                format!("stop retrying after {duration}: `backoff.maxDuration: \"{duration}\"`");
            let backoff = strategy
                .entries()
                .find(|(k, _)| k.str() == Some("backoff"))
                .map(|(k, _)| k.span())
                .ok_or_else(|| NoFix::new("the retry has no `backoff` mapping"))?;
            let backoff = source.entry_at_key(backoff)?.value;
            let edit = match backoff
                .entries()
                .find(|(k, _)| k.str() == Some("maxDuration"))
            {
                Some((_, value)) => source.replace_scalar(value, &duration)?,
                None => source.insert_entries(
                    backoff,
                    &[("maxDuration".to_string(), Value::quoted(duration.clone()))],
                )?,
            };
            Ok(Fix::safe(message, vec![edit]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Spanned;
    use crate::yaml::Span;

    fn retry(duration: &str, factor: Option<&str>, cap: Option<&str>) -> Retry {
        let text = |v: &str| Spanned::new(v.to_string(), Span::new(0, 1));
        Retry {
            span: Span::new(0, 1),
            origin: Origin::Step,
            limit: None,
            policy: None,
            backoff_duration: Some(text(duration)),
            backoff_factor: factor.map(text),
            backoff_max_duration: None,
            backoff_cap: cap.map(text),
        }
    }

    #[test]
    fn waits_add_up_as_argo_spaces_them() {
        // 1, 2 and 4 minutes: the bounded backoff of the review (r02).
        assert_eq!(total_wait(&retry("1m", Some("2"), None), 3), Some(420.0));
        // No factor: the same wait each time.
        assert_eq!(total_wait(&retry("5m", None, None), 4), Some(1200.0));
        // `cap` bounds each wait: 30, 60, 120, 240, then 300 s.
        assert_eq!(
            total_wait(&retry("30s", Some("2"), Some("5m")), 5),
            Some(750.0)
        );
        // Templated values are unknown.
        assert_eq!(
            total_wait(&retry("{{inputs.parameters.d}}", None, None), 3),
            None
        );
        // A huge limit stops counting instead of looping.
        assert!(
            total_wait(&retry("1s", Some("10"), None), i64::MAX).unwrap() > COUNT_UP_TO_SECONDS
        );
    }
}
