//! Python scanning with a real tokenizer: comments and docstrings never match, imports and
//! aliases are followed (`import numpy as np`, `from random import sample`), and every call
//! is seen with its resolved dotted name and its arguments.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Name,
    Number,
    /// A string literal; `Range` of the token covers prefix and quotes.
    Str,
    Op,
    Newline,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    /// An operator of one byte (`(`, `.`, `=`...): that byte; 0 for any other token. The
    /// scanner compares it instead of slicing the source for each token it looks at.
    op: u8,
    /// How many string literals come before this token (of the token list it is in).
    strings_before: u32,
    /// For an opening bracket, the index of its closing one (the list's length if
    /// unclosed); 0 for any other token. Found while tokenizing, so that reading a call
    /// costs only its own arguments (not those of the calls nested in them).
    closing: u32,
    range: Range<usize>,
}

/// Bytes that continue a name: ASCII letters, digits, `_`, and any byte of a non-ASCII
/// character (one lookup per byte of the longest tokens).
const NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        b += 1;
    }
    table
};

/// What a byte starts, for the tokenizer: one lookup per token, not a chain of tests.
#[derive(Clone, Copy)]
enum Starts {
    /// An operator (or a bracket): one byte.
    Op,
    Comment,
    LineEnd,
    /// A line continuation when a line break follows, an operator otherwise.
    Backslash,
    Space,
    Quote,
    /// A name (or a string prefix): ASCII letters, `_` and any non-ASCII byte.
    Name,
    Digit,
    Semicolon,
}

const STARTS: [Starts; 256] = {
    let mut table = [Starts::Op; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = match c {
            b'#' => Starts::Comment,
            b'\n' => Starts::LineEnd,
            b'\\' => Starts::Backslash,
            b' ' | b'\t' | b'\r' | b'\x0c' => Starts::Space,
            b'"' | b'\'' => Starts::Quote,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | 0x80..=0xff => Starts::Name,
            b'0'..=b'9' => Starts::Digit,
            b';' => Starts::Semicolon,
            _ => Starts::Op,
        };
        b += 1;
    }
    table
};

/// The tokens of a Python source, with the bodies of its string literals.
struct Tokens<'a> {
    list: Vec<Token>,
    /// The body of every string literal token, in order (docstrings included).
    strings: Vec<&'a str>,
    /// How many `(` there are: room for a call each.
    opens: usize,
}

impl Tokens<'_> {
    /// How many string literals come before token `i` (all of them for `i` past the end).
    fn strings_before(&self, i: usize) -> usize {
        self.list
            .get(i)
            .map_or(self.strings.len(), |t| t.strings_before as usize)
    }

    /// The index of the bracket that closes the one at `open`.
    fn closing(&self, open: usize) -> usize {
        self.list[open].closing as usize
    }
}

/// Tokenizes Python source (`src`, which starts at byte `base` of the text that token
/// ranges are given in). Never fails: unknown bytes become operators, an unterminated
/// string runs to the end of the line (or file, for triple quotes). The bracket structure
/// and the string bodies are found in the same pass.
fn tokenize(src: &str, base: usize) -> Tokens<'_> {
    let b = src.as_bytes();
    // About one token in three bytes of typical Python: one allocation, seldom two.
    let mut out: Vec<Token> = Vec::with_capacity(src.len() / 3 + 8);
    // A literal in some 50 bytes, brackets seldom nested 16 deep: room up front, not grown
    // push by push.
    let mut strings: Vec<&str> = Vec::with_capacity(src.len() / 48 + 4);
    let mut open: Vec<u32> = Vec::with_capacity(16);
    let mut opens = 0;
    let mut i = 0;
    let mut depth = 0i32; // inside (), [], {} newlines do not end a statement
    let token = |kind: Kind, op: u8, strings: &Vec<&str>, range: Range<usize>| Token {
        kind,
        op,
        strings_before: strings.len() as u32,
        closing: 0,
        range: base + range.start..base + range.end,
    };
    while i < b.len() {
        let c = b[i];
        match STARTS[c as usize] {
            // A comment runs to the line end: one search for it (`#` is ASCII, a boundary).
            Starts::Comment => i = src[i..].find('\n').map_or(b.len(), |n| i + n),
            Starts::LineEnd => {
                if depth == 0 {
                    out.push(token(Kind::Newline, 0, &strings, i..i + 1));
                }
                i += 1;
            }
            Starts::Backslash if b.get(i + 1) == Some(&b'\n') => i += 2,
            // A run of white space (indentation) at once, not a byte per turn of the loop.
            Starts::Space => {
                i += 1;
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\x0c') {
                    i += 1;
                }
            }
            Starts::Quote => {
                let end = string_end(b, i);
                out.push(token(Kind::Str, 0, &strings, i..end));
                strings.push(string_body(src, &(i..end)));
                i = end;
            }
            Starts::Name => {
                let start = i;
                i = b[i + 1..]
                    .iter()
                    .position(|&n| !NAME_BYTE[n as usize])
                    .map_or(b.len(), |n| i + 1 + n);
                // String prefixes: r"", b'', f"", rb"", u''...
                if i < b.len()
                    && (b[i] == b'"' || b[i] == b'\'')
                    && i - start <= 2
                    && b[start..i]
                        .iter()
                        .all(|ch| matches!(ch.to_ascii_lowercase(), b'r' | b'b' | b'f' | b'u'))
                {
                    let end = string_end(b, i);
                    out.push(token(Kind::Str, 0, &strings, start..end));
                    strings.push(string_body(src, &(start..end)));
                    i = end;
                    continue;
                }
                out.push(token(Kind::Name, 0, &strings, start..i));
            }
            Starts::Digit => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                out.push(token(Kind::Number, 0, &strings, start..i));
            }
            // `a; b` is two statements.
            Starts::Semicolon if depth == 0 => {
                out.push(token(Kind::Newline, 0, &strings, i..i + 1));
                i += 1;
            }
            Starts::Op | Starts::Backslash | Starts::Semicolon => {
                match c {
                    b'(' | b'[' | b'{' => {
                        depth += 1;
                        opens += usize::from(c == b'(');
                        open.push(out.len() as u32);
                    }
                    // Any closer ends the innermost bracket, as `depth` counts.
                    b')' | b']' | b'}' => {
                        depth = (depth - 1).max(0);
                        if let Some(o) = open.pop() {
                            out[o as usize].closing = out.len() as u32;
                        }
                    }
                    _ => {}
                }
                // An ASCII byte (the others start names): one byte, one operator.
                out.push(token(Kind::Op, c, &strings, i..i + 1));
                i += 1;
            }
        }
    }
    for o in open {
        out[o as usize].closing = out.len() as u32;
    }
    visited(out.len());
    Tokens {
        list: out,
        strings,
        opens,
    }
}

/// End (exclusive) of the string literal whose opening quote is at `start`.
fn string_end(b: &[u8], start: usize) -> usize {
    let q = b[start];
    let triple = b.get(start + 1) == Some(&q) && b.get(start + 2) == Some(&q);
    let mut i = start + if triple { 3 } else { 1 };
    while i < b.len() {
        // Only a backslash, the quote and (for one quote) a line break need a look.
        i = if triple {
            crate::bytes::first_of(b, i, [b'\\', q])
        } else {
            crate::bytes::first_of(b, i, [b'\\', q, b'\n'])
        };
        let Some(&c) = b.get(i) else {
            break;
        };
        match c {
            b'\\' => i += 2,
            c if c == q => {
                if !triple {
                    return i + 1;
                }
                if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                    return i + 3;
                }
                i += 1;
            }
            b'\n' if !triple => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// The text inside a string token's quotes.
fn string_body<'a>(src: &'a str, range: &Range<usize>) -> &'a str {
    let tok = &src[range.clone()];
    // Most literals have no prefix: their first byte is the quote.
    let quote_at = match tok.as_bytes().first() {
        Some(b'"' | b'\'') => 0,
        _ => tok.find(['"', '\'']).unwrap_or(0),
    };
    let q = &tok[quote_at..];
    let n = if q.starts_with("\"\"\"") || q.starts_with("'''") {
        3
    } else {
        1
    };
    let start = quote_at + n;
    let end = tok.len().saturating_sub(n).max(start);
    let end = if tok.len() >= start + n && tok[..].ends_with(&q[..n]) {
        end
    } else {
        tok.len()
    };
    &tok[start..end]
}

/// A call seen in the source: `np.random.default_rng(seed)` resolves to
/// `numpy.random.default_rng` with one positional argument.
///
/// Its arguments (`positional`, `keywords`) are read by [`scan`]; [`scan_names`] leaves
/// them for [`Scan::read_arguments`], for the few calls that a row may match.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// The dotted name as resolved through imports (`numpy.random.default_rng`).
    pub name: Cow<'a, str>,
    /// The dotted name as written (`np.random.default_rng`).
    pub written: Cow<'a, str>,
    /// Byte range of the written name.
    pub range: Range<usize>,
    positional: usize,
    /// Keyword arguments with the source text of their value.
    keywords: Vec<(&'a str, &'a str)>,
    /// Have the arguments been read?
    arguments_read: bool,
    /// Where the arguments are: the token list of the scan that has them
    /// ([`Scan::token_lists`]) and the index of the opening parenthesis in it.
    tokens: (u32, u32),
    /// String literals among the arguments, at any depth (bodies, without quotes): indices
    /// into [`Scan::arg_strings`]. A range, not a list: calls nest (`f(g(h("x")))`), and a
    /// list per call would copy the inner strings once per enclosing call.
    pub string_args: Range<usize>,
    /// Byte range from the opening to the closing parenthesis.
    pub args: Range<usize>,
    /// The variable the statement assigns (`wait = base * random.uniform(1, 2)`).
    pub assigned_to: Option<&'a str>,
}

/// The first component of a dotted name (`np` of `np.random.seed`): names are short, and a
/// plain walk beats a search set up for long texts (as [`Call::method`]).
pub fn head(name: &str) -> &str {
    match name.as_bytes().iter().position(|&b| b == b'.') {
        Some(dot) => &name[..dot],
        None => name,
    }
}

impl Call<'_> {
    /// The source text of the value of keyword argument `name`.
    pub fn keyword(&self, name: &str) -> Option<&str> {
        debug_assert!(self.arguments_read, "arguments of `{}` not read", self.name);
        self.keywords
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    /// How many positional arguments the call has (`*args` and `**kwargs` are none).
    pub fn positional(&self) -> usize {
        debug_assert!(self.arguments_read, "arguments of `{}` not read", self.name);
        self.positional
    }

    /// The last component of the name (`default_rng`).
    pub fn method(&self) -> &str {
        // Names are short: a plain walk back beats a search set up for long texts.
        match self.name.as_bytes().iter().rposition(|&b| b == b'.') {
            Some(dot) => &self.name[dot + 1..],
            None => &self.name,
        }
    }
}

/// A string literal that is not a docstring.
#[derive(Clone, Debug)]
pub struct StrLit<'a> {
    /// One literal's body is borrowed; adjacent literals are joined.
    pub body: Cow<'a, str>,
    /// Byte range of the body in the source.
    pub range: Range<usize>,
    /// `url = "https://..."`: the variable the literal is assigned to.
    pub assigned_to: Option<&'a str>,
}

/// What a Python module does, as far as the classifiers care.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    pub calls: Vec<Call<'a>>,
    /// Every string literal token in source order (bodies, without quotes);
    /// [`Call::string_args`] indexes it.
    pub arg_strings: Vec<&'a str>,
    pub strings: Vec<StrLit<'a>>,
    /// Modules imported (resolved), with the range of the import statement's name: as
    /// written, unless spaced (`a . b`).
    pub imports: Vec<(Cow<'a, str>, Range<usize>)>,
    /// Names bound by imports (`np` -> `numpy`): a call on one of them is on a module, not
    /// on a value.
    pub aliases: HashMap<Cow<'a, str>, Cow<'a, str>>,
    /// The tokens of the program (first) and of each f-string field with code, kept for
    /// the arguments read later.
    token_lists: Vec<Vec<Token>>,
    src: &'a str,
}

impl<'a> Scan<'a> {
    /// Reads the arguments of call `i`, if they were not yet.
    pub fn read_arguments(&mut self, i: usize) {
        let call = &mut self.calls[i];
        if call.arguments_read {
            return;
        }
        let (list, open) = call.tokens;
        read_arguments(
            self.src,
            &self.token_lists[list as usize],
            open as usize,
            call,
        );
    }

    /// The string literals among `call`'s arguments.
    pub fn string_args(&self, call: &Call) -> &[&'a str] {
        &self.arg_strings[call.string_args.clone()]
    }

    /// Answers "the first string argument of a call that satisfies `pred`" in constant time
    /// per call, `pred` run once per literal: calls nest, and searching each call's
    /// arguments would be quadratic in the nesting depth.
    pub fn first_string_arg(&self, pred: impl Fn(&str) -> bool) -> FirstStringArg<'_, 'a> {
        let mut next = vec![u32::MAX; self.arg_strings.len() + 1];
        for k in (0..self.arg_strings.len()).rev() {
            next[k] = if pred(self.arg_strings[k]) {
                k as u32
            } else {
                next[k + 1]
            };
        }
        FirstStringArg {
            strings: &self.arg_strings,
            next,
        }
    }
}

/// See [`Scan::first_string_arg`].
pub struct FirstStringArg<'s, 'a> {
    strings: &'s [&'a str],
    /// `next[k]`: the first index at or after `k` whose literal satisfies the predicate.
    next: Vec<u32>,
}

impl<'a> FirstStringArg<'_, 'a> {
    /// Does any literal of the program satisfy the predicate?
    pub fn any(&self) -> bool {
        self.next.first().is_some_and(|&k| k != u32::MAX)
    }

    pub fn find(&self, call: &Call) -> Option<&'a str> {
        let k = *self.next.get(call.string_args.start)? as usize;
        (k < call.string_args.end).then(|| self.strings[k])
    }
}

/// Scans Python source, with the arguments of every call.
pub fn scan(src: &str) -> Scan<'_> {
    scan_with(src, true)
}

/// Scans Python source; the arguments of a call are read when asked
/// ([`Scan::read_arguments`]).
pub fn scan_names(src: &str) -> Scan<'_> {
    scan_with(src, false)
}

fn scan_with(src: &str, arguments: bool) -> Scan<'_> {
    let mut aliases = Aliases::default();
    let mut out = scan_tokens(src, tokenize(src, 0), &mut aliases, arguments);
    out.calls.sort_by_key(|c| c.range.start);
    out.aliases = aliases.names;
    out
}

/// `{expr}` parts of an f-string token (byte ranges in the source), `{{` skipped.
fn fstring_fields(src: &str, range: &Range<usize>) -> Vec<Range<usize>> {
    let tok = &src[range.clone()];
    // Most literals have no prefix (their first byte is the quote): no f-string.
    if matches!(tok.as_bytes().first(), Some(b'"' | b'\'')) {
        return Vec::new();
    }
    let prefix_end = tok.find(['"', '\'']).unwrap_or(0);
    if !tok.as_bytes()[..prefix_end]
        .iter()
        .any(|&b| (b | 0x20) == b'f')
    {
        return Vec::new();
    }
    let b = tok.as_bytes();
    let mut out = Vec::new();
    let mut i = prefix_end;
    while i < b.len() {
        if b[i] == b'{' {
            if b.get(i + 1) == Some(&b'{') {
                i += 2;
                continue;
            }
            let start = i + 1;
            let mut depth = 1;
            let mut j = start;
            while j < b.len() && depth > 0 {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            // Up to the closing `}` (ASCII, so a char boundary); an unclosed field runs to
            // the end of the token, never into the middle of its last character.
            let end = if depth == 0 { j - 1 } else { b.len() };
            out.push(range.start + start..range.start + end.max(start));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn scan_tokens<'a>(
    src: &'a str,
    shape: Tokens<'a>,
    aliases: &mut Aliases<'a>,
    arguments: bool,
) -> Scan<'a> {
    let mut out = Scan {
        src,
        ..Scan::default()
    };
    // Room for every literal and for a call per `(`, once (not grown push by push).
    out.strings.reserve(shape.strings.len());
    out.calls.reserve(shape.opens);
    let mut fields: Vec<Range<usize>> = Vec::new();
    let text = |t: &Token| &src[t.range.clone()];
    let tokens = &shape.list[..];
    let mut statement_start = 0;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        // Operators, numbers and line ends start nothing the scan records (half the tokens).
        // Every line end is looked at here (no step of the scan goes past one): the token
        // after it starts a statement.
        if !matches!(t.kind, Kind::Name | Kind::Str) {
            if t.kind == Kind::Newline {
                statement_start = i + 1;
            }
            i += 1;
            continue;
        }
        let at_statement_start = i == statement_start;
        if at_statement_start && t.kind == Kind::Name && (text(t) == "import" || text(t) == "from")
        {
            i = read_import(src, tokens, i, aliases, &mut out.imports);
            continue;
        }
        if t.kind == Kind::Str {
            // Adjacent literals are one string: `"INSERT ... " "ON CONFLICT ..."`.
            let mut last = i;
            while tokens.get(last + 1).is_some_and(|n| n.kind == Kind::Str) {
                last += 1;
            }
            for tok in &tokens[i..=last] {
                fields.extend(fstring_fields(src, &tok.range));
            }
            // A string alone on its statement is a docstring or a bare comment-string.
            let alone =
                at_statement_start && tokens.get(last + 1).is_none_or(|n| n.kind == Kind::Newline);
            if !alone {
                let mut body = Cow::Borrowed("");
                let mut first_at = None;
                let mut end_at = 0;
                for tok in &tokens[i..=last] {
                    // The body the tokenizer found (a literal's own index among them), a
                    // slice of `src`: where it starts is where it lies in `src`.
                    let part = shape.strings[tok.strings_before as usize];
                    let at = part.as_ptr() as usize - src.as_ptr() as usize;
                    first_at.get_or_insert(at);
                    end_at = at + part.len();
                    if body.is_empty() {
                        body = Cow::Borrowed(part);
                    } else {
                        body.to_mut().push_str(part);
                    }
                }
                let at = first_at.unwrap_or(t.range.start);
                let assigned_to = (i >= 2
                    && tokens[i - 1].op == b'='
                    && tokens[i - 2].kind == Kind::Name
                    && (i == 2 || tokens[i - 3].kind == Kind::Newline))
                    .then(|| text(&tokens[i - 2]));
                out.strings.push(StrLit {
                    body,
                    range: at..end_at.max(at),
                    assigned_to,
                });
            }
            i = last + 1;
            continue;
        }
        // A method called on an expression: `boto3.client("sns").publish(...)`, also
        // through attributes: `df.write.mode("append")` after a call (`).write.mode(`).
        // Only before `(`: a walk back from every attribute would be quadratic in a chain.
        let calls_next = tokens.get(i + 1).is_some_and(|n| n.op == b'(');
        let mut back = i;
        while calls_next
            && t.kind == Kind::Name
            && back >= 3
            && tokens[back - 1].op == b'.'
            && tokens[back - 2].kind == Kind::Name
            && tokens[back - 3].op == b'.'
        {
            back -= 2;
        }
        let chained = back >= 2
            && t.kind == Kind::Name
            && tokens[back - 1].op == b'.'
            && matches!(tokens[back - 2].op, b')' | b']');
        if chained && calls_next {
            let mut name = String::from("<expr>.");
            name.extend(tokens[back..=i].iter().map(text));
            let at = (statement_start, i, i);
            let written = Cow::Borrowed(text(t));
            let mut call = read_call(src, &shape, at, written, aliases, arguments);
            call.name = Cow::Owned(name);
            out.calls.push(call);
            i += 1;
            continue;
        }
        if t.kind == Kind::Name && !(i > 0 && tokens[i - 1].op == b'.') {
            // A dotted name: a.b.c
            let start = i;
            let mut end = i;
            while end + 2 < tokens.len()
                && tokens[end + 1].op == b'.'
                && tokens[end + 2].kind == Kind::Name
            {
                end += 2;
            }
            // Called, and not defined (`def f(`): the name is looked at only when a `(` follows.
            let called = tokens.get(end + 1).is_some_and(|n| n.op == b'(')
                && !(i > 0 && matches!(text(&tokens[i - 1]), "def" | "class"));
            if called {
                // `a.b.c` as written: one slice of the source unless spaced (`a . b`).
                let (from, to) = (tokens[start].range.start, tokens[end].range.end);
                let compact: usize = tokens[start..=end].iter().map(|t| t.range.len()).sum();
                let written = if compact == to - from {
                    Cow::Borrowed(&src[from..to])
                } else {
                    Cow::Owned(tokens[start..=end].iter().map(text).collect())
                };
                let at = (statement_start, start, end);
                out.calls
                    .push(read_call(src, &shape, at, written, aliases, arguments));
                // Continue inside the arguments: nested calls count too.
                i = end + 1;
                continue;
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    out.arg_strings = shape.strings;
    // The program's tokens are list 0 of this scan, as its calls say.
    out.token_lists.push(shape.list);
    // Expressions inside f-strings are code too: `f"model-{uuid.uuid4()}"`.
    for field in fields {
        let Some(field_text) = src.get(field.clone()) else {
            continue;
        };
        let nested = scan_tokens(src, tokenize(field_text, field.start), aliases, arguments);
        let base = out.arg_strings.len();
        let lists = out.token_lists.len() as u32;
        out.arg_strings.extend(nested.arg_strings);
        out.token_lists.extend(nested.token_lists);
        out.calls.extend(nested.calls.into_iter().map(|mut call| {
            call.string_args = base + call.string_args.start..base + call.string_args.end;
            call.tokens.0 += lists;
            call
        }));
    }
    out
}

/// The names imports bind, as they are bound: a call is resolved with those bound before it.
#[derive(Default)]
struct Aliases<'a> {
    /// Names and modules as written where they can be (`import pandas as pd`), made only
    /// for `from a import b` (`a.b`).
    names: HashMap<Cow<'a, str>, Cow<'a, str>>,
    /// A bit per shape of the names bound ([`Aliases::shape`]): most names a program calls
    /// are bound by no import, and are told so without hashing them.
    shapes: u64,
}

impl<'a> Aliases<'a> {
    /// One of 64 bits, by a name's first byte and length.
    fn shape(name: &str) -> u64 {
        let first = name.as_bytes().first().map_or(0, |&b| usize::from(b));
        1 << (first.wrapping_mul(7).wrapping_add(name.len()) % 64)
    }

    fn insert(&mut self, name: Cow<'a, str>, full: Cow<'a, str>) {
        self.shapes |= Aliases::shape(&name);
        self.names.insert(name, full);
    }

    fn get(&self, name: &str) -> Option<&Cow<'a, str>> {
        if self.shapes & Aliases::shape(name) == 0 {
            return None;
        }
        self.names.get(name)
    }
}

fn resolve<'a>(written: &Cow<'a, str>, aliases: &Aliases<'a>) -> Cow<'a, str> {
    let head = head(written);
    let rest = written.get(head.len() + 1..);
    match (aliases.get(head), rest) {
        // `import os` maps `os` to itself: the name as written is the name.
        (Some(full), _) if full == head => written.clone(),
        (Some(full), Some(rest)) => Cow::Owned([full, ".", rest].concat()),
        (Some(full), None) => full.clone(),
        (None, _) => written.clone(),
    }
}

fn read_import<'a>(
    src: &'a str,
    tokens: &[Token],
    start: usize,
    aliases: &mut Aliases<'a>,
    imports: &mut Vec<(Cow<'a, str>, Range<usize>)>,
) -> usize {
    let text = |i: usize| &src[tokens[i].range.clone()];
    let mut end = start;
    while end < tokens.len() && tokens[end].kind != Kind::Newline {
        end += 1;
    }
    // `a.b.c` (or `.relative`): names joined by dots, stopping at `as`, `import`, `,`. The
    // name is the text of the tokens read: one slice of the source unless spaced.
    let dotted = |from: usize| -> (Cow<'a, str>, usize) {
        let mut j = from;
        while j < end && text(j) == "." {
            j += 1;
        }
        while j < end && tokens[j].kind == Kind::Name && !matches!(text(j), "as" | "import") {
            j += 1;
            if j + 1 < end && text(j) == "." && tokens[j + 1].kind == Kind::Name {
                j += 1;
            } else {
                break;
            }
        }
        let read = &tokens[from..j];
        let name = match (read.first(), read.last()) {
            (Some(first), Some(last))
                if read.iter().map(|t| t.range.len()).sum::<usize>()
                    == last.range.end - first.range.start =>
            {
                Cow::Borrowed(&src[first.range.start..last.range.end])
            }
            (Some(_), Some(_)) => Cow::Owned((from..j).map(text).collect()),
            _ => Cow::Borrowed(""),
        };
        (name, j)
    };
    if text(start) == "import" {
        // import a.b as c, d
        let mut j = start + 1;
        while j < end {
            let (module, next) = dotted(j);
            let range = tokens[j].range.clone();
            j = next;
            if j + 1 < end && text(j) == "as" {
                aliases.insert(Cow::Borrowed(text(j + 1)), module.clone());
                j += 2;
            } else {
                let head = match &module {
                    Cow::Borrowed(module) => Cow::Borrowed(head(module)),
                    Cow::Owned(module) => Cow::Owned(head(module).to_string()),
                };
                aliases.insert(head.clone(), head);
            }
            if !module.is_empty() {
                imports.push((module, range));
            }
            if j < end && text(j) == "," {
                j += 1;
            } else {
                break;
            }
        }
    } else {
        // from a.b import c as d, e
        let (module, mut j) = dotted(start + 1);
        if j < end && text(j) == "import" {
            imports.push((
                module.clone(),
                tokens[(start + 1).min(end.saturating_sub(1))].range.clone(),
            ));
            j += 1;
            while j < end {
                if matches!(text(j), "(" | ")" | ",") {
                    j += 1;
                    continue;
                }
                if tokens[j].kind != Kind::Name {
                    j += 1;
                    continue;
                }
                let name = text(j);
                let full = Cow::Owned([&*module, ".", name].concat());
                if j + 2 < end && text(j + 1) == "as" {
                    aliases.insert(Cow::Borrowed(text(j + 2)), full);
                    j += 3;
                } else {
                    aliases.insert(Cow::Borrowed(name), full);
                    j += 1;
                }
            }
        }
    }
    end
}

// Tokens visited while reading calls, counted in tests: the scan must stay linear in the
// source, whatever its nesting (a call's arguments are read once, not once per enclosing
// call, and no call walks back to its statement's start).
#[cfg(test)]
thread_local! {
    static TOKENS_VISITED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn visited(n: usize) {
    #[cfg(test)]
    TOKENS_VISITED.with(|v| v.set(v.get() + n));
    #[cfg(not(test))]
    let _ = n;
}

/// Reads the call whose dotted name spans tokens `start..=end` (followed by `(`), in the
/// statement that starts at token `statement`; its arguments too if `arguments`.
fn read_call<'a>(
    src: &'a str,
    shape: &Tokens,
    (statement, start, end): (usize, usize, usize),
    written: Cow<'a, str>,
    aliases: &Aliases<'a>,
    arguments: bool,
) -> Call<'a> {
    let tokens = &shape.list;
    let text = |i: usize| &src[tokens[i].range.clone()];
    let open = end + 1;
    let close = shape.closing(open);
    let mut call = Call {
        name: resolve(&written, aliases),
        written,
        range: tokens[start].range.start..tokens[end].range.end,
        positional: 0,
        keywords: Vec::new(),
        arguments_read: false,
        tokens: (0, open as u32),
        string_args: shape.strings_before(open)..shape.strings_before(close),
        args: tokens[open].range.start..tokens.get(close).map_or(src.len(), |t| t.range.end),
        assigned_to: None,
    };
    // `name = ...` at the start of the statement?
    if statement + 1 < start
        && tokens[statement].kind == Kind::Name
        && tokens[statement + 1].op == b'='
    {
        call.assigned_to = Some(text(statement));
    }
    if arguments {
        read_arguments(src, tokens, open, &mut call);
    }
    call
}

/// Reads the arguments of `call`, whose `(` is token `open`.
fn read_arguments<'a>(src: &'a str, tokens: &[Token], open: usize, call: &mut Call<'a>) {
    let close = tokens[open].closing as usize;
    // Arguments: split at the commas between them, stepping over nested brackets whole.
    let mut j = open + 1;
    let mut arg_start = j;
    while j < close {
        visited(1);
        if tokens[j].op == b',' {
            classify_arg(src, tokens, arg_start, j, call);
            arg_start = j + 1;
        } else if matches!(tokens[j].op, b'(' | b'[' | b'{') {
            j = tokens[j].closing as usize;
        }
        j += 1;
    }
    if arg_start < close.min(tokens.len()) {
        classify_arg(src, tokens, arg_start, close.min(tokens.len()), call);
    }
    call.arguments_read = true;
}

fn classify_arg<'a>(src: &'a str, tokens: &[Token], from: usize, to: usize, call: &mut Call<'a>) {
    if from >= to {
        return;
    }
    let text = |i: usize| &src[tokens[i].range.clone()];
    if to - from >= 2 && tokens[from].kind == Kind::Name && tokens[from + 1].op == b'=' {
        let value_start = tokens
            .get(from + 2)
            .map_or(tokens[from].range.end, |t| t.range.start);
        let value_end = tokens[to - 1].range.end.max(value_start);
        call.keywords
            .push((text(from), src[value_start..value_end].trim()));
    } else if !(text(from) == "*" || text(from) == "**") {
        call.positional += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_aliases_and_from_imports() {
        let src = "import numpy as np\nfrom random import sample as pick\nfrom sklearn.model_selection import (\n    train_test_split,\n)\nrng = np.random.default_rng()\nx = pick(items, 3)\na, b = train_test_split(df, test_size=0.2, random_state=seed)\n";
        let scan = scan(src);
        let names: Vec<&str> = scan.calls.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "numpy.random.default_rng",
                "random.sample",
                "sklearn.model_selection.train_test_split"
            ]
        );
        assert_eq!(scan.calls[0].positional, 0);
        assert_eq!(scan.calls[1].positional, 2);
        assert_eq!(scan.calls[2].keyword("random_state"), Some("seed"));
        assert_eq!(&src[scan.calls[0].range.clone()], "np.random.default_rng");
    }

    /// A name is bound when the map holds it, whatever its shape says first.
    #[test]
    fn aliases_find_what_their_map_holds() {
        let mut aliases = Aliases::default();
        let bound = ["np", "pd", "os", "dsl", "*", "\u{e9}t\u{e9}", "sample", "a"];
        for name in bound {
            aliases.insert(Cow::Borrowed(name), Cow::Owned(format!("full.{name}")));
        }
        let asked = bound.iter().copied().chain([
            "", "n", "np2", "print", "osx", "b", "sampl", "\u{e9}", "dsL",
        ]);
        for name in asked {
            assert_eq!(aliases.get(name), aliases.names.get(name), "{name:?}");
        }
        assert_eq!(aliases.get("np").map(|f| f.as_ref()), Some("full.np"));
    }

    /// Operators are one byte each and carry it; no other token does (a non-ASCII
    /// character is part of a name, never an operator).
    #[test]
    fn operators_carry_their_byte() {
        let src = "a.b(c, d=1)[x] ** \u{e9}t\u{e9} \u{2014} 'q' # c\n";
        let tokens: Vec<(Kind, &str, u8)> = tokenize(src, 0)
            .list
            .iter()
            .map(|t| (t.kind, &src[t.range.clone()], t.op))
            .collect();
        for (kind, text, op) in &tokens {
            if *kind == Kind::Op {
                assert_eq!(text.as_bytes(), [*op], "{tokens:?}");
            } else {
                assert_eq!(*op, 0, "{tokens:?}");
            }
        }
        let ops: String = tokens
            .iter()
            .filter(|t| t.2 != 0)
            .map(|t| t.2 as char)
            .collect();
        assert_eq!(ops, ".(,=)[]**");
        assert!(tokens.contains(&(Kind::Name, "\u{e9}t\u{e9}", 0)));
        assert!(tokens.contains(&(Kind::Name, "\u{2014}", 0)));
    }

    #[test]
    fn comments_and_docstrings_never_match() {
        let src = "def f():\n    \"\"\"Uses random.shuffle on the data.\"\"\"\n    # random.random() here\n    return 'random.random()'\n";
        let scan = scan(src);
        assert!(scan.calls.is_empty(), "{:?}", scan.calls);
        assert_eq!(scan.strings.len(), 1);
        assert_eq!(scan.strings[0].body, "random.random()");
    }

    #[test]
    fn calls_inside_fstrings_count() {
        let src = "import uuid\nname = f'model-{uuid.uuid4()}-{{literal}}'\ntime.sleep(random.uniform(1, 2))\n";
        let scan = scan(src);
        let names: Vec<&str> = scan.calls.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(names, ["uuid.uuid4", "time.sleep", "random.uniform"]);
        assert_eq!(&src[scan.calls[0].range.clone()], "uuid.uuid4");
        let sleep = &scan.calls[1];
        assert!(
            sleep.args.start < scan.calls[2].range.start
                && scan.calls[2].range.end < sleep.args.end
        );
    }

    #[test]
    fn nested_calls_and_strings_in_arguments() {
        let src = "requests.post(url, json=dict(a=uuid.uuid4()))\ncur.execute(\"INSERT INTO runs VALUES (%s)\", (x,))\n";
        let scan = scan(src);
        let names: Vec<&str> = scan.calls.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(
            names,
            ["requests.post", "dict", "uuid.uuid4", "cur.execute"]
        );
        assert_eq!(
            scan.string_args(&scan.calls[3]),
            ["INSERT INTO runs VALUES (%s)"]
        );
    }

    /// Arguments read when asked are those a full scan reads, for the calls of the program
    /// and of its f-string fields alike; a scan of names reads none.
    #[test]
    fn arguments_read_later_are_those_of_a_full_scan() {
        let src = "import requests as r\nx = r.get(u, timeout=5, *a, **k)\nname = f'{r.post(\"s3://b\", json=d)}'\nf(g(1, h=2), y=[1, 2])\n";
        let full = scan(src);
        let shown = |c: &Call<'_>| {
            let keywords: Vec<(String, String)> = c
                .keywords
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (c.name.to_string(), c.positional(), keywords)
        };
        let owned = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let read: Vec<_> = full.calls.iter().map(shown).collect();
        assert_eq!(
            read,
            [
                ("requests.get".to_string(), 1, owned("timeout", "5")),
                ("requests.post".to_string(), 1, owned("json", "d")),
                ("f".to_string(), 1, owned("y", "[1, 2]")),
                ("g".to_string(), 1, owned("h", "2")),
            ]
        );
        let mut names = scan_names(src);
        assert!(names.calls.iter().all(|c| !c.arguments_read));
        for i in (0..names.calls.len()).rev() {
            names.read_arguments(i);
            names.read_arguments(i);
        }
        assert_eq!(names.calls.iter().map(shown).collect::<Vec<_>>(), read);
    }

    /// [`string_end`] as a walk byte by byte: the reference for the one that skips ahead.
    fn string_end_byte_by_byte(b: &[u8], start: usize) -> usize {
        let q = b[start];
        let triple = b.get(start + 1) == Some(&q) && b.get(start + 2) == Some(&q);
        let mut i = start + if triple { 3 } else { 1 };
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                c if c == q => {
                    if !triple {
                        return i + 1;
                    }
                    if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                        return i + 3;
                    }
                    i += 1;
                }
                b'\n' if !triple => return i,
                _ => i += 1,
            }
        }
        b.len()
    }

    /// Every literal of up to five pieces after an opening quote (one or three, either
    /// kind), alone or followed by more text, ends where the walk byte by byte ends it.
    #[test]
    fn strings_end_where_a_byte_walk_ends_them() {
        const PIECES: [&str; 7] = ["\"", "'", "\\", "\n", "a", "\u{e9}", "abcdefghij"];
        let mut bodies = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|b| PIECES.iter().map(move |p| format!("{b}{p}")))
                .collect();
            bodies.extend(last.iter().cloned());
        }
        for body in &bodies {
            for open in ["\"", "'", "\"\"\"", "'''"] {
                for tail in ["", "0123456789abcdef\"'\n"] {
                    let src = format!("{open}{body}{tail}");
                    assert_eq!(
                        string_end(src.as_bytes(), 0),
                        string_end_byte_by_byte(src.as_bytes(), 0),
                        "{src:?}"
                    );
                }
            }
        }
    }

    /// Tokens visited by [`scan`] on `src`.
    fn work(src: &str) -> usize {
        TOKENS_VISITED.with(|v| v.set(0));
        let scan = scan(src);
        assert!(!scan.calls.is_empty());
        TOKENS_VISITED.with(|v| v.get())
    }

    /// Each shape of source, at n and 2n: twice the source, at most a little over twice
    /// the work (quadratic work would be four times).
    #[test]
    fn work_is_linear_in_nesting_and_in_statement_length() {
        type Case = (&'static str, fn(usize) -> String);
        let shapes: [Case; 4] = [
            ("nested calls", |n| {
                "x = ".to_string() + &"f(random.random(), 's3://b', ".repeat(n) + &")".repeat(n)
            }),
            ("nested brackets in one call", |n| {
                "x = f(".to_string() + &"[(".repeat(n) + &")]".repeat(n) + ")"
            }),
            ("a long list of calls in one statement", |n| {
                "x = [".to_string() + &"random.random(), ".repeat(n) + "]"
            }),
            ("chained calls", |n| {
                "x = f()".to_string() + &".g(1)".repeat(n)
            }),
        ];
        for (what, make) in shapes {
            let (small, large) = (work(&make(2_000)), work(&make(4_000)));
            assert!(
                large <= small * 2 + 100,
                "{what}: {small} tokens visited for n, {large} for 2n"
            );
        }
    }

    #[test]
    fn nested_calls_see_the_strings_of_their_arguments_at_any_depth() {
        let src = "requests.get(os.path.join('s3://b', name), f('x'))\nopen(path)\n";
        let scan = scan(src);
        let args: Vec<(&str, &[&str])> = scan
            .calls
            .iter()
            .map(|c| (c.name.as_ref(), scan.string_args(c)))
            .collect();
        assert_eq!(
            args,
            [
                ("requests.get", &["s3://b", "x"][..]),
                ("os.path.join", &["s3://b"][..]),
                ("f", &["x"][..]),
                ("open", &[][..]),
            ]
        );
        let remote = scan.first_string_arg(|s| s.starts_with("s3://"));
        let found: Vec<Option<&str>> = scan.calls.iter().map(|c| remote.find(c)).collect();
        assert_eq!(found, [Some("s3://b"), Some("s3://b"), None, None]);
        // An unclosed call runs to the end of the source.
        let scan = super::scan("f(a, 'x', g('y'");
        assert_eq!(scan.string_args(&scan.calls[0]), ["x", "y"]);
        assert_eq!(scan.calls[0].positional, 3);
    }
}
