use super::{at_step, FileContext, OptionKind, OptionSpec, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{Format, Origin, Pipeline, Step};
use crate::yaml::Span;

/// A checkpointing step that is killed before its checkpoint can be saved.
pub struct GracePeriodShorterThanCheckpoint;

static META: RuleMeta = RuleMeta {
    id: "grace-period-shorter-than-checkpoint",
    summary: "a step needs longer to save a checkpoint than it gets between SIGTERM and SIGKILL",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/grace-period-shorter-than-checkpoint.md"),
    options: &[
        OptionSpec {
            name: "checkpoint-annotations",
            kind: OptionKind::Strings,
            // Besides the built-in `pipelint.dev/checkpoint-seconds`.
            default: "[]",
        },
        OptionSpec {
            name: "checkpoint-env",
            kind: OptionKind::Strings,
            // Besides the conventional names (`*CHECKPOINT*SECONDS`...).
            default: "[]",
        },
        OptionSpec {
            name: "default-grace-seconds",
            kind: OptionKind::Integer,
            // The Kubernetes default.
            default: "30",
        },
    ],
};

/// Spot/preemptible capacity and the notice its provider gives before reclaiming a node.
struct Spot {
    what: &'static str,
    notice_seconds: u64,
    span: Span,
}

fn spot_of(step: &Step) -> Option<Spot> {
    let classify = |key: &str, value: &str| -> Option<(&'static str, u64)> {
        let value = value.to_ascii_lowercase();
        match key {
            "cloud.google.com/gke-spot" if value != "false" => {
                Some(("GKE spot nodes give about 30 s notice", 30))
            }
            "cloud.google.com/gke-preemptible" if value != "false" => {
                Some(("GKE preemptible nodes give about 30 s notice", 30))
            }
            "preemptible" if value != "false" => {
                Some(("preemptible nodes give about 30 s notice", 30))
            }
            "eks.amazonaws.com/capacityType" if value == "spot" => {
                Some(("EC2 Spot gives a 2-minute interruption notice", 120))
            }
            "karpenter.sh/capacity-type" if value == "spot" => {
                Some(("EC2 Spot gives a 2-minute interruption notice", 120))
            }
            "kubernetes.azure.com/scalesetpriority" if value == "spot" => {
                Some(("Azure spot VMs give about 30 s notice", 30))
            }
            _ => None,
        }
    };
    let selectors = step
        .node_selector
        .iter()
        .filter_map(|(k, v)| classify(&k.value, &v.value).map(|c| (c, k.span)));
    let affinity = step.node_affinity.iter().filter_map(|(k, values)| {
        let value = values.first().map(String::as_str).unwrap_or("true");
        classify(&k.value, value).map(|c| (c, k.span))
    });
    let tolerations = step.tolerations.iter().filter_map(|t| {
        let key = t.key.as_deref()?;
        classify(key, t.value.as_deref().unwrap_or("true")).map(|c| (c, t.span))
    });
    selectors
        .chain(affinity)
        .chain(tolerations)
        .min_by_key(|((_, notice), _)| *notice)
        .map(|((what, notice_seconds), span)| Spot {
            what,
            notice_seconds,
            span,
        })
}

impl Rule for GracePeriodShorterThanCheckpoint {
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
        let Some(facts) = cx.facts_of(pipeline, step) else {
            return;
        };
        let Some(checkpoint) = &facts.checkpoint else {
            return;
        };
        let default_grace = cx
            .config
            .integer(META.id, "default-grace-seconds")
            .unwrap_or(30)
            .max(0) as u64;
        let grace = match step.grace_period.origin {
            Origin::ClusterDefault => default_grace,
            _ => match step.grace_period.seconds {
                Some(s) if s >= 0 => s as u64,
                _ => return, // templated: unknown at lint time
            },
        };
        let spot = spot_of(step);
        let usable = spot.as_ref().map_or(grace, |s| s.notice_seconds.min(grace));
        if checkpoint.seconds <= usable {
            return;
        }
        let grace_reason = match (step.grace_period.origin, pipeline.format) {
            (Origin::ClusterDefault, Format::KfpIr(_)) => {
                format!("KFP pods always get the {grace} s default grace period")
            }
            (Origin::ClusterDefault, _) => format!(
                "`terminationGracePeriodSeconds` is unset, so the {grace} s default applies"
            ),
            _ => format!("`terminationGracePeriodSeconds` is {grace} s"),
        };
        let reason = match &spot {
            Some(s) if s.notice_seconds < grace => {
                format!("{}, less than its {grace} s grace period", s.what)
            }
            Some(s) => format!("{grace_reason}, and {}", s.what),
            None => grace_reason,
        };
        let mut finding = Finding::new(
            META.id,
            META.default_severity,
            checkpoint.span,
            format!(
                "step \"{}\" needs {} s to save a checkpoint ({}) but has {usable} s after SIGTERM: {reason}",
                step.qualified_name(),
                checkpoint.seconds,
                checkpoint.source
            ),
        )
        .label(format!("{} s to checkpoint, {usable} s to do it", checkpoint.seconds))
        .help(match pipeline.format {
            Format::KfpIr(_) => "KFP has no grace-period setting: a preempted or evicted pod is killed 30 s after SIGTERM and the progress since the last checkpoint is lost. Checkpoint more often or in smaller pieces so that one save fits, or run the step where it is not preempted",
            Format::Argo(..) => "give the pod time to finish its checkpoint: `podSpecPatch: '{\"terminationGracePeriodSeconds\": 300}'` on the template (longer than the checkpoint takes); on spot nodes no grace period beats the provider's notice, so checkpoint more often or in smaller pieces",
        });
        if step.grace_period.origin != Origin::ClusterDefault {
            finding = finding.related(step.grace_period.span, format!("grace period: {grace} s"));
        }
        if let Some(s) = &spot {
            finding = finding.related(s.span, s.what.to_string());
        }
        out.push(at_step(finding, pipeline, step));
    }
}
