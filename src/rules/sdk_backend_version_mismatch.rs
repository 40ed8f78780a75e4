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
    /// How a message names the field, when its last key alone says too little
    /// (`secretAsEnv.optional` rather than `optional`).
    shown: Option<String>,
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
                    shown: text("shown"),
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

/// One series of `rules/sdk-backend-version-mismatch.releases.yaml`.
#[derive(Debug)]
struct Release {
    /// `(major, minor)` of a KFP backend or Argo release series.
    series: (u32, u32),
    /// KFP: the SDK series the backend shipped with.
    sdk: Option<String>,
    source: String,
}

struct Releases {
    kfp: Vec<Release>,
    argo: Vec<Release>,
}

const RELEASES_TEXT: &str = include_str!("../../rules/sdk-backend-version-mismatch.releases.yaml");

static RELEASES: LazyLock<Releases> = LazyLock::new(|| {
    let file = parse(RELEASES_TEXT, &ParseLimits::default());
    let root = file.documents.first().and_then(|d| d.root(RELEASES_TEXT));
    let rows = |section: &str, key: &str| -> Vec<Release> {
        let mut rows: Vec<Release> = root
            .and_then(|r| r.get(section))
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(|row| {
                let text = |k: &str| row.get(k).and_then(|v| v.scalar_text()).map(str::to_string);
                let v = Version::parse(&text(key)?)?;
                Some(Release {
                    series: (v.0, v.1),
                    sdk: text("sdk"),
                    source: text("source").unwrap_or_default(),
                })
            })
            .collect();
        rows.sort_by_key(|r| r.series);
        rows
    };
    Releases {
        kfp: rows("kfp", "backend"),
        argo: rows("argo", "release"),
    }
});

/// Whether a target version is one the release table knows.
#[derive(Debug, PartialEq, Eq)]
enum Known<'a> {
    /// A listed series (any patch release of it).
    Release(&'a Release),
    /// Below the oldest or above the newest series listed: the tables say nothing.
    Beyond { newest: (u32, u32) },
    /// Between listed series, where no release exists: the nearest below and above.
    Never(Option<&'a Release>, Option<&'a Release>),
}

fn known(releases: &[Release], target: Version) -> Known<'_> {
    let series = (target.0, target.1);
    let (Some(first), Some(last)) = (releases.first(), releases.last()) else {
        return Known::Beyond { newest: series };
    };
    if series < first.series || series > last.series {
        return Known::Beyond {
            newest: last.series,
        };
    }
    match releases.iter().find(|r| r.series == series) {
        Some(r) => Known::Release(r),
        None => Known::Never(
            releases.iter().rev().find(|r| r.series < series),
            releases.iter().find(|r| r.series > series),
        ),
    }
}

impl PartialEq for Release {
    fn eq(&self, other: &Self) -> bool {
        self.series == other.series
    }
}
impl Eq for Release {}

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
fn runtime_pins<'a>(src: &str, pipeline: &'a Pipeline) -> Vec<(Span, &'a str)> {
    let mut out = Vec::new();
    let mut items_read = HashSet::new();
    let mut pins_seen = HashSet::new();
    let commands = pipeline
        .steps
        .iter()
        .flat_map(|step| &step.containers)
        .flat_map(|container| &container.command);
    for item in commands {
        // Most command items pin nothing: they are ruled out before they are hashed.
        if !item.value.contains("kfp==") || !items_read.insert(item.span) {
            continue;
        }
        let text = &item.value;
        let spans = ScalarSpans::new(src, item);
        for (at, _) in text.match_indices("kfp==") {
            // Made in one piece: the characters it takes are ASCII.
            let rest = &text[at + 5..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(rest.len());
            let version = &rest[..end];
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

#[cfg(test)]
fn same_release(a: &str, b: &str) -> bool {
    release_key(a) == release_key(b)
}

#[cfg(test)]
fn release_key(s: &str) -> String {
    let mut key = String::new();
    release_key_into(s, &mut String::new(), &mut key);
    key
}

/// A release name normalised for comparison: `kfp-2.0.0-beta.16` and `2.0.0b16` are both
/// `2.0.0b16` (numbers and pre-release tags).
///
/// One pass: every pattern starts with the only `-` it holds, so no two matches overlap and
/// no replacement makes a new one; the result is that of replacing each in turn.
///
/// Written into `out` (emptied first), through `lower`: buffers a caller keeps for many
/// names.
fn release_key_into(s: &str, lower: &mut String, out: &mut String) {
    lower.clear();
    lower.push_str(s.trim_start_matches("kfp-"));
    lower.make_ascii_lowercase();
    out.clear();
    let mut parts = lower.split('-');
    out.push_str(parts.next().unwrap_or_default());
    for part in parts {
        // `part` follows a `-`, which is dropped, or taken with what follows as one tag.
        let (tag, rest) = if let Some(rest) = part.strip_prefix("beta.") {
            ("b", rest)
        } else if let Some(rest) = part.strip_prefix("alpha.") {
            ("a", rest)
        } else if let Some(rest) = part.strip_prefix("rc.") {
            ("rc", rest)
        } else {
            ("", part)
        };
        out.push_str(tag);
        out.push_str(rest);
    }
}

impl SdkBackendVersionMismatch {
    fn check_kfp(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let sdk = pipeline.sdk_version.as_ref();
        // The SDK's name normalised once, not once per pin.
        let mut lower = String::new();
        let sdk_release = sdk.map(|sdk| {
            let mut key = String::new();
            release_key_into(&sdk.value, &mut lower, &mut key);
            key
        });
        // Each pin's key, written in one buffer.
        let mut runtime_release = String::new();
        // Skew inside the file: the runtime pinned in the executors vs the compiling SDK.
        for (span, runtime) in runtime_pins(cx.src, pipeline) {
            if let (Some(sdk), Some(sdk_release)) = (sdk, &sdk_release) {
                release_key_into(runtime, &mut lower, &mut runtime_release);
                if *sdk_release != runtime_release {
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
            // The runtime's version is read only when there is a backend to compare it with.
            if let Some((target, v)) = cx
                .config
                .kfp_backend_version
                .and_then(|target| Some((target, Version::parse(runtime)?)))
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
        // SDK and backend numbers were different series before 2.14 (backend 2.5.0 shipped
        // with SDK 2.13): no comparison of the two numbers; the fields decide.
        let shipped_sdk = match known(&RELEASES.kfp, target) {
            Known::Release(release) => release.sdk.clone(),
            Known::Never(below, above) => {
                out.push(self.never_released(pipeline, "KFP backend", target, below, above));
                return;
            }
            Known::Beyond { newest } => {
                if (target.0, target.1) > newest {
                    out.push(self.beyond_tables(pipeline, "KFP backend", target, newest));
                }
                None
            }
        };
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
                    let field = row
                        .shown
                        .as_deref()
                        .or_else(|| row.path.last().map(String::as_str))
                        .unwrap_or("");
                    out.push(self.finding(
                        pipeline,
                        Severity::Error,
                        span,
                        format!("`{field}` needs KFP backend {added} or later; the target is {target}"),
                        "unknown to the target backend",
                        format!(
                            "the backend rejects IR with fields it does not know; upgrade the backend to {added}, or drop the setting from the pipeline source and recompile{}{} (source: {})",
                            row.sdk.as_ref().map(|s| format!(" (it is written by SDK {s} and later)")).unwrap_or_default(),
                            shipped_sdk.as_ref().map(|s| format!("; backend {}.{} shipped with SDK {s}", target.0, target.1)).unwrap_or_default(),
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
                if let Known::Never(below, above) = known(&RELEASES.kfp, target) {
                    out.push(self.never_released(pipeline, "KFP backend", target, below, above));
                } else {
                    out.push(self.finding(
                        pipeline,
                        Severity::Warning,
                        at,
                        format!("pipeline \"{}\" was compiled by the KFP v1 SDK, which is deprecated; the target KFP backend {target} still runs it, as a v1 pipeline", pipeline.display_name()),
                        "KFP v1 output (Argo YAML)",
                        "a KFP 2.x backend runs v1 pipelines with v1 features only (the old UI, no v2 artifacts, caching or PlatformSpec); port the pipeline to the KFP v2 SDK and compile it to IR before v1 support goes",
                    ));
                }
            }
        }
        let Some(target) = cx.config.argo_version else {
            return;
        };
        match known(&RELEASES.argo, target) {
            Known::Never(below, above) => {
                out.push(self.never_released(pipeline, "Argo Workflows", target, below, above));
                return;
            }
            Known::Beyond { newest } if (target.0, target.1) > newest => {
                out.push(self.beyond_tables(pipeline, "Argo Workflows", target, newest));
            }
            _ => {}
        }
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
                            format!("use {} instead (source: {})", row.replacement.as_deref().unwrap_or("the replacement field"), row.source),
                        ));
                    } else if let Some(added) = row.added.filter(|a| target < *a) {
                        out.push(self.finding(
                            pipeline,
                            Severity::Error,
                            span,
                            format!("`{field}` needs Argo Workflows {added} or later; the target is {target}"),
                            "unknown to the target release",
                            format!("upgrade Argo Workflows to {added} or drop the field (source: {})", row.source),
                        ));
                    }
                }
            }
        }
    }

    /// A target version that no release has: an error naming the nearest releases, rather
    /// than a guess at what it runs.
    fn never_released(
        &self,
        pipeline: &Pipeline,
        what: &str,
        target: Version,
        below: Option<&Release>,
        above: Option<&Release>,
    ) -> Finding {
        let name = |r: &Release| format!("{}.{}", r.series.0, r.series.1);
        let nearest: Vec<String> = below.iter().chain(above.iter()).map(|r| name(r)).collect();
        let at = pipeline
            .sdk_version
            .as_ref()
            .map_or(Span::new(pipeline.span.start, pipeline.span.start), |s| {
                s.span
            });
        let sources: Vec<&str> = below
            .iter()
            .chain(above.iter())
            .map(|r| r.source.as_str())
            .collect();
        self.finding(
            pipeline,
            Severity::Error,
            at,
            format!(
                "the target {what} {target} was never released (the nearest releases are {}); pipelint cannot tell what it accepts",
                nearest.join(" and ")
            ),
            "checked against an unreleased version",
            format!(
                "set `{}` (or `--{}`) to the release the cluster runs: {} (sources: {})",
                if what == "Argo Workflows" { "argo-version" } else { "kfp-backend-version" },
                if what == "Argo Workflows" { "argo-version" } else { "kfp-backend-version" },
                nearest.iter().map(|n| format!("{n}.x")).collect::<Vec<_>>().join(" or "),
                sources.join("; ")
            ),
        )
    }

    /// A target newer than every release the tables know: accepted, and said so once.
    fn beyond_tables(
        &self,
        pipeline: &Pipeline,
        what: &str,
        target: Version,
        newest: (u32, u32),
    ) -> Finding {
        let at = pipeline
            .sdk_version
            .as_ref()
            .map_or(Span::new(pipeline.span.start, pipeline.span.start), |s| {
                s.span
            });
        self.finding(
            pipeline,
            Severity::Info,
            at,
            format!(
                "the target {what} {target} is newer than the release tables of this pipelint, which stop at {}.{}: fields added after that release are not checked",
                newest.0, newest.1
            ),
            "newer than the tables",
            "nothing to do if the version is right; a newer pipelint knows more releases",
        )
    }

    fn finding(
        &self,
        pipeline: &Pipeline,
        severity: Severity,
        span: Span,
        message: String,
        label: &'static str,
        help: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Finding {
        let mut f = Finding::new(META.id, severity, span, message)
            .label(label)
            .help(help);
        f.pipeline = Some(pipeline.shared_display_name().clone());
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
    fn the_release_table_knows_which_versions_exist() {
        assert!(RELEASES
            .kfp
            .iter()
            .chain(RELEASES.argo.iter())
            .all(|r| !r.source.is_empty()));
        let series = |k: Known<'_>| match k {
            Known::Never(below, above) => (below.map(|r| r.series), above.map(|r| r.series)),
            other => panic!("{other:?}"),
        };
        // Backend 2.5.0 was followed by 2.14.0: nothing in between was ever released.
        assert_eq!(
            series(known(&RELEASES.kfp, Version(2, 13, 0))),
            (Some((2, 5)), Some((2, 14)))
        );
        assert!(
            matches!(known(&RELEASES.kfp, Version(2, 5, 3)), Known::Release(r) if r.sdk.as_deref() == Some("2.13"))
        );
        assert!(
            matches!(known(&RELEASES.kfp, Version(2, 99, 0)), Known::Beyond { newest } if newest >= (2, 17))
        );
        assert!(matches!(
            known(&RELEASES.kfp, Version(0, 5, 0)),
            Known::Beyond { .. }
        ));
        assert_eq!(
            series(known(&RELEASES.argo, Version(3, 9, 0))),
            (Some((3, 7)), Some((4, 0)))
        );
        assert!(matches!(
            known(&RELEASES.argo, Version(3, 6, 7)),
            Known::Release(_)
        ));
    }

    #[test]
    fn release_keys_are_those_of_replacing_each_spelling_in_turn() {
        let replaced = |s: &str| {
            s.trim_start_matches("kfp-")
                .to_ascii_lowercase()
                .replace("-beta.", "b")
                .replace("-alpha.", "a")
                .replace("-rc.", "rc")
                .replace('-', "")
        };
        for name in [
            "kfp-2.0.0-beta.16",
            "kfp-kfp-2.0.0-ALPHA.3",
            "2.0.0-rc.1",
            "2.0.0--beta.1-",
            "-rc.-beta.-alpha.x",
            "2.0.0-beta",
            "2.0.0-betà.1-é",
            "",
            "-",
        ] {
            assert_eq!(release_key(name), replaced(name), "{name:?}");
        }
        assert_eq!(release_key("kfp-2.0.0-Beta.16"), "2.0.0b16");
    }

    #[test]
    fn release_names_compare_across_spellings() {
        assert!(same_release("kfp-2.0.0-beta.16", "2.0.0b16"));
        assert!(same_release("kfp-2.14.3", "2.14.3"));
        assert!(!same_release("kfp-2.13.0", "2.14.3"));
    }
}
