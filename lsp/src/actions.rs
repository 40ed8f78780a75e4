//! Code actions: each finding's fixes and its ignore comment (quick fixes), and "Fix all
//! pipelint problems in this file", of kind `source.fixAll.pipelint` (editors run it on save
//! when asked to with `"editor.codeActionsOnSave": {"source.fixAll.pipelint": "explicit"}`).
//!
//! A client that can resolve code actions gets the list without edits, each with the `data`
//! that names it ([`Resolve`]); the edits are computed when the user picks one. Other clients
//! get the edits in the list. Text the user must replace (the reason of an ignore comment)
//! becomes a snippet's tab stop where the client takes snippet edits.

use lsp_types::{CodeActionKind, Diagnostic};
use serde_json::{json, Value};

use crate::analyzer::{Edit, Fix, FixKind};
use crate::position::{Encoding, LineMap};

/// The kind of the fix-all action.
pub const FIX_ALL: &str = "source.fixAll.pipelint";

/// The title of the fix-all action.
pub const FIX_ALL_TITLE: &str = "Fix all pipelint problems in this file";

/// Whether a request's `only` asks for the fix-all action: it names its kind or one of its
/// parents (`source`, `source.fixAll`), as an editor does to fix on save. A request without
/// `only` (the light bulb) gets it only where a diagnostic it hits has a fix of its own.
pub fn asks_for_fix_all(only: &[CodeActionKind]) -> bool {
    only.iter().any(|k| {
        let k = String::from(k.clone());
        !k.is_empty() && (FIX_ALL == k || FIX_ALL.starts_with(&format!("{k}.")))
    })
}

/// How the client takes an edit with a tab stop in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SnippetEdits {
    /// Not at all: the placeholder is written as plain text.
    #[default]
    No,
    /// LSP 3.18 `SnippetTextEdit` in `documentChanges`
    /// (`workspace.workspaceEdit.snippetEditSupport`).
    Spec,
    /// The older experimental form some clients took from rust-analyzer: a `TextEdit` with
    /// `insertTextFormat: 2` in `documentChanges` (`experimental.snippetTextEdit`).
    Experimental,
}

impl SnippetEdits {
    /// From the client's capabilities (raw JSON: unknown shapes mean "no").
    pub fn of_client(caps: &Value) -> SnippetEdits {
        let flag = |path: &str| caps.pointer(path).and_then(Value::as_bool) == Some(true);
        let document_changes = flag("/workspace/workspaceEdit/documentChanges");
        if document_changes && flag("/workspace/workspaceEdit/snippetEditSupport") {
            SnippetEdits::Spec
        } else if flag("/experimental/snippetTextEdit") {
            SnippetEdits::Experimental
        } else {
            SnippetEdits::No
        }
    }
}

/// Whether the client resolves code actions' edits lazily: it keeps `data` and resolves
/// `edit` (`textDocument.codeAction.dataSupport` and `resolveSupport.properties`).
pub fn client_resolves_edits(caps: &Value) -> bool {
    let code_action = caps.pointer("/textDocument/codeAction");
    let data = code_action
        .and_then(|c| c.get("dataSupport"))
        .and_then(Value::as_bool)
        == Some(true);
    let edit = code_action
        .and_then(|c| c.pointer("/resolveSupport/properties"))
        .and_then(Value::as_array)
        .is_some_and(|props| props.iter().any(|p| p.as_str() == Some("edit")));
    data && edit
}

/// What a listed action needs to be resolved: the document's version and the lint it was
/// offered from, the finding (an index into that lint's findings; `None` for "Fix all") and
/// the title of the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    pub uri: String,
    pub version: i32,
    pub lint: u64,
    pub finding: Option<usize>,
    pub title: String,
}

impl Resolve {
    pub fn to_json(&self) -> Value {
        let mut data = json!({
            "uri": self.uri,
            "version": self.version,
            "lint": self.lint,
            "title": self.title,
        });
        // Absent rather than null for "Fix all": Neovim drops null members of what it sends
        // back.
        if let Some(i) = self.finding {
            data["finding"] = json!(i);
        }
        data
    }

    /// From an action's `data`; `None` when it is not one of ours.
    pub fn from_json(data: &Value) -> Option<Resolve> {
        Some(Resolve {
            uri: data.get("uri")?.as_str()?.to_string(),
            version: i32::try_from(data.get("version")?.as_i64()?).ok()?,
            lint: data.get("lint")?.as_u64()?,
            finding: match data.get("finding") {
                None | Some(Value::Null) => None,
                Some(n) => Some(usize::try_from(n.as_u64()?).ok()?),
            },
            title: data.get("title")?.as_str()?.to_string(),
        })
    }
}

/// One code action, as JSON: with its `edit`, or with the `data` to resolve it by.
pub struct Action<'a> {
    pub title: &'a str,
    pub kind: FixKind,
    pub fix_all: bool,
    pub preferred: bool,
    pub diagnostic: Option<&'a Diagnostic>,
}

impl Action<'_> {
    pub fn to_json(&self, edit: Option<Value>, data: Option<Value>) -> Value {
        let kind = if self.fix_all { FIX_ALL } else { "quickfix" };
        let mut action = json!({"title": self.title, "kind": kind});
        // A suppression is never the preferred fix.
        if self.preferred && self.kind == FixKind::QuickFix && !self.fix_all {
            action["isPreferred"] = json!(true);
        }
        if let Some(d) = self.diagnostic {
            action["diagnostics"] = json!([d]);
        }
        if let Some(edit) = edit {
            action["edit"] = edit;
        }
        if let Some(data) = data {
            action["data"] = data;
        }
        action
    }
}

/// The target document of an edit, with the encoding its positions are counted in.
pub struct Target<'a> {
    pub uri: &'a str,
    pub version: i32,
    pub lines: &'a LineMap,
    pub encoding: Encoding,
}

/// `edits` (byte ranges of the document's text) as a `WorkspaceEdit`. The first occurrence
/// of `placeholder` becomes a tab stop where the client takes snippet edits (and is written
/// as it is elsewhere).
/// One fix as a quick fix on `diagnostic`, its edits written in (for clients that take the
/// list with the edits, and for actions built on the spot).
pub fn fix_action(
    fix: &Fix,
    diagnostic: &Diagnostic,
    target: &Target<'_>,
    snippets: SnippetEdits,
) -> Value {
    let edit = workspace_edit(&fix.edits, fix.placeholder.as_deref(), target, snippets);
    let action = Action {
        title: &fix.title,
        kind: fix.kind,
        fix_all: false,
        preferred: fix.preferred,
        diagnostic: Some(diagnostic),
    };
    action.to_json(Some(edit), None)
}

pub fn workspace_edit(
    edits: &[Edit],
    placeholder: Option<&str>,
    target: &Target<'_>,
    snippets: SnippetEdits,
) -> Value {
    let range = |e: &Edit| json!(target.lines.range(e.span.clone(), target.encoding));
    let snippet = placeholder.filter(|p| {
        snippets != SnippetEdits::No
            && !p.is_empty()
            && edits.iter().any(|e| e.new_text.contains(p))
    });
    let Some(placeholder) = snippet else {
        let edits: Vec<Value> = edits
            .iter()
            .map(|e| json!({"range": range(e), "newText": e.new_text}))
            .collect();
        return json!({"changes": {target.uri: edits}});
    };
    let mut tab_stop_placed = false;
    let edits: Vec<Value> = edits
        .iter()
        .map(|e| {
            if tab_stop_placed || !e.new_text.contains(placeholder) {
                return json!({"range": range(e), "newText": e.new_text});
            }
            tab_stop_placed = true;
            let value = snippet_text(&e.new_text, placeholder);
            match snippets {
                SnippetEdits::Spec => {
                    json!({"range": range(e), "snippet": {"kind": "snippet", "value": value}})
                }
                _ => json!({"range": range(e), "newText": value, "insertTextFormat": 2}),
            }
        })
        .collect();
    json!({"documentChanges": [{
        "textDocument": {"uri": target.uri, "version": target.version},
        "edits": edits,
    }]})
}

/// `text` as snippet syntax, with its first `placeholder` as tab stop 1.
fn snippet_text(text: &str, placeholder: &str) -> String {
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('$', "\\$")
            .replace('}', "\\}")
    };
    match text.split_once(placeholder) {
        Some((before, after)) => format!(
            "{}${{1:{}}}{}",
            escape(before),
            escape(placeholder),
            escape(after)
        ),
        None => escape(text),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn fix_all_answers_its_kind_and_its_parents_only() {
        let kinds = |k: &[&'static str]| {
            k.iter()
                .map(|k| CodeActionKind::from(*k))
                .collect::<Vec<_>>()
        };
        assert!(asks_for_fix_all(&kinds(&["source.fixAll"])));
        assert!(asks_for_fix_all(&kinds(&["source"])));
        assert!(asks_for_fix_all(&kinds(&[
            "quickfix",
            "source.fixAll.pipelint"
        ])));
        assert!(!asks_for_fix_all(&kinds(&["quickfix"])));
        assert!(!asks_for_fix_all(&kinds(&["source.fixAll.ruff"])));
        assert!(!asks_for_fix_all(&kinds(&["source.organizeImports"])));
        assert!(!asks_for_fix_all(&[]));
    }

    const TEXT: &str = "kind: Workflow\n# ünïcödé 😀\nimage: x:latest\n";

    fn ignore_edit() -> Edit {
        let at = TEXT.find("latest").unwrap() + "latest".len();
        Edit {
            span: at..at,
            new_text: "  # pipelint: ignore[unpinned-image] <reason> {$x}".into(),
        }
    }

    fn edit_for(snippets: SnippetEdits) -> Value {
        let lines = LineMap::new(Arc::from(TEXT));
        let target = Target {
            uri: "file:///w.yaml",
            version: 7,
            lines: &lines,
            encoding: Encoding::Utf16,
        };
        workspace_edit(&[ignore_edit()], Some("<reason>"), &target, snippets)
    }

    #[test]
    fn a_placeholder_is_plain_text_unless_the_client_takes_snippets() {
        let range = json!({"start": {"line": 2, "character": 15},
                           "end": {"line": 2, "character": 15}});
        assert_eq!(
            edit_for(SnippetEdits::No),
            json!({"changes": {"file:///w.yaml": [{"range": range,
                "newText": "  # pipelint: ignore[unpinned-image] <reason> {$x}"}]}})
        );
        // The rest of the text is escaped: `$` and `}` are snippet syntax.
        let snippet = "  # pipelint: ignore[unpinned-image] ${1:<reason>} {\\$x\\}";
        assert_eq!(
            edit_for(SnippetEdits::Spec),
            json!({"documentChanges": [{
                "textDocument": {"uri": "file:///w.yaml", "version": 7},
                "edits": [{"range": range, "snippet": {"kind": "snippet", "value": snippet}}],
            }]})
        );
        assert_eq!(
            edit_for(SnippetEdits::Experimental),
            json!({"documentChanges": [{
                "textDocument": {"uri": "file:///w.yaml", "version": 7},
                "edits": [{"range": range, "newText": snippet, "insertTextFormat": 2}],
            }]})
        );
    }

    #[test]
    fn snippet_support_and_lazy_edits_are_read_from_the_client() {
        let spec = json!({"workspace": {"workspaceEdit":
            {"documentChanges": true, "snippetEditSupport": true}}});
        assert_eq!(SnippetEdits::of_client(&spec), SnippetEdits::Spec);
        // Snippet edits live in `documentChanges`: without it, none.
        let no_changes = json!({"workspace": {"workspaceEdit": {"snippetEditSupport": true}}});
        assert_eq!(SnippetEdits::of_client(&no_changes), SnippetEdits::No);
        let experimental = json!({"experimental": {"snippetTextEdit": true}});
        assert_eq!(
            SnippetEdits::of_client(&experimental),
            SnippetEdits::Experimental
        );
        assert_eq!(SnippetEdits::of_client(&json!({})), SnippetEdits::No);

        let neovim = json!({"textDocument": {"codeAction": {"dataSupport": true,
            "resolveSupport": {"properties": ["edit", "command"]}}}});
        assert!(client_resolves_edits(&neovim));
        let no_data = json!({"textDocument": {"codeAction": {
            "resolveSupport": {"properties": ["edit"]}}}});
        assert!(!client_resolves_edits(&no_data));
        let command_only = json!({"textDocument": {"codeAction": {"dataSupport": true,
            "resolveSupport": {"properties": ["command"]}}}});
        assert!(!client_resolves_edits(&command_only));
        assert!(!client_resolves_edits(
            &json!({"textDocument": {"codeAction": 3}})
        ));
    }

    #[test]
    fn resolve_data_round_trips_and_foreign_data_is_refused() {
        let r = Resolve {
            uri: "file:///w.yaml".into(),
            version: 3,
            lint: 9,
            finding: Some(2),
            title: "Ignore x".into(),
        };
        assert_eq!(Resolve::from_json(&r.to_json()), Some(r.clone()));
        let all = Resolve { finding: None, ..r };
        assert_eq!(Resolve::from_json(&all.to_json()), Some(all.clone()));
        // As Neovim sends it back (null members dropped), or with the null kept.
        assert!(all.to_json().get("finding").is_none());
        let mut with_null = all.to_json();
        with_null["finding"] = Value::Null;
        assert_eq!(Resolve::from_json(&with_null), Some(all));
        let not_an_index =
            json!({"uri": "u", "version": 1, "lint": 2, "title": "t", "finding": "x"});
        assert_eq!(Resolve::from_json(&not_an_index), None);
        assert_eq!(Resolve::from_json(&json!({"uri": "x"})), None);
        assert_eq!(Resolve::from_json(&json!("text")), None);
    }

    #[test]
    fn a_suppression_and_fix_all_are_never_preferred() {
        let action = |kind, fix_all| {
            Action {
                title: "t",
                kind,
                fix_all,
                preferred: true,
                diagnostic: None,
            }
            .to_json(None, Some(json!(1)))
        };
        assert_eq!(action(FixKind::QuickFix, false)["isPreferred"], true);
        assert!(action(FixKind::Suppress, false)
            .get("isPreferred")
            .is_none());
        let all = action(FixKind::QuickFix, true);
        assert!(all.get("isPreferred").is_none());
        assert_eq!(all["kind"], FIX_ALL);
        assert_eq!(all["data"], 1);
        assert!(all.get("edit").is_none());
    }
}
