//! Navigation and editing help, analyzer data -> LSP JSON: definition locations, the
//! document outline, completion items.

use serde_json::{json, Value};

use crate::analyzer::{Completion, CompletionKind, Symbol, SymbolKind, Target};
use crate::position::{Encoding, LineMap};
use crate::uri;

/// `Location[]` for the definitions found; positions in another file are counted in that
/// file's text as the analyzer read it.
pub fn locations(doc_uri: &str, lines: &LineMap, targets: &[Target], enc: Encoding) -> Value {
    let out: Vec<Value> = targets
        .iter()
        .filter_map(|t| match (&t.path, &t.text) {
            (Some(path), Some(text)) => {
                let other = LineMap::new(text.clone());
                Some(json!({"uri": uri::from_path(path),
                            "range": other.range(t.name_span.clone(), enc)}))
            }
            (Some(_), None) => None,
            (None, _) => Some(json!({"uri": doc_uri,
                                     "range": lines.range(t.name_span.clone(), enc)})),
        })
        .collect();
    Value::Array(out)
}

/// LSP `SymbolKind` numbers.
fn symbol_kind(kind: SymbolKind) -> u8 {
    match kind {
        SymbolKind::Pipeline => 2, // Module
        SymbolKind::Step => 12,    // Function
        SymbolKind::Group => 3,    // Namespace
    }
}

/// `DocumentSymbol[]`, nested as the analyzer nested them.
pub fn symbols(lines: &LineMap, symbols: &[Symbol], enc: Encoding) -> Value {
    Value::Array(symbols.iter().map(|s| symbol(lines, s, enc)).collect())
}

fn symbol(lines: &LineMap, s: &Symbol, enc: Encoding) -> Value {
    // The spec wants the selection inside the range.
    let selection = if s.span.start <= s.name_span.start && s.name_span.end <= s.span.end {
        s.name_span.clone()
    } else {
        s.span.start..s.span.start
    };
    let mut out = json!({
        "name": if s.name.is_empty() { "(unnamed)" } else { s.name.as_str() },
        "kind": symbol_kind(s.kind),
        "range": lines.range(s.span.clone(), enc),
        "selectionRange": lines.range(selection, enc),
        "children": s.children.iter().map(|c| symbol(lines, c, enc)).collect::<Vec<_>>(),
    });
    if let Some(detail) = &s.detail {
        out["detail"] = json!(detail);
    }
    out
}

/// `CompletionItem[]`.
pub fn completions(items: &[Completion]) -> Value {
    let out: Vec<Value> = items
        .iter()
        .map(|c| {
            let kind = match c.kind {
                CompletionKind::Key => 10,   // Property
                CompletionKind::Value => 12, // Value
                CompletionKind::Rule => 20,  // EnumMember
            };
            let mut item = json!({"label": c.label, "kind": kind});
            if let Some(d) = &c.detail {
                item["detail"] = json!(d);
            }
            if let Some(doc) = &c.documentation {
                item["documentation"] = json!({"kind": "markdown", "value": doc});
            }
            if let Some(text) = &c.insert_text {
                item["insertText"] = json!(text);
            }
            item
        })
        .collect();
    Value::Array(out)
}
