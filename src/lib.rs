//! pipelint: a static linter and policy checker for ML pipelines.

pub mod yaml;
