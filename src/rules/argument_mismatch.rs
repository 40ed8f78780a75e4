//! `argument-mismatch`: a call that does not pass what the template needs, or passes what it
//! does not take.

use super::callee::{callee, did_you_mean};
use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{is_templated, ArgoKind, Format, Pipeline, Task, TemplateInterface};

/// A DAG task or step that leaves out a required input of the template it calls, or passes an
/// argument the template does not declare that misspells one it leaves out.
pub struct ArgumentMismatch;

static META: RuleMeta = RuleMeta {
    id: "argument-mismatch",
    summary: "a task or step leaves out a required input of its template, or misspells an argument",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/argument-mismatch.md"),
    options: &[],
};

fn task_finding(
    pipeline: &Pipeline,
    task: &Task,
    span: crate::yaml::Span,
    message: String,
) -> Finding {
    let mut f = Finding::new(META.id, META.default_severity, span, message);
    f.pipeline = Some(pipeline.display_name().into());
    f.step = Some(task.name.value.as_str().into());
    f.step_path = vec![
        pipeline.display_name().to_string(),
        task.parent.clone(),
        task.name.value.clone(),
    ]
    .into();
    f.document = Some(pipeline.document);
    f
}

fn kind(artifact: bool) -> &'static str {
    if artifact {
        "artifact"
    } else {
        "parameter"
    }
}

fn check_call(
    pipeline: &Pipeline,
    task: &Task,
    called: &TemplateInterface,
    out: &mut Vec<Finding>,
) {
    if task.arguments.iter().any(|a| is_templated(&a.name.value)) {
        return;
    }
    // One finding per call: Argo stops at the first input it misses, the user wants them all.
    let missing: Vec<&crate::model::Declared> = called
        .inputs
        .iter()
        .filter(|i| i.required)
        .filter(|i| {
            !task
                .arguments
                .iter()
                .any(|a| a.artifact == i.artifact && a.name.value == i.name)
        })
        .collect();
    if let Some(first) = missing.first() {
        let names: Vec<String> = missing
            .iter()
            .map(|i| format!("{} \"{}\"", kind(i.artifact), i.name))
            .collect();
        let near: Vec<String> = missing
            .iter()
            .map(|i| {
                did_you_mean(
                    &i.name,
                    task.arguments
                        .iter()
                        .filter(|a| a.artifact == i.artifact)
                        .map(|a| a.name.value.as_str()),
                )
            })
            .filter(|s| !s.is_empty())
            .collect();
        let k = kind(first.artifact);
        out.push(
            task_finding(
                pipeline,
                task,
                task.name.span,
                format!(
                    "\"{}\" calls template \"{}\" without its input {}",
                    task.name.value,
                    called.name,
                    names.join(", ")
                ),
            )
            .label(format!("required input not passed{}", near.join("")))
            .help(format!(
                "pass each under `arguments.parameters`/`arguments.artifacts`, or give the input a default in the template; Argo rejects the workflow with `inputs.{k}s.{} was not supplied`",
                first.name
            )),
        );
    }
    for argument in &task.arguments {
        let declared: Vec<&str> = called
            .inputs
            .iter()
            .filter(|i| i.artifact == argument.artifact)
            .map(|i| i.name.as_str())
            .collect();
        if declared.contains(&argument.name.value.as_str()) {
            continue;
        }
        // Argo drops arguments a template does not declare, and passing extras is common and
        // harmless (shared argument lists, generated callers). Only one that is a misspelling
        // of an input the call leaves out is a mistake for sure.
        let unpassed = called.inputs.iter().filter(|i| {
            i.artifact == argument.artifact
                && !task
                    .arguments
                    .iter()
                    .any(|a| a.artifact == i.artifact && a.name.value == i.name)
        });
        let suggestion = did_you_mean(&argument.name.value, unpassed.map(|i| i.name.as_str()));
        if suggestion.is_empty() {
            continue;
        }
        let k = kind(argument.artifact);
        out.push(
            task_finding(
                pipeline,
                task,
                argument.name.span,
                format!(
                    "\"{}\" passes {k} \"{}\", which template \"{}\" does not declare",
                    task.name.value, argument.name.value, called.name
                ),
            )
            .label(format!("not an input {k} of `{}`{suggestion}", called.name))
            .help(format!(
                "Argo drops arguments the template does not declare, and the template runs without it: fix the name or declare it under `inputs.{k}s`"
            )),
        );
    }
}

/// The entry point is called with `spec.arguments`: its required input parameters must be
/// there. Judged only for a Workflow or CronWorkflow that carries its whole spec (a
/// WorkflowTemplate gets its arguments from the Workflow that runs it).
fn check_entrypoint(pipeline: &Pipeline, out: &mut Vec<Finding>) {
    let own_spec = matches!(
        pipeline.format,
        Format::Argo(ArgoKind::Workflow | ArgoKind::CronWorkflow, _)
    ) && pipeline.workflow_template_ref.is_none();
    let Some(entry) = pipeline.entrypoint.as_ref().filter(|_| own_spec) else {
        return;
    };
    let Some(called) = pipeline.templates.iter().find(|t| t.name == entry.value) else {
        return;
    };
    let passed: Vec<&str> = pipeline
        .workflow_parameters
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = called
        .inputs
        .iter()
        .filter(|i| i.required && !i.artifact && !passed.contains(&i.name.as_str()))
        .map(|i| i.name.as_str())
        .collect();
    let Some(first) = missing.first() else {
        return;
    };
    let near: String = missing
        .iter()
        .map(|m| did_you_mean(m, passed.iter().copied()))
        .collect();
    let mut f = Finding::new(
        META.id,
        META.default_severity,
        entry.span,
        format!(
            "the entrypoint \"{}\" needs input parameter {}, which `spec.arguments.parameters` does not pass",
            entry.value,
            missing
                .iter()
                .map(|m| format!("\"{m}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .label(format!("required input not passed{near}"))
    .help(format!(
        "declare it under `spec.arguments.parameters` (a value given with `argo submit -p` then overrides it), or give the input a default; Argo rejects the workflow with `inputs.parameters.{first} was not supplied`"
    ));
    f.pipeline = Some(pipeline.display_name().into());
    f.document = Some(pipeline.document);
    out.push(f);
}

impl Rule for ArgumentMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        if pipeline.format.is_kfp_ir() {
            return;
        }
        for task in &pipeline.tasks {
            if let Some(called) = callee(cx, pipeline, task) {
                check_call(pipeline, task, called, out);
            }
        }
        check_entrypoint(pipeline, out);
    }
}
