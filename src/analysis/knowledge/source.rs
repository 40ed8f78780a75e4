//! Reads the knowledge files into rows, each with the file and line it starts on, and
//! checks them as the build needs them: every row well formed ([`Row::check_shape`]), with a
//! reference, its id used once, the shapes set once. build.rs includes this file (it writes
//! the checked rows out as static tables); the crate compiles it for its tests. It uses std,
//! serde, serde_json and granit-parser only.

use std::path::{Path, PathBuf};

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

use super::row::{Row, Shapes};

/// A row with the file and line it starts on.
pub type PlacedRow = (Row, String, usize);

/// The rows of a knowledge directory's `*.yaml` files (in name order) and their shapes, or
/// every problem found, one a line: `file:line: row `id`: what is wrong`.
pub fn read_dir(dir: &Path) -> Result<(Vec<PlacedRow>, Shapes), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let texts = files
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    read_texts(&texts)
}

/// [`read_dir`] over (file name, text) pairs.
pub fn read_texts(files: &[(String, String)]) -> Result<(Vec<PlacedRow>, Shapes), String> {
    let mut rows: Vec<PlacedRow> = Vec::new();
    let mut shapes = Map::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        if let Err(e) = read_file(name, text, &mut rows, &mut shapes) {
            errors.push(e);
        }
    }
    let mut seen = std::collections::HashMap::new();
    for (row, file, line) in &rows {
        if let Err(e) = row.check_shape() {
            errors.push(format!("{file}:{line}: {e}"));
        }
        if row.command.is_some() && row.needles.is_empty() {
            errors.push(format!(
                "{file}:{line}: row `{}`: `command` needs `needles:`, words every match contains (the prefilter)",
                row.id
            ));
        }
        if row.reference.trim().is_empty() {
            errors.push(format!(
                "{file}:{line}: row `{}` has no `reference` (a documentation URL, or why)",
                row.id
            ));
        }
        if let Some(first) = seen.insert(row.id.to_string(), format!("{file}:{line}")) {
            errors.push(format!(
                "{file}:{line}: row `{}` is defined twice (first at {first})",
                row.id
            ));
        }
    }
    let shapes: Shapes = match serde_json::from_value(Value::Object(shapes)) {
        Ok(s) => s,
        Err(e) => {
            errors.push(format!("`shapes`: {e}"));
            Shapes::default()
        }
    };
    if errors.is_empty() {
        Ok((rows, shapes))
    } else {
        Err(errors.join("\n"))
    }
}

/// Reads one knowledge file: its rows (each with the line it starts on) and its shapes.
fn read_file(
    name: &str,
    text: &str,
    rows: &mut Vec<PlacedRow>,
    shapes: &mut Map<String, Value>,
) -> Result<(), String> {
    let (value, row_lines) = to_json(text).map_err(|(line, e)| format!("{name}:{line}: {e}"))?;
    let Value::Object(mut file) = value else {
        return Err(format!("{name}: expected a mapping with `rows:`"));
    };
    for (key, value) in file
        .remove("shapes")
        .and_then(|s| s.as_object().cloned())
        .unwrap_or_default()
    {
        if shapes.insert(key.clone(), value).is_some() {
            return Err(format!("{name}: `shapes.{key}` is set in another file too"));
        }
    }
    let items = match file.remove("rows") {
        Some(Value::Array(items)) => items,
        None => Vec::new(),
        Some(_) => return Err(format!("{name}: `rows` should be a list")),
    };
    if let Some(key) = file.keys().next() {
        return Err(format!(
            "{name}: unknown key `{key}` (expected `rows`, `shapes`)"
        ));
    }
    let mut errors = Vec::new();
    for (item, line) in items.into_iter().zip(row_lines) {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        match serde_json::from_value::<Row>(item) {
            Ok(row) => rows.push((row, name.to_string(), line)),
            Err(e) => errors.push(format!("{name}:{line}: row `{id}`: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// The file as JSON (plain `true`/`false` are booleans, every other scalar a string), and
/// the line of each item of a top-level list (the rows).
fn to_json(text: &str) -> Result<(Value, Vec<usize>), (usize, String)> {
    enum Open {
        Seq(Vec<Value>),
        Map(Map<String, Value>, Option<String>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut item_lines = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| (e.marker().line(), e.to_string()))?;
        let line = span.start.line();
        let value = match event {
            Event::Scalar(v, style, _, _) => {
                let plain = style == ScalarStyle::Plain;
                match &*v {
                    "true" | "True" if plain => Value::Bool(true),
                    "false" | "False" if plain => Value::Bool(false),
                    _ => Value::String(v.into_owned()),
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                // An item of a list that is a value of the top-level mapping: a row.
                if stack.len() == 2 && matches!(stack[1], Open::Seq(_)) {
                    item_lines.push(line);
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items)) => Value::Array(items),
                Some(Open::Map(map, _)) => Value::Object(map),
                None => return Err((line, "unbalanced YAML".into())),
            },
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                return Err((line, "aliases are not used in knowledge files".into()))
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => match key.take() {
                None => {
                    let Value::String(k) = value else {
                        return Err((line, "a key should be a string".into()));
                    };
                    if map.contains_key(&k) {
                        return Err((line, format!("duplicate key `{k}`")));
                    }
                    *key = Some(k);
                }
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    Ok((root.unwrap_or(Value::Null), item_lines))
}
