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
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigResolver, Overrides, Version};
use crate::discover::discover;
use crate::engine::{lint_bytes, lint_inputs, FileReport, Outcome, Settings};
use crate::finding::Severity;
use crate::report::{
    render_compact, render_github, render_human_findings, render_json, render_junit, render_sarif,
    render_statistics, HumanStyle, RepoRoot, Summary,
};
use crate::rules::registry;

/// Exit codes: nothing at or above `--fail-on`, findings at or above it, usage or internal error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

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
    Rules,
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
            match args.format {
                ClassifyFormat::Human => print(&crate::classify::render_human(&shown, &steps)),
                ClassifyFormat::Json => print(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "path": shown,
                        "steps": steps,
                    }))
                    .unwrap_or_default()
                )),
            }
            EXIT_OK
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
    /// Exit with status 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Count the findings of each rule, most frequent first.
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
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Use this config file for every linted file instead of the nearest `.pipelint.yaml`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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
    let cli = match Cli::try_parse_from(args) {
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
                print(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(crate::config::schema()).unwrap_or_default()
                ));
                return EXIT_OK;
            }
            let path = show.unwrap_or_else(|| PathBuf::from("."));
            // For a folder, the config that applies to the files in it.
            let probe = if path.is_dir() {
                path.join("pipeline.yaml")
            } else {
                path.clone()
            };
            match ConfigResolver::new(None, Overrides::default())
                .and_then(|mut r| r.for_file(&probe))
            {
                Ok(config) => {
                    print(&crate::config::describe(&config));
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_USAGE
                }
            }
        }
        Command::Classify(args) => classify(args),
        Command::Lsp { stdio: _ } => crate::lsp::run(),
        Command::Rules => {
            let mut out = String::new();
            for rule in registry::all() {
                let meta = rule.meta();
                out.push_str(&format!(
                    "{:<28} {:<8} {}\n",
                    meta.id,
                    meta.default_severity.as_str(),
                    meta.summary
                ));
            }
            print(&out);
            EXIT_OK
        }
        Command::Rule { id } => match registry::find(&id) {
            Some(rule) => {
                print(rule.meta().doc);
                EXIT_OK
            }
            None => {
                let ids: Vec<&str> = registry::all().iter().map(|r| r.meta().id).collect();
                eprintln!("error: no rule `{id}`; rules are: {}", ids.join(", "));
                EXIT_USAGE
            }
        },
    }
}

fn print(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    // A closed pipe (`pipelint check | head`) is not an error worth a panic.
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.flush();
}

fn check(args: CheckArgs) -> u8 {
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            eprintln!("error: --jobs must be at least 1");
            return EXIT_USAGE;
        }
        // Only fails if a global pool already exists, which a fresh process never has.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
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
    let mut inputs = match discover(&paths) {
        Ok(inputs) => inputs,
        Err(missing) => {
            eprintln!("error: {}: no such file or directory", missing.0.display());
            return EXIT_USAGE;
        }
    };
    let overrides = Overrides {
        kfp_backend_version: args.kfp_backend_version,
        argo_version: args.argo_version,
        known_templates: args.strict_refs.then(|| {
            std::sync::Arc::new(crate::refs::KnownTemplates::collect(
                &inputs,
                Settings::default().max_file_size,
            ))
        }),
        limits: crate::limits::Configured {
            max_file_size: args.max_file_size,
            max_nesting_depth: args.max_nesting_depth,
            max_alias_expansion: args.max_alias_expansion,
            file_time_budget: args.file_time_budget,
        },
    };
    // Every config is read and validated before anything is linted: a typo is exit 2.
    // Standard input gets the config of the file it is named after (or of `.`).
    let mut stdin_config = None;
    let resolved =
        ConfigResolver::new(args.config.as_deref(), overrides).and_then(|mut resolver| {
            for input in &mut inputs {
                input.config = Some(resolver.for_file(&input.path)?);
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
    inputs.retain(|i| i.explicit || !i.config.as_ref().is_some_and(|c| c.excludes(&i.path)));
    // JSON on standard output is written file by file (the same bytes), so that memory does
    // not grow with the number of files; what needs the whole run first takes the path below.
    if args.format == Format::Json
        && !read_stdin
        && args.baseline.is_none()
        && args.write_baseline.is_none()
        && !args.statistics
        && args.output.as_ref().is_none_or(|p| p == dash)
        && std::env::current_dir().is_ok()
    {
        return check_json_streaming(inputs, args.quiet, args.fail_on);
    }
    let mut report = lint_inputs(&inputs, &Settings::default());
    let mut stdin_name = None;
    if read_stdin {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().lock().read_to_end(&mut bytes) {
            eprintln!("error: cannot read standard input: {e}");
            return EXIT_USAGE;
        }
        let name = match &args.stdin_filename {
            Some(name) => {
                let name = name.to_string_lossy();
                name.strip_prefix("./").unwrap_or(&name).to_string()
            }
            None => "<stdin>".to_string(),
        };
        let mut settings = Settings::default();
        if let Some(config) = &stdin_config {
            settings.config = config.clone();
        }
        report
            .files
            .push(lint_bytes(name.clone(), &bytes, true, &settings));
        stdin_name = Some(name);
        report.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    if let Some(path) = &args.write_baseline {
        return match crate::baseline::write(&report, path) {
            Ok(n) => {
                eprintln!("wrote {n} findings to the baseline {}", path.display());
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: cannot write the baseline: {e}");
                EXIT_USAGE
            }
        };
    }
    if let Some(path) = &args.baseline {
        if let Err(e) = crate::baseline::apply(&mut report, path) {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    }
    let to_stdout = args.output.as_ref().is_none_or(|p| p == dash);
    for file in &report.files {
        if let Outcome::Unreadable(reason) = &file.outcome {
            if args.format != Format::Human || !to_stdout {
                eprintln!("warning: {}: could not be read: {reason}", file.path);
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
    // What goes to the terminal besides the report: statistics, then the summary line.
    let mut summary = String::new();
    if args.statistics {
        summary.push_str(&render_statistics(&report));
    }
    if !args.quiet {
        summary.push_str(&Summary::of(&report).line());
        summary.push('\n');
    }
    let rendered = match args.format {
        Format::Human => {
            let mut text = render_human_findings(&report, HumanStyle { color, width: 100 });
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
                eprintln!("error: cannot write {}: {e}", path.display());
                return EXIT_USAGE;
            }
            eprint!("{summary}");
        }
        _ => {
            print(&rendered);
            if args.format == Format::Human {
                print(&summary);
            } else {
                eprint!("{summary}");
            }
        }
    }
    match report.max_severity() {
        Some(max) if args.fail_on.fails(max) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}

fn write_report(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

/// `check --format json` to standard output, streamed: see [`crate::report::JsonStream`].
fn check_json_streaming(inputs: Vec<crate::engine::Input>, quiet: bool, fail_on: FailOn) -> u8 {
    let stdout = std::io::stdout();
    let mut stream = crate::report::JsonStream::start(std::io::BufWriter::new(stdout.lock()));
    let mut max: Option<Severity> = None;
    crate::engine::lint_inputs_in_order(inputs, &Settings::default(), |file| {
        if let Outcome::Unreadable(reason) = &file.outcome {
            eprintln!("warning: {}: could not be read: {reason}", file.path);
        }
        max = max.max(file.findings.iter().map(|f| f.severity).max());
        stream.file(file);
    });
    let summary = stream.finish();
    if !quiet {
        eprint!("{}\n", summary.line());
    }
    match max {
        Some(max) if fail_on.fails(max) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}
