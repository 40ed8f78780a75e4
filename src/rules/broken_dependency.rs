//! `broken-dependency`: a task waits for, or calls, something that does not exist.

use std::collections::{BTreeMap, BTreeSet};

use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{
    did_you_mean, is_templated, ArgoKind, Format, Pipeline, Spanned, Task, TemplateRef,
};

/// A dependency on a task that is not in the same DAG, or a call of a template that the
/// workflow (or the referenced WorkflowTemplate) does not define.
pub struct BrokenDependency;

static META: RuleMeta = RuleMeta {
    id: "broken-dependency",
    summary:
        "a task waits for a task that is not in its DAG, or calls a template that does not exist",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/broken-dependency.md"),
    options: &[],
};

/// Task names by the DAG (KFP component, Argo template) they belong to.
fn tasks_by_dag(pipeline: &Pipeline) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut by_dag: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for task in &pipeline.tasks {
        by_dag
            .entry(task.parent.as_str())
            .or_default()
            .insert(task.name.value.as_str());
    }
    by_dag
}

fn task_finding(
    pipeline: &Pipeline,
    task: &Task,
    span: crate::yaml::Span,
    message: String,
) -> Finding {
    let mut finding = Finding::new(META.id, META.default_severity, span, message);
    finding.pipeline = Some(pipeline.display_name().into());
    finding.step = Some(task.name.value.as_str().into());
    finding.step_path = vec![
        pipeline.display_name().to_string(),
        task.parent.clone(),
        task.name.value.clone(),
    ]
    .into();
    finding.document = Some(pipeline.document);
    finding
}

fn pipeline_finding(pipeline: &Pipeline, span: crate::yaml::Span, message: String) -> Finding {
    let mut finding = Finding::new(META.id, META.default_severity, span, message);
    finding.pipeline = Some(pipeline.display_name().into());
    finding.document = Some(pipeline.document);
    finding
}

/// Dependencies that name no task of the task's own DAG (both formats).
fn check_depends(pipeline: &Pipeline, out: &mut Vec<Finding>) {
    let by_dag = tasks_by_dag(pipeline);
    let kfp = pipeline.format.is_kfp_ir();
    for task in pipeline.tasks.iter().filter(|t| !t.in_steps) {
        let siblings = &by_dag[task.parent.as_str()];
        for dep in &task.depends {
            if siblings.contains(dep.value.as_str()) || is_templated(&dep.value) {
                continue;
            }
            let elsewhere = by_dag
                .iter()
                .find(|(dag, names)| **dag != task.parent && names.contains(dep.value.as_str()))
                .map(|(dag, _)| *dag);
            let dag = |name: &str| match (kfp, name) {
                (true, "root") => "the pipeline's root DAG".to_string(),
                (true, _) => format!("component `{name}`"),
                (false, _) => format!("DAG template `{name}`"),
            };
            let label = match elsewhere {
                Some(other) => format!(
                    "`{}` is a task of {}, not of {}",
                    dep.value,
                    dag(other),
                    dag(&task.parent)
                ),
                None => format!(
                    "no task `{}` in {}{}",
                    dep.value,
                    dag(&task.parent),
                    did_you_mean(&dep.value, siblings.iter().copied())
                ),
            };
            let help = if kfp {
                "the IR was edited by hand or merged badly: recompile the pipeline from its Python source (`.after()` and passing a task's output wire dependencies for you); a task can only wait for tasks of its own DAG (pipeline, condition, loop, exit handler)"
            } else {
                "name a task of the same `dag.tasks` list in `dependencies`/`depends`; tasks of other DAG templates are out of reach (wait for the DAG task that runs them instead)"
            };
            out.push(
                task_finding(
                    pipeline,
                    task,
                    dep.span,
                    format!(
                        "task \"{}\" waits for \"{}\", which is not a task of its DAG",
                        task.name.value, dep.value
                    ),
                )
                .label(label)
                .help(help),
            );
        }
    }
}

/// Where an Argo template name resolves: the workflow's own templates, plus those of the
/// WorkflowTemplate its spec comes from (when known).
struct ArgoScope<'a> {
    own: BTreeSet<&'a str>,
    /// `workflowTemplateRef` present and its templates unknown: calls cannot be judged.
    open: bool,
}

impl ArgoScope<'_> {
    fn defines(&self, name: &str) -> bool {
        self.open || self.own.contains(name)
    }
}

/// The templates of a (Cluster)WorkflowTemplate named by a reference: from this file, else
/// from the run (`--strict-refs`). `Err(())` when the run is known and lacks it; `Ok(None)`
/// when it cannot be known.
fn resolve<'a>(
    cx: &'a FileContext<'_>,
    reference: &TemplateRef,
    name: &str,
) -> Result<Option<BTreeSet<&'a str>>, ()> {
    let kind = if reference.cluster_scope {
        ArgoKind::ClusterWorkflowTemplate
    } else {
        ArgoKind::WorkflowTemplate
    };
    let local: Vec<&Pipeline> = cx
        .pipelines
        .iter()
        .filter(|p| {
            matches!(p.format, Format::Argo(k, _) if k == kind)
                && p.name.as_ref().is_some_and(|n| n.value == name)
        })
        .collect();
    if !local.is_empty() {
        return Ok(Some(
            local
                .iter()
                .flat_map(|p| p.steps.iter().map(|s| &*s.name))
                .collect(),
        ));
    }
    match &cx.config.known_templates {
        Some(known) => match known.templates(reference.cluster_scope, name) {
            Some(templates) => Ok(Some(templates.iter().map(String::as_str).collect())),
            None => Err(()),
        },
        None => Ok(None),
    }
}

fn kind_name(reference: &TemplateRef) -> &'static str {
    if reference.cluster_scope {
        "ClusterWorkflowTemplate"
    } else {
        "WorkflowTemplate"
    }
}

/// A `templateRef`/`workflowTemplateRef` that does not resolve: a finding, if it can be known.
fn check_reference(
    cx: &FileContext<'_>,
    reference: &TemplateRef,
    make: &dyn Fn(crate::yaml::Span, String) -> Finding,
    out: &mut Vec<Finding>,
) {
    let Some(name) = reference.name.as_ref().filter(|n| !is_templated(&n.value)) else {
        return;
    };
    let kind = kind_name(reference);
    match resolve(cx, reference, &name.value) {
        Ok(None) => {}
        Err(()) => out.push(
            make(
                name.span,
                format!(
                    "{kind} \"{}\" is not defined in any file of this run",
                    name.value
                ),
            )
            .label(format!("no {kind} named `{}` among the linted files", name.value))
            .help(format!(
                "lint the file that defines the {kind} in the same run, fix the name, or set `clusterScope` to match its kind; without `--strict-refs` references to other files are not checked"
            )),
        ),
        Ok(Some(templates)) => {
            let Some(template) = reference
                .template
                .as_ref()
                .filter(|t| !is_templated(&t.value))
            else {
                return;
            };
            if templates.contains(template.value.as_str()) {
                return;
            }
            out.push(
                make(
                    template.span,
                    format!(
                        "{kind} \"{}\" has no template \"{}\"",
                        name.value, template.value
                    ),
                )
                .label(format!(
                    "not a template of `{}`{}",
                    name.value,
                    did_you_mean(&template.value, templates.iter().copied())
                ))
                .help(format!(
                    "name one of the templates of {kind} `{}` in `templateRef.template`",
                    name.value
                )),
            );
        }
    }
}

fn check_argo(cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
    let inherited = match &pipeline.workflow_template_ref {
        Some(reference) => {
            let make = |span, message| pipeline_finding(pipeline, span, message);
            check_reference(cx, reference, &make, out);
            let name = reference.name.as_ref().map(|n| n.value.as_str());
            match name.map(|n| resolve(cx, reference, n)) {
                Some(Ok(Some(templates))) => Some(templates),
                _ => None,
            }
        }
        None => None,
    };
    let mut own: BTreeSet<&str> = pipeline.steps.iter().map(|s| &*s.name).collect();
    if let Some(templates) = &inherited {
        own.extend(templates.iter().copied());
    }
    let scope = ArgoScope {
        own,
        open: pipeline.workflow_template_ref.is_some() && inherited.is_none(),
    };
    let missing =
        |name: &Spanned<String>| !is_templated(&name.value) && !scope.defines(&name.value);
    let help = "name a template defined under `spec.templates` (names are case-sensitive), or call another manifest's template with `templateRef: {name, template}`";

    if let Some(entry) = pipeline.entrypoint.as_ref().filter(|e| missing(e)) {
        out.push(
            pipeline_finding(
                pipeline,
                entry.span,
                format!(
                    "the entrypoint \"{}\" is not a template of the workflow",
                    entry.value
                ),
            )
            .label(format!(
                "no template `{}`{}",
                entry.value,
                did_you_mean(&entry.value, scope.own.iter().copied())
            ))
            .help(help),
        );
    }
    for exit in pipeline.exit_templates.iter().filter(|e| missing(e)) {
        out.push(
            pipeline_finding(
                pipeline,
                exit.span,
                format!(
                    "the exit handler \"{}\" is not a template of the workflow",
                    exit.value
                ),
            )
            .label(format!(
                "no template `{}`{}",
                exit.value,
                did_you_mean(&exit.value, scope.own.iter().copied())
            ))
            .help(help),
        );
    }
    for task in &pipeline.tasks {
        let calls = task
            .template
            .iter()
            .map(|t| (t, false))
            .chain(task.hooks.iter().map(|h| (h, true)));
        for (template, hook) in calls {
            if !missing(template) {
                continue;
            }
            let message = if hook {
                format!(
                    "task \"{}\" runs template \"{}\" as an exit handler or hook, but the workflow does not define it",
                    task.name.value, template.value
                )
            } else {
                format!(
                    "task \"{}\" calls template \"{}\", which the workflow does not define",
                    task.name.value, template.value
                )
            };
            out.push(
                task_finding(pipeline, task, template.span, message)
                    .label(format!(
                        "no template `{}`{}",
                        template.value,
                        did_you_mean(&template.value, scope.own.iter().copied())
                    ))
                    .help(help),
            );
        }
        if let Some(reference) = &task.template_ref {
            let make = |span, message| task_finding(pipeline, task, span, message);
            check_reference(cx, reference, &make, out);
        }
    }
}

impl Rule for BrokenDependency {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        check_depends(pipeline, out);
        if let Format::Argo(..) = pipeline.format {
            check_argo(cx, pipeline, out);
        }
    }
}
