//! The Argo schema, compiled by `build.rs` into static tables, and its validator: it walks the
//! spanned YAML tree as Kubernetes reads it (merge keys applied, the last of a repeated key
//! kept, `key: null` entries left out, scalars typed by go-yaml's rules), with no JSON built.
//!
//! Its errors are those jsonschema reports for the JSON view of the document
//! ([`crate::yaml::json::to_json_without_null_entries`]) validated against the kind's def:
//! the same errors, in the same order, with the same instance paths and defs. The messages
//! are worded from them, so their order is part of the output; the unit tests keep jsonschema
//! as the oracle, on every Argo document of `testdata/` and the corpus, and on mutants of each.

use crate::yaml::json::{
    is_merge_key, merged_entries, resolve_plain, unrepresentable_plain_number,
};
use crate::yaml::{NodeRef, Resolved, ScalarStyle};

/// One subschema. Only the keywords the Argo schema uses (the build fails on any other).
pub(super) struct SchemaRow {
    /// The `$defs` entry this subschema is part of (an index into [`ARGO_DEFS`]).
    def: u16,
    /// `type`, as [`TYPE_BITS`]; 0 when absent.
    types: u8,
    /// `$ref`: the row of the def it refers to.
    reference: Option<u16>,
    /// `properties`, sorted by name.
    properties: &'static [(&'static str, u16)],
    additional: Additional,
    required: &'static [&'static str],
    /// A closed object with one required field: jsonschema checks that field in its walk of
    /// the object, so it is reported after the object's other errors, not before.
    required_after_properties: bool,
    items: Option<u16>,
    any_of: &'static [u16],
}

/// `additionalProperties`.
enum Additional {
    Any,
    Closed,
    Schema(u16),
}

include!(concat!(env!("OUT_DIR"), "/argo_schema.rs"));

/// The JSON types as bits of [`SchemaRow`]'s `types` (the order `build/argo_schema.rs`
/// writes them in).
pub(super) const TYPE_BITS: [(u8, jsonschema::JsonType); 7] = [
    (1, jsonschema::JsonType::Array),
    (2, jsonschema::JsonType::Boolean),
    (4, jsonschema::JsonType::Integer),
    (8, jsonschema::JsonType::Null),
    (16, jsonschema::JsonType::Number),
    (32, jsonschema::JsonType::Object),
    (64, jsonschema::JsonType::String),
];
const INTEGER: u8 = 4;
const NUMBER: u8 = 16;

/// One error, as jsonschema would report it.
#[derive(Debug)]
pub(super) struct SchemaError<'a> {
    /// The instance path: an RFC 6901 JSON pointer.
    pub path: String,
    /// The `$defs` entry of the keyword that failed.
    pub def: &'static str,
    pub kind: ErrorKind<'a>,
    /// The value at `path`.
    pub node: NodeRef<'a>,
}

#[derive(Debug)]
pub(super) enum ErrorKind<'a> {
    /// `additionalProperties: false`: the keys the object may not have, in key order.
    Unexpected(Vec<&'a str>),
    Required(&'static str),
    /// `type`: the types allowed, as [`TYPE_BITS`].
    Type(u8),
    /// `anyOf`: no branch holds; the errors of each branch.
    AnyOf(Vec<Vec<SchemaError<'a>>>),
}

/// The fields a def declares, sorted; empty for an unknown def.
pub(super) fn fields_of(def: &str) -> impl Iterator<Item = &'static str> {
    let properties = ARGO_DEFS
        .iter()
        .position(|d| *d == def)
        .map_or(&[][..], |i| ARGO_SCHEMAS[i].properties);
    properties.iter().map(|(name, _)| *name)
}

/// The errors of an Argo document against the def of its `kind`; none when the kind is not
/// one of the schema's (`Workflow`, `WorkflowTemplate`, ...).
pub(super) fn validate(root: NodeRef<'_>) -> Vec<SchemaError<'_>> {
    let Some(row) = kind_row(root) else {
        return Vec::new();
    };
    // Room up front for a manifest's usual depth and breadth: grown from empty, the buffers
    // were reallocated several times per document.
    let mut walk = Walk {
        path: Vec::with_capacity(16),
        members: Vec::with_capacity(64),
        errors: Vec::new(),
    };
    walk.check(root, json_of(root), row);
    walk.errors
}

fn kind_row(root: NodeRef<'_>) -> Option<u16> {
    if !root.is_mapping() {
        return None;
    }
    let mut members = Vec::new();
    push_members(root, &mut members);
    let kind = members
        .into_iter()
        .find(|(key, _, _)| *key == "kind")
        .and_then(|(_, value, _)| match value.resolved() {
            Some(Resolved::Str(s)) => Some(s),
            _ => None,
        })?;
    ARGO_KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|&(_, row)| row)
}

/// A value as its JSON view types it.
#[derive(Clone, Copy, PartialEq)]
enum Json {
    Null,
    Bool,
    Int,
    Float(f64),
    Str,
    Array,
    Object,
}

#[inline]
fn json_of(node: NodeRef<'_>) -> Json {
    let Some(style) = node.style() else {
        return if node.is_mapping() {
            Json::Object
        } else {
            Json::Array
        };
    };
    // Quoted and block scalars are strings, whatever their tag; so is a plain one that
    // neither null, a boolean nor a number can be, told by its first byte and length (most
    // names, images, paths and commands): its text is typed once, here, and only when it
    // may be something else.
    if style != ScalarStyle::Plain {
        return Json::Str;
    }
    let text = node.str().unwrap_or("");
    if plain_is_string_at_a_glance(text)
        || node
            .tag()
            .is_some_and(|tag| tag.ends_with(":str") || tag == "!!str")
    {
        return Json::Str;
    }
    // A decimal integer (counts, ports, retries) without the full typing.
    if plain_is_short_decimal(text) {
        return Json::Int;
    }
    match resolve_plain(text) {
        Resolved::Null => Json::Null,
        Resolved::Bool(_) => Json::Bool,
        Resolved::Int(_) => Json::Int,
        // What JSON cannot carry is null in the JSON view.
        Resolved::Float(_) if unrepresentable_plain_number(text).is_some() => Json::Null,
        Resolved::Float(f) => Json::Float(f),
        Resolved::Str(_) => Json::Str,
    }
}

/// Whether a plain scalar reading `text` is a string at a glance, as [`resolve_plain`]
/// types it: nulls are empty, `~` or words of `n`; booleans are words of at most five
/// letters starting with one of `yYnNtTfFoO`; numbers (`.inf` and `.nan` too) start with a
/// digit, a sign or a dot, and end with a digit, a dot, `_` or a hexadecimal digit. So a
/// flag (`-c`, `--name=x`) and a quantity (`100m`, `64Mi`) are strings, as are names,
/// images, paths and commands.
#[inline]
fn plain_is_string_at_a_glance(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    match first {
        b'.' | b'~' => false,
        b'0'..=b'9' | b'+' | b'-' => {
            let flag = matches!(first, b'+' | b'-')
                && match bytes.get(1) {
                    None => true,
                    Some(b'-') => bytes.get(2).is_some_and(u8::is_ascii_alphabetic),
                    Some(b) => b.is_ascii_alphabetic(),
                };
            let last = bytes[bytes.len() - 1];
            flag || (last.is_ascii_alphabetic() && !last.is_ascii_hexdigit())
        }
        b'n' | b'N' | b'y' | b'Y' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' => text.len() > 5,
        _ => true,
    }
}

/// Whether a plain scalar reading `text` is a decimal integer that fits 64 bits: digits
/// only, at most 18 of them, without a leading zero (which would make it octal).
#[inline]
fn plain_is_short_decimal(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 18
        && (bytes[0] != b'0' || bytes.len() == 1)
        && bytes.iter().all(u8::is_ascii_digit)
}

/// Whether a value is neither a mapping nor a list: only `type` can judge it.
#[inline]
fn is_scalar(value: Json) -> bool {
    !matches!(value, Json::Object | Json::Array)
}

/// Whether a value has one of the types: an integer is a number, and a float without a
/// fraction is an integer (as JSON Schema, and jsonschema, count them).
fn has_type(types: u8, value: Json) -> bool {
    let bits = match value {
        Json::Array => 1,
        Json::Bool => 2,
        Json::Null => 8,
        Json::Object => 32,
        Json::Str => 64,
        Json::Int => INTEGER | NUMBER,
        Json::Float(f) if f.fract() == 0.0 => INTEGER | NUMBER,
        Json::Float(_) => NUMBER,
    };
    types & bits != 0
}

/// A member of a mapping: its key, its value, and how the JSON view types the value.
type Member<'a> = (&'a str, NodeRef<'a>, Json);

/// Appends a mapping's entries as its JSON view has them: merge keys applied, sorted by key,
/// the last of a repeated key kept, entries with a collection key or a null value left out.
fn push_members<'a>(node: NodeRef<'a>, out: &mut Vec<Member<'a>>) {
    let from = out.len();
    let mut merges = false;
    for (key, value) in node.entries() {
        match key.str() {
            Some("<<") if is_merge_key(key) => {
                merges = true;
                break;
            }
            Some(name) => out.push((name, value, Json::Null)),
            None => {}
        }
    }
    if merges {
        out.truncate(from);
        out.extend(
            merged_entries(node)
                .into_iter()
                .filter_map(|(k, v)| Some((k.str()?, v, Json::Null))),
        );
    }
    // Stable: of a repeated key, the last in source order ends last, and is kept; then a
    // null value leaves its key out (one pass for both).
    out[from..].sort_by(|a, b| key_order(a.0, b.0));
    let mut kept = from;
    for i in from..out.len() {
        let (key, node, _) = out[i];
        if out.get(i + 1).is_some_and(|next| next.0 == key) {
            continue;
        }
        let value = json_of(node);
        if value != Json::Null {
            out[kept] = (key, node, value);
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// The order of two keys, as `str::cmp`: decided on the first byte where that differs (most
/// keys of a mapping, and most names of a schema's properties, differ there), which saves
/// a call of `memcmp` per comparison.
#[inline]
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

struct Walk<'a> {
    path: Vec<Segment<'a>>,
    /// The members of the mappings being checked, each mapping's after its parent's (one
    /// buffer for the walk, not one per mapping).
    members: Vec<Member<'a>>,
    errors: Vec<SchemaError<'a>>,
}

impl<'a> Walk<'a> {
    fn error(&mut self, node: NodeRef<'a>, row: &SchemaRow, kind: ErrorKind<'a>) {
        let mut path = String::new();
        for segment in &self.path {
            path.push('/');
            match segment {
                Segment::Key(key) => path.push_str(&key.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => path.push_str(&i.to_string()),
            }
        }
        self.errors.push(SchemaError {
            path,
            def: ARGO_DEFS[row.def as usize],
            kind,
            node,
        });
    }

    /// Checks `node` against row `at`, its keywords in the order jsonschema runs them: `type`,
    /// `required`, `properties` with `additionalProperties`, `items`, `anyOf`, `$ref`.
    fn check(&mut self, node: NodeRef<'a>, value: Json, at: u16) {
        let row = &ARGO_SCHEMAS[at as usize];
        if row.types != 0 && !has_type(row.types, value) {
            self.error(node, row, ErrorKind::Type(row.types));
        }
        if value == Json::Object {
            self.check_object(node, row);
        }
        if let (Some(items), Json::Array) = (row.items, value) {
            let target = &ARGO_SCHEMAS[items as usize];
            let types_only = target.any_of.is_empty() && target.reference.is_none();
            for (i, item) in node.items().enumerate() {
                let json = json_of(item);
                // As for an object's members: a scalar item against a row that only types it.
                if types_only && is_scalar(json) {
                    if target.types != 0 && !has_type(target.types, json) {
                        self.path.push(Segment::Index(i));
                        self.error(item, target, ErrorKind::Type(target.types));
                        self.path.pop();
                    }
                    continue;
                }
                self.path.push(Segment::Index(i));
                self.check(item, json, items);
                self.path.pop();
            }
        }
        if !row.any_of.is_empty() {
            let mut branches = Vec::with_capacity(row.any_of.len());
            for &branch in row.any_of {
                let mut walk = Walk {
                    path: std::mem::take(&mut self.path),
                    members: std::mem::take(&mut self.members),
                    errors: Vec::new(),
                };
                walk.check(node, value, branch);
                self.path = walk.path;
                self.members = walk.members;
                if walk.errors.is_empty() {
                    branches.clear();
                    break;
                }
                branches.push(walk.errors);
            }
            if !branches.is_empty() {
                self.error(node, row, ErrorKind::AnyOf(branches));
            }
        }
        if let Some(target) = row.reference {
            self.check(node, value, target);
        }
    }

    fn check_object(&mut self, node: NodeRef<'a>, row: &SchemaRow) {
        let checks_members =
            !row.properties.is_empty() || !matches!(row.additional, Additional::Any);
        if row.required.is_empty() && !checks_members {
            return;
        }
        let from = self.members.len();
        push_members(node, &mut self.members);
        let to = self.members.len();
        if !row.required_after_properties {
            self.missing(node, row, from..to);
        }
        let mut unexpected = Vec::new();
        // Checking a member appends its own members after `to`, and takes them off again.
        // Members and properties are both sorted: each member's property is searched for
        // after the previous member's place only.
        let mut after = 0;
        for i in from..to {
            let (key, member, json) = self.members[i];
            let found = row.properties[after..].binary_search_by(|(name, _)| key_order(name, key));
            after += found.map_or_else(|at| at, |at| at + 1);
            let schema = match found {
                Ok(_) => row.properties[after - 1].1,
                Err(_) => match row.additional {
                    Additional::Any => continue,
                    Additional::Closed => {
                        unexpected.push(key);
                        continue;
                    }
                    Additional::Schema(schema) => schema,
                },
            };
            // A scalar against a row that only types it (most fields): its one keyword is
            // checked here, without a step into the member.
            let target = &ARGO_SCHEMAS[schema as usize];
            if is_scalar(json) && target.any_of.is_empty() && target.reference.is_none() {
                if target.types != 0 && !has_type(target.types, json) {
                    self.path.push(Segment::Key(key));
                    self.error(member, target, ErrorKind::Type(target.types));
                    self.path.pop();
                }
                continue;
            }
            self.path.push(Segment::Key(key));
            self.check(member, json, schema);
            self.path.pop();
        }
        if !unexpected.is_empty() {
            self.error(node, row, ErrorKind::Unexpected(unexpected));
        }
        if row.required_after_properties {
            self.missing(node, row, from..to);
        }
        self.members.truncate(from);
    }

    /// The required fields that the members in `at` lack.
    #[inline]
    fn missing(&mut self, node: NodeRef<'a>, row: &SchemaRow, at: std::ops::Range<usize>) {
        // Most objects the walk checks require nothing: that is decided where it is called.
        if row.required.is_empty() {
            return;
        }
        self.missing_of(node, row, at);
    }

    fn missing_of(&mut self, node: NodeRef<'a>, row: &SchemaRow, at: std::ops::Range<usize>) {
        for &name in row.required {
            if !self.members[at.clone()]
                .iter()
                .any(|(key, _, _)| *key == name)
            {
                self.error(node, row, ErrorKind::Required(name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{key_order, plain_is_short_decimal, plain_is_string_at_a_glance};
    use crate::yaml::json::resolve_plain;
    use crate::yaml::Resolved;

    /// Plain scalars of every kind the typing knows, and look-alikes of each.
    const PLAIN_TEXTS: &[&str] = &[
        "",
        "~",
        "~x",
        "null",
        "Null",
        "NULL",
        "nul",
        "nulls",
        "none",
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "yess",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "nope",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "False",
        "FALSE",
        "falsey",
        "on",
        "On",
        "ON",
        "one",
        "off",
        "Off",
        "OFF",
        "offset",
        "o",
        "t",
        "f",
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "-.inf",
        "-.Inf",
        ".nan",
        ".NaN",
        ".NAN",
        ".nanx",
        "0",
        "00",
        "007",
        "08",
        "0x1f",
        "0b101",
        "0o17",
        "1",
        "12",
        "123456789012345678",
        "1234567890123456789",
        "99999999999999999999",
        "1_000",
        "+1",
        "-1",
        "-",
        "+",
        ".",
        "1.5",
        "1e3",
        "1e309",
        "-0.0",
        "100m",
        "1Gi",
        "1.2.3",
        "3h",
        "name",
        "nginx:1.25",
        "python",
        "tensorflow/serving",
        "/bin/sh",
        "{{inputs.x}}",
        "$(cat x)",
        "*",
        "é",
        "échec",
        "Ñ",
        "_x",
        "@x",
        "a b",
        "trueish",
        "Offline",
        "-c",
        "--flag",
        "--flag=false",
        "--",
        "--5",
        "-5",
        "-5m",
        "+x",
        "-e5",
        "-y",
        "-.nan",
        "+.nan",
        "-.5",
        "100m",
        "64Mi",
        "1Gi",
        "30s",
        "2h",
        "0x",
        "0o",
        "0b",
        "0x1F",
        "0xfe",
        "1E",
        "1e",
        "1e-3",
        "1_",
        "9.",
        "-_",
        "-é",
        "2024-01-01",
        "10.0.0.1",
    ];

    #[test]
    fn a_plain_string_at_a_glance_is_one_the_full_typing_calls_a_string() {
        for text in PLAIN_TEXTS {
            if plain_is_string_at_a_glance(text) {
                assert!(
                    matches!(resolve_plain(text), Resolved::Str(_)),
                    "{text:?} is not a string"
                );
            }
        }
        // The shortcut takes the usual strings, not only some.
        for text in [
            "image",
            "nginx:1.25",
            "/bin/sh",
            "{{inputs.x}}",
            "trueish",
            "é",
            "-c",
            "--flag=false",
            "100m",
            "64Mi",
        ] {
            assert!(plain_is_string_at_a_glance(text), "{text:?}");
        }
        for text in ["", "~", "no", "FALSE", "off", ".inf", "-1", "1e3"] {
            assert!(!plain_is_string_at_a_glance(text), "{text:?}");
        }
    }

    #[test]
    fn a_short_decimal_is_an_integer_as_the_full_typing_reads_it() {
        for text in PLAIN_TEXTS {
            if plain_is_short_decimal(text) {
                assert_eq!(
                    resolve_plain(text),
                    Resolved::Int(text.parse().unwrap()),
                    "{text:?}"
                );
            }
        }
        for text in ["0", "1", "12", "123456789012345678"] {
            assert!(plain_is_short_decimal(text), "{text:?}");
        }
        for text in [
            "",
            "00",
            "007",
            "08",
            "1_000",
            "+1",
            "-1",
            "1.5",
            "1234567890123456789",
        ] {
            assert!(!plain_is_short_decimal(text), "{text:?}");
        }
    }

    #[test]
    fn keys_are_ordered_as_strings_are() {
        let keys = [
            "",
            "a",
            "ab",
            "b",
            "B",
            "args",
            "arguments",
            "é",
            "e",
            "image",
            "imagePullPolicy",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_order(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }
}
