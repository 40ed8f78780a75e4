//! What a DAG task or step calls: the interface of its template, when it can be known.
//! Shared by `undefined-reference` and `argument-mismatch`; resolves names the way
//! `broken-dependency` does (same file first, then the run with `--strict-refs`).

use super::FileContext;
use crate::model::{
    is_templated, ArgoKind, Format, Pipeline, Task, TemplateInterface, TemplateRef,
};

/// The template a task calls, if what it declares can be known: a template of the same
/// workflow, or through `templateRef`/`workflowTemplateRef` one of a WorkflowTemplate of this
/// file or (with `--strict-refs`) of the run. `None` for inline templates, templated names
/// and templates of manifests pipelint has not read.
pub(crate) fn callee<'a>(
    cx: &FileContext<'a>,
    pipeline: &'a Pipeline,
    task: &Task,
) -> Option<&'a TemplateInterface> {
    if task.inline {
        return None;
    }
    if let Some(template) = &task.template {
        if is_templated(&template.value) {
            return None;
        }
        if let Some(own) = pipeline.templates.iter().find(|t| t.name == template.value) {
            return Some(own);
        }
        let inherited = pipeline.workflow_template_ref.as_ref()?;
        return referenced(cx, inherited, &template.value);
    }
    let reference = task.template_ref.as_ref()?;
    let template = reference.template.as_ref()?;
    if is_templated(&template.value) {
        return None;
    }
    referenced(cx, reference, &template.value)
}

/// Template `template` of the (Cluster)WorkflowTemplate a reference names.
fn referenced<'a>(
    cx: &FileContext<'a>,
    reference: &TemplateRef,
    template: &str,
) -> Option<&'a TemplateInterface> {
    let name = reference
        .name
        .as_ref()
        .filter(|n| !is_templated(&n.value))?;
    let kind = if reference.cluster_scope {
        ArgoKind::ClusterWorkflowTemplate
    } else {
        ArgoKind::WorkflowTemplate
    };
    let pipelines: &'a [Pipeline] = cx.pipelines;
    let mut local = pipelines
        .iter()
        .filter(|p| {
            matches!(p.format, Format::Argo(k, _) if k == kind)
                && p.name.as_ref().is_some_and(|n| n.value == name.value)
        })
        .peekable();
    if local.peek().is_some() {
        return local.find_map(|p| p.templates.iter().find(|t| t.name == template));
    }
    let config: &'a crate::config::Config = cx.config;
    config
        .known_templates
        .as_deref()?
        .interface(reference.cluster_scope, &name.value, template)
}

pub(crate) use crate::model::did_you_mean;
