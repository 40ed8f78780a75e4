use super::{at_step, FileContext, OptionKind, OptionSpec, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::fix::edit::{Source, Value};
use crate::fix::{Fix, NoFix};
use crate::model::{
    is_accelerator, Container, ContainerRole, Format, Origin, Pipeline, Resources, Step,
};

/// A container without CPU or memory limits, or with an accelerator requested but not limited.
pub struct MissingResourceLimits;

static META: RuleMeta = RuleMeta {
    id: "missing-resource-limits",
    summary: "a container the step runs has no CPU or memory limit, or requests an accelerator without a limit",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/missing-resource-limits.md"),
    options: &[
        // As `Options::default()`.
        OptionSpec { name: "resources", kind: OptionKind::Strings, default: "[cpu, memory]" },
        OptionSpec { name: "require-requests", kind: OptionKind::Bool, default: "false" },
    ],
};

/// Options of `missing-resource-limits`, borrowed from the config (read for every step).
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Resources that must have a limit.
    pub resources: &'a [String],
    /// Also require requests for the same resources.
    pub require_requests: bool,
}

/// The resources that must have a limit when the config names none: made once per run,
/// not once per step.
static DEFAULT_RESOURCES: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| ["cpu".to_string(), "memory".to_string()]);

impl Default for Options<'static> {
    fn default() -> Self {
        Options {
            resources: &DEFAULT_RESOURCES[..],
            require_requests: false,
        }
    }
}

fn join_or(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What to propose as the limit of `name`: the container's own request for it (a limit
/// below the request is rejected, and the request is what the team sized), else a common
/// starting point.
fn proposed_limit(resources: &Resources, name: &str, kfp: bool) -> String {
    if let Some(request) = resources.request(name) {
        let value = request.value.value.trim();
        // KFP's older `memoryRequest` is a number of GB.
        if kfp && name == "memory" && value.parse::<f64>().is_ok() {
            return format!("{value}G");
        }
        return value.to_string();
    }
    match name {
        "cpu" => "2".to_string(),
        "memory" if kfp => "8G".to_string(),
        "memory" => "8Gi".to_string(),
        _ => "1".to_string(),
    }
}

/// The fix, written with the step's own values: only the missing limits are proposed, each
/// at least the container's request; limits it already has are kept as they are.
fn fix_help(
    format: Format,
    options: &Options<'_>,
    r: &Resources,
    missing: &[String],
    accelerators: &[String],
) -> String {
    let kfp = format.is_kfp_ir();
    let mut wanted: Vec<&String> = accelerators.iter().collect();
    wanted.extend(missing.iter().filter(|m| !accelerators.contains(m)));
    let why = "without limits the step can starve its node or be OOM-killed hours in";
    let mut help = if wanted.is_empty() {
        let requests: Vec<String> = options
            .resources
            .iter()
            .filter(|n| r.request(n).is_none())
            .map(|n| match r.limit(n) {
                Some(limit) => format!("{n}: {}", limit.value.value),
                None => format!("{n}: {}", proposed_limit(r, n, kfp)),
            })
            .collect();
        match format {
            Format::KfpIr(_) => "set requests on the task (`task.set_cpu_request(...)`, `task.set_memory_request(...)`) and recompile".to_string(),
            Format::Argo(..) => format!("add `requests: {{{}}}` under the container's `resources`", requests.join(", ")),
        }
    } else if kfp {
        let calls: Vec<String> = wanted
            .iter()
            .map(|n| match n.as_str() {
                "cpu" => format!("`task.set_cpu_limit(\"{}\")`", proposed_limit(r, n, true)),
                "memory" => format!(
                    "`task.set_memory_limit(\"{}\")`",
                    proposed_limit(r, n, true)
                ),
                other => format!(
                    "`task.set_accelerator_type(\"{other}\").set_accelerator_limit({})`",
                    proposed_limit(r, other, true)
                ),
            })
            .collect();
        format!(
            "set the missing limits on the task, {}, and recompile; {why}",
            calls.join(" and ")
        )
    } else {
        let mut limits: Vec<String> = r
            .limits
            .iter()
            .filter(|q| !wanted.contains(&&q.name))
            .map(|q| format!("{}: {}", q.name, q.value.value))
            .collect();
        limits.extend(
            wanted
                .iter()
                .map(|n| format!("{n}: {}", proposed_limit(r, n, false))),
        );
        format!("set the container's `resources.limits` to `{{{}}}` (or once for every template under `spec.templateDefaults`); {why}", limits.join(", "))
    };
    let only_cpu = missing.len() == 1 && missing[0] == "cpu" && accelerators.is_empty();
    if only_cpu && r.limit("memory").is_some() {
        help.push_str(". If CPU limits are left off on purpose (they throttle a busy step), require memory limits only: `rules: {missing-resource-limits: {resources: [memory]}}` in `.pipelint.yaml`");
    }
    help
}

impl MissingResourceLimits {
    fn check_with(
        &self,
        options: &Options<'_>,
        source: &Source<'_>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        if step.system {
            return;
        }
        for container in &step.containers {
            if container.image.as_ref().is_some_and(|i| i.stub) {
                continue;
            }
            let r = &container.resources;
            if r.unknown_patch.is_some() {
                continue;
            }
            let missing_limits: Vec<String> = options
                .resources
                .iter()
                .filter(|name| r.limit(name).is_none())
                .cloned()
                .collect();
            let missing_requests: Vec<String> = if options.require_requests {
                options
                    .resources
                    .iter()
                    .filter(|name| r.request(name).is_none())
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            let unlimited_accelerators: Vec<String> = r
                .requests
                .iter()
                .filter(|q| is_accelerator(&q.name) && r.limit(&q.name).is_none())
                .map(|q| q.name.clone())
                .collect();
            if missing_limits.is_empty()
                && missing_requests.is_empty()
                && unlimited_accelerators.is_empty()
            {
                continue;
            }
            let who = match container.role {
                ContainerRole::Main => String::new(),
                ContainerRole::Init => format!(
                    ": init container \"{}\"",
                    container.name.as_deref().unwrap_or("?")
                ),
                ContainerRole::Sidecar => {
                    format!(": sidecar \"{}\"", container.name.as_deref().unwrap_or("?"))
                }
                ContainerRole::SetMember => format!(
                    ": container \"{}\"",
                    container.name.as_deref().unwrap_or("?")
                ),
            };
            let mut problems = Vec::new();
            if !unlimited_accelerators.is_empty() {
                problems.push(format!(
                    "requests {} without a limit",
                    join_or(&unlimited_accelerators)
                ));
            }
            if !missing_limits.is_empty() {
                problems.push(format!("has no {} limit", join_or(&missing_limits)));
            }
            if !missing_requests.is_empty() {
                problems.push(format!("has no {} request", join_or(&missing_requests)));
            }
            let severity = if unlimited_accelerators.is_empty() {
                Severity::Warning
            } else {
                Severity::Error
            };
            let span = r.limits_span.or(r.span).unwrap_or(container.span);
            let label = if !unlimited_accelerators.is_empty() {
                "Kubernetes rejects a pod that requests an accelerator without limiting it"
                    .to_string()
            } else if r.span.is_none() && r.limits_span.is_none() {
                "no resources at all".to_string()
            } else if !r.limits.is_empty() && !missing_limits.is_empty() {
                format!("limits, but none for {}", join_or(&missing_limits))
            } else if !r.requests.is_empty() && !missing_limits.is_empty() {
                "requests only, no limits".to_string()
            } else if !missing_limits.is_empty() {
                "resources without limits".to_string()
            } else {
                format!("no {} request", join_or(&missing_requests))
            };
            let help = fix_help(
                pipeline.format,
                options,
                r,
                &missing_limits,
                &unlimited_accelerators,
            );
            let finding = Finding::new(
                META.id,
                severity,
                span,
                format!(
                    "step \"{}\"{who} {}",
                    step.qualified_name(),
                    problems.join(" and ")
                ),
            )
            .label(label)
            .help(help);
            // The limits the container lacks, where it requests an amount to copy.
            let mut wanted = unlimited_accelerators.clone();
            for name in &missing_limits {
                if !wanted.contains(name) {
                    wanted.push(name.clone());
                }
            }
            // A container with nothing to copy gets no fix and no word about one: there
            // is nothing to place, only sizes to choose, which the help already asks for.
            let copyable = wanted.iter().all(|name| {
                container
                    .resources
                    .request(name)
                    .is_some_and(|q| q.origin == Origin::Step)
            });
            let finding = match pipeline.format {
                Format::Argo(..) if !wanted.is_empty() && copyable => {
                    finding.with_fix(limits_fix(source, container, &wanted))
                }
                _ => finding,
            };
            out.push(at_step(finding, pipeline, step));
        }
    }
}

impl Rule for MissingResourceLimits {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_step(
        &self,
        cx: &FileContext<'_>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        let defaults = Options::default();
        let options = Options {
            resources: cx
                .config
                .strings(META.id, "resources")
                .unwrap_or(defaults.resources),
            require_requests: cx
                .config
                .bool(META.id, "require-requests")
                .unwrap_or(defaults.require_requests),
        };
        self.check_with(&options, &cx.source, pipeline, step, out);
    }
}

/// Argo: `limits` equal to the container's own requests, for each of `wanted`, added to its
/// `resources.limits` (or a new `limits` beside `requests`). Offered only when every wanted
/// limit has a request written on the container to copy: pipelint does not guess sizes.
/// Unsafe: a limit throttles CPU and OOM-kills a container that uses more than it asked for.
fn limits_fix(source: &Source<'_>, container: &Container, wanted: &[String]) -> Result<Fix, NoFix> {
    let r = &container.resources;
    let mut entries = Vec::new();
    for name in wanted {
        let request = r
            .request(name)
            .filter(|q| q.origin == Origin::Step)
            .ok_or_else(|| {
                NoFix::new(format!(
                    "the container requests no {name} to copy into its limit"
                ))
            })?;
        let raw = source.src.get(request.value.span.range()).unwrap_or("");
        if raw.is_empty() || raw.contains(['\n', '\r']) || raw.starts_with(['|', '>']) {
            return Err(NoFix::new(format!(
                "the {name} request is not written on one line"
            )));
        }
        entries.push((name.clone(), Value::Raw(raw.to_string())));
    }
    let resources = r
        .span
        .ok_or_else(|| NoFix::new("the container has no `resources` of its own"))?;
    let edit = match r.limits_span {
        Some(limits) => {
            let limits = source.entry_at_key(limits)?.value;
            if !limits.is_mapping() {
                return Err(NoFix::new("`limits` is not a mapping"));
            }
            source.insert_entries(limits, &entries)?
        }
        None => {
            let resources = source.entry_at_key(resources)?.value;
            source.insert_entries(resources, &[("limits".to_string(), Value::Map(entries))])?
        }
    };
    let (limits, requests) = if wanted.len() == 1 {
        ("limit", "request")
    } else {
        ("limits", "requests")
    };
    Ok(Fix::unsafe_(
        format!(
            "set the {} {limits} from the container's {requests}",
            join_or(wanted).replace(" or ", " and ")
        ),
        vec![edit],
    ))
}
