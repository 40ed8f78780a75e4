//! Findings where KFP users write code: a KFP IR finding is mapped back to the Python that
//! produced it. Lightweight components are matched by the source the IR embeds, container
//! components and pipelines by name, tasks by the name the compiler gives each call in the
//! pipeline function; the calls that configure a task (chained or later) are found too.
//!
//! Everything is static: the Python is tokenized, never run or imported. The scan reads
//! only regular files under one directory (the repository around the IR, `--kfp-source`,
//! or `kfp-source:` in the config), honours `.gitignore`, follows no symlink, caps file
//! sizes like every other read and is charged to a work budget like a linted file.
//!
//! When the IR was compiled from other code than the repository's (an embedded function
//! differs), nothing is mapped and one `stale-compiled-pipeline` finding says so.

mod places;
pub mod scan;

use std::path::{Path, PathBuf};

use crate::engine::{FileReport, Outcome};
use crate::finding::{Finding, SourceLocation};
use crate::limits;
use crate::model::{Pipeline, Step, StepKind};
use crate::yaml::{LineIndex, Span};

pub use places::{place_of, Fallback};
use scan::{FunctionKind, PyFile, PyFunction, PyTask};

/// One scanned Python file.
#[derive(Debug)]
struct SourceFile {
    /// As shown in reports: relative to where pipelint runs when under it.
    path: String,
    /// As found by the walk (under the scanned directory), for the language server.
    found_at: PathBuf,
    text: String,
    lines: LineIndex,
    py: PyFile,
}

/// The KFP functions of every Python file under a directory.
#[derive(Debug, Default)]
pub struct SourceIndex {
    files: Vec<SourceFile>,
    /// Function name -> (file, index in its file), every file.
    by_name: std::collections::HashMap<String, Vec<(usize, usize)>>,
    by_path: std::collections::HashMap<String, usize>,
    /// Why the scan stopped early, if it did (a clear message for the user).
    pub incomplete: Option<String>,
    /// The names of the pipeline functions found (as `pipelineInfo.name` spells them): an
    /// IR file none of them occurs in cannot match, and is not parsed a second time.
    pipeline_names: Option<aho_corasick::AhoCorasick>,
}

/// The directory to scan for the IR at `ir`: the repository around it (the nearest
/// directory up with a `.git`), `None` outside a repository.
pub fn repository_of(ir: &Path) -> Option<PathBuf> {
    // Resolved, not only made absolute: the parents of `../other/pipeline.yaml` are those of
    // the other directory, not the `..` of the current one (which would find its repository).
    // A path that is not there (standard input's `--stdin-filename`) is looked for from its
    // directory.
    let absolute = std::fs::canonicalize(ir)
        .or_else(|_| {
            let parent = ir.parent().filter(|p| !p.as_os_str().is_empty());
            std::fs::canonicalize(parent.unwrap_or(Path::new(".")))
                .map(|dir| dir.join(ir.file_name().unwrap_or_default()))
        })
        .ok()?;
    let mut dir = absolute.parent();
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// `path` as seen from the directory `base` (`../src/train.py`), both made absolute; `None`
/// when they share no root.
fn relative_from(base: &Path, path: &Path) -> Option<String> {
    use std::path::Component;
    let base = crate::report::normalize(&std::path::absolute(base).ok()?);
    let path = crate::report::normalize(&std::path::absolute(path).ok()?);
    let b: Vec<Component> = base.components().collect();
    let p: Vec<Component> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".to_string(); b.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

impl SourceIndex {
    /// Scans the `.py` files under `root` (honouring `.gitignore`, hidden directories such
    /// as `.venv` skipped, symlinks never followed), each at most `max_file_size` bytes, the
    /// whole scan within `budget` work units.
    pub fn scan(root: &Path, max_file_size: u64, budget: u64) -> SourceIndex {
        SourceIndex::scan_with(root, max_file_size, budget, &[])
    }

    /// [`SourceIndex::scan`], with the text of some files taken from `unsaved` instead of
    /// the disk (the editor's buffers, which may differ from the saved files).
    pub fn scan_with(
        root: &Path,
        max_file_size: u64,
        budget: u64,
        unsaved: &[(PathBuf, std::sync::Arc<str>)],
    ) -> SourceIndex {
        let mut index = SourceIndex::default();
        let cwd = std::env::current_dir().ok();
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .git_global(crate::discover::global_gitignore_may_apply())
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        let meter = limits::Meter::start(budget);
        let mut paths: Vec<PathBuf> = walker
            .flatten()
            .filter(|e| {
                e.file_type().is_some_and(|t| t.is_file())
                    && e.path().extension().is_some_and(|x| x == "py")
            })
            .map(ignore::DirEntry::into_path)
            .collect();
        paths.sort();
        for path in paths {
            // The walk does not follow links; a file swapped for one since is not read.
            if std::fs::symlink_metadata(&path).map_or(true, |m| !m.is_file()) {
                continue;
            }
            let text = match unsaved.iter().find(|(p, _)| *p == path) {
                Some((_, text)) if text.len() as u64 <= max_file_size => text.to_string(),
                Some(_) => continue,
                None => match crate::files::read_regular_text(&path, max_file_size) {
                    Ok(text) => text,
                    Err(_) => continue,
                },
            };
            let cost = 1 + text.len() as u64 / limits::SCRIPT_BYTES_PER_UNIT;
            if !limits::charge(cost, Span::default()) {
                index.incomplete = Some(format!(
                    "the Python sources under {} need more than {} units of work to scan; files from {} on were not read (limit: --file-time-budget)",
                    root.display(),
                    meter.budget(),
                    path.display()
                ));
                break;
            }
            let Some(py) = scan::scan_file(&text) else {
                continue;
            };
            if py.functions.is_empty() {
                continue;
            }
            let shown = cwd
                .as_ref()
                .and_then(|c| relative_from(c, &path))
                .unwrap_or_else(|| crate::engine::display_path(&path));
            let at = index.files.len();
            for (k, f) in py.functions.iter().enumerate() {
                index
                    .by_name
                    .entry(f.name.clone())
                    .or_default()
                    .push((at, k));
            }
            index.by_path.insert(shown.clone(), at);
            index.files.push(SourceFile {
                path: shown,
                found_at: path,
                lines: LineIndex::new(&text),
                text,
                py,
            });
        }
        let names: Vec<&str> = index
            .functions()
            .filter(|(_, f)| f.kind == FunctionKind::Pipeline && !f.component_name.is_empty())
            .map(|(_, f)| f.component_name.as_str())
            .collect();
        index.pipeline_names = aho_corasick::AhoCorasick::new(names).ok();
        index
    }

    /// Whether an IR text can hold one of the indexed pipelines (its name occurs in it).
    fn may_hold_a_pipeline(&self, ir: &str) -> bool {
        self.pipeline_names
            .as_ref()
            .is_some_and(|names| names.is_match(ir))
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn functions(&self) -> impl Iterator<Item = (usize, &PyFunction)> {
        self.files
            .iter()
            .enumerate()
            .flat_map(|(i, f)| f.py.functions.iter().map(move |x| (i, x)))
    }

    /// The component function `name` called from file `from`: the file's own, else the one
    /// function of that name in the index, else the one whose text is `embedded`.
    fn callee(
        &self,
        from: usize,
        name: &str,
        embedded: Option<&str>,
    ) -> Option<(usize, &PyFunction)> {
        if let Some(f) = self.files[from]
            .py
            .functions
            .iter()
            .find(|f| f.name == name)
        {
            return Some((from, f));
        }
        let all: Vec<(usize, &PyFunction)> = self
            .by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&(file, k)| (file, &self.files[file].py.functions[k]))
            .collect();
        match all.as_slice() {
            [one] => Some(*one),
            _ => {
                let same: Vec<_> = all
                    .iter()
                    .filter(|(_, f)| embedded.is_some_and(|e| e == f.text))
                    .collect();
                match same.as_slice() {
                    [one] => Some(**one),
                    _ => None,
                }
            }
        }
    }

    fn location(
        &self,
        file: usize,
        range: std::ops::Range<usize>,
        message: String,
    ) -> SourceLocation {
        let f = &self.files[file];
        SourceLocation {
            path: f.path.clone(),
            start: f.lines.line_col(range.start as u32),
            end: f.lines.line_col(range.end as u32),
            message,
        }
    }

    /// Where a mapped place is, for the language server: the file as the walk found it,
    /// the text that was scanned (the editor's, for an unsaved file) and the place's bytes.
    pub fn place(&self, at: &SourceLocation) -> Option<(&Path, &str, std::ops::Range<usize>)> {
        let f = &self.files[*self.by_path.get(&at.path)?];
        let offset = |l: crate::yaml::LineCol| {
            (f.lines.line_start(l.line) as usize + l.column.saturating_sub(1) as usize)
                .min(f.text.len())
        };
        let (start, end) = (offset(at.start), offset(at.end));
        Some((&f.found_at, &f.text, start..end.max(start)))
    }

    /// `path:line`.
    fn at(&self, file: usize, offset: usize) -> String {
        let f = &self.files[file];
        format!("{}:{}", f.path, f.lines.line_col(offset as u32).line)
    }

    /// The first line of a call's text, shortened for a message.
    fn shown(&self, file: usize, range: &std::ops::Range<usize>) -> String {
        let text = self.files[file].text.get(range.clone()).unwrap_or("");
        let first = text.lines().next().unwrap_or("").trim_end();
        let mut shown: String = first.chars().take(80).collect();
        if shown.len() < text.trim_end().len() {
            shown.push_str(" …");
        }
        shown
    }

    /// The 1-based line `line` of `file`, for suppression comments.
    fn line_text(&self, file: &str, line: u32) -> Option<&str> {
        let f = &self.files[*self.by_path.get(file)?];
        let start = f.lines.line_start(line) as usize;
        let end = f.lines.line_start(line + 1) as usize;
        f.text
            .get(start..end)
            .map(|line| line.trim_end_matches(['\n', '\r']))
    }
}

/// A task of the IR, resolved to Python.
struct Resolved<'a> {
    file: usize,
    task: &'a PyTask,
    /// The component's (or sub-pipeline's) function.
    callee: Option<(usize, &'a PyFunction)>,
}

/// KFP control-flow groups: `for-loop-2`, `condition-3`, `condition-branches-1`,
/// `exit-handler-1` are DAG keys the compiler makes, not calls in Python.
fn is_group(name: &str) -> bool {
    [
        "for-loop-",
        "condition-branches-",
        "condition-",
        "exit-handler-",
    ]
    .iter()
    .any(|p| {
        name.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The function the IR embeds for a lightweight component, from its `def` line on, as
/// [`PyFunction::text`] holds it.
fn embedded_function(step: &Step) -> Option<String> {
    let source = step.source.as_ref()?;
    let text = &source.text;
    let at = text
        .match_indices("def ")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')?;
    let mut out = String::new();
    for line in text[at..].lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    Some(out)
}

fn function_name(embedded: &str) -> &str {
    let rest = embedded.strip_prefix("def ").unwrap_or(embedded);
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

impl SourceIndex {
    /// Resolves an IR step path (`[pipeline, for-loop-2, train]`) from pipeline function
    /// `func` of file `file`.
    fn resolve<'a>(
        &'a self,
        mut file: usize,
        mut func: &'a PyFunction,
        path: &[String],
        embedded: Option<&str>,
    ) -> Option<Resolved<'a>> {
        let rest = path.get(1..)?;
        let last = rest.len().checked_sub(1)?;
        for (i, name) in rest.iter().enumerate() {
            let task = func.task(name);
            let Some(task) = task else {
                if is_group(name) && i != last {
                    continue;
                }
                return None;
            };
            if i == last {
                let callee = self.callee(file, &task.callee, embedded);
                return Some(Resolved { file, task, callee });
            }
            let (f, sub) = self.callee(file, &task.callee, None)?;
            if sub.kind != FunctionKind::Pipeline {
                return None;
            }
            (file, func) = (f, sub);
        }
        None
    }
}

/// How one IR pipeline relates to the Python.
enum Match<'a> {
    /// Every task found, every embedded function the same: map findings.
    Mapped {
        file: usize,
        func: &'a PyFunction,
    },
    /// The pipeline's functions are there, but an embedded one differs: the IR is older.
    Stale {
        /// The first component that differs: its function and file.
        component: String,
        file: usize,
        span: Span,
    },
    Unknown,
}

fn match_pipeline<'a>(index: &'a SourceIndex, pipeline: &Pipeline) -> Match<'a> {
    let Some(name) = pipeline.name.as_ref().map(|n| n.value.as_str()) else {
        return Match::Unknown;
    };
    let steps: Vec<&Step> = pipeline
        .steps
        .iter()
        .filter(|s| !s.system && s.kind != StepKind::Group)
        .collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (file, func) in index
        .functions()
        .filter(|(_, f)| f.kind == FunctionKind::Pipeline && f.component_name == name)
    {
        let mut candidate = Candidate {
            file,
            func,
            resolved: 0,
            unmatched: 0,
            first_diff: None,
        };
        for step in &steps {
            let embedded = embedded_function(step);
            let Some(r) = index.resolve(file, func, &step.path, embedded.as_deref()) else {
                continue;
            };
            candidate.resolved += 1;
            let Some(embedded) = &embedded else {
                continue;
            };
            // By name when the text did not pick one: it is the function called.
            let callee = r
                .callee
                .or_else(|| index.callee(r.file, function_name(embedded), None));
            match callee {
                Some((_, f)) if f.text == *embedded => {}
                Some((cf, f)) => {
                    candidate.unmatched += 1;
                    candidate
                        .first_diff
                        .get_or_insert((f.name.clone(), cf, step.span));
                }
                // Several functions of that name, none the embedded one: not a match,
                // and not known to be stale either.
                None => candidate.unmatched += 1,
            }
        }
        if candidate.resolved == steps.len() {
            candidates.push(candidate);
        }
    }
    // A pipeline defined twice (copies, examples) is mapped only when exactly one
    // definition matches what was compiled; staleness is said only when there is one
    // candidate, so that it is never claimed of code the IR did not come from.
    let exact: Vec<&Candidate> = candidates.iter().filter(|c| c.unmatched == 0).collect();
    match (exact.as_slice(), candidates.as_slice()) {
        ([one], _) => Match::Mapped {
            file: one.file,
            func: one.func,
        },
        ([], [only]) => match &only.first_diff {
            Some((component, file, span)) => Match::Stale {
                component: component.clone(),
                file: *file,
                span: *span,
            },
            None => Match::Unknown,
        },
        _ => Match::Unknown,
    }
}

/// A pipeline function that may be the one an IR pipeline was compiled from.
struct Candidate<'a> {
    file: usize,
    func: &'a PyFunction,
    /// IR tasks found in it (all of them, or it is no candidate).
    resolved: usize,
    /// Lightweight components whose embedded function is not the repository's.
    unmatched: usize,
    /// The first that differs: its function, file, and the IR task it is reported at.
    first_diff: Option<(String, usize, Span)>,
}

/// The id of the staleness finding.
pub const STALE: &str = "stale-compiled-pipeline";

/// The source indexes of a run, one per directory, each scanned on first use.
#[derive(Debug, Default)]
pub struct SourceMaps {
    /// `--kfp-source DIR`: one directory for every IR file.
    explicit: Option<PathBuf>,
    /// `--report-at source`: the Python line is the primary location.
    report_at_source: bool,
    indexes: std::collections::HashMap<PathBuf, std::sync::Arc<SourceIndex>>,
    /// The repository around each folder of IR files met so far (`None`: outside one),
    /// and what each source folder resolves to: resolving a path and looking for `.git` in
    /// every folder above it costs a dozen system calls, paid once a folder, not once a file.
    repositories: std::collections::HashMap<PathBuf, Option<PathBuf>>,
    resolved: std::collections::HashMap<PathBuf, PathBuf>,
    /// Scans that stopped early, each said once.
    pub warnings: Vec<String>,
}

impl SourceMaps {
    pub fn new(explicit: Option<PathBuf>, report_at_source: bool) -> SourceMaps {
        SourceMaps {
            explicit,
            report_at_source,
            ..SourceMaps::default()
        }
    }

    /// Maps one linted file (see [`attach`]); the Python is looked for in `--kfp-source`,
    /// else the config's `kfp-source`, else the repository around the file.
    pub fn apply(&mut self, report: &mut FileReport, settings: &crate::engine::Settings) {
        if !SourceMaps::may_change(report) {
            return;
        }
        let dir = self
            .explicit
            .clone()
            .or_else(|| settings.config.kfp_source.clone())
            .or_else(|| self.repository_of(Path::new(&report.path)));
        let Some(dir) = dir else {
            return;
        };
        let key = self
            .resolved
            .entry(dir.clone())
            .or_insert_with(|| std::fs::canonicalize(&dir).unwrap_or(dir.clone()))
            .clone();
        let settings = settings.config.limits.apply(settings);
        let index = self
            .indexes
            .entry(key)
            .or_insert_with(|| {
                std::sync::Arc::new(SourceIndex::scan(
                    &dir,
                    settings.max_file_size,
                    settings.work_budget,
                ))
            })
            .clone();
        if let Some(warning) = &index.incomplete {
            if !self.warnings.contains(warning) {
                self.warnings.push(warning.clone());
            }
        }
        attach(report, &index, &settings, self.report_at_source);
    }
}

impl SourceMaps {
    /// Whether [`SourceMaps::apply`] may change `report`: only KFP IR is mapped.
    pub fn may_change(report: &FileReport) -> bool {
        matches!(&report.outcome, Outcome::Pipeline(formats) if formats.contains(&"kfp-ir"))
    }

    /// [`repository_of`], remembered per folder. A file that is itself a symlink is looked
    /// up on its own: its repository is the one around its target.
    fn repository_of(&mut self, ir: &Path) -> Option<PathBuf> {
        let folder = ir.parent().filter(|p| !p.as_os_str().is_empty());
        let plain_file = std::fs::symlink_metadata(ir).is_ok_and(|m| !m.file_type().is_symlink());
        match folder {
            Some(folder) if plain_file => self
                .repositories
                .entry(folder.to_path_buf())
                .or_insert_with(|| repository_of(ir))
                .clone(),
            _ => repository_of(ir),
        }
    }
}

/// Maps the findings of one linted KFP IR file into the Python of `index`, adds the
/// staleness finding, and applies `# pipelint: ignore[...]` comments on the mapped
/// Python lines. A file that is not KFP IR, or whose pipelines are not found, is left
/// exactly as it was.
pub fn attach(
    report: &mut FileReport,
    index: &SourceIndex,
    settings: &crate::engine::Settings,
    report_at_source: bool,
) {
    let Outcome::Pipeline(formats) = &report.outcome else {
        return;
    };
    if index.is_empty()
        || !formats.contains(&"kfp-ir")
        || !index.may_hold_a_pipeline(&report.source)
    {
        return;
    }
    let config = &settings.config;
    let relative = config.relative(Path::new(&report.path));
    let stale_enabled = config.rule_enabled(STALE, relative.as_deref());
    let meter = limits::Meter::start(settings.work_budget);
    let yaml = crate::yaml::parse(&report.source, &settings.parse_limits);
    let (pipelines, _) = crate::formats::adapt_file(&yaml, &report.source);
    if meter.exhausted_at().is_some() {
        return;
    }
    drop(meter);
    let mut stale: Option<Finding> = None;
    for pipeline in pipelines
        .iter()
        .filter(|p| matches!(p.format, crate::model::Format::KfpIr(_)))
    {
        match match_pipeline(index, pipeline) {
            Match::Mapped { file, func } => {
                for finding in report
                    .findings
                    .iter_mut()
                    .filter(|f| f.document.is_none_or(|d| d == pipeline.document))
                {
                    map_finding(finding, index, pipeline, file, func, report_at_source);
                }
            }
            Match::Stale {
                component,
                file,
                span,
            } if stale_enabled && stale.is_none() => {
                let py = &index.files[file].path;
                stale = Some(
                    Finding::new(
                        STALE,
                        crate::finding::Severity::Info,
                        span,
                        format!(
                            "{} is older than {py}: component `{component}` has changed since it was compiled",
                            report.path
                        ),
                    )
                    .label("compiled from other code than the repository's")
                    .help(format!(
                        "recompile the pipeline from {py}; until then no finding of this file is mapped to the Python"
                    )),
                );
            }
            _ => {}
        }
    }
    if let Some(mut finding) = stale {
        finding.pipeline = pipelines
            .first()
            .and_then(|p| p.name.as_ref())
            .map(|n| n.value.as_str().into());
        finding.document = pipelines.first().map(|p| p.document);
        finding.url = config.shared_rule_url(STALE);
        if let Some(crate::config::RuleSeverity::Set(level)) =
            config.rule(STALE).and_then(|r| r.severity)
        {
            finding.severity = level;
        }
        report.findings.push(finding);
        report
            .findings
            .sort_by_key(|f| (f.span.start, f.span.end, f.rule));
    }
    // `# pipelint: ignore[rule] reason` on a Python line the finding maps to.
    let before = report.findings.len();
    report.findings.retain(|f| {
        !f.sources.iter().any(|s| {
            index
                .line_text(&s.path, s.start.line)
                .and_then(python_ignore)
                .is_some_and(|ids| ids.iter().any(|id| id == f.rule))
        })
    });
    report.suppressed += before - report.findings.len();
}

/// The rule ids of a `# pipelint: ignore[...]` comment on a Python line.
fn python_ignore(line: &str) -> Option<Vec<String>> {
    line.match_indices('#')
        .map(|(i, _)| &line[i + 1..])
        .filter(|rest| rest.trim_start().starts_with("pipelint:"))
        .find_map(crate::suppress::ignored_ids)
}

/// The edit that makes the Python line holding byte `offset` of `text` ignore `rule`: the
/// rule added to the line's `# pipelint: ignore[...]` comment (only the first such comment
/// counts), else that comment, with `reason`, appended to the line.
pub fn ignore_edit(
    text: &str,
    offset: usize,
    rule: &str,
    reason: &str,
) -> (std::ops::Range<usize>, String) {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let end = text[start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| start + i);
    let line = &text[start..end];
    let existing = line
        .match_indices('#')
        .map(|(i, _)| i + 1)
        .find(|&i| line[i..].trim_start().starts_with("pipelint:"));
    if let Some(comment) = existing {
        let rest = &line[comment..];
        if let Some(close) = rest
            .find("ignore[")
            .and_then(|open| rest[open..].find(']').map(|close| open + close))
        {
            let at = start + comment + close;
            return (at..at, format!(", {rule}"));
        }
    }
    (end..end, format!("  # pipelint: ignore[{rule}] {reason}"))
}

fn map_finding(
    finding: &mut Finding,
    index: &SourceIndex,
    pipeline: &Pipeline,
    file: usize,
    func: &PyFunction,
    report_at_source: bool,
) {
    let mut sources = Vec::new();
    if finding.step_path.is_empty() {
        sources.push(index.location(
            file,
            func.def_line.clone(),
            format!(
                "pipeline `{}` defined at `{}`",
                func.name,
                index.at(file, func.def_line.start)
            ),
        ));
    } else {
        let step = pipeline.steps.iter().find(|s| s.path == finding.step_path);
        let embedded = step.and_then(embedded_function);
        let Some(r) = index.resolve(file, func, &finding.step_path, embedded.as_deref()) else {
            return;
        };
        let (calls, fallback) = place_of(finding.rule);
        for call in r
            .task
            .config
            .iter()
            .filter(|c| calls.contains(&c.method.as_str()))
        {
            sources.push(index.location(
                r.file,
                call.call.clone(),
                format!(
                    "set in `{}`: `{}`",
                    index.at(r.file, call.call.start),
                    index.shown(r.file, &call.call)
                ),
            ));
        }
        let creation = index.location(
            r.file,
            r.task.call.clone(),
            format!(
                "task `{}` created at `{}`: `{}`",
                r.task.task_name,
                index.at(r.file, r.task.call.start),
                index.shown(r.file, &r.task.call)
            ),
        );
        let component = r.callee.map(|(cf, f)| {
            let what = match f.kind {
                FunctionKind::Pipeline => "pipeline",
                _ => "component",
            };
            index.location(
                cf,
                f.def_line.clone(),
                format!(
                    "{what} `{}` defined at `{}`",
                    f.name,
                    index.at(cf, f.def_line.start)
                ),
            )
        });
        match (fallback, component) {
            (Fallback::Image, Some(component)) => {
                // Where the pin goes: the string that names the image.
                let image = r.callee.and_then(|(cf, f)| {
                    let image = f.image.clone()?;
                    Some(index.location(
                        cf,
                        image.clone(),
                        format!(
                            "image of `{}` written at `{}`: `{}`",
                            f.name,
                            index.at(cf, image.start),
                            index.shown(cf, &image)
                        ),
                    ))
                });
                sources.extend(image);
                sources.push(component);
                sources.push(creation);
            }
            (_, component) => {
                sources.push(creation);
                sources.extend(component);
            }
        }
    }
    finding.at_source = report_at_source && !sources.is_empty();
    finding.sources = sources;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_repository_is_found_from_the_resolved_path() {
        let base = std::env::temp_dir().join(format!("pipelint-repo-of-{}", std::process::id()));
        let (repo, other) = (base.join("repo"), base.join("other"));
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("pipelines")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("ir.yaml"), "a: 1\n").unwrap();
        std::fs::write(repo.join("pipelines/ir.yaml"), "a: 1\n").unwrap();
        // `repo/pipelines/../../other/ir.yaml` lies outside the repository: its `..` parents
        // must not lead back into it.
        let outside = repo.join("pipelines/../../other/ir.yaml");
        assert_eq!(super::repository_of(&outside), None);
        let inside = super::repository_of(&repo.join("pipelines/ir.yaml")).unwrap();
        assert_eq!(inside, std::fs::canonicalize(&repo).unwrap());
        // A name that is not there is looked for from its directory.
        let named = super::repository_of(&repo.join("pipelines/stdin.yaml")).unwrap();
        assert_eq!(named, std::fs::canonicalize(&repo).unwrap());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_repository_remembered_per_folder_is_the_one_found_per_file() {
        let base = std::env::temp_dir().join(format!("pipelint-repo-cache-{}", std::process::id()));
        let (repo, other) = (base.join("repo"), base.join("other"));
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("pipelines")).unwrap();
        std::fs::create_dir_all(other.join(".git")).unwrap();
        std::fs::write(repo.join("pipelines/a.yaml"), "a: 1\n").unwrap();
        std::fs::write(repo.join("pipelines/b.yaml"), "a: 1\n").unwrap();
        std::fs::write(other.join("ir.yaml"), "a: 1\n").unwrap();
        // In the same folder, a symlink to a file of another repository.
        std::os::unix::fs::symlink(other.join("ir.yaml"), repo.join("pipelines/linked.yaml"))
            .unwrap();
        let mut maps = SourceMaps::default();
        for name in [
            "a.yaml",
            "linked.yaml",
            "b.yaml",
            "linked.yaml",
            "missing.yaml",
        ] {
            let ir = repo.join("pipelines").join(name);
            assert_eq!(maps.repository_of(&ir), repository_of(&ir), "{name}");
        }
        let linked = maps.repository_of(&repo.join("pipelines/linked.yaml"));
        assert_eq!(linked, Some(std::fs::canonicalize(&other).unwrap()));
        assert_eq!(maps.repositories.len(), 1, "one folder of plain files");
        std::fs::remove_dir_all(&base).unwrap();
    }

    use super::*;

    #[test]
    fn the_ignore_edit_appends_a_comment_or_extends_the_one_there() {
        let apply = |text: &str, at: &str, rule: &str| {
            let (range, new) = ignore_edit(text, text.find(at).unwrap(), rule, "reason");
            let mut out = text.to_string();
            out.replace_range(range, &new);
            out
        };
        let text = "a = 1\ntask = train()\nb = 2\n";
        let out = apply(text, "train", "missing-timeout");
        assert_eq!(
            out,
            "a = 1\ntask = train()  # pipelint: ignore[missing-timeout] reason\nb = 2\n"
        );
        assert_eq!(
            python_ignore(out.lines().nth(1).unwrap()).unwrap(),
            ["missing-timeout"]
        );
        // A second rule joins the first comment, which is the one that counts.
        let twice = apply(&out, "train", "unpinned-image");
        let line = twice.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "task = train()  # pipelint: ignore[missing-timeout, unpinned-image] reason"
        );
        assert_eq!(
            python_ignore(line).unwrap(),
            ["missing-timeout", "unpinned-image"]
        );
        // Another tool's comment is kept; the last line has no line break.
        let noqa = apply("x = f()  # noqa: E501", "f()", "r");
        assert_eq!(noqa, "x = f()  # noqa: E501  # pipelint: ignore[r] reason");
        assert_eq!(python_ignore(&noqa).unwrap(), ["r"]);
    }

    #[test]
    fn control_flow_groups_are_not_tasks() {
        assert!(is_group("for-loop-2"));
        assert!(is_group("condition-branches-1"));
        assert!(is_group("exit-handler-1"));
        assert!(!is_group("condition"));
        assert!(!is_group("for-loop-x"));
    }
}
