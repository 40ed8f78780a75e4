//! The client's settings (`initializationOptions`, `workspace/didChangeConfiguration`) and
//! the server's log, which follows `logLevel` and may also go to `logFile`.
//!
//! Settings may come at the top level or under a `pipelint` key (VS Code and Neovim nest
//! them by server name). A key that is absent keeps its value; `null` resets it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::analyzer::LintOptions;
use crate::server::DEFAULT_DEBOUNCE;

/// Publishes and pull reports stop at this many diagnostics per document by default.
pub const DEFAULT_MAX_DIAGNOSTICS: usize = 1000;

/// How much the server says, most to least severe; `Warning` by default (one line per lint
/// is noise, and Neovim files everything on stderr as an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warning = 2,
    Info = 3,
    Debug = 4,
}

impl LogLevel {
    fn parse(s: &str) -> Option<LogLevel> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::Error),
            "warning" | "warn" => Some(LogLevel::Warning),
            "info" => Some(LogLevel::Info),
            "debug" | "trace" | "log" => Some(LogLevel::Debug),
            _ => None,
        }
    }

    /// The `MessageType` of `window/logMessage` (Log = 4 for debug).
    pub fn message_type(self) -> u8 {
        self as u8
    }
}

/// Whether diagnostics of open documents are pushed (`publishDiagnostics`) or pulled by the
/// client (`textDocument/diagnostic`); `Auto` pulls when the client can pull and accepts
/// `workspace/diagnostic/refresh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticMode {
    Auto,
    Push,
    Pull,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub debounce: Duration,
    pub docs_url: Option<String>,
    pub options: Arc<LintOptions>,
    pub max_diagnostics: usize,
    pub log_level: LogLevel,
    pub log_file: Option<PathBuf>,
    pub diagnostic_mode: DiagnosticMode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            debounce: DEFAULT_DEBOUNCE,
            docs_url: None,
            options: Arc::default(),
            max_diagnostics: DEFAULT_MAX_DIAGNOSTICS,
            log_level: LogLevel::Warning,
            log_file: None,
            diagnostic_mode: DiagnosticMode::Auto,
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl Settings {
    /// Reads what `value` sets; returns the problems found (a setting of the wrong type is
    /// reported and ignored, never fatal).
    pub fn update(&mut self, value: &Value) -> Vec<String> {
        let value = value.get("pipelint").unwrap_or(value);
        let mut problems = Vec::new();
        if !value.is_object() {
            return problems;
        }
        if let Some(v) = value.get("debounceMs") {
            match v.as_u64() {
                Some(ms) => self.debounce = Duration::from_millis(ms.min(10_000)),
                None if v.is_null() => self.debounce = DEFAULT_DEBOUNCE,
                None => problems.push(format!("`debounceMs` must be a number, not {v}")),
            }
        }
        match value.get("docsUrl") {
            Some(Value::String(s)) if !s.is_empty() => self.docs_url = Some(s.clone()),
            Some(Value::Null) | Some(Value::String(_)) => self.docs_url = None,
            Some(v) => problems.push(format!("`docsUrl` must be a string, not {v}")),
            None => {}
        }
        let mut options = (*self.options).clone();
        match value.get("configPath") {
            Some(Value::String(s)) if !s.is_empty() => options.config_path = Some(s.into()),
            Some(Value::Null) | Some(Value::String(_)) => options.config_path = None,
            Some(v) => problems.push(format!("`configPath` must be a string, not {v}")),
            None => {}
        }
        if let Some(v) = value.get("select") {
            options.select = strings(v);
        }
        if let Some(v) = value.get("ignore") {
            options.ignore = strings(v);
        }
        if options != *self.options {
            self.options = Arc::new(options);
        }
        if let Some(v) = value.get("maxDiagnostics") {
            match v.as_u64() {
                Some(n) => self.max_diagnostics = (n as usize).max(1),
                None if v.is_null() => self.max_diagnostics = DEFAULT_MAX_DIAGNOSTICS,
                None => problems.push(format!("`maxDiagnostics` must be a number, not {v}")),
            }
        }
        match value.get("logLevel") {
            Some(Value::String(s)) => match LogLevel::parse(s) {
                Some(level) => self.log_level = level,
                None => problems.push(format!(
                    "`logLevel` is one of error, warning, info, debug, not {s:?}"
                )),
            },
            Some(Value::Null) => self.log_level = LogLevel::Warning,
            Some(v) => problems.push(format!("`logLevel` must be a string, not {v}")),
            None => {}
        }
        match value.get("logFile") {
            Some(Value::String(s)) if !s.is_empty() => self.log_file = Some(s.into()),
            Some(Value::Null) | Some(Value::String(_)) => self.log_file = None,
            Some(v) => problems.push(format!("`logFile` must be a string, not {v}")),
            None => {}
        }
        match value.get("diagnosticMode").and_then(Value::as_str) {
            Some("push") => self.diagnostic_mode = DiagnosticMode::Push,
            Some("pull") => self.diagnostic_mode = DiagnosticMode::Pull,
            Some("auto") => self.diagnostic_mode = DiagnosticMode::Auto,
            Some(other) => problems.push(format!(
                "`diagnosticMode` is one of auto, push, pull, not {other:?}"
            )),
            None => {}
        }
        problems
    }
}

/// Where the server's log lines go: stderr (which editors keep in their own log), the
/// client's `window/logMessage`, and the `logFile` when one is set.
#[derive(Default)]
pub struct LogFile {
    path: Option<PathBuf>,
    file: Option<File>,
}

impl LogFile {
    /// Opens `path` for appending (creating it), relative to `base` when relative. Only a
    /// regular file (or a symlink to one) is written: a directory, FIFO or device is refused.
    pub fn open(&mut self, path: Option<&Path>, base: Option<&Path>) -> Result<(), String> {
        let wanted = path.map(|p| match base {
            Some(b) if p.is_relative() => b.join(p),
            _ => p.to_path_buf(),
        });
        if wanted == self.path {
            return Ok(());
        }
        self.path = None;
        self.file = None;
        let Some(wanted) = wanted else {
            return Ok(());
        };
        if let Ok(meta) = std::fs::metadata(&wanted) {
            if !meta.is_file() {
                return Err(format!(
                    "logFile {} is not a regular file; not logging to it",
                    wanted.display()
                ));
            }
        }
        match OpenOptions::new().create(true).append(true).open(&wanted) {
            // Checked again on what was opened: the path may have changed in between.
            Ok(file) if !file.metadata().is_ok_and(|m| m.is_file()) => Err(format!(
                "logFile {} is not a regular file; not logging to it",
                wanted.display()
            )),
            Ok(file) => {
                self.file = Some(file);
                self.path = Some(wanted);
                Ok(())
            }
            Err(e) => Err(format!("cannot open logFile {}: {e}", wanted.display())),
        }
    }

    /// Appends one line (a single write, so lines of two servers sharing a file do not mix).
    pub fn write(&mut self, level: LogLevel, message: &str) {
        if let Some(file) = self.file.as_mut() {
            let line = format!("pipelint-lsp [{level:?}] {message}\n");
            let _ = file.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_at_the_top_or_under_pipelint_and_null_resets() {
        let mut s = Settings::default();
        let problems = s.update(&json!({"pipelint": {
            "configPath": "ci/pipelint.yaml", "select": ["unpinned-image"], "ignore": "a, b",
            "logLevel": "debug", "logFile": "/tmp/x.log", "maxDiagnostics": 5, "debounceMs": 7,
        }}));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            s.options.config_path.as_deref(),
            Some(Path::new("ci/pipelint.yaml"))
        );
        assert_eq!(s.options.select, ["unpinned-image"]);
        assert_eq!(s.options.ignore, ["a", "b"]);
        assert_eq!(s.log_level, LogLevel::Debug);
        assert_eq!(s.max_diagnostics, 5);
        assert_eq!(s.debounce, Duration::from_millis(7));
        // Absent keys keep their values; null resets.
        s.update(&json!({"logLevel": null, "configPath": null}));
        assert_eq!(s.log_level, LogLevel::Warning);
        assert_eq!(s.options.config_path, None);
        assert_eq!(s.options.select, ["unpinned-image"]);
        assert_eq!(s.max_diagnostics, 5);
    }

    #[test]
    fn wrong_types_are_reported_and_ignored() {
        let mut s = Settings::default();
        let problems = s.update(&json!({"logLevel": "loud", "maxDiagnostics": "many"}));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(s.log_level, LogLevel::Warning);
        assert_eq!(s.max_diagnostics, DEFAULT_MAX_DIAGNOSTICS);
    }

    #[test]
    fn the_log_file_must_be_a_regular_file() {
        let dir = std::env::temp_dir().join(format!("pipelint-lsp-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut log = LogFile::default();
        let err = log.open(Some(&dir), None).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        log.open(Some(Path::new("server.log")), Some(&dir)).unwrap();
        log.write(LogLevel::Warning, "one");
        log.write(LogLevel::Info, "two");
        let text = std::fs::read_to_string(dir.join("server.log")).unwrap();
        assert_eq!(
            text,
            "pipelint-lsp [Warning] one\npipelint-lsp [Info] two\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
