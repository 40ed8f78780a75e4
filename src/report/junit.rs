//! JUnit XML in the dialect GitLab, Jenkins and most CI systems read: one `<testsuite>` per
//! pipeline file, one `<testcase>` per rule and step with findings (a `<failure>` whose
//! `message` is the first finding's, whose `type` is the worst severity, and whose text lists
//! every finding of that rule in that step with its location and help), and one passing
//! `<testcase>` per rule that ran on the file (its config may turn rules off) and found
//! nothing. A file that could not be read is a
//! testsuite with one `<error>`.

use std::fmt::Write;

use super::paths::RepoRoot;
use crate::engine::{FileReport, Outcome, RunReport};
use crate::finding::Finding;
use crate::rules::registry;

/// Text content: `&`, `<` and `>` escaped; characters XML 1.0 cannot carry at all
/// (control characters other than tab, LF and CR) written as `\u{..}`.
fn escape_text(text: &str) -> String {
    escape(text, false)
}

/// An attribute value in double quotes: also `"` and `'`, and tab/LF/CR as character
/// references so that parsers do not normalise them to spaces.
fn escape_attr(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The findings of one rule in one step (or in no step), in order of position.
struct Case<'a> {
    rule: &'a str,
    step: Option<&'a str>,
    findings: Vec<&'a Finding>,
}

fn cases(file: &FileReport) -> Vec<Case<'_>> {
    let mut cases: Vec<Case<'_>> = Vec::new();
    for f in &file.findings {
        let step = f.step.as_deref();
        match cases
            .iter_mut()
            .find(|c| c.rule == f.rule && c.step == step)
        {
            Some(case) => case.findings.push(f),
            None => cases.push(Case {
                rule: f.rule,
                step,
                findings: vec![f],
            }),
        }
    }
    cases
}

/// `path:line:col: severity[rule] message`, then the help, as in the compact format.
fn failure_body(file: &FileReport, path: &str, findings: &[&Finding]) -> String {
    let mut body = String::new();
    for f in findings {
        let at = file.lines.line_col(f.span.start);
        let _ = write!(
            body,
            "{path}:{}:{}: {}[{}] {}",
            at.line,
            at.column,
            f.severity.as_str(),
            f.rule,
            f.message
        );
        if !f.also_steps.is_empty() {
            let _ = write!(body, " (also used by {})", f.also_steps.join(", "));
        }
        body.push('\n');
        if !f.label.is_empty() {
            let _ = writeln!(body, "  {}", f.label);
        }
        if !f.help.is_empty() {
            let _ = writeln!(body, "  help: {}", f.help);
        }
    }
    body
}

/// The class name: the path without its extension, so that Jenkins does not read `.yaml`
/// as a class inside a package.
fn class_name(path: &str) -> &str {
    match path.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') && !stem.is_empty() => stem,
        _ => path,
    }
}

struct Suite {
    xml: String,
    tests: usize,
    failures: usize,
    errors: usize,
}

/// Whether a rule ran on a file (the caller knows each file's config).
pub type RuleRan<'a> = dyn Fn(&FileReport, &str) -> bool + 'a;

fn suite(file: &FileReport, root: &RepoRoot, ran: &RuleRan<'_>) -> Option<Suite> {
    let path = root.display(&file.path);
    let class = escape_attr(class_name(&path));
    let path_attr = escape_attr(&path);
    let mut body = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    match &file.outcome {
        Outcome::Pipeline(_) => {}
        Outcome::Unreadable(reason) => {
            tests += 1;
            errors += 1;
            let message = format!("{path}: could not be read: {reason}");
            let _ = writeln!(
                body,
                "    <testcase name=\"read\" classname=\"{class}\" file=\"{path_attr}\">\n      <error message=\"{}\" type=\"unreadable\">{}</error>\n    </testcase>",
                escape_attr(&message),
                escape_text(&message)
            );
        }
        Outcome::NotPipeline | Outcome::Unparseable | Outcome::Unsupported(_) => return None,
    }
    let cases = cases(file);
    for case in &cases {
        tests += 1;
        failures += 1;
        let first = case.findings[0];
        let name = match case.step {
            Some(step) => format!("{} ({step})", case.rule),
            None => case.rule.to_string(),
        };
        let mut message = first.message.clone();
        if case.findings.len() > 1 {
            let _ = write!(message, " (and {} more)", case.findings.len() - 1);
        }
        let line = file.lines.line_col(first.span.start).line;
        let worst = case
            .findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(first.severity);
        let _ = writeln!(
            body,
            "    <testcase name=\"{}\" classname=\"{class}\" file=\"{path_attr}\" line=\"{line}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
            escape_attr(&name),
            escape_attr(&message),
            escape_attr(worst.as_str()),
            escape_text(&failure_body(file, &path, &case.findings)),
        );
    }
    if matches!(file.outcome, Outcome::Pipeline(_)) {
        for rule in registry::all() {
            let id = rule.meta().id;
            if cases.iter().any(|c| c.rule == id) || !ran(file, id) {
                continue;
            }
            tests += 1;
            let _ = writeln!(
                body,
                "    <testcase name=\"{}\" classname=\"{class}\" file=\"{path_attr}\"/>",
                escape_attr(id)
            );
        }
    }
    let xml = format!(
        "  <testsuite name=\"{path_attr}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" file=\"{path_attr}\">\n{body}  </testsuite>\n"
    );
    Some(Suite {
        xml,
        tests,
        failures,
        errors,
    })
}

/// The whole report as one `<testsuites>` document.
pub fn render_junit(report: &RunReport, root: &RepoRoot, ran: &RuleRan<'_>) -> String {
    let suites: Vec<Suite> = report
        .files
        .iter()
        .filter_map(|f| suite(f, root, ran))
        .collect();
    let tests: usize = suites.iter().map(|s| s.tests).sum();
    let failures: usize = suites.iter().map(|s| s.failures).sum();
    let errors: usize = suites.iter().map(|s| s.errors).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"pipelint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">"
    );
    for suite in &suites {
        out.push_str(&suite.xml);
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        assert_eq!(
            escape_attr("a<b>&\"c\" 'd'\n\te\r"),
            "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos;&#10;&#9;e&#13;"
        );
        assert_eq!(escape_text("a<b>&\"c\"\n\t"), "a&lt;b&gt;&amp;\"c\"\n\t");
        assert_eq!(escape_text("bell\u{7} nul\u{0}"), "bell\\u{7} nul\\u{0}");
    }

    #[test]
    fn class_names_drop_the_extension() {
        assert_eq!(class_name("wf/train.yaml"), "wf/train");
        assert_eq!(class_name("v1.2/wf"), "v1.2/wf");
        assert_eq!(class_name(".hidden"), ".hidden");
    }
}
