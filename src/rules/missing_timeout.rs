//! `missing-timeout`: a step that runs a container with no deadline anywhere above it.

use super::{at_step, FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{ArgoFlavor, ArgoKind, Format, Pipeline, Step};

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
        self.check_template_refs(cx, pipeline, out);
    }

    fn check_step(
        &self,
        _cx: &FileContext<'_>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        // Stubs the backend runs without a pod (kfp-kubernetes CreatePVC/DeletePVC) and Argo
        // daemons (stopped when their scope ends) cannot hang a pod.
        if !step.holds_a_pod() || step.timeout.is_some() {
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
            {
                let mut message = String::with_capacity(112);
                message.push_str("step \"");
                step.push_qualified_name(&mut message);
                message.push_str("\" has no timeout: if it hangs, it holds its pod (and any GPU) until someone kills it");
                message
            },
        )
        .label(label)
        .help(help);
        out.push(at_step(finding, pipeline, step));
    }
}

impl MissingTimeout {
    /// With `--strict-refs`, tasks that call a template of another (Cluster)WorkflowTemplate:
    /// reported when no deadline exists anywhere along the `templateRef` chain (the called
    /// manifest's own `spec.activeDeadlineSeconds` does not bound a run that calls it).
    fn check_template_refs(
        &self,
        cx: &FileContext<'_>,
        pipeline: &Pipeline,
        out: &mut Vec<Finding>,
    ) {
        let Some(known) = &cx.config.known_templates else {
            return;
        };
        if !matches!(
            pipeline.format,
            Format::Argo(ArgoKind::Workflow | ArgoKind::CronWorkflow, _)
        ) || pipeline.default_timeout.is_some()
        {
            return;
        }
        for task in &pipeline.tasks {
            let Some(reference) = &task.template_ref else {
                continue;
            };
            let (Some(name), Some(template)) = (&reference.name, &reference.template) else {
                continue;
            };
            let Some(Some((_, manifest, unbounded))) =
                known.unbounded_along(reference.cluster_scope, &name.value, &template.value)
            else {
                continue;
            };
            let kind = if reference.cluster_scope {
                "ClusterWorkflowTemplate"
            } else {
                "WorkflowTemplate"
            };
            let mut finding = Finding::new(
                META.id,
                META.default_severity,
                reference.span,
                format!(
                    "step \"{}\" has no timeout: template \"{unbounded}\" of {kind} \"{manifest}\" runs a container with none, and neither does this workflow",
                    task.name.value
                ),
            )
            .label("no deadline along this `templateRef`")
            .help("bound the whole run with `spec.activeDeadlineSeconds`, every template with `spec.templateDefaults.activeDeadlineSeconds` (it also applies to the templates called through `templateRef`), or give the called template its own `activeDeadlineSeconds` / `timeout`");
            finding.pipeline = Some(pipeline.display_name().into());
            finding.step = Some(task.name.value.as_str().into());
            finding.step_path =
                vec![pipeline.display_name().to_string(), task.name.value.clone()].into();
            finding.document = Some(pipeline.document);
            out.push(finding);
        }
    }
}
