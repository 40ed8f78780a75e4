//! Lints files in parallel: read, parse with spans, detect, adapt, run every rule, sort.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::{analyze, AnalysisOptions, StepFacts};
use crate::config::{Config, RuleSeverity};
use crate::finding::{Finding, Severity};
use crate::formats::{adapt_file, FileKind};
use crate::limits::{self, Meter};
use crate::model::Pipeline;
use crate::rules::{registry, FileContext};
use crate::yaml::{parse, LineIndex, ParseLimits, Span, YamlFile};

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub parse_limits: ParseLimits,
    /// Files larger than this are reported (`input-too-large`), not read.
    pub max_file_size: u64,
    /// Work units one file may cost ([`limits`]); deterministic, unlike a timeout.
    pub work_budget: u64,
    /// The configuration for files whose [`Input`] names none (and for [`lint_bytes`]).
    pub config: Arc<Config>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            parse_limits: ParseLimits::default(),
            max_file_size: limits::DEFAULT_MAX_FILE_SIZE,
            work_budget: limits::DEFAULT_WORK_BUDGET,
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
    /// Findings silenced by suppression comments, annotations or config.
    pub suppressed: usize,
}

/// Everything a run produced, files sorted by path.
#[derive(Debug, Default)]
pub struct RunReport {
    pub files: Vec<FileReport>,
    /// Findings left out because `--baseline` has them.
    pub baselined: usize,
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
    RunReport {
        files,
        baselined: 0,
    }
}

/// Lints every input in parallel like [`lint_inputs`], but hands each report to `sink` as
/// soon as it and every report before it are done, in the same order as
/// [`lint_inputs`]' report: memory holds a bounded window of files, not the whole run (an
/// input is dropped once linted). `sink` runs on the calling thread, which must not be a
/// worker of the rayon pool.
pub fn lint_inputs_in_order(
    inputs: Vec<Input>,
    settings: &Settings,
    mut sink: impl FnMut(FileReport),
) {
    use std::collections::BTreeMap;
    // The order of `lint_inputs`: a stable sort by the path shown.
    let mut order: Vec<(String, usize)> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| (display_path(&input.path), i))
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let order: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    let mut inputs: Vec<Option<Input>> = inputs.into_iter().map(Some).collect();
    // Enough files in flight to keep every thread busy past a slow one.
    let window = rayon::current_num_threads().max(1) * 32;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut waiting: BTreeMap<usize, FileReport> = BTreeMap::new();
    let (mut spawned, mut next) = (0, 0);
    while next < order.len() {
        while spawned < order.len() && spawned < next + window {
            let input = inputs[order[spawned]]
                .take()
                .expect("each input is spawned once");
            let settings = match &input.config {
                Some(config) if !Arc::ptr_eq(config, &settings.config) => Settings {
                    config: config.clone(),
                    ..settings.clone()
                },
                _ => settings.clone(),
            };
            let (tx, at) = (tx.clone(), spawned);
            rayon::spawn(move || {
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    lint_path(&input.path, input.explicit, &settings)
                }));
                let _ = tx.send((at, report));
            });
            spawned += 1;
        }
        let (at, report) = rx.recv().expect("a lint job ends by sending its report");
        match report {
            Ok(report) => waiting.insert(at, report),
            Err(panic) => std::panic::resume_unwind(panic),
        };
        while let Some(report) = waiting.remove(&next) {
            sink(report);
            next += 1;
        }
    }
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
        suppressed: 0,
    }
}

/// A file over `--max-file-size`: not read, reported as `input-too-large` at its start.
fn too_large(path: String, size: u64, settings: &Settings) -> FileReport {
    let reason = format!(
        "{size} bytes is over the {} byte limit",
        settings.max_file_size
    );
    let mut report = unreadable(path, reason);
    report.findings = gated(
        &settings.config,
        vec![crate::rules::input_too_large::finding(
            size,
            settings.max_file_size,
        )],
    );
    report
}

pub fn lint_path(path: &Path, explicit: bool, settings: &Settings) -> FileReport {
    use std::io::Read;
    // `limits:` of the file's config (and the command-line flags in it) apply.
    let settings = &settings.config.limits.apply(settings);
    let name = display_path(path);
    // The metadata is checked before opening, so that a FIFO or device is never opened (an
    // open FIFO blocks until a writer comes), and again on the open file.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return unreadable(name, "not a regular file".into()),
        Ok(meta) if meta.len() > settings.max_file_size => {
            return too_large(name, meta.len(), settings)
        }
        Err(e) => return unreadable(name, e.to_string()),
        Ok(_) => {}
    }
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return unreadable(name, e.to_string()),
    };
    match file.metadata() {
        Ok(meta) if !meta.is_file() => return unreadable(name, "not a regular file".into()),
        Err(e) => return unreadable(name, e.to_string()),
        Ok(_) => {}
    }
    // A file that grows while it is read is still read only up to the limit.
    let mut bytes = Vec::new();
    match file
        .take(settings.max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        Ok(_) => lint_bytes(name, &bytes, explicit, settings),
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
    let settings = &settings.config.limits.apply(settings);
    if bytes.len() as u64 > settings.max_file_size {
        return too_large(path, bytes.len() as u64, settings);
    }
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
                suppressed: 0,
            };
        }
    };
    let source: Arc<str> = Arc::from(text.as_ref());
    // Everything below is metered: a file that costs more than the budget gets an
    // `input-too-complex` finding where the budget ran out, and no other rule looks at its
    // (incomplete) model.
    let meter = Meter::start(settings.work_budget);
    let mut yaml = parse(&source, &settings.parse_limits);
    let (mut pipelines, kind) = if limits::exhausted() {
        (Vec::new(), FileKind::NotPipeline)
    } else {
        adapt_file(&yaml, &source)
    };
    let outcome = match kind {
        FileKind::Pipeline => {
            let mut labels: Vec<&'static str> =
                pipelines.iter().map(|p| p.format.label()).collect();
            labels.dedup();
            Outcome::Pipeline(labels)
        }
        FileKind::NotPipeline
            if yaml.is_incomplete() && (explicit || looks_like_pipeline(&source)) =>
        {
            Outcome::Pipeline(Vec::new())
        }
        FileKind::NotPipeline if yaml.is_incomplete() => Outcome::Unparseable,
        FileKind::NotPipeline => Outcome::NotPipeline,
    };
    let facts = match outcome {
        Outcome::Pipeline(_) => analyze_steps(&source, &pipelines, &settings.config),
        _ => Vec::new(),
    };
    if let Some(at) = meter.exhausted_at() {
        if !yaml.too_complex.iter().any(|e| e.span == at) {
            let document = yaml
                .documents
                .iter()
                .find(|d| d.span.start <= at.start && at.start <= d.span.end)
                .map_or(0, |d| d.index);
            yaml.too_complex.push(crate::yaml::SyntaxError {
                span: at,
                message: format!(
                    "the file needs more than {} units of work to lint; it is not linted past this point (limit: --file-time-budget)",
                    meter.budget()
                ),
                document,
            });
        }
        pipelines.clear();
    }
    drop(meter);
    let relative = settings.config.relative(Path::new(&path));
    let (findings, suppressed) = match outcome {
        Outcome::Pipeline(_) => run_rules(
            &source,
            &yaml,
            &pipelines,
            &facts,
            &settings.config,
            relative.as_deref(),
        ),
        _ => (Vec::new(), 0),
    };
    FileReport {
        path,
        lines: Arc::new(LineIndex::new(&source)),
        source,
        outcome,
        findings,
        suppressed,
    }
}

/// A file that failed to parse is reported only if it is recognisably a pipeline, so that
/// `pipelint check .` stays quiet about Helm templates and other YAML-ish files.
fn looks_like_pipeline(text: &str) -> bool {
    text.contains("argoproj.io/")
        || text.contains("pipelineInfo")
        || text.contains("# PIPELINE DEFINITION")
}

/// What the classifiers find in each step, metered by the size of what they read.
fn analyze_steps(src: &str, pipelines: &[Pipeline], config: &Config) -> Vec<Vec<StepFacts>> {
    let options = analysis_options(config);
    pipelines
        .iter()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| {
                    let read: usize = s.source.as_ref().map_or(0, |x| x.text.len())
                        + s.containers
                            .iter()
                            .flat_map(|c| c.command.iter().chain(&c.args))
                            .map(|a| a.value.len())
                            .sum::<usize>();
                    let cost = 1 + read as u64 / limits::SCRIPT_BYTES_PER_UNIT;
                    if limits::charge(cost, s.span) {
                        analyze(s, p, src, &options)
                    } else {
                        StepFacts::default()
                    }
                })
                .collect()
        })
        .collect()
}

/// What the classifiers take from the config (also `pipelint classify`).
pub(crate) fn analysis_options(config: &Config) -> AnalysisOptions {
    const GRACE: &str = "grace-period-shorter-than-checkpoint";
    AnalysisOptions {
        checkpoint_annotations: config
            .strings(GRACE, "checkpoint-annotations")
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
        checkpoint_env: config
            .strings(GRACE, "checkpoint-env")
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
        classify: config.classify.clone(),
        knowledge: config.knowledge.clone(),
    }
}

/// Applies `severity:` and `off` from the config to findings made outside a rule.
fn gated(config: &Config, mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.retain_mut(|f| match config.rule(f.rule).and_then(|r| r.severity) {
        Some(RuleSeverity::Off) => false,
        Some(RuleSeverity::Set(level)) => {
            f.severity = level;
            true
        }
        None => true,
    });
    findings
}

fn run_rules(
    src: &str,
    yaml: &YamlFile,
    pipelines: &[Pipeline],
    facts: &[Vec<StepFacts>],
    config: &Config,
    relative: Option<&Path>,
) -> (Vec<Finding>, usize) {
    let cx = FileContext {
        src,
        yaml,
        pipelines,
        config,
        facts,
    };
    let mut findings = Vec::new();
    for rule in registry::all() {
        if !config.rule_enabled(rule.meta().id, relative) {
            continue;
        }
        rule.check_file(&cx, &mut findings);
        for pipeline in pipelines {
            rule.check_pipeline(&cx, pipeline, &mut findings);
        }
    }
    // Organisation policies (`policies:` in the config); a policy's id is its rule id.
    crate::policy::check(&cx, &mut findings);
    let mut findings = merge_shared_locations(findings);
    let suppressed = crate::suppress::apply(&mut findings, src, yaml, pipelines, config, relative);
    // Suppression findings obey the same selection and severity settings as any rule.
    findings.retain(|f| config.rule_enabled(f.rule, relative));
    for finding in &mut findings {
        if let Some(RuleSeverity::Set(level)) = config.rule(finding.rule).and_then(|r| r.severity) {
            finding.severity = level;
        }
    }
    (merge_shared_locations(findings), suppressed)
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
    // The steps already named by the last merged finding (a set, so that a place shared by
    // thousands of steps is not quadratic).
    let mut named: std::collections::HashSet<String> = std::collections::HashSet::new();
    for finding in findings {
        if let Some(last) = merged.last_mut() {
            if last.rule == finding.rule
                && last.span == finding.span
                && last.document == finding.document
            {
                if let Some(step) = finding.step {
                    if named.insert(step.clone()) {
                        last.also_steps.push(step);
                    }
                }
                last.severity = last.severity.max(finding.severity);
                continue;
            }
        }
        named.clear();
        named.extend(finding.step.clone());
        merged.push(finding);
    }
    merged
}
