//! Small readers from YAML nodes into spanned model values. A node of the wrong shape is a
//! [`Problem`](crate::model::Problem) on the pipeline, never a panic.

use crate::model::{Pipeline, Spanned};
use crate::yaml::{NodeRef, Span};

/// A scalar as text (numbers and booleans as written); `None` for null and collections.
pub fn text(node: NodeRef<'_>) -> Option<Spanned<String>> {
    node.scalar_text()
        .map(|s| Spanned::new(s.to_string(), node.span()))
}

/// The text at `key`, reporting a wrong type.
pub fn text_at(parent: NodeRef<'_>, key: &str, pipeline: &mut Pipeline) -> Option<Spanned<String>> {
    let node = parent.get(key)?;
    if node.is_null() {
        return None;
    }
    if !node.is_scalar() {
        pipeline.problem(
            node.span(),
            format!("`{key}` should be a string, not {}", node.describe()),
        );
        return None;
    }
    text(node)
}

/// The mapping at `key`; a present value of another type is reported and ignored.
pub fn mapping_at<'a>(
    parent: NodeRef<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Option<NodeRef<'a>> {
    let node = parent.get(key)?;
    if node.is_mapping() {
        return Some(node);
    }
    if !node.is_null() {
        pipeline.problem(
            node.span(),
            format!("`{key}` should be a mapping, not {}", node.describe()),
        );
    }
    None
}

/// The list at `key`; a present value of another type is reported and ignored.
pub fn list_at<'a>(parent: NodeRef<'a>, key: &str, pipeline: &mut Pipeline) -> Option<NodeRef<'a>> {
    let node = parent.get(key)?;
    if node.is_sequence() {
        return Some(node);
    }
    if !node.is_null() {
        pipeline.problem(
            node.span(),
            format!("`{key}` should be a list, not {}", node.describe()),
        );
    }
    None
}

/// A list of strings (`command`, `args`, `dependentTasks`).
pub fn text_list(parent: NodeRef<'_>, key: &str, pipeline: &mut Pipeline) -> Vec<Spanned<String>> {
    let Some(list) = list_at(parent, key, pipeline) else {
        return Vec::new();
    };
    list.items()
        .filter_map(|item| {
            if item.is_scalar() {
                text(item)
            } else {
                pipeline.problem(
                    item.span(),
                    format!(
                        "items of `{key}` should be strings, not {}",
                        item.describe()
                    ),
                );
                None
            }
        })
        .collect()
}

/// A string-to-string mapping (labels, annotations, nodeSelector).
pub fn text_map(
    parent: NodeRef<'_>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Vec<(Spanned<String>, Spanned<String>)> {
    let Some(map) = mapping_at(parent, key, pipeline) else {
        return Vec::new();
    };
    map.entries()
        .filter_map(|(k, v)| {
            Some((
                text(k)?,
                text(v).unwrap_or_else(|| Spanned::new(String::new(), v.span())),
            ))
        })
        .collect()
}

/// The span of the key of `key` in `parent`, for findings about a missing or present field.
pub fn key_span(parent: NodeRef<'_>, key: &str) -> Option<Span> {
    parent.entry(key).map(|(k, _)| k.span())
}
