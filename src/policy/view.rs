//! The JSON views policies are written against (documented in `rules/policies.md`), each
//! value remembered with the span of the model field it came from, so that a schema error's
//! instance path (a JSON pointer) leads back to a place in the file.
//!
//! Fields that are not set are absent (never `null`), so `required` means "must be set" and
//! `properties` constraints apply only to what is there. Templated values are kept as text,
//! but the numbers and parts derived from them (`memory_bytes`, an image's `registry`) are
//! absent: they are unknown until the pipeline runs.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::quantity;
use crate::analysis::durations::parse_seconds;
use crate::model::{
    is_templated, Container, ContainerRole, EnvVar, Format, Image, Pipeline, Quantity, Spanned,
    Step, StepKind,
};
use crate::yaml::Span;

/// A view and the spans of its values, by JSON pointer (`""` is the whole view).
pub struct View {
    pub value: Value,
    spans: BTreeMap<String, Span>,
}

impl View {
    /// The span for an instance path: the deepest recorded pointer on the way to it (a
    /// missing field falls back to the object that lacks it, then to the step).
    pub fn span_of(&self, pointer: &str) -> Span {
        let mut p = pointer;
        loop {
            if let Some(span) = self.spans.get(p) {
                return *span;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.spans[""],
            }
        }
    }
}

/// Builds a JSON object while recording spans under a pointer prefix.
struct Builder<'a> {
    spans: &'a mut BTreeMap<String, Span>,
    prefix: String,
    map: Map<String, Value>,
}

impl<'a> Builder<'a> {
    fn new(spans: &'a mut BTreeMap<String, Span>, prefix: String, span: Span) -> Self {
        spans.insert(prefix.clone(), span);
        Builder {
            spans,
            prefix,
            map: Map::new(),
        }
    }

    fn pointer(&self, key: &str) -> String {
        let escaped = key.replace('~', "~0").replace('/', "~1");
        format!("{}/{escaped}", self.prefix)
    }

    fn set(&mut self, key: &str, value: Value, span: Span) {
        let pointer = self.pointer(key);
        self.spans.insert(pointer, span);
        self.map.insert(key.to_string(), value);
    }

    fn text(&mut self, key: &str, value: &Option<Spanned<String>>) {
        if let Some(v) = value {
            self.set(key, Value::String(v.value.clone()), v.span);
        }
    }

    fn strings(&mut self, key: &str, values: &[Spanned<String>], span: Span) {
        let pointer = self.pointer(key);
        for (i, v) in values.iter().enumerate() {
            self.spans.insert(format!("{pointer}/{i}"), v.span);
        }
        let list = values
            .iter()
            .map(|v| Value::String(v.value.clone()))
            .collect();
        self.set(
            key,
            Value::Array(list),
            values.first().map_or(span, |v| v.span),
        );
    }

    /// A string map (labels, annotations, node selector); `{}` at `span` when empty.
    fn pairs(&mut self, key: &str, pairs: &[(Spanned<String>, Spanned<String>)], span: Span) {
        let pointer = self.pointer(key);
        let mut map = Map::new();
        for (k, v) in pairs {
            let escaped = k.value.replace('~', "~0").replace('/', "~1");
            self.spans.insert(format!("{pointer}/{escaped}"), v.span);
            map.insert(k.value.clone(), Value::String(v.value.clone()));
        }
        let at = pairs.first().map_or(span, |(k, _)| k.span);
        self.set(key, Value::Object(map), at);
    }

    fn child(&mut self, key: &str, span: Span) -> Builder<'_> {
        let prefix = self.pointer(key);
        Builder::new(self.spans, prefix, span)
    }

    fn finish(self) -> Value {
        Value::Object(self.map)
    }
}

/// `registry`, `repository`, `tag`, `digest` of an image reference, the way a container
/// runtime reads it: no registry means Docker Hub (`docker.io`), and a one-part Docker Hub
/// name is under `library/`.
pub fn split_image(reference: &str) -> (String, String, Option<String>, Option<String>) {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest.to_string())),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(rest[last_slash + i + 1..].to_string()),
        ),
        None => (rest, None),
    };
    let (registry, repository) = match name.split_once('/') {
        Some((first, remainder))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), remainder.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    let registry = match registry.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        _ => registry,
    };
    let repository = if registry == "docker.io" && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    (registry, repository, tag, digest)
}

/// An image as an object recorded at `pointer`: its reference and, unless templated, its
/// parts (`extra` adds fields such as the container it belongs to).
fn image_value(
    spans: &mut BTreeMap<String, Span>,
    pointer: String,
    image: &Image,
    extra: &[(&str, &str)],
) -> Value {
    let span = image.reference.span;
    let reference = image.reference.value.trim();
    let mut v = Builder::new(spans, pointer, span);
    v.set("reference", Value::String(reference.to_string()), span);
    if is_templated(reference) || reference.is_empty() {
        v.set("templated", Value::Bool(true), span);
    } else {
        let (registry, repository, tag, digest) = split_image(reference);
        v.set("registry", Value::String(registry), span);
        v.set("repository", Value::String(repository), span);
        if let Some(tag) = tag {
            v.set("tag", Value::String(tag), span);
        }
        if let Some(digest) = digest {
            v.set("digest", Value::String(digest), span);
        }
    }
    for (k, value) in extra {
        v.set(k, Value::String(value.to_string()), span);
    }
    v.finish()
}

fn image_view(b: &mut Builder<'_>, key: &str, image: &Image) {
    let pointer = b.pointer(key);
    let value = image_value(b.spans, pointer, image, &[]);
    b.set(key, value, image.reference.span);
}

/// KFP's older resource fields (`memoryLimit: 8.0`) are in GB, not bytes.
fn kfp_gigabytes(src: &str, q: &Quantity) -> bool {
    let start = q.value.span.start as usize;
    let line_start = crate::yaml::line_start_before(src, start.min(src.len()));
    // The key before the value, in YAML (`memoryLimit: 80.0`), JSON (`"memoryLimit": 80.0`)
    // or a flow mapping (`{cpuLimit: 8, memoryLimit: 80.0}`); `resourceMemoryLimit` has a
    // capital M and never matches.
    let key = src[line_start..start.min(src.len())]
        .trim_end()
        .trim_end_matches(':')
        .trim_end()
        .trim_end_matches(['"', '\'']);
    key.ends_with("memoryLimit") || key.ends_with("memoryRequest")
}

fn quantities_view(
    b: &mut Builder<'_>,
    key: &str,
    list: &[Quantity],
    span: Span,
    kfp: bool,
    src: &str,
) {
    let mut v = b.child(key, span);
    // The last value of a resource wins (patches and newer KFP fields come last).
    let mut last: BTreeMap<&str, &Quantity> = BTreeMap::new();
    for q in list {
        last.insert(q.name.as_str(), q);
    }
    for (name, q) in last {
        let text = q.value.value.trim();
        v.set(name, Value::String(text.to_string()), q.value.span);
        if is_templated(text) {
            continue;
        }
        let Some(mut number) = quantity::parse(text) else {
            continue;
        };
        match name {
            "memory" => {
                if kfp && kfp_gigabytes(src, q) {
                    number *= 1e9;
                }
                v.set(
                    "memory_bytes",
                    quantity::to_json(number.ceil()),
                    q.value.span,
                );
            }
            "cpu" => v.set(
                "cpu_millicores",
                quantity::to_json((number * 1000.0).ceil()),
                q.value.span,
            ),
            _ => {}
        }
    }
    let value = v.finish();
    b.set(key, value, span);
}

fn env_view(b: &mut Builder<'_>, env: &[EnvVar], span: Span) {
    let pointer = b.pointer("env");
    let mut list = Vec::new();
    for (i, var) in env.iter().enumerate() {
        let at = format!("{pointer}/{i}");
        b.spans.insert(at.clone(), var.name.span);
        b.spans.insert(format!("{at}/name"), var.name.span);
        let mut item = Map::new();
        item.insert("name".into(), Value::String(var.name.value.clone()));
        if let Some(value) = &var.value {
            b.spans.insert(format!("{at}/value"), value.span);
            item.insert("value".into(), Value::String(value.value.clone()));
        }
        if let Some(from) = &var.value_from {
            item.insert("value_from".into(), Value::String(from.clone()));
        }
        list.push(Value::Object(item));
    }
    b.set(
        "env",
        Value::Array(list),
        env.first().map_or(span, |v| v.name.span),
    );
}

fn role(role: ContainerRole) -> &'static str {
    match role {
        ContainerRole::Main => "main",
        ContainerRole::Init => "init",
        ContainerRole::Sidecar => "sidecar",
        ContainerRole::SetMember => "container-set",
    }
}

/// `command`, `args`, `env`, `resources` of one container, into `b`.
fn container_fields(b: &mut Builder<'_>, c: &Container, kfp: bool, src: &str) {
    b.strings("command", &c.command, c.span);
    b.strings("args", &c.args, c.span);
    env_view(b, &c.env, c.span);
    let r = &c.resources;
    let span = r.span.unwrap_or(c.span);
    let mut res = b.child("resources", span);
    quantities_view(
        &mut res,
        "limits",
        &r.limits,
        r.limits_span.unwrap_or(span),
        kfp,
        src,
    );
    quantities_view(&mut res, "requests", &r.requests, span, kfp, src);
    let value = res.finish();
    b.set("resources", value, span);
}

fn kind(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Container => "container",
        StepKind::Script => "script",
        StepKind::ContainerSet => "container-set",
        StepKind::Resource => "resource",
        StepKind::Importer => "importer",
        StepKind::Group => "group",
    }
}

/// Steps that policies look at: those that run a user's container.
pub fn in_scope(step: &Step) -> bool {
    !step.system
        && matches!(
            step.kind,
            StepKind::Container | StepKind::Script | StepKind::ContainerSet
        )
}

fn number_or_text(text: &str) -> Value {
    match text.trim().parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(text.to_string()),
    }
}

fn step_fields(b: &mut Builder<'_>, pipeline: &Pipeline, step: &Step, src: &str) {
    let kfp = pipeline.format.is_kfp_ir();
    b.set("name", Value::String(step.name.to_string()), step.span);
    b.set(
        "qualified_name",
        Value::String(step.qualified_name()),
        step.span,
    );
    b.set("path", json!(&step.path[..]), step.span);
    b.set(
        "pipeline",
        Value::String(pipeline.display_name().to_string()),
        pipeline.name.as_ref().map_or(pipeline.span, |n| n.span),
    );
    b.set(
        "format",
        Value::String(pipeline.format.label().to_string()),
        step.span,
    );
    b.set(
        "kind",
        Value::String(kind(step.kind).to_string()),
        step.span,
    );

    let main = step
        .containers
        .iter()
        .find(|c| matches!(c.role, ContainerRole::Main))
        .or_else(|| {
            step.containers
                .iter()
                .find(|c| c.role == ContainerRole::SetMember)
        });
    if let Some(c) = main {
        if let Some(image) = &c.image {
            image_view(b, "image", image);
        }
        container_fields(b, c, kfp, src);
    }

    let containers_pointer = b.pointer("containers");
    let images_pointer = b.pointer("images");
    let mut containers = Vec::new();
    let mut images = Vec::new();
    for (i, c) in step.containers.iter().enumerate() {
        let mut cb = Builder::new(b.spans, format!("{containers_pointer}/{i}"), c.span);
        cb.set("role", Value::String(role(c.role).to_string()), c.span);
        if let Some(name) = &c.name {
            cb.set("name", Value::String(name.clone()), c.span);
        }
        if let Some(image) = &c.image {
            image_view(&mut cb, "image", image);
        }
        container_fields(&mut cb, c, kfp, src);
        containers.push(cb.finish());
        if let Some(image) = &c.image {
            let pointer = format!("{images_pointer}/{}", images.len());
            let mut extra = vec![("container_role", role(c.role))];
            if let Some(name) = &c.name {
                extra.push(("container", name.as_str()));
            }
            images.push(image_value(b.spans, pointer, image, &extra));
        }
    }
    b.set("containers", Value::Array(containers), step.span);
    b.set("images", Value::Array(images), step.span);

    if let Some(retry) = &step.retry {
        let mut r = b.child("retry", retry.span);
        if let Some(limit) = &retry.limit {
            r.set("limit", number_or_text(&limit.value), limit.span);
        }
        r.text("policy", &retry.policy);
        let mut backoff = r.child("backoff", retry.span);
        backoff.text("duration", &retry.backoff_duration);
        backoff.text("factor", &retry.backoff_factor);
        // `max_duration` has always meant "some bound": Argo's `maxDuration`, or else `cap`.
        let bound = retry
            .backoff_max_duration
            .clone()
            .or_else(|| retry.backoff_cap.clone());
        backoff.text("max_duration", &bound);
        let value = backoff.finish();
        r.set("backoff", value, retry.span);
        let value = r.finish();
        b.set("retry", value, retry.span);
    }
    if let Some(caching) = &step.caching {
        let mut c = b.child("caching", caching.span);
        c.set("enabled", Value::Bool(caching.enabled), caching.span);
        c.text("key", &caching.key);
        let value = c.finish();
        b.set("caching", value, caching.span);
    }
    if let Some(timeout) = &step.timeout {
        b.set(
            "timeout",
            Value::String(timeout.value.clone()),
            timeout.span,
        );
        if let Some(seconds) = parse_seconds(&timeout.value) {
            b.set("timeout_seconds", Value::from(seconds), timeout.span);
        }
    }
    if let Some(seconds) = step.grace_period.effective_seconds() {
        b.set(
            "grace_period_seconds",
            Value::from(seconds),
            step.grace_period.span,
        );
    }
    b.pairs("node_selector", &step.node_selector, step.span);
    let tolerations_pointer = b.pointer("tolerations");
    let tolerations: Vec<Value> = step
        .tolerations
        .iter()
        .enumerate()
        .map(|(i, t)| {
            b.spans.insert(format!("{tolerations_pointer}/{i}"), t.span);
            let mut m = Map::new();
            for (k, v) in [("key", &t.key), ("value", &t.value), ("effect", &t.effect)] {
                if let Some(v) = v {
                    m.insert(k.into(), Value::String(v.clone()));
                }
            }
            Value::Object(m)
        })
        .collect();
    let at = step.tolerations.first().map_or(step.span, |t| t.span);
    b.set("tolerations", Value::Array(tolerations), at);
    b.pairs("annotations", &step.annotations, step.span);
    b.pairs("labels", &step.labels, step.span);
}

/// The view of one step (policies with `scope: step`).
pub fn step_view(pipeline: &Pipeline, step: &Step, src: &str) -> View {
    let mut spans = BTreeMap::new();
    let mut b = Builder::new(&mut spans, String::new(), step.span);
    step_fields(&mut b, pipeline, step, src);
    let value = b.finish();
    View { value, spans }
}

/// The view of a pipeline (policies with `scope: pipeline`), its steps included.
pub fn pipeline_view(pipeline: &Pipeline, src: &str) -> View {
    let opening = pipeline.name.as_ref().map_or(pipeline.span, |n| n.span);
    let mut spans = BTreeMap::new();
    let mut b = Builder::new(&mut spans, String::new(), opening);
    b.set(
        "name",
        Value::String(pipeline.display_name().to_string()),
        opening,
    );
    b.set(
        "format",
        Value::String(pipeline.format.label().to_string()),
        opening,
    );
    b.text("sdk_version", &pipeline.sdk_version);
    b.text("schema_version", &pipeline.schema_version);
    if let Some(timeout) = &pipeline.timeout {
        b.set(
            "timeout",
            Value::String(timeout.value.clone()),
            timeout.span,
        );
        if let Some(seconds) = parse_seconds(&timeout.value) {
            b.set("timeout_seconds", Value::from(seconds), timeout.span);
        }
    }
    b.text("entrypoint", &pipeline.entrypoint);
    if matches!(pipeline.format, Format::Argo(..)) {
        b.pairs("labels", &pipeline.labels, opening);
        b.pairs("annotations", &pipeline.annotations, opening);
    }
    let steps_pointer = b.pointer("steps");
    let mut steps = Vec::new();
    for step in pipeline.steps.iter().filter(|s| in_scope(s)) {
        let mut sb = Builder::new(
            b.spans,
            format!("{steps_pointer}/{}", steps.len()),
            step.span,
        );
        step_fields(&mut sb, pipeline, step, src);
        steps.push(sb.finish());
    }
    b.set("steps", Value::Array(steps), opening);
    let value = b.finish();
    View { value, spans }
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn images() {
        let s = |r: &str| split_image(r);
        assert_eq!(
            s("python:3.11"),
            (
                "docker.io".into(),
                "library/python".into(),
                Some("3.11".into()),
                None
            )
        );
        assert_eq!(
            s("ghcr.io/acme/trainer:1.0@sha256:abc"),
            (
                "ghcr.io".into(),
                "acme/trainer".into(),
                Some("1.0".into()),
                Some("sha256:abc".into())
            )
        );
        assert_eq!(
            s("registry.local:5000/team/x"),
            ("registry.local:5000".into(), "team/x".into(), None, None)
        );
        assert_eq!(
            s("bitnami/kubectl"),
            ("docker.io".into(), "bitnami/kubectl".into(), None, None)
        );
    }
}

/// The fields of the views, as documented in `rules/policies.md`: a policy's schema that
/// names a property the view does not have (`label` for `labels`) would never match, so it
/// is refused when the policy is compiled. Keep in step with the builders above.
#[derive(Debug)]
pub enum Shape {
    /// An object with these fields.
    Object(&'static [(&'static str, Shape)]),
    /// An array of these.
    Array(&'static Shape),
    /// An object with any keys (labels, resource names) or a scalar: not checked further.
    Open,
}

const STRINGS: Shape = Shape::Array(&Shape::Open);
const IMAGE: Shape = Shape::Object(&[
    ("reference", Shape::Open),
    ("registry", Shape::Open),
    ("repository", Shape::Open),
    ("tag", Shape::Open),
    ("digest", Shape::Open),
    ("templated", Shape::Open),
    // In `images` items.
    ("container", Shape::Open),
    ("container_role", Shape::Open),
]);
const ENV: Shape = Shape::Array(&Shape::Object(&[
    ("name", Shape::Open),
    ("value", Shape::Open),
    ("value_from", Shape::Open),
]));
const RESOURCES: Shape = Shape::Object(&[("limits", Shape::Open), ("requests", Shape::Open)]);
const CONTAINER: Shape = Shape::Object(&[
    ("role", Shape::Open),
    ("name", Shape::Open),
    ("image", IMAGE),
    ("command", STRINGS),
    ("args", STRINGS),
    ("env", ENV),
    ("resources", RESOURCES),
]);

/// The step view (`scope: step`).
pub const STEP_SHAPE: Shape = Shape::Object(&[
    ("name", Shape::Open),
    ("qualified_name", Shape::Open),
    ("path", STRINGS),
    ("pipeline", Shape::Open),
    ("format", Shape::Open),
    ("kind", Shape::Open),
    ("image", IMAGE),
    ("images", Shape::Array(&IMAGE)),
    ("command", STRINGS),
    ("args", STRINGS),
    ("env", ENV),
    ("resources", RESOURCES),
    ("containers", Shape::Array(&CONTAINER)),
    (
        "retry",
        Shape::Object(&[
            ("limit", Shape::Open),
            ("policy", Shape::Open),
            (
                "backoff",
                Shape::Object(&[
                    ("duration", Shape::Open),
                    ("factor", Shape::Open),
                    ("max_duration", Shape::Open),
                ]),
            ),
        ]),
    ),
    (
        "caching",
        Shape::Object(&[("enabled", Shape::Open), ("key", Shape::Open)]),
    ),
    ("timeout", Shape::Open),
    ("timeout_seconds", Shape::Open),
    ("grace_period_seconds", Shape::Open),
    ("node_selector", Shape::Open),
    (
        "tolerations",
        Shape::Array(&Shape::Object(&[
            ("key", Shape::Open),
            ("value", Shape::Open),
            ("effect", Shape::Open),
        ])),
    ),
    ("annotations", Shape::Open),
    ("labels", Shape::Open),
]);

/// The pipeline view (`scope: pipeline`).
pub const PIPELINE_SHAPE: Shape = Shape::Object(&[
    ("name", Shape::Open),
    ("format", Shape::Open),
    ("sdk_version", Shape::Open),
    ("schema_version", Shape::Open),
    ("timeout", Shape::Open),
    ("timeout_seconds", Shape::Open),
    ("entrypoint", Shape::Open),
    ("labels", Shape::Open),
    ("annotations", Shape::Open),
    ("steps", Shape::Array(&STEP_SHAPE)),
]);
