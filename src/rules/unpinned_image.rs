use std::borrow::Cow;

use regex::Regex;

use super::{at_step, FileContext, OptionKind, OptionSpec, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::fix::digests::ImageDigests;
use crate::fix::edit::Source;
use crate::fix::{Fix, NoFix};
use crate::model::{is_templated, ContainerRole, Format, Pipeline, Step};

/// An image referenced by tag (or by nothing) instead of by digest.
pub struct UnpinnedImage;

static META: RuleMeta = RuleMeta {
    id: "unpinned-image",
    summary: "an image is not pinned by digest: `:latest`, no tag, or a mutable tag",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/unpinned-image.md"),
    options: &[OptionSpec {
        name: "allow-tags",
        kind: OptionKind::Regexes,
        default: "[]",
    }],
};

/// Options of `unpinned-image`.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Tags matching one of these are accepted (for registries that enforce immutable tags).
    pub allow_tags: Vec<Regex>,
    /// `--image-digests`: the digests a fix may pin images to.
    pub digests: Option<std::sync::Arc<ImageDigests>>,
}

/// An image reference split into its parts: `registry:5000/team/name:tag@sha256:...`.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn parse_image(reference: &str) -> ImageRef<'_> {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    // A colon before the last slash is a registry port, not a tag.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => ImageRef {
            name: &rest[..last_slash + i],
            tag: Some(&rest[last_slash + i + 1..]),
            digest,
        },
        None => ImageRef {
            name: rest,
            tag: None,
            digest,
        },
    }
}

fn is_digest(digest: &str) -> bool {
    digest.split_once(':').is_some_and(|(algo, hex)| {
        !algo.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

impl UnpinnedImage {
    fn check_with(
        &self,
        options: &Options,
        source: Option<&Source<'_>>,
        pipeline: &Pipeline,
        step: &Step,
        out: &mut Vec<Finding>,
    ) {
        if step.system {
            return;
        }
        for container in &step.containers {
            let Some(image) = &container.image else {
                continue;
            };
            let written = image.reference.value.trim();
            if image.stub || written.is_empty() {
                continue;
            }
            // A templated image is unknown until the run, unless the same file gives its
            // parameters a default that is `:latest` or untagged: that is what runs when
            // nobody passes another value. Other defaults stay unknown (a caller may pin).
            let default = match (is_templated(written), &image.default) {
                (false, _) => None,
                (true, Some(d)) if !is_templated(&d.value) => {
                    let parsed = parse_image(d.value.trim());
                    if parsed.digest.is_some() || parsed.tag.is_some_and(|t| t != "latest") {
                        continue;
                    }
                    Some(d)
                }
                (true, _) => continue,
            };
            let reference = default.map_or(written, |d| d.value.trim());
            let parsed = parse_image(reference);
            if parsed.digest.is_some_and(is_digest) {
                continue;
            }
            let (severity, label): (_, Cow<'static, str>) = match parsed.tag {
                None => (
                    Severity::Error,
                    "no tag: the registry serves whatever `latest` is today".into(),
                ),
                Some("latest") => (Severity::Error, "`latest` moves with every push".into()),
                Some(tag) if options.allow_tags.iter().any(|re| re.is_match(tag)) => continue,
                Some(tag) => (
                    Severity::Warning,
                    ["tag `", tag, "` can be re-pushed with other content"]
                        .concat()
                        .into(),
                ),
            };
            // The message is written into one string: this rule fires on most steps of most
            // files, and each piece made on its own was an allocation.
            // Room for nearly every message (most are under 120 bytes) without growing.
            let mut message = String::with_capacity(128);
            message.push_str("step \"");
            step.push_qualified_name(&mut message);
            message.push_str("\" runs image \"");
            message.push_str(if default.is_some() {
                written
            } else {
                reference
            });
            message.push('"');
            let what = match container.role {
                ContainerRole::Main => None,
                ContainerRole::Init => Some(" in init container \""),
                ContainerRole::Sidecar => Some(" in sidecar \""),
                ContainerRole::SetMember => Some(" in container \""),
            };
            if let Some(what) = what {
                message.push_str(what);
                message.push_str(container.name.as_deref().unwrap_or("?"));
                message.push('"');
            }
            match default {
                Some(_) => {
                    message.push_str(", whose default in this file is \"");
                    message.push_str(reference);
                    message.push_str(if parsed.tag.is_none() {
                        "\" (no tag or digest)"
                    } else {
                        "\" (not pinned by digest)"
                    });
                }
                None => message.push_str(if parsed.tag.is_none() {
                    " with no tag or digest"
                } else {
                    ", not pinned by digest"
                }),
            }
            // The image as it would read pinned, written in the help's place: the help is
            // made in one allocation.
            let (tag_colon, tag) = parsed.tag.map_or(("", ""), |tag| (":", tag));
            let pinned = [parsed.name, tag_colon, tag, "@sha256:<digest>"];
            let (intro, rest): (&str, [&str; 5]) = match (pipeline.format, default) {
                (_, Some(_)) => (
                    "pin the default by digest where the parameter is declared: `value: ",
                    [
                        "` (a caller that passes its own image should pin it too); get the digest with `crane digest ",
                        reference,
                        "`",
                        "",
                        "",
                    ],
                ),
                // No Python function in the command: a container component (or one loaded
                // from YAML), which has no `base_image`.
                (Format::KfpIr(_), None) if !runs_a_python_function(step) => (
                    "pin it by digest where the component names it, e.g. `dsl.ContainerSpec(image=\"",
                    [
                        "\", ...)` (or `image:` of a component's YAML), and recompile; get the digest with `crane digest ",
                        reference,
                        "` or `docker buildx imagetools inspect ",
                        reference,
                        "`",
                    ],
                ),
                (Format::KfpIr(_), None) => (
                    "pin it by digest in the component, e.g. `@dsl.component(base_image=\"",
                    [
                        "\")`, and recompile; get the digest with `crane digest ",
                        reference,
                        "` or `docker buildx imagetools inspect ",
                        reference,
                        "`",
                    ],
                ),
                (Format::Argo(..), None) => (
                    "pin it by digest: `image: ",
                    [
                        "`; get the digest with `crane digest ",
                        reference,
                        "` or `docker buildx imagetools inspect ",
                        reference,
                        "`",
                    ],
                ),
            };
            let pieces = || std::iter::once(intro).chain(pinned).chain(rest);
            let mut how = String::with_capacity(pieces().map(str::len).sum());
            pieces().for_each(|piece| how.push_str(piece));
            let mut finding = Finding::new(META.id, severity, image.reference.span, message)
                .label(label)
                .help(how);
            if let Some(d) = default {
                finding = finding.related(d.span, "the parameter's default");
            }
            let digest = options.digests.as_ref().and_then(|d| d.digest(reference));
            if let (Some(source), Some(digest)) = (source, digest) {
                let at = default.map_or(image.reference.span, |d| d.span);
                finding = finding.with_fix(pin_fix(source, at, reference, digest));
            }
            if image.origin != crate::model::Origin::Step {
                finding = finding.related(
                    step.span,
                    "this step inherits the image from `templateDefaults`",
                );
            }
            out.push(at_step(finding, pipeline, step));
        }
    }
}

/// Does the step run a Python function the KFP SDK embedded (a lightweight component, or a
/// KFP 1.x function component: its `def` in the command), whose image is the component's
/// `base_image`?
fn runs_a_python_function(step: &Step) -> bool {
    step.source.is_some()
        || step.containers.iter().any(|c| {
            c.command
                .iter()
                .chain(&c.args)
                .any(|t| t.value.starts_with("def ") || t.value.contains("\ndef "))
        })
}

/// The image pinned to the digest the user's `--image-digests` file gives for it, the tag
/// kept for readers (`python:3.11@sha256:...`). Safe: the digest is what the tag names today,
/// by the user's word; pipelint never looks one up.
fn pin_fix(
    source: &Source<'_>,
    at: crate::yaml::Span,
    reference: &str,
    digest: &str,
) -> Result<Fix, NoFix> {
    let node = source.node_at(at)?;
    if node.str().map(str::trim) != Some(reference) {
        return Err(NoFix::new("the image is not written as one plain value"));
    }
    let pinned = format!("{reference}@{digest}");
    let edit = source.replace_scalar(node, &pinned)?;
    Ok(Fix::safe(
        format!("pin the image by digest: `{pinned}`"),
        vec![edit],
    ))
}

impl Rule for UnpinnedImage {
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
        let options = Options {
            allow_tags: cx.config.regexes(META.id, "allow-tags").to_vec(),
            digests: cx.config.image_digests.clone(),
        };
        let source = &cx.source;
        self.check_with(&options, Some(source), pipeline, step, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, Image, Origin, Spanned, StepKind};
    use crate::yaml::Span;

    #[test]
    fn splits_references() {
        assert_eq!(
            parse_image("registry.local:5000/team/trainer"),
            ImageRef {
                name: "registry.local:5000/team/trainer",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            parse_image("python:3.11@sha256:abc"),
            ImageRef {
                name: "python",
                tag: Some("3.11"),
                digest: Some("sha256:abc")
            }
        );
        assert_eq!(parse_image("ghcr.io/acme/eval:v1.2.3").tag, Some("v1.2.3"));
    }

    fn step_with_image(image: &str) -> Step {
        let mut step = Step::new(
            "train",
            vec!["p".into(), "train".into()],
            Span::new(0, 1),
            StepKind::Container,
        );
        let mut c = Container::new(ContainerRole::Main, Span::new(0, 1));
        c.image = Some(Image {
            reference: Spanned::new(image.into(), Span::new(5, 10)),
            origin: Origin::Step,
            stub: false,
            default: None,
        });
        step.containers.push(c);
        step
    }

    #[test]
    fn allow_tags_option_accepts_matching_tags_only() {
        let pipeline = Pipeline::new(
            Format::Argo(
                crate::model::ArgoKind::Workflow,
                crate::model::ArgoFlavor::Plain,
            ),
            Span::new(0, 1),
            0,
        );
        let options = Options {
            allow_tags: vec![Regex::new(r"^v?\d+\.\d+\.\d+$").unwrap()],
            digests: None,
        };
        let mut out = Vec::new();
        UnpinnedImage.check_with(
            &options,
            None,
            &pipeline,
            &step_with_image("acme/trainer:v1.2.3"),
            &mut out,
        );
        assert!(out.is_empty());
        UnpinnedImage.check_with(
            &options,
            None,
            &pipeline,
            &step_with_image("acme/trainer:1.2"),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        UnpinnedImage.check_with(
            &options,
            None,
            &pipeline,
            &step_with_image("acme/trainer:latest"),
            &mut out,
        );
        assert_eq!(out[1].severity, Severity::Error);
    }
}
