//! Edits that fix or silence one finding, computed on the YAML text and its tree. The
//! language server offers them as code actions; a quick fix is attached to a finding by its
//! rule id ([`QUICK_FIXES`]), and the ignore comment works for every rule.
//!
//! Every edit here is local (one line or one block in the step itself) and never invents
//! what it cannot know: no digests, no resource sizes.

use crate::finding::Finding;
use crate::model::{Format, Pipeline, Step};
use crate::yaml::{NodeRef, ScalarStyle, Span, YamlFile};

/// Replace `span` with `new_text` (an insertion when `span` is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

impl TextEdit {
    /// The text with this edit applied (for tests and previews).
    pub fn apply(&self, src: &str) -> String {
        let mut out = src.to_string();
        out.replace_range(self.span.range(), &self.new_text);
        out
    }
}

/// A quick fix: a title for the editor and the edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuickFix {
    pub title: String,
    pub edits: Vec<TextEdit>,
}

/// What a quick fix may look at: the text, its tree and model, and the finding.
pub struct FixContext<'a> {
    pub src: &'a str,
    pub yaml: &'a YamlFile,
    pub pipelines: &'a [Pipeline],
}

impl FixContext<'_> {
    /// The pipeline a finding belongs to (by document), and the step it names.
    pub fn step_of(&self, finding: &Finding) -> Option<(&Pipeline, &Step)> {
        let document = finding.document?;
        let pipeline = self.pipelines.iter().find(|p| p.document == document)?;
        let step = pipeline
            .steps
            .iter()
            .find(|s| !finding.step_path.is_empty() && s.path == finding.step_path)
            .or_else(|| {
                let name = finding.step.as_deref()?;
                let mut named = pipeline.steps.iter().filter(|s| s.name == name);
                let first = named.next()?;
                named.next().is_none().then_some(first)
            })?;
        Some((pipeline, step))
    }

    /// Other steps reported at the same place (`also_steps`), where the name is unambiguous.
    pub fn also_steps<'p>(&self, pipeline: &'p Pipeline, finding: &Finding) -> Vec<&'p Step> {
        finding
            .also_steps
            .iter()
            .filter_map(|name| {
                let mut named = pipeline
                    .steps
                    .iter()
                    .filter(|s| &s.name == name || &s.qualified_name() == name);
                let first = named.next()?;
                named.next().is_none().then_some(first)
            })
            .collect()
    }
}

type FixFn = fn(&FixContext<'_>, &Finding) -> Option<QuickFix>;

/// Quick fixes by rule id. A rule without an entry gets only the ignore comment.
pub static QUICK_FIXES: &[(&str, FixFn)] = &[
    ("cache-on-random-step", disable_caching),
    ("io-step-without-retry", add_retry_strategy),
];

/// The quick fix for a finding, if its rule has one and the edit is safe here.
pub fn quick_fix(cx: &FixContext<'_>, finding: &Finding) -> Option<QuickFix> {
    let (_, fix) = QUICK_FIXES.iter().find(|(id, _)| *id == finding.rule)?;
    fix(cx, finding)
}

// ---------------------------------------------------------------------------------------
// Text helpers

/// `(start, end)` of the line holding `offset`, without its line terminator.
fn line_bounds(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let start = crate::yaml::line_start_before(src, offset);
    let mut end = src[offset..]
        .find(['\n', '\r'])
        .map_or(src.len(), |i| offset + i);
    // `offset` on the `\n` of a `\r\n`: the `\r` is the terminator, not content.
    if end > start && src.as_bytes()[end - 1] == b'\r' {
        end -= 1;
    }
    (start, end)
}

fn indent_of(src: &str, line_start: usize) -> usize {
    src[line_start..].bytes().take_while(|b| *b == b' ').count()
}

/// The line break the file uses.
fn newline(src: &str) -> &'static str {
    if src.contains("\r\n") {
        "\r\n"
    } else if src.contains('\r') && !src.contains('\n') {
        "\r"
    } else {
        "\n"
    }
}

/// Every node of every document.
fn all_nodes<'a>(src: &'a str, yaml: &'a YamlFile) -> impl Iterator<Item = NodeRef<'a>> + 'a {
    yaml.documents.iter().flat_map(move |d| d.all_nodes(src))
}

/// The value of the mapping entry whose key is at `key`.
fn value_of_key<'a>(src: &'a str, yaml: &'a YamlFile, key: Span) -> Option<NodeRef<'a>> {
    all_nodes(src, yaml)
        .filter(|n| n.is_mapping())
        .find_map(|m| m.entries().find(|(k, _)| k.span() == key).map(|(_, v)| v))
}

/// The mapping a step opens: the one at `span`, or the one whose first entry starts there
/// (a step's span is its opening line, `name: fetch` in an Argo template).
fn mapping_at<'a>(src: &'a str, yaml: &'a YamlFile, span: Span) -> Option<NodeRef<'a>> {
    all_nodes(src, yaml).find(|n| {
        n.is_mapping()
            && (n.span() == span
                || n.entries().next().map(|(k, _)| k.span().start) == Some(span.start))
    })
}

fn is_flow(node: NodeRef<'_>) -> bool {
    matches!(node.raw().as_bytes().first(), Some(b'{' | b'['))
}

/// A scalar that goes on past `offset` onto a later line (a block scalar's body, a folded
/// plain or quoted scalar): a comment or a line inserted there would change its value.
fn inside_multiline_scalar(src: &str, yaml: &YamlFile, offset: usize) -> bool {
    all_nodes(src, yaml).any(|n| {
        let s = n.span();
        n.is_scalar() && (s.start as usize) < offset && (s.end as usize) > offset
    })
}

/// The file is JSON (its first document is a flow mapping): comments would break it.
fn is_json(src: &str, yaml: &YamlFile) -> bool {
    yaml.documents
        .first()
        .and_then(|d| d.root(src))
        .is_some_and(|root| root.raw().starts_with('{'))
}

// ---------------------------------------------------------------------------------------
// The ignore comment

/// `# pipelint: ignore[<rule>] reason` at the end of the first of `anchors`' lines that can
/// carry it: the flagged line first, then the step's opening line (the two places the
/// suppression is read from). A line that already has a comment, or whose end is inside a
/// multi-line scalar (a script), cannot; nor can a JSON file.
pub fn ignore_comment(src: &str, yaml: &YamlFile, rule: &str, anchors: &[u32]) -> Option<TextEdit> {
    if is_json(src, yaml) {
        return None;
    }
    for &anchor in anchors {
        let (start, end) = line_bounds(src, anchor as usize);
        let content_end = start + src[start..end].trim_end().len();
        if content_end == start {
            continue; // a blank line
        }
        let comment = yaml.comments.iter().find(|c| {
            let at = c.span.start as usize;
            at >= start && at < end
        });
        if let Some(comment) = comment {
            // An ignore comment there already: add the rule to its list.
            if let Some(edit) = extend_ignore(src, comment.span, rule) {
                return Some(edit);
            }
            continue;
        }
        if inside_multiline_scalar(src, yaml, content_end) {
            continue;
        }
        return Some(TextEdit {
            span: Span::new(content_end as u32, end as u32),
            new_text: format!("  # pipelint: ignore[{rule}] reason"),
        });
    }
    None
}

/// `# pipelint: ignore[a] why` -> `# pipelint: ignore[a, <rule>] why`.
fn extend_ignore(src: &str, comment: Span, rule: &str) -> Option<TextEdit> {
    let text = src.get(comment.range())?;
    let body = text.strip_prefix('#')?.trim_start();
    let rest = body.strip_prefix("pipelint:")?.trim_start();
    let ids = rest.strip_prefix("ignore[")?;
    let close = ids.find(']')?;
    if ids[..close].split(',').any(|id| id.trim() == rule) {
        return None;
    }
    let at = comment.start as usize + (text.len() - ids.len()) + close;
    let new_text = if ids[..close].trim().is_empty() {
        rule.to_string()
    } else {
        format!(", {rule}")
    };
    Some(TextEdit {
        span: Span::new(at as u32, at as u32),
        new_text,
    })
}

/// Where the ignore comment may go for an engine finding: its line, then its step's line.
pub fn ignore_anchors(cx: &FixContext<'_>, finding: &Finding) -> Vec<u32> {
    let mut anchors = vec![finding.span.start];
    if let Some((_, step)) = cx.step_of(finding) {
        anchors.push(step.span.start);
    }
    anchors
}

// ---------------------------------------------------------------------------------------
// cache-on-random-step: `enableCache: false` on the KFP task

fn disable_caching(cx: &FixContext<'_>, finding: &Finding) -> Option<QuickFix> {
    let (pipeline, step) = cx.step_of(finding)?;
    if !matches!(pipeline.format, Format::KfpIr(_)) {
        return None; // Argo `memoize`: removing a block is not a one-line edit
    }
    let mut edits = Vec::new();
    for s in std::iter::once(step).chain(cx.also_steps(pipeline, finding)) {
        edits.push(disable_kfp_cache(cx.src, cx.yaml, s.span)?);
    }
    edits.sort_by_key(|e| e.span.start);
    edits.dedup();
    let title = if edits.len() == 1 {
        format!(
            "Disable caching for task \"{}\" (enableCache: false)",
            step.name
        )
    } else {
        format!(
            "Disable caching for the {} tasks running this step (enableCache: false)",
            edits.len()
        )
    };
    Some(QuickFix { title, edits })
}

/// KFP IR: turns `cachingOptions.enableCache: true` into `false` on the task whose key is at
/// `task_key`. The IR is what the backend runs; the Python source should follow
/// (`set_caching_options(enable_caching=False)`).
pub fn disable_kfp_cache(src: &str, yaml: &YamlFile, task_key: Span) -> Option<TextEdit> {
    let task = value_of_key(src, yaml, task_key)?;
    let value = task.get("cachingOptions")?.get("enableCache")?;
    if value.as_bool() != Some(true) {
        return None;
    }
    let new_text = match value.style()? {
        ScalarStyle::Plain => "false",
        _ => return None, // `"true"` is not what the backend reads as enabled anyway
    };
    Some(TextEdit {
        span: value.span(),
        new_text: new_text.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// io-step-without-retry: a bounded `retryStrategy` on the Argo template

fn add_retry_strategy(cx: &FixContext<'_>, finding: &Finding) -> Option<QuickFix> {
    let (pipeline, step) = cx.step_of(finding)?;
    if !matches!(pipeline.format, Format::Argo(..)) {
        return None; // KFP: the fix belongs in the Python (`set_retry`), then recompile
    }
    let edit = add_argo_retry(cx.src, cx.yaml, step.span)?;
    Some(QuickFix {
        title: format!(
            "Add a bounded retryStrategy to template \"{}\" (3 retries, backoff up to 10m)",
            step.name
        ),
        edits: vec![edit],
    })
}

/// Argo: inserts a bounded retry skeleton into the template that opens at `template`, after its
/// first entry (usually `name`), indented like its other keys:
///
/// ```yaml
/// retryStrategy:
///   limit: "3"
///   retryPolicy: Always
///   backoff:
///     duration: "30s"
///     factor: "2"
///     maxDuration: "10m"
/// ```
///
/// `Always` because an IO failure usually ends the main container (a failure, which
/// `OnError` does not retry) or its artifact loading (an error, which `OnFailure` does not).
/// Nothing is offered when the template already has a `retryStrategy` (however written),
/// is a flow mapping, or has a single key.
pub fn add_argo_retry(src: &str, yaml: &YamlFile, template: Span) -> Option<TextEdit> {
    let tpl = mapping_at(src, yaml, template)?;
    if is_flow(tpl) || tpl.entries().any(|(k, _)| k.str() == Some("retryStrategy")) {
        return None;
    }
    let (second_key, _) = tpl.entries().nth(1)?;
    let key_at = second_key.span().start as usize;
    let (line_start, _) = line_bounds(src, key_at);
    let indent = key_at - line_start;
    if indent_of(src, line_start) != indent {
        return None; // the key does not open its line (`- a: 1` style or flow)
    }
    // Keep comment lines written just above the second key with it.
    let mut insert_at = line_start;
    while insert_at > 0 {
        let (prev_start, prev_end) = line_bounds(src, insert_at - 1);
        let prev = &src[prev_start..prev_end];
        let is_comment = prev.trim_start().starts_with('#') && indent_of(src, prev_start) == indent;
        if !is_comment || inside_multiline_scalar(src, yaml, prev_start) {
            break;
        }
        insert_at = prev_start;
    }
    let unit = child_indent(src, tpl).unwrap_or(2);
    let nl = newline(src);
    let pad = |depth: usize| " ".repeat(indent + unit * depth);
    let lines = [
        format!("{}retryStrategy:", pad(0)),
        format!("{}limit: \"3\"", pad(1)),
        format!("{}retryPolicy: Always", pad(1)),
        format!("{}backoff:", pad(1)),
        format!("{}duration: \"30s\"", pad(2)),
        format!("{}factor: \"2\"", pad(2)),
        format!("{}maxDuration: \"10m\"", pad(2)),
    ];
    let mut new_text = lines.join(nl);
    new_text.push_str(nl);
    Some(TextEdit {
        span: Span::new(insert_at as u32, insert_at as u32),
        new_text,
    })
}

/// How far the file indents a block mapping under a key of `mapping`.
fn child_indent(src: &str, mapping: NodeRef<'_>) -> Option<usize> {
    mapping.entries().find_map(|(k, v)| {
        if !v.is_mapping() || is_flow(v) {
            return None;
        }
        let (child, _) = v.entries().next()?;
        let (k_line, _) = line_bounds(src, k.span().start as usize);
        let (c_line, _) = line_bounds(src, child.span().start as usize);
        let k_col = k.span().start as usize - k_line;
        let c_col = child.span().start as usize - c_line;
        (c_line != k_line && c_col > k_col).then(|| c_col - k_col)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, ParseLimits};

    fn yaml(src: &str) -> YamlFile {
        parse(src, &ParseLimits::default())
    }

    fn at(src: &str, needle: &str) -> u32 {
        src.find(needle).unwrap() as u32
    }

    const ARGO: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: etl-   # ünïcödé comment
spec:
  entrypoint: main
  templates:
    - name: download
      # pulls the raw data
      container:
        image: amazon/aws-cli:2.15.0
        command: [aws, s3, cp, s3://bucket/raw, /data/raw]
    - name: transform
      script:
        image: python:3.11
        source: |
          import pandas
          print(\"x\")  # not a yaml comment
";

    #[test]
    fn ignore_comment_goes_at_the_end_of_the_flagged_line() {
        let y = yaml(ARGO);
        let edit = ignore_comment(ARGO, &y, "unpinned-image", &[at(ARGO, "amazon/")]).unwrap();
        let out = edit.apply(ARGO);
        assert!(out.contains(
            "        image: amazon/aws-cli:2.15.0  # pipelint: ignore[unpinned-image] reason\n        command:"
        ), "{out}");
        assert!(parse(&out, &ParseLimits::default()).errors.is_empty());
    }

    #[test]
    fn ignore_comment_avoids_scripts_and_existing_comments() {
        let y = yaml(ARGO);
        // Inside the script: falls back to the step's opening line.
        let edit = ignore_comment(
            ARGO,
            &y,
            "cache-on-random-step",
            &[at(ARGO, "import pandas"), at(ARGO, "name: transform")],
        )
        .unwrap();
        let out = edit.apply(ARGO);
        assert!(
            out.contains(
                "    - name: transform  # pipelint: ignore[cache-on-random-step] reason\n"
            ),
            "{out}"
        );
        // A line that has a comment already, and no other anchor: nothing.
        assert_eq!(ignore_comment(ARGO, &y, "x", &[at(ARGO, "etl-")]), None);
        // An ignore comment already there gets the rule added to its list.
        let src = ARGO.replace(
            "aws-cli:2.15.0\n",
            "aws-cli:2.15.0  # pipelint: ignore[missing-timeout] checked by hand\n",
        );
        let y2 = yaml(&src);
        let out = ignore_comment(&src, &y2, "unpinned-image", &[at(&src, "amazon/")])
            .unwrap()
            .apply(&src);
        assert!(out.contains(
            "aws-cli:2.15.0  # pipelint: ignore[missing-timeout, unpinned-image] checked by hand\n"
        ), "{out}");
        assert_eq!(
            ignore_comment(&out, &yaml(&out), "unpinned-image", &[at(&out, "amazon/")]),
            None
        );
        // The script line alone: nothing.
        assert_eq!(ignore_comment(ARGO, &y, "x", &[at(ARGO, "print")]), None);
    }

    #[test]
    fn ignore_comment_keeps_crlf_and_skips_json() {
        let crlf = ARGO.replace('\n', "\r\n");
        let y = yaml(&crlf);
        let edit = ignore_comment(&crlf, &y, "r", &[at(&crlf, "python:3.11")]).unwrap();
        assert!(edit
            .apply(&crlf)
            .contains("image: python:3.11  # pipelint: ignore[r] reason\r\n"));
        let json = "{\"pipelineInfo\": {\"name\": \"p\"},\n \"root\": {}}\n";
        assert_eq!(ignore_comment(json, &yaml(json), "r", &[3]), None);
    }

    #[test]
    fn retry_skeleton_goes_after_the_name_with_the_files_indentation() {
        let y = yaml(ARGO);
        let tpl = y.documents[0]
            .root(ARGO)
            .unwrap()
            .path(&["spec", "templates"])
            .unwrap()
            .items()
            .next()
            .unwrap();
        let edit = add_argo_retry(ARGO, &y, tpl.span()).unwrap();
        let out = edit.apply(ARGO);
        let expected = "\
    - name: download
      retryStrategy:
        limit: \"3\"
        retryPolicy: Always
        backoff:
          duration: \"30s\"
          factor: \"2\"
          maxDuration: \"10m\"
      # pulls the raw data
      container:
";
        assert!(out.contains(expected), "{out}");
        let reparsed = yaml(&out);
        assert!(reparsed.errors.is_empty() && reparsed.duplicate_keys.is_empty());
        let tpl = reparsed.documents[0]
            .root(&out)
            .unwrap()
            .path(&["spec", "templates"])
            .unwrap()
            .items()
            .next()
            .unwrap();
        assert_eq!(
            tpl.path(&["retryStrategy", "backoff", "maxDuration"])
                .unwrap()
                .str(),
            Some("10m")
        );
        assert_eq!(
            tpl.path(&["container", "image"]).unwrap().str(),
            Some("amazon/aws-cli:2.15.0")
        );
        // Applying it again is refused: the template has a retryStrategy now.
        assert_eq!(add_argo_retry(&out, &reparsed, tpl.span()), None);
    }

    #[test]
    fn retry_skeleton_follows_four_space_files_and_refuses_flow_templates() {
        let src = "spec:\n    templates:\n    -   name: a\n        container:\n            image: x\n    - {name: b, container: {image: y}}\n";
        let y = yaml(src);
        let items: Vec<_> = y.documents[0]
            .root(src)
            .unwrap()
            .path(&["spec", "templates"])
            .unwrap()
            .items()
            .collect();
        let out = add_argo_retry(src, &y, items[0].span()).unwrap().apply(src);
        assert!(
            out.contains("    -   name: a\n        retryStrategy:\n            limit: \"3\"\n"),
            "{out}"
        );
        assert!(
            out.contains("            backoff:\n                duration: \"30s\"\n"),
            "{out}"
        );
        assert!(yaml(&out).errors.is_empty());
        assert_eq!(add_argo_retry(src, &y, items[1].span()), None);
    }

    const KFP: &str = "\
# PIPELINE DEFINITION
# Name: p
root:
  dag:
    tasks:
      sample:
        cachingOptions:
          enableCache: true
        componentRef:
          name: comp-sample
        taskInfo:
          name: sample
      other:
        cachingOptions: {}
        taskInfo:
          name: other
pipelineInfo:
  name: p
";

    #[test]
    fn kfp_cache_is_turned_off_in_place() {
        let y = yaml(KFP);
        let key = y.documents[0]
            .root(KFP)
            .unwrap()
            .path(&["root", "dag", "tasks"])
            .unwrap()
            .entries()
            .next()
            .unwrap()
            .0
            .span();
        let out = disable_kfp_cache(KFP, &y, key).unwrap().apply(KFP);
        assert!(
            out.contains("        cachingOptions:\n          enableCache: false\n"),
            "{out}"
        );
        // Nothing to turn off on a task without `enableCache: true`.
        let other = y.documents[0]
            .root(KFP)
            .unwrap()
            .path(&["root", "dag", "tasks"])
            .unwrap()
            .entries()
            .nth(1)
            .unwrap()
            .0
            .span();
        assert_eq!(disable_kfp_cache(KFP, &y, other), None);
        // JSON IR stays JSON.
        let json = "{\"root\": {\"dag\": {\"tasks\": {\"t\": {\"cachingOptions\": {\"enableCache\": true}}}}}}";
        let y = yaml(json);
        let key = y.documents[0]
            .root(json)
            .unwrap()
            .path(&["root", "dag", "tasks"])
            .unwrap()
            .entries()
            .next()
            .unwrap()
            .0
            .span();
        let out = disable_kfp_cache(json, &y, key).unwrap().apply(json);
        assert!(out.contains("{\"enableCache\": false}"), "{out}");
    }
}
