use std::collections::HashSet;
use std::sync::LazyLock;

use super::{FileContext, Rule, RuleMeta};
use crate::analysis::ScalarSpans;
use crate::config::Version;
use crate::finding::{Finding, Severity};
use crate::model::{ArgoFlavor, ArgoKind, Format, Pipeline};
use crate::yaml::{parse, NodeRef, ParseLimits, Span};

/// IR or manifests the target backend cannot run, and version skew inside a file.
pub struct SdkBackendVersionMismatch;

static META: RuleMeta = RuleMeta {
    id: "sdk-backend-version-mismatch",
    summary: "the pipeline needs a newer (or older) KFP backend or Argo than the target, or its SDK versions disagree",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/sdk-backend-version-mismatch.md"),
    options: &[],
};

/// One row of `rules/sdk-backend-version-mismatch.fields.yaml`.
#[derive(Debug)]
struct FieldRow {
    path: Vec<String>,
    /// KFP: first backend that runs it; Argo: first release that has it.
    added: Option<Version>,
    removed: Option<Version>,
    sdk: Option<String>,
    kinds: Vec<String>,
    replacement: Option<String>,
    source: String,
}

struct Table {
    kfp: Vec<FieldRow>,
    argo: Vec<FieldRow>,
}

const TABLE_TEXT: &str = include_str!("../../rules/sdk-backend-version-mismatch.fields.yaml");

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let file = parse(TABLE_TEXT, &ParseLimits::default());
    let root = file.documents.first().and_then(|d| d.root(TABLE_TEXT));
    let rows = |section: &str| -> Vec<FieldRow> {
        root.and_then(|r| r.get(section))
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(|row| {
                let text = |k: &str| row.get(k).and_then(|v| v.scalar_text()).map(str::to_string);
                let version = |k: &str| text(k).and_then(|v| Version::parse(&v));
                Some(FieldRow {
                    path: text("path")?.split('.').map(str::to_string).collect(),
                    added: version("backend").or_else(|| version("added")),
                    removed: version("removed"),
                    sdk: text("sdk"),
                    kinds: row
                        .get("kinds")
                        .into_iter()
                        .flat_map(|k| k.items())
                        .filter_map(|k| k.str().map(str::to_string))
                        .collect(),
                    replacement: text("replacement"),
                    source: text("source").unwrap_or_default(),
                })
            })
            .collect()
    };
    Table {
        kfp: rows("kfp"),
        argo: rows("argo"),
    }
});

/// Key spans of every node at `path` under `root` (`*` one level, `**` any number).
fn find_keys(root: NodeRef<'_>, path: &[String]) -> Vec<Span> {
    let mut found = Vec::new();
    // (node, position in path): an explicit stack, never recursion.
    let mut stack = vec![(root, 0usize)];
    let mut steps = 0usize;
    while let Some((node, at)) = stack.pop() {
        steps += 1;
        if steps > 200_000 {
            break; // a pathological document: give up quietly rather than spin
        }
        let Some(segment) = path.get(at) else {
            continue;
        };
        let last = at + 1 == path.len();
        if segment == "**" {
            stack.push((node, at + 1));
            for (_, child) in node.entries() {
                stack.push((child, at));
            }
            for child in node.items() {
                stack.push((child, at));
            }
            continue;
        }
        for (key, value) in node.entries() {
            if segment == "*" || key.str() == Some(segment.as_str()) {
                if last {
                    found.push(key.span());
                } else {
                    stack.push((value, at + 1));
                }
            }
        }
        if segment == "*" {
            for item in node.items() {
                if !last {
                    stack.push((item, at + 1));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `kfp==2.14.3` pins in executor commands: the KFP runtime inside the pod, with their spans.
/// Tasks share executors: each command item is read once (by span), and its offset map is
/// built once for all its pins.
fn runtime_pins(src: &str, pipeline: &Pipeline) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let mut items_read = HashSet::new();
    let mut pins_seen = HashSet::new();
    let commands = pipeline
        .steps
        .iter()
        .flat_map(|step| &step.containers)
        .flat_map(|container| &container.command);
    for item in commands {
        if !items_read.insert(item.span) {
            continue;
        }
        let text = &item.value;
        let spans = ScalarSpans::new(src, item);
        for (at, _) in text.match_indices("kfp==") {
            let version: String = text[at + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            if version.is_empty() {
                continue;
            }
            let span = spans.span(at..at + 5 + version.len());
            // Pins of a scalar whose offsets cannot be mapped all land on the whole scalar.
            if pins_seen.insert(span) {
                out.push((span, version));
            }
        }
    }
    out
}

fn same_release(a: &str, b: &str) -> bool {
    // `kfp-2.0.0-beta.16` vs `2.0.0b16`: compare normalised numbers and pre-release tags.
    let norm = |s: &str| -> String {
        s.trim_start_matches("kfp-")
            .to_ascii_lowercase()
            .replace("-beta.", "b")
            .replace("-alpha.", "a")
            .replace("-rc.", "rc")
            .replace('-', "")
    };
    norm(a) == norm(b)
}

impl SdkBackendVersionMismatch {
    fn check_kfp(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let sdk = pipeline.sdk_version.as_ref();
        // Skew inside the file: the runtime pinned in the executors vs the compiling SDK.
        for (span, runtime) in runtime_pins(cx.src, pipeline) {
            if let Some(sdk) = sdk {
                if !same_release(&sdk.value, &runtime) {
                    out.push(
                        self.finding(
                            pipeline,
                            Severity::Warning,
                            span,
                            format!(
                                "pipeline \"{}\" was compiled by {} but its executors install `kfp=={runtime}` at run time",
                                pipeline.display_name(),
                                sdk.value
                            ),
                            "the KFP runtime inside the pod",
                            "recompile the pipeline with the SDK it installs (or install the SDK it was compiled with): the IR header and the runtime should be one release, or the executor may read or write fields the other does not know",
                        )
                        .related(sdk.span, format!("compiled by {}", sdk.value)),
                    );
                }
            }
            if let (Some(target), Some(v)) =
                (cx.config.kfp_backend_version, Version::parse(&runtime))
            {
                if (v == Version(2, 15, 0) || v == Version(2, 15, 1)) && target < Version(2, 15, 0)
                {
                    out.push(self.finding(
                        pipeline,
                        Severity::Error,
                        span,
                        format!("`kfp=={runtime}` writes `custom_path` into output metadata, which the launcher of KFP backend {target} rejects"),
                        "known-bad runtime for this backend",
                        "use kfp 2.15.2 or later in the component (`packages_to_install`/base image), which no longer writes `custom_path` for older backends",
                    ));
                }
            }
        }
        let Some(target) = cx.config.kfp_backend_version else {
            return;
        };
        if let Some(schema) = &pipeline.schema_version {
            if target >= Version(2, 0, 0) && schema.value != "2.1.0" {
                out.push(self.finding(
                    pipeline,
                    Severity::Error,
                    schema.span,
                    format!("pipeline \"{}\" has schemaVersion {}; KFP backend {target} accepts only 2.1.0", pipeline.display_name(), schema.value),
                    "the backend rejects this schema version",
                    "recompile with KFP SDK 2.x (`kfp dsl compile` or `kfp.compiler.Compiler().compile`); IR from KFP 1.8's `kfp.v2.compiler` targets Vertex AI or the 1.8 backend only",
                ));
            }
        }
        if let Some(sdk) = sdk {
            if let Some(v) = Version::parse(&sdk.value) {
                if (v.0, v.1) > (target.0, target.1) && v.0 == target.0 {
                    out.push(self.finding(
                        pipeline,
                        Severity::Warning,
                        sdk.span,
                        format!("pipeline \"{}\" was compiled by {} for KFP backend {target}; fields a newer SDK writes may be rejected", pipeline.display_name(), sdk.value),
                        "newer than the target backend",
                        "compile with the SDK release that matches the backend (pin `kfp==` in the environment that compiles), or upgrade the backend",
                    ));
                }
            }
        }
        // Fields the target backend does not know (PipelineSpec and PlatformSpec documents).
        let mut roots: Vec<NodeRef<'_>> = Vec::new();
        for doc in &cx.yaml.documents {
            let Some(root) = doc.root(cx.src) else {
                continue;
            };
            if doc.index == pipeline.document {
                // The spec may be embedded (PipelineJob, PipelineVersion): find it by span.
                if let Some(spec) = doc
                    .all_nodes(cx.src)
                    .find(|n| n.span() == pipeline.span && n.is_mapping())
                {
                    roots.push(spec);
                }
                if let Some(platform) = root.path(&["spec", "platformSpec"]) {
                    roots.push(platform);
                }
            } else if doc.index == pipeline.document + 1 && root.get("platforms").is_some() {
                roots.push(root);
            }
        }
        for row in &TABLE.kfp {
            let Some(added) = row.added else { continue };
            if target >= added {
                continue;
            }
            for root in &roots {
                for span in find_keys(*root, &row.path) {
                    let field = row.path.last().map_or("", String::as_str);
                    out.push(self.finding(
                        pipeline,
                        Severity::Error,
                        span,
                        format!("`{field}` needs KFP backend {added} or later; the target is {target}"),
                        "unknown to the target backend",
                        &format!(
                            "the backend rejects IR with fields it does not know; upgrade the backend to {added}, or drop the setting from the pipeline source and recompile{} (source: {})",
                            row.sdk.as_ref().map(|s| format!(" (it is written by SDK {s} and later)")).unwrap_or_default(),
                            row.source
                        ),
                    ));
                }
            }
        }
    }

    fn check_argo(
        &self,
        cx: &FileContext<'_>,
        pipeline: &Pipeline,
        kind: ArgoKind,
        flavor: ArgoFlavor,
        out: &mut Vec<Finding>,
    ) {
        if flavor == ArgoFlavor::KfpV1 {
            if let Some(target) = cx
                .config
                .kfp_backend_version
                .filter(|t| *t >= Version(2, 0, 0))
            {
                let at = pipeline
                    .sdk_version
                    .as_ref()
                    .map_or(pipeline.span, |s| s.span);
                let at = if at == pipeline.span {
                    Span::new(at.start, at.start)
                } else {
                    at
                };
                out.push(self.finding(
                    pipeline,
                    Severity::Error,
                    at,
                    format!("pipeline \"{}\" was compiled by the KFP v1 SDK, but the target is KFP backend {target}", pipeline.display_name()),
                    "KFP v1 output (Argo YAML)",
                    "a KFP 2.x backend does not run v1-compiled Argo YAML as a v2 pipeline: port the pipeline to the KFP v2 SDK and compile it to IR",
                ));
            }
        }
        let Some(target) = cx.config.argo_version else {
            return;
        };
        let Some(doc) = cx
            .yaml
            .documents
            .iter()
            .find(|d| d.index == pipeline.document)
        else {
            return;
        };
        let Some(root) = doc.root(cx.src) else { return };
        let kind_name = format!("{kind:?}");
        for row in &TABLE.argo {
            if !row.kinds.is_empty() && !row.kinds.contains(&kind_name) {
                continue;
            }
            let mut paths = vec![row.path.clone()];
            if kind == ArgoKind::CronWorkflow
                && row.kinds.is_empty()
                && row.path.first().map(String::as_str) == Some("spec")
            {
                let mut nested = vec!["spec".to_string(), "workflowSpec".to_string()];
                nested.extend(row.path[1..].iter().cloned());
                paths = vec![nested];
            }
            let field = row.path.join(".");
            for path in &paths {
                for span in find_keys(root, path) {
                    if let Some(removed) = row.removed.filter(|r| target >= *r) {
                        out.push(self.finding(
                            pipeline,
                            Severity::Error,
                            span,
                            format!("`{field}` was removed in Argo Workflows {removed}; the target is {target}"),
                            "removed in the target release",
                            &format!("use {} instead (source: {})", row.replacement.as_deref().unwrap_or("the replacement field"), row.source),
                        ));
                    } else if let Some(added) = row.added.filter(|a| target < *a) {
                        out.push(self.finding(
                            pipeline,
                            Severity::Error,
                            span,
                            format!("`{field}` needs Argo Workflows {added} or later; the target is {target}"),
                            "unknown to the target release",
                            &format!("upgrade Argo Workflows to {added} or drop the field (source: {})", row.source),
                        ));
                    }
                }
            }
        }
    }

    fn finding(
        &self,
        pipeline: &Pipeline,
        severity: Severity,
        span: Span,
        message: String,
        label: &str,
        help: &str,
    ) -> Finding {
        let mut f = Finding::new(META.id, severity, span, message)
            .label(label)
            .help(help);
        f.pipeline = Some(pipeline.display_name().to_string());
        f.document = Some(pipeline.document);
        f
    }
}

impl Rule for SdkBackendVersionMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        match pipeline.format {
            Format::KfpIr(_) => self.check_kfp(cx, pipeline, out),
            Format::Argo(kind, flavor) => self.check_argo(cx, pipeline, kind, flavor, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_row_has_a_source() {
        assert!(TABLE.kfp.len() >= 30, "{}", TABLE.kfp.len());
        assert!(TABLE.argo.len() >= 10);
        for row in TABLE.kfp.iter().chain(TABLE.argo.iter()) {
            assert!(!row.source.is_empty(), "{:?}", row.path);
            assert!(
                row.added.is_some() || row.removed.is_some(),
                "{:?}",
                row.path
            );
        }
    }

    #[test]
    fn release_names_compare_across_spellings() {
        assert!(same_release("kfp-2.0.0-beta.16", "2.0.0b16"));
        assert!(same_release("kfp-2.14.3", "2.14.3"));
        assert!(!same_release("kfp-2.13.0", "2.14.3"));
    }
}
