//! The command line: parse arguments, run, print, and return the exit code.

// `eprintln!`/`eprint!` panic when stderr is a closed pipe (`pipelint check . 2>&1 | head`),
// which would exit with 101; these write and ignore the error, as `print` does for stdout.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigResolver, Overrides, Version};
use crate::discover::discover_packed;
use crate::engine::{display_path, lint_bytes, lint_inputs, FileReport, Outcome, Settings};
use crate::finding::Severity;
use crate::kfp_source::SourceMaps;
use crate::report::{
    render_compact, render_github, render_gitlab, render_human_findings, render_json,
    render_json_lines, render_junit, render_sarif, render_statistics, render_statistics_json,
    visible, HumanStyle, RepoRoot, Summary,
};
use crate::rules::registry;

/// Exit codes: nothing at or above `--fail-on`, findings at or above it, usage or internal error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
/// `--jobs` starts at most this many threads per core.
const MAX_JOBS_PER_CORE: usize = 4;

#[derive(Parser, Debug)]
#[command(
    name = "pipelint",
    version,
    about = "Lint Kubeflow Pipelines v2 IR and Argo Workflows before they run",
    after_help = "Run `pipelint rules` for the rule list and `pipelint rule <id>` for one rule's doc."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
// Parsed once per process: the size of the `check` arguments does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Lint files and directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule with its default severity.
    Rules {
        /// `text` (aligned columns) or `json`.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print the documentation of one rule.
    Rule {
        /// The rule id, e.g. `unpinned-image`.
        id: String,
    },
    /// Show the configuration that applies to a path, or the config file's JSON Schema.
    Config {
        /// Print the effective configuration for PATH: which file, which values.
        #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = ".")]
        show: Option<PathBuf>,
        /// Print the JSON Schema of `.pipelint.yaml` (for editor completion).
        #[arg(long, conflicts_with = "show")]
        schema: bool,
    },
    /// Print a shell completion script, e.g. `pipelint completions bash > ~/.local/share/bash-completion/completions/pipelint`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Show why pipelint thinks each step does IO, has a non-idempotent effect or is random:
    /// per step, each question's verdict and the declarations and knowledge rows that decided it.
    Classify(ClassifyArgs),
    /// Run the language server on stdin/stdout (for editors; see the README).
    Lsp {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(clap::Args, Debug)]
struct ClassifyArgs {
    /// A KFP IR or Argo file.
    path: PathBuf,
    /// Only the step (or template) with this name.
    #[arg(long, value_name = "NAME")]
    step: Option<String>,
    /// `human` (default) or `json`.
    #[arg(long, value_enum, default_value = "human")]
    format: ClassifyFormat,
    /// Use this config file instead of the nearest `.pipelint.yaml`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ClassifyFormat {
    Human,
    Json,
}

/// Step names and evidence come from the file: the human text escapes control characters
/// like every other text output; JSON is escaped by its format.
fn visible_if_human(text: String, format: ClassifyFormat) -> String {
    match format {
        ClassifyFormat::Human => text
            .split_inclusive('\n')
            .map(|line| match line.strip_suffix('\n') {
                Some(line) => format!("{}\n", visible(line)),
                None => visible(line).into_owned(),
            })
            .collect(),
        ClassifyFormat::Json => text,
    }
}

/// `pipelint classify`.
fn classify(args: ClassifyArgs) -> u8 {
    let config = match ConfigResolver::new(args.config.as_deref(), Overrides::default())
        .and_then(|mut r| r.for_file(&args.path))
    {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    match crate::classify::classify_file(&args.path, &config, args.step.as_deref()) {
        Ok(steps) => {
            let shown = args.path.to_string_lossy().replace('\\', "/");
            let text = match args.format {
                ClassifyFormat::Human => crate::classify::render_human(&shown, &steps),
                ClassifyFormat::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "path": shown,
                        "steps": steps,
                    }))
                    .unwrap_or_default()
                ),
            };
            print_then(&visible_if_human(text, args.format), EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files or directories (default: .); directories are walked honouring .gitignore.
    /// `-` reads one file from standard input.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Report only findings that are not in this baseline (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record today's findings in FILE (JSON) and exit 0; later runs pass --baseline FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Write the report to FILE (parent directories are created); the summary line and
    /// statistics still go to the terminal.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with status 1 when a finding is at or above this severity (findings hidden by
    /// --min-severity or --min-confidence do not count).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Only these rules and policies run (comma-separated ids); replaces the config's
    /// `select`, `ignore` and `severity: off`, as ruff's --select does.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    select: Option<Vec<String>>,
    /// Run these rules or policies too, on top of the config's selection.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    extend_select: Vec<String>,
    /// Never run these rules or policies (on top of the config's `ignore`).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    ignore: Vec<String>,
    /// Show only findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    min_severity: Option<MinSeverity>,
    /// Show only findings at or above this confidence (findings of rules that read a field
    /// are certain: they count as high).
    #[arg(long, value_enum, value_name = "CONFIDENCE")]
    min_confidence: Option<MinConfidence>,
    /// Print how many findings each rule produced, most frequent first, instead of the
    /// findings (a JSON array with --format json).
    #[arg(long)]
    statistics: bool,
    /// Print the findings only, without the summary line.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Colour the human output: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// The file name that `-` (standard input) is reported under, and its config found from.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Worker threads (default: one per core; at most four per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// A config file for every linted file instead of the nearest `.pipelint.yaml`, or a
    /// one-off `KEY=VALUE` setting on top of the config (a YAML value; nested keys dotted:
    /// `--config rules.unpinned-image.severity=warning`); repeatable.
    #[arg(long, value_name = "FILE|KEY=VALUE")]
    config: Vec<String>,
    /// The KFP backend the pipelines will run on (overrides `kfp-backend-version`).
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_version)]
    kfp_backend_version: Option<Version>,
    /// The Argo Workflows version the pipelines will run on (overrides `argo-version`).
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_version)]
    argo_version: Option<Version>,
    /// Report Argo `templateRef`/`workflowTemplateRef` to (Cluster)WorkflowTemplates that no
    /// file of this run defines (every input is read once more before linting).
    #[arg(long)]
    strict_refs: bool,
    /// Apply the safe fixes to the files (or print the fixed text of `-`), then report the
    /// findings that remain.
    #[arg(long, conflicts_with = "write_baseline")]
    fix: bool,
    /// Apply unsafe fixes too (they change what runs) with --fix or --diff.
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print what --fix would change as a unified diff and write nothing; exit 1 when there
    /// is something to fix.
    #[arg(long, conflicts_with = "write_baseline")]
    diff: bool,
    /// Digests the unpinned-image fix may pin images to: lines `image:tag sha256:<digest>`
    /// (from `crane digest` or your registry; pipelint never looks one up).
    #[arg(long, value_name = "FILE")]
    image_digests: Option<PathBuf>,
    /// Append `# pipelint: ignore[rule-id] REASON` to the line of every finding (ruff's
    /// --add-noqa), then report what remains.
    #[arg(long, value_name = "REASON", conflicts_with_all = ["fix", "diff", "write_baseline"])]
    add_ignore: Option<String>,
    /// Where the Python that the KFP IR was compiled from lives (default: `kfp-source` in
    /// the config, else the repository around each IR file); findings are mapped to it.
    #[arg(long, value_name = "DIR")]
    kfp_source: Option<PathBuf>,
    /// Where a KFP IR finding that maps to Python is reported: `ir` (the compiled file, the
    /// Python lines related) or `source` (the Python line; the default of `--format github`).
    #[arg(long, value_enum, value_name = "WHERE")]
    report_at: Option<ReportAt>,
    /// Files larger than this many bytes are not read (`input-too-large`; default 64 MiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_file_size: Option<u64>,
    /// Collections nested deeper than this abandon the document (`input-too-complex`; default 255).
    #[arg(long, value_name = "DEPTH", value_parser = clap::value_parser!(u64).range(1..=crate::limits::MAX_NESTING_DEPTH_CAP as u64))]
    max_nesting_depth: Option<u64>,
    /// Nodes YAML aliases may add to a document (`input-too-complex`; default 1000000).
    #[arg(long, value_name = "NODES")]
    max_alias_expansion: Option<u64>,
    /// Work units one file may cost, counted deterministically, not in seconds
    /// (`input-too-complex`; default 50000000; see `pipelint rule input-too-complex`).
    #[arg(long, value_name = "UNITS", value_parser = clap::value_parser!(u64).range(1..))]
    file_time_budget: Option<u64>,
}

fn parse_version(text: &str) -> Result<Version, String> {
    Version::parse(text).ok_or_else(|| format!("`{text}` is not a version like 2.5.0"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Diagnostics with the source snippet, labels and help.
    Human,
    /// `path:line:col: severity[rule-id] message`, one finding a line.
    Compact,
    /// Versioned JSON (documented in the README).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the run and the pull request.
    Github,
    /// JUnit XML: one testsuite per file, one testcase per rule and step.
    Junit,
    /// GitLab Code Quality (`artifacts:reports:codequality`), with fingerprints.
    Gitlab,
    /// One JSON object per line, each a finding of the `json` format.
    JsonLines,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ReportAt {
    /// The compiled IR file.
    Ir,
    /// The Python line the finding maps to, when one is found.
    Source,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RulesFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MinSeverity {
    Info,
    Warning,
    Error,
}

impl MinSeverity {
    fn severity(self) -> Severity {
        match self {
            MinSeverity::Info => Severity::Info,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Error => Severity::Error,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MinConfidence {
    Low,
    High,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FailOn {
    /// Findings at error severity fail the run.
    Error,
    /// Findings at warning or error severity fail the run.
    Warning,
    /// Findings never fail the run (exit 0 unless usage or internal error).
    Never,
}

impl FailOn {
    fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set to a non-empty value.
    Auto,
    Always,
    Never,
}

/// Runs the CLI on `args`, writing to stdout/stderr; returns the exit code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    use clap::{CommandFactory, FromArgMatches};
    // Help wraps to `COLUMNS` or the terminal, and not at all when piped: never at a fixed
    // width, which would break the commands quoted in it when copied.
    let command = Cli::command().term_width(help_width());
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::Config { show, schema } => {
            if schema {
                return print_then(
                    &format!(
                        "{}\n",
                        serde_json::to_string_pretty(crate::config::schema()).unwrap_or_default()
                    ),
                    EXIT_OK,
                );
            }
            let path = show.unwrap_or_else(|| PathBuf::from("."));
            if !path.exists() {
                eprintln!("error: {}: no such file or directory", path.display());
                return EXIT_USAGE;
            }
            // For a folder, the config that applies to the files in it.
            let probe = if path.is_dir() {
                path.join("pipeline.yaml")
            } else {
                path.clone()
            };
            match ConfigResolver::new(None, Overrides::default())
                .and_then(|mut r| r.for_file(&probe))
            {
                Ok(config) => print_then(&crate::config::describe(&config), EXIT_OK),
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_USAGE
                }
            }
        }
        Command::Classify(args) => classify(args),
        Command::Lsp { stdio: _ } => crate::lsp::run(),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "pipelint",
                &mut out,
            );
            print_then(&String::from_utf8_lossy(&out), EXIT_OK)
        }
        Command::Rules { format } => {
            let text = match format {
                RulesFormat::Text => rules_table(),
                RulesFormat::Json => rules_json(),
            };
            print_then(&text, EXIT_OK)
        }
        Command::Rule { id } => match registry::find(&id) {
            Some(rule) => print_then(rule.meta().doc, EXIT_OK),
            None => {
                let ids: Vec<&str> = registry::all().iter().map(|r| r.meta().id).collect();
                match crate::config::suggest(&id, &ids) {
                    suggestion if !suggestion.is_empty() => {
                        eprintln!("error: no rule `{id}`{suggestion}; `pipelint rules` lists them")
                    }
                    _ => eprintln!("error: no rule `{id}`; rules are: {}", ids.join(", ")),
                }
                EXIT_USAGE
            }
        },
    }
}

/// `pipelint rules`: id, default severity and summary, in columns as wide as their widest.
fn rules_table() -> String {
    let metas: Vec<_> = registry::all().iter().map(|r| r.meta()).collect();
    let id_width = metas.iter().map(|m| m.id.len()).max().unwrap_or(0);
    let severity_width = metas
        .iter()
        .map(|m| m.default_severity.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for meta in metas {
        out.push_str(&format!(
            "{:<id_width$}  {:<severity_width$}  {}\n",
            meta.id,
            meta.default_severity.as_str(),
            meta.summary
        ));
    }
    out
}

/// `pipelint rules --format json`: one object per rule, with its options.
fn rules_json() -> String {
    let rules: Vec<serde_json::Value> = registry::all()
        .iter()
        .map(|r| {
            let meta = r.meta();
            serde_json::json!({
                "id": meta.id,
                "default_severity": meta.default_severity.as_str(),
                "summary": meta.summary,
                "options": meta.options.iter().map(|o| o.name).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&rules).unwrap_or_default();
    out.push('\n');
    out
}

/// `COLUMNS`, else the width of the terminal standard output is.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
        })
}

/// The width help wraps at; 0 (no wrapping) when there is no terminal and no `COLUMNS`.
fn help_width() -> usize {
    terminal_width().unwrap_or(0)
}

/// Writes to standard output. A closed pipe (`pipelint check | head`) is not an error: the
/// reader took what it wanted. Any other failure (`> /dev/full`) is: what was printed is
/// lost, so it is reported and the run exits 2 (see [`stdout_failed`]).
fn print(text: &str) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    quiet_on_closed_pipe(lock.write_all(text.as_bytes()).and_then(|()| lock.flush()))
}

fn quiet_on_closed_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The message and exit code for output that could not be written to standard output.
fn stdout_failed(e: std::io::Error) -> u8 {
    eprintln!("error: cannot write to standard output: {e}");
    EXIT_USAGE
}

/// [`print`], then `code`; or exit 2 if standard output failed.
fn print_then(text: &str, code: u8) -> u8 {
    match print(text) {
        Ok(()) => code,
        Err(e) => stdout_failed(e),
    }
}

fn check(args: CheckArgs) -> u8 {
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            eprintln!("error: --jobs must be at least 1");
            return EXIT_USAGE;
        }
        // Linting is CPU work: threads beyond a few per core only cost memory, and
        // `-j 100000` must not try to start 100,000 of them.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // Only fails if a global pool already exists, which a fresh process never has.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.min(cores * MAX_JOBS_PER_CORE))
            .build_global();
    }
    let dash = Path::new("-");
    let read_stdin = args.paths.iter().any(|p| p == dash)
        || (args.paths.is_empty() && args.stdin_filename.is_some());
    if args.stdin_filename.is_some() && !read_stdin {
        eprintln!("error: --stdin-filename names what `-` reads; add `-` to the paths");
        return EXIT_USAGE;
    }
    let mut paths: Vec<PathBuf> = args.paths.iter().filter(|p| *p != dash).cloned().collect();
    if paths.is_empty() && !read_stdin {
        paths.push(PathBuf::from("."));
    }
    let stdin_path = args.stdin_filename.as_deref().unwrap_or(dash);
    // A path that does not exist is reported for itself (exit 2 at the end); the others are
    // still linted.
    let (paths, missing): (Vec<PathBuf>, Vec<PathBuf>) = paths
        .into_iter()
        .partition(|p| p.exists() || p.is_symlink());
    let mut inputs = match discover_packed(&paths) {
        Ok(inputs) => inputs,
        Err(missing) => {
            // Removed between the check above and the walk.
            eprintln!("error: {}: no such file or directory", missing.0.display());
            return EXIT_USAGE;
        }
    };
    let mut config_file: Option<PathBuf> = None;
    let mut values = Vec::new();
    for text in &args.config {
        match crate::config::ConfigValue::parse(text) {
            Some(_) if Path::new(text).is_file() => {}
            Some(Ok(value)) => {
                values.push(value);
                continue;
            }
            Some(Err(message)) => {
                eprintln!("error: --config {message}");
                return EXIT_USAGE;
            }
            None => {}
        }
        if let Some(first) = &config_file {
            eprintln!(
                "error: --config names two files ({} and {text}); one config file applies",
                first.display()
            );
            return EXIT_USAGE;
        }
        config_file = Some(PathBuf::from(text));
    }
    let image_digests = match &args.image_digests {
        Some(path) => match crate::fix::digests::ImageDigests::read(path) {
            Ok(digests) => Some(Arc::new(digests)),
            Err(e) => {
                eprintln!("error: --image-digests {e}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    if let Some(dir) = &args.kfp_source {
        if !dir.is_dir() {
            eprintln!("error: --kfp-source {}: not a directory", dir.display());
            return EXIT_USAGE;
        }
    }
    let report_at_source = match args.report_at {
        Some(at) => at == ReportAt::Source,
        None => args.format == Format::Github,
    };
    let fixing = args.fix || args.diff || args.add_ignore.is_some();
    if let Some(reason) = &args.add_ignore {
        if reason.contains(['\n', '\r']) {
            eprintln!("error: --add-ignore takes a reason on one line");
            return EXIT_USAGE;
        }
    }
    if fixing && read_stdin && !paths.is_empty() {
        eprintln!("error: with --fix, --diff or --add-ignore, `-` cannot be mixed with other paths (the fixed text of `-` goes to standard output)");
        return EXIT_USAGE;
    }
    let overrides = Overrides {
        image_digests,
        kfp_backend_version: args.kfp_backend_version,
        argo_version: args.argo_version,
        known_templates: args.strict_refs.then(|| {
            std::sync::Arc::new(crate::refs::KnownTemplates::collect(
                &inputs.to_vec(),
                Settings::default().max_file_size,
            ))
        }),
        limits: crate::limits::Configured {
            max_file_size: args.max_file_size,
            max_nesting_depth: args.max_nesting_depth,
            max_alias_expansion: args.max_alias_expansion,
            file_time_budget: args.file_time_budget,
        },
        selection: crate::config::Selection {
            select: args.select.clone(),
            extend_select: args.extend_select.clone(),
            ignore: args.ignore.clone(),
        },
        values,
    };
    // Every config is read and validated before anything is linted: a typo is exit 2.
    // Standard input gets the config of the file it is named after (or of `.`).
    let mut stdin_config = None;
    let resolved =
        ConfigResolver::new(config_file.as_deref(), overrides).and_then(|mut resolver| {
            for i in 0..inputs.len() {
                let config = resolver.for_file(&inputs.path(i))?;
                inputs.set_config(i, config);
            }
            if read_stdin {
                stdin_config = Some(resolver.for_file(stdin_path)?);
            }
            Ok(())
        });
    if let Err(e) = resolved {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    // `exclude:` globs skip files a walk found; a file named on the command line is linted.
    inputs.retain(|path, explicit, config| explicit || !config.is_some_and(|c| c.excludes(path)));
    // JSON on standard output is written file by file (the same bytes), so that memory does
    // not grow with the number of files; what needs the whole run first takes the path below.
    if args.format == Format::Json
        && !fixing
        && !read_stdin
        && missing.is_empty()
        && args.min_severity.is_none()
        && args.min_confidence.is_none()
        && args.baseline.is_none()
        && args.write_baseline.is_none()
        && !args.statistics
        && args.output.as_ref().is_none_or(|p| p == dash)
        && std::env::current_dir().is_ok()
    {
        let maps = SourceMaps::new(args.kfp_source.clone(), report_at_source);
        return check_json_streaming(inputs, maps, args.quiet, args.fail_on);
    }
    // What follows holds every report of the run anyway: the inputs one by one.
    let inputs = inputs.to_vec();
    let mode = crate::fix::run::Mode {
        unsafe_fixes: args.unsafe_fixes,
        ignore_reason: args.add_ignore.clone(),
    };
    let mut fixes = FixTally::default();
    let mut report = if fixing {
        let area = crate::fix::run::WritableArea::new(&paths);
        fix_files(&inputs, &mode, args.diff, &area, &mut fixes)
    } else {
        lint_inputs(&inputs, &Settings::default())
    };
    let mut stdin_name = None;
    if read_stdin {
        let mut settings = Settings::default();
        if let Some(config) = &stdin_config {
            settings.config = config.clone();
        }
        // Capped like a file: past the limit nothing more is read (`input-too-large`).
        let limit = settings.config.limits.apply(&settings).max_file_size;
        let bytes = match crate::files::read_up_to(std::io::stdin().lock(), limit) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return EXIT_USAGE;
            }
        };
        let name = match &args.stdin_filename {
            Some(name) => {
                let name = name.to_string_lossy();
                name.strip_prefix("./").unwrap_or(&name).to_string()
            }
            None => "<stdin>".to_string(),
        };
        if fixing {
            let fixed = crate::fix::run::fix_bytes(name.clone(), &bytes, true, &settings, &mode);
            fixes.count(&fixed);
            let shown = match &fixed.change {
                Some((old, new)) if args.diff => crate::fix::diff::unified(&name, old, new),
                Some((_, new)) => new.clone(),
                None if args.diff => String::new(),
                // Nothing changed: the text as it came, as ruff prints it.
                None => String::from_utf8_lossy(&bytes).into_owned(),
            };
            fixes.stdin_text = Some(shown);
            report.files.push(fixed.report);
        } else {
            report
                .files
                .push(lint_bytes(name.clone(), &bytes, true, &settings));
        }
        stdin_name = Some(name);
        report.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    for path in &missing {
        eprintln!("error: {}: no such file or directory", path.display());
        report.files.push(crate::engine::unreadable(
            display_path(path),
            "no such file or directory".to_string(),
        ));
    }
    if !missing.is_empty() {
        report.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    // KFP IR findings mapped to the Python they were compiled from (before the baseline
    // and filters, since a Python comment may suppress one).
    let mut maps = SourceMaps::new(args.kfp_source.clone(), report_at_source);
    let configs = input_configs(&inputs);
    for file in &mut report.files {
        let settings = settings_for(&configs, file, stdin_name.as_deref(), stdin_config.as_ref());
        maps.apply(file, &settings);
    }
    for warning in &maps.warnings {
        eprintln!("warning: {}", visible(warning));
    }
    if let Some(path) = &args.write_baseline {
        let limit = args
            .max_file_size
            .unwrap_or(crate::limits::DEFAULT_MAX_FILE_SIZE);
        return match crate::baseline::write(&report, path, limit) {
            Ok(written) => {
                let pruned = match written.pruned {
                    0 => String::new(),
                    1 => "; 1 entry no longer found was pruned".to_string(),
                    n => format!("; {n} entries no longer found were pruned"),
                };
                eprintln!(
                    "wrote {} findings to the baseline {}{pruned}",
                    written.findings,
                    path.display()
                );
                if missing.is_empty() {
                    EXIT_OK
                } else {
                    EXIT_USAGE
                }
            }
            Err(e) => {
                eprintln!("error: cannot write the baseline: {e}");
                EXIT_USAGE
            }
        };
    }
    if let Some(path) = &args.baseline {
        let limit = args
            .max_file_size
            .unwrap_or(crate::limits::DEFAULT_MAX_FILE_SIZE);
        if let Err(e) = crate::baseline::apply(&mut report, path, limit) {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    }
    // What is shown: `--min-severity` and `--min-confidence` hide the rest (and it does not
    // fail the run either).
    if args.min_severity.is_some() || args.min_confidence.is_some() {
        for file in &mut report.files {
            file.findings
                .retain(|f| shown(f, args.min_severity, args.min_confidence));
        }
    }
    for message in &fixes.messages {
        eprintln!("warning: {}", visible(message));
    }
    if args.diff {
        // The diff is the output; the counts go to standard error.
        let text = fixes
            .stdin_text
            .take()
            .unwrap_or_else(|| fixes.diffs.concat());
        if let Err(e) = print(&text) {
            return stdout_failed(e);
        }
        if !args.quiet {
            eprintln!("{}", fixes.would_fix_line());
        }
        return if !missing.is_empty() {
            EXIT_USAGE
        } else if fixes.changed_files > 0 {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        };
    }
    let to_stdout = args.output.as_ref().is_none_or(|p| p == dash);
    for file in &report.files {
        if let Outcome::Unreadable(reason) = &file.outcome {
            let named_above = missing.iter().any(|m| display_path(m) == file.path);
            if (args.format != Format::Human || !to_stdout) && !named_above {
                eprintln!(
                    "warning: {}: could not be read: {}",
                    visible(&file.path),
                    visible(reason)
                );
            }
        }
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_stdout
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let root = match std::env::current_dir() {
        Ok(cwd) => RepoRoot::find(&cwd),
        Err(e) => {
            eprintln!("error: cannot read the current directory: {e}");
            return EXIT_USAGE;
        }
    };
    // What goes to the terminal besides the report: the summary line.
    let mut summary = String::new();
    if !args.quiet {
        summary.push_str(&Summary::of(&report).line());
        summary.push('\n');
        if fixing {
            summary.push_str(&fixes.fixed_line(&report, args.add_ignore.is_some()));
            summary.push('\n');
        }
    }
    // `-` with --fix: standard output gets the text; the findings that remain and the
    // counts go to standard error, as ruff does.
    if let Some(text) = fixes.stdin_text.take() {
        if let Err(e) = print(&text) {
            return stdout_failed(e);
        }
        eprint!("{}", render_compact(&report));
        eprint!("{summary}");
        return match report.max_severity() {
            Some(max) if args.fail_on.fails(max) => EXIT_FINDINGS,
            _ => EXIT_OK,
        };
    }
    let rendered = match args.format {
        // `--statistics`, as ruff's: the table instead of the findings (JSON with `json`).
        Format::Json if args.statistics => render_statistics_json(&report),
        _ if args.statistics => render_statistics(&report),
        Format::Human => {
            let mut text = render_human_findings(
                &report,
                HumanStyle {
                    color,
                    // Diagnostics need some width to lay out their snippets: without a
                    // terminal or `COLUMNS`, 100 (stable output for logs and snapshots).
                    width: terminal_width().unwrap_or(100),
                },
            );
            if !to_stdout && !args.quiet {
                text.push_str(&Summary::of(&report).line());
                text.push('\n');
            }
            text
        }
        Format::Compact => render_compact(&report),
        Format::Json => render_json(&report),
        Format::Sarif => render_sarif(&report, &root),
        Format::Github => render_github(&report, &root),
        Format::Gitlab => render_gitlab(&report, &root),
        Format::JsonLines => render_json_lines(&report),
        Format::Junit => {
            // Each file's config decides which rules ran on it: JUnit lists those that
            // found nothing as passing testcases, and no others.
            let mut configs: HashMap<String, Arc<Config>> = inputs
                .iter()
                .filter_map(|i| {
                    let shown = i.path.to_string_lossy();
                    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
                    Some((shown, i.config.clone()?))
                })
                .collect();
            if let (Some(name), Some(config)) = (&stdin_name, &stdin_config) {
                configs.insert(name.clone(), config.clone());
            }
            let ran = |file: &FileReport, rule: &str| match configs.get(&file.path) {
                Some(config) => {
                    config.rule_enabled(rule, config.relative(Path::new(&file.path)).as_deref())
                }
                None => true,
            };
            render_junit(&report, &root, &ran)
        }
    };
    match &args.output {
        Some(path) if !to_stdout => {
            if let Err(e) = write_report(path, &rendered) {
                eprintln!("error: cannot write the report: {e}");
                return EXIT_USAGE;
            }
            eprint!("{summary}");
        }
        _ => {
            let printed = print(&rendered).and_then(|()| {
                if args.format == Format::Human {
                    print(&summary)
                } else {
                    eprint!("{summary}");
                    Ok(())
                }
            });
            if let Err(e) = printed {
                return stdout_failed(e);
            }
        }
    }
    if !missing.is_empty() {
        return EXIT_USAGE;
    }
    match report.max_severity() {
        Some(max) if args.fail_on.fails(max) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}

/// What `--fix`, `--diff` and `--add-ignore` did, for the counts and messages of the run.
#[derive(Default)]
struct FixTally {
    applied: usize,
    changed_files: usize,
    /// Dropped fixes and files not written.
    messages: Vec<String>,
    /// `--diff`: the diff of each changed file, in report order.
    diffs: Vec<String>,
    /// `-`: the text (or diff) to print instead of a report.
    stdin_text: Option<String>,
}

impl FixTally {
    fn count(&mut self, fixed: &crate::fix::run::FileFix) {
        self.applied += fixed.applied;
        self.changed_files += usize::from(fixed.change.is_some());
        self.messages.extend(fixed.dropped.iter().cloned());
    }

    fn would_fix_line(&self) -> String {
        match self.changed_files {
            0 => "nothing to fix".to_string(),
            files => format!(
                "would fix {} in {}",
                plural(self.applied, "problem"),
                plural(files, "file")
            ),
        }
    }

    fn fixed_line(&self, report: &crate::engine::RunReport, ignoring: bool) -> String {
        let remaining = report.findings().count();
        let verb = if ignoring { "ignored" } else { "fixed" };
        let mut line = format!(
            "{verb} {} in {}; {} remaining",
            plural(self.applied, "problem"),
            plural(self.changed_files, "file"),
            plural(remaining, "finding"),
        );
        let unsafe_left = report
            .findings()
            .filter(|(_, f)| {
                f.fix
                    .as_ref()
                    .is_some_and(|x| x.applicability == crate::fix::Applicability::Unsafe)
            })
            .count();
        if unsafe_left > 0 && !ignoring {
            line.push_str(&format!(
                " ({unsafe_left} with an unsafe fix: --unsafe-fixes)"
            ));
        }
        line
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Fixes every input (in parallel), writes what changed unless `diff_only`, and returns the
/// report of what remains.
fn fix_files(
    inputs: &[crate::engine::Input],
    mode: &crate::fix::run::Mode,
    diff_only: bool,
    area: &crate::fix::run::WritableArea,
    tally: &mut FixTally,
) -> crate::engine::RunReport {
    use rayon::prelude::*;
    let settings = Settings::default();
    let mut fixed: Vec<(PathBuf, crate::fix::run::FileFix)> = inputs
        .par_iter()
        .map(|input| {
            (
                input.path.clone(),
                crate::fix::run::fix_input(input, &settings, mode),
            )
        })
        .collect();
    fixed.sort_by(|a, b| a.1.report.path.cmp(&b.1.report.path));
    let mut report = crate::engine::RunReport::default();
    for (path, mut file) in fixed {
        if let Some((old, new)) = &file.change {
            if diff_only {
                tally
                    .diffs
                    .push(crate::fix::diff::unified(&file.report.path, old, new));
            } else {
                let written = area.check(&path).and_then(|()| {
                    crate::files::write_atomic(&path, new.as_bytes()).map_err(|e| e.to_string())
                });
                if let Err(e) = written {
                    tally
                        .messages
                        .push(format!("{e}: the fixes were not written"));
                    // What the file still says.
                    let input = inputs.iter().find(|i| i.path == path);
                    let explicit = input.is_some_and(|i| i.explicit);
                    let settings = match input.and_then(|i| i.config.clone()) {
                        Some(config) => Settings {
                            config,
                            ..Settings::default()
                        },
                        None => Settings::default(),
                    };
                    file.report = crate::engine::lint_path(&path, explicit, &settings);
                    file.change = None;
                    file.applied = 0;
                }
            }
        }
        tally.count(&file);
        report.files.push(file.report);
    }
    report
}

/// Is a finding at or above `--min-severity` and `--min-confidence`?
fn shown(
    finding: &crate::finding::Finding,
    min_severity: Option<MinSeverity>,
    min_confidence: Option<MinConfidence>,
) -> bool {
    min_severity.is_none_or(|min| finding.severity >= min.severity())
        && min_confidence.is_none_or(|min| match min {
            MinConfidence::Low => true,
            // Rules that read a field are certain.
            MinConfidence::High => finding
                .confidence
                .is_none_or(|c| c == crate::analysis::Confidence::High),
        })
}

/// `--output FILE`: its folders are created, then the file is written as every file
/// pipelint writes is (see [`crate::files::write_atomic`]).
fn write_report(path: &Path, text: &str) -> Result<(), String> {
    // Only missing folders are made: not even a `mkdir` is tried for `-o /dev/null`.
    if let Some(parent) = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    crate::files::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string())
}

/// `check --format json` to standard output, streamed: see [`crate::report::JsonStream`].
/// Each input's config, by the path reports show.
fn input_configs(inputs: &[crate::engine::Input]) -> HashMap<String, Arc<Config>> {
    inputs
        .iter()
        .filter_map(|i| Some((display_path(&i.path), i.config.clone()?)))
        .collect()
}

/// The settings a linted file was linted with (its config), for the source map.
fn settings_for(
    configs: &HashMap<String, Arc<Config>>,
    file: &FileReport,
    stdin_name: Option<&str>,
    stdin_config: Option<&Arc<Config>>,
) -> Settings {
    let config = match configs.get(&file.path) {
        Some(config) => Some(config.clone()),
        None if stdin_name == Some(file.path.as_str()) => stdin_config.cloned(),
        None => None,
    };
    let mut settings = Settings::default();
    if let Some(config) = config {
        settings.config = config;
    }
    settings
}

fn check_json_streaming(
    inputs: crate::discover::Inputs,
    mut maps: SourceMaps,
    quiet: bool,
    fail_on: FailOn,
) -> u8 {
    let stdout = std::io::stdout();
    // 64 KiB a write: the report runs to megabytes, and the default 8 KiB buffer made two
    // writes per file (one to fill it, then the finding that did not fit).
    let out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut stream = crate::report::JsonStream::start(out);
    let mut max: Option<Severity> = None;
    // With several workers (as many as cores, by default) this thread competes with them
    // for a core: a file that the Python source maps leave alone has its findings written,
    // and its text and findings freed, on the worker that linted it, and this thread only
    // copies the text out in order. With one worker this thread has a core of its own, and
    // writes everything itself alongside it. KFP IR is mapped here first either way (the
    // maps are the run's state).
    let on_workers = rayon::current_num_threads() > 1;
    let prepare = move |file: &mut FileReport, _: Option<&Arc<Config>>| {
        if !on_workers || SourceMaps::may_change(file) {
            return None;
        }
        let rendered = crate::report::RenderedFindings::of(file);
        file.findings = Vec::new();
        file.source = Arc::default();
        file.lines = Arc::new(crate::yaml::LineIndex::new(""));
        Some(rendered)
    };
    // Each file comes with its input's config: no map from every path to it.
    crate::engine::lint_inputs_prepared_in_order(
        inputs,
        &Settings::default(),
        prepare,
        |mut file, config, rendered| {
            if let Outcome::Unreadable(reason) = &file.outcome {
                eprintln!(
                    "warning: {}: could not be read: {}",
                    visible(&file.path),
                    visible(reason)
                );
            }
            match rendered {
                Some(rendered) => {
                    max = max.max(rendered.max_severity());
                    stream.file_rendered(file, rendered);
                }
                None => {
                    let mut settings = Settings::default();
                    if let Some(config) = config {
                        settings.config = config;
                    }
                    maps.apply(&mut file, &settings);
                    max = max.max(file.findings.iter().map(|f| f.severity).max());
                    stream.file(file);
                }
            }
        },
    );
    let (summary, written) = stream.finish();
    for warning in &maps.warnings {
        eprintln!("warning: {}", visible(warning));
    }
    if let Err(e) = quiet_on_closed_pipe(written) {
        return stdout_failed(e);
    }
    if !quiet {
        eprint!("{}\n", summary.line());
    }
    match max {
        Some(max) if fail_on.fails(max) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Confidence;
    use crate::finding::Finding;
    use crate::yaml::Span;

    #[test]
    fn min_severity_and_min_confidence() {
        let finding = |severity, confidence| Finding {
            confidence,
            ..Finding::new("io-step-without-retry", severity, Span::new(0, 0), "m")
        };
        let low_warning = finding(Severity::Warning, Some(Confidence::Low));
        let certain_info = finding(Severity::Info, None);
        let high_error = finding(Severity::Error, Some(Confidence::High));
        let high = Some(MinConfidence::High);
        assert!(!shown(&low_warning, None, high));
        assert!(shown(&low_warning, None, Some(MinConfidence::Low)));
        assert!(shown(&certain_info, None, high), "a field rule is certain");
        assert!(!shown(&certain_info, Some(MinSeverity::Warning), None));
        assert!(shown(&low_warning, Some(MinSeverity::Warning), None));
        assert!(!shown(&low_warning, Some(MinSeverity::Error), None));
        assert!(shown(&high_error, Some(MinSeverity::Error), high));
    }
}
