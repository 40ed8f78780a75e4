//! Go to definition and the outline, for the language server.
//!
//! Definitions are found in the YAML tree by the field the cursor is on: an Argo task's
//! `template:` (and `entrypoint`, `onExit`) names a template of the same manifest; a
//! `templateRef` (or `workflowTemplateRef`) names a (Cluster)WorkflowTemplate, looked for in
//! the files of the workspace; a KFP task's `componentRef.name` names a key of `components`,
//! and a component's `executorLabel` a key of `deploymentSpec.executors`. The outline is the
//! model's pipelines and steps, as the rules see them.

use std::path::Path;
use std::sync::Arc;

use pipelint_lsp::{Symbol, SymbolKind, Target};

use crate::discover::discover;
use crate::model::{Pipeline, StepKind};
use crate::yaml::{parse, NodeRef, ParseLimits, YamlFile};

/// One step down from a node: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index,
}

/// The scalar value at `offset` (the cursor on it or just after it), with the keys leading to
/// it from its document's root and the mapping or sequence each was taken from.
struct ValueAt<'a> {
    node: NodeRef<'a>,
    path: Vec<Segment>,
    parents: Vec<NodeRef<'a>>,
    root: NodeRef<'a>,
}

fn value_at<'a>(yaml: &'a YamlFile, src: &'a str, offset: usize) -> Option<ValueAt<'a>> {
    let offset = offset as u32;
    let within = |n: NodeRef<'_>| n.span().start <= offset && offset <= n.span().end;
    let doc = yaml
        .documents
        .iter()
        .find(|d| d.span.start <= offset && offset <= d.span.end)?;
    let root = doc.root(src)?;
    let mut node = root;
    let mut path = Vec::new();
    let mut parents = Vec::new();
    loop {
        if node.is_scalar() {
            return Some(ValueAt {
                node,
                path,
                parents,
                root,
            });
        }
        let next = if node.is_mapping() {
            node.entries()
                .find(|(_, v)| within(*v))
                .map(|(k, v)| (v, Segment::Key(k.str().unwrap_or("").to_string())))
        } else if node.is_sequence() {
            node.items()
                .find(|i| within(*i))
                .map(|i| (i, Segment::Index))
        } else {
            None
        };
        let (child, segment) = next?;
        path.push(segment);
        parents.push(node);
        node = child;
    }
}

fn key(path: &[Segment], from_end: usize) -> Option<&str> {
    match path.len().checked_sub(from_end + 1).map(|i| &path[i]) {
        Some(Segment::Key(k)) => Some(k),
        _ => None,
    }
}

fn is_argo(root: NodeRef<'_>) -> bool {
    root.get("kind").and_then(|k| k.str()).is_some_and(|k| {
        matches!(
            k,
            "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate" | "CronWorkflow"
        )
    })
}

/// The Argo spec holding `templates` (a CronWorkflow nests it in `workflowSpec`).
fn argo_spec(root: NodeRef<'_>) -> Option<NodeRef<'_>> {
    let spec = root.get("spec")?;
    Some(spec.get("workflowSpec").unwrap_or(spec))
}

/// The template item named `name` in `spec.templates`.
fn argo_template<'a>(root: NodeRef<'a>, name: &str) -> Option<Target> {
    let templates = argo_spec(root)?.get("templates")?;
    templates.items().find_map(|t| {
        let n = t.get("name")?;
        (n.str()? == name).then(|| Target {
            path: None,
            text: None,
            span: t.span().range(),
            name_span: n.span().range(),
        })
    })
}

/// The KFP pipeline spec of a document: the IR itself or a `PipelineJob`'s `pipelineSpec`.
fn kfp_spec(root: NodeRef<'_>) -> Option<NodeRef<'_>> {
    [Some(root), root.get("pipelineSpec")]
        .into_iter()
        .flatten()
        .find(|n| n.get("components").is_some() || n.get("deploymentSpec").is_some())
}

/// The entry `name` of the mapping `map` (its key is where the definition is named).
fn entry_target(map: NodeRef<'_>, name: &str) -> Option<Target> {
    let (k, v) = map.entry(name)?;
    Some(Target {
        path: None,
        text: None,
        span: k.span().cover(v.span()).range(),
        name_span: k.span().range(),
    })
}

/// Where the name at `offset` of `src` is defined. `folder` is searched for the
/// WorkflowTemplates that a `templateRef` names (files over `max_size` bytes are skipped).
pub fn definition(src: &str, offset: usize, folder: Option<&Path>, max_size: u64) -> Vec<Target> {
    let yaml = parse(src, &ParseLimits::default());
    let Some(at) = value_at(&yaml, src, offset) else {
        return Vec::new();
    };
    let (path, root) = (&at.path, at.root);
    let Some(name) = at.node.str() else {
        return Vec::new();
    };
    let found = if is_argo(root) {
        match (key(path, 0), key(path, 1)) {
            (Some("template"), Some("templateRef"))
            | (Some("name"), Some("templateRef" | "workflowTemplateRef")) => {
                let reference = at.parents.last().and_then(|r| template_ref(*r));
                return reference.map_or_else(Vec::new, |(wt, template, cluster)| {
                    let wanted = if key(path, 0) == Some("name") {
                        None
                    } else {
                        Some(template.as_str())
                    };
                    workspace_template(folder, &wt, wanted, cluster, max_size)
                });
            }
            (Some("template" | "entrypoint" | "onExit"), _) => argo_template(root, name),
            _ => None,
        }
    } else if let Some(spec) = kfp_spec(root) {
        match (key(path, 0), key(path, 1)) {
            (Some("name"), Some("componentRef")) => {
                spec.get("components").and_then(|c| entry_target(c, name))
            }
            (Some("executorLabel"), _) => spec
                .path(&["deploymentSpec", "executors"])
                .and_then(|e| entry_target(e, name)),
            _ => None,
        }
    } else {
        None
    };
    found.into_iter().collect()
}

/// The WorkflowTemplate name, template name and `clusterScope` of a `templateRef` mapping.
fn template_ref(node: NodeRef<'_>) -> Option<(String, String, bool)> {
    let text = |k: &str| node.get(k).and_then(|n| n.str()).map(str::to_string);
    let cluster = node
        .get("clusterScope")
        .and_then(|c| c.as_bool())
        .unwrap_or(false);
    Some((text("name")?, text("template").unwrap_or_default(), cluster))
}

/// A template of a (Cluster)WorkflowTemplate named `name` in the folder's files (the
/// template `template`, or the manifest's name when `None`).
fn workspace_template(
    folder: Option<&Path>,
    name: &str,
    template: Option<&str>,
    cluster: bool,
    max_size: u64,
) -> Vec<Target> {
    let Some(folder) = folder else {
        return Vec::new();
    };
    let wanted_kind = if cluster {
        "ClusterWorkflowTemplate"
    } else {
        "WorkflowTemplate"
    };
    let Ok(inputs) = discover(&[folder.to_path_buf()]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for input in inputs {
        let small = std::fs::metadata(&input.path).is_ok_and(|m| m.len() <= max_size);
        let Some(text) = small
            .then(|| std::fs::read_to_string(&input.path).ok())
            .flatten()
        else {
            continue;
        };
        // Most files cannot hold it: no parse for them.
        if !text.contains(name) || !text.contains(wanted_kind) {
            continue;
        }
        let text: Arc<str> = Arc::from(text);
        let yaml = parse(&text, &ParseLimits::default());
        for doc in &yaml.documents {
            let Some(root) = doc.root(&text) else {
                continue;
            };
            let kind = root.get("kind").and_then(|k| k.str());
            let metadata_name = root.path(&["metadata", "name"]);
            if kind != Some(wanted_kind) || metadata_name.and_then(|n| n.str()) != Some(name) {
                continue;
            }
            let target = match template {
                Some(t) => argo_template(root, t),
                None => metadata_name.map(|n| Target {
                    path: None,
                    text: None,
                    span: root.span().range(),
                    name_span: n.span().range(),
                }),
            };
            if let Some(t) = target {
                out.push(Target {
                    path: Some(input.path.clone()),
                    text: Some(text.clone()),
                    ..t
                });
            }
        }
    }
    out
}

/// The outline: each pipeline, its steps inside it.
pub fn symbols(pipelines: &[Pipeline]) -> Vec<Symbol> {
    pipelines
        .iter()
        .map(|p| {
            let name_span = p.name.as_ref().map_or(p.span, |n| n.span);
            Symbol {
                name: p.display_name().to_string(),
                detail: Some(p.format.label().to_string()),
                kind: SymbolKind::Pipeline,
                span: p.span.range(),
                name_span: name_span.range(),
                children: p
                    .steps
                    .iter()
                    .filter(|s| !s.system)
                    .map(|s| Symbol {
                        name: s.name.to_string(),
                        detail: s
                            .containers
                            .iter()
                            .find_map(|c| c.image.as_ref())
                            .map(|i| i.reference.value.clone())
                            .or_else(|| {
                                serde_json::to_value(s.kind)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_string))
                            }),
                        kind: if s.kind == StepKind::Group {
                            SymbolKind::Group
                        } else {
                            SymbolKind::Step
                        },
                        span: s.span.range(),
                        name_span: s.span.range(),
                        children: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARGO: &str = include_str!("../../lsp/tests/e2e/fixtures/argo-bad.yaml");
    const ARGO_REF: &str = include_str!("../../lsp/tests/e2e/fixtures/argo-ref.yaml");
    const SHARED: &str = include_str!("../../lsp/tests/e2e/fixtures/shared-templates.yaml");
    const KFP: &str = include_str!("../../lsp/tests/e2e/fixtures/kfp-bad.yaml");

    /// The text the definition at the `nth` occurrence of `at` (plus `delta`) names.
    fn goes_to(src: &str, at: &str, nth: usize, delta: usize) -> Vec<String> {
        let offset = src.match_indices(at).nth(nth).unwrap().0 + delta;
        definition(src, offset, None, u64::MAX)
            .iter()
            .map(|t| src[t.name_span.clone()].to_string())
            .collect()
    }

    #[test]
    fn argo_template_calls_go_to_the_template() {
        // `template: train` in the DAG -> `- name: train` of the templates.
        let found = definition(
            ARGO,
            ARGO.find("template: train").unwrap() + 11,
            None,
            u64::MAX,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].name_span.start,
            ARGO.find("name: train\n").unwrap() + 6
        );
        assert_eq!(goes_to(ARGO, "entrypoint: main", 0, 13), ["main"]);
        // Look-alikes: a task's own name and an image are not references.
        assert!(goes_to(ARGO, "{name: fetch", 0, 8).is_empty());
        assert!(goes_to(ARGO, "amazon/aws-cli", 0, 2).is_empty());
    }

    #[test]
    fn kfp_component_and_executor_references() {
        let comp = definition(
            KFP,
            KFP.find("name: comp-train").unwrap() + 8,
            None,
            u64::MAX,
        );
        assert_eq!(comp.len(), 1);
        assert_eq!(&KFP[comp[0].name_span.clone()], "comp-train");
        assert_eq!(comp[0].name_span.start, KFP.find("comp-train:").unwrap());
        let exec = definition(
            KFP,
            KFP.find("executorLabel: exec-train").unwrap() + 16,
            None,
            u64::MAX,
        );
        assert_eq!(exec.len(), 1);
        assert_eq!(exec[0].name_span.start, KFP.find("exec-train:").unwrap());
        // The component's own key and the pipeline name lead nowhere.
        assert!(goes_to(KFP, "comp-train:", 0, 2).is_empty());
        assert!(goes_to(KFP, "name: sample-and-train", 0, 8).is_empty());
    }

    #[test]
    fn template_ref_goes_to_the_workflow_template_in_another_file() {
        let dir = std::env::temp_dir().join(format!("pipelint-nav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("shared-templates.yaml"), SHARED).unwrap();
        std::fs::write(dir.join("argo-ref.yaml"), ARGO_REF).unwrap();
        let at = ARGO_REF.find("template: prepare-data").unwrap() + 12;
        let found = definition(ARGO_REF, at, Some(&dir), u64::MAX);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].path.as_deref(),
            Some(dir.join("shared-templates.yaml").as_path())
        );
        let text = found[0].text.as_ref().unwrap();
        assert_eq!(
            found[0].name_span.start,
            SHARED.find("prepare-data").unwrap()
        );
        assert_eq!(&text[found[0].name_span.clone()], "prepare-data");
        // On the WorkflowTemplate's name: its `metadata.name`.
        let at = ARGO_REF.find("name: shared-steps").unwrap() + 8;
        let found = definition(ARGO_REF, at, Some(&dir), u64::MAX);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].name_span.start,
            SHARED.find("shared-steps").unwrap()
        );
        // `spec.workflowTemplateRef` names the whole WorkflowTemplate.
        let whole = ARGO_REF.replace(
            "  entrypoint: main\n",
            "  workflowTemplateRef:\n    name: shared-steps\n  entrypoint: main\n",
        );
        let at = whole.find("    name: shared-steps").unwrap() + 12;
        let found = definition(&whole, at, Some(&dir), u64::MAX);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].name_span.start,
            SHARED.find("shared-steps").unwrap()
        );
        // A local `template:` next to it stays in the file.
        assert_eq!(goes_to(ARGO_REF, "template: report", 0, 11), ["report"]);
        // Without the workspace, or a ClusterWorkflowTemplate of that name: nothing.
        assert!(definition(ARGO_REF, at, None, u64::MAX).is_empty());
        let cluster = ARGO_REF.replace(
            "name: shared-steps",
            "name: shared-steps\n              clusterScope: true",
        );
        let at = cluster.find("template: prepare-data").unwrap() + 12;
        assert!(definition(&cluster, at, Some(&dir), u64::MAX).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_outline_lists_each_pipelines_steps() {
        let yaml = parse(KFP, &ParseLimits::default());
        let outline = symbols(&adapt(&yaml, KFP));
        assert_eq!(outline.len(), 1);
        assert_eq!(outline[0].name, "sample-and-train");
        let steps: Vec<&str> = outline[0]
            .children
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(steps, ["sample-rows", "train"]);
        let yaml = parse(ARGO, &ParseLimits::default());
        let outline = symbols(&adapt(&yaml, ARGO));
        let steps: Vec<(&str, SymbolKind)> = outline[0]
            .children
            .iter()
            .map(|s| (s.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            steps,
            [
                ("main", SymbolKind::Group),
                ("fetch", SymbolKind::Step),
                ("train", SymbolKind::Step)
            ]
        );
        assert_eq!(
            outline[0].children[1].detail.as_deref(),
            Some("amazon/aws-cli:latest")
        );
    }

    fn adapt(yaml: &YamlFile, src: &str) -> Vec<Pipeline> {
        crate::formats::adapt_file(yaml, src).0
    }
}
