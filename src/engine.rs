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
    /// A pipeline in a format pipelint does not lint (`kfp-tekton`, `tekton`): skipped,
    /// counted and named.
    Unsupported(&'static str),
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
    /// The text as read: the buffer the file was read into, not a copy of it.
    pub source: Arc<String>,
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
    /// Baseline entries of linted files that matched no finding (fixed since).
    pub stale_baseline: usize,
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
        ..RunReport::default()
    }
}

/// Lints every input in parallel like [`lint_inputs`], but hands each report to `sink` as
/// soon as it and every report before it are done, in the same order as
/// [`lint_inputs`]' report, with the input's config: memory holds a bounded window of
/// reports, not the whole run. `sink` runs on the calling thread, which must not be a
/// worker of the rayon pool.
pub fn lint_inputs_in_order(
    inputs: crate::discover::Inputs,
    settings: &Settings,
    mut sink: impl FnMut(FileReport, Option<Arc<Config>>),
) {
    lint_inputs_prepared_in_order(
        inputs,
        settings,
        |_, _| (),
        |report, config, ()| sink(report, config),
    );
}

/// [`lint_inputs_in_order`] with a first step, `prepare`, run on the worker that linted
/// the file as soon as it is done (rendering what needs no state of the run, and freeing
/// what the rest does not need, there rather than on the one calling thread); `sink` gets
/// the report, its config and what `prepare` made.
pub fn lint_inputs_prepared_in_order<P: Send + 'static>(
    inputs: crate::discover::Inputs,
    settings: &Settings,
    prepare: impl Fn(&mut FileReport, Option<&Arc<Config>>) -> P + Send + Sync + 'static,
    mut sink: impl FnMut(FileReport, Option<Arc<Config>>, P),
) {
    use std::sync::{Condvar, Mutex, PoisonError};
    // The order of `lint_inputs`: a stable sort by the path shown (compared in place: a
    // string per input would be held for the whole sort).
    let mut order: Vec<u32> = (0..inputs.len() as u32).collect();
    order.sort_by(|&a, &b| inputs.cmp_shown(a as usize, b as usize));
    // The workers read the paths where they are: one list for the whole run.
    let inputs = Arc::new(inputs);
    // Enough files in flight to keep every thread busy past a slow one.
    let window = rayon::current_num_threads().max(1) * 32;
    // This thread is woken once a batch of reports is ready, not once per file: each wake
    // is a futex call and a switch (on a machine with as many cores as workers, a worker
    // put aside), and the reports' writing takes a fraction of their linting.
    let batch = window / 4;
    let finished = Arc::new((Mutex::new(Finished::<P>::default()), Condvar::new()));
    let prepare = Arc::new(prepare);
    let (mut spawned, mut next) = (0, 0);
    while next < order.len() {
        while spawned < order.len() && spawned < next + window {
            let i = order[spawned] as usize;
            let config = inputs.config(i).cloned();
            let settings = match &config {
                Some(config) if !Arc::ptr_eq(config, &settings.config) => Settings {
                    config: config.clone(),
                    ..settings.clone()
                },
                _ => settings.clone(),
            };
            let (inputs, finished, at) = (inputs.clone(), finished.clone(), spawned);
            let prepare = prepare.clone();
            rayon::spawn(move || {
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut report = lint_path(&inputs.path(i), inputs.explicit(i), &settings);
                    let prepared = prepare(&mut report, config.as_ref());
                    (report, prepared)
                }));
                let (state, woken) = &*finished;
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                match report {
                    Ok((report, prepared)) => {
                        state.reports.insert(at, (report, config, prepared));
                    }
                    Err(panic) => state.panic = Some(panic),
                }
                if state.waiting && state.ready() {
                    state.waiting = false;
                    woken.notify_one();
                }
            });
            spawned += 1;
        }
        // The next report and a batch behind it (fewer at the end of the run), in order.
        let ready = {
            let (state, woken) = &*finished;
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            state.next = next;
            state.wanted = batch.min(spawned - next);
            while !state.ready() {
                state.waiting = true;
                state = woken.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            if let Some(panic) = state.panic.take() {
                drop(state);
                std::panic::resume_unwind(panic);
            }
            let mut ready = Vec::with_capacity(state.reports.len());
            while let Some(report) = state.reports.remove(&(next + ready.len())) {
                ready.push(report);
            }
            ready
        };
        for (report, config, prepared) in ready {
            sink(report, config, prepared);
            next += 1;
        }
    }
}

/// Reports that [`lint_inputs_in_order`]'s workers finished and its calling thread has not
/// taken yet, and what that thread waits for.
struct Finished<P> {
    /// By position in the run's order.
    reports: std::collections::BTreeMap<usize, (FileReport, Option<Arc<Config>>, P)>,
    /// A worker's panic, passed on to the calling thread.
    panic: Option<Box<dyn std::any::Any + Send>>,
    /// The position of the first report not handed on.
    next: usize,
    /// How many finished reports (the one at `next` among them) make it worth waking up.
    wanted: usize,
    /// The calling thread sleeps until woken.
    waiting: bool,
}

impl<P> Default for Finished<P> {
    fn default() -> Self {
        Finished {
            reports: std::collections::BTreeMap::new(),
            panic: None,
            next: 0,
            wanted: 0,
            waiting: false,
        }
    }
}

impl<P> Finished<P> {
    fn ready(&self) -> bool {
        self.panic.is_some()
            || (self.reports.len() >= self.wanted && self.reports.contains_key(&self.next))
    }
}

/// A path as reports show it: as given, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    shown_path(path).into_owned()
}

/// [`display_path`], borrowed where the path is UTF-8.
fn shown_path(path: &Path) -> std::borrow::Cow<'_, str> {
    match path.to_string_lossy() {
        std::borrow::Cow::Borrowed(s) => {
            std::borrow::Cow::Borrowed(s.strip_prefix("./").unwrap_or(s))
        }
        std::borrow::Cow::Owned(s) => {
            std::borrow::Cow::Owned(s.strip_prefix("./").unwrap_or(&s).to_string())
        }
    }
}

/// A file that could not be read (or does not exist): no findings, the reason kept.
pub fn unreadable(path: String, reason: String) -> FileReport {
    let source = Arc::new(String::new());
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
    use crate::files::{read_regular, ReadError};
    // `limits:` of the file's config (and the command-line flags in it) apply.
    let settings = &settings.config.limits.apply(settings);
    let name = display_path(path);
    match read_regular(path, settings.max_file_size) {
        Ok(bytes) => lint_owned(name, bytes, explicit, settings),
        Err(ReadError::TooLarge { size, .. }) => too_large(name, size, settings),
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

/// [`decode`] of bytes the caller gives away: UTF-8 becomes the text without a copy. On
/// error, the bytes back and where the first invalid one is.
fn decode_owned(bytes: Vec<u8>) -> Result<String, (Vec<u8>, usize)> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return match decode(&bytes) {
            Ok(text) => Ok(text.into_owned()),
            Err(bad_at) => Err((bytes, bad_at)),
        };
    }
    String::from_utf8(bytes).map_err(|e| {
        let bad_at = e.utf8_error().valid_up_to();
        (e.into_bytes(), bad_at)
    })
}

/// Lints text that is already in memory (stdin, the LSP, tests).
pub fn lint_bytes(path: String, bytes: &[u8], explicit: bool, settings: &Settings) -> FileReport {
    let settings = &settings.config.limits.apply(settings);
    if bytes.len() as u64 > settings.max_file_size {
        return too_large(path, bytes.len() as u64, settings);
    }
    match decode(bytes) {
        Ok(text) => lint_text(path, text.into_owned(), explicit, settings),
        Err(bad_at) => not_utf8(path, bytes, bad_at),
    }
}

/// [`lint_bytes`] of a buffer the caller gives away (a file just read): it becomes the
/// report's text.
pub fn lint_owned(path: String, bytes: Vec<u8>, explicit: bool, settings: &Settings) -> FileReport {
    let settings = &settings.config.limits.apply(settings);
    if bytes.len() as u64 > settings.max_file_size {
        return too_large(path, bytes.len() as u64, settings);
    }
    match decode_owned(bytes) {
        Ok(text) => lint_text(path, text, explicit, settings),
        Err((bytes, bad_at)) => not_utf8(path, &bytes, bad_at),
    }
}

/// A file that is not UTF-8 (nor UTF-16 with a BOM): one finding where the text stops.
fn not_utf8(path: String, bytes: &[u8], bad_at: usize) -> FileReport {
    let source = Arc::new(String::from_utf8_lossy(&bytes[..bad_at]).into_owned());
    let at = source.len() as u32;
    let finding = Finding::new(
        "yaml-syntax",
        Severity::Error,
        Span::new(at, at),
        format!("the file is not UTF-8 text (invalid byte at offset {bad_at})"),
    )
    .label("invalid UTF-8 starts here")
    .help("save the file as UTF-8; YAML and JSON pipelines must be text");
    FileReport {
        path,
        lines: Arc::new(LineIndex::new(&source)),
        source,
        outcome: Outcome::Unparseable,
        findings: vec![finding],
        suppressed: 0,
    }
}

/// Lints decoded text; `settings` are the file's (its config's `limits:` applied).
fn lint_text(path: String, text: String, explicit: bool, settings: &Settings) -> FileReport {
    let source = Arc::new(text);
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
        FileKind::Unsupported(label) => Outcome::Unsupported(label),
    };
    let facts = match outcome {
        Outcome::Pipeline(_) => analyze_steps(&source, &pipelines, &settings.config),
        _ => Vec::new(),
    };
    let relative = settings.config.relative(Path::new(&path));
    // One line index per file: suppression comments are matched by line, and the report
    // shows lines and columns.
    let lines = Arc::new(LineIndex::new(&source));
    // The rules and suppressions are metered too: a file whose findings cost more than the
    // budget stops with `input-too-complex`, like one whose model does.
    let mut linted = None;
    if meter.exhausted_at().is_none() && matches!(outcome, Outcome::Pipeline(_)) {
        let result = run_rules(
            &source,
            &lines,
            &yaml,
            &pipelines,
            &facts,
            &settings.config,
            relative.as_deref(),
        );
        linted = meter.exhausted_at().is_none().then_some(result);
    }
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
    // Without pipelines, the rules read only the YAML (syntax, limits): linear, unmetered.
    let (mut findings, suppressed) = match (linted, &outcome) {
        (Some(result), _) => result,
        (None, Outcome::Pipeline(_)) => {
            let (mut findings, suppressed) = run_rules(
                &source,
                &lines,
                &yaml,
                &pipelines,
                &[],
                &settings.config,
                relative.as_deref(),
            );
            // Whether a suppression silences something is unknown in a file not linted.
            findings.retain(|f| f.rule != crate::suppress::UNUSED_SUPPRESSION);
            (findings, suppressed)
        }
        _ => (Vec::new(), 0),
    };
    // A file that does not parse whole is never rewritten (`--fix` leaves it): its findings
    // offer no fix.
    if yaml.is_incomplete() {
        for finding in &mut findings {
            finding.fix = None;
        }
    }
    FileReport {
        path,
        lines,
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
                    if !limits::charge(cost, s.span) {
                        return StepFacts::default();
                    }
                    // Tasks that share an executor are classified once each: what a step's
                    // evidence holds is paid for as findings are.
                    let facts = analyze(
                        s,
                        p,
                        src,
                        &options,
                        crate::rules::questions_asked(config, p, s),
                    );
                    let held = facts.evidence.len() as u64 * limits::EVIDENCE_COST;
                    if limits::charge(held, s.span) {
                        facts
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
    for finding in &mut findings {
        finding.url = config.shared_rule_url(finding.rule);
    }
    findings
}

fn run_rules(
    src: &str,
    lines: &LineIndex,
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
        source: crate::fix::edit::Source::new(src, yaml),
    };
    let mut findings = Vec::new();
    // What the findings made so far cost (each is sorted, matched against suppressions and
    // rendered): `false` once the file's work budget is spent.
    let charge = |findings: &[Finding], from: usize| {
        let made = (findings.len() - from) as u64;
        let at = findings.last().map_or(Span::default(), |f| f.span);
        limits::charge(1 + made * limits::FINDING_COST, at)
    };
    for rule in registry::all() {
        if !config.rule_enabled(rule.meta().id, relative) {
            continue;
        }
        let from = findings.len();
        rule.check_file(&cx, &mut findings);
        for pipeline in pipelines {
            rule.check_pipeline(&cx, pipeline, &mut findings);
        }
        if !charge(&findings, from) {
            return (Vec::new(), 0);
        }
    }
    // Organisation policies (`policies:` in the config); a policy's id is its rule id.
    let from = findings.len();
    crate::policy::check(&cx, &mut findings);
    if !charge(&findings, from) {
        return (Vec::new(), 0);
    }
    let mut findings = merge_shared_locations(findings);
    // Suppression reads every comment and config entry once.
    let directives = (yaml.comments.len() + config.suppressions.len()) as u64;
    if !limits::charge(directives, Span::default()) {
        return (Vec::new(), 0);
    }
    let suppressed =
        crate::suppress::apply(&mut findings, src, lines, yaml, pipelines, config, relative);
    // Suppression findings obey the same selection and severity settings as any rule.
    findings.retain(|f| config.rule_enabled(f.rule, relative));
    // The link to a rule's page, made once per rule rather than once per finding.
    let mut urls: Vec<(&'static str, Option<Arc<str>>)> = Vec::new();
    for finding in &mut findings {
        if let Some(RuleSeverity::Set(level)) = config.rule(finding.rule).and_then(|r| r.severity) {
            finding.severity = level;
        }
        let url = match urls.iter().find(|(rule, _)| *rule == finding.rule) {
            Some((_, url)) => url.clone(),
            None => {
                let url = config.shared_rule_url(finding.rule);
                urls.push((finding.rule, url.clone()));
                url
            }
        };
        finding.url = url;
    }
    (merge_shared_locations(findings), suppressed)
}

/// Sorts by position and rule, and folds findings that are the same into one that names
/// every step: one rule, one place, one message but for the step's name (a KFP executor
/// shared by several tasks, a `templateDefaults` image inherited by several templates).
/// Findings that only share a place (one inherited `retryStrategy`, two different problems
/// of two steps) stay apart: merging them would hide one.
fn merge_shared_locations(mut findings: Vec<Finding>) -> Vec<Finding> {
    let place = |f: &Finding| (f.span.start, f.span.end, f.rule, f.document);
    // A finding is large: its order is found on the small keys, and each finding is moved
    // once into place (the second call, after suppression, mostly finds them in order).
    if !findings.is_sorted_by_key(place) {
        findings.sort_by_cached_key(place);
    }
    // Most files have no place that holds two findings of a rule: nothing to fold, and no
    // finding needs to move again.
    if findings.windows(2).all(|w| place(&w[0]) != place(&w[1])) {
        return findings;
    }
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    // The steps already named by the last merged finding (a set, so that a place shared by
    // thousands of steps is not quadratic).
    let mut named: std::collections::HashSet<Arc<str>> = std::collections::HashSet::new();
    let mut rest = findings.into_iter().peekable();
    while let Some(first) = rest.next() {
        // Most places hold one finding of a rule: only a group of several needs the
        // messages without their steps, ordered and compared.
        if rest.peek().is_none_or(|next| place(next) != place(&first)) {
            merged.push(first);
            continue;
        }
        let mut group = vec![(message_without_step(&first), first)];
        while let Some(next) = rest.next_if(|next| place(next) == place(&group[0].1)) {
            group.push((message_without_step(&next), next));
        }
        group.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut last_key: Option<String> = None;
        for (key, finding) in group {
            if last_key.as_ref() == Some(&key) {
                let last = merged.last_mut().expect("a finding was merged before");
                if let Some(step) = finding.step {
                    if named.insert(step.clone()) {
                        last.also_steps.push(step.to_string());
                    }
                }
                last.severity = last.severity.max(finding.severity);
                // The same fix for the other step: one fix that fixes both.
                if let (Some(fix), Some(other)) = (&mut last.fix, &finding.fix) {
                    fix.absorb(other);
                }
                continue;
            }
            named.clear();
            named.extend(finding.step.clone());
            last_key = Some(key);
            merged.push(finding);
        }
    }
    merged
}

/// A finding's message with the name it shows for its step (`step "train"`, or the
/// qualified `step "outer/train"`) taken out: what must be equal for two findings to merge.
fn message_without_step(finding: &Finding) -> String {
    let Some(step) = &finding.step else {
        return finding.message.clone();
    };
    let shown = match finding.step_path.len() {
        0..=2 => step.to_string(),
        _ => finding.step_path[1..].join("/"),
    };
    finding.message.replacen(&format!("\"{shown}\""), "\"\"", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Span;

    /// A file's bytes given away (what a read file is linted as) and the same bytes lent
    /// (stdin, the LSP) make the same report: UTF-8, UTF-16 either way round, bytes that are
    /// not text.
    #[test]
    fn owned_and_borrowed_bytes_lint_alike() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: é\nspec:\n  entrypoint: main\n  templates:\n    - name: main\n      container:\n        image: python:3.11\n";
        let utf16 = |bom: [u8; 2], unit: fn(u16) -> [u8; 2]| {
            let mut bytes = bom.to_vec();
            bytes.extend(text.encode_utf16().flat_map(unit));
            bytes
        };
        let mut invalid = text.as_bytes().to_vec();
        invalid.insert(40, 0xFF);
        let settings = Settings::default();
        for bytes in [
            text.as_bytes().to_vec(),
            utf16([0xFF, 0xFE], u16::to_le_bytes),
            utf16([0xFE, 0xFF], u16::to_be_bytes),
            invalid,
            vec![0xFF, 0xFE, 0x41],
        ] {
            let lent = lint_bytes("wf.yaml".into(), &bytes, true, &settings);
            let owned = lint_owned("wf.yaml".into(), bytes.clone(), true, &settings);
            assert_eq!(owned.source, lent.source, "{bytes:?}");
            assert_eq!(owned.outcome, lent.outcome, "{bytes:?}");
            assert_eq!(owned.findings, lent.findings, "{bytes:?}");
        }
    }

    /// Reports handed on in order, in batches, come in [`lint_inputs`]' order with the same
    /// findings: over a run longer than the window of files in flight, and a run of one.
    #[test]
    fn reports_in_order_are_lint_inputs_reports() {
        let testdata = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let inputs = crate::discover::discover(&[testdata]).unwrap();
        assert!(
            inputs.len() > 32 * rayon::current_num_threads(),
            "{}",
            inputs.len()
        );
        for inputs in [&inputs[..], &inputs[..1]] {
            let settings = Settings::default();
            let expected: Vec<(String, Vec<String>)> = lint_inputs(inputs, &settings)
                .files
                .into_iter()
                .map(|f| (f.path, f.findings.into_iter().map(|f| f.message).collect()))
                .collect();
            let mut got = Vec::new();
            lint_inputs_in_order(inputs.to_vec().into(), &settings, |f, _| {
                got.push((f.path, f.findings.into_iter().map(|f| f.message).collect()));
            });
            assert_eq!(got, expected);
        }
    }

    fn at(rule: &'static str, step: &str, message: &str) -> Finding {
        let mut f = Finding::new(
            rule,
            crate::finding::Severity::Warning,
            Span::new(10, 20),
            message,
        );
        f.step = Some(step.into());
        f.step_path = vec!["p".to_string(), step.to_string()].into();
        f.document = Some(0);
        f
    }

    #[test]
    fn only_findings_that_say_the_same_are_merged() {
        let merged = merge_shared_locations(vec![
            at("r", "a", "step \"a\" runs image \"x:latest\""),
            at("r", "b", "step \"b\" POSTs to an endpoint"),
            at("r", "c", "step \"c\" runs image \"x:latest\""),
        ]);
        assert_eq!(merged.len(), 2, "{merged:#?}");
        let image = merged.iter().find(|f| f.message.contains("image")).unwrap();
        assert_eq!(image.also_steps, vec!["c".to_string()]);
        let post = merged.iter().find(|f| f.message.contains("POST")).unwrap();
        assert!(post.also_steps.is_empty());
    }
}
