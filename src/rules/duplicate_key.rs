use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};

/// A mapping repeats a key: one of the two values is silently dropped.
pub struct DuplicateKey;

static META: RuleMeta = RuleMeta {
    id: "duplicate-key",
    summary: "a mapping repeats a key; the earlier value is silently dropped",
    default_severity: Severity::Warning,
    doc: include_str!("../../rules/duplicate-key.md"),
    options: &[],
};

impl Rule for DuplicateKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for dup in &cx.yaml.duplicate_keys {
            let mut finding = Finding::new(
                META.id,
                META.default_severity,
                dup.second,
                format!(
                    "key `{}` is repeated; this value replaces the earlier one",
                    dup.key
                ),
            )
            .label("this value wins")
            .help("remove one of the two keys, or merge their values")
            .related(dup.first, "this earlier value is dropped");
            finding.document = Some(dup.document);
            out.push(finding);
        }
    }
}
