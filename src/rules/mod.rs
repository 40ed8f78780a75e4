//! The rules: one file each, named by its id, listed once in [`registry`].

mod argument_mismatch;
mod broken_dependency;
mod cache_on_random_step;
mod callee;
mod dependency_cycle;
mod duplicate_key;
mod grace_period_shorter_than_checkpoint;
mod input_too_complex;
pub(crate) mod input_too_large;
mod invalid_manifest;
mod io_step_without_retry;
mod malformed_pipeline;
mod missing_resource_limits;
mod missing_timeout;
mod plaintext_secret;
pub mod registry;
mod retry_on_non_idempotent_step;
mod sdk_backend_version_mismatch;
mod stale_compiled_pipeline;
mod unbounded_retry;
mod undefined_reference;
mod unpinned_image;
mod unused_suppression;
mod yaml_syntax;

use crate::analysis::StepFacts;
use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::model::{Pipeline, Step, StepKind};
use crate::yaml::YamlFile;

/// The type of a rule option in `.pipelint.yaml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    Strings,
    /// A list of regular expressions, compiled when the config is read.
    Regexes,
    Integer,
    Bool,
}

#[derive(Debug)]
pub struct OptionSpec {
    pub name: &'static str,
    pub kind: OptionKind,
    /// The value when the config sets none, as `config --show` prints it (YAML).
    pub default: &'static str,
}

/// Static facts about a rule; the doc is `rules/<id>.md`, compiled in.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
    pub doc: &'static str,
    /// Options under `rules.<id>` in `.pipelint.yaml` (besides `severity`).
    pub options: &'static [OptionSpec],
}

/// What a rule may look at besides the model.
pub struct FileContext<'a> {
    pub src: &'a str,
    pub yaml: &'a YamlFile,
    pub pipelines: &'a [Pipeline],
    pub config: &'a Config,
    /// What the classifiers found, per pipeline and step (same order as the model).
    pub facts: &'a [Vec<StepFacts>],
    /// The text and tree as fixes edit them (see [`crate::fix::edit`]).
    pub source: crate::fix::edit::Source<'a>,
}

impl FileContext<'_> {
    /// The classifiers' facts about a step of one of this file's pipelines.
    pub fn facts_of(&self, pipeline: &Pipeline, step: &Step) -> Option<&StepFacts> {
        // By address, in constant time: a search per step would make every rule quadratic
        // in the number of steps.
        let p = index_in(self.pipelines, pipeline)?;
        let s = index_in(&pipeline.steps, step)?;
        self.facts.get(p)?.get(s)
    }
}

/// The index of `item` in `slice`, if it is an element of it.
fn index_in<T>(slice: &[T], item: &T) -> Option<usize> {
    let size = std::mem::size_of::<T>().max(1);
    let offset = (item as *const T as usize).checked_sub(slice.as_ptr() as usize)?;
    (offset % size == 0 && offset / size < slice.len()).then_some(offset / size)
}

/// A rule overrides only the narrowest hook it needs. Rules are stateless and do no I/O.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Problems of the file as a whole (syntax, duplicate keys).
    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}

    /// Calls [`Rule::check_step`] for every step that runs something: DAG, steps, suspend
    /// and other group templates are not steps for the step rules (a `templateDefaults`
    /// retry inherited by a DAG retries its children, which are checked themselves).
    fn check_pipeline(&self, cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        for step in pipeline.steps.iter().filter(|s| s.kind != StepKind::Group) {
            self.check_step(cx, pipeline, step, out);
        }
    }

    fn check_step(
        &self,
        _cx: &FileContext<'_>,
        _pipeline: &Pipeline,
        _step: &Step,
        _out: &mut Vec<Finding>,
    ) {
    }
}

/// Fills in the pipeline and step a step-level finding belongs to.
pub(crate) fn at_step(mut finding: Finding, pipeline: &Pipeline, step: &Step) -> Finding {
    let names = step.names(pipeline);
    finding.pipeline = Some(names.pipeline.clone());
    finding.step = Some(names.step.clone());
    finding.step_path = names.path.clone();
    finding.step_span = Some(step.span);
    finding.document = Some(pipeline.document);
    finding
}

/// The questions the judgment rules can use about a step: the classifiers answer only these
/// (`pipelint classify` asks all).
pub(crate) fn questions_asked(
    config: &crate::config::Config,
    pipeline: &Pipeline,
    step: &Step,
) -> crate::analysis::Asked {
    let io = io_step_without_retry::asks(config, pipeline, step);
    crate::analysis::Asked {
        io,
        // A non-idempotent effect also silences the IO rule.
        non_idempotent: io || retry_on_non_idempotent_step::asks(step),
        random: cache_on_random_step::asks(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArgoFlavor, ArgoKind, Format, Spanned};
    use crate::yaml::Span;
    use std::sync::Arc;

    #[test]
    fn the_findings_of_a_step_share_its_names() {
        let mut pipeline = Pipeline::new(
            Format::Argo(ArgoKind::Workflow, ArgoFlavor::Plain),
            Span::new(0, 10),
            0,
        );
        pipeline.name = Some(Spanned::new("train-pipeline".to_string(), Span::new(0, 1)));
        let path = vec!["train-pipeline".to_string(), "train".to_string()];
        pipeline.steps.push(Step::new(
            "train",
            path,
            Span::new(2, 3),
            StepKind::Container,
        ));
        let step = &pipeline.steps[0];
        let finding = |rule| Finding::new(rule, Severity::Warning, Span::new(4, 5), "m");
        let first = at_step(finding("unpinned-image"), &pipeline, step);
        let second = at_step(finding("missing-timeout"), &pipeline, step);
        assert_eq!(first.pipeline.as_deref(), Some("train-pipeline"));
        assert_eq!(first.step.as_deref(), Some("train"));
        assert_eq!(&first.step_path[..], ["train-pipeline", "train"]);
        assert_eq!(
            (first.step_span, first.document),
            (Some(step.span), Some(0))
        );
        // One copy of each name, however many findings the step has.
        assert!(Arc::ptr_eq(
            first.pipeline.as_ref().unwrap(),
            second.pipeline.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            first.step.as_ref().unwrap(),
            second.step.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(&first.step_path, &second.step_path));
    }
}
