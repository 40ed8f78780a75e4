//! Completion and hover in `.pipelint.yaml`, from the config's JSON Schema
//! (`crate::config::schema`, built from the rule registry) and the rules' metadata.
//!
//! A config being typed is rarely valid YAML, so the place of the cursor is read from the
//! lines above it by indentation (as an editor's YAML mode does), not from a parse.

use pipelint_lsp::{Completion, CompletionKind};
use serde_json::Value;

use crate::rules::registry;

/// What each top-level key is for, shown in completion and hover.
const KEYS: &[(&str, &str)] = &[
    (
        "rules",
        "Per-rule settings: `severity` (error, warning, info, off) and the rule's options.",
    ),
    ("select", "Only these rules run (all when empty)."),
    ("ignore", "These rules never run."),
    (
        "exclude",
        "Globs of files, relative to this file's folder, that a directory walk skips.",
    ),
    (
        "per-file-ignores",
        "Rules ignored in files matching a glob: `glob: [rule-id, ...]`.",
    ),
    (
        "classify",
        "Declare steps `idempotent`, doing `io` or `deterministic`, by step name or image glob.",
    ),
    (
        "knowledge",
        "Rows added to the classifiers' knowledge (calls and commands that do IO, randomise...).",
    ),
    (
        "suppressions",
        "Findings silenced by `path` glob, `rule` and `step`, with a `reason`.",
    ),
    (
        "require-suppression-reason",
        "Ignore comments and suppressions must give a reason.",
    ),
    (
        "docs-url",
        "Where a rule's documentation is online, `{rule}` standing for its id.",
    ),
    (
        "policies",
        "Organisation policies: JSON Schema checks over steps and pipelines.",
    ),
    (
        "limits",
        "File size, nesting depth, alias expansion and time budget per file.",
    ),
    (
        "kfp-backend-version",
        "The KFP backend the pipelines run on (defaults depend on it).",
    ),
    (
        "argo-version",
        "The Argo Workflows version the manifests run on.",
    ),
];

const SEVERITIES: &[(&str, &str)] = &[
    (
        "error",
        "Reported as an error: `pipelint check` exits with 1.",
    ),
    ("warning", "Reported as a warning."),
    ("info", "Reported as information."),
    ("off", "The rule does not run."),
];

/// Keys whose value is a list of rule ids.
const RULE_LISTS: &[&str] = &["select", "ignore"];

/// The cursor's place: the keys of the enclosing mappings, the key on its line (when it is
/// past `key:`), and whether it is on a list item.
#[derive(Debug, Default, PartialEq, Eq)]
struct Place {
    parents: Vec<String>,
    value_of: Option<String>,
    list_item: bool,
    /// Inside `[...]` on the line (a flow list).
    flow_list: bool,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The key a line opens (`key:` or `- key:`), if any.
fn line_key(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let (key, _) = t.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    (!key.is_empty() && !key.starts_with('#')).then_some(key)
}

fn place(src: &str, offset: usize) -> Place {
    let offset = offset.min(src.len());
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &src[line_start..offset];
    let mut place = Place::default();
    let trimmed = before.trim_start();
    place.list_item = trimmed.starts_with('-');
    let body = trimmed.trim_start_matches('-').trim_start();
    if let Some((key, rest)) = body.split_once(':') {
        place.value_of = Some(key.trim().trim_matches(['"', '\'']).to_string());
        place.flow_list = rest.contains('[') && !rest.contains(']');
    }
    // A list item's own indentation is the item's, not its parent key's.
    let mut level = indent(before);
    if trimmed.is_empty() && !before.is_empty() {
        level = before.len();
    }
    for line in src[..line_start].lines().rev() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let i = indent(line);
        let dash_item = line.trim_start().starts_with("- ");
        if i < level || (i == level && place.list_item && !dash_item && i > 0) {
            if let Some(k) = line_key(line) {
                place.parents.push(k.to_string());
            }
            level = i;
            if level == 0 {
                break;
            }
        } else if i == level && place.list_item && !dash_item {
            // `key:` at the same indentation as `- item` below it (a compact list).
            if let Some(k) = line_key(line) {
                place.parents.push(k.to_string());
                break;
            }
        }
    }
    place.parents.reverse();
    place
}

fn rule_completion(id: &str) -> Option<Completion> {
    let meta = registry::find(id)?.meta();
    Some(Completion {
        label: meta.id.to_string(),
        kind: CompletionKind::Rule,
        detail: Some(meta.summary.to_string()),
        documentation: Some(rule_markdown(meta.id)?),
        insert_text: None,
    })
}

fn rules() -> Vec<Completion> {
    registry::all()
        .iter()
        .filter_map(|r| rule_completion(r.meta().id))
        .collect()
}

fn keys(names: impl IntoIterator<Item = String>, help: &[(&str, &str)]) -> Vec<Completion> {
    names
        .into_iter()
        .map(|name| Completion {
            documentation: help
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, h)| h.to_string()),
            insert_text: Some(format!("{name}: ")),
            label: name,
            kind: CompletionKind::Key,
            detail: None,
        })
        .collect()
}

/// The schema node at a path of keys (`rules` -> each rule id is a property).
fn schema_at(parents: &[String]) -> Option<&'static Value> {
    let mut node = crate::config::schema();
    for key in parents {
        node = node
            .get("properties")
            .and_then(|p| p.get(key))
            .or_else(|| node.get("items"))?;
    }
    Some(node)
}

/// Completions at byte `offset` of a config file's text.
pub fn completion(src: &str, offset: usize) -> Vec<Completion> {
    let place = place(src, offset);
    let parents: Vec<&str> = place.parents.iter().map(String::as_str).collect();
    if let Some(key) = place.value_of.as_deref() {
        // A value: a severity, a rule id in a list, a boolean.
        if key == "severity" {
            return SEVERITIES
                .iter()
                .map(|(s, h)| Completion {
                    label: s.to_string(),
                    kind: CompletionKind::Value,
                    detail: None,
                    documentation: Some(h.to_string()),
                    insert_text: None,
                })
                .collect();
        }
        if (RULE_LISTS.contains(&key) && place.flow_list) || (key == "rule" && place.list_item) {
            return rules();
        }
        if key == "rule" && parents.first() == Some(&"suppressions") {
            return rules();
        }
        let mut path = place.parents.clone();
        path.push(key.to_string());
        if schema_at(&path).and_then(|s| s.get("type")) == Some(&Value::from("boolean")) {
            return ["true", "false"]
                .iter()
                .map(|b| Completion {
                    label: b.to_string(),
                    kind: CompletionKind::Value,
                    detail: None,
                    documentation: None,
                    insert_text: None,
                })
                .collect();
        }
        return Vec::new();
    }
    match parents.as_slice() {
        [] if !place.list_item => keys(KEYS.iter().map(|(k, _)| k.to_string()), KEYS),
        [list] if place.list_item && RULE_LISTS.contains(list) => rules(),
        [_, _] if parents[0] == "per-file-ignores" && place.list_item => rules(),
        ["rules"] => rules()
            .into_iter()
            .map(|mut c| {
                c.insert_text = Some(format!("{}:\n", c.label));
                c
            })
            .collect(),
        ["rules", _] => {
            let names = schema_at(&place.parents)
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            keys(
                names,
                &[(
                    "severity",
                    "error, warning, info or off (the rule does not run).",
                )],
            )
        }
        _ => {
            let names = schema_at(&place.parents)
                .filter(|s| s.get("type") != Some(&Value::from("array")) || !place.list_item)
                .and_then(|s| {
                    s.get("properties")
                        .or_else(|| s.get("items")?.get("properties"))
                })
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            keys(names, &[])
        }
    }
}

/// A rule's hover in the config: its summary, default severity and options.
fn rule_markdown(id: &str) -> Option<String> {
    let meta = registry::find(id)?.meta();
    let mut text = format!(
        "**{}** (default severity: {})\n\n{}",
        meta.id,
        format!("{:?}", meta.default_severity).to_lowercase(),
        meta.summary
    );
    if !meta.options.is_empty() {
        text.push_str("\n\nOptions:");
        for option in meta.options {
            text.push_str(&format!(
                "\n- `{}` (default: `{}`)",
                option.name, option.default
            ));
        }
    }
    text.push_str(&format!(
        "\n\n`pipelint rule {}` shows the whole page.",
        meta.id
    ));
    Some(text)
}

/// Hover at byte `offset` of a config file: a rule id, a top-level key or a severity.
pub fn hover(src: &str, offset: usize) -> Option<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let offset = offset.min(src.len());
    let start = src[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = src[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(src.len(), |(i, _)| offset + i);
    let word = &src[start..end];
    if word.is_empty() {
        return None;
    }
    if let Some(text) = rule_markdown(word) {
        return Some(text);
    }
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let at_top = start == line_start;
    if at_top {
        if let Some((k, h)) = KEYS.iter().find(|(k, _)| *k == word) {
            return Some(format!("**{k}**\n\n{h}"));
        }
    }
    let before = src[line_start..start].trim_end();
    if before.ends_with("severity:") {
        if let Some((s, h)) = SEVERITIES.iter().find(|(s, _)| *s == word) {
            return Some(format!("**{s}**\n\n{h}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(src_with_cursor: &str) -> Vec<String> {
        let at = src_with_cursor.find('|').unwrap();
        let src = src_with_cursor.replace('|', "");
        completion(&src, at).into_iter().map(|c| c.label).collect()
    }

    #[test]
    fn top_level_keys_rule_ids_options_and_severities() {
        let top = labels("select: [a]\n|");
        assert!(top.contains(&"rules".to_string()), "{top:?}");
        assert!(top.contains(&"per-file-ignores".to_string()), "{top:?}");
        let ids = labels("rules:\n  |");
        assert!(ids.contains(&"unpinned-image".to_string()), "{ids:?}");
        assert!(!ids.contains(&"rules".to_string()), "{ids:?}");
        let options = labels("rules:\n  unpinned-image:\n    |");
        assert!(options.contains(&"severity".to_string()), "{options:?}");
        assert!(
            !options.contains(&"unpinned-image".to_string()),
            "{options:?}"
        );
        let severities = labels("rules:\n  unpinned-image:\n    severity: |");
        assert_eq!(severities, ["error", "warning", "info", "off"]);
    }

    #[test]
    fn rule_ids_in_lists_and_booleans() {
        assert!(labels("ignore:\n  - |").contains(&"unpinned-image".to_string()));
        assert!(labels("select: [unpinned-image, |").contains(&"unpinned-image".to_string()));
        assert_eq!(labels("require-suppression-reason: |"), ["true", "false"]);
        // A look-alike: `exclude` holds globs, not rule ids.
        assert!(labels("exclude:\n  - |").is_empty());
    }

    #[test]
    fn hover_on_rule_ids_keys_and_severities() {
        let src = "rules:\n  unpinned-image:\n    severity: off\nignore: [x]\n";
        let rule = hover(src, src.find("pinned").unwrap()).unwrap();
        assert!(
            rule.starts_with("**unpinned-image** (default severity:"),
            "{rule}"
        );
        let key = hover(src, src.find("ignore").unwrap() + 2).unwrap();
        assert!(
            key.starts_with("**ignore**\n\nThese rules never run."),
            "{key}"
        );
        let off = hover(src, src.find("off").unwrap()).unwrap();
        assert!(off.contains("does not run"), "{off}");
        // `x` is not a rule, `rules` at the top is a key; a word inside a value is nothing.
        assert_eq!(hover(src, src.find("[x").unwrap() + 1), None);
    }
}
