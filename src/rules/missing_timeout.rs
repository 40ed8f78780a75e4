//! `missing-timeout`: a step that runs a container with no deadline anywhere above it.

use super::{at_step, FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{ArgoFlavor, ArgoKind, Format, Pipeline, Step, StepKind};

/// A container step with no timeout of its own, from defaults, or for the whole run.
pub struct MissingTimeout;

static META: RuleMeta = RuleMeta {
    id: "missing-timeout",
    summary: "a step runs a container with no timeout on the step, its defaults or the whole run, so a hang holds its pod until someone notices",
    default_severity: Severity::Info,
    doc: include_str!("../../rules/missing-timeout.md"),
    options: &[],
};

impl Rule for MissingTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        match pipeline.format {
            // The backend's driver sets the executor pod's deadline from the IR at run time;
            // this manifest does not show it.
            Format::Argo(_, ArgoFlavor::KfpV2Backend) => return,
            // Templates of a library are run by workflows whose own deadline applies.
            Format::Argo(ArgoKind::WorkflowTemplate | ArgoKind::ClusterWorkflowTemplate, _) => {
                return
            }
            _ => {}
        }
        if pipeline.timeout.is_some() {
            return;
        }
        for step in &pipeline.steps {
            self.check_step(cx, pipeline, step, out);
        }
    }

    fn check_step(
        &self,
        _cx: &FileContext<'_>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        let runs_container = matches!(
            step.kind,
            StepKind::Container | StepKind::Script | StepKind::ContainerSet
        );
        if step.system || !runs_container || step.timeout.is_some() {
            return;
        }
        let (label, help) = match pipeline.format {
            Format::KfpIr(_) => (
                "no `activeDeadlineSeconds` for this task's executor, and none for the pipeline",
                "set a deadline on the task with `kfp.kubernetes.set_timeout(task, seconds)` and recompile (it becomes the pod's `activeDeadlineSeconds`); on KFP 2.17+ backends a pipeline-wide `activeDeadlineSeconds` under `platforms.kubernetes.pipelineConfig` also bounds every step",
            ),
            Format::Argo(..) => (
                "no `timeout` or `activeDeadlineSeconds` here, in `templateDefaults`, or on the workflow",
                "add `activeDeadlineSeconds: <seconds>` (or `timeout: 2h`) to the template, once for every template under `spec.templateDefaults`, or bound the whole run with `spec.activeDeadlineSeconds`",
            ),
        };
        let finding = Finding::new(
            META.id,
            META.default_severity,
            step.span,
            format!(
                "step \"{}\" has no timeout: if it hangs, it holds its pod (and any GPU) until someone kills it",
                step.qualified_name()
            ),
        )
        .label(label)
        .help(help);
        out.push(at_step(finding, pipeline, step));
    }
}
