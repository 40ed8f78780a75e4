//! Byte offsets <-> LSP positions in the encoding negotiated with the client.
//!
//! The analyzer speaks byte offsets; the client speaks `(line, character)` where a character
//! is a UTF-16 code unit unless both sides agreed on UTF-8 or UTF-32 (`positionEncoding`,
//! LSP 3.17). Lines end at `\n` (a `\r` before it belongs to the terminator).

use std::ops::Range;
use std::sync::Arc;

use line_index::{LineCol, TextSize, WideEncoding, WideLineCol};
use lsp_types::{Position, PositionEncodingKind};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

impl Encoding {
    /// The client's most preferred encoding that we support (we support all three);
    /// UTF-16, which every client must accept, when it offers none.
    pub fn negotiate<S: AsRef<str>>(offered: &[S]) -> Encoding {
        offered
            .iter()
            .find_map(|e| match e.as_ref() {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn wide(self) -> Option<WideEncoding> {
        match self {
            Encoding::Utf8 => None,
            Encoding::Utf16 => Some(WideEncoding::Utf16),
            Encoding::Utf32 => Some(WideEncoding::Utf32),
        }
    }
}

/// A document's text with its line index: converts both ways, clamping what is out of range
/// (the spec says a character past the end of a line means the end of the line).
#[derive(Debug)]
pub struct LineMap {
    text: Arc<str>,
    index: line_index::LineIndex,
}

impl LineMap {
    pub fn new(text: Arc<str>) -> LineMap {
        let index = line_index::LineIndex::new(&text);
        LineMap { text, index }
    }

    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = self.floor_char_boundary(offset);
        self.index.line_col(TextSize::new(offset as u32)).line
    }

    /// Number of lines (a last line without a terminator counts; an empty text has one).
    pub fn line_count(&self) -> u32 {
        self.index.line_col(self.index.len()).line + 1
    }

    /// Byte range of a line's content, without its terminator; `None` past the last line.
    pub fn line_range(&self, line: u32) -> Option<Range<usize>> {
        let range = self.index.line(line)?;
        let start = u32::from(range.start()) as usize;
        let mut end = u32::from(range.end()) as usize;
        let bytes = self.text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        Some(start..end)
    }

    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let offset = self.floor_char_boundary(offset);
        let lc = self.index.line_col(TextSize::new(offset as u32));
        let character = match enc.wide() {
            None => lc.col,
            Some(wide) => self.index.to_wide(wide, lc).map_or(lc.col, |w| w.col),
        };
        Position {
            line: lc.line,
            character,
        }
    }

    pub fn range(&self, span: Range<usize>, enc: Encoding) -> lsp_types::Range {
        let start = self.position(span.start, enc);
        let end = self.position(span.end.max(span.start), enc);
        lsp_types::Range { start, end }
    }

    /// The byte offset of a client position: lines past the end clamp to the end of the
    /// text, characters past the end of a line to the end of the line, and a position inside
    /// a character (half a surrogate pair, a byte inside UTF-8) to the character's start.
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let Some(line) = self.line_range(pos.line) else {
            return self.text.len();
        };
        let col = match enc.wide() {
            None => pos.character,
            Some(wide) => self
                .index
                .to_utf8(
                    wide,
                    WideLineCol {
                        line: pos.line,
                        col: pos.character,
                    },
                )
                .map_or(u32::MAX, |lc: LineCol| lc.col),
        };
        let offset = line.start.saturating_add(col as usize).min(line.end);
        self.floor_char_boundary(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> LineMap {
        LineMap::new(Arc::from(text))
    }

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn negotiation_takes_the_clients_first_supported_choice() {
        assert_eq!(Encoding::negotiate::<&str>(&[]), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(&["utf-8", "utf-16"]), Encoding::Utf8);
        assert_eq!(Encoding::negotiate(&["utf-32", "utf-8"]), Encoding::Utf32);
        assert_eq!(Encoding::negotiate(&["latin-1", "utf-16"]), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(&["latin-1"]), Encoding::Utf16);
        assert_eq!(String::from(Encoding::Utf8.kind()), "utf-8");
    }

    // `é` is 2 UTF-8 bytes and 1 UTF-16 unit; `😀` is 4 bytes, 2 UTF-16 units, 1 code point.
    const TEXT: &str = "# é😀 note\nimage: \"café😀\" # x\r\nlast";

    #[test]
    fn utf16_columns_after_non_ascii_characters() {
        let m = map(TEXT);
        let at = TEXT.find("# x").unwrap();
        // `image: "caf` = 11, `é` = 1, `😀` = 2, `" ` = 2 -> 16 UTF-16 units.
        assert_eq!(m.position(at, Encoding::Utf16), pos(1, 16));
        assert_eq!(m.offset(pos(1, 16), Encoding::Utf16), at);
        let note = TEXT.find("note").unwrap();
        assert_eq!(m.position(note, Encoding::Utf16), pos(0, 6));
        assert_eq!(m.offset(pos(0, 6), Encoding::Utf16), note);
    }

    #[test]
    fn utf8_columns_are_bytes() {
        let m = map(TEXT);
        let at = TEXT.find("# x").unwrap();
        let line_start = TEXT.find("image").unwrap();
        assert_eq!(
            m.position(at, Encoding::Utf8),
            pos(1, (at - line_start) as u32)
        );
        assert_eq!(m.position(at, Encoding::Utf8), pos(1, 19));
        assert_eq!(m.offset(pos(1, 19), Encoding::Utf8), at);
    }

    #[test]
    fn utf32_columns_are_code_points() {
        let m = map(TEXT);
        let at = TEXT.find("# x").unwrap();
        // `image: "caf` = 11, `é` = 1, `😀` = 1, `" ` = 2 -> 15 code points.
        assert_eq!(m.position(at, Encoding::Utf32), pos(1, 15));
        assert_eq!(m.offset(pos(1, 15), Encoding::Utf32), at);
    }

    #[test]
    fn round_trips_every_char_boundary_in_every_encoding() {
        let m = map(TEXT);
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for (offset, c) in TEXT.char_indices() {
                if c == '\n' || (c == '\r' && TEXT[offset..].starts_with("\r\n")) {
                    continue; // the terminator maps to the end of its line
                }
                let p = m.position(offset, enc);
                assert_eq!(m.offset(p, enc), offset, "{enc:?} at {offset} ({c:?})");
            }
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let m = map(TEXT);
        let first_line_end = TEXT.find('\n').unwrap();
        assert_eq!(m.offset(pos(0, 999), Encoding::Utf16), first_line_end);
        // CRLF: the end of line 1 is before the `\r`.
        let second_line_end = TEXT.find("\r\n").unwrap();
        assert_eq!(m.offset(pos(1, 999), Encoding::Utf8), second_line_end);
        assert_eq!(m.offset(pos(9, 0), Encoding::Utf16), TEXT.len());
        assert_eq!(m.offset(pos(2, 4), Encoding::Utf16), TEXT.len());
        // Inside the surrogate pair of `😀` on line 0 (`# é` = 3 units, pair at 3..5).
        let emoji = TEXT.find('😀').unwrap();
        assert_eq!(m.offset(pos(0, 4), Encoding::Utf16), emoji);
        // Inside a UTF-8 sequence.
        assert_eq!(m.offset(pos(0, 3), Encoding::Utf8), TEXT.find('é').unwrap());
        // Offsets past the end or inside a character.
        assert_eq!(m.position(10_000, Encoding::Utf16), pos(2, 4));
        assert_eq!(m.position(emoji + 1, Encoding::Utf16), pos(0, 3));
    }

    #[test]
    fn lines_and_ranges() {
        let m = map(TEXT);
        assert_eq!(m.line_count(), 3);
        assert_eq!(m.line_of(TEXT.find("last").unwrap()), 2);
        assert_eq!(&TEXT[m.line_range(1).unwrap()], "image: \"café😀\" # x");
        assert_eq!(m.line_range(3), None);
        let s = TEXT.find("café").unwrap();
        let e = s + "café😀".len();
        let r = m.range(s..e, Encoding::Utf16);
        assert_eq!((r.start, r.end), (pos(1, 8), pos(1, 14)));
        assert_eq!(map("").line_count(), 1);
        assert_eq!(map("a\n").line_count(), 2);
    }
}
