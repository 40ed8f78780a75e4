//! Decides, from content alone, what each document of a file is, and hands it to its adapter.

use super::{argo, kfp_ir};
use crate::model::{ArgoFlavor, ArgoKind, Format, KfpWrapper, Pipeline};
use crate::yaml::{NodeRef, Span, YamlFile};

/// What a file turned out to be, for the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// At least one document is a pipeline.
    Pipeline,
    /// Valid YAML/JSON, but nothing pipelint lints (a ConfigMap, a Helm values file...).
    NotPipeline,
    /// A pipeline in a format pipelint does not lint (KFP-Tekton `PipelineRun`s of Data
    /// Science Pipelines 1.x and Elyra): named, so that it is not mistaken for "not a
    /// pipeline". The label says which format.
    Unsupported(&'static str),
}

/// The comment the KFP compiler writes at the top of every YAML IR file.
const KFP_HEADER: &str = "# PIPELINE DEFINITION";

enum Detected<'a> {
    Kfp(KfpWrapper, NodeRef<'a>, Option<NodeRef<'a>>),
    /// A PlatformSpec document (`platforms:`), belonging to the IR document before it.
    Platform(NodeRef<'a>),
    Argo(ArgoKind, NodeRef<'a>),
    /// A pipeline format pipelint does not lint, by label.
    Unsupported(&'static str),
    Other,
}

/// Tekton `PipelineRun` / `Pipeline` documents: `kfp-tekton` when the KFP-Tekton compiler
/// wrote them (it leaves `pipelines.kubeflow.org/*` annotations or labels, such as
/// `pipelines.kubeflow.org/pipeline_spec`), `tekton` otherwise.
fn tekton_format(root: NodeRef<'_>, api_version: &str, kind: &str) -> Option<&'static str> {
    if !api_version.starts_with("tekton.dev/") || !matches!(kind, "PipelineRun" | "Pipeline") {
        return None;
    }
    let from_kfp = ["annotations", "labels"].iter().any(|field| {
        root.path(&["metadata", field]).is_some_and(|m| {
            m.entries().any(|(k, _)| {
                k.str()
                    .is_some_and(|k| k.starts_with("pipelines.kubeflow.org/"))
            })
        })
    });
    Some(if from_kfp { "kfp-tekton" } else { "tekton" })
}

fn detect(root: NodeRef<'_>) -> Detected<'_> {
    if !root.is_mapping() {
        return Detected::Other;
    }
    if is_pipeline_spec(root) {
        return Detected::Kfp(KfpWrapper::PipelineSpec, root, None);
    }
    if let Some(spec) = root.get("pipelineSpec").filter(|s| is_pipeline_spec(*s)) {
        return Detected::Kfp(KfpWrapper::PipelineJob, spec, None);
    }
    if root.get("platforms").is_some() && root.len() == 1 {
        return Detected::Platform(root);
    }
    let api_version = root.get("apiVersion").and_then(|v| v.str()).unwrap_or("");
    let kind = root.get("kind").and_then(|v| v.str()).unwrap_or("");
    if api_version.starts_with("pipelines.kubeflow.org/") && kind == "PipelineVersion" {
        if let Some(spec) = root
            .path(&["spec", "pipelineSpec"])
            .filter(|s| is_pipeline_spec(*s))
        {
            let platform = root.path(&["spec", "platformSpec"]);
            return Detected::Kfp(KfpWrapper::PipelineVersion, spec, platform);
        }
    }
    if let Some(label) = tekton_format(root, api_version, kind) {
        return Detected::Unsupported(label);
    }
    let argo_kind = match kind {
        "Workflow" => ArgoKind::Workflow,
        "WorkflowTemplate" => ArgoKind::WorkflowTemplate,
        "ClusterWorkflowTemplate" => ArgoKind::ClusterWorkflowTemplate,
        "CronWorkflow" => ArgoKind::CronWorkflow,
        _ => return Detected::Other,
    };
    if api_version.starts_with("argoproj.io/") {
        return Detected::Argo(argo_kind, root);
    }
    // An Argo kind with a spec of templates but a missing or mistyped `apiVersion`: the
    // cluster rejects it, so it is worth a finding rather than silence.
    let spec = root.get("spec");
    let looks_argo = spec.is_some_and(|s| {
        s.get("templates").is_some()
            || s.get("workflowSpec").is_some()
            || s.get("workflowTemplateRef").is_some()
    });
    if looks_argo && !api_version.contains('/') {
        return Detected::Argo(argo_kind, root);
    }
    Detected::Other
}

fn is_pipeline_spec(node: NodeRef<'_>) -> bool {
    node.is_mapping()
        && node.get("pipelineInfo").is_some()
        && (node.get("root").is_some()
            || node.get("deploymentSpec").is_some()
            || node.get("components").is_some())
}

/// Builds the model of every pipeline in a parsed file.
pub fn adapt_file(file: &YamlFile, src: &str) -> (Vec<Pipeline>, FileKind) {
    let mut pipelines: Vec<Pipeline> = Vec::new();
    let mut unsupported: Option<&'static str> = None;
    let mut pending_kfp: Option<(KfpWrapper, NodeRef<'_>, Option<NodeRef<'_>>, usize)> = None;
    let flush = |pending: &mut Option<(KfpWrapper, NodeRef<'_>, Option<NodeRef<'_>>, usize)>,
                 pipelines: &mut Vec<Pipeline>| {
        if let Some((wrapper, spec, platform, doc)) = pending.take() {
            pipelines.push(kfp_ir::adapt(wrapper, spec, platform, doc));
        }
    };
    for doc in &file.documents {
        let Some(root) = doc.root(src) else { continue };
        match detect(root) {
            Detected::Kfp(wrapper, spec, platform) => {
                flush(&mut pending_kfp, &mut pipelines);
                pending_kfp = Some((wrapper, spec, platform, doc.index));
            }
            Detected::Platform(platform) => match pending_kfp.as_mut() {
                Some((_, _, slot @ None, _)) => *slot = Some(platform),
                _ => {
                    let mut orphan = Pipeline::new(
                        Format::KfpIr(KfpWrapper::PipelineSpec),
                        root.span(),
                        doc.index,
                    );
                    orphan.problem(
                        root.span(),
                        "a KFP platform spec (`platforms:`) with no pipeline spec document before it",
                    );
                    pipelines.push(orphan);
                }
            },
            Detected::Argo(kind, root) => {
                flush(&mut pending_kfp, &mut pipelines);
                let flavor = argo_flavor(root);
                pipelines.push(argo::adapt(kind, flavor, root, doc.index));
            }
            Detected::Unsupported(label) => {
                flush(&mut pending_kfp, &mut pipelines);
                unsupported.get_or_insert(label);
            }
            Detected::Other => {}
        }
    }
    flush(&mut pending_kfp, &mut pipelines);

    if pipelines.is_empty() && file.errors.is_empty() && src.trim_start().starts_with(KFP_HEADER) {
        // The KFP compiler's header with no pipeline under it: a truncated or emptied file.
        let end = src.find('\n').unwrap_or(src.len()) as u32;
        let mut empty = Pipeline::new(
            Format::KfpIr(KfpWrapper::PipelineSpec),
            Span::new(0, end),
            0,
        );
        empty.problem(
            Span::new(0, end),
            "the file has the KFP compiler's header but no pipeline spec",
        );
        pipelines.push(empty);
    }
    let kind = match (pipelines.is_empty(), unsupported) {
        (false, _) => FileKind::Pipeline,
        (true, Some(label)) => FileKind::Unsupported(label),
        (true, None) => FileKind::NotPipeline,
    };
    (pipelines, kind)
}

fn argo_flavor(root: NodeRef<'_>) -> ArgoFlavor {
    let has_kfp_key = |node: Option<NodeRef<'_>>| {
        node.is_some_and(|m| {
            m.entries().any(|(k, _)| {
                k.str().is_some_and(|k| {
                    k == "pipelines.kubeflow.org/kfp_sdk_version"
                        || k == "pipelines.kubeflow.org/pipeline_spec"
                })
            })
        })
    };
    let v2_label = root
        .path(&[
            "spec",
            "podMetadata",
            "labels",
            "pipelines.kubeflow.org/v2_component",
        ])
        .is_some();
    let v2_templates = root.path(&["spec", "templates"]).is_some_and(|t| {
        t.items().any(|tpl| {
            tpl.get("name")
                .and_then(|n| n.str())
                .is_some_and(|n| n == "system-container-driver" || n == "system-dag-driver")
        })
    });
    // Older v1 output has no workflow-level marker, but its templates carry KFP annotations
    // or the artifacts the v1 UI reads.
    let v1_templates = root.path(&["spec", "templates"]).is_some_and(|t| {
        t.items().any(|tpl| {
            let kfp_meta = ["annotations", "labels"].iter().any(|section| {
                tpl.path(&["metadata", section]).is_some_and(|m| {
                    m.entries().any(|(k, _)| {
                        k.str()
                            .is_some_and(|k| k.starts_with("pipelines.kubeflow.org/"))
                    })
                })
            });
            let ui_artifacts = tpl.path(&["outputs", "artifacts"]).is_some_and(|a| {
                a.items().any(|art| {
                    art.get("name")
                        .and_then(|n| n.str())
                        .is_some_and(|n| n == "mlpipeline-ui-metadata" || n == "mlpipeline-metrics")
                })
            });
            kfp_meta || ui_artifacts
        })
    });
    if v2_label || v2_templates {
        ArgoFlavor::KfpV2Backend
    } else if has_kfp_key(root.path(&["metadata", "annotations"]))
        || has_kfp_key(root.path(&["metadata", "labels"]))
        || v1_templates
    {
        ArgoFlavor::KfpV1
    } else {
        ArgoFlavor::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, ParseLimits};

    fn kinds(src: &str) -> Vec<&'static str> {
        let file = parse(src, &ParseLimits::default());
        adapt_file(&file, src)
            .0
            .iter()
            .map(|p| p.format.label())
            .collect()
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(
            kinds("apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nspec: {}\n"),
            ["argo-cron-workflow"]
        );
        assert_eq!(
            kinds("pipelineInfo: {name: p}\nroot: {dag: {tasks: {}}}\n---\nplatforms: {kubernetes: {}}\n"),
            ["kfp-ir"]
        );
        assert_eq!(
            kinds("apiVersion: v1\nkind: ConfigMap\n"),
            Vec::<&str>::new()
        );
        assert_eq!(
            kinds("{\"pipelineSpec\": {\"pipelineInfo\": {\"name\": \"p\"}, \"root\": {}}, \"runtimeConfig\": {}}"),
            ["kfp-ir"]
        );
        assert_eq!(
            kinds("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  annotations: {pipelines.kubeflow.org/kfp_sdk_version: 1.8.22}\nspec: {}\n"),
            ["kfp-v1-argo"]
        );
    }
}
