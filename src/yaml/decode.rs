//! Maps offsets in a scalar's decoded text back to the source.
//!
//! The KFP compiler writes every embedded Python source as one double-quoted scalar with `\n`
//! escapes and `\` line continuations; a rule that found something on line 12 of that Python
//! must point at the right place in the YAML. The map is built on demand (only when a rule
//! asks), by decoding the raw scalar again and recording where each run of output came from.

use super::tree::{ScalarStyle, Span};

/// Checkpoints `(decoded offset, source offset)`: between two checkpoints, decoded bytes are
/// copied one-to-one from the source.
#[derive(Debug, Clone)]
pub struct OffsetMap {
    points: Vec<(u32, u32)>,
    decoded_len: u32,
    source_end: u32,
}

impl OffsetMap {
    /// `raw` is the scalar's source text (quotes included for quoted styles; for block scalars,
    /// from the first content character), `base` its offset in the file.
    /// `block_indent` is the column of the first content character of a block scalar, and
    /// `leading_breaks` the empty lines its value starts with (they lie before its span).
    pub fn build(
        raw: &str,
        style: ScalarStyle,
        base: u32,
        block_indent: usize,
        leading_breaks: usize,
    ) -> Option<OffsetMap> {
        let mut out = Decoder::new(base);
        // Embedded programs break a point every dozen bytes or so (escapes, indentation):
        // room for them up front rather than a dozen doublings of a long list.
        out.points.reserve(raw.len() / 8);
        match style {
            ScalarStyle::DoubleQuoted => {
                out.quoted(raw.get(1..raw.len().checked_sub(1)?)?, 1, true)
            }
            ScalarStyle::SingleQuoted => {
                out.quoted(raw.get(1..raw.len().checked_sub(1)?)?, 1, false)
            }
            ScalarStyle::Plain => out.quoted(raw, 0, false),
            ScalarStyle::Literal | ScalarStyle::Folded => {
                for _ in 0..leading_breaks {
                    out.emit("\n", 0, false);
                }
                out.block(raw, block_indent, style == ScalarStyle::Folded)
            }
        }
        Some(out.finish(base + raw.len() as u32))
    }

    /// The source offset of decoded byte `decoded` (the end of the scalar for offsets past it).
    pub fn source_offset(&self, decoded: usize) -> u32 {
        let decoded = decoded as u32;
        if decoded >= self.decoded_len {
            return self.source_end;
        }
        let i = self.points.partition_point(|&(d, _)| d <= decoded);
        match i.checked_sub(1).map(|i| self.points[i]) {
            Some((d, s)) => s + (decoded - d),
            None => self.source_end,
        }
    }
}

/// How byte ranges of one scalar's decoded value land in the file, decided once per scalar
/// (the classifiers ask for many ranges of one embedded program).
pub enum ScalarOffsets {
    /// The value is the text as written: offsets carry over.
    Same,
    Map(OffsetMap),
    /// No map could be built: every range is the whole scalar.
    Whole,
}

impl ScalarOffsets {
    /// `raw` is the scalar's text in the file, `decoded` its value; `build` makes the map
    /// when they differ.
    pub fn new(raw: &str, decoded: &str, build: impl FnOnce() -> Option<OffsetMap>) -> Self {
        if raw == decoded {
            ScalarOffsets::Same
        } else {
            build().map_or(ScalarOffsets::Whole, ScalarOffsets::Map)
        }
    }

    /// The file span of `range` of the decoded value of the scalar at `scalar`.
    pub fn span(&self, scalar: Span, range: std::ops::Range<usize>) -> Span {
        match self {
            ScalarOffsets::Same => Span::new(
                scalar.start + range.start as u32,
                scalar.start + range.end as u32,
            ),
            ScalarOffsets::Map(map) => {
                let start = map.source_offset(range.start);
                Span::new(start, map.source_offset(range.end).max(start))
            }
            ScalarOffsets::Whole => scalar,
        }
    }
}

/// Decodes a scalar while recording the offset map. Only the decoded length is needed for
/// the map (the parser already gave the value); the text itself is kept for tests.
struct Decoder {
    base: u32,
    len: usize,
    ends_with_break: bool,
    text: Option<String>,
    points: Vec<(u32, u32)>,
    /// Source offset the next copied byte is expected at, to merge contiguous runs.
    next_source: Option<u32>,
}

impl Decoder {
    fn new(base: u32) -> Self {
        Decoder {
            base,
            len: 0,
            ends_with_break: false,
            text: None,
            points: Vec::new(),
            next_source: None,
        }
    }

    /// Emits `s`, which came from source offset `at` (relative to the scalar start);
    /// `copied` says the bytes map one-to-one.
    fn emit(&mut self, s: &str, at: usize, copied: bool) {
        let source = self.base + at as u32;
        if self.next_source != Some(source) || !copied {
            self.points.push((self.len as u32, source));
        }
        self.len += s.len();
        if !s.is_empty() {
            self.ends_with_break = s.ends_with('\n');
        }
        if let Some(text) = &mut self.text {
            text.push_str(s);
        }
        self.next_source = copied.then_some(source + s.len() as u32);
    }

    /// Emits the one byte an escape at source offset `at` decodes to: [`Decoder::emit`] of
    /// it, not copied, without the text it needs for longer ones.
    fn emit_escaped(&mut self, decoded: u8, at: usize) {
        self.points.push((self.len as u32, self.base + at as u32));
        self.len += 1;
        self.ends_with_break = decoded == b'\n';
        if let Some(text) = &mut self.text {
            text.push(char::from(decoded));
        }
        self.next_source = None;
    }

    fn finish(self, source_end: u32) -> OffsetMap {
        OffsetMap {
            decoded_len: self.len as u32,
            points: self.points,
            source_end,
        }
    }

    /// Flow scalars: double-quoted (with escapes), single-quoted (`''`) and plain. `offset` is
    /// where `body` starts inside the raw scalar.
    fn quoted(&mut self, body: &str, offset: usize, escapes: bool) {
        let bytes = body.as_bytes();
        let single_quoted = !escapes && offset == 1;
        // The bytes that end a run of copied bytes: line breaks, and the backslash of an
        // escape or the quote of a `''`.
        let stops = match (escapes, single_quoted) {
            (true, _) => *b"\\\r\n",
            (false, true) => *b"'\r\n",
            (false, false) => *b"\r\r\n",
        };
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if matches!(c, b'\r' | b'\n') {
                let break_at = i;
                i = skip_break(bytes, i);
                let mut empty_lines = 0;
                loop {
                    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                        i += 1;
                    }
                    if i < bytes.len() && matches!(bytes[i], b'\r' | b'\n') {
                        empty_lines += 1;
                        i = skip_break(bytes, i);
                    } else {
                        break;
                    }
                }
                if empty_lines == 0 {
                    self.emit(" ", offset + break_at, false);
                } else {
                    for _ in 0..empty_lines {
                        self.emit("\n", offset + break_at, false);
                    }
                }
                continue;
            }
            if escapes && c == b'\\' && i + 1 < bytes.len() {
                let next = bytes[i + 1];
                if matches!(next, b'\r' | b'\n') {
                    // An escaped line break joins the lines and drops the next line's indent.
                    i = skip_break(bytes, i + 1);
                    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                        i += 1;
                    }
                    continue;
                }
                // Most escapes are one ASCII character for two bytes (`\n`, `\"`).
                if let Some(decoded) = ascii_escape(next) {
                    self.emit_escaped(decoded, offset + i);
                    i += 2;
                    continue;
                }
                let (decoded, len) = unescape(&body[i + 1..]);
                self.emit(decoded.encode_utf8(&mut [0; 4]), offset + i, false);
                i += 1 + len;
                continue;
            }
            if single_quoted && c == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                self.emit("'", offset + i, false);
                i += 2;
                continue;
            }
            // A run of bytes copied as they are, up to the next byte that needs a look:
            // emitted at once (the same map as one character at a time, without the cost).
            // Spaces and tabs are copied too, unless a line break follows them: the break
            // folds and they are dropped.
            let end = crate::bytes::first_of(bytes, i + utf8_len(c), stops);
            let mut kept = end;
            if end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
                while kept > i && matches!(bytes[kept - 1], b' ' | b'\t') {
                    kept -= 1;
                }
            }
            if kept > i {
                self.emit(&body[i..kept], offset + i, true);
            }
            i = end;
        }
    }

    /// Block scalars: `raw` starts at the first content character; its column is the indent.
    fn block(&mut self, raw: &str, indent: usize, folded: bool) {
        // The first line's indentation is not part of `raw`; later lines carry it in full.
        // Lines end at LF, CRLF or a lone CR (YAML 1.2); the value has LF for each.
        let mut lines = lines_with_breaks(raw);
        let Some((first, first_break)) = lines.next() else {
            return;
        };
        self.emit(&raw[first.clone()], first.start, true);
        self.line_break(raw, first_break);
        // Folding joins two lines with a space only when both are ordinary text lines:
        // empty and more-indented lines keep their breaks.
        let mut prev_ordinary = !raw[first].trim().is_empty();
        for (line, line_break) in lines {
            let text = &raw[line.clone()];
            let skip = text.bytes().take(indent).take_while(|&b| b == b' ').count();
            let content = &text[skip..];
            let ordinary = !content.trim().is_empty() && !content.starts_with([' ', '\t']);
            if folded && prev_ordinary && ordinary && self.ends_with_break {
                self.len -= 1;
                self.ends_with_break = false;
                if let Some(text) = &mut self.text {
                    text.pop();
                }
                // The break's own point, if it had one, now lies past the end.
                if self
                    .points
                    .last()
                    .is_some_and(|&(d, _)| d as usize >= self.len)
                {
                    self.points.pop();
                }
                self.emit(" ", line.start, false);
            }
            self.emit(content, line.start + skip, true);
            self.line_break(raw, line_break);
            prev_ordinary = ordinary;
        }
    }

    /// A line break of a block scalar: LF as written, CRLF and CR as the LF they stand for.
    fn line_break(&mut self, raw: &str, at: std::ops::Range<usize>) {
        match &raw[at.clone()] {
            "" => {}
            "\n" => self.emit("\n", at.start, true),
            _ => self.emit("\n", at.start, false),
        }
    }
}

/// The lines of `raw` as (content, break) byte ranges; a break is LF, CRLF or a lone CR, and
/// empty for a last line without one.
fn lines_with_breaks(
    raw: &str,
) -> impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + '_ {
    let bytes = raw.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = crate::bytes::first_of(bytes, start, *b"\r\n");
        let after = if end < bytes.len() {
            skip_break(bytes, end)
        } else {
            end
        };
        let line = (start..end, end..after);
        start = after;
        Some(line)
    })
}

fn skip_break(bytes: &[u8], i: usize) -> usize {
    if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
        i + 2
    } else {
        i + 1
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The ASCII character of the one-character escape `\{c}` ([`unescape`] of it), if it is one.
fn ascii_escape(c: u8) -> Option<u8> {
    Some(match c {
        b'0' => 0,
        b'a' => 0x07,
        b'b' => 0x08,
        b't' | b'\t' => b'\t',
        b'n' => b'\n',
        b'v' => 0x0b,
        b'f' => 0x0c,
        b'r' => b'\r',
        b'e' => 0x1b,
        b' ' | b'"' | b'/' | b'\\' => c,
        _ => return None,
    })
}

/// Decodes one escape; `rest` starts after the backslash. Returns the character and the
/// number of bytes consumed after the backslash.
fn unescape(rest: &str) -> (char, usize) {
    let Some(c) = rest.chars().next() else {
        return ('\\', 0);
    };
    let simple = match c {
        '0' => Some('\0'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\x0b'),
        'f' => Some('\x0c'),
        'r' => Some('\r'),
        'e' => Some('\x1b'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(s) = simple {
        return (s, c.len_utf8());
    }
    let width = match c {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => return (c, c.len_utf8()),
    };
    let hex = rest.get(1..1 + width).unwrap_or("");
    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
        Some(ch) => (ch, 1 + width),
        None => (c, 1),
    }
}

#[cfg(test)]
pub(crate) fn decode_for_test(
    raw: &str,
    style: ScalarStyle,
    indent: usize,
    leading: usize,
) -> String {
    let mut out = Decoder::new(0);
    out.text = Some(String::new());
    for _ in 0..leading {
        out.emit("\n", 0, false);
    }
    match style {
        ScalarStyle::DoubleQuoted => out.quoted(&raw[1..raw.len() - 1], 1, true),
        ScalarStyle::SingleQuoted => out.quoted(&raw[1..raw.len() - 1], 1, false),
        ScalarStyle::Plain => out.quoted(raw, 0, false),
        ScalarStyle::Literal | ScalarStyle::Folded => {
            out.block(raw, indent, style == ScalarStyle::Folded)
        }
    }
    out.text.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line breaks and `more`: the bytes the reference decoder below stops a run at.
    const fn special_bytes(more: &[u8]) -> [bool; 256] {
        let mut table = [false; 256];
        table[b'\r' as usize] = true;
        table[b'\n' as usize] = true;
        let mut i = 0;
        while i < more.len() {
            table[more[i] as usize] = true;
            i += 1;
        }
        table
    }

    #[test]
    fn double_quoted_escapes_and_continuations() {
        let raw =
            "\"\\nimport kfp\\nfrom typing import\\\n  \\ *\\n\\ndef add(a):\\n    return a\"";
        assert_eq!(
            decode_for_test(raw, ScalarStyle::DoubleQuoted, 4, 0),
            "\nimport kfp\nfrom typing import *\n\ndef add(a):\n    return a"
        );
        let map = OffsetMap::build(raw, ScalarStyle::DoubleQuoted, 100, 4, 0).unwrap();
        let decoded = decode_for_test(raw, ScalarStyle::DoubleQuoted, 4, 0);
        let def = decoded.find("def add").unwrap();
        let src = map.source_offset(def) - 100;
        assert!(raw[src as usize..].starts_with("def add"));
        let star = decoded.find('*').unwrap();
        let src = map.source_offset(star) - 100;
        assert!(raw[src as usize..].starts_with('*'));
    }

    #[test]
    fn folding_of_quoted_lines() {
        assert_eq!(
            decode_for_test("'a  \n   b\n\n  c'", ScalarStyle::SingleQuoted, 4, 0),
            "a b\nc"
        );
        assert_eq!(
            decode_for_test("'it''s'", ScalarStyle::SingleQuoted, 4, 0),
            "it's"
        );
        assert_eq!(
            decode_for_test("\"\\x41\\u00e9\"", ScalarStyle::DoubleQuoted, 4, 0),
            "Aé"
        );
    }

    #[test]
    fn literal_block_lines_map_to_their_source_lines() {
        let raw = "import random\n    print(random.random())\n";
        // as in `source: |` with four spaces of indentation
        let map = OffsetMap::build(raw, ScalarStyle::Literal, 10, 4, 0).unwrap();
        let decoded = decode_for_test(raw, ScalarStyle::Literal, 4, 0);
        assert_eq!(decoded, "import random\nprint(random.random())\n");
        let p = decoded.find("print").unwrap();
        assert_eq!(map.source_offset(p) - 10, raw.find("print").unwrap() as u32);
    }

    #[test]
    fn block_lines_end_at_lf_crlf_and_a_lone_cr() {
        for raw in [
            "import random\r    x = 1\r    print(random.random())\r",
            "import random\r\n    x = 1\r\n    print(random.random())\r\n",
            "import random\r    x = 1\r\n    print(random.random())\n",
        ] {
            let decoded = decode_for_test(raw, ScalarStyle::Literal, 4, 0);
            assert_eq!(
                decoded, "import random\nx = 1\nprint(random.random())\n",
                "{raw:?}"
            );
            let map = OffsetMap::build(raw, ScalarStyle::Literal, 10, 4, 0).unwrap();
            let p = decoded.find("print").unwrap();
            assert_eq!(map.source_offset(p) - 10, raw.find("print").unwrap() as u32);
            let folded = decode_for_test(raw, ScalarStyle::Folded, 4, 0);
            assert_eq!(
                folded, "import random x = 1 print(random.random())\n",
                "{raw:?}"
            );
            let map = OffsetMap::build(raw, ScalarStyle::Folded, 10, 4, 0).unwrap();
            let p = folded.find("print").unwrap();
            assert_eq!(map.source_offset(p) - 10, raw.find("print").unwrap() as u32);
            let x = folded.find("x = 1").unwrap();
            assert_eq!(map.source_offset(x) - 10, raw.find("x = 1").unwrap() as u32);
        }
    }

    /// The decoder as it was before runs took in their spaces (each run of white space held
    /// back on its own): the reference the maps must equal.
    impl Decoder {
        fn quoted_byte_runs(&mut self, body: &str, offset: usize, escapes: bool) {
            let bytes = body.as_bytes();
            let mut i = 0;
            // Unescaped spaces and tabs are held back: they are dropped before a line break.
            let mut pending_ws: Option<usize> = None;
            while i < bytes.len() {
                let c = bytes[i];
                match c {
                    b' ' | b'\t' => {
                        pending_ws.get_or_insert(i);
                        i += 1;
                        continue;
                    }
                    b'\r' | b'\n' => {
                        pending_ws = None;
                        let break_at = i;
                        i = skip_break(bytes, i);
                        let mut empty_lines = 0;
                        loop {
                            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                                i += 1;
                            }
                            if i < bytes.len() && matches!(bytes[i], b'\r' | b'\n') {
                                empty_lines += 1;
                                i = skip_break(bytes, i);
                            } else {
                                break;
                            }
                        }
                        if empty_lines == 0 {
                            self.emit(" ", offset + break_at, false);
                        } else {
                            for _ in 0..empty_lines {
                                self.emit("\n", offset + break_at, false);
                            }
                        }
                        continue;
                    }
                    _ => {}
                }
                if let Some(ws) = pending_ws.take() {
                    self.emit(&body[ws..i], offset + ws, true);
                }
                if escapes && c == b'\\' && i + 1 < bytes.len() {
                    let next = bytes[i + 1];
                    if matches!(next, b'\r' | b'\n') {
                        // An escaped line break joins the lines and drops the next line's indent.
                        i = skip_break(bytes, i + 1);
                        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                            i += 1;
                        }
                        continue;
                    }
                    let (decoded, len) = unescape(&body[i + 1..]);
                    self.emit(decoded.encode_utf8(&mut [0; 4]), offset + i, false);
                    i += 1 + len;
                    continue;
                }
                let single_quoted = !escapes && offset == 1;
                if single_quoted && c == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    self.emit("'", offset + i, false);
                    i += 2;
                    continue;
                }
                // A run of bytes copied as they are, up to the next byte that needs a look:
                // emitted at once (the same map as one character at a time, without the cost).
                let special = match (escapes, single_quoted) {
                    (true, _) => &special_bytes(b" \t\\"),
                    (false, true) => &special_bytes(b" \t'"),
                    (false, false) => &special_bytes(b" \t"),
                };
                let mut end = i + utf8_len(c);
                while end < bytes.len() && !special[bytes[end] as usize] {
                    end += 1;
                }
                let end = end.min(bytes.len());
                self.emit(&body[i..end], offset + i, true);
                i = end;
            }
            if let Some(ws) = pending_ws {
                self.emit(&body[ws..], offset + ws, true);
            }
        }
    }

    /// The one-byte escapes decode as [`unescape`] decodes them, and no other escape is one.
    #[test]
    fn ascii_escapes_are_those_of_unescape() {
        for b in 0..=u8::MAX {
            let rest = [b, b'x'];
            let Ok(rest) = std::str::from_utf8(&rest) else {
                assert_eq!(ascii_escape(b), None, "{b:#x}");
                continue;
            };
            let (decoded, len) = unescape(rest);
            match ascii_escape(b) {
                Some(d) => assert_eq!((char::from(d), len), (decoded, 1), "{b:#x}"),
                // Left to `unescape`: no escape of one ASCII character for another.
                None => assert!(
                    !(len == 1 && decoded.is_ascii()) || decoded == char::from(b),
                    "{b:#x}"
                ),
            }
        }
    }

    /// Lines end where a walk byte by byte ends them, whatever their length.
    #[test]
    fn lines_end_at_their_first_break() {
        const PIECES: [&str; 6] = ["a", "\n", "\r", "\r\n", "\u{e9}", "0123456789 x"];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|t| PIECES.iter().map(move |p| format!("{t}{p}")))
                .collect();
            for text in &texts {
                let bytes = text.as_bytes();
                let mut expected = Vec::new();
                let mut start = 0;
                while start < bytes.len() {
                    let end = (start..bytes.len())
                        .find(|&i| matches!(bytes[i], b'\n' | b'\r'))
                        .unwrap_or(bytes.len());
                    let after = if end < bytes.len() {
                        skip_break(bytes, end)
                    } else {
                        end
                    };
                    expected.push((start..end, end..after));
                    start = after;
                }
                let found: Vec<_> = lines_with_breaks(text).collect();
                assert_eq!(found, expected, "{text:?}");
            }
        }
    }

    /// Every flow scalar of up to five characters of an alphabet of the bytes that need a
    /// look (breaks, white space, escapes, quotes, a multi-byte character) gives the same
    /// text and the same map as the reference decoder.
    #[test]
    fn flow_maps_are_those_of_white_space_held_back_run_by_run() {
        const ALPHABET: [&str; 10] = [" ", "\t", "\n", "\r", "\\", "'", "a", "n", "\u{e9}", "x"];
        let mut bodies = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|b| ALPHABET.iter().map(move |c| format!("{b}{c}")))
                .collect();
            bodies.extend(last.iter().cloned());
        }
        // Longer ones, for the runs read eight bytes at a time.
        let short = bodies.len().min(1 + 10 + 100 + 1000);
        let long: Vec<String> = bodies[..short]
            .iter()
            .map(|b| format!("0123456789{b}abcdefghijklmnop{b}\u{e9}\u{e9}\u{e9}\u{e9}{b}"))
            .collect();
        for body in bodies.iter().chain(&long) {
            for (offset, escapes) in [(1, true), (1, false), (0, false)] {
                let decode = |reference: bool| {
                    let mut out = Decoder::new(7);
                    out.text = Some(String::new());
                    if reference {
                        out.quoted_byte_runs(body, offset, escapes);
                    } else {
                        out.quoted(body, offset, escapes);
                    }
                    let text = out.text.take();
                    let map = out.finish(100);
                    (text, map.points, map.decoded_len)
                };
                assert_eq!(decode(false), decode(true), "{body:?} {offset} {escapes}");
            }
        }
    }
}
