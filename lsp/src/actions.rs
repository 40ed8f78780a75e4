//! Code actions beyond one diagnostic's quick fixes: "Fix all pipelint problems in this
//! file", of kind `source.fixAll.pipelint` (editors run it on save when asked to with
//! `"editor.codeActionsOnSave": {"source.fixAll.pipelint": "explicit"}`).

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, TextEdit, Uri, WorkspaceEdit};

use crate::analyzer::Edit;
use crate::position::{Encoding, LineMap};

/// The kind of the fix-all action.
pub const FIX_ALL: &str = "source.fixAll.pipelint";

/// Whether a request's `only` asks for the fix-all action: it names its kind or one of its
/// parents (`source`, `source.fixAll`), as an editor does to fix on save. A request without
/// `only` (the light bulb) gets it only where a diagnostic it hits has a fix of its own.
pub fn asks_for_fix_all(only: &[CodeActionKind]) -> bool {
    only.iter().any(|k| {
        let k = String::from(k.clone());
        !k.is_empty() && (FIX_ALL == k || FIX_ALL.starts_with(&format!("{k}.")))
    })
}

/// The fix-all action for `edits` (byte ranges of the document's text).
pub fn fix_all_action(edits: &[Edit], uri: &str, lines: &LineMap, enc: Encoding) -> CodeAction {
    let edits: Vec<TextEdit> = edits
        .iter()
        .map(|e| TextEdit {
            range: lines.range(e.span.clone(), enc),
            new_text: e.new_text.clone(),
        })
        .collect();
    CodeAction {
        title: "Fix all pipelint problems in this file".to_string(),
        kind: Some(CodeActionKind::new(FIX_ALL)),
        diagnostics: None,
        is_preferred: None,
        disabled: None,
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(Uri::from(uri), edits)])),
            document_changes: None,
            change_annotations: None,
        }),
        command: None,
        data: None,
        tags: None,
    }
}

#[cfg(test)]
mod tests {
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
}
