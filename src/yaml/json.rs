//! The JSON view of a YAML node (typed the way Kubernetes types YAML), and the way back:
//! from a JSON pointer (what JSON Schema validators report) to the node and its span.

use serde_json::{Map, Number, Value};

use super::resolve::Resolved;
use super::tree::NodeRef;

/// Converts a node to JSON, iteratively. Mapping keys are their text; a repeated key keeps
/// its last value (as Kubernetes does). Aliases are shared nodes, already bounded by the
/// parser's alias budget.
pub fn to_json(root: NodeRef<'_>) -> Value {
    enum Work<'a> {
        Visit(NodeRef<'a>),
        FinishSeq(usize),
        FinishMap(Vec<String>),
    }
    let mut work = vec![Work::Visit(root)];
    let mut values: Vec<Value> = Vec::new();
    while let Some(item) = work.pop() {
        match item {
            Work::Visit(node) => {
                if node.is_mapping() {
                    let keys: Vec<String> = node
                        .entries()
                        .map(|(k, _)| k.str().unwrap_or_default().to_string())
                        .collect();
                    let children: Vec<NodeRef<'_>> = node.entries().map(|(_, v)| v).collect();
                    work.push(Work::FinishMap(keys));
                    for child in children.into_iter().rev() {
                        work.push(Work::Visit(child));
                    }
                } else if node.is_sequence() {
                    let children: Vec<NodeRef<'_>> = node.items().collect();
                    work.push(Work::FinishSeq(children.len()));
                    for child in children.into_iter().rev() {
                        work.push(Work::Visit(child));
                    }
                } else {
                    values.push(scalar(node));
                }
            }
            Work::FinishSeq(n) => {
                let items = values.split_off(values.len() - n);
                values.push(Value::Array(items));
            }
            Work::FinishMap(keys) => {
                let items = values.split_off(values.len() - keys.len());
                let mut map = Map::new();
                for (k, v) in keys.into_iter().zip(items) {
                    map.insert(k, v);
                }
                values.push(Value::Object(map));
            }
        }
    }
    values.pop().unwrap_or(Value::Null)
}

fn scalar(node: NodeRef<'_>) -> Value {
    match node.resolved() {
        None | Some(Resolved::Null) => Value::Null,
        Some(Resolved::Bool(b)) => Value::Bool(b),
        Some(Resolved::Int(i)) => Value::Number(i.into()),
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
    fn deep_documents_convert_without_recursion() {
        let src = "a:\n".to_string() + &"- ".repeat(200) + "x\n";
        let file = parse(&src, &ParseLimits::default());
        if let Some(root) = file.documents.first().and_then(|d| d.root(&src)) {
            let json = to_json(root);
            assert!(json.is_object());
        }
    }
}
