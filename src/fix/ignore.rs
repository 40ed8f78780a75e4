//! The ignore comment: `# pipelint: ignore[<rule>] reason`, the edit that silences a
//! finding instead of fixing it (`pipelint check --add-ignore`, the editor's "Ignore" action).

use super::edit::{line_bounds, Source};
use super::TextEdit;
use crate::yaml::{Span, YamlFile};

// ---------------------------------------------------------------------------------------
// The ignore comment

/// `# pipelint: ignore[<rule>] reason` at the end of the first of `anchors`' lines that can
/// carry it: the flagged line first, then the step's opening line (the two places the
/// suppression is read from). A line that already has a comment, or whose end is inside a
/// multi-line scalar (a script), cannot; nor can a JSON file.
pub fn ignore_comment(
    src: &str,
    yaml: &YamlFile,
    rule: &str,
    reason: &str,
    anchors: &[u32],
) -> Option<TextEdit> {
    let source = Source::new(src, yaml);
    if source.is_json() {
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
        if source.inside_multiline_scalar(content_end) {
            continue;
        }
        return Some(TextEdit {
            span: Span::new(content_end as u32, end as u32),
            new_text: format!("  # pipelint: ignore[{rule}] {reason}")
                .trim_end()
                .to_string(),
        });
    }
    None
}

/// `# pipelint: ignore[a] why` -> `# pipelint: ignore[a, <rule>] why`.
pub fn extend_ignore(src: &str, comment: Span, rule: &str) -> Option<TextEdit> {
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
        let edit =
            ignore_comment(ARGO, &y, "unpinned-image", "reason", &[at(ARGO, "amazon/")]).unwrap();
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
            "reason",
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
        assert_eq!(
            ignore_comment(ARGO, &y, "x", "reason", &[at(ARGO, "etl-")]),
            None
        );
        // An ignore comment already there gets the rule added to its list.
        let src = ARGO.replace(
            "aws-cli:2.15.0\n",
            "aws-cli:2.15.0  # pipelint: ignore[missing-timeout] checked by hand\n",
        );
        let y2 = yaml(&src);
        let out = ignore_comment(
            &src,
            &y2,
            "unpinned-image",
            "reason",
            &[at(&src, "amazon/")],
        )
        .unwrap()
        .apply(&src);
        assert!(out.contains(
            "aws-cli:2.15.0  # pipelint: ignore[missing-timeout, unpinned-image] checked by hand\n"
        ), "{out}");
        assert_eq!(
            ignore_comment(
                &out,
                &yaml(&out),
                "unpinned-image",
                "reason",
                &[at(&out, "amazon/")]
            ),
            None
        );
        // The script line alone: nothing.
        assert_eq!(
            ignore_comment(ARGO, &y, "x", "reason", &[at(ARGO, "print")]),
            None
        );
    }

    #[test]
    fn ignore_comment_keeps_crlf_and_skips_json() {
        let crlf = ARGO.replace('\n', "\r\n");
        let y = yaml(&crlf);
        let edit = ignore_comment(&crlf, &y, "r", "reason", &[at(&crlf, "python:3.11")]).unwrap();
        assert!(edit
            .apply(&crlf)
            .contains("image: python:3.11  # pipelint: ignore[r] reason\r\n"));
        let json = "{\"pipelineInfo\": {\"name\": \"p\"},\n \"root\": {}}\n";
        assert_eq!(ignore_comment(json, &yaml(json), "r", "reason", &[3]), None);
    }
}
