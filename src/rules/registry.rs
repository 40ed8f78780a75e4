//! The one list of rules. Adding a rule is one line here.

use super::Rule;

static RULES: &[&dyn Rule] = &[
    &super::yaml_syntax::YamlSyntax,
    &super::duplicate_key::DuplicateKey,
    &super::malformed_pipeline::MalformedPipeline,
    &super::input_too_large::InputTooLarge,
    &super::input_too_complex::InputTooComplex,
    &super::invalid_manifest::InvalidManifest,
    &super::unpinned_image::UnpinnedImage,
    &super::missing_resource_limits::MissingResourceLimits,
    &super::io_step_without_retry::IoStepWithoutRetry,
    &super::retry_on_non_idempotent_step::RetryOnNonIdempotentStep,
    &super::unbounded_retry::UnboundedRetry,
    &super::cache_on_random_step::CacheOnRandomStep,
    &super::grace_period_shorter_than_checkpoint::GracePeriodShorterThanCheckpoint,
    &super::sdk_backend_version_mismatch::SdkBackendVersionMismatch,
    &super::broken_dependency::BrokenDependency,
    &super::dependency_cycle::DependencyCycle,
    &super::undefined_reference::UndefinedReference,
    &super::argument_mismatch::ArgumentMismatch,
    &super::missing_timeout::MissingTimeout,
    &super::plaintext_secret::PlaintextSecret,
    &super::stale_compiled_pipeline::StaleCompiledPipeline,
    &super::unused_suppression::UnusedSuppression,
];

/// Every rule, in a stable order.
pub fn all() -> &'static [&'static dyn Rule] {
    RULES
}

pub fn find(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}
