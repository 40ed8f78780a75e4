//! SARIF 2.1.0, the subset GitHub code scanning and SARIF viewers read: the tool and its
//! rules (descriptions and help from `rules/<id>.md`), one result per finding with its
//! region in UTF-16 columns, evidence as related locations, and a line-independent
//! partial fingerprint. Written by hand with serde, as ruff and zizmor do.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::paths::{file_uri, relative_uri, RepoRoot};
use crate::engine::{FileReport, Outcome, RunReport};
use crate::finding::Severity;
use crate::rules::{registry, RuleMeta};
use crate::yaml::Span;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The base every in-repository URI is relative to; consumers resolve it from
/// `originalUriBaseIds` or, like GitHub, from the checkout.
const SRCROOT: &str = "%SRCROOT%";
/// The key of our fingerprint in `partialFingerprints`; bump the version if
/// [`crate::finding::Finding::fingerprint`] changes.
pub const FINGERPRINT_KEY: &str = "pipelint/v1";
/// Where to learn about the tool: the package's homepage or repository if Cargo.toml names
/// one, else the crate's page on the registry it will be published to.
const INFORMATION_URI: &str = {
    let homepage = env!("CARGO_PKG_HOMEPAGE");
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !homepage.is_empty() {
        homepage
    } else if !repository.is_empty() {
        repository
    } else {
        "https://crates.io/crates/pipelint"
    }
};

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    /// The rule's documentation online (`docs-url`), when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: &'static [&'static str],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    /// The finding's fix (SARIF §3.55): one artifact change, its replacements.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    /// `safe` or `unsafe` (SARIF has no word for it).
    applicability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

/// `deletedRegion` replaced by `insertedContent` (an empty region: an insertion).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pipeline: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    step_path: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    also_steps: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// 1-based lines and UTF-16 columns (the run's `columnKind`); `endColumn` is exclusive.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Tags GitHub shows and filters by. Rules not listed get the generic pair.
fn tags(rule: &str) -> &'static [&'static str] {
    match rule {
        "unpinned-image" => &["ml-pipelines", "reproducibility", "supply-chain"],
        "missing-resource-limits" => &["ml-pipelines", "reliability", "resources"],
        "malformed-pipeline" => &["ml-pipelines", "correctness"],
        "yaml-syntax" => &["ml-pipelines", "correctness", "syntax"],
        "duplicate-key" => &["ml-pipelines", "correctness", "yaml"],
        _ => &["ml-pipelines", "reliability"],
    }
}

/// `unpinned-image` -> `UnpinnedImage`, the form SARIF suggests for `name`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The paragraphs of a rule page up to the first `## ` heading after the title: the
/// one-sentence summary the template asks for.
fn doc_summary(doc: &str) -> Option<String> {
    let body = doc.split_once('\n').map_or("", |(_, rest)| rest);
    let intro = body.split("\n## ").next().unwrap_or("");
    let text = intro.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// The first paragraph of a `## heading` section, unwrapped to one line.
fn doc_section_paragraph(doc: &str, heading: &str) -> Option<String> {
    let marker = format!("\n## {heading}\n");
    let (_, rest) = doc.split_once(&marker)?;
    let section = rest.split("\n## ").next().unwrap_or("");
    let paragraph = section.trim_start().split("\n\n").next().unwrap_or("");
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn descriptor(meta: &'static RuleMeta) -> ReportingDescriptor {
    let summary = doc_summary(meta.doc).unwrap_or_else(|| meta.summary.to_string());
    let full = match doc_section_paragraph(meta.doc, "Why it matters") {
        Some(why) => format!("{summary} {why}"),
        None => summary.clone(),
    };
    ReportingDescriptor {
        id: meta.id,
        name: pascal_case(meta.id),
        short_description: Text { text: summary },
        full_description: Text { text: full },
        help: Help {
            text: meta.doc,
            markdown: meta.doc,
        },
        default_configuration: Configuration {
            level: level(meta.default_severity),
        },
        help_uri: None,
        properties: RuleProperties {
            tags: tags(meta.id),
        },
    }
}

/// Where a file is: relative to `%SRCROOT%` inside the repository, else an absolute URI.
fn artifact(root: &RepoRoot, path: &str) -> ArtifactLocation {
    match root.relative(path) {
        Some(rel) => ArtifactLocation {
            uri: relative_uri(&rel),
            uri_base_id: Some(SRCROOT),
        },
        None => ArtifactLocation {
            uri: file_uri(&root.absolute(path)),
            uri_base_id: None,
        },
    }
}

fn region(file: &FileReport, span: Span) -> Region {
    let start = file.lines.line_col(span.start);
    let end = file.lines.line_col(span.end.max(span.start));
    Region {
        start_line: start.line,
        start_column: start.column_utf16,
        end_line: end.line,
        end_column: end.column_utf16,
    }
}

fn location(
    root: &RepoRoot,
    file: &FileReport,
    span: Span,
    id: Option<usize>,
    message: &str,
) -> Location {
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: artifact(root, &file.path),
            region: Some(region(file, span)),
        },
        message: (!message.is_empty()).then(|| Text {
            text: message.to_string(),
        }),
    }
}

/// A Python place a KFP IR finding maps to.
fn source_location(root: &RepoRoot, source: &crate::finding::SourceLocation) -> Location {
    Location {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: artifact(root, &source.path),
            region: Some(Region {
                start_line: source.start.line,
                start_column: source.start.column_utf16,
                end_line: source.end.line,
                end_column: source.end.column_utf16,
            }),
        },
        message: Some(Text {
            text: source.message.clone(),
        }),
    }
}

/// The whole report as one SARIF log with one run.
pub fn render_sarif(report: &RunReport, root: &RepoRoot) -> String {
    let rules = registry::all();
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.meta().id, i))
        .collect();
    let mut descriptors: Vec<ReportingDescriptor> =
        rules.iter().map(|r| descriptor(r.meta())).collect();
    // The URL a finding of the rule carries (every file's config gives the same template
    // in practice; the first one found is kept).
    for (_, f) in report.findings() {
        if let (Some(url), Some(&i)) = (&f.url, index.get(f.rule)) {
            descriptors[i]
                .help_uri
                .get_or_insert_with(|| url.to_string());
        }
    }
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for file in &report.files {
        if let Outcome::Unreadable(reason) = &file.outcome {
            notifications.push(Notification {
                level: "warning",
                message: Text {
                    text: format!("{}: could not be read: {reason}", file.path),
                },
                locations: vec![Location {
                    id: None,
                    physical_location: PhysicalLocation {
                        artifact_location: artifact(root, &file.path),
                        region: None,
                    },
                    message: None,
                }],
            });
        }
        let shown = root.display(&file.path);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in &file.findings {
            let rule_index = match index.get(f.rule) {
                Some(&i) => i,
                // A finding of a rule outside the registry still needs a descriptor.
                None => {
                    descriptors.push(ReportingDescriptor {
                        id: f.rule,
                        name: pascal_case(f.rule),
                        short_description: Text {
                            text: f.rule.into(),
                        },
                        full_description: Text {
                            text: f.rule.into(),
                        },
                        help: Help {
                            text: "",
                            markdown: "",
                        },
                        default_configuration: Configuration {
                            level: level(f.severity),
                        },
                        help_uri: None,
                        properties: RuleProperties { tags: tags(f.rule) },
                    });
                    descriptors.len() - 1
                }
            };
            let fingerprint = f.fingerprint(&shown, &file.source);
            let n = seen.entry(fingerprint.clone()).or_insert(0);
            *n += 1;
            let mut message = f.message.clone();
            if !f.also_steps.is_empty() {
                message.push_str(&format!(" (also used by {})", f.also_steps.join(", ")));
            }
            if !f.help.is_empty() {
                message.push_str(&format!("\nhelp: {}", f.help));
            }
            // The IR's own locations, then the Python ones; with `--report-at source` the
            // first Python place is the result's location and the IR span a related one.
            // The fix names its artifact (the IR file), so it stays coherent either way.
            let ir = location(root, file, f.span, None, &f.label);
            let mut related: Vec<Location> = f
                .related
                .iter()
                .map(|l| location(root, file, l.span, None, &l.message))
                .collect();
            let mut python = f.sources.iter().map(|s| source_location(root, s));
            let locations = match f.sources.first().filter(|_| f.at_source) {
                Some(_) => {
                    let first = python.next().into_iter().collect();
                    related.insert(0, ir);
                    first
                }
                None => vec![ir],
            };
            related.extend(python);
            for (i, l) in related.iter_mut().enumerate() {
                l.id = Some(i + 1);
            }
            results.push(SarifResult {
                rule_id: f.rule,
                rule_index,
                level: level(f.severity),
                message: Text { text: message },
                locations,
                related_locations: related,
                partial_fingerprints: BTreeMap::from([(
                    FINGERPRINT_KEY,
                    format!("{fingerprint}:{n}"),
                )]),
                fixes: f
                    .fix
                    .iter()
                    .map(|fix| SarifFix {
                        description: Text {
                            text: fix.message.clone(),
                        },
                        artifact_changes: vec![ArtifactChange {
                            artifact_location: artifact(root, &file.path),
                            replacements: fix
                                .edits
                                .iter()
                                .map(|e| Replacement {
                                    deleted_region: region(file, e.span),
                                    inserted_content: Text {
                                        text: e.new_text.clone(),
                                    },
                                })
                                .collect(),
                        }],
                        properties: FixProperties {
                            applicability: fix.applicability.as_str(),
                        },
                    })
                    .collect(),
                properties: ResultProperties {
                    pipeline: f.pipeline.as_deref(),
                    step: f.step.as_deref(),
                    step_path: &f.step_path,
                    also_steps: &f.also_steps,
                    document: f.document,
                },
            });
        }
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "pipelint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: descriptors,
                },
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: root.root_uri(),
                    uri_base_id: None,
                },
            )]),
            column_kind: "utf16CodeUnits",
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise SARIF: {e}\"}}"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_docs_give_summary_and_full_description() {
        let doc = "# a-rule\n\nOne sentence,\nwrapped.\n\n## What it checks\n\nX.\n\n## Why it matters\n\nIt breaks\nat night.\n\nMore.\n";
        assert_eq!(doc_summary(doc).as_deref(), Some("One sentence, wrapped."));
        assert_eq!(
            doc_section_paragraph(doc, "Why it matters").as_deref(),
            Some("It breaks at night.")
        );
        assert_eq!(doc_section_paragraph(doc, "Options"), None);
        assert_eq!(
            pascal_case("missing-resource-limits"),
            "MissingResourceLimits"
        );
    }

    #[test]
    fn every_registered_rule_has_descriptions_from_its_doc() {
        for rule in registry::all() {
            let d = descriptor(rule.meta());
            assert!(!d.short_description.text.is_empty(), "{}", d.id);
            assert!(
                d.full_description
                    .text
                    .starts_with(&d.short_description.text),
                "{}",
                d.id
            );
            assert_eq!(d.help.markdown, rule.meta().doc);
            assert_eq!(d.name, pascal_case(d.id));
        }
    }
}
