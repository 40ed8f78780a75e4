use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};

/// A document (or the whole file) is too costly to read: nested too deep, aliases that
/// expand too far, or more work than the per-file budget.
pub struct InputTooComplex;

static META: RuleMeta = RuleMeta {
    id: "input-too-complex",
    summary: "the file is nested too deep, expands too many aliases or costs more work than the per-file budget; it was not fully linted",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/input-too-complex.md"),
    options: &[],
};

impl Rule for InputTooComplex {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for error in &cx.yaml.too_complex {
            let document = cx.yaml.document_suffix(error);
            out.push(
                Finding::new(
                    META.id,
                    META.default_severity,
                    error.span,
                    format!("input too complex{document}: {}", error.message),
                )
                .label("pipelint stopped reading here")
                .help("simplify the file, or raise the limit named in the message if the file is trusted; the other documents and files were linted"),
            );
        }
    }
}
