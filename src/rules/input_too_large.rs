use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::yaml::Span;

/// The file is larger than `--max-file-size`: it was not read.
pub struct InputTooLarge;

static META: RuleMeta = RuleMeta {
    id: "input-too-large",
    summary: "the file is larger than the size limit; it was not read",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/input-too-large.md"),
    options: &[],
};

/// The finding for a file of `size` bytes over `limit`. The engine makes it before reading
/// the file (so there is no text to run rules on); it points at the start of the file.
pub(crate) fn finding(size: u64, limit: u64) -> Finding {
    Finding::new(
        META.id,
        META.default_severity,
        Span::new(0, 0),
        format!("the file is {size} bytes, over the {limit} byte limit; it was not read"),
    )
    .label("not read")
    .help("raise the limit (--max-file-size, or `limits.max-file-size` in .pipelint.yaml) if the file is trusted, or exclude it")
}

impl Rule for InputTooLarge {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Nothing to check on a file that was read: it was under the limit.
    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}
}
