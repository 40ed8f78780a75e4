//! The JSON view of a YAML node (typed the way Kubernetes types YAML), and the way back:
//! from a JSON pointer (what JSON Schema validators report) to the node and its span.

use serde_json::{Map, Number, Value};

use super::resolve::Resolved;
use super::tree::{NodeRef, ScalarStyle};

/// Converts a node to JSON, iteratively. Mapping keys are their text; a repeated key keeps
/// its last value (as Kubernetes does), and `<<` merge keys are applied as [`NodeRef::get`]
/// applies them. Aliases are shared nodes, already bounded by the parser's alias budget.
/// What JSON cannot hold is for the caller to report: entries whose key is a collection are
/// left out, numbers JSON cannot carry ([`unrepresentable_number`]) become null.
pub fn to_json(root: NodeRef<'_>) -> Value {
    convert(root, false)
}

/// [`to_json`] as a manifest is read by Kubernetes, which takes `key: null` as an unset
/// field: mapping entries whose value is null (after repeated keys and merge keys are
/// resolved) are left out. Lists keep their nulls.
pub fn to_json_without_null_entries(root: NodeRef<'_>) -> Value {
    convert(root, true)
}

fn convert(root: NodeRef<'_>, drop_null_entries: bool) -> Value {
    enum Work<'a> {
        Visit(NodeRef<'a>),
        FinishSeq(usize),
        /// A mapping of this many entries: its keys are the last ones of `keys`.
        FinishMap(usize),
    }
    let mut work = vec![Work::Visit(root)];
    let mut values: Vec<Value> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    while let Some(item) = work.pop() {
        match item {
            Work::Visit(node) => {
                if node.is_mapping() {
                    // Only a mapping with a `<<` entry needs its entries gathered first.
                    if node.entries().any(|(k, _)| is_merge_key(k)) {
                        let entries = merged_entries(node);
                        let from = keys.len();
                        keys.extend(entries.iter().filter_map(|(k, _)| k.str()));
                        work.push(Work::FinishMap(keys.len() - from));
                        work.extend(
                            entries
                                .iter()
                                .rev()
                                .filter(|(k, _)| k.is_scalar())
                                .map(|&(_, v)| Work::Visit(v)),
                        );
                    } else {
                        let from = keys.len();
                        keys.extend(node.entries().filter_map(|(k, _)| k.str()));
                        work.push(Work::FinishMap(keys.len() - from));
                        work.extend(
                            node.entries()
                                .rev()
                                .filter(|(k, _)| k.is_scalar())
                                .map(|(_, v)| Work::Visit(v)),
                        );
                    }
                } else if node.is_sequence() {
                    work.push(Work::FinishSeq(node.len()));
                    work.extend(node.items().rev().map(Work::Visit));
                } else {
                    values.push(scalar(node));
                }
            }
            Work::FinishSeq(n) => {
                let items = values.split_off(values.len() - n);
                values.push(Value::Array(items));
            }
            Work::FinishMap(n) => {
                let (from, keys_from) = (values.len() - n, keys.len() - n);
                // Built in one go (sorted, the last of a repeated key kept), not key by key.
                let mut map: Map<String, Value> = keys
                    .drain(keys_from..)
                    .map(str::to_string)
                    .zip(values.drain(from..))
                    .collect();
                if drop_null_entries {
                    map.retain(|_, v| !v.is_null());
                }
                values.push(Value::Object(map));
            }
        }
    }
    values.pop().unwrap_or(Value::Null)
}

/// Whether the document of `node` may hold what JSON cannot: a number
/// [`unrepresentable_number`] reports, or a mapping key that is a collection. `false` means
/// a walk looking for either finds nothing; the builder noted both as it made the nodes.
pub fn document_may_hold_unrepresentable(node: NodeRef<'_>) -> bool {
    node.document_has_collection_key_or_unrepresentable_number()
}

/// Whether a node is a YAML merge key (`<<`, plain).
pub fn is_merge_key(key: NodeRef<'_>) -> bool {
    key.str() == Some("<<") && key.style() == Some(ScalarStyle::Plain)
}

/// The entries of a mapping with its `<<` merge keys applied, lowest precedence first (so
/// that the last of a key wins): merged mappings, the last source first, then the mapping's
/// own entries. A `<<` whose value is not a mapping (or a list of them) stays an entry.
pub fn merged_entries<'a>(node: NodeRef<'a>) -> Vec<(NodeRef<'a>, NodeRef<'a>)> {
    enum Work<'a> {
        Expand(NodeRef<'a>),
        Own(NodeRef<'a>),
    }
    let is_source =
        |v: NodeRef<'_>| v.is_mapping() || (v.is_sequence() && v.items().all(|i| i.is_mapping()));
    let mut out = Vec::new();
    let mut work = vec![Work::Expand(node)];
    while let Some(item) = work.pop() {
        match item {
            Work::Own(map) => out.extend(
                map.entries()
                    .filter(|&(k, v)| !(is_merge_key(k) && is_source(v))),
            ),
            Work::Expand(map) => {
                work.push(Work::Own(map));
                // Merge sources are aliases of earlier, completed nodes: this cannot loop.
                for (_, source) in map
                    .entries()
                    .filter(|&(k, v)| is_merge_key(k) && is_source(v))
                {
                    if source.is_mapping() {
                        work.push(Work::Expand(source));
                    } else {
                        // In a list of sources the first wins: it is expanded last.
                        work.extend(source.items().map(Work::Expand));
                    }
                }
            }
        }
    }
    out
}

/// Why a plain scalar that reads as a number cannot be one in a manifest: it is not finite
/// (`.inf`, `.nan`, or `1e309`, beyond the largest float), or it is an integer beyond 64
/// bits (YAML reads it as a float, which loses its digits).
pub fn unrepresentable_number(node: NodeRef<'_>) -> Option<&'static str> {
    // Only a plain scalar without a string tag resolves to a float.
    let Some(Resolved::Float(_)) = node.resolved() else {
        return None;
    };
    unrepresentable_plain_number(node.str()?)
}

/// A plain, untagged scalar that reads `text`, typed as Kubernetes types it.
pub(crate) fn resolve_plain(text: &str) -> Resolved<'_> {
    super::resolve::resolve_plain(text)
}

/// Whether a plain, untagged scalar that reads `text` is a string (not null, a boolean or a
/// number), as Kubernetes types it.
pub(crate) fn plain_reads_as_string(text: &str) -> bool {
    matches!(super::resolve::resolve_plain(text), Resolved::Str(_))
}

/// [`unrepresentable_number`] of a plain, untagged scalar that reads `text` (the builder
/// asks it of each such scalar as it makes the node).
pub(crate) fn unrepresentable_plain_number(text: &str) -> Option<&'static str> {
    let Resolved::Float(f) = super::resolve::resolve_plain(text) else {
        return None;
    };
    if !f.is_finite() {
        return Some("not a finite number");
    }
    let digits = text.trim_start_matches(['-', '+']);
    digits
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'_')
        .then_some("an integer beyond 64 bits")
}

fn scalar(node: NodeRef<'_>) -> Value {
    match node.resolved() {
        None | Some(Resolved::Null) => Value::Null,
        Some(Resolved::Bool(b)) => Value::Bool(b),
        Some(Resolved::Int(i)) => Value::Number(i.into()),
        Some(Resolved::Float(_)) if unrepresentable_number(node).is_some() => Value::Null,
        Some(Resolved::Float(f)) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Some(Resolved::Str(s)) => Value::String(s.to_string()),
    }
}

/// The node an RFC 6901 JSON pointer (`/spec/templates/1/container`) designates, or the
/// deepest node on the way when the pointer goes past what exists (so a "missing field"
/// error lands on the mapping that lacks it).
pub fn node_at_pointer<'a>(root: NodeRef<'a>, pointer: &str) -> NodeRef<'a> {
    let mut node = root;
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        let next = if node.is_mapping() {
            node.get(&token)
        } else if node.is_sequence() {
            token
                .parse::<usize>()
                .ok()
                .and_then(|i| node.items().nth(i))
        } else {
            None
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// Like [`node_at_pointer`], but for the last step returns the *key* of a mapping entry
/// (findings about a field point at its name).
pub fn key_at_pointer<'a>(root: NodeRef<'a>, pointer: &str) -> NodeRef<'a> {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return root;
    };
    let parent_node = node_at_pointer(root, parent);
    let token = last.replace("~1", "/").replace("~0", "~");
    if parent_node.is_mapping() {
        if let Some((key, _)) = parent_node.entry(&token) {
            return key;
        }
    }
    node_at_pointer(root, pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, ParseLimits};

    #[test]
    fn converts_with_kubernetes_types_and_maps_pointers_back() {
        let src = "spec:\n  templates:\n  - name: a\n    retryStrategy: {limit: 3, on: yes}\n    mode: 0644\n    labels: {nvidia.com/gpu: '1'}\n";
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        let json = to_json(root);
        assert_eq!(json["spec"]["templates"][0]["retryStrategy"]["limit"], 3);
        assert_eq!(json["spec"]["templates"][0]["retryStrategy"]["on"], true);
        assert_eq!(json["spec"]["templates"][0]["mode"], 420);
        assert_eq!(
            json["spec"]["templates"][0]["labels"]["nvidia.com/gpu"],
            "1"
        );
        let node = node_at_pointer(root, "/spec/templates/0/retryStrategy/limit");
        assert_eq!(node.raw(), "3");
        let key = key_at_pointer(root, "/spec/templates/0/labels/nvidia.com~1gpu");
        assert_eq!(key.raw(), "nvidia.com/gpu");
        // Past what exists: the deepest existing node.
        let missing = node_at_pointer(root, "/spec/templates/0/container/image");
        assert!(missing.raw().starts_with("name: a"));
    }

    #[test]
    fn merge_keys_apply_and_what_json_cannot_hold_is_left_out() {
        let src = "base: &b {image: a, cpu: 1}\nmore: &m {cpu: 2, gpu: 1}\nt:\n  <<: [*b, *m]\n  image: c\n  timeout: .inf\n  big: 123456789012345678901234567890\n  *b : x\n";
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        let json = to_json(root);
        // Own entries win; among sources the first wins.
        assert_eq!(
            json["t"],
            serde_json::json!({"image": "c", "cpu": 1, "gpu": 1, "timeout": null, "big": null})
        );
        let t = root.get("t").unwrap();
        let why = |key: &str| unrepresentable_number(t.get(key).unwrap());
        assert_eq!(why("timeout"), Some("not a finite number"));
        assert_eq!(why("big"), Some("an integer beyond 64 bits"));
        assert_eq!(why("image"), None);
        assert_eq!(
            unrepresentable_number(root.path(&["base", "cpu"]).unwrap()),
            None
        );
    }

    #[test]
    fn null_entries_are_left_out_after_repeats_and_merges() {
        // The last of a repeated key decides, then nulls go: `a` was 1, then null.
        let src = "base: &b {cpu: ~, gpu: 1}\nt:\n  a: 1\n  a: null\n  b: 2\n  c: ~\n  <<: *b\n  list: [1, null, ~]\n  nested: {x: null, y: [ {z: ~} ]}\n";
        let file = parse(src, &ParseLimits::default());
        let root = file.documents[0].root(src).unwrap();
        assert_eq!(
            to_json_without_null_entries(root)["t"],
            serde_json::json!({"b": 2, "gpu": 1, "list": [1, null, null], "nested": {"y": [{}]}})
        );
        // The plain conversion keeps them.
        let kept = to_json(root);
        assert_eq!(kept["t"]["a"], Value::Null);
        assert!(kept["t"].as_object().unwrap().contains_key("c"));
    }

    #[test]
    fn documents_that_may_hold_what_json_cannot() {
        let holds = |src: &str| {
            let file = parse(src, &ParseLimits::default());
            document_may_hold_unrepresentable(file.documents[0].root(src).unwrap())
        };
        for src in [
            "a: .inf\n",
            "a: [x, -.Inf]\n",
            "a: 1e309\n",
            "a: 123456789012345678901234567890\n",
            // An invalid octal is a float to go-yaml: an integer JSON would not read alike.
            "a: 09\n",
            "? [k]\n: v\n",
            "m: &m {a: 1}\nn: {*m : 2}\n",
            // Keys are read too.
            "1e309: x\n",
        ] {
            assert!(holds(src), "{src}");
        }
        // Look-alikes: quoted, tagged as strings, finite, words that start like numbers.
        for src in [
            "a: '.inf'\n",
            "a: !!str .nan\n",
            "a: \"1e309\"\n",
            "a: 1e308\n",
            "a: 9223372036854775807\n",
            "a: -1.5\n",
            "a: .infinity\n",
            "a: 08:00\n",
            "{a: 1, b: [c, d]}\n",
            "a: !!str 1e309\n",
            "a: |\n  .inf\n",
            "a: [1, 2.5, -3, +4, 0x1F]\n",
            // Each document on its own: the next one's `.nan` is not this one's.
            "a: 1\n---\nb: [.NaN]\n",
        ] {
            assert!(!holds(src), "{src}");
        }
    }

    #[test]
    fn deep_documents_convert_without_recursion() {
        let src = "a:\n".to_string() + &"- ".repeat(200) + "x\n";
        let file = parse(&src, &ParseLimits::default());
        if let Some(root) = file.documents.first().and_then(|d| d.root(&src)) {
            let json = to_json(root);
            assert!(json.is_object());
        }
    }
}
