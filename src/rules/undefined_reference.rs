//! `undefined-reference`: a `{{...}}` variable that Argo cannot resolve in its scope.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::callee::{callee, did_you_mean};
use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{ArgoKind, Format, Pipeline, Reference, Task, TemplateInterface};

/// A `{{inputs.parameters.x}}`, `{{workflow.parameters.x}}`, `{{steps.S...}}`,
/// `{{tasks.T...}}` or `{{item}}` that names nothing in scope.
pub struct UndefinedReference;

static META: RuleMeta = RuleMeta {
    id: "undefined-reference",
    summary:
        "a `{{...}}` variable names an input, parameter, step, task or output that is not in scope",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/undefined-reference.md"),
    options: &[],
};

/// Roots of the tags Argo checks (`GlobalVarValidWorkflowVariablePrefix` in
/// `workflow/common/common.go`); any other `{{...}}` (Jinja, Go templates, `{{retries}}`)
/// is left as written by Argo and never flagged here.
const CHECKED_ROOTS: &[&str] = &[
    "item.",
    "steps.",
    "inputs.",
    "outputs.",
    "pod.",
    "workflow.",
    "tasks.",
];

/// The global `workflow.*` variables Argo defines, from the "Workflow Variables" page
/// (https://argo-workflows.readthedocs.io/en/latest/variables/, Argo Workflows v4.1,
/// `docs/variables.md`) and the validator (`workflow/validate/validate.go`). A tag is known
/// when it equals `workflow.<name>` or starts with `workflow.<name>.`.
const WORKFLOW_VARIABLES: &[&str] = &[
    "name",
    "namespace",
    "mainEntrypoint",
    "serviceAccountName",
    "uid",
    "parameters",
    // Set by `globalName` outputs anywhere in the run; not tracked.
    "outputs",
    // Keys come from the manifest and from the controller's workflow defaults: unknowable.
    "annotations",
    "labels",
    "creationTimestamp",
    "priority",
    "duration",
    "scheduledTime",
    "status",
    "failures",
];

/// The `pod.*` variables (`pod.name` in pod templates).
const POD_VARIABLES: &[&str] = &["name"];

/// Where a reference is written: a template's own fields, or one of its tasks/steps.
struct Site<'a> {
    template: &'a TemplateInterface,
    task: Option<&'a Task>,
    /// The DAG tasks and steps of the template (looked up once per template: a search of
    /// the whole pipeline per reference would be quadratic).
    tasks: &'a [&'a Task],
    /// What `task` waits for, directly or not: computed on first use.
    ancestors: std::cell::OnceCell<BTreeSet<&'a str>>,
    /// The step and step path its findings carry: made by the first, shared by the rest.
    names: std::cell::OnceCell<(Arc<str>, Arc<[String]>)>,
}

impl<'a> Site<'a> {
    fn new(template: &'a TemplateInterface, task: Option<&'a Task>, tasks: &'a [&'a Task]) -> Self {
        Site {
            template,
            task,
            tasks,
            ancestors: std::cell::OnceCell::new(),
            names: std::cell::OnceCell::new(),
        }
    }
}

fn finding(pipeline: &Pipeline, site: &Site<'_>, r: &Reference, message: String) -> Finding {
    let mut f = Finding::new(META.id, META.default_severity, r.span, message);
    f.pipeline = Some(pipeline.shared_display_name().clone());
    let (step, path) = site.names.get_or_init(|| {
        let pipeline_name = pipeline.display_name().to_string();
        match site.task {
            Some(task) => (
                task.name.value.as_str().into(),
                [
                    pipeline_name,
                    site.template.name.clone(),
                    task.name.value.clone(),
                ]
                .into_iter()
                .collect(),
            ),
            None => (
                site.template.name.as_str().into(),
                [pipeline_name, site.template.name.clone()]
                    .into_iter()
                    .collect(),
            ),
        }
    });
    f.step = Some(step.clone());
    f.step_path = path.clone();
    f.document = Some(pipeline.document);
    f
}

/// The tasks (or steps) `task` waits for, directly or not.
fn ancestors<'a>(siblings: &[&'a Task], task: &'a Task) -> BTreeSet<&'a str> {
    let by_name: BTreeMap<&str, &Task> = siblings
        .iter()
        .filter(|t| t.in_steps == task.in_steps)
        .map(|t| (t.name.value.as_str(), *t))
        .collect();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = task.depends.iter().map(|d| d.value.as_str()).collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        if let Some(up) = by_name.get(name) {
            todo.extend(up.depends.iter().map(|d| d.value.as_str()));
        }
    }
    seen
}

/// A reference as the user wrote it, `{{tag}}`.
#[derive(Clone, Copy)]
struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Three writes, not a nested format: this is written into each of the rule's texts.
        f.write_str("{{")?;
        f.write_str(self.0)?;
        f.write_str("}}")
    }
}

fn check(
    cx: &FileContext<'_>,
    pipeline: &Pipeline,
    site: &Site<'_>,
    r: &Reference,
    out: &mut Vec<Finding>,
) {
    // `{{= expr }}` is an expression template, evaluated at run time.
    if r.tag.starts_with('=') {
        return;
    }
    let tag = r.tag.trim();
    if tag != "item" && !CHECKED_ROOTS.iter().any(|root| tag.starts_with(root)) {
        return;
    }
    // Written out only into a finding's message: most references are fine.
    let shown = Shown(tag);
    if tag == "item" || tag.starts_with("item.") {
        let looped = site.task.filter(|t| t.looped);
        let key = tag
            .strip_prefix("item.")
            .map(|k| k.split('.').next().unwrap_or(k));
        let known = looped.and_then(|t| t.item_keys.as_deref());
        if let (Some(key), Some(keys)) = (key, known) {
            if !keys.iter().any(|k| k == key) {
                let label = if keys.is_empty() {
                    "the items of this loop are not mappings: use `{{item}}`".to_string()
                } else {
                    format!(
                        "no key `{key}` in the items of `withItems`{}",
                        did_you_mean(key, keys.iter().map(String::as_str))
                    )
                };
                out.push(
                    finding(pipeline, site, r, format!("`{shown}`: the loop's items have no key \"{key}\""))
                        .label(label)
                        .help("Argo rejects the workflow with `failed to resolve`: use a key that the `withItems` mappings have"),
                );
            }
        }
        if looped.is_none() {
            out.push(
                finding(pipeline, site, r, format!("`{shown}` is used outside a loop"))
                    .label("no `withItems`, `withParam` or `withSequence` here")
                    .help("`{{item}}` is defined only in the DAG task or step that has `withItems`, `withParam` or `withSequence`; pass the item to the template as an argument"),
            );
        }
    } else if let Some(rest) = tag.strip_prefix("inputs.") {
        check_input(pipeline, site, r, shown, rest, out);
    } else if let Some(rest) = tag.strip_prefix("workflow.") {
        check_workflow(pipeline, site, r, shown, rest, out);
    } else if let Some(rest) = tag.strip_prefix("pod.") {
        if !POD_VARIABLES.contains(&rest) {
            out.push(
                finding(
                    pipeline,
                    site,
                    r,
                    format!("`{shown}` is not an Argo variable"),
                )
                .label(format!(
                    "no pod variable `{rest}`{}",
                    did_you_mean(rest, POD_VARIABLES.iter().copied())
                ))
                .help("the pod variable Argo defines is `{{pod.name}}`"),
            );
        }
    } else if tag.starts_with("steps.name") || tag.starts_with("tasks.name") {
        // `{{steps.name}}`/`{{tasks.name}}`: the current node's name (the validator accepts
        // the whole prefix).
    } else if let Some(rest) = tag.strip_prefix("steps.") {
        check_node(cx, pipeline, site, r, shown, rest, true, out);
    } else if let Some(rest) = tag.strip_prefix("tasks.") {
        check_node(cx, pipeline, site, r, shown, rest, false, out);
    }
}

fn check_input(
    pipeline: &Pipeline,
    site: &Site<'_>,
    r: &Reference,
    shown: Shown<'_>,
    rest: &str,
    out: &mut Vec<Finding>,
) {
    let (name, artifact) = if let Some(name) = rest.strip_prefix("parameters.") {
        (name, false)
    } else if let Some(name) = rest.strip_prefix("artifacts.") {
        (name.strip_suffix(".path").unwrap_or(name), true)
    } else {
        return;
    };
    let declared = names_of(&site.template.inputs, artifact);
    if declared.clone().any(|d| d == name) {
        return;
    }
    let kind = kind_of(artifact);
    out.push(
        finding(
            pipeline,
            site,
            r,
            format!(
                "`{shown}`: template \"{}\" has no input {kind} \"{name}\"",
                site.template.name
            ),
        )
        .label(format!(
            "not an input {kind} of `{}`{}",
            site.template.name,
            did_you_mean(name, declared)
        ))
        .help(format!(
            "declare it under `inputs.{kind}s` of the template, or fix the name; Argo rejects the workflow with `failed to resolve {shown}`"
        )),
    );
}

fn check_workflow(
    pipeline: &Pipeline,
    site: &Site<'_>,
    r: &Reference,
    shown: Shown<'_>,
    rest: &str,
    out: &mut Vec<Finding>,
) {
    if let Some(name) = rest.strip_prefix("parameters.") {
        // Only a Workflow that carries its whole spec knows all its parameters: a
        // WorkflowTemplate's callers and a `workflowTemplateRef` add their own.
        let own_spec = matches!(
            pipeline.format,
            Format::Argo(ArgoKind::Workflow | ArgoKind::CronWorkflow, _)
        ) && pipeline.workflow_template_ref.is_none();
        let declared = pipeline
            .workflow_parameters
            .iter()
            .flatten()
            .map(String::as_str);
        if !own_spec || name == "json" || declared.clone().any(|d| d == name) {
            return;
        }
        out.push(
            finding(
                pipeline,
                site,
                r,
                format!("`{shown}`: the workflow has no parameter \"{name}\""),
            )
            .label(format!(
                "not in `spec.arguments.parameters`{}",
                did_you_mean(name, declared)
            ))
            .help("declare it under `spec.arguments.parameters`, or fix the name; Argo rejects the workflow at submission"),
        );
        return;
    }
    let head = rest.split('.').next().unwrap_or(rest);
    if WORKFLOW_VARIABLES.contains(&head) {
        return;
    }
    out.push(
        finding(pipeline, site, r, format!("`{shown}` is not an Argo variable"))
            .label(format!(
                "no workflow variable `{head}`{}",
                did_you_mean(head, WORKFLOW_VARIABLES.iter().copied())
            ))
            .help("see Argo's list of workflow variables (`workflow.name`, `workflow.uid`, `workflow.parameters.<name>`, ...)"),
    );
}

/// `{{steps.S.<attr>}}` / `{{tasks.T.<attr>}}`.
#[allow(clippy::too_many_arguments)]
fn check_node(
    cx: &FileContext<'_>,
    pipeline: &Pipeline,
    site: &Site<'_>,
    r: &Reference,
    shown: Shown<'_>,
    rest: &str,
    steps: bool,
    out: &mut Vec<Finding>,
) {
    let (noun, list) = if steps {
        ("step", "steps")
    } else {
        ("task", "dag.tasks")
    };
    let (name, attr) = rest.split_once('.').unwrap_or((rest, ""));
    let siblings = site.tasks.iter().copied().filter(|t| t.in_steps == steps);
    let Some(target) = siblings.clone().find(|t| t.name.value == name) else {
        let label = if siblings.clone().next().is_none() {
            format!("template `{}` has no `{list}`", site.template.name)
        } else {
            format!(
                "not a {noun} of `{}`{}",
                site.template.name,
                did_you_mean(name, siblings.map(|t| t.name.value.as_str()))
            )
        };
        out.push(
            finding(
                pipeline,
                site,
                r,
                format!(
                    "`{shown}`: no {noun} \"{name}\" in template \"{}\"",
                    site.template.name
                ),
            )
            .label(label)
            .help(format!(
                "name a {noun} of the same `{list}`; Argo rejects the workflow with `failed to resolve {shown}`"
            )),
        );
        return;
    };
    if let Some(task) = site.task.filter(|t| t.name.value != name) {
        let waited = site.ancestors.get_or_init(|| ancestors(site.tasks, task));
        if !waited.contains(name) {
            let (label, help) = if steps {
                (
                    format!("`{name}` does not run in an earlier group of steps"),
                    "a step can use only the steps of earlier groups (`- - name:` lists): move it to a later group",
                )
            } else {
                (
                    format!("`{}` does not wait for `{name}`", task.name.value),
                    "add the task to `dependencies` or `depends`: a task can use only the tasks it waits for",
                )
            };
            out.push(
                finding(
                    pipeline,
                    site,
                    r,
                    format!(
                        "`{shown}`: {noun} \"{}\" uses {noun} \"{name}\", which has not run",
                        task.name.value
                    ),
                )
                .label(label)
                .help(help),
            );
            return;
        }
    }
    let (output, artifact) = if let Some(o) = attr.strip_prefix("outputs.parameters.") {
        (o, false)
    } else if let Some(o) = attr.strip_prefix("outputs.artifacts.") {
        (o, true)
    } else {
        return;
    };
    let Some(called) = callee(cx, pipeline, target) else {
        return;
    };
    let declared = names_of(&called.outputs, artifact);
    if declared.clone().any(|d| d == output) {
        return;
    }
    let kind = kind_of(artifact);
    out.push(
        finding(
            pipeline,
            site,
            r,
            format!(
                "`{shown}`: template \"{}\" (run by {noun} \"{name}\") has no output {kind} \"{output}\"",
                called.name
            ),
        )
        .label(format!(
            "not an output {kind} of `{}`{}",
            called.name,
            did_you_mean(output, declared)
        ))
        .help(format!(
            "declare it under `outputs.{kind}s` of template `{}`, or fix the name",
            called.name
        )),
    );
}

impl Rule for UndefinedReference {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // The tasks grouped by their template, in file order within each (a stable sort):
        // one vector, not one per template.
        let mut by_template: Vec<&Task> = pipeline.tasks.iter().collect();
        by_template.sort_by(|a, b| a.parent.cmp(&b.parent));
        for template in &pipeline.templates {
            let name = template.name.as_str();
            let first = by_template.partition_point(|t| t.parent.as_str() < name);
            let end = first + by_template[first..].partition_point(|t| t.parent == name);
            let tasks: &[&Task] = &by_template[first..end];
            let site = Site::new(template, None, tasks);
            for r in &template.references {
                check(cx, pipeline, &site, r, out);
            }
            if !template.group {
                continue;
            }
            for task in tasks {
                let site = Site::new(template, Some(task), tasks);
                for r in &task.references {
                    check(cx, pipeline, &site, r, out);
                }
            }
        }
    }
}

/// The names of the declared parameters (or artifacts) of one list, read in place (most
/// references are declared: a list collected for each was an allocation).
fn names_of(
    declared: &[crate::model::Declared],
    artifact: bool,
) -> impl Iterator<Item = &str> + Clone {
    declared
        .iter()
        .filter(move |d| d.artifact == artifact)
        .map(|d| d.name.as_str())
}

fn kind_of(artifact: bool) -> &'static str {
    if artifact {
        "artifact"
    } else {
        "parameter"
    }
}
