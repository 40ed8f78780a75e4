//! Where in Python each rule's finding is changed: the configuration calls that set what
//! the rule reads, else the task's creation line (where a missing call is added) or what
//! the component itself holds (its image).

/// What to point at when none of a rule's calls is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// The call that creates the task: a missing `.set_...()` is added there.
    Creation,
    /// Where the component's image is written (`base_image=`, the constant it names,
    /// `ContainerSpec(image=...)`), else its `def` (the SDK's default image).
    Image,
}

/// Rule id, the calls that configure what it reads (`set_retry` on the task, or a resolved
/// `kfp.kubernetes.*` function), and where to point without one. Rules not listed point at
/// the creation line.
pub static PLACES: &[(&str, &[&str], Fallback)] = &[
    ("io-step-without-retry", &["set_retry"], Fallback::Creation),
    ("unbounded-retry", &["set_retry"], Fallback::Creation),
    (
        "retry-on-non-idempotent-step",
        &["set_retry"],
        Fallback::Creation,
    ),
    (
        "cache-on-random-step",
        &["set_caching_options"],
        Fallback::Creation,
    ),
    (
        "missing-resource-limits",
        &[
            "set_cpu_limit",
            "set_memory_limit",
            "set_accelerator_limit",
            "set_cpu_request",
            "set_memory_request",
        ],
        Fallback::Creation,
    ),
    (
        "missing-timeout",
        &["kfp.kubernetes.set_timeout"],
        Fallback::Creation,
    ),
    (
        "grace-period-shorter-than-checkpoint",
        &["kfp.kubernetes.add_pod_annotation", "set_env_variable"],
        Fallback::Creation,
    ),
    (
        "plaintext-secret",
        &["set_env_variable"],
        Fallback::Creation,
    ),
    ("unpinned-image", &[], Fallback::Image),
];

/// The calls and fallback of `rule`.
pub fn place_of(rule: &str) -> (&'static [&'static str], Fallback) {
    PLACES
        .iter()
        .find(|(id, _, _)| *id == rule)
        .map_or((&[], Fallback::Creation), |(_, calls, fallback)| {
            (*calls, *fallback)
        })
}
