//! The command line: parse arguments, run, print, and return the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{ConfigResolver, Overrides, Version};
use crate::discover::discover;
use crate::engine::{lint_inputs, Outcome, Settings};
use crate::finding::Severity;
use crate::report::{render_compact, render_human, render_json, HumanStyle, Summary};
use crate::rules::registry;

/// Exit codes: nothing at error severity, findings at error severity, usage or internal error.
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
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files or directories; directories are walked honouring .gitignore.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
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
    let mut inputs = match discover(&args.paths) {
        Ok(inputs) => inputs,
        Err(missing) => {
            eprintln!("error: {}: no such file or directory", missing.0.display());
            return EXIT_USAGE;
        }
    };
    let overrides = Overrides {
        kfp_backend_version: args.kfp_backend_version,
        argo_version: args.argo_version,
    };
    // Every config is read and validated before anything is linted: a typo is exit 2.
    let resolved = ConfigResolver::new(args.config.as_deref(), overrides).and_then(|mut resolver| {
        for input in &mut inputs {
            input.config = Some(resolver.for_file(&input.path)?);
        }
        Ok(())
    });
    if let Err(e) = resolved {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let report = lint_inputs(&inputs, &Settings::default());
    for file in &report.files {
        if let Outcome::Unreadable(reason) = &file.outcome {
            if args.format != Format::Human {
                eprintln!("warning: {}: could not be read: {reason}", file.path);
            }
        }
    }
    match args.format {
        Format::Human => {
            let style = HumanStyle {
                color: std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                width: 100,
            };
            print(&render_human(&report, style));
        }
        Format::Compact => {
            print(&render_compact(&report));
            eprintln!("{}", Summary::of(&report).line());
        }
        Format::Json => print(&render_json(&report)),
    }
    match report.max_severity() {
        Some(Severity::Error) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}
