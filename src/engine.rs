//! Lints files in parallel: read, parse with spans, detect, adapt, run every rule, sort.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::{analyze, AnalysisOptions, StepFacts};
use crate::config::{Config, RuleSeverity};
use crate::finding::{Finding, Severity};
use crate::formats::{adapt_file, FileKind};
use crate::model::Pipeline;
use crate::rules::{registry, FileContext};
use crate::yaml::{parse, LineIndex, ParseLimits, Span, YamlFile};

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub parse_limits: ParseLimits,
    /// Files larger than this are reported, not read.
    pub max_file_size: u64,
    /// The configuration for files whose [`Input`] names none (and for [`lint_bytes`]).
    pub config: Arc<Config>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            parse_limits: ParseLimits::default(),
            max_file_size: 64 * 1024 * 1024,
            config: Arc::new(Config::default()),
        }
    }
}

/// What a file turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Linted; the labels of the pipeline formats it holds (`kfp-ir`, `argo-workflow`...).
    Pipeline(Vec<&'static str>),
    /// YAML/JSON that holds no pipeline: skipped quietly.
    NotPipeline,
    /// Not valid YAML and not recognisably a pipeline: skipped, counted.
    Unparseable,
    /// Could not be read (permissions, too large, not text): reported.
    Unreadable(String),
}

/// The result for one file: its text (for rendering positions) and its findings.
#[derive(Debug)]
pub struct FileReport {
    /// The path as the user gave it or as the walk found it.
    pub path: String,
    pub source: Arc<str>,
    pub lines: Arc<LineIndex>,
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
}

/// Everything a run produced, files sorted by path.
#[derive(Debug, Default)]
pub struct RunReport {
    pub files: Vec<FileReport>,
}

impl RunReport {
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| (f, x)))
    }

    pub fn max_severity(&self) -> Option<Severity> {
        self.findings().map(|(_, f)| f.severity).max()
    }
}

/// One file to lint; `explicit` when named on the command line (then it is reported even
/// if it does not parse and does not look like a pipeline).
#[derive(Clone, Debug)]
pub struct Input {
    pub path: PathBuf,
    pub explicit: bool,
    /// The `.pipelint.yaml` that applies (else `Settings::config`).
    pub config: Option<Arc<Config>>,
}

/// Lints every input in parallel; the report is in a stable order whatever the thread count.
pub fn lint_inputs(inputs: &[Input], settings: &Settings) -> RunReport {
    let mut files: Vec<FileReport> = inputs
        .par_iter()
        .map(|input| match &input.config {
            Some(config) if !Arc::ptr_eq(config, &settings.config) => {
                let settings = Settings {
                    config: config.clone(),
                    ..settings.clone()
                };
                lint_path(&input.path, input.explicit, &settings)
            }
            _ => lint_path(&input.path, input.explicit, settings),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    RunReport { files }
}

fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn unreadable(path: String, reason: String) -> FileReport {
    let source: Arc<str> = Arc::from("");
    FileReport {
        path,
        lines: Arc::new(LineIndex::new(&source)),
        source,
        outcome: Outcome::Unreadable(reason),
        findings: Vec::new(),
    }
}

pub fn lint_path(path: &Path, explicit: bool, settings: &Settings) -> FileReport {
    let name = display_path(path);
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > settings.max_file_size => {
            return unreadable(
                name,
                format!(
                    "{} bytes is over the {} byte limit",
                    meta.len(),
                    settings.max_file_size
                ),
            )
        }
        Ok(meta) if !meta.is_file() => return unreadable(name, "not a regular file".into()),
        Err(e) => return unreadable(name, e.to_string()),
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => lint_bytes(name, &bytes, explicit, settings),
        Err(e) => unreadable(name, e.to_string()),
    }
}

/// Text of a file: UTF-8 (a BOM is left for the parser, which skips it), or UTF-16 with a BOM.
/// Invalid UTF-8 is an error at the first bad byte.
fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, usize> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes).ok_or(0);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes).ok_or(0);
    }
    std::str::from_utf8(bytes)
        .map(std::borrow::Cow::Borrowed)
        .map_err(|e| e.valid_up_to())
}

fn utf16(bytes: &[u8], read: fn([u8; 2]) -> u16) -> Option<std::borrow::Cow<'static, str>> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| read([c[0], c[1]])).collect();
    String::from_utf16(&units).ok().map(std::borrow::Cow::Owned)
}

/// Lints text that is already in memory (stdin, the LSP, tests).
pub fn lint_bytes(path: String, bytes: &[u8], explicit: bool, settings: &Settings) -> FileReport {
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(bad_at) => {
            let shown = String::from_utf8_lossy(&bytes[..bad_at]).into_owned();
            let source: Arc<str> = Arc::from(shown.as_str());
            let at = source.len() as u32;
            let finding = Finding::new(
                "yaml-syntax",
                Severity::Error,
                Span::new(at, at),
                format!("the file is not UTF-8 text (invalid byte at offset {bad_at})"),
            )
            .label("invalid UTF-8 starts here")
            .help("save the file as UTF-8; YAML and JSON pipelines must be text");
            return FileReport {
                path,
                lines: Arc::new(LineIndex::new(&source)),
                source,
                outcome: Outcome::Unparseable,
                findings: vec![finding],
            };
        }
    };
    let source: Arc<str> = Arc::from(text.as_ref());
    let yaml = parse(&source, &settings.parse_limits);
    let (pipelines, kind) = adapt_file(&yaml, &source);
    let outcome = match kind {
        FileKind::Pipeline => {
            let mut labels: Vec<&'static str> =
                pipelines.iter().map(|p| p.format.label()).collect();
            labels.dedup();
            Outcome::Pipeline(labels)
        }
        FileKind::NotPipeline
            if !yaml.errors.is_empty() && (explicit || looks_like_pipeline(&source)) =>
        {
            Outcome::Pipeline(Vec::new())
        }
        FileKind::NotPipeline if !yaml.errors.is_empty() => Outcome::Unparseable,
        FileKind::NotPipeline => Outcome::NotPipeline,
    };
    let findings = match outcome {
        Outcome::Pipeline(_) => run_rules(&source, &yaml, &pipelines, &settings.config),
        _ => Vec::new(),
    };
    FileReport {
        path,
        lines: Arc::new(LineIndex::new(&source)),
        source,
        outcome,
        findings,
    }
}

/// A file that failed to parse is reported only if it is recognisably a pipeline, so that
/// `pipelint check .` stays quiet about Helm templates and other YAML-ish files.
fn looks_like_pipeline(text: &str) -> bool {
    text.contains("argoproj.io/")
        || text.contains("pipelineInfo")
        || text.contains("# PIPELINE DEFINITION")
}

fn run_rules(src: &str, yaml: &YamlFile, pipelines: &[Pipeline], config: &Config) -> Vec<Finding> {
    const GRACE: &str = "grace-period-shorter-than-checkpoint";
    let options = AnalysisOptions {
        checkpoint_annotations: config
            .strings(GRACE, "checkpoint-annotations")
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
        checkpoint_env: config
            .strings(GRACE, "checkpoint-env")
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
    };
    let facts: Vec<Vec<StepFacts>> = pipelines
        .iter()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| analyze(s, p, src, &options))
                .collect()
        })
        .collect();
    let cx = FileContext {
        src,
        yaml,
        pipelines,
        config,
        facts: &facts,
    };
    let mut findings = Vec::new();
    for rule in registry::all() {
        let id = rule.meta().id;
        let severity = config.rule(id).and_then(|r| r.severity);
        if severity == Some(RuleSeverity::Off) {
            continue;
        }
        let first = findings.len();
        rule.check_file(&cx, &mut findings);
        for pipeline in pipelines {
            rule.check_pipeline(&cx, pipeline, &mut findings);
        }
        if let Some(RuleSeverity::Set(level)) = severity {
            for finding in &mut findings[first..] {
                finding.severity = level;
            }
        }
    }
    merge_shared_locations(findings)
}

/// Sorts by position and rule, and folds findings of one rule at one place (a KFP executor
/// shared by several tasks, a `templateDefaults` image inherited by several templates) into
/// one that names every step.
fn merge_shared_locations(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| {
        (a.span.start, a.span.end, a.rule, a.document).cmp(&(
            b.span.start,
            b.span.end,
            b.rule,
            b.document,
        ))
    });
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        if let Some(last) = merged.last_mut() {
            if last.rule == finding.rule
                && last.span == finding.span
                && last.document == finding.document
            {
                if let Some(step) = finding.step {
                    if last.step.as_ref() != Some(&step) && !last.also_steps.contains(&step) {
                        last.also_steps.push(step);
                    }
                }
                last.severity = last.severity.max(finding.severity);
                continue;
            }
        }
        merged.push(finding);
    }
    merged
}
