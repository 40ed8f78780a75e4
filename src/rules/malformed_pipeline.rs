use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::Pipeline;

/// A pipeline whose fields have the wrong shape or whose references are broken.
pub struct MalformedPipeline;

static META: RuleMeta = RuleMeta {
    id: "malformed-pipeline",
    summary: "a field has the wrong shape or a reference is broken; the backend would reject the pipeline",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/malformed-pipeline.md"),
    options: &[],
};

impl Rule for MalformedPipeline {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, _cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        for problem in &pipeline.problems {
            let mut finding = Finding::new(
                META.id,
                META.default_severity,
                problem.span,
                format!("pipeline \"{}\": {}", pipeline.display_name(), problem.message),
            )
            .label(match pipeline.format {
                crate::model::Format::KfpIr(_) => "the KFP backend rejects this",
                crate::model::Format::Argo(..) => "Argo rejects this",
            })
            .help("fix the field to the shape the format expects; pipelint read the rest of the pipeline without it");
            finding.pipeline = Some(pipeline.display_name().into());
            finding.document = Some(pipeline.document);
            out.push(finding);
        }
    }
}
