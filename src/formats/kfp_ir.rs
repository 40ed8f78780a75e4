//! KFP v2 IR (PipelineSpec) and its optional PlatformSpec into the model.
//!
//! A step is a task whose component runs an executor; tasks of DAG components (sub-pipelines,
//! conditions, loops, exit handlers) are walked with an explicit stack. Field paths:
//! `shared/docs/field-reference.md` in the project's working notes, and the KFP protos.

use super::read::{
    key_span, list_at, mapping_at, str_at, text, text_at, text_list, text_map, KeyTable,
};
use crate::model::*;
use crate::yaml::{KeyIndex, NodeRef, Span};

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`: the pattern the KFP
/// backend requires of `pipelineInfo.name`.
fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Numbers the backend cannot read: it decodes IR as JSON (protojson), which has no infinity
/// or NaN and reads integers in 64 bits, so `maxRetryCount: .inf` or a `1e309` limit is
/// rejected, never read as "unknown". One walk over the document, each node once.
fn report_unreadable_numbers(spec: NodeRef<'_>, platform: Option<NodeRef<'_>>, p: &mut Pipeline) {
    // The spec and its platform spec are often two values of one document: its arena is
    // looked at once.
    let spec_may = crate::yaml::json::document_may_hold_unrepresentable(spec);
    let platform_may = platform.is_some_and(|pl| {
        if pl.same_document(&spec) {
            spec_may
        } else {
            crate::yaml::json::document_may_hold_unrepresentable(pl)
        }
    });
    if spec_may {
        report_unreadable_numbers_under(spec, p);
    }
    if let Some(pl) = platform.filter(|_| platform_may) {
        report_unreadable_numbers_under(pl, p);
    }
}

fn report_unreadable_numbers_under(document: NodeRef<'_>, p: &mut Pipeline) {
    let mut seen = vec![false; document.document_len()];
    let mut work = vec![(document, None::<&str>)];
    while let Some((node, field)) = work.pop() {
        if std::mem::replace(&mut seen[node.id() as usize], true) {
            continue;
        }
        if node.is_mapping() {
            work.extend(node.entries().map(|(k, v)| (v, k.str().or(field))));
        } else if node.is_sequence() {
            work.extend(node.items().map(|item| (item, field)));
        } else if let Some(why) = crate::yaml::json::unrepresentable_number(node) {
            let field = field.map_or(String::new(), |f| format!("`{f}` "));
            p.problem(
                node.span(),
                format!(
                    "{field}is `{}`, {why}; the KFP backend reads IR as JSON, which has no infinity or NaN and reads integers in 64 bits",
                    node.raw()
                ),
            );
        }
    }
}

/// Images of kfp-kubernetes helper executors that are never pulled as written.
fn is_stub_image(image: &str) -> bool {
    image.starts_with("argostub/")
}

pub fn adapt(
    wrapper: KfpWrapper,
    spec: NodeRef<'_>,
    platform: Option<NodeRef<'_>>,
    document: usize,
) -> Pipeline {
    let mut p = Pipeline::new(Format::KfpIr(wrapper), spec.span(), document);
    p.name = spec.path(&["pipelineInfo", "name"]).and_then(text);
    if p.name.is_none() {
        let at = key_span(spec, "pipelineInfo").unwrap_or(spec.span());
        p.problem(
            at,
            "`pipelineInfo.name` is missing; the KFP backend rejects the pipeline",
        );
    }
    p.sdk_version = text_at(spec, "sdkVersion", &mut p);
    p.schema_version = text_at(spec, "schemaVersion", &mut p);
    // Facts from the backend's IR checks (`v2_template.go`): a DNS-style name, and a schema
    // version it knows. Which backend accepts which version is `sdk-backend-version-mismatch`.
    // Each message is made while the field is borrowed, then reported.
    let bad_name = p.name.as_ref().filter(|n| !is_dns_subdomain(&n.value)).map(|name| {
        (
            name.span,
            format!(
                "`pipelineInfo.name` `{}` must be lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit; the KFP backend rejects it",
                name.value
            ),
        )
    });
    if let Some((span, message)) = bad_name {
        p.problem(span, message);
    }
    let bad_schema = p
        .schema_version
        .as_ref()
        .filter(|s| !matches!(s.value.as_str(), "2.0.0" | "2.1.0"))
        .map(|schema| {
            (
                schema.span,
                format!(
                    "`schemaVersion` {} is not a KFP IR schema version (2.0.0 or 2.1.0)",
                    schema.value
                ),
            )
        });
    if let Some((span, message)) = bad_schema {
        p.problem(span, message);
    }

    report_unreadable_numbers(spec, platform, &mut p);

    let components = mapping_at(spec, "components", &mut p);
    let executors = spec
        .get("deploymentSpec")
        .and_then(|d| mapping_at(d, "executors", &mut p));
    p.timeout = platform
        .and_then(|pl| {
            pl.path(&[
                "platforms",
                "kubernetes",
                "pipelineConfig",
                "activeDeadlineSeconds",
            ])
        })
        .and_then(text);
    let platform_executors = platform.and_then(|pl| {
        pl.path(&["platforms", "kubernetes", "deploymentSpec", "executors"])
            .filter(|e| e.is_mapping())
    });
    // Looked up once per task: sorted once, not searched entry by entry.
    let components = components.map(KeyIndex::new);
    let executors = executors.map(KeyIndex::new);
    let platform_executors = platform_executors.map(KeyIndex::new);
    let Some(root) = mapping_at(spec, "root", &mut p) else {
        if spec.get("root").is_none() {
            p.problem(
                key_span(spec, "pipelineInfo").unwrap_or(spec.span()),
                "the pipeline has no `root` component",
            );
        }
        return p;
    };

    let pipeline_name = p.display_name().to_string();
    // (dag node, path to it, component names on the way there: a component that contains
    // itself would loop forever). Component names are read in place, not copied.
    let mut stack: Vec<(NodeRef<'_>, Vec<String>, Vec<&str>)> = Vec::new();
    if let Some(dag) = mapping_at(root, "dag", &mut p) {
        stack.push((dag, vec![pipeline_name], Vec::new()));
    }
    let mut steps = Vec::new();
    // DAG components whose tasks are in `p.tasks` (a sub-pipeline used twice is one DAG).
    let mut dags_seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    while let Some((dag, path, ancestry)) = stack.pop() {
        // A component used by several parents is expanded once per path: bounded by the
        // file's work budget (`input-too-complex`), since paths can double at every level.
        if crate::limits::exhausted() {
            break;
        }
        let Some(tasks) = mapping_at(dag, "tasks", &mut p) else {
            continue;
        };
        let dag_name = ancestry.last().copied().unwrap_or("root");
        let first_visit = dags_seen.insert(dag_name);
        // Most of a pipeline's tasks are in its root DAG: its steps and tasks grow once.
        steps.reserve(tasks.len());
        if first_visit {
            p.tasks.reserve(tasks.len());
        }
        // Producers of inputs are looked up among the tasks (for the first visit only).
        let siblings = first_visit.then(|| KeyIndex::new(tasks));
        // Pushed in reverse so that steps come out in file order.
        let mut nested = Vec::new();
        for (task_key, task) in tasks.entries() {
            let copies = path.len() as u64 * crate::limits::COPY_COST;
            if !crate::limits::charge(crate::limits::STEP_COST + copies, task_key.span()) {
                break;
            }
            let Some(task_name) = task_key.str() else {
                continue;
            };
            if !task.is_mapping() {
                p.problem(
                    task.span(),
                    format!(
                        "task `{task_name}` should be a mapping, not {}",
                        task.describe()
                    ),
                );
                continue;
            }
            if first_visit {
                p.tasks.push(Task::in_dag(
                    Spanned::new(task_name.to_string(), task_key.span()),
                    dag_name.to_string(),
                    task.path(&["componentRef", "name"]).and_then(text),
                    task_depends(task),
                ));
            }
            if let Some(siblings) = &siblings {
                let parent = match ancestry.last() {
                    Some(name) => components.as_ref().and_then(|c| c.get(name)),
                    None => Some(root),
                };
                check_bindings(
                    task_name,
                    task,
                    parent,
                    siblings,
                    components.as_ref(),
                    &mut p,
                );
            }
            // The path to the task: made for a sub-DAG, or collected into the step.
            let task_path = || path.iter().cloned().chain([task_name.to_string()]);
            // Read in place: the name is only looked up (and quoted in a problem).
            let Some(component_ref) = task
                .path(&["componentRef", "name"])
                .and_then(|n| Some(Spanned::new(n.scalar_text()?, n.span())))
            else {
                p.problem(
                    task_key.span(),
                    format!("task `{task_name}` has no `componentRef.name`"),
                );
                continue;
            };
            let component = components.as_ref().and_then(|c| c.get(component_ref.value));
            let Some(component) = component.filter(|c| c.is_mapping()) else {
                p.problem(
                    component_ref.span,
                    format!(
                        "task `{task_name}` refers to component `{}`, which is not defined under `components`",
                        component_ref.value
                    ),
                );
                continue;
            };
            if let Some(sub_dag) = component.get("dag").filter(|d| d.is_mapping()) {
                if ancestry.contains(&component_ref.value) {
                    p.problem(
                        component_ref.span,
                        format!("component `{}` contains itself", component_ref.value),
                    );
                    continue;
                }
                let mut sub_ancestry = Vec::with_capacity(ancestry.len() + 1);
                sub_ancestry.extend_from_slice(&ancestry);
                sub_ancestry.push(component_ref.value);
                nested.push((sub_dag, task_path().collect(), sub_ancestry));
                continue;
            }
            let Some(label) = str_at(component, "executorLabel", &mut p) else {
                p.problem(
                    component_ref.span,
                    format!(
                        "component `{}` has neither a `dag` nor an `executorLabel`",
                        component_ref.value
                    ),
                );
                continue;
            };
            let Some((executor_key, executor)) =
                executors.as_ref().and_then(|e| e.entry(label.value))
            else {
                p.problem(
                    label.span,
                    format!(
                        "executor `{}` is not defined under `deploymentSpec.executors`",
                        label.value
                    ),
                );
                continue;
            };
            let platform_config = platform_executors.as_ref().and_then(|e| e.get(label.value));
            let mut step = build_step(
                task_name,
                task_key.span(),
                task_path(),
                task,
                executor,
                platform_config,
                &mut p,
            );
            step.anchors.set_second(executor_key.span());
            steps.push(step);
        }
        stack.extend(nested.into_iter().rev());
    }
    p.steps = steps;
    p
}

/// Names declared under `<definitions>.<section>` of a component (`inputDefinitions`,
/// `outputDefinitions`; `parameters`, `artifacts`).
fn definitions<'a>(
    component: Option<NodeRef<'a>>,
    definitions: &str,
    section: &str,
) -> Vec<&'a str> {
    component
        .and_then(|c| c.path(&[definitions, section]))
        .into_iter()
        .flat_map(|m| m.entries())
        .filter_map(|(k, _)| k.str())
        .collect()
}

/// Whether `name` is one of [`definitions`] (without collecting them: most bindings are
/// right, and only a wrong one needs the list, for its "did you mean").
fn defines(component: Option<NodeRef<'_>>, definitions: &str, section: &str, name: &str) -> bool {
    component
        .and_then(|c| c.path(&[definitions, section]))
        .is_some_and(|m| m.entries().any(|(k, _)| k.str() == Some(name)))
}

/// A task input bound to an input the parent component does not define
/// (`componentInputParameter`/`componentInputArtifact`), or to an output its producer's
/// component does not define (`taskOutputParameter`/`taskOutputArtifact`). The compiler never
/// writes either; the backend's driver fails the task when it resolves the input. A producer
/// that is not a task of the DAG is `broken-dependency`'s.
fn check_bindings(
    task_name: &str,
    task: NodeRef<'_>,
    parent: Option<NodeRef<'_>>,
    siblings: &KeyIndex<'_>,
    components: Option<&KeyIndex<'_>>,
    p: &mut Pipeline,
) {
    for (section, input_key, output_key, output_field) in [
        (
            "parameters",
            "componentInputParameter",
            "taskOutputParameter",
            "outputParameterKey",
        ),
        (
            "artifacts",
            "componentInputArtifact",
            "taskOutputArtifact",
            "outputArtifactKey",
        ),
    ] {
        let Some(inputs) = task.path(&["inputs", section]) else {
            continue;
        };
        let kind = &section[..section.len() - 1];
        for (_, input) in inputs.entries() {
            if let Some(bound) = input.get(input_key).and_then(text) {
                if !defines(parent, "inputDefinitions", section, &bound.value)
                    && !is_templated(&bound.value)
                {
                    let declared = definitions(parent, "inputDefinitions", section);
                    p.problem(
                        bound.span,
                        format!(
                            "task `{task_name}` takes input {kind} `{}` of its parent, which the parent does not define under `inputDefinitions.{section}`{}",
                            bound.value,
                            crate::model::did_you_mean(&bound.value, declared.iter().copied())
                        ),
                    );
                }
            }
            let Some(output) = input.get(output_key) else {
                continue;
            };
            let producer = output.get("producerTask").and_then(text);
            let key = output.get(output_field).and_then(text);
            let (Some(producer), Some(key)) = (producer, key) else {
                continue;
            };
            let Some(component) = siblings
                .get(&producer.value)
                .and_then(|t| t.path(&["componentRef", "name"]))
                .and_then(|n| n.scalar_text())
                .and_then(|name| components?.get(name))
            else {
                continue;
            };
            if !defines(Some(component), "outputDefinitions", section, &key.value) {
                let declared = definitions(Some(component), "outputDefinitions", section);
                p.problem(
                    key.span,
                    format!(
                        "task `{task_name}` takes output {kind} `{}` of task `{}`, whose component does not define it under `outputDefinitions.{section}`{}",
                        key.value,
                        producer.value,
                        crate::model::did_you_mean(&key.value, declared.iter().copied())
                    ),
                );
            }
        }
    }
}

/// The tasks a KFP task waits for: `dependentTasks`, and the producers of its inputs
/// (`taskOutputParameter`, `taskOutputArtifact`, `taskFinalStatus`). Wrong shapes are
/// reported by `build_step`, not here.
fn task_depends(task: NodeRef<'_>) -> Vec<Spanned<String>> {
    let mut depends: Vec<Spanned<String>> = task
        .get("dependentTasks")
        .into_iter()
        .flat_map(|d| d.items())
        .filter_map(text)
        .collect();
    for section in ["parameters", "artifacts"] {
        let Some(inputs) = task.path(&["inputs", section]) else {
            continue;
        };
        for (_, input) in inputs.entries() {
            let producer = [
                "taskOutputParameter",
                "taskOutputArtifact",
                "taskFinalStatus",
            ]
            .iter()
            .find_map(|kind| input.path(&[kind, "producerTask"]))
            .and_then(text);
            if let Some(producer) = producer {
                if !depends.iter().any(|d| d.value == producer.value) {
                    depends.push(producer);
                }
            }
        }
    }
    depends
}

fn build_step(
    name: &str,
    span: Span,
    path: impl IntoIterator<Item = String>,
    task: NodeRef<'_>,
    executor: NodeRef<'_>,
    platform: Option<NodeRef<'_>>,
    p: &mut Pipeline,
) -> Step {
    let kind = if executor.get("container").is_some() {
        StepKind::Container
    } else if executor.get("importer").is_some() || executor.get("resolver").is_some() {
        StepKind::Importer
    } else {
        StepKind::Group
    };
    let mut step = Step::new(name, path, span, kind);

    // Dependencies: explicit ones and data producers.
    step.depends = text_list(task, "dependentTasks", p);
    for section in ["parameters", "artifacts"] {
        let Some(inputs) = task.path(&["inputs", section]) else {
            continue;
        };
        for (_, input) in inputs.entries() {
            let producer = input
                .path(&["taskOutputParameter", "producerTask"])
                .or_else(|| input.path(&["taskOutputArtifact", "producerTask"]))
                .and_then(text);
            if let Some(producer) = producer {
                if !step.depends.iter().any(|d| d.value == producer.value) {
                    step.depends.push(producer);
                }
            }
        }
    }

    if let Some((key, policy)) = task.entry("retryPolicy").filter(|(_, v)| v.is_mapping()) {
        let limit = policy
            .get("maxRetryCount")
            .and_then(text)
            .unwrap_or_else(|| Spanned::new("0".into(), key.span()));
        step.retry = Some(Retry {
            span: key.span(),
            origin: Origin::Step,
            limit: Some(limit),
            policy: None,
            backoff_duration: policy.get("backoffDuration").and_then(text),
            backoff_factor: policy.get("backoffFactor").and_then(text),
            backoff_max_duration: policy.get("backoffMaxDuration").and_then(text),
            backoff_cap: None,
        });
    }

    // The backend caches only when `enableCache` is true (the SDK writes it by default).
    step.caching = Some(match task.entry("cachingOptions") {
        Some((key, options)) => {
            let enable = options.entry("enableCache");
            Caching {
                enabled: enable.and_then(|(_, v)| v.as_bool()).unwrap_or(false),
                span: enable.map_or(key.span(), |(k, _)| k.span()),
                origin: Origin::Step,
                key: options.get("cacheKey").and_then(text),
            }
        }
        None => Caching {
            enabled: false,
            span,
            origin: Origin::ClusterDefault,
            key: None,
        },
    });

    if let Some((key, container)) = executor.entry("container") {
        if container.is_mapping() {
            let mut c = Container::new(ContainerRole::Main, key.span());
            c.image = container
                .get("image")
                .and_then(text)
                .map(|reference| Image {
                    stub: is_stub_image(&reference.value),
                    default: None,
                    reference,
                    origin: Origin::Step,
                });
            c.command = text_list(container, "command", p);
            c.args = text_list(container, "args", p);
            // Every task that runs the executor holds its own copy of the command line (the
            // embedded program with it): paid by size, so that a large executor shared by
            // thousands of tasks exhausts the budget, not the memory.
            let copied: usize = c.command.iter().chain(&c.args).map(|a| a.value.len()).sum();
            let _ = crate::limits::charge(
                copied as u64 / crate::limits::COPIED_BYTES_PER_UNIT,
                key.span(),
            );
            if let Some(env) = list_at(container, "env", p) {
                c.env = env
                    .items()
                    .filter_map(|e| {
                        Some(EnvVar {
                            name: e.get("name").and_then(text)?,
                            value: e.get("value").and_then(text),
                            value_from: None,
                        })
                    })
                    .collect();
            }
            c.resources = kfp_resources(container);
            step.source = python_source(container);
            step.containers.push(c);
        } else {
            p.problem(
                container.span(),
                format!(
                    "`container` should be a mapping, not {}",
                    container.describe()
                ),
            );
        }
    }

    if let Some(platform) = platform.filter(|n| n.is_mapping()) {
        apply_platform(&mut step, platform, p);
    }
    step
}

/// KFP resources: the old numeric fields (`cpuLimit`, `memoryLimit` in GB) and the newer
/// string fields (`resourceCpuLimit: 500m`); both count, the newer wins.
fn kfp_resources(container: NodeRef<'_>) -> Resources {
    let mut r = Resources::default();
    let Some((key, resources)) = container.entry("resources") else {
        return r;
    };
    r.span = Some(key.span());
    // Asked for nine fields, most of them absent: its keys are read once.
    let resources = KeyTable::new(resources);
    let fields = [
        ("cpuLimit", "cpu", true),
        ("resourceCpuLimit", "cpu", true),
        ("memoryLimit", "memory", true),
        ("resourceMemoryLimit", "memory", true),
        ("cpuRequest", "cpu", false),
        ("resourceCpuRequest", "cpu", false),
        ("memoryRequest", "memory", false),
        ("resourceMemoryRequest", "memory", false),
    ];
    for (field, name, is_limit) in fields {
        let Some(value) = resources.get(field).and_then(text) else {
            continue;
        };
        let q = Quantity {
            name: name.to_string(),
            value,
            origin: Origin::Step,
        };
        if is_limit {
            r.limits.push(q);
        } else {
            r.requests.push(q);
        }
    }
    if let Some(acc) = resources.get("accelerator") {
        let kind = acc
            .get("resourceType")
            .or_else(|| acc.get("type"))
            .and_then(text);
        let count = acc
            .get("resourceCount")
            .or_else(|| acc.get("count"))
            .and_then(text);
        if let (Some(kind), Some(count)) = (kind, count) {
            // KFP sets accelerators as limits: the backend has no request-only form.
            r.limits.push(Quantity {
                name: kind.value,
                value: count,
                origin: Origin::Step,
            });
        }
    }
    r
}

/// The Python module of a lightweight component: the last `command` item, run through
/// `kfp.dsl.executor_main` (or KFP 1.8's `kfp.v2.components.executor_main`).
fn python_source(container: NodeRef<'_>) -> Option<EmbeddedSource> {
    let command = container.get("command")?;
    let runs_executor = command
        .items()
        .any(|c| c.str().is_some_and(|s| s.contains("executor_main")));
    if !runs_executor {
        return None;
    }
    let last = command.items().last()?;
    let text = last.str()?;
    let span = last.span();
    let line_start = crate::yaml::line_start_before(last.src(), span.start as usize);
    Some(EmbeddedSource {
        language: Language::Python,
        text: text.to_string(),
        span,
        style: last.style()?,
        block_indent: span.start as usize - line_start,
    })
}

/// Kubernetes settings from the PlatformSpec entry of the step's executor.
fn apply_platform(step: &mut Step, platform: NodeRef<'_>, p: &mut Pipeline) {
    if let Some(selector) = platform.get("nodeSelector") {
        step.node_selector = text_map(selector, "labels", p);
    }
    if let Some(tolerations) = list_at(platform, "tolerations", p) {
        step.tolerations = tolerations
            .items()
            .map(|t| Toleration {
                span: t.span(),
                key: t
                    .get("key")
                    .and_then(|v| v.scalar_text())
                    .map(str::to_string),
                value: t
                    .get("value")
                    .and_then(|v| v.scalar_text())
                    .map(str::to_string),
                effect: t
                    .get("effect")
                    .and_then(|v| v.scalar_text())
                    .map(str::to_string),
            })
            .collect();
    }
    if let Some(terms) = platform.get("nodeAffinity") {
        for term in terms.items() {
            for expr in term
                .get("matchExpressions")
                .into_iter()
                .flat_map(|e| e.items())
            {
                if let Some(key) = expr.get("key").and_then(text) {
                    let values = expr
                        .get("values")
                        .into_iter()
                        .flat_map(|v| v.items())
                        .filter_map(|v| v.scalar_text().map(str::to_string))
                        .collect();
                    step.node_affinity.push((key, values));
                }
            }
        }
    }
    if let Some(meta) = platform.get("podMetadata") {
        step.annotations = text_map(meta, "annotations", p);
        step.labels = text_map(meta, "labels", p);
    }
    step.timeout = platform.get("activeDeadlineSeconds").and_then(text);
    if let Some(inits) = list_at(platform, "initContainers", p) {
        for init in inits.items().filter(|i| i.is_mapping()) {
            let mut c = Container::new(ContainerRole::Init, init.span());
            c.name = init
                .get("name")
                .and_then(|n| n.scalar_text())
                .map(str::to_string);
            c.image = init.get("image").and_then(text).map(|reference| Image {
                reference,
                origin: Origin::Step,
                stub: false,
                default: None,
            });
            c.command = text_list(init, "command", p);
            c.args = text_list(init, "args", p);
            c.resources = super::argo::k8s_resources(init, Origin::Step, p);
            step.containers.push(c);
        }
    }
}
