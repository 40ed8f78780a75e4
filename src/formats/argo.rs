//! Argo Workflows (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow), as
//! written by hand, by Hera or Couler, by the KFP v1 compiler or by the KFP v2 backend.
//!
//! A step is a template. Before rules look, each template gets what the controller would
//! give it: `spec.templateDefaults`, the workflow- and template-level `podSpecPatch`, pod-level
//! `podResources`, and the workflow-wide retry strategy and node placement.

use super::read::{
    key_span, list_at, mapping_at, text, text_at, text_list, text_map, Fields, KeyTable,
};
use crate::model::*;
use crate::yaml::{parse, NodeRef, ParseLimits, Span};

/// `(resource, value)` pairs of a container's limits or requests in a patch.
type ResourcePairs = Vec<(String, String)>;

/// What a `podSpecPatch` sets, as far as the model cares.
#[derive(Default)]
struct PodPatch {
    span: Span,
    /// The whole patch is a template parameter: it may set anything.
    unknown: bool,
    /// Per container name: limits and requests `(resource, value)`.
    containers: Vec<(String, ResourcePairs, ResourcePairs)>,
    grace_seconds: Option<Spanned<Option<i64>>>,
}

fn read_pod_patch(node: NodeRef<'_>, p: &mut Pipeline) -> Option<PodPatch> {
    let text = node.str()?;
    let mut patch = PodPatch {
        span: node.span(),
        ..PodPatch::default()
    };
    let parsed = parse(text, &ParseLimits::default());
    let root = parsed.documents.first().and_then(|d| d.root(text));
    let Some(root) = root.filter(|r| r.is_mapping() && parsed.errors.is_empty()) else {
        if is_templated(text) {
            patch.unknown = true;
        } else {
            let reason = parsed
                .errors
                .first()
                .map_or_else(|| "it is not a mapping".to_string(), |e| e.message.clone());
            p.problem(
                node.span(),
                format!("`podSpecPatch` is not valid JSON or YAML: {reason}"),
            );
        }
        return Some(patch);
    };
    for container in root.get("containers").into_iter().flat_map(|c| c.items()) {
        let name = container
            .get("name")
            .and_then(|n| n.scalar_text())
            .unwrap_or("main")
            .to_string();
        let pairs = |section: &str| -> ResourcePairs {
            container
                .path(&["resources", section])
                .into_iter()
                .flat_map(|m| m.entries())
                .filter_map(|(k, v)| Some((k.str()?.to_string(), v.scalar_text()?.to_string())))
                .collect()
        };
        patch
            .containers
            .push((name, pairs("limits"), pairs("requests")));
    }
    if let Some(grace) = root.get("terminationGracePeriodSeconds") {
        let span = grace.source_span_within(node).unwrap_or(node.span());
        patch.grace_seconds = Some(Spanned::new(grace.as_int_lenient(), span));
    }
    Some(patch)
}

trait WithinScalar {
    /// The file span of a node parsed out of the text of `outer` (a scalar).
    fn source_span_within(&self, outer: NodeRef<'_>) -> Option<Span>;
}

impl WithinScalar for NodeRef<'_> {
    fn source_span_within(&self, outer: NodeRef<'_>) -> Option<Span> {
        let inner = self.span();
        outer.source_span(inner.start as usize..inner.end as usize)
    }
}

/// Workflow-wide settings every template inherits.
struct WorkflowContext<'a> {
    defaults: Option<KeyTable<'a>>,
    patch: Option<PodPatch>,
    pod_resources: Option<NodeRef<'a>>,
    retry: Option<(NodeRef<'a>, NodeRef<'a>)>,
    node_selector: Vec<(Spanned<String>, Spanned<String>)>,
    tolerations: Option<NodeRef<'a>>,
    affinity: Option<NodeRef<'a>>,
    /// `spec.arguments.parameters`: name and default value.
    parameters: Vec<(String, Spanned<String>)>,
}

/// `name` and `value` (or `default`) of each item of a `parameters` list.
fn parameter_defaults(parameters: Option<NodeRef<'_>>) -> Vec<(String, Spanned<String>)> {
    parameters
        .into_iter()
        .flat_map(|l| l.items())
        .filter_map(|item| {
            let name = item.get("name")?.scalar_text()?.to_string();
            let value = item.get("value").or_else(|| item.get("default"))?;
            Some((name, text(value)?))
        })
        .collect()
}

/// `reference` with each `{{workflow.parameters.x}}` / `{{inputs.parameters.x}}` replaced by
/// that parameter's default in the same file; `None` when any placeholder has none (or is
/// of another kind). The span is the first default's.
fn with_defaults(
    reference: &str,
    workflow: &[(String, Spanned<String>)],
    inputs: &[(String, Spanned<String>)],
) -> Option<Spanned<String>> {
    let mut out = String::new();
    let mut span = None;
    let mut rest = reference;
    while let Some(open) = rest.find("{{") {
        let close = open + rest[open..].find("}}")?;
        out.push_str(&rest[..open]);
        let inner = rest[open + 2..close].trim();
        let (scope, name) = if let Some(n) = inner.strip_prefix("workflow.parameters.") {
            (workflow, n)
        } else if let Some(n) = inner.strip_prefix("inputs.parameters.") {
            (inputs, n)
        } else {
            return None;
        };
        let (_, value) = scope.iter().rev().find(|(k, _)| k == name)?;
        if value.value.contains("{{") {
            return None;
        }
        out.push_str(&value.value);
        span.get_or_insert(value.span);
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    Some(Spanned::new(out, span?))
}

pub fn adapt(kind: ArgoKind, flavor: ArgoFlavor, root: NodeRef<'_>, document: usize) -> Pipeline {
    let mut p = Pipeline::new(Format::Argo(kind, flavor), root.span(), document);
    check_api_version(root, &mut p);
    if let Some(meta) = root.get("metadata") {
        p.name = meta
            .get("name")
            .or_else(|| meta.get("generateName"))
            .and_then(text);
        p.sdk_version = meta
            .path(&["annotations", "pipelines.kubeflow.org/kfp_sdk_version"])
            .or_else(|| meta.path(&["labels", "pipelines.kubeflow.org/kfp_sdk_version"]))
            .and_then(text);
        p.labels = text_map(meta, "labels", &mut p);
        p.annotations = text_map(meta, "annotations", &mut p);
    }
    let Some(mut spec) = mapping_at(root, "spec", &mut p) else {
        return p;
    };
    if kind == ArgoKind::CronWorkflow {
        match mapping_at(spec, "workflowSpec", &mut p) {
            Some(ws) => spec = ws,
            None => return p,
        }
    }
    check_spec_shape(spec, &mut p);
    read_workflow_refs(spec, &mut p);
    let patch = spec
        .get("podSpecPatch")
        .filter(|n| n.is_scalar())
        .and_then(|n| read_pod_patch(n, &mut p));
    let ctx = WorkflowContext {
        defaults: mapping_at(spec, "templateDefaults", &mut p).map(KeyTable::new),
        patch,
        pod_resources: spec.get("podResources").filter(|n| n.is_mapping()),
        retry: spec.entry("retryStrategy").filter(|(_, v)| v.is_mapping()),
        node_selector: text_map(spec, "nodeSelector", &mut p),
        tolerations: list_at(spec, "tolerations", &mut p),
        affinity: spec.get("affinity").filter(|n| n.is_mapping()),
        parameters: parameter_defaults(spec.path(&["arguments", "parameters"])),
    };
    p.default_timeout = ["timeout", "activeDeadlineSeconds"]
        .iter()
        .find_map(|f| ctx.defaults.as_ref().and_then(|d| d.get(f)))
        .and_then(text);
    let pipeline_name = p.display_name().to_string();
    let Some(templates) = list_at(spec, "templates", &mut p) else {
        return p;
    };
    // What `spec.templateDefaults` declares, read once for every template.
    let inherited = ctx.defaults.as_ref().map(declarations).unwrap_or_default();
    let mut references = ReferenceFinder::new(root);
    for (index, tpl) in templates.items().enumerate() {
        if !crate::limits::charge(crate::limits::STEP_COST, tpl.span()) {
            break;
        }
        if !tpl.is_mapping() {
            p.problem(
                tpl.span(),
                format!("templates should be mappings, not {}", tpl.describe()),
            );
            continue;
        }
        let tpl = KeyTable::new(tpl);
        let Some(name) = text_at(&tpl, "name", &mut p) else {
            p.problem(
                tpl.node.span(),
                format!("template #{} has no `name`", index + 1),
            );
            continue;
        };
        let step = build_step(&name.value, &pipeline_name, &tpl, flavor, &ctx, &mut p);
        collect_tasks(&name.value, &tpl, &mut references, &mut p);
        let mut interface = template_interface(&name.value, &tpl, step.kind, &mut references);
        // `spec.templateDefaults` is merged into every template: its inputs and outputs too.
        for declared in &inherited.0 {
            if !interface.inputs.iter().any(|d| d.name == declared.name) {
                interface.inputs.push(declared.clone());
            }
        }
        for declared in &inherited.1 {
            if !interface.outputs.iter().any(|d| d.name == declared.name) {
                interface.outputs.push(declared.clone());
            }
        }
        p.templates.push(interface);
        p.steps.push(step);
    }
    p
}

/// What the workflow names besides its templates' own calls: the entry point, exit
/// handlers, the WorkflowTemplate it comes from, and its deadline.
fn read_workflow_refs(spec: NodeRef<'_>, p: &mut Pipeline) {
    p.entrypoint = spec.get("entrypoint").and_then(text);
    p.exit_templates = spec.get("onExit").and_then(text).into_iter().collect();
    p.exit_templates.extend(hook_templates(spec));
    p.workflow_template_ref = spec
        .entry("workflowTemplateRef")
        .and_then(|(k, v)| template_ref(k, v));
    p.timeout = spec.get("activeDeadlineSeconds").and_then(text);
    p.workflow_parameters = spec.get("arguments").filter(|a| a.is_mapping()).map(|a| {
        a.get("parameters")
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(|item| item.get("name")?.scalar_text().map(str::to_string))
            .collect()
    });
}

/// Keys of an input artifact that give it a value without an argument.
const ARTIFACT_SOURCES: &[&str] = &[
    "s3",
    "gcs",
    "git",
    "http",
    "raw",
    "artifactory",
    "hdfs",
    "oss",
    "azure",
    "plugin",
    "from",
    "fromExpression",
    // A key in the artifact repository (`HasLocationOrKey` in Argo's `ProcessArgs`).
    "key",
];

/// What a template declares and the references written in its own fields.
fn template_interface<'a>(
    name: &str,
    tpl: &KeyTable<'a>,
    kind: StepKind,
    references: &mut Option<ReferenceFinder<'a>>,
) -> TemplateInterface {
    let group = tpl.get("dag").is_some() || tpl.get("steps").is_some();
    let (inputs, outputs) = declarations(tpl);
    TemplateInterface {
        name: name.to_string(),
        group,
        pod: !group && kind != StepKind::Group,
        inputs,
        outputs,
        // A group template's tasks and steps are read with their own scope (`collect_tasks`).
        references: references
            .as_mut()
            .map_or_else(Vec::new, |r| r.references_in(tpl.node, &["dag", "steps"])),
    }
}

/// The inputs and outputs a template (or `spec.templateDefaults`) declares.
fn declarations(tpl: &KeyTable<'_>) -> (Vec<Declared>, Vec<Declared>) {
    let declared = |section: &str, key: &str, input: bool| -> Vec<Declared> {
        tpl.path(&[section, key])
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(|item| {
                let name = item.get("name")?.scalar_text()?.to_string();
                let artifact = key == "artifacts";
                let supplied = if artifact {
                    // Asked for a dozen keys: read once.
                    let item = KeyTable::new(item);
                    item.get("optional").and_then(|o| o.as_bool()) == Some(true)
                        || ARTIFACT_SOURCES.iter().any(|k| item.get(k).is_some())
                } else {
                    ["value", "default", "valueFrom"]
                        .iter()
                        .any(|k| item.get(k).is_some_and(|v| !v.is_null()))
                };
                Some(Declared {
                    name,
                    artifact,
                    required: input && !supplied,
                })
            })
            .collect()
    };
    let mut inputs = declared("inputs", "parameters", true);
    inputs.extend(declared("inputs", "artifacts", true));
    let mut outputs = declared("outputs", "parameters", false);
    outputs.extend(declared("outputs", "artifacts", false));
    (inputs, outputs)
}

/// The references written in one document's templates and tasks: the walks of its templates
/// and tasks share one stack (made for each, it was an allocation per template and task).
struct ReferenceFinder<'a> {
    stack: Vec<NodeRef<'a>>,
}

impl<'a> ReferenceFinder<'a> {
    /// `None` when no string of the document holds a `{{`: then no template or task has a
    /// reference, and their fields need not be walked for them.
    fn new(root: NodeRef<'a>) -> Option<Self> {
        root.document_scalars()
            .any(|(_, _, text)| find_doubled(text, 0, b'{').is_some())
            .then(|| ReferenceFinder {
                // Room for a template's usual breadth up front.
                stack: Vec::with_capacity(64),
            })
    }

    /// Every `{{...}}` in the scalars under `node` (keys in `skip` left out at the top
    /// level), found as Argo's template engine finds them: from `{{` to the next `}}`, with
    /// no escape.
    fn references_in(&mut self, node: NodeRef<'a>, skip: &[&str]) -> Vec<Reference> {
        let mut out = Vec::new();
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        if node.is_mapping() {
            stack.extend(
                node.entries()
                    .filter(|(k, _)| !k.str().is_some_and(|k| skip.contains(&k)))
                    .map(|(_, v)| v),
            );
        } else {
            stack.push(node);
        }
        while let Some(node) = stack.pop() {
            // Aliases can make the tree a graph many times its size: the walk is metered.
            if !crate::limits::charge(1, node.span()) {
                break;
            }
            // Most nodes are scalars: asked first, they are told apart in one look.
            if let Some(text) = node.str() {
                tags_in(text, node, &mut out);
            } else if node.is_mapping() {
                stack.extend(node.entries().map(|(_, v)| v));
            } else {
                stack.extend(node.items());
            }
        }
        self.stack = stack;
        out.sort_by_key(|r| r.span.start);
        out
    }
}

fn tags_in(text: &str, node: NodeRef<'_>, out: &mut Vec<Reference>) {
    // Where decoded offsets land in the file: worked out once per scalar, at its first tag.
    let mut offsets = None;
    let mut from = 0;
    while let Some(open) = find_doubled(text, from, b'{') {
        let Some(close) = find_doubled(text, open + 2, b'}') else {
            break;
        };
        let span = offsets
            .get_or_insert_with(|| node.scalar_offsets())
            .as_ref()
            .map_or(node.span(), |o| o.span(node.span(), open..close + 2));
        out.push(Reference {
            tag: text[open + 2..close].to_string(),
            span,
        });
        from = close + 2;
    }
}

/// The first `{{` (or `}}`) at or after `from`: a search for one byte (memchr), not for a
/// pattern (a pattern search sets up a searcher each time, many times the cost on short
/// scalars).
fn find_doubled(text: &str, mut from: usize, brace: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    while let Some(i) = text.get(from..)?.find(brace as char) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&brace) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `hooks.<name>.template` of a workflow, DAG task or step.
fn hook_templates<'a>(parent: impl Fields<'a>) -> Vec<Spanned<String>> {
    parent
        .value_of("hooks")
        .into_iter()
        .flat_map(|h| h.entries())
        .filter_map(|(_, hook)| hook.get("template").and_then(text))
        .collect()
}

fn template_ref(key: NodeRef<'_>, body: NodeRef<'_>) -> Option<TemplateRef> {
    if !body.is_mapping() {
        return None;
    }
    Some(TemplateRef {
        span: key.span(),
        name: body.get("name").and_then(text),
        template: body.get("template").and_then(text),
        cluster_scope: body
            .get("clusterScope")
            .and_then(|c| c.as_bool())
            .unwrap_or(false),
    })
}

/// Detection lets through Argo kinds whose `apiVersion` is missing or mistyped.
fn check_api_version(root: NodeRef<'_>, p: &mut Pipeline) {
    match root.entry("apiVersion") {
        Some((_, v)) if v.str().is_some_and(|s| s.starts_with("argoproj.io/")) => {}
        Some((_, v)) => p.problem(v.span(), "`apiVersion` should be `argoproj.io/v1alpha1`"),
        None => {
            let lookalike = root.entries().find(|(k, _)| {
                k.str().is_some_and(|k| {
                    k.to_ascii_lowercase().contains("apiversion")
                        || strsim::levenshtein(k, "apiVersion") <= 2
                })
            });
            match lookalike {
                Some((k, _)) => p.problem(
                    k.span(),
                    format!(
                        "`apiVersion` is missing; `{}` looks like a typo of it",
                        k.str().unwrap_or("")
                    ),
                ),
                None => p.problem(
                    root.entry("kind").map_or(root.span(), |(k, _)| k.span()),
                    "`apiVersion` is missing; Argo needs `apiVersion: argoproj.io/v1alpha1`",
                ),
            }
        }
    }
}

/// Fields the controller decodes before anything runs: a wrong type fails the workflow.
fn check_spec_shape(spec: NodeRef<'_>, p: &mut Pipeline) {
    text_at(spec, "entrypoint", p);
    text_at(spec, "serviceAccountName", p);
    if let Some(arguments) = mapping_at(spec, "arguments", p) {
        check_parameters(arguments, p);
    }
}

/// `parameters` and `artifacts` are lists of `{name, ...}`.
fn check_parameters(parent: NodeRef<'_>, p: &mut Pipeline) {
    for key in ["parameters", "artifacts"] {
        let Some(list) = list_at(parent, key, p) else {
            continue;
        };
        for item in list.items() {
            if !item.is_mapping() {
                p.problem(
                    item.span(),
                    format!(
                        "items of `{key}` should be mappings with a `name`, not {}",
                        item.describe()
                    ),
                );
            } else if item.get("name").is_none() {
                p.problem(item.span(), format!("an item of `{key}` has no `name`"));
            }
        }
    }
}

fn template_kind(tpl: &KeyTable<'_>) -> StepKind {
    if tpl.get("container").is_some() {
        StepKind::Container
    } else if tpl.get("script").is_some() {
        StepKind::Script
    } else if tpl.get("containerSet").is_some() {
        StepKind::ContainerSet
    } else if tpl.get("resource").is_some() {
        StepKind::Resource
    } else {
        StepKind::Group
    }
}

fn build_step(
    name: &str,
    pipeline_name: &str,
    tpl: &KeyTable<'_>,
    flavor: ArgoFlavor,
    ctx: &WorkflowContext<'_>,
    p: &mut Pipeline,
) -> Step {
    let kind = template_kind(tpl);
    if let Some(inputs) = mapping_at(tpl, "inputs", p) {
        check_parameters(inputs, p);
    }
    let mut step = Step::new(
        name,
        [pipeline_name.to_string(), name.to_string()],
        opening_span(tpl.node),
        kind,
    );
    step.system = flavor == ArgoFlavor::KfpV2Backend && name.starts_with("system-");
    let defaults = ctx.defaults.as_ref();
    let tpl_patch = tpl
        .get("podSpecPatch")
        .filter(|n| n.is_scalar())
        .and_then(|n| read_pod_patch(n, p));
    let patches: Vec<&PodPatch> = ctx.patch.iter().chain(tpl_patch.iter()).collect();
    let pod_resources = tpl
        .get("podResources")
        .filter(|n| n.is_mapping())
        .or(ctx.pod_resources);

    // The main container: `container` or `script`, with templateDefaults merged in.
    for field in ["container", "script"] {
        let Some((key, body)) = tpl.entry(field).filter(|(_, v)| !v.is_null()) else {
            continue;
        };
        if !body.is_mapping() {
            p.problem(
                body.span(),
                format!("`{field}` should be a mapping, not {}", body.describe()),
            );
            continue;
        }
        let default_body = defaults
            .and_then(|d| d.get(field))
            .filter(|d| d.is_mapping());
        let mut c = read_container(
            ContainerRole::Main,
            key.span(),
            &KeyTable::new(body),
            default_body,
            p,
        );
        c.name.get_or_insert_with(|| "main".to_string());
        apply_pod_level(&mut c, &patches, pod_resources);
        if field == "script" {
            step.source = script_source(body);
        }
        step.containers.push(c);
    }
    if let Some(set) = tpl.get("containerSet") {
        if let Some(list) = list_at(set, "containers", p) {
            for item in list.items().filter(|i| i.is_mapping()) {
                let mut c = read_container(
                    ContainerRole::SetMember,
                    item.span(),
                    &KeyTable::new(item),
                    None,
                    p,
                );
                apply_pod_level(&mut c, &patches, pod_resources);
                step.containers.push(c);
            }
        }
    }
    for (field, role) in [
        ("initContainers", ContainerRole::Init),
        ("sidecars", ContainerRole::Sidecar),
    ] {
        let Some(list) = list_at(tpl, field, p) else {
            continue;
        };
        for item in list.items() {
            if !item.is_mapping() {
                p.problem(
                    item.span(),
                    format!(
                        "items of `{field}` should be mappings, not {}",
                        item.describe()
                    ),
                );
                continue;
            }
            let mut c = read_container(role, item.span(), &KeyTable::new(item), None, p);
            apply_pod_level(&mut c, &patches, pod_resources);
            step.containers.push(c);
        }
    }
    // The template's parameter defaults are read only for a templated image.
    let mut inputs = None;
    for c in &mut step.containers {
        if let Some(image) = c
            .image
            .as_mut()
            .filter(|i| is_templated(&i.reference.value))
        {
            let inputs = inputs
                .get_or_insert_with(|| parameter_defaults(tpl.path(&["inputs", "parameters"])));
            image.default = with_defaults(&image.reference.value, &ctx.parameters, inputs);
        }
    }
    if step.system || flavor == ArgoFlavor::KfpV2Backend {
        for c in &mut step.containers {
            if let Some(image) = &mut c.image {
                image.stub = is_kfp_backend_image(&image.reference.value);
            }
        }
    }

    step.daemon = tpl
        .get("daemon")
        .and_then(|d| d.scalar_text())
        .is_some_and(|d| d == "true");
    step.retry = read_retry(tpl, defaults, ctx.retry, p);
    step.caching = read_caching(tpl, defaults, flavor);
    step.timeout = ["timeout", "activeDeadlineSeconds"]
        .iter()
        .find_map(|f| tpl.get(f).or_else(|| defaults.and_then(|d| d.get(f))))
        .and_then(text);
    if let Some(grace) = patches.iter().rev().find_map(|pp| pp.grace_seconds.clone()) {
        step.grace_period = GracePeriod {
            seconds: grace.value,
            span: grace.span,
            origin: Origin::PodSpecPatch,
        };
    }

    step.node_selector = text_map(tpl, "nodeSelector", p);
    if step.node_selector.is_empty() {
        step.node_selector = defaults
            .map(|d| text_map(d, "nodeSelector", p))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ctx.node_selector.clone());
    }
    let tolerations = list_at(tpl, "tolerations", p)
        .or_else(|| defaults.and_then(|d| d.get("tolerations")))
        .or(ctx.tolerations);
    step.tolerations = tolerations
        .into_iter()
        .flat_map(|t| t.items())
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
    let affinity = tpl.get("affinity").or(ctx.affinity);
    if let Some(node_affinity) = affinity.and_then(|a| a.get("nodeAffinity")) {
        step.node_affinity = node_affinity_terms(node_affinity);
    }
    if let Some(meta) = tpl.get("metadata") {
        step.annotations = text_map(meta, "annotations", p);
        step.labels = text_map(meta, "labels", p);
    }
    step.artifacts = read_artifacts(tpl);
    if let Some(resource) = tpl.get("resource").filter(|r| r.is_mapping()) {
        if let Some(action) = resource.get("action").and_then(text) {
            let generate_name = resource
                .get("manifest")
                .and_then(|m| m.str())
                .is_some_and(|m| m.contains("generateName:") || m.contains("\"generateName\""));
            step.resource = Some(ResourceAction {
                action,
                generate_name,
            });
        }
    }
    step
}

/// Locations an artifact can be read from or written to, besides the default repository.
const ARTIFACT_LOCATIONS: &[&str] = &[
    "s3",
    "gcs",
    "http",
    "git",
    "oss",
    "azure",
    "hdfs",
    "artifactory",
    "huggingface",
];

fn read_artifacts(tpl: &KeyTable<'_>) -> Vec<Artifact> {
    let mut out = Vec::new();
    for (section, input) in [("inputs", true), ("outputs", false)] {
        let Some(list) = tpl.path(&[section, "artifacts"]) else {
            continue;
        };
        for art in list.items() {
            // Asked for each of the locations: read once.
            let art = KeyTable::new(art);
            let name = art
                .get("name")
                .and_then(|n| n.scalar_text())
                .unwrap_or("")
                .to_string();
            for location in ARTIFACT_LOCATIONS {
                if let Some((key, _)) = art.entry(location) {
                    out.push(Artifact {
                        name: name.clone(),
                        input,
                        location: location.to_string(),
                        span: key.span(),
                    });
                }
            }
        }
    }
    out
}

/// The first line of a template item (`- name: train`): where a finding about the template
/// as a whole points.
fn opening_span(tpl: NodeRef<'_>) -> Span {
    match tpl.entries().next() {
        Some((k, v)) if v.is_scalar() => k.span().cover(v.span()),
        Some((k, _)) => k.span(),
        None => tpl.span(),
    }
}

/// The KFP v2 backend's own images: its placeholder and the driver/launcher it configures.
fn is_kfp_backend_image(image: &str) -> bool {
    image.contains("should-be-overridden-during-runtime")
        || image.contains("/kfp-driver")
        || image.contains("/kfp-launcher")
}

fn read_container(
    role: ContainerRole,
    span: Span,
    body: &KeyTable<'_>,
    defaults: Option<NodeRef<'_>>,
    p: &mut Pipeline,
) -> Container {
    let mut c = Container::new(role, span);
    c.name = body
        .get("name")
        .and_then(|n| n.scalar_text())
        .map(str::to_string);
    let own_image = text_at(body, "image", p).map(|reference| Image {
        reference,
        origin: Origin::Step,
        stub: false,
        default: None,
    });
    c.image = own_image.or_else(|| {
        defaults
            .and_then(|d| d.get("image"))
            .and_then(text)
            .map(|reference| Image {
                reference,
                origin: Origin::TemplateDefaults,
                stub: false,
                default: None,
            })
    });
    c.command = text_list(body, "command", p);
    c.args = text_list(body, "args", p);
    if let Some(env) = list_at(body, "env", p) {
        c.env = env
            .items()
            .filter_map(|e| {
                let value_from = e
                    .get("valueFrom")
                    .and_then(|v| v.entries().next())
                    .and_then(|(k, _)| k.str().map(str::to_string));
                Some(EnvVar {
                    name: e.get("name").and_then(text)?,
                    value: e.get("value").and_then(text),
                    value_from,
                })
            })
            .collect();
    }
    c.resources = k8s_resources(body, Origin::Step, p);
    if let Some(defaults) = defaults {
        let inherited = k8s_resources(defaults, Origin::TemplateDefaults, p);
        merge_missing(&mut c.resources.limits, inherited.limits);
        merge_missing(&mut c.resources.requests, inherited.requests);
    }
    c
}

fn merge_missing(into: &mut Vec<Quantity>, from: Vec<Quantity>) {
    for q in from {
        if !into.iter().any(|have| have.name == q.name) {
            into.push(q);
        }
    }
}

/// Pod-level sources of limits: `podSpecPatch` (workflow, then template) and `podResources`.
fn apply_pod_level(c: &mut Container, patches: &[&PodPatch], pod_resources: Option<NodeRef<'_>>) {
    let name = c.name.as_deref().unwrap_or("main");
    for patch in patches {
        if patch.unknown {
            c.resources.unknown_patch = Some(patch.span);
        }
        for (container, limits, requests) in &patch.containers {
            if *container != name {
                continue;
            }
            let to_quantities = |pairs: &ResourcePairs| -> Vec<Quantity> {
                pairs
                    .iter()
                    .map(|(k, v)| Quantity {
                        name: k.clone(),
                        value: Spanned::new(v.clone(), patch.span),
                        origin: Origin::PodSpecPatch,
                    })
                    .collect()
            };
            // A patch overrides what the container says.
            let limits = to_quantities(limits);
            c.resources
                .limits
                .retain(|q| !limits.iter().any(|l| l.name == q.name));
            c.resources.limits.extend(limits);
            let requests = to_quantities(requests);
            c.resources
                .requests
                .retain(|q| !requests.iter().any(|l| l.name == q.name));
            c.resources.requests.extend(requests);
        }
    }
    if let Some(pod) = pod_resources {
        for (section, into) in [
            ("limits", &mut c.resources.limits),
            ("requests", &mut c.resources.requests),
        ] {
            let Some(map) = pod.get(section) else {
                continue;
            };
            let from = map
                .entries()
                .filter_map(|(k, v)| {
                    Some(Quantity {
                        name: k.str()?.to_string(),
                        value: text(v)?,
                        origin: Origin::PodResources,
                    })
                })
                .collect();
            merge_missing(into, from);
        }
    }
}

/// `resources: {limits, requests}` of a Kubernetes container.
pub(super) fn k8s_resources<'a>(
    container: impl Fields<'a>,
    origin: Origin,
    p: &mut Pipeline,
) -> Resources {
    let mut r = Resources::default();
    let Some((key, resources)) = container.entry_of("resources") else {
        return r;
    };
    if origin == Origin::Step {
        r.span = Some(key.span());
    }
    if resources.is_null() {
        return r;
    }
    if !resources.is_mapping() {
        p.problem(
            resources.span(),
            format!(
                "`resources` should be a mapping, not {}",
                resources.describe()
            ),
        );
        return r;
    }
    for (section, is_limit) in [("limits", true), ("requests", false)] {
        let Some(map) = mapping_at(resources, section, p) else {
            continue;
        };
        if is_limit && origin == Origin::Step {
            r.limits_span = key_span(resources, "limits");
        }
        for (k, v) in map.entries() {
            let Some(name) = k.str() else { continue };
            let Some(value) = text(v) else {
                p.problem(
                    v.span(),
                    format!(
                        "`{section}.{name}` should be a quantity, not {}",
                        v.describe()
                    ),
                );
                continue;
            };
            let q = Quantity {
                name: name.to_string(),
                value,
                origin,
            };
            if is_limit {
                r.limits.push(q);
            } else {
                r.requests.push(q);
            }
        }
    }
    r
}

fn read_retry(
    tpl: &KeyTable<'_>,
    defaults: Option<&KeyTable<'_>>,
    workflow: Option<(NodeRef<'_>, NodeRef<'_>)>,
    p: &mut Pipeline,
) -> Option<Retry> {
    let (entry, origin) = match tpl.entry("retryStrategy") {
        Some(e) => (e, Origin::Step),
        None => match defaults.and_then(|d| d.entry("retryStrategy")) {
            Some(e) => (e, Origin::TemplateDefaults),
            None => (workflow?, Origin::Workflow),
        },
    };
    let (key, strategy) = entry;
    if !strategy.is_mapping() {
        if !strategy.is_null() {
            p.problem(
                strategy.span(),
                format!(
                    "`retryStrategy` should be a mapping, not {}",
                    strategy.describe()
                ),
            );
        }
        return None;
    }
    let backoff = strategy.get("backoff");
    Some(Retry {
        span: key.span(),
        origin,
        limit: strategy.get("limit").and_then(text),
        policy: strategy.get("retryPolicy").and_then(text),
        backoff_duration: backoff.and_then(|b| b.get("duration")).and_then(text),
        backoff_factor: backoff.and_then(|b| b.get("factor")).and_then(text),
        backoff_max_duration: backoff.and_then(|b| b.get("maxDuration")).and_then(text),
        backoff_cap: backoff.and_then(|b| b.get("cap")).and_then(text),
    })
}

fn read_caching(
    tpl: &KeyTable<'_>,
    defaults: Option<&KeyTable<'_>>,
    flavor: ArgoFlavor,
) -> Option<Caching> {
    let memoize = tpl.entry("memoize").map(|e| (e, Origin::Step)).or_else(|| {
        defaults
            .and_then(|d| d.entry("memoize"))
            .map(|e| (e, Origin::TemplateDefaults))
    });
    if let Some(((key, memo), origin)) = memoize {
        return Some(Caching {
            enabled: memo.is_mapping(),
            span: key.span(),
            origin,
            key: memo.get("key").and_then(text),
        });
    }
    if flavor == ArgoFlavor::KfpV1 {
        // KFP v1 caches through a webhook, per template label.
        let label = tpl.path(&[
            "metadata",
            "labels",
            "pipelines.kubeflow.org/enable_caching",
        ])?;
        // `max_cache_staleness: P0D` (what `op.execution_options.caching_strategy
        // .max_cache_staleness = "P0D"` writes) accepts no cached result: caching is off.
        let staleness = tpl.path(&[
            "metadata",
            "annotations",
            "pipelines.kubeflow.org/max_cache_staleness",
        ]);
        let never_reused = staleness
            .and_then(|s| s.scalar_text())
            .is_some_and(is_zero_iso_duration);
        return Some(Caching {
            enabled: label.scalar_text() == Some("true") && !never_reused,
            span: label.span(),
            origin: Origin::Step,
            key: None,
        });
    }
    None
}

/// An ISO 8601 duration of zero length: `P0D`, `PT0S`, `P0Y0M0DT0H0M0S`.
fn is_zero_iso_duration(value: &str) -> bool {
    let v = value.trim().to_ascii_uppercase();
    let Some(body) = v.strip_prefix('P') else {
        return false;
    };
    let numbers: Vec<&str> = body
        .split(|c: char| c.is_ascii_alphabetic())
        .filter(|n| !n.is_empty())
        .collect();
    !numbers.is_empty()
        && body.chars().any(|c| c.is_ascii_alphabetic())
        && numbers
            .iter()
            .all(|n| n.parse::<f64>().is_ok_and(|x| x == 0.0))
}

fn script_source(script: NodeRef<'_>) -> Option<EmbeddedSource> {
    let source = script.get("source")?;
    let text = source.str()?;
    let command = script
        .get("command")
        .into_iter()
        .flat_map(|c| c.items())
        .filter_map(|c| c.str())
        .collect::<Vec<_>>()
        .join(" ");
    let language = if command.contains("python") {
        Language::Python
    } else if command.contains("sh") || command.is_empty() {
        Language::Shell
    } else {
        Language::Other
    };
    let span = source.span();
    let line_start = crate::yaml::line_start_before(source.src(), span.start as usize);
    Some(EmbeddedSource {
        language,
        text: text.to_string(),
        span,
        style: source.style()?,
        block_indent: span.start as usize - line_start,
    })
}

fn node_affinity_terms(node_affinity: NodeRef<'_>) -> Vec<(Spanned<String>, Vec<String>)> {
    let required = node_affinity
        .path(&[
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .into_iter()
        .flat_map(|t| t.items());
    let preferred = node_affinity
        .get("preferredDuringSchedulingIgnoredDuringExecution")
        .into_iter()
        .flat_map(|t| t.items())
        .filter_map(|t| t.get("preference"));
    required
        .chain(preferred)
        .flat_map(|term| {
            term.get("matchExpressions")
                .into_iter()
                .flat_map(|e| e.items())
        })
        .filter_map(|expr| {
            let key = expr.get("key").and_then(text)?;
            let values = expr
                .get("values")
                .into_iter()
                .flat_map(|v| v.items())
                .filter_map(|v| v.scalar_text().map(str::to_string))
                .collect();
            Some((key, values))
        })
        .collect()
}

/// DAG tasks and `steps` entries of a template, with their dependencies.
fn collect_tasks<'a>(
    template: &str,
    tpl: &KeyTable<'a>,
    references: &mut Option<ReferenceFinder<'a>>,
    p: &mut Pipeline,
) {
    if let Some(tasks) = tpl.get("dag").and_then(|d| d.get("tasks")) {
        for task in tasks.items() {
            let task = &KeyTable::new(task);
            let Some(name) = task.get("name").and_then(text) else {
                continue;
            };
            let mut depends = text_list(task, "dependencies", p);
            if let Some(node) = task.get("depends") {
                if let Some(expr) = text(node) {
                    depends.extend(depends_names(&expr, node));
                }
            }
            p.tasks.push(Task {
                name,
                parent: template.to_string(),
                template: task.get("template").and_then(text),
                depends,
                in_steps: false,
                template_ref: task
                    .entry("templateRef")
                    .and_then(|(k, v)| template_ref(k, v)),
                hooks: task_hooks(task),
                arguments: task_arguments(task),
                looped: is_looped(task),
                item_keys: item_keys(task),
                inline: task.get("inline").is_some(),
                references: references
                    .as_mut()
                    .map_or_else(Vec::new, |r| r.references_in(task.node, &["inline"])),
            });
        }
    }
    if let Some(groups) = tpl.get("steps") {
        let mut previous: Vec<Spanned<String>> = Vec::new();
        for group in groups.items() {
            let mut current = Vec::new();
            for entry in group.items() {
                let entry = &KeyTable::new(entry);
                let Some(name) = entry.get("name").and_then(text) else {
                    continue;
                };
                // Every entry of a group depends on every entry of the group before it.
                let copies = previous.len() as u64 * crate::limits::COPY_COST;
                if !crate::limits::charge(1 + copies, entry.node.span()) {
                    return;
                }
                p.tasks.push(Task {
                    name: name.clone(),
                    parent: template.to_string(),
                    template: entry.get("template").and_then(text),
                    depends: previous.clone(),
                    in_steps: true,
                    template_ref: entry
                        .entry("templateRef")
                        .and_then(|(k, v)| template_ref(k, v)),
                    hooks: task_hooks(entry),
                    arguments: task_arguments(entry),
                    looped: is_looped(entry),
                    item_keys: item_keys(entry),
                    inline: entry.get("inline").is_some(),
                    references: references
                        .as_mut()
                        .map_or_else(Vec::new, |r| r.references_in(entry.node, &["inline"])),
                });
                current.push(name);
            }
            previous = current;
        }
    }
}

fn is_looped(task: &KeyTable<'_>) -> bool {
    ["withItems", "withParam", "withSequence"]
        .iter()
        .any(|k| task.get(k).is_some_and(|v| !v.is_null()))
}

/// The `{{item.<key>}}` keys a loop defines, as Argo's validator scopes them
/// (`addItemsToScope`): the keys of mapping items, `[i]` for list items, none for scalar
/// items and `withSequence`; `None` (anything) for `withParam` or templated items.
fn item_keys(task: &KeyTable<'_>) -> Option<Vec<String>> {
    if task.get("withSequence").is_some_and(|v| !v.is_null()) {
        return Some(Vec::new());
    }
    let items = task.get("withItems").filter(|v| v.is_sequence())?;
    let mut keys: Vec<String> = Vec::new();
    for item in items.items() {
        if item.is_mapping() {
            keys.extend(
                item.entries()
                    .filter_map(|(k, _)| k.str().map(str::to_string)),
            );
        } else if item.is_sequence() {
            keys.extend((0..item.len()).map(|i| format!("[{i}]")));
        } else if item.str().is_some_and(is_templated) {
            return None;
        }
    }
    Some(keys)
}

/// `arguments.parameters` and `arguments.artifacts` of a DAG task or step, by name.
fn task_arguments(task: &KeyTable<'_>) -> Vec<Argument> {
    let mut out = Vec::new();
    for (key, artifact) in [("parameters", false), ("artifacts", true)] {
        let items = task
            .path(&["arguments", key])
            .into_iter()
            .flat_map(|l| l.items());
        for item in items {
            if let Some(name) = item.get("name").and_then(text) {
                out.push(Argument { name, artifact });
            }
        }
    }
    out
}

/// `onExit` and `hooks.<h>.template` of a DAG task or step.
fn task_hooks(task: &KeyTable<'_>) -> Vec<Spanned<String>> {
    let mut hooks: Vec<Spanned<String>> = task.get("onExit").and_then(text).into_iter().collect();
    hooks.extend(hook_templates(task));
    hooks
}

/// Task names in an Argo `depends` expression (`A && (B.Succeeded || !C.Failed)`), each
/// spanning its own name in the file when the scalar maps back to it.
fn depends_names(expr: &Spanned<String>, node: NodeRef<'_>) -> Vec<Spanned<String>> {
    let s = &expr.value;
    let mut out: Vec<Spanned<String>> = Vec::new();
    let mut start = None;
    for (i, ch) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        let word = ch.is_alphanumeric() || ch == '-' || ch == '_' || ch == '.';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                let token = &s[b..i];
                let name = token.split('.').next().unwrap_or(token);
                if !name.is_empty() && !out.iter().any(|o| o.value == name) {
                    let span = node.source_span(b..b + name.len()).unwrap_or(expr.span);
                    out.push(Spanned::new(name.to_string(), span));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    /// `(tag, the text its span covers)` of references.
    type Shown = Vec<(String, String)>;

    /// The references of each template, then of each task.
    fn references(src: &str) -> (Shown, Shown) {
        let file = parse(src, &ParseLimits::default());
        let (pipelines, _) = super::super::adapt_file(&file, src);
        let shown = |refs: &[Reference]| -> Shown {
            refs.iter()
                .map(|r| (r.tag.clone(), src[r.span.range()].to_string()))
                .collect()
        };
        let p = &pipelines[0];
        (
            p.templates
                .iter()
                .flat_map(|t| shown(&t.references))
                .collect(),
            p.tasks.iter().flat_map(|t| shown(&t.references)).collect(),
        )
    }

    #[test]
    fn tags_are_found_where_written_in_every_style() {
        // No tag ends its quoted scalar here: the offset map sends the end of a value to the
        // end of the scalar, closing quote included, which is not what this test is about.
        let src = r#"apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: w}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: t
        template: leaf
        arguments:
          parameters:
          - name: p
            value: "{{workflow.name}}-\x7b{workflow.uid}}-x"
  - name: leaf
    inputs: {parameters: [{name: p}]}
    script:
      image: python:3.12
      command: [python]
      source: |
        print("{{inputs.parameters.p}}")
        print("{ {not a tag}} {{{inputs.parameters.p}}}")
      env:
      - {name: A, value: 'it''s {{inputs.parameters.p}} here'}
"#;
        let (templates, tasks) = references(src);
        let tag = |t: &str, at: &str| (t.to_string(), at.to_string());
        assert_eq!(
            templates,
            [
                tag("inputs.parameters.p", "{{inputs.parameters.p}}"),
                // `{{` then the next `}}`, as Argo's template engine reads it.
                tag("{inputs.parameters.p", "{{{inputs.parameters.p}}"),
                tag("inputs.parameters.p", "{{inputs.parameters.p}}"),
            ]
        );
        // The escaped brace is decoded first: the tag spans its escape in the file.
        assert_eq!(
            tasks,
            [
                tag("workflow.name", "{{workflow.name}}"),
                tag("workflow.uid", "\\x7b{workflow.uid}}"),
            ]
        );
    }

    #[test]
    fn documents_without_a_tag_are_not_walked_for_them() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\nspec:\n  entrypoint: a\n  templates:\n  - name: a\n    container: {image: 'x', args: ['{ {x}}', '{x}', '}}{{']}\n";
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        // `}}{{` opens a tag that never closes: the document counts as tagged, no reference.
        assert!(ReferenceFinder::new(root).is_some());
        assert_eq!(references(src), (Vec::new(), Vec::new()));
        let plain = src.replace("'}}{{'", "'}}'");
        let file = parse(&plain, &ParseLimits::default());
        assert!(ReferenceFinder::new(file.documents[0].root(&plain).unwrap()).is_none());
    }

    #[test]
    fn the_first_double_brace() {
        assert_eq!(find_doubled("a{b{{c", 0, b'{'), Some(3));
        assert_eq!(find_doubled("{{{", 1, b'{'), Some(1));
        assert_eq!(find_doubled("{ {", 0, b'{'), None);
        assert_eq!(find_doubled("é{{", 0, b'{'), Some(2));
        assert_eq!(find_doubled("{", 0, b'{'), None);
        assert_eq!(find_doubled("{{a}b}}", 2, b'}'), Some(5));
        assert_eq!(find_doubled("{{a} }", 2, b'}'), None);
        assert_eq!(find_doubled("}}", 2, b'}'), None);
        // Every start, against the pattern search it replaces.
        let text = "x{{a}}é}}{{b}}}";
        for from in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            assert_eq!(
                find_doubled(text, from, b'}'),
                text[from..].find("}}").map(|i| from + i),
                "from {from}"
            );
        }
    }
}
