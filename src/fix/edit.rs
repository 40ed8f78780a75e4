//! Surgical YAML edits for fixes. The node a fix touches is found by descending the spanned
//! tree to the span the model gave it; the edit changes only the bytes it must, and new text
//! follows the file: its indentation width, block or flow style, quoting and line break.
//! Where an anchor, alias or merge key shares the node with other places, or the style
//! cannot be extended safely, a [`NoFix`] says why instead.

use super::{NoFix, TextEdit};
use crate::yaml::{Document, NodeId, NodeRef, ScalarStyle, Span, YamlFile};

/// A value to write: a scalar as it should appear, or a mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Written as is in YAML (it must be a safe plain scalar), quoted in JSON.
    Plain(String),
    /// Always double-quoted (`limit: "3"`: Argo reads both, quotes keep it a string).
    Quoted(String),
    Map(Vec<(String, Value)>),
    /// Source text copied from elsewhere in the file (a request's value, quotes and all).
    Raw(String),
}

impl Value {
    pub fn plain(s: impl Into<String>) -> Value {
        Value::Plain(s.into())
    }

    pub fn quoted(s: impl Into<String>) -> Value {
        Value::Quoted(s.into())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` reads back as the same string when written plain (no quoting needed).
fn plain_is_safe(s: &str) -> bool {
    // A word has none of the characters below: only how YAML types it can refuse it.
    if is_word(s) {
        return crate::yaml::json::plain_reads_as_string(s);
    }
    let Some(first) = s.chars().next() else {
        return false;
    };
    let reserved_start = "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace();
    !reserved_start
        && !s.ends_with(char::is_whitespace)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && s.chars().all(|c| !c.is_control() && !",[]{}".contains(c))
        && reads_back_as_string(s)
}

/// A letter, then letters and digits (ASCII).
fn is_word(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Answers of [`reads_back_as_string`] kept for the process: fixes write the same few keys
/// and values (`retryStrategy`, `limit`, `Always`) in file after file, and each answer is a
/// parse. Short strings only, and a bounded number of them.
const READ_BACK_MEMO_MAX_LEN: usize = 64;
const READ_BACK_MEMO_MAX_ENTRIES: usize = 512;

thread_local! {
    static READ_BACK_MEMO: std::cell::RefCell<std::collections::HashMap<Box<str>, bool>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// `s`, written plain, is read back as the same string (not a number, boolean or null).
fn reads_back_as_string(s: &str) -> bool {
    // A word (a letter, then letters and digits: most keys and values a fix writes) is read
    // back as itself unless YAML 1.1 types it (`yes`, `null`, `on`): no parse, no lookup.
    if is_word(s) {
        return crate::yaml::json::plain_reads_as_string(s);
    }
    if s.len() > READ_BACK_MEMO_MAX_LEN {
        return parses_back_as_string(s);
    }
    if let Some(known) = READ_BACK_MEMO.with(|memo| memo.borrow().get(s).copied()) {
        return known;
    }
    let answer = parses_back_as_string(s);
    READ_BACK_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.len() < READ_BACK_MEMO_MAX_ENTRIES {
            memo.insert(s.into(), answer);
        }
    });
    answer
}

fn parses_back_as_string(s: &str) -> bool {
    let y = crate::yaml::parse(&format!("{s}\n"), &crate::yaml::ParseLimits::default());
    let text = format!("{s}\n");
    y.errors.is_empty()
        && y.documents.len() == 1
        && y.documents[0].root(&text).is_some_and(|root| {
            root.style() == Some(ScalarStyle::Plain)
                && root.str() == Some(s)
                && matches!(root.resolved(), Some(crate::yaml::Resolved::Str(_)))
        })
}

fn scalar_text(value: &str, plain: bool, json: bool) -> String {
    if plain && !json && plain_is_safe(value) {
        value.to_string()
    } else {
        double_quoted(value)
    }
}

fn key_text(key: &str, json: bool) -> String {
    scalar_text(key, true, json)
}

fn render_flow(entries: &[(String, Value)], json: bool) -> String {
    let parts: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}: {}", key_text(k, json), render_flow_value(v, json)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn render_flow_value(v: &Value, json: bool) -> String {
    match v {
        Value::Plain(s) => scalar_text(s, true, json),
        Value::Quoted(s) => double_quoted(s),
        Value::Map(entries) => render_flow(entries, json),
        Value::Raw(s) => s.clone(),
    }
}

/// Block lines for `entries` at `indent`, `unit` more per level, each ending with `nl`.
fn render_block(
    out: &mut String,
    entries: &[(String, Value)],
    indent: usize,
    unit: usize,
    nl: &str,
) {
    // Written straight into `out`: a fix adds a few lines, each a handful of pieces, and a
    // string per piece cost more than the rest of the fix.
    let push_scalar = |out: &mut String, text: &str| {
        if plain_is_safe(text) {
            out.push_str(text);
        } else {
            out.push_str(&double_quoted(text));
        }
    };
    for (k, v) in entries {
        out.extend(std::iter::repeat_n(' ', indent));
        push_scalar(out, k);
        out.push(':');
        match v {
            Value::Map(children) if !children.is_empty() => {
                out.push_str(nl);
                render_block(out, children, indent + unit, unit, nl);
                continue;
            }
            Value::Plain(text) => {
                out.push(' ');
                push_scalar(out, text);
            }
            other => {
                out.push(' ');
                out.push_str(&render_flow_value(other, false));
            }
        }
        out.push_str(nl);
    }
}

// ---------------------------------------------------------------------------------------
// Text helpers

/// `(start, end)` of the line holding `offset`, without its line terminator.
pub(crate) fn line_bounds(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let start = crate::yaml::line_start_before(src, offset);
    let mut end = src[offset..]
        .find(['\n', '\r'])
        .map_or(src.len(), |i| offset + i);
    // `offset` on the `\n` of a `\r\n`: the `\r` is the terminator, not content.
    if end > start && src.as_bytes()[end - 1] == b'\r' {
        end -= 1;
    }
    (start, end)
}

/// The offset just past the line break that ends the line ending at `end`.
fn after_break(src: &str, end: usize) -> usize {
    let rest = &src.as_bytes()[end..];
    match rest {
        [b'\r', b'\n', ..] => end + 2,
        [b'\n', ..] | [b'\r', ..] => end + 1,
        _ => end,
    }
}

pub(crate) fn indent_of(src: &str, line_start: usize) -> usize {
    src[line_start..].bytes().take_while(|b| *b == b' ').count()
}

/// The line break the file uses.
pub(crate) fn newline(src: &str) -> &'static str {
    // Most files hold no `\r` at all: one byte search rules both others out.
    if !src.as_bytes().contains(&b'\r') {
        return "\n";
    }
    if src.contains("\r\n") {
        "\r\n"
    } else if src.contains('\r') && !src.contains('\n') {
        "\r"
    } else {
        "\n"
    }
}

pub(crate) fn is_flow(node: NodeRef<'_>) -> bool {
    matches!(node.raw().as_bytes().first(), Some(b'{' | b'['))
}

fn contains(span: Span, at: u32) -> bool {
    span.start <= at && at < span.end
}

fn within(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Descents stop here: deeper than any document the parser accepts.
const MAX_DEPTH: usize = 1024;

/// The source and tree a fix is built on. One per file ([`crate::rules::FileContext`]
/// holds it), so that what is shared through anchors is worked out once, not per fix.
pub struct Source<'a> {
    pub src: &'a str,
    pub yaml: &'a YamlFile,
    /// Per document (in `yaml.documents` order): the nodes used from more than one place.
    shared: std::cell::OnceCell<Vec<std::collections::HashSet<NodeId>>>,
    /// The file's line break ([`newline`]): a scan of the whole text, done once.
    line_break: std::cell::OnceCell<&'static str>,
}

/// A mapping entry a fix edits, with the mapping that holds it.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub map: NodeRef<'a>,
    pub key: NodeRef<'a>,
    pub value: NodeRef<'a>,
}

impl<'a> Source<'a> {
    pub fn new(src: &'a str, yaml: &'a YamlFile) -> Self {
        Source {
            src,
            yaml,
            shared: std::cell::OnceCell::new(),
            line_break: std::cell::OnceCell::new(),
        }
    }

    /// The line break the file uses.
    fn newline(&self) -> &'static str {
        self.line_break.get_or_init(|| newline(self.src))
    }

    /// The nodes of each document that an alias or a merge key uses besides the place they
    /// are written (one pass over the documents where an alias is written at all).
    fn shared(&self) -> &[std::collections::HashSet<NodeId>] {
        self.shared.get_or_init(|| {
            self.yaml
                .documents
                .iter()
                .map(|doc| {
                    let mut uses: std::collections::HashMap<NodeId, usize> =
                        std::collections::HashMap::new();
                    if doc.has_alias() {
                        for n in doc.all_nodes(self.src) {
                            let children: Vec<NodeId> = if n.is_mapping() {
                                n.entries().flat_map(|(k, v)| [k.id(), v.id()]).collect()
                            } else {
                                n.items().map(|i| i.id()).collect()
                            };
                            for id in children {
                                *uses.entry(id).or_default() += 1;
                            }
                        }
                    }
                    uses.into_iter()
                        .filter(|&(_, n)| n > 1)
                        .map(|(id, _)| id)
                        .collect()
                })
                .collect()
        })
    }

    fn document_at(&self, at: u32) -> Option<&'a Document> {
        self.yaml
            .documents
            .iter()
            .find(|d| d.span.start <= at && at <= d.span.end)
    }

    /// The nodes from the document's root down to the deepest one written at `at`, keys
    /// included. Aliases are not followed: a child whose span lies outside its parent's is
    /// written elsewhere.
    pub fn chain(&self, at: u32) -> Vec<NodeRef<'a>> {
        let Some(mut node) = self.document_at(at).and_then(|d| d.root(self.src)) else {
            return Vec::new();
        };
        if !contains(node.span(), at) {
            return Vec::new();
        }
        // Sized for the depth of most pipelines: grown from one, it was three allocations.
        let mut out = Vec::with_capacity(16);
        out.push(node);
        while out.len() < MAX_DEPTH {
            let parent = node.span();
            let next = if node.is_mapping() {
                node.entries().find_map(|(k, v)| {
                    if contains(k.span(), at) && within(k.span(), parent) {
                        Some(k)
                    } else if contains(v.span(), at) && within(v.span(), parent) {
                        Some(v)
                    } else {
                        None
                    }
                })
            } else if node.is_sequence() {
                node.items()
                    .find(|i| contains(i.span(), at) && within(i.span(), parent))
            } else {
                None
            };
            match next {
                Some(n) if n.id() != node.id() => {
                    out.push(n);
                    node = n;
                }
                _ => break,
            }
        }
        out
    }

    /// Whether the text at `at` is inside a scalar that goes on past it onto another line
    /// (a script, a folded string): a line or comment inserted there would change its value.
    pub fn inside_multiline_scalar(&self, at: usize) -> bool {
        self.chain(at as u32).last().is_some_and(|n| {
            let s = n.span();
            n.is_scalar() && (s.start as usize) < at && (s.end as usize) > at
        }) || self
            .chain(at.saturating_sub(1) as u32)
            .last()
            .is_some_and(|n| {
                let s = n.span();
                n.is_scalar() && (s.start as usize) < at && (s.end as usize) > at
            })
    }

    /// The file is JSON (its first document is a flow mapping): comments would break it,
    /// and new keys are quoted.
    pub fn is_json(&self) -> bool {
        self.yaml
            .documents
            .first()
            .and_then(|d| d.root(self.src))
            .is_some_and(|root| root.raw().starts_with('{'))
    }

    /// Refuses an edit inside any of `nodes` when one of them is shared through an anchor
    /// (used by an alias or a `<<` merge key elsewhere): the edit would change every place
    /// that reads it.
    fn guard(&self, nodes: &[NodeRef<'a>]) -> Result<(), NoFix> {
        let Some(first) = nodes.first() else {
            return Ok(());
        };
        let Some(at) =
            self.yaml.documents.iter().position(|d| {
                d.span.start <= first.span().start && first.span().start <= d.span.end
            })
        else {
            return Ok(());
        };
        let shared = &self.shared()[at];
        if nodes.iter().any(|n| shared.contains(&n.id())) {
            return Err(NoFix::new(
                "the place to edit is shared through a YAML anchor (`&`, `*`, `<<`); an edit would change every place that uses it",
            ));
        }
        Ok(())
    }

    /// The mapping entry whose key is written at `key`, checked for anchors in the way.
    pub fn entry_at_key(&self, key: Span) -> Result<Entry<'a>, NoFix> {
        let chain = self.chain(key.start);
        let not_found = || NoFix::new("the place to edit could not be found in the file's text");
        let at = chain
            .iter()
            .rposition(|n| n.span() == key && !n.is_mapping() && !n.is_sequence())
            .ok_or_else(not_found)?;
        let map = *chain
            .get(at.checked_sub(1).ok_or_else(not_found)?)
            .ok_or_else(not_found)?;
        let (k, v) = map
            .entries()
            .find(|(k, _)| k.id() == chain[at].id())
            .ok_or_else(not_found)?;
        self.guard(&chain[..=at])?;
        self.guard(&[v])?;
        Ok(Entry {
            map,
            key: k,
            value: v,
        })
    }

    /// The node written exactly at `span` (the deepest, for a key and its scalar), checked
    /// for anchors in the way.
    pub fn node_at(&self, span: Span) -> Result<NodeRef<'a>, NoFix> {
        let chain = self.chain(span.start);
        let at = chain
            .iter()
            .rposition(|n| n.span() == span)
            .ok_or_else(|| NoFix::new("the place to edit could not be found in the file's text"))?;
        self.guard(&chain[..=at])?;
        Ok(chain[at])
    }

    /// The mapping that opens at `span`: the one written there, or the one whose first key
    /// is (an Argo template's span is its first line, `- name: fetch`).
    pub fn mapping_opened_at(&self, span: Span) -> Result<NodeRef<'a>, NoFix> {
        let chain = self.chain(span.start);
        let at = chain
            .iter()
            .rposition(|n| {
                n.is_mapping()
                    && (n.span().start == span.start
                        || n.entries().next().map(|(k, _)| k.span().start) == Some(span.start))
            })
            .ok_or_else(|| NoFix::new("the place to edit could not be found in the file's text"))?;
        self.guard(&chain[..=at])?;
        Ok(chain[at])
    }

    /// How far the file indents a block mapping under a key of `mapping`, else under any
    /// key on the way to it, else 2.
    fn indent_unit(&self, mapping: NodeRef<'a>) -> usize {
        let unit_of = |m: NodeRef<'a>| {
            m.entries().find_map(|(k, v)| {
                if !v.is_mapping() || is_flow(v) {
                    return None;
                }
                let (child, _) = v.entries().next()?;
                let (k_line, _) = line_bounds(self.src, k.span().start as usize);
                let (c_line, _) = line_bounds(self.src, child.span().start as usize);
                let k_col = k.span().start as usize - k_line;
                let c_col = child.span().start as usize - c_line;
                (c_line != k_line && c_col > k_col).then(|| c_col - k_col)
            })
        };
        unit_of(mapping)
            .or_else(|| {
                self.chain(mapping.span().start)
                    .into_iter()
                    .rev()
                    .filter(|n| n.is_mapping())
                    .find_map(unit_of)
            })
            .unwrap_or(2)
    }

    /// Adds `entries` to `map`, in its style: block lines at the indentation of its keys
    /// (before the first key that opens its line, with the comment lines just above it), or
    /// `, key: value` at the end of a flow mapping (quoted keys in JSON). Refuses when a key
    /// is there already.
    pub fn insert_entries(
        &self,
        map: NodeRef<'a>,
        entries: &[(String, Value)],
    ) -> Result<TextEdit, NoFix> {
        if !map.is_mapping() {
            return Err(NoFix::new("the place to edit is not a mapping"));
        }
        if let Some((k, _)) = entries
            .iter()
            .find(|(k, _)| map.entries().any(|(mk, _)| mk.str() == Some(k)))
        {
            return Err(NoFix::new(format!("`{k}` is written there already")));
        }
        if is_flow(map) {
            return self.insert_flow(map, entries);
        }
        let nl = self.newline();
        let unit = self.indent_unit(map);
        // Before the first key that opens its line.
        for (k, _) in map.entries() {
            let key_at = k.span().start as usize;
            let (line_start, _) = line_bounds(self.src, key_at);
            let indent = key_at - line_start;
            if indent_of(self.src, line_start) != indent || self.inside_multiline_scalar(line_start)
            {
                continue;
            }
            let mut insert_at = line_start;
            while insert_at > 0 {
                let (prev_start, prev_end) = line_bounds(self.src, insert_at - 1);
                let prev = &self.src[prev_start..prev_end];
                let is_comment =
                    prev.trim_start().starts_with('#') && indent_of(self.src, prev_start) == indent;
                if !is_comment || self.inside_multiline_scalar(prev_start) {
                    break;
                }
                insert_at = prev_start;
            }
            let mut text = String::new();
            render_block(&mut text, entries, indent, unit, nl);
            return Ok(TextEdit::new(
                Span::new(insert_at as u32, insert_at as u32),
                text,
            ));
        }
        // Every key follows a dash (`- name: x`): after the mapping's last line, at the
        // column of its keys.
        let first = map
            .entries()
            .next()
            .map(|(k, _)| k)
            .ok_or_else(|| NoFix::new("the mapping is empty"))?;
        let column =
            first.span().start as usize - line_bounds(self.src, first.span().start as usize).0;
        let end = map.span().end as usize;
        let (_, line_end) = line_bounds(
            self.src,
            end.saturating_sub(1).max(first.span().start as usize),
        );
        let rest = self.src[end.min(line_end)..line_end].trim();
        if !(rest.is_empty() || rest.starts_with('#')) {
            return Err(NoFix::new(
                "the mapping shares its last line with other text",
            ));
        }
        let at = after_break(self.src, line_end);
        let mut text = String::new();
        if at == line_end {
            text.push_str(nl); // the file ends without a line break
        }
        render_block(&mut text, entries, column, unit, nl);
        if at == line_end {
            text.truncate(text.len() - nl.len());
        }
        Ok(TextEdit::new(Span::new(at as u32, at as u32), text))
    }

    /// `, key: value` after the last entry of a flow mapping (`{}` gets its first entry); on
    /// its own line at the last key's column when that key opens its line (pretty JSON).
    fn insert_flow(
        &self,
        map: NodeRef<'a>,
        entries: &[(String, Value)],
    ) -> Result<TextEdit, NoFix> {
        let json = self.is_json();
        let parts: Vec<String> = entries
            .iter()
            .map(|(k, v)| format!("{}: {}", key_text(k, json), render_flow_value(v, json)))
            .collect();
        let raw = map.raw();
        if !raw.ends_with('}') {
            return Err(NoFix::new("the flow mapping could not be read back"));
        }
        let Some((k, v)) = map.entries().last() else {
            let at = map.span().end - 1;
            return Ok(TextEdit::new(Span::new(at, at), parts.join(", ")));
        };
        let last_end = k.span().end.max(v.span().end);
        if !within(v.span(), map.span()) {
            return Err(NoFix::new("the mapping ends with an alias"));
        }
        let (line_start, _) = line_bounds(self.src, k.span().start as usize);
        let column = k.span().start as usize - line_start;
        let opens_line = indent_of(self.src, line_start) == column && raw.contains(['\n', '\r']);
        let text = if opens_line {
            let nl = self.newline();
            parts
                .iter()
                .map(|p| format!(",{nl}{}{p}", " ".repeat(column)))
                .collect::<String>()
        } else {
            parts.iter().map(|p| format!(", {p}")).collect()
        };
        Ok(TextEdit::new(Span::new(last_end, last_end), text))
    }

    /// Replaces a scalar's value, keeping its quoting (a plain scalar that would read back
    /// as another type or break the line is double-quoted).
    pub fn replace_scalar(&self, node: NodeRef<'a>, value: &str) -> Result<TextEdit, NoFix> {
        let text = match node.style() {
            Some(ScalarStyle::Plain) => scalar_text(value, true, false),
            Some(ScalarStyle::DoubleQuoted) => double_quoted(value),
            Some(ScalarStyle::SingleQuoted) if !value.contains(['\n', '\r']) => {
                format!("'{}'", value.replace('\'', "''"))
            }
            _ => return Err(NoFix::new("the value is a block scalar")),
        };
        Ok(TextEdit::new(node.span(), text))
    }

    /// Replaces a plain scalar with a value of another type written plain (`true` ->
    /// `false`); a quoted or block scalar is refused (it is a string, not that value).
    pub fn replace_plain(&self, node: NodeRef<'a>, text: &str) -> Result<TextEdit, NoFix> {
        if node.style() != Some(ScalarStyle::Plain) {
            return Err(NoFix::new("the value is not written plain"));
        }
        Ok(TextEdit::new(node.span(), text))
    }

    /// Renames a key in place (keeping its quotes); refused when the new name is taken.
    pub fn rename_key(&self, entry: Entry<'a>, name: &str) -> Result<TextEdit, NoFix> {
        if entry.map.entries().any(|(k, _)| k.str() == Some(name)) {
            return Err(NoFix::new(format!("`{name}` is written there already")));
        }
        let json = self.is_json();
        let text = match entry.key.style() {
            Some(ScalarStyle::Plain) => scalar_text(name, true, json),
            Some(ScalarStyle::DoubleQuoted) => double_quoted(name),
            Some(ScalarStyle::SingleQuoted) => format!("'{}'", name.replace('\'', "''")),
            _ => return Err(NoFix::new("the key is not a plain or quoted scalar")),
        };
        Ok(TextEdit::new(entry.key.span(), text))
    }

    /// Removes a block entry with its lines: from the line its key opens to the end of its
    /// value's last line. Refused in flow style, when the key shares its line with a dash
    /// or other text, when a comment would go with it, or when it is the only entry.
    pub fn remove_entry(&self, entry: Entry<'a>) -> Result<TextEdit, NoFix> {
        if is_flow(entry.map) {
            return Err(NoFix::new("the mapping is written in flow style"));
        }
        if entry.map.len() < 2 {
            return Err(NoFix::new("it is the mapping's only entry"));
        }
        let key_at = entry.key.span().start as usize;
        let (line_start, _) = line_bounds(self.src, key_at);
        if indent_of(self.src, line_start) != key_at - line_start {
            return Err(NoFix::new("the key shares its line with a list dash"));
        }
        let end = entry.value.span().end.max(entry.key.span().end) as usize;
        let (_, line_end) = line_bounds(self.src, end.saturating_sub(1).max(key_at));
        let rest = self.src[end.min(line_end)..line_end].trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(NoFix::new("the entry shares its last line with other text"));
        }
        let stop = after_break(self.src, line_end);
        let has_comment = self
            .yaml
            .comments
            .iter()
            .any(|c| (c.span.start as usize) >= line_start && (c.span.start as usize) < stop);
        if has_comment {
            return Err(NoFix::new("a comment inside it would be lost"));
        }
        Ok(TextEdit::new(Span::new(line_start as u32, stop as u32), ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, ParseLimits};

    fn yaml(src: &str) -> YamlFile {
        parse(src, &ParseLimits::default())
    }

    fn key(src: &str, needle: &str) -> Span {
        let at = src.find(needle).unwrap() as u32;
        Span::new(at, at + needle.trim_end_matches(':').len() as u32)
    }

    fn retry() -> Vec<(String, Value)> {
        vec![(
            "retryStrategy".into(),
            Value::map([
                ("limit", Value::quoted("3")),
                ("retryPolicy", Value::plain("Always")),
            ]),
        )]
    }

    #[test]
    fn remembered_read_backs_answer_as_a_parse_does() {
        let long_word = "a".repeat(READ_BACK_MEMO_MAX_LEN + 1);
        let long_number = "1".repeat(READ_BACK_MEMO_MAX_LEN + 1);
        let cases = [
            ("Always", true),
            ("retryStrategy", true),
            ("yes", false),
            ("3", false),
            ("null", false),
            ("0o17", false),
            ("30s", true),
            // Words are typed without a parse: YAML 1.1's booleans and nulls are not strings,
            // their look-alikes are.
            ("on", false),
            ("Off", false),
            ("y", false),
            ("NULL", false),
            ("True", false),
            ("tRUE", true),
            ("yes2", true),
            ("nan", true),
            ("inf", true),
            (long_word.as_str(), true),
            (long_number.as_str(), false),
        ];
        // The second round is answered from memory (the short ones): the same answers.
        for round in 0..2 {
            for (s, expected) in cases {
                assert_eq!(reads_back_as_string(s), expected, "{s:?} in round {round}");
                assert_eq!(parses_back_as_string(s), expected, "{s:?}");
                // None of them holds a character that needs quotes: safe as read back.
                assert_eq!(plain_is_safe(s), expected, "{s:?}");
            }
        }
        assert!(READ_BACK_MEMO.with(|memo| memo.borrow().contains_key("30s")));
        // A word needs no memory; a long text is not kept.
        assert!(!READ_BACK_MEMO.with(|memo| memo.borrow().contains_key("Always")));
        assert!(!READ_BACK_MEMO.with(|memo| memo.borrow().contains_key(long_word.as_str())));
    }

    #[test]
    fn block_insertions_follow_the_keys_indentation_and_comments() {
        let src = "spec:\n    templates:\n    -   name: a\n        # the box\n        container:\n            image: x\n";
        let y = yaml(src);
        let s = Source::new(src, &y);
        let tpl = s.mapping_opened_at(key(src, "name")).unwrap();
        let out = s.insert_entries(tpl, &retry()).unwrap().apply(src);
        assert_eq!(
            out,
            "spec:\n    templates:\n    -   name: a\n        retryStrategy:\n            limit: \"3\"\n            retryPolicy: Always\n        # the box\n        container:\n            image: x\n"
        );
        assert!(yaml(&out).errors.is_empty());
        // Refused the second time: the key is there.
        let y2 = yaml(&out);
        let s2 = Source::new(&out, &y2);
        let tpl = s2.mapping_opened_at(key(&out, "name")).unwrap();
        assert!(s2.insert_entries(tpl, &retry()).is_err());
    }

    #[test]
    fn a_mapping_of_one_dashed_line_gets_lines_after_it_and_crlf_is_kept() {
        let src = "items:\r\n  - name: a\r\n  - name: b\r\n";
        let y = yaml(src);
        let s = Source::new(src, &y);
        let tpl = s.mapping_opened_at(key(src, "name: a")).unwrap();
        let out = s.insert_entries(tpl, &retry()).unwrap().apply(src);
        assert_eq!(
            out,
            "items:\r\n  - name: a\r\n    retryStrategy:\r\n      limit: \"3\"\r\n      retryPolicy: Always\r\n  - name: b\r\n"
        );
    }

    #[test]
    fn flow_mappings_are_extended_in_flow_and_json_gets_quoted_keys() {
        let src = "t: {name: a, container: {image: x}}\n";
        let y = yaml(src);
        let s = Source::new(src, &y);
        let tpl = s.entry_at_key(key(src, "t:")).unwrap().value;
        let out = s.insert_entries(tpl, &retry()).unwrap().apply(src);
        assert_eq!(out, "t: {name: a, container: {image: x}, retryStrategy: {limit: \"3\", retryPolicy: Always}}\n");
        let json = "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n";
        let y = yaml(json);
        let s = Source::new(json, &y);
        let a = s.entry_at_key(key(json, "\"a\"")).unwrap().value;
        let out = s
            .insert_entries(a, &[("c".into(), Value::plain("x"))])
            .unwrap()
            .apply(json);
        assert_eq!(
            out,
            "{\n  \"a\": {\n    \"b\": 1,\n    \"c\": \"x\"\n  }\n}\n"
        );
        let empty = "a: {}\n";
        let y = yaml(empty);
        let s = Source::new(empty, &y);
        let a = s.entry_at_key(key(empty, "a:")).unwrap().value;
        assert_eq!(
            s.insert_entries(a, &[("k".into(), Value::plain("v"))])
                .unwrap()
                .apply(empty),
            "a: {k: v}\n"
        );
    }

    #[test]
    fn anchored_and_merged_places_are_refused() {
        let src = "base: &b\n  limit: 1\nuse:\n  <<: *b\nother: *b\n";
        let y = yaml(src);
        let s = Source::new(src, &y);
        let e = s.entry_at_key(key(src, "limit")).unwrap_err();
        assert!(e.0.contains("anchor"), "{e:?}");
        // An anchor nobody uses is no obstacle.
        let lone = "base: &b\n  limit: 1\n";
        let y = yaml(lone);
        assert!(Source::new(lone, &y)
            .entry_at_key(key(lone, "limit"))
            .is_ok());
    }

    #[test]
    fn scalars_keep_their_quoting_and_entries_go_with_their_lines() {
        let src = "a:\n  x: \"1\"\n  y: 'b'\n  memo:\n    key: k\n    maxAge: 1h\n  z: 2  # keep\n";
        let y = yaml(src);
        let s = Source::new(src, &y);
        let x = s.entry_at_key(key(src, "x:")).unwrap().value;
        assert_eq!(
            s.replace_scalar(x, "2").unwrap().apply(src).lines().nth(1),
            Some("  x: \"2\"")
        );
        let yv = s.entry_at_key(key(src, "y:")).unwrap().value;
        assert_eq!(s.replace_scalar(yv, "it's").unwrap().new_text, "'it''s'");
        let memo = s.entry_at_key(key(src, "memo")).unwrap();
        let out = s.remove_entry(memo).unwrap().apply(src);
        assert_eq!(out, "a:\n  x: \"1\"\n  y: 'b'\n  z: 2  # keep\n");
        let z = s.entry_at_key(key(src, "z:")).unwrap();
        assert!(s.remove_entry(z).unwrap_err().0.contains("comment"));
        let renamed = s.rename_key(z, "w").unwrap().apply(src);
        assert!(renamed.contains("  w: 2  # keep\n"));
        assert!(s.rename_key(z, "x").is_err(), "x exists");
        // A plain value that would read back as a number or break the line is quoted.
        let zv = z.value;
        assert_eq!(s.replace_scalar(zv, "3").unwrap().new_text, "\"3\"");
        assert_eq!(s.replace_scalar(zv, "a: b").unwrap().new_text, "\"a: b\"");
        assert_eq!(
            s.replace_scalar(zv, "python:3.11@sha256:ab")
                .unwrap()
                .new_text,
            "python:3.11@sha256:ab"
        );
    }
}
