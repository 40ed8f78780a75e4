//! Span-preserving YAML: every node keeps the byte range it came from.
//!
//! This module knows nothing about pipelines. It turns text into [`YamlFile`]: documents made
//! of an arena of nodes ([`Document`]), the comments with their positions, the syntax errors
//! and the duplicate keys. Line and column numbers are computed only at the edges, from a
//! [`LineIndex`]. The event parser (granit-parser) is used in `build.rs` only, so it can be
//! swapped without touching the rest of the crate.

mod build;
mod decode;
pub mod json;
mod lines;
mod resolve;
mod tree;

pub use build::{parse, ParseLimits};
pub use decode::{OffsetMap, ScalarOffsets};
pub use lines::{line_start_before, LineCol, LineIndex};
pub use resolve::Resolved;
pub(crate) use tree::leading_breaks;
pub use tree::{
    Comment, Document, DuplicateKey, KeyIndex, Node, NodeId, NodeKind, NodeRef, ScalarStyle, Span,
    SyntaxError, YamlFile,
};

#[cfg(test)]
mod tests;
