//! pipelint: a static linter and policy checker for ML pipelines.
//!
//! A file flows through: [`yaml`] (parse with spans) -> [`formats`] (detect, adapt into the
//! [`model`], cluster defaults applied) -> [`rules`] (findings at spans) -> [`engine`]
//! (parallel, sorted) -> [`report`] (human, compact, JSON).

pub mod analysis;
pub mod baseline;
pub mod bytes;
pub mod classify;
pub mod cli;
pub mod config;
pub mod discover;
pub mod engine;
pub mod files;
pub mod finding;
pub mod fix;
pub mod formats;
pub mod kfp_source;
pub mod limits;
pub mod lsp;
pub mod model;
pub mod policy;
pub mod refs;
pub mod report;
pub mod rules;
pub mod suppress;
pub mod yaml;
