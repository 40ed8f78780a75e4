//! The pipelint language server, protocol side.
//!
//! This crate knows LSP and nothing about pipelines: it keeps the open documents (synced
//! incrementally), debounces edits, negotiates the position encoding, publishes or answers
//! pulls of diagnostics (workspace ones too), answers hover, code actions, definition,
//! outline and completion, follows the client's settings, and survives bad input. The linting is behind the [`Analyzer`] trait, which the
//! root `pipelint` package implements on top of its engine; `pipelint lsp` then calls
//! [`run`]. (The dependency points this way so that `pipelint` stays one binary without a
//! package cycle.)

mod actions;
mod analyzer;
mod convert;
mod navigate;
pub mod position;
mod server;
pub mod settings;
pub mod transport;
pub mod uri;
mod workspace;

use std::sync::Arc;

pub use analyzer::{
    Analysis, Analyzer, Cancel, Completion, CompletionKind, DependsOn, DocumentRef, Edit, Finding,
    Fix, FixKind, LintOptions, Offer, Related, Severity, SourcePlace, Symbol, SymbolKind, Target,
};
pub use server::{serve, Exit, DEFAULT_DEBOUNCE};

/// The largest message read: a document of `max_document` bytes escaped as JSON (line
/// breaks, quotes and backslashes take two bytes each), plus the envelope around it.
pub fn max_message_size(max_document: usize) -> usize {
    max_document
        .saturating_add(max_document / 4)
        .saturating_add(64 * 1024)
}

/// Serves one client over stdin/stdout until it says `exit` or goes away; returns the
/// process exit code (0 after `shutdown` + `exit`, 1 otherwise, as the spec asks).
pub fn run(analyzer: impl Analyzer) -> u8 {
    let (incoming, out, io) = transport::stdio(max_message_size(analyzer.max_document_size()));
    let exit = serve(Arc::new(analyzer), incoming, out);
    io.join_writer();
    exit.code()
}
