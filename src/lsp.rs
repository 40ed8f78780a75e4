//! `pipelint lsp`: the engine behind the language server. The protocol lives in the
//! `pipelint-lsp` crate (`lsp/`); this module implements its [`Analyzer`] with the same
//! engine, rules and `.pipelint.yaml` discovery as `pipelint check`.

mod config_help;
mod kfp_source;
mod navigate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pipelint_lsp::{
    Analysis, Analyzer, Completion, DocumentRef, Edit, Finding as LspFinding, Fix, FixKind,
    LintOptions, Offer, Related, Severity as LspSeverity, Symbol, Target,
};
use serde_json::json;

use crate::config::{Config, ConfigResolver, Overrides, Selection, CONFIG_FILE};
use crate::engine::{lint_bytes, Outcome, Settings};
use crate::finding::{Finding, Severity};
use crate::fix::{ignore_comment, Applicability, TextEdit};
use crate::formats::adapt_file;
use crate::limits::{self, CancelOn, Meter};
use crate::rules::registry;
use crate::suppress::{REASON_PLACEHOLDER, UNUSED_SUPPRESSION};
use crate::yaml::{parse, LineIndex, Span};

/// The rule id of a problem in `.pipelint.yaml` itself, shown when that file is open.
pub const INVALID_CONFIG: &str = "invalid-config";

/// Lints documents for the language server.
///
/// The config is looked up afresh for every lint (a few `stat`s and a small parse, next to
/// milliseconds of linting), so an edited, created or deleted `.pipelint.yaml` is always
/// seen, even by an editor that does not report file changes; the ones that do get open
/// documents re-linted at once.
#[derive(Default)]
pub struct PipelintAnalyzer;

/// Runs the language server on stdin/stdout; returns the exit code.
pub fn run() -> u8 {
    pipelint_lsp::run(PipelintAnalyzer)
}

fn severity(s: Severity) -> LspSeverity {
    match s {
        Severity::Error => LspSeverity::Error,
        Severity::Warning => LspSeverity::Warning,
        Severity::Info => LspSeverity::Info,
    }
}

fn range(span: Span) -> std::ops::Range<usize> {
    span.start as usize..span.end.max(span.start) as usize
}

fn to_lsp(f: &Finding) -> LspFinding {
    let mut message = f.message.clone();
    if !f.also_steps.is_empty() {
        message.push_str(&format!(" (also used by {})", f.also_steps.join(", ")));
    }
    LspFinding {
        rule: f.rule.to_string(),
        severity: severity(f.severity),
        message,
        label: f.label.to_string(),
        help: f.help.to_string(),
        span: range(f.span),
        related: f
            .related
            .iter()
            .map(|l| Related {
                span: range(l.span),
                message: l.message.to_string(),
            })
            .collect(),
        doc_url: None,
        // The finding's own fix, and where an ignore comment for its step may go: code actions
        // are built from these, without linting again.
        data: Some(json!({
            "fix": f.fix.as_ref().map(|fix| json!({
                "message": fix.message,
                "applicability": fix.applicability.as_str(),
                "edits": fix.edits.iter().map(|e| json!({
                    "start": e.span.start,
                    "end": e.span.end,
                    "text": e.new_text,
                })).collect::<Vec<_>>(),
            })),
            "step_start": f.step_span.map(|s| s.start),
            "document": f.document,
        })),
        sources: Vec::new(),
    }
}

/// The quick fix carried in a diagnostic's data (see [`to_lsp`]).
fn carried_fix(f: &LspFinding) -> Option<Fix> {
    let fix = f.data.as_ref()?.get("fix")?;
    let safe = fix.get("applicability")?.as_str()? == Applicability::Safe.as_str();
    let message = fix.get("message")?.as_str()?;
    let edits = fix
        .get("edits")?
        .as_array()?
        .iter()
        .map(|e| {
            Some(Edit {
                span: e.get("start")?.as_u64()? as usize..e.get("end")?.as_u64()? as usize,
                new_text: e.get("text")?.as_str()?.to_string(),
            })
        })
        .collect::<Option<Vec<Edit>>>()?;
    let mut title = capitalized(message);
    if !safe {
        title.push_str(" (unsafe: changes what runs)");
    }
    Some(Fix {
        title,
        kind: FixKind::QuickFix,
        edits,
        preferred: safe,
        placeholder: None,
    })
}

/// Findings no ignore comment is offered for: about the config, about a suppression itself
/// (reported after suppressions are applied: no comment silences it), and about a file too
/// large to read (nothing of it is parsed to place a comment in).
fn never_ignored(rule: &str) -> bool {
    matches!(
        rule,
        INVALID_CONFIG | UNUSED_SUPPRESSION | "input-too-large"
    )
}

/// The ignore action's title: where the comment goes (the flagged line, or the line that
/// opens the step or the pipeline when that one cannot carry it) is known only once the
/// document is parsed, when the action is chosen.
fn ignore_title(rule: &str) -> String {
    format!("Ignore {rule} with a comment")
}

/// A JSON document cannot carry a comment (the first byte that is not a space opens it).
fn is_json_text(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn edit(e: TextEdit) -> Edit {
    Edit {
        span: range(e.span),
        new_text: e.new_text,
    }
}

/// The client's `select` and `ignore`, as `--select` and `--ignore`.
fn overrides(options: &LintOptions) -> Overrides {
    Overrides {
        selection: Selection {
            select: (!options.select.is_empty()).then(|| options.select.clone()),
            extend_select: Vec::new(),
            ignore: options.ignore.clone(),
        },
        ..Overrides::default()
    }
}

fn is_config_file(path: Option<&Path>) -> bool {
    path.and_then(Path::file_name)
        .is_some_and(|name| name == CONFIG_FILE)
}

impl PipelintAnalyzer {
    /// The config for a document: the nearest `.pipelint.yaml` above its file (above its
    /// workspace folder for an unsaved one), as `pipelint check` finds it. A broken config
    /// is reported once and the defaults are used, so the editor keeps working.
    ///
    /// The client's settings apply as the same command-line options would: `configPath` as
    /// `--config-file`, `select` and `ignore` as `--select` and `--ignore`.
    fn config_for(&self, doc: &DocumentRef<'_>) -> (Arc<Config>, Option<String>) {
        let anchor: Option<PathBuf> = doc
            .path
            .map(Path::to_path_buf)
            .or_else(|| doc.workspace_folder.map(|f| f.join("untitled.yaml")));
        let options = doc.options;
        let explicit = options
            .config_path
            .as_ref()
            .map(|p| match doc.workspace_folder {
                Some(folder) if p.is_relative() => folder.join(p),
                _ => p.clone(),
            });
        // With an explicit config, every document gets it, wherever the document is.
        let Some(anchor) = anchor.or_else(|| explicit.as_ref().map(|_| "untitled.yaml".into()))
        else {
            return (Arc::new(Config::default()), None);
        };
        let resolved = ConfigResolver::new(explicit.as_deref(), overrides(options))
            .and_then(|mut resolver| resolver.for_file(&anchor));
        match resolved {
            Ok(config) => (config, None),
            Err(e) => (
                Arc::new(Config::default()),
                Some(format!(
                    "pipelint: {e}; linting with the default settings until it is fixed"
                )),
            ),
        }
    }

    /// `.pipelint.yaml` itself, open in the editor: its first error, at its line.
    fn check_config(doc: &DocumentRef<'_>, path: &Path) -> Analysis {
        let mut analysis = Analysis::default();
        if let Err(e) = Config::from_text(path, doc.text) {
            let lines = LineIndex::new(doc.text);
            let start = (lines.line_start(e.line) + e.column.saturating_sub(1)) as usize;
            let mut start = start.min(doc.text.len());
            while !doc.text.is_char_boundary(start) {
                start -= 1;
            }
            let end = doc.text[start..]
                .find(['\n', '\r'])
                .map_or(doc.text.len(), |i| start + i);
            analysis.findings.push(LspFinding {
                rule: INVALID_CONFIG.to_string(),
                severity: LspSeverity::Error,
                message: e.message.clone(),
                label: String::new(),
                help: String::new(),
                span: start..end,
                related: Vec::new(),
                doc_url: None,
                data: None,
                sources: Vec::new(),
            });
        }
        analysis
    }
}

impl Analyzer for PipelintAnalyzer {
    fn analyze(&self, doc: &DocumentRef<'_>) -> Option<Analysis> {
        if let Some(path) = doc.path.filter(|p| is_config_file(Some(p))) {
            return Some(Self::check_config(doc, path));
        }
        // Python is open only to show the findings of KFP IR mapped into it (the server
        // gets those from the IR's lint); it is never a pipeline itself.
        if doc
            .path
            .and_then(Path::extension)
            .is_some_and(|x| x == "py")
        {
            return None;
        }
        let (config, message) = self.config_for(doc);
        let settings = Settings {
            config,
            ..Settings::default()
        };
        let name = doc
            .path
            .map_or_else(|| doc.uri.to_string(), |p| p.display().to_string());
        // Metered work stops once the server no longer wants the result.
        let _cancel = CancelOn::new(doc.cancel.flag().clone());
        // Not `explicit`: a YAML file that is broken and does not look like a pipeline is
        // somebody else's file, and gets nothing.
        let mut report = lint_bytes(name, doc.text.as_bytes(), false, &settings);
        if doc.cancel.is_cancelled() || !matches!(report.outcome, Outcome::Pipeline(_)) {
            return None;
        }
        // KFP IR: each finding also where the Python it was compiled from is edited.
        let mut mapped = kfp_source::map(&mut report, doc, &settings);
        if doc.cancel.is_cancelled() {
            return None;
        }
        // The config's `docs-url`, when it sets one, links each finding to its rule's page
        // (before the client's `docsUrl`; the repository's pages are not linked unasked: the
        // link ends every message in editors that cannot show `codeDescription`).
        let config = &settings.config;
        let findings = report
            .findings
            .iter()
            .map(|f| LspFinding {
                doc_url: config
                    .docs_url
                    .as_ref()
                    .and_then(|_| config.rule_url(f.rule)),
                sources: mapped.as_mut().map_or_else(Vec::new, |m| m.places(f)),
                ..to_lsp(f)
            })
            .collect();
        let incomplete = mapped.as_mut().and_then(|m| m.incomplete.take());
        Some(Analysis {
            findings,
            messages: message.into_iter().chain(incomplete).collect(),
            depends_on: mapped.map(|m| m.depends_on),
        })
    }

    fn offers(&self, doc: &DocumentRef<'_>, f: &LspFinding) -> Vec<Offer> {
        let quick = carried_fix(f).map(|fix| Offer {
            title: fix.title,
            kind: fix.kind,
            preferred: fix.preferred,
        });
        let ignore = (!never_ignored(&f.rule) && !is_json_text(doc.text)).then(|| Offer {
            title: ignore_title(&f.rule),
            kind: FixKind::Suppress,
            preferred: false,
        });
        quick.into_iter().chain(ignore).collect()
    }

    fn fixes(&self, doc: &DocumentRef<'_>, findings: &[&LspFinding]) -> Vec<Vec<Fix>> {
        // Each quick fix travels in its diagnostic's data. The ignore comment needs the
        // document's comments and scalars: one parse under the limits the lint had, no model
        // and no lint; too large, nothing.
        let (config, _) = self.config_for(doc);
        let settings = config.limits.apply(&Settings {
            config: config.clone(),
            ..Settings::default()
        });
        if doc.text.len() as u64 > settings.max_file_size {
            return vec![Vec::new(); findings.len()];
        }
        let _cancel = CancelOn::new(doc.cancel.flag().clone());
        let yaml = parse(doc.text, &settings.parse_limits);
        if doc.cancel.is_cancelled() {
            return vec![Vec::new(); findings.len()];
        }
        findings
            .iter()
            .map(|f| {
                let mut fixes: Vec<Fix> = carried_fix(f).into_iter().collect();
                if never_ignored(&f.rule) {
                    return fixes;
                }
                let data = |key: &str| {
                    f.data
                        .as_ref()
                        .and_then(|d| d.get(key))
                        .and_then(serde_json::Value::as_u64)
                };
                // Where `suppress` reads a comment for this finding: its own line, then the
                // line that opens its step, or for a finding outside any step the line that
                // opens its document (the flagged line may be inside a script or a
                // multi-line string, where a comment cannot go).
                let mut anchors = vec![f.span.start as u32];
                match data("step_start") {
                    Some(step) => anchors.push(step as u32),
                    None => anchors.extend(data("document").and_then(|index| {
                        let document = yaml.documents.iter().find(|d| d.index as u64 == index)?;
                        Some(document.span.start)
                    })),
                }
                if let Some(e) =
                    ignore_comment(doc.text, &yaml, &f.rule, REASON_PLACEHOLDER, &anchors)
                {
                    fixes.push(Fix {
                        title: ignore_title(&f.rule),
                        kind: FixKind::Suppress,
                        edits: vec![edit(e)],
                        preferred: false,
                        placeholder: Some(REASON_PLACEHOLDER.to_string()),
                    });
                }
                fixes
            })
            .collect()
    }

    fn fix_all(&self, doc: &DocumentRef<'_>) -> Option<Vec<Edit>> {
        if is_config_file(doc.path) {
            return None;
        }
        let (config, _) = self.config_for(doc);
        let settings = Settings {
            config,
            ..Settings::default()
        };
        let _cancel = CancelOn::new(doc.cancel.flag().clone());
        let name = doc
            .path
            .map_or_else(|| doc.uri.to_string(), |p| p.display().to_string());
        let lint = |text: &str| lint_bytes(name.clone(), text.as_bytes(), false, &settings);
        // "Fix all" is what `pipelint check --fix` does: the safe fixes.
        let fixed = crate::fix::apply::fix_text(&name, doc.text, &lint, &|_, report| {
            crate::fix::apply::fixes_of(report, false)
        });
        if doc.cancel.is_cancelled() || !fixed.changed(doc.text) {
            return None;
        }
        // One edit over the lines that changed, so the editor keeps the rest (and the cursor).
        let (old, new) = (doc.text.as_bytes(), fixed.text.as_bytes());
        let mut start = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        while !doc.text.is_char_boundary(start) || !fixed.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut tail = old[start..]
            .iter()
            .rev()
            .zip(new[start..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        while !doc.text.is_char_boundary(old.len() - tail)
            || !fixed.text.is_char_boundary(new.len() - tail)
        {
            tail -= 1;
        }
        Some(vec![Edit {
            span: start..old.len() - tail,
            new_text: fixed.text[start..new.len() - tail].to_string(),
        }])
    }

    fn rule_doc(&self, rule: &str) -> Option<String> {
        let meta = registry::find(rule)?.meta();
        if meta.doc.trim().is_empty() {
            return Some(format!("{}.", meta.summary));
        }
        Some(meta.doc.to_string())
    }

    fn rule_summary(&self, rule: &str) -> Option<String> {
        Some(registry::find(rule)?.meta().summary.to_string())
    }

    fn definition(&self, doc: &DocumentRef<'_>, offset: usize) -> Vec<Target> {
        if is_config_file(doc.path) || doc.text.len() as u64 > limits::DEFAULT_MAX_FILE_SIZE {
            return Vec::new();
        }
        let folder = doc
            .workspace_folder
            .or_else(|| doc.path.and_then(Path::parent));
        navigate::definition(doc.text, offset, folder, limits::DEFAULT_MAX_FILE_SIZE)
    }

    fn symbols(&self, doc: &DocumentRef<'_>) -> Vec<Symbol> {
        if is_config_file(doc.path) {
            return Vec::new();
        }
        // Under the limits and work budget a lint has: past them, no outline.
        let (config, _) = self.config_for(doc);
        let settings = config.limits.apply(&Settings {
            config: config.clone(),
            ..Settings::default()
        });
        if doc.text.len() as u64 > settings.max_file_size {
            return Vec::new();
        }
        let _cancel = CancelOn::new(doc.cancel.flag().clone());
        let meter = Meter::start(settings.work_budget);
        let yaml = parse(doc.text, &settings.parse_limits);
        if limits::exhausted() {
            return Vec::new();
        }
        let pipelines = adapt_file(&yaml, doc.text).0;
        if meter.exhausted_at().is_some() {
            return Vec::new();
        }
        navigate::symbols(&pipelines)
    }

    fn completion(&self, doc: &DocumentRef<'_>, offset: usize) -> Vec<Completion> {
        if !is_config_file(doc.path) {
            return Vec::new();
        }
        config_help::completion(doc.text, offset)
    }

    fn hover_at(&self, doc: &DocumentRef<'_>, offset: usize) -> Option<String> {
        if !is_config_file(doc.path) {
            return None;
        }
        config_help::hover(doc.text, offset)
    }

    fn workspace_files(&self, folder: &Path, options: &LintOptions) -> Vec<PathBuf> {
        // As `pipelint check <folder>`: the walk, then each file's config's `exclude`.
        let Ok(inputs) = crate::discover::discover(&[folder.to_path_buf()]) else {
            return Vec::new();
        };
        let explicit = options.config_path.as_ref().map(|p| folder.join(p));
        let Ok(mut resolver) = ConfigResolver::new(explicit.as_deref(), overrides(options)) else {
            return Vec::new();
        };
        inputs
            .into_iter()
            .filter(|i| !is_config_file(Some(&i.path)))
            .filter(|i| {
                resolver
                    .for_file(&i.path)
                    .map_or(true, |c| !c.excludes(&i.path))
            })
            .map(|i| i.path)
            .collect()
    }

    fn watched_patterns(&self) -> &'static [&'static str] {
        &["**/*.yaml", "**/*.yml", "**/*.json"]
    }

    fn dependency_patterns(&self) -> &'static [&'static str] {
        // The Python that KFP IR is mapped into.
        &["**/*.py"]
    }

    fn config_file_names(&self) -> &'static [&'static str] {
        &[CONFIG_FILE]
    }

    fn max_document_size(&self) -> usize {
        limits::DEFAULT_MAX_FILE_SIZE as usize
    }

    fn server_info(&self) -> (String, String) {
        (
            "pipelint".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipelint_lsp::Cancel;

    const ARGO: &str = include_str!("../lsp/tests/e2e/fixtures/argo-bad.yaml");
    const KFP: &str = include_str!("../lsp/tests/e2e/fixtures/kfp-bad.yaml");
    /// A pipeline-level finding inside a multi-line string, and a step's finding on a line
    /// that already carries a comment.
    const STALE_SDK: &str = include_str!("../lsp/tests/e2e/fixtures/kfp-stale-sdk.yaml");

    static NOT_CANCELLED: std::sync::LazyLock<Cancel> = std::sync::LazyLock::new(Cancel::new);
    static NO_OPTIONS: std::sync::LazyLock<LintOptions> =
        std::sync::LazyLock::new(LintOptions::default);

    fn doc(text: &str) -> DocumentRef<'_> {
        DocumentRef {
            uri: "untitled:test",
            path: None,
            text,
            workspace_folder: None,
            cancel: &NOT_CANCELLED,
            options: &NO_OPTIONS,
            unsaved: &[],
        }
    }

    fn rules(a: &Analysis) -> Vec<&str> {
        a.findings.iter().map(|f| f.rule.as_str()).collect()
    }

    /// Applies the first fix of kind `kind` offered for the finding of `rule`.
    fn apply(analyzer: &PipelintAnalyzer, text: &str, rule: &str, kind: FixKind) -> Option<String> {
        let analysis = analyzer.analyze(&doc(text)).unwrap();
        let finding = analysis.findings.iter().find(|f| f.rule == rule)?;
        let fixes = analyzer.fixes(&doc(text), &[finding]);
        let fix = fixes[0].iter().find(|f| f.kind == kind)?;
        let mut out = text.to_string();
        let mut edits = fix.edits.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for e in edits {
            out.replace_range(e.span.clone(), &e.new_text);
        }
        Some(out)
    }

    #[test]
    fn only_pipelines_are_analyzed() {
        let a = PipelintAnalyzer;
        assert!(a.analyze(&doc("key: value\nlist: [1, 2]\n")).is_none());
        assert!(a.analyze(&doc("not: [yaml\n")).is_none());
        assert!(a
            .analyze(&doc("# just prose, no YAML structure at all: {{{\n"))
            .is_none());
        let argo = a.analyze(&doc(ARGO)).unwrap();
        assert!(
            rules(&argo).contains(&"unpinned-image"),
            "{:?}",
            rules(&argo)
        );
        // A Python file (open to show the KFP findings mapped into it) is never linted as
        // a pipeline, whatever its text.
        let py = Path::new("/nowhere/pipeline.py");
        assert!(a
            .analyze(&DocumentRef {
                path: Some(py),
                ..doc(ARGO)
            })
            .is_none());
        let yaml = Path::new("/nowhere/pipeline.yaml");
        assert!(a
            .analyze(&DocumentRef {
                path: Some(yaml),
                ..doc(ARGO)
            })
            .is_some());
    }

    #[test]
    fn retry_quick_fix_clears_io_step_without_retry() {
        let a = PipelintAnalyzer;
        let fixed = apply(&a, ARGO, "io-step-without-retry", FixKind::QuickFix).unwrap();
        assert!(
            fixed.contains("    - name: fetch\n      retryStrategy:\n        limit: \"3\"\n"),
            "{fixed}"
        );
        let after = a.analyze(&doc(&fixed)).unwrap();
        assert!(
            !rules(&after).contains(&"io-step-without-retry"),
            "{:?}",
            rules(&after)
        );
        assert!(
            !rules(&after).contains(&"retry-on-non-idempotent-step"),
            "{:?}",
            rules(&after)
        );
        assert!(
            !rules(&after).contains(&"malformed-pipeline"),
            "{:?}",
            rules(&after)
        );
    }

    #[test]
    fn cache_quick_fix_clears_cache_on_random_step() {
        let a = PipelintAnalyzer;
        let fixed = apply(&a, KFP, "cache-on-random-step", FixKind::QuickFix).unwrap();
        assert!(
            fixed.contains(
                "      sample-rows:\n        cachingOptions:\n          enableCache: false\n"
            ),
            "{fixed}"
        );
        // Only the random task: `train` keeps its cache.
        assert_eq!(fixed.matches("enableCache: true").count(), 1);
        let after = a.analyze(&doc(&fixed)).unwrap();
        assert!(
            !rules(&after).contains(&"cache-on-random-step"),
            "{:?}",
            rules(&after)
        );
    }

    #[test]
    fn every_finding_can_be_ignored_and_none_is_fixed_by_guessing() {
        let a = PipelintAnalyzer;
        for text in [ARGO, KFP] {
            let analysis = a.analyze(&doc(text)).unwrap();
            let findings: Vec<&LspFinding> = analysis.findings.iter().collect();
            let fixes = a.fixes(&doc(text), &findings);
            for (f, fixes) in findings.iter().zip(&fixes) {
                assert!(
                    fixes.iter().any(|x| x.kind == FixKind::Suppress),
                    "{} has no ignore action",
                    f.rule
                );
                // Nothing invents a digest.
                assert!(fixes
                    .iter()
                    .all(|x| x.edits.iter().all(|e| !e.new_text.contains("sha256"))));
                if f.rule == "unpinned-image" || f.rule == "missing-resource-limits" {
                    assert!(
                        fixes.iter().all(|x| x.kind == FixKind::Suppress),
                        "{}",
                        f.rule
                    );
                }
            }
        }
        let ignored = apply(&a, ARGO, "unpinned-image", FixKind::Suppress).unwrap();
        assert!(
            ignored.contains("--recursive]}  # pipelint: ignore[unpinned-image] <reason>\n"),
            "{ignored}"
        );
    }

    #[test]
    fn the_offers_listed_are_the_fixes_resolved() {
        let a = PipelintAnalyzer;
        for text in [ARGO, KFP, STALE_SDK] {
            let analysis = a.analyze(&doc(text)).unwrap();
            let findings: Vec<&LspFinding> = analysis.findings.iter().collect();
            let fixes = a.fixes(&doc(text), &findings);
            for (f, fixes) in findings.iter().zip(&fixes) {
                let offered: Vec<(String, FixKind, bool)> = a
                    .offers(&doc(text), f)
                    .into_iter()
                    .map(|o| (o.title, o.kind, o.preferred))
                    .collect();
                let resolved: Vec<(String, FixKind, bool)> = fixes
                    .iter()
                    .map(|x| (x.title.clone(), x.kind, x.preferred))
                    .collect();
                assert_eq!(offered, resolved, "{}", f.rule);
            }
        }
        // A JSON document cannot carry a comment: no ignore offered.
        let json_doc = r#"{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow"}"#;
        let finding = a.analyze(&doc(ARGO)).unwrap().findings[0].clone();
        assert!(a
            .offers(&doc(json_doc), &finding)
            .iter()
            .all(|o| o.kind != FixKind::Suppress));
    }

    /// The finding of `rule` whose message contains `step`, and the text after its ignore
    /// action is applied.
    fn ignore(text: &str, rule: &str, step: &str) -> String {
        let a = PipelintAnalyzer;
        let analysis = a.analyze(&doc(text)).unwrap();
        let finding = analysis
            .findings
            .iter()
            .find(|f| f.rule == rule && f.message.contains(step))
            .unwrap();
        let fixes = a.fixes(&doc(text), &[finding]);
        let fix = fixes[0]
            .iter()
            .find(|f| f.kind == FixKind::Suppress)
            .unwrap_or_else(|| panic!("no ignore action for {rule}"));
        assert_eq!(fix.placeholder.as_deref(), Some(REASON_PLACEHOLDER));
        let [edit] = fix.edits.as_slice() else {
            panic!("{:?}", fix.edits)
        };
        let mut out = text.to_string();
        out.replace_range(edit.span.clone(), &edit.new_text);
        out
    }

    fn findings_of<'a>(analysis: &'a Analysis, rule: &str) -> Vec<&'a str> {
        analysis
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.message.as_str())
            .collect()
    }

    #[test]
    fn a_pipeline_finding_inside_a_multiline_string_is_ignored_from_the_documents_first_line() {
        let a = PipelintAnalyzer;
        let before = a.analyze(&doc(STALE_SDK)).unwrap();
        assert_eq!(
            findings_of(&before, "sdk-backend-version-mismatch").len(),
            1
        );
        let ignored = ignore(
            STALE_SDK,
            "sdk-backend-version-mismatch",
            "sample-and-train",
        );
        // The flagged line is inside the string: the comment goes on the line that opens
        // the pipeline's document.
        assert!(
            ignored.contains(
                "\ncomponents:  # pipelint: ignore[sdk-backend-version-mismatch] <reason>\n"
            ),
            "{ignored}"
        );
        let after = a.analyze(&doc(&ignored)).unwrap();
        assert!(findings_of(&after, "sdk-backend-version-mismatch").is_empty());
        // It silences that finding and nothing else.
        assert!(findings_of(&after, UNUSED_SUPPRESSION).is_empty());
        assert_eq!(after.findings.len(), before.findings.len() - 1);
    }

    #[test]
    fn a_step_finding_on_a_line_with_a_comment_is_ignored_from_the_steps_first_line() {
        let a = PipelintAnalyzer;
        let before = a.analyze(&doc(STALE_SDK)).unwrap();
        let ignored = ignore(STALE_SDK, "unpinned-image", "\"train\"");
        // The image line has a comment of its own: the step's opening line takes it.
        assert!(
            ignored.contains("      train:  # pipelint: ignore[unpinned-image] <reason>\n"),
            "{ignored}"
        );
        assert!(ignored.contains("trainer:latest  # the tag is moved by the release job\n"));
        let after = a.analyze(&doc(&ignored)).unwrap();
        // The other step's unpinned image is still reported.
        assert_eq!(
            findings_of(&after, "unpinned-image"),
            ["step \"sample-rows\" runs image \"python:3.11\", not pinned by digest"]
        );
        assert!(findings_of(&after, UNUSED_SUPPRESSION).is_empty());
        assert_eq!(after.findings.len(), before.findings.len() - 1);
    }

    #[test]
    fn the_documents_first_line_silences_no_step_finding() {
        // The look-alike: a step's finding is not silenced from the document's first line.
        let text = STALE_SDK.replace(
            "\ncomponents:\n",
            "\ncomponents:  # pipelint: ignore[unpinned-image] the images are pinned at deploy\n",
        );
        let after = a_lint(&text);
        assert_eq!(findings_of(&after, "unpinned-image").len(), 2);
        assert_eq!(
            findings_of(&after, UNUSED_SUPPRESSION),
            ["the suppression comment for `unpinned-image` silences nothing here"]
        );
        // No comment silences an unused suppression: no ignore action for it.
        let unused = after
            .findings
            .iter()
            .find(|f| f.rule == UNUSED_SUPPRESSION)
            .unwrap();
        let offers = PipelintAnalyzer.offers(&doc(&text), unused);
        assert!(
            offers.iter().all(|o| o.kind != FixKind::Suppress),
            "{offers:?}"
        );
    }

    #[test]
    fn the_placeholder_reason_is_no_reason_where_one_is_required() {
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-reason-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".pipelint.yaml"),
            "require-suppression-reason: true\n",
        )
        .unwrap();
        let path = dir.join("wf.yaml");
        let lint = |text: &str| {
            PipelintAnalyzer
                .analyze(&DocumentRef {
                    uri: "file:///wf.yaml",
                    path: Some(&path),
                    text,
                    workspace_folder: Some(&dir),
                    cancel: &NOT_CANCELLED,
                    options: &NO_OPTIONS,
                    unsaved: &[],
                })
                .unwrap()
        };
        let ignored = ignore(KFP, "unpinned-image", "sample-rows");
        let after = lint(&ignored);
        // The finding is silenced, but the comment is flagged until a reason is written.
        assert!(!findings_of(&after, "unpinned-image")
            .iter()
            .any(|m| m.contains("sample-rows")));
        assert_eq!(
            findings_of(&after, UNUSED_SUPPRESSION),
            ["this suppression comment gives no reason, and the config requires one"]
        );
        // A real reason is accepted.
        let reasoned = ignored.replace(REASON_PLACEHOLDER, "the base image is rebuilt nightly");
        assert!(findings_of(&lint(&reasoned), UNUSED_SUPPRESSION).is_empty());
        // Without the requirement, the placeholder is no finding at all.
        assert!(findings_of(&a_lint(&ignored), UNUSED_SUPPRESSION).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn a_lint(text: &str) -> Analysis {
        PipelintAnalyzer.analyze(&doc(text)).unwrap()
    }

    #[test]
    fn fix_all_applies_the_safe_fixes_in_one_narrow_edit() {
        const FIXABLE: &str = include_str!("../lsp/tests/e2e/fixtures/argo-fixable.yaml");
        let a = PipelintAnalyzer;
        let edits = a.fix_all(&doc(FIXABLE)).unwrap();
        let [edit] = edits.as_slice() else {
            panic!("{edits:?}");
        };
        // From the first change to the last, not the whole text.
        assert!(
            edit.span.start > 0 && edit.span.end < FIXABLE.len(),
            "{edit:?}"
        );
        let mut fixed = FIXABLE.to_string();
        fixed.replace_range(edit.span.clone(), &edit.new_text);
        assert!(fixed.contains("retryStrategy: {retryPolicy: Always, limit: \"3\"}"));
        assert!(fixed.contains("imagePullPolicy: IfNotPresent"));
        assert!(a.analyze(&doc(&fixed)).unwrap().findings.is_empty());
        assert_eq!(a.fix_all(&doc(&fixed)), None);
        // Only unsafe fixes (the retry of an IO step): nothing for "fix all".
        assert_eq!(a.fix_all(&doc(ARGO)), None);
    }

    #[test]
    fn the_config_file_is_checked_where_it_is_written() {
        let path = Path::new("/nowhere/.pipelint.yaml");
        let text = "rules:\n  unpinned-imag:\n    severity: error\n";
        let d = DocumentRef {
            uri: "file:///nowhere/.pipelint.yaml",
            path: Some(path),
            text,
            workspace_folder: None,
            cancel: &NOT_CANCELLED,
            options: &NO_OPTIONS,
            unsaved: &[],
        };
        let a = PipelintAnalyzer.analyze(&d).unwrap();
        assert_eq!(a.findings.len(), 1);
        assert_eq!(a.findings[0].rule, INVALID_CONFIG);
        assert_eq!(&text[a.findings[0].span.clone()], "unpinned-imag:");
        let ok = DocumentRef {
            text: "rules: {}\n",
            ..d
        };
        assert!(PipelintAnalyzer.analyze(&ok).unwrap().findings.is_empty());
    }

    /// The Argo fixture as the open document `wf.yaml` of the workspace folder `dir`.
    fn lint_file_in(dir: &Path, options: &LintOptions) -> Analysis {
        let path = dir.join("wf.yaml");
        let d = DocumentRef {
            uri: "file:///wf.yaml",
            path: Some(&path),
            text: ARGO,
            workspace_folder: Some(dir),
            cancel: &NOT_CANCELLED,
            options,
            unsaved: &[],
        };
        PipelintAnalyzer.analyze(&d).unwrap()
    }

    #[test]
    fn the_clients_select_ignore_and_config_path_apply_as_on_the_command_line() {
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-options-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ci")).unwrap();
        std::fs::write(
            dir.join("ci/strict.yaml"),
            "rules:\n  unpinned-image:\n    severity: info\n",
        )
        .unwrap();
        let lint = |options: &LintOptions| lint_file_in(&dir, options);
        let all = lint(&LintOptions::default());
        assert!(
            rules(&all).contains(&"missing-resource-limits"),
            "{:?}",
            rules(&all)
        );
        let selected = lint(&LintOptions {
            select: vec!["unpinned-image".into()],
            ..LintOptions::default()
        });
        assert_eq!(rules(&selected), ["unpinned-image"]);
        let ignored = lint(&LintOptions {
            ignore: vec!["unpinned-image".into()],
            ..LintOptions::default()
        });
        assert!(!rules(&ignored).contains(&"unpinned-image"));
        assert!(rules(&ignored).contains(&"missing-resource-limits"));
        // `configPath`, relative to the workspace folder.
        let configured = lint(&LintOptions {
            config_path: Some("ci/strict.yaml".into()),
            ..LintOptions::default()
        });
        let image = configured
            .findings
            .iter()
            .find(|f| f.rule == "unpinned-image")
            .unwrap();
        assert_eq!(image.severity, LspSeverity::Info);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_configs_docs_url_links_each_finding() {
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-docs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lint = || lint_file_in(&dir, &NO_OPTIONS);
        // No `docs-url`: no link from the config (the client's setting may still give one).
        assert!(lint().findings.iter().all(|f| f.doc_url.is_none()));
        std::fs::write(
            dir.join(".pipelint.yaml"),
            "docs-url: https://wiki.example/pipelint/{rule}\n",
        )
        .unwrap();
        let image = lint()
            .findings
            .into_iter()
            .find(|f| f.rule == "unpinned-image")
            .unwrap();
        assert_eq!(
            image.doc_url.as_deref(),
            Some("https://wiki.example/pipelint/unpinned-image")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The compiled pair of `testdata/sourcemap/` in a workspace folder, linted as the open
    /// IR document, with the Python as the editor holds it (`None`: as on disk).
    fn lint_kfp_pair(dir: &Path, python: Option<&str>) -> Analysis {
        const IR: &str = include_str!("../testdata/sourcemap/nested.yaml");
        let ir = dir.join("nested.yaml");
        let py = dir.join("sourcemap_nested.py");
        let unsaved: Vec<(PathBuf, Arc<str>)> =
            python.map(|t| (py, Arc::from(t))).into_iter().collect();
        let d = DocumentRef {
            uri: "file:///nested.yaml",
            path: Some(&ir),
            text: IR,
            workspace_folder: Some(dir),
            cancel: &NOT_CANCELLED,
            options: &NO_OPTIONS,
            unsaved: &unsaved,
        };
        PipelintAnalyzer.analyze(&d).unwrap()
    }

    #[test]
    fn kfp_ir_findings_carry_their_python_places_as_the_editor_holds_the_python() {
        const PY: &str = include_str!("../testdata/kfp-src/sourcemap_nested.py");
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-kfp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sourcemap_nested.py"), PY).unwrap();
        let analysis = lint_kfp_pair(&dir, None);
        let depends = analysis.depends_on.clone().unwrap();
        assert!(depends.covers(&dir.join("pkg/x.py")));
        assert!(!depends.covers(&dir.join("nested.yaml")));
        let timeout = analysis
            .findings
            .iter()
            .find(|f| f.rule == "missing-timeout" && f.message.contains("train-model"))
            .unwrap();
        let place = &timeout.sources[0];
        assert_eq!(place.path, dir.join("sourcemap_nested.py"));
        assert_eq!(&place.text[place.span.clone()], "train_model(seed=seed)");
        // The ignore comment goes at the end of that line.
        let fix = place.ignore.clone().unwrap();
        assert_eq!(fix.title, ignore_title("missing-timeout"));
        assert_eq!(fix.kind, FixKind::Suppress);
        assert_eq!(fix.placeholder.as_deref(), Some(REASON_PLACEHOLDER));
        let [ignore] = fix.edits.as_slice() else {
            panic!("{fix:?}");
        };
        let line_end = PY[place.span.start..].find('\n').unwrap() + place.span.start;
        assert_eq!(ignore.span, line_end..line_end);
        assert_eq!(
            ignore.new_text,
            format!("  # pipelint: ignore[missing-timeout] {REASON_PLACEHOLDER}")
        );
        assert!(analysis
            .findings
            .iter()
            .all(|f| f.rule != "stale-compiled-pipeline"));

        // The editor's text, not the disk's: with the ignore comment typed in, the finding
        // is gone; with the component changed, nothing is mapped and the IR is stale.
        let mut ignored = PY.to_string();
        ignored.insert_str(line_end, &ignore.new_text);
        let analysis = lint_kfp_pair(&dir, Some(&ignored));
        assert!(analysis
            .findings
            .iter()
            .all(|f| !(f.rule == "missing-timeout" && f.message.contains("train-model"))));
        assert!(analysis.findings.iter().all(|f| !f.sources.is_empty()));
        let changed = PY.replacen("    import boto3\n", "    import boto3  # edited\n", 1);
        assert_ne!(changed, PY);
        let stale = lint_kfp_pair(&dir, Some(&changed));
        assert!(stale.findings.iter().all(|f| f.sources.is_empty()));
        assert_eq!(
            stale
                .findings
                .iter()
                .filter(|f| f.rule == "stale-compiled-pipeline")
                .count(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_python_scan_cut_short_by_the_work_budget_is_said_and_maps_nothing() {
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-kfp-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("sourcemap_nested.py"),
            include_str!("../testdata/kfp-src/sourcemap_nested.py"),
        )
        .unwrap();
        let lint = || lint_kfp_pair(&dir, None);
        assert!(lint().messages.is_empty());
        // Read first (the walk is sorted), and more than the budget allows.
        std::fs::write(dir.join("big.py"), "x = 1\n".repeat(70_000)).unwrap();
        std::fs::write(
            dir.join(".pipelint.yaml"),
            "limits:\n  file-time-budget: 20000\n",
        )
        .unwrap();
        let analysis = lint();
        let [message] = analysis.messages.as_slice() else {
            panic!("{:?}", analysis.messages);
        };
        assert!(message.contains("were not read"), "{message}");
        assert!(analysis.findings.iter().all(|f| f.sources.is_empty()));
        assert!(!analysis.findings.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn workspace_files_are_the_ones_check_walks_less_the_excluded() {
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-walk-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("generated")).unwrap();
        std::fs::write(dir.join(".pipelint.yaml"), "exclude: [\"generated/**\"]\n").unwrap();
        std::fs::write(dir.join("wf.yaml"), ARGO).unwrap();
        std::fs::write(dir.join("generated/wf.yaml"), ARGO).unwrap();
        std::fs::write(dir.join("notes.txt"), "not yaml").unwrap();
        let files = PipelintAnalyzer.workspace_files(&dir, &LintOptions::default());
        assert_eq!(files, [dir.join("wf.yaml")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
