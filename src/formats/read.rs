//! Small readers from YAML nodes into spanned model values. A node of the wrong shape is a
//! [`Problem`](crate::model::Problem) on the pipeline, never a panic.

use crate::model::{Pipeline, Spanned};
use crate::yaml::{NodeRef, ScalarStyle, Span};

/// A mapping whose fields are read by key: a node, or a [`KeyTable`] of its keys.
pub trait Fields<'a>: Copy {
    /// The `(key, value)` entry for `key`, resolved as [`NodeRef::entry`] resolves it.
    fn entry_of(self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)>;

    fn value_of(self, key: &str) -> Option<NodeRef<'a>> {
        self.entry_of(key).map(|(_, v)| v)
    }
}

impl<'a> Fields<'a> for NodeRef<'a> {
    fn entry_of(self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        NodeRef::entry(&self, key)
    }
}

impl<'a> Fields<'a> for &KeyTable<'a> {
    fn entry_of(self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        self.entry(key)
    }
}

/// The keys of a mapping read once, for a reader that asks it for many fields (a template
/// is asked for some twenty, most of them absent): each [`NodeRef::entry`] went through
/// every node of the mapping again.
pub struct KeyTable<'a> {
    pub node: NodeRef<'a>,
    /// The scalar keys in source order with their entries; `None` when the mapping has a
    /// `<<` merge key, whose resolution is left to [`NodeRef::entry`].
    keys: Option<Vec<(&'a str, NodeRef<'a>, NodeRef<'a>)>>,
    /// [`key_bit`] of every key in `keys`: most fields asked for are absent, and a key whose
    /// bit is not set is known absent without a look at the keys.
    present: u64,
}

/// One of 64 bits for a key, from its length and three of its bytes.
fn key_bit(key: &str) -> u64 {
    let b = key.as_bytes();
    let (first, middle, last) = match b {
        [] => (0, 0, 0),
        _ => (b[0], b[b.len() / 2], b[b.len() - 1]),
    };
    let mixed =
        (b.len() as u32 & 0xff) | (first as u32) << 8 | (middle as u32) << 16 | (last as u32) << 24;
    1 << (mixed.wrapping_mul(0x9E37_79B1) >> 26)
}

impl<'a> KeyTable<'a> {
    pub fn new(node: NodeRef<'a>) -> Self {
        let mut keys = Vec::with_capacity(node.len());
        let mut present = 0;
        for (k, v) in node.entries() {
            // Keys that are collections are never found by `entry` either.
            let Some(text) = k.str() else { continue };
            if text == "<<" && k.style() == Some(ScalarStyle::Plain) {
                return Self {
                    node,
                    keys: None,
                    present: u64::MAX,
                };
            }
            present |= key_bit(text);
            keys.push((text, k, v));
        }
        Self {
            node,
            keys: Some(keys),
            present,
        }
    }

    /// As [`NodeRef::entry`]: the last entry when the key is repeated.
    pub fn entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        match &self.keys {
            Some(_) if self.present & key_bit(key) == 0 => None,
            Some(keys) => keys
                .iter()
                .rev()
                .find(|(text, _, _)| *text == key)
                .map(|&(_, k, v)| (k, v)),
            None => self.node.entry(key),
        }
    }

    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The value at a path of mapping keys, the first read from this table.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        let (first, rest) = keys.split_first()?;
        self.get(first)?.path(rest)
    }
}

/// A scalar as text (numbers and booleans as written); `None` for null and collections.
pub fn text(node: NodeRef<'_>) -> Option<Spanned<String>> {
    node.scalar_text()
        .map(|s| Spanned::new(s.to_string(), node.span()))
}

/// The text at `key`, reporting a wrong type.
pub fn text_at<'a>(
    parent: impl Fields<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Option<Spanned<String>> {
    str_at(parent, key, pipeline).map(|s| Spanned::new(s.value.to_string(), s.span))
}

/// [`text_at`] read in place, for a value that is only looked up or compared.
pub fn str_at<'a>(
    parent: impl Fields<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Option<Spanned<&'a str>> {
    let node = parent.value_of(key)?;
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
    node.scalar_text().map(|s| Spanned::new(s, node.span()))
}

/// The mapping at `key`; a present value of another type is reported and ignored.
pub fn mapping_at<'a>(
    parent: impl Fields<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Option<NodeRef<'a>> {
    let node = parent.value_of(key)?;
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
pub fn list_at<'a>(
    parent: impl Fields<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Option<NodeRef<'a>> {
    let node = parent.value_of(key)?;
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
pub fn text_list<'a>(
    parent: impl Fields<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Vec<Spanned<String>> {
    let Some(list) = list_at(parent, key, pipeline) else {
        return Vec::new();
    };
    // Sized for every item up front: collected through a filter, the list grew from four.
    let mut out = Vec::with_capacity(list.len());
    for item in list.items() {
        if item.is_scalar() {
            out.extend(text(item));
        } else {
            pipeline.problem(
                item.span(),
                format!(
                    "items of `{key}` should be strings, not {}",
                    item.describe()
                ),
            );
        }
    }
    out
}

/// A string-to-string mapping (labels, annotations, nodeSelector).
pub fn text_map<'a>(
    parent: impl Fields<'a>,
    key: &str,
    pipeline: &mut Pipeline,
) -> Vec<(Spanned<String>, Spanned<String>)> {
    let Some(map) = mapping_at(parent, key, pipeline) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(map.len());
    out.extend(map.entries().filter_map(|(k, v)| {
        Some((
            text(k)?,
            text(v).unwrap_or_else(|| Spanned::new(String::new(), v.span())),
        ))
    }));
    out
}

/// The span of the key of `key` in `parent`, for findings about a missing or present field.
pub fn key_span<'a>(parent: impl Fields<'a>, key: &str) -> Option<Span> {
    parent.entry_of(key).map(|(k, _)| k.span())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, ParseLimits};

    /// `(key text, value text)` that `entry` finds, for comparing the two readers.
    fn shown(found: Option<(NodeRef<'_>, NodeRef<'_>)>) -> Option<(String, String)> {
        found.map(|(k, v)| (k.raw().to_string(), v.raw().to_string()))
    }

    /// Every key looked up in the first mapping under `root` reads the same through a
    /// table as through `NodeRef::entry`.
    fn assert_same_as_entry(src: &str, path: &[&str], keys: &[&str]) {
        let file = parse(src, &ParseLimits::default());
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        let root = file.documents[0].root(src).unwrap();
        let node = root.path(path).unwrap();
        let table = KeyTable::new(node);
        for key in keys {
            assert_eq!(
                shown(table.entry(key)),
                shown(node.entry(key)),
                "key `{key}` in {src}"
            );
        }
    }

    #[test]
    fn a_repeated_key_reads_as_its_last_entry() {
        let src = "t:\n  name: a\n  image: x\n  \"name\": b\n  image: y\n";
        assert_same_as_entry(src, &["t"], &["name", "image", "missing", ""]);
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        let table = KeyTable::new(root.get("t").unwrap());
        assert_eq!(shown(table.entry("name")).unwrap().1, "b");
        assert_eq!(shown(table.entry("image")).unwrap().1, "y");
    }

    #[test]
    fn merge_keys_resolve_as_entry_resolves_them() {
        let src = "base: &b\n  image: x\n  limit: 3\nmore: &m\n  retry: 2\n\
                   t:\n  <<: [*b, *m]\n  name: a\n  image: own\n";
        assert_same_as_entry(
            src,
            &["t"],
            &["name", "image", "limit", "retry", "<<", "no"],
        );
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        let table = KeyTable::new(root.get("t").unwrap());
        assert_eq!(shown(table.entry("limit")).unwrap().1, "3");
        assert_eq!(shown(table.entry("image")).unwrap().1, "own");
    }

    #[test]
    fn a_quoted_double_angle_key_is_an_ordinary_key() {
        // `"<<"` is not a merge key: it is found by its own name and merges nothing.
        let src = "base: &b\n  image: x\nt:\n  \"<<\": *b\n  name: a\n";
        assert_same_as_entry(src, &["t"], &["<<", "image", "name"]);
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        let table = KeyTable::new(root.get("t").unwrap());
        assert!(table.entry("image").is_none());
    }

    #[test]
    fn an_absent_key_on_the_bit_of_a_present_one_is_still_absent() {
        // `name`, `args` and `podResources` share a bit, as do `script`, `withParam` and `gcs`:
        // the bit only rules keys out, the keys decide.
        assert_eq!(key_bit("name"), key_bit("args"));
        assert_eq!(key_bit("name"), key_bit("podResources"));
        assert_eq!(key_bit("script"), key_bit("gcs"));
        assert_ne!(key_bit("name"), key_bit("image"));
        let src = "t:\n  name: a\n  script: s\n  image: x\n";
        assert_same_as_entry(
            src,
            &["t"],
            &[
                "name",
                "args",
                "podResources",
                "script",
                "withParam",
                "gcs",
                "image",
                "container",
            ],
        );
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        let table = KeyTable::new(root.get("t").unwrap());
        assert!(table.entry("args").is_none());
        assert!(table.entry("gcs").is_none());
        assert_eq!(shown(table.entry("name")).unwrap().1, "a");
        assert_eq!(shown(table.entry("script")).unwrap().1, "s");
    }

    #[test]
    fn collection_keys_and_non_mappings_are_never_found() {
        let src = "t:\n  ? [a, b]\n  : 1\n  a: 2\nlist: [1, 2]\n";
        assert_same_as_entry(src, &["t"], &["a", "[a, b]", "b"]);
        assert_same_as_entry(src, &["list"], &["a", "0"]);
    }
}
