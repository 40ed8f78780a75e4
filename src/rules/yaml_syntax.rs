use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};

/// The file (or one document of it) is not valid YAML.
pub struct YamlSyntax;

static META: RuleMeta = RuleMeta {
    id: "yaml-syntax",
    summary: "the file is not valid YAML or JSON",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/yaml-syntax.md"),
    options: &[],
};

impl Rule for YamlSyntax {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for error in &cx.yaml.errors {
            let document = cx.yaml.document_suffix(error);
            out.push(
                Finding::new(
                    META.id,
                    META.default_severity,
                    error.span,
                    format!("invalid YAML{document}: {}", error.message),
                )
                .label(error.message.clone())
                .help("fix the syntax here; the rest of this document was not linted, other documents and files were"),
            );
        }
    }
}
