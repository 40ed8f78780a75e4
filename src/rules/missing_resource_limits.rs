use std::borrow::Cow;

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

fn join_or(names: &[&str]) -> String {
    let mut joined = String::new();
    push_join_or(&mut joined, names);
    joined
}

/// `a`, `a or b`, `a, b or c`, written at the end of `out`.
fn push_join_or(out: &mut String, names: &[&str]) {
    if let [init @ .., last] = names {
        for (i, name) in init.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
        }
        if !init.is_empty() {
            out.push_str(" or ");
        }
        out.push_str(last);
    }
}

/// What to propose as the limit of `name`: the container's own request for it (a limit
/// below the request is rejected, and the request is what the team sized), else a common
/// starting point.
fn proposed_limit<'a>(resources: &'a Resources, name: &str, kfp: bool) -> Cow<'a, str> {
    if let Some(request) = resources.request(name) {
        let value = request.value.value.trim();
        // KFP's older `memoryRequest` is a number of GB.
        if kfp && name == "memory" && value.parse::<f64>().is_ok() {
            return [value, "G"].concat().into();
        }
        return value.into();
    }
    match name {
        "cpu" => "2".into(),
        "memory" if kfp => "8G".into(),
        "memory" => "8Gi".into(),
        _ => "1".into(),
    }
}

/// The fix, written with the step's own values: only the missing limits are proposed, each
/// at least the container's request; limits it already has are kept as they are. Written
/// into one string: this help goes with most findings of the rule.
fn fix_help(
    format: Format,
    options: &Options<'_>,
    r: &Resources,
    missing: &[&str],
    accelerators: &[&str],
) -> String {
    let kfp = format.is_kfp_ir();
    // The limits to propose: the unlimited accelerators, then the other missing limits.
    let wanted = || {
        accelerators
            .iter()
            .chain(missing.iter().filter(|m| !accelerators.contains(m)))
    };
    let why = "without limits the step can starve its node or be OOM-killed hours in";
    // Room for the common help (some 200 bytes) without growing.
    let mut help = String::with_capacity(256);
    if wanted().next().is_none() {
        match format {
            Format::KfpIr(_) => help.push_str("set requests on the task (`task.set_cpu_request(...)`, `task.set_memory_request(...)`) and recompile"),
            Format::Argo(..) => {
                help.push_str("add `requests: {");
                let unrequested = options.resources.iter().filter(|n| r.request(n).is_none());
                for (i, n) in unrequested.enumerate() {
                    if i > 0 {
                        help.push_str(", ");
                    }
                    help.push_str(n);
                    help.push_str(": ");
                    match r.limit(n) {
                        Some(limit) => help.push_str(&limit.value.value),
                        None => help.push_str(&proposed_limit(r, n, kfp)),
                    }
                }
                help.push_str("}` under the container's `resources`");
            }
        }
    } else if kfp {
        help.push_str("set the missing limits on the task, ");
        for (i, &n) in wanted().enumerate() {
            if i > 0 {
                help.push_str(" and ");
            }
            let limit = proposed_limit(r, n, true);
            match n {
                "cpu" => {
                    help.push_str("`task.set_cpu_limit(\"");
                    help.push_str(&limit);
                    help.push_str("\")`");
                }
                "memory" => {
                    help.push_str("`task.set_memory_limit(\"");
                    help.push_str(&limit);
                    help.push_str("\")`");
                }
                other => {
                    help.push_str("`task.set_accelerator_type(\"");
                    help.push_str(other);
                    help.push_str("\").set_accelerator_limit(");
                    help.push_str(&limit);
                    help.push_str(")`");
                }
            }
        }
        help.push_str(", and recompile; ");
        help.push_str(why);
    } else {
        help.push_str("set the container's `resources.limits` to `{");
        let kept = r
            .limits
            .iter()
            .filter(|q| !wanted().any(|w| *w == q.name))
            .map(|q| (q.name.as_str(), q.value.value.as_str()));
        let mut first = true;
        for (name, value) in kept {
            if !first {
                help.push_str(", ");
            }
            first = false;
            help.push_str(name);
            help.push_str(": ");
            help.push_str(value);
        }
        for name in wanted() {
            if !first {
                help.push_str(", ");
            }
            first = false;
            help.push_str(name);
            help.push_str(": ");
            help.push_str(&proposed_limit(r, name, false));
        }
        help.push_str("}` (or once for every template under `spec.templateDefaults`); ");
        help.push_str(why);
    }
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
            let missing_limits: Vec<&str> = options
                .resources
                .iter()
                .map(String::as_str)
                .filter(|name| r.limit(name).is_none())
                .collect();
            let missing_requests: Vec<&str> = if options.require_requests {
                options
                    .resources
                    .iter()
                    .map(String::as_str)
                    .filter(|name| r.request(name).is_none())
                    .collect()
            } else {
                Vec::new()
            };
            let unlimited_accelerators: Vec<&str> = r
                .requests
                .iter()
                .filter(|q| is_accelerator(&q.name) && r.limit(&q.name).is_none())
                .map(|q| q.name.as_str())
                .collect();
            if missing_limits.is_empty()
                && missing_requests.is_empty()
                && unlimited_accelerators.is_empty()
            {
                continue;
            }
            // The message is written into one string: this rule fires on most steps of most
            // files, and each piece made on its own was an allocation.
            let mut message = String::with_capacity(96);
            message.push_str("step \"");
            step.push_qualified_name(&mut message);
            message.push('"');
            let name = container.name.as_deref().unwrap_or("?");
            let who = match container.role {
                ContainerRole::Main => None,
                ContainerRole::Init => Some(": init container \""),
                ContainerRole::Sidecar => Some(": sidecar \""),
                ContainerRole::SetMember => Some(": container \""),
            };
            if let Some(who) = who {
                message.push_str(who);
                message.push_str(name);
                message.push('"');
            }
            message.push(' ');
            let problems = [
                ("requests ", &unlimited_accelerators, " without a limit"),
                ("has no ", &missing_limits, " limit"),
                ("has no ", &missing_requests, " request"),
            ];
            let mut first = true;
            for (before, names, after) in problems {
                if names.is_empty() {
                    continue;
                }
                if !first {
                    message.push_str(" and ");
                }
                first = false;
                message.push_str(before);
                push_join_or(&mut message, names);
                message.push_str(after);
            }
            let severity = if unlimited_accelerators.is_empty() {
                Severity::Warning
            } else {
                Severity::Error
            };
            let span = r.limits_span.or(r.span).unwrap_or(container.span);
            let label: Cow<'static, str> = if !unlimited_accelerators.is_empty() {
                "Kubernetes rejects a pod that requests an accelerator without limiting it".into()
            } else if r.span.is_none() && r.limits_span.is_none() {
                "no resources at all".into()
            } else if !r.limits.is_empty() && !missing_limits.is_empty() {
                let mut label = String::from("limits, but none for ");
                push_join_or(&mut label, &missing_limits);
                label.into()
            } else if !r.requests.is_empty() && !missing_limits.is_empty() {
                "requests only, no limits".into()
            } else if !missing_limits.is_empty() {
                "resources without limits".into()
            } else {
                let mut label = String::from("no ");
                push_join_or(&mut label, &missing_requests);
                label.push_str(" request");
                label.into()
            };
            let help = fix_help(
                pipeline.format,
                options,
                r,
                &missing_limits,
                &unlimited_accelerators,
            );
            // The limits the container lacks, where it requests an amount to copy: made
            // from the lists above, which are not needed any more (no third list).
            let wanted = if unlimited_accelerators.is_empty() {
                let mut wanted = missing_limits;
                let mut kept = 0;
                for i in 0..wanted.len() {
                    let name = wanted[i];
                    if !wanted[..kept].contains(&name) {
                        wanted[kept] = name;
                        kept += 1;
                    }
                }
                wanted.truncate(kept);
                wanted
            } else {
                let mut wanted = unlimited_accelerators;
                for name in &missing_limits {
                    if !wanted.contains(name) {
                        wanted.push(*name);
                    }
                }
                wanted
            };
            let finding = Finding::new(META.id, severity, span, message)
                .label(label)
                .help(help);
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
fn limits_fix(source: &Source<'_>, container: &Container, wanted: &[&str]) -> Result<Fix, NoFix> {
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
        entries.push((name.to_string(), Value::Raw(raw.to_string())));
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
