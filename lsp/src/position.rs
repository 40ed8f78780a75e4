//! Byte offsets <-> LSP positions in the encoding negotiated with the client.
//!
//! The analyzer speaks byte offsets; the client speaks `(line, character)` where a character
//! is a UTF-16 code unit unless both sides agreed on UTF-8 or UTF-32 (`positionEncoding`,
//! LSP 3.17). Lines end at `\n`, `\r\n` or a lone `\r`, as the LSP specification and
//! YAML 1.2 both say.

use std::ops::Range;
use std::sync::Arc;

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

    fn unit(self) -> ColumnUnit {
        match self {
            Encoding::Utf8 => ColumnUnit::Utf8,
            Encoding::Utf16 => ColumnUnit::Utf16,
            Encoding::Utf32 => ColumnUnit::Utf32,
        }
    }
}

/// Where each line starts, with the line breaks YAML 1.2 and LSP both define: `\n`, `\r\n` and
/// a lone `\r`. Also remembers every non-ASCII character, so that a column in UTF-16 units or
/// code points is a binary search away rather than a scan of the line. Shared by the CLI
/// (`pipelint::yaml::LineIndex`) and the server, so both count lines the same way.
#[derive(Clone)]
pub struct LineIndex {
    len: u32,
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<u32>,
    /// Every character of more than one byte, in order.
    wide: Vec<WideChar>,
}

#[derive(Clone, Copy)]
struct WideChar {
    offset: u32,
    utf8_len: u8,
    /// UTF-8 bytes minus UTF-16 units (and minus code points) of this character and every
    /// wide character before it.
    saved_utf16: u32,
    saved_utf32: u32,
}

impl std::fmt::Debug for LineIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LineIndex({} bytes, {} lines)",
            self.len,
            self.starts.len()
        )
    }
}

/// Bytes a line takes, about, in the YAML we read: the line starts are sized once from it.
const EXPECTED_LINE_BYTES: usize = 32;

/// Bytes looked at together: one bit of a `u64` mask each.
#[cfg(target_arch = "x86_64")]
const CHUNK: usize = 64;

/// Four 16-byte compare masks (bit `i` of part `p` for byte `16 * p + i`) as one.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn join_masks([a, b, c, d]: [i32; 4]) -> u64 {
    u64::from(a as u16)
        | u64::from(b as u16) << 16
        | u64::from(c as u16) << 32
        | u64::from(d as u16) << 48
}

/// Which bytes of a chunk are `\n` (bit `i` for byte `i`), and whether any byte is a `\r` or
/// not ASCII: both are rare, and looked at again only then. 16 bytes per compare with SSE2
/// (a plain loop setting one bit per byte is not vectorised by the compiler: it took 14 times
/// the instructions of the search it replaced).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn line_feeds_and_any_other(chunk: &[u8; CHUNK]) -> (u64, bool) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let at = chunk.as_ptr();
    // SAFETY: the four loads read bytes 0..64 of the 64-byte chunk, and `loadu` needs no
    // alignment; SSE2, all these intrinsics need, is part of every x86_64 target.
    unsafe {
        let parts = [
            _mm_loadu_si128(at.cast()),
            _mm_loadu_si128(at.add(16).cast()),
            _mm_loadu_si128(at.add(32).cast()),
            _mm_loadu_si128(at.add(48).cast()),
        ];
        let (line_feed, carriage_return) = (_mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'\r' as i8));
        let line_feeds = parts.map(|part| _mm_movemask_epi8(_mm_cmpeq_epi8(part, line_feed)));
        // A byte's top bit: a `\r` (all bits set by the compare) or not ASCII.
        let other = parts.map(|part| _mm_or_si128(part, _mm_cmpeq_epi8(part, carriage_return)));
        let other = _mm_or_si128(
            _mm_or_si128(other[0], other[1]),
            _mm_or_si128(other[2], other[3]),
        );
        (join_masks(line_feeds), _mm_movemask_epi8(other) != 0)
    }
}

/// Which bytes of a chunk are `\r`, and whether any is not ASCII: [`line_feeds_and_any_other`]
/// found one of them.
#[cfg(target_arch = "x86_64")]
#[cold]
#[inline(never)]
fn carriage_returns_and_non_ascii(chunk: &[u8; CHUNK]) -> (u64, bool) {
    let mut carriage_returns = 0u64;
    for (i, &b) in chunk.iter().enumerate() {
        carriage_returns |= u64::from(b == b'\r') << i;
    }
    (carriage_returns, !chunk.is_ascii())
}

/// Pushes the start of each line that begins inside `chunk` (found at `base` of `bytes`):
/// the offset after each `\n`, and after each `\r` that no `\n` follows (`\r\n` ends a line
/// once, at its `\n`). Returns whether any byte of the chunk is not ASCII. One search per
/// chunk rather than one per line: YAML lines are short, and a search call per line cost more
/// than the search.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn push_chunk_line_starts(
    chunk: &[u8; CHUNK],
    base: usize,
    bytes: &[u8],
    starts: &mut Vec<u32>,
) -> bool {
    let (line_feeds, any_other) = line_feeds_and_any_other(chunk);
    let mut breaks = line_feeds;
    let mut non_ascii = false;
    if any_other {
        let carriage_returns;
        (carriage_returns, non_ascii) = carriage_returns_and_non_ascii(chunk);
        // Whether the byte after each byte of the chunk is a `\n`: the mask moved down one
        // bit, and the first byte of the next chunk in the top bit.
        let next_is_line_feed = bytes.get(base + CHUNK) == Some(&b'\n');
        let line_feed_after = (line_feeds >> 1) | (u64::from(next_is_line_feed) << 63);
        breaks |= carriage_returns & !line_feed_after;
    }
    let base = base as u32 + 1;
    while breaks != 0 {
        starts.push(base + breaks.trailing_zeros());
        breaks &= breaks - 1;
    }
    non_ascii
}

/// The start of each line and whether the text is ASCII, 64 bytes at a time.
#[cfg(target_arch = "x86_64")]
fn line_starts(bytes: &[u8]) -> (Vec<u32>, bool) {
    let mut starts = Vec::with_capacity(bytes.len() / EXPECTED_LINE_BYTES + 1);
    starts.push(0);
    let mut non_ascii = false;
    let mut chunks = bytes.chunks_exact(CHUNK);
    let mut base = 0;
    for chunk in &mut chunks {
        let chunk: &[u8; CHUNK] = chunk.try_into().expect("chunks_exact gives whole chunks");
        non_ascii |= push_chunk_line_starts(chunk, base, bytes, &mut starts);
        base += CHUNK;
    }
    // The last bytes, padded with NULs: neither a line break nor wide.
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut padded = [0u8; CHUNK];
        padded[..rest.len()].copy_from_slice(rest);
        non_ascii |= push_chunk_line_starts(&padded, base, bytes, &mut starts);
    }
    (starts, !non_ascii)
}

#[cfg(not(target_arch = "x86_64"))]
fn line_starts(bytes: &[u8]) -> (Vec<u32>, bool) {
    line_starts_by_search(bytes)
}

/// The start of each line and whether the text is ASCII, with a search for each line break
/// (where there is no SSE2; and the reference the tests hold the chunked search to).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn line_starts_by_search(bytes: &[u8]) -> (Vec<u32>, bool) {
    let mut starts = Vec::with_capacity(bytes.len() / EXPECTED_LINE_BYTES + 1);
    starts.push(0);
    if memchr::memchr(b'\r', bytes).is_some() {
        // A `\r` ends a line unless a `\n` follows (then the pair does).
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                starts.push(i as u32 + 1);
            }
        }
    } else {
        // Lines end at `\n` only: one byte to search for is a cheaper search than two.
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i as u32 + 1));
    }
    (starts, bytes.is_ascii())
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let (starts, ascii) = line_starts(bytes);
        let mut wide = Vec::new();
        if !ascii {
            let (mut saved_utf16, mut saved_utf32) = (0u32, 0u32);
            let mut i = 0;
            while let Some(skip) = bytes[i..].iter().position(|&b| b >= 0x80) {
                i += skip;
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                let utf8_len = c.len_utf8() as u32;
                saved_utf16 += utf8_len - c.len_utf16() as u32;
                saved_utf32 += utf8_len - 1;
                wide.push(WideChar {
                    offset: i as u32,
                    utf8_len: utf8_len as u8,
                    saved_utf16,
                    saved_utf32,
                });
                i += utf8_len as usize;
            }
        }
        LineIndex {
            len: text.len() as u32,
            starts,
            wide,
        }
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of lines: a last line without a terminator counts, an empty text has one.
    pub fn line_count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// Byte offset where a 0-based line starts; `None` past the last line.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.starts.get(line as usize).copied()
    }

    /// Byte range of a 0-based line, its terminator included; `None` past the last line.
    pub fn line_with_break(&self, line: u32) -> Option<Range<u32>> {
        let start = self.line_start(line)?;
        let end = self.line_start(line + 1).unwrap_or(self.len);
        Some(start..end)
    }

    /// `offset` moved back to the start of the character it falls in, and to the end of
    /// the text at most.
    pub fn floor_char_boundary(&self, offset: u32) -> u32 {
        let offset = offset.min(self.len);
        let before = self.wide.partition_point(|w| w.offset < offset);
        match before.checked_sub(1).map(|i| self.wide[i]) {
            Some(w) if offset < w.offset + w.utf8_len as u32 => w.offset,
            _ => offset,
        }
    }

    /// 0-based line and 0-based column of `offset` (first moved to a character boundary),
    /// the column counted in `unit`s. An offset on a line's terminator is on that line.
    pub fn line_col(&self, offset: u32, unit: ColumnUnit) -> (u32, u32) {
        let offset = self.floor_char_boundary(offset);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let bytes = offset - start;
        let column = match unit {
            ColumnUnit::Utf8 => bytes,
            ColumnUnit::Utf16 => bytes - (self.saved(offset, false) - self.saved(start, false)),
            ColumnUnit::Utf32 => bytes - (self.saved(offset, true) - self.saved(start, true)),
        };
        (line as u32, column)
    }

    /// 0-based line and the 0-based column of `offset` in UTF-8 bytes and in UTF-16 units:
    /// [`LineIndex::line_col`] twice, with one search of the line.
    pub fn line_col_utf8_utf16(&self, offset: u32) -> (u32, u32, u32) {
        let offset = self.floor_char_boundary(offset);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let bytes = offset - start;
        let utf16 = if self.wide.is_empty() {
            bytes
        } else {
            bytes - (self.saved(offset, false) - self.saved(start, false))
        };
        (line as u32, bytes, utf16)
    }

    /// [`LineIndex::line_col_utf8_utf16`] of both ends of a span: an end on the start's
    /// line of an ASCII text (most spans: a key, a value) is found from the start, without
    /// a second search of the lines.
    pub fn span_line_cols_utf8_utf16(&self, start: u32, end: u32) -> [(u32, u32, u32); 2] {
        let first = self.line_col_utf8_utf16(start);
        let start = start.min(self.len);
        let (line, column, _) = first;
        let next_line = self.starts.get(line as usize + 1).copied();
        if self.wide.is_empty() && end >= start && next_line.is_none_or(|next| end < next) {
            let column = column + (end.min(self.len) - start);
            return [first, (line, column, column)];
        }
        [first, self.line_col_utf8_utf16(end)]
    }

    /// What the wide characters before `offset` save, in UTF-16 units or code points.
    fn saved(&self, offset: u32, utf32: bool) -> u32 {
        let before = self.wide.partition_point(|w| w.offset < offset);
        match before.checked_sub(1).map(|i| self.wide[i]) {
            None => 0,
            Some(w) if utf32 => w.saved_utf32,
            Some(w) => w.saved_utf16,
        }
    }
}

/// What a column counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnUnit {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (LSP's default, SARIF's).
    Utf16,
    /// Code points.
    Utf32,
}

/// A document's text with its line index: converts both ways, clamping what is out of range
/// (the spec says a character past the end of a line means the end of the line).
#[derive(Debug)]
pub struct LineMap {
    text: Arc<str>,
    index: LineIndex,
}

impl LineMap {
    pub fn new(text: Arc<str>) -> LineMap {
        let index = LineIndex::new(&text);
        LineMap { text, index }
    }

    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.index.line_col(clamp(offset), ColumnUnit::Utf8).0
    }

    /// Number of lines (a last line without a terminator counts; an empty text has one).
    pub fn line_count(&self) -> u32 {
        self.index.line_count()
    }

    /// Byte range of a line's content, without its terminator; `None` past the last line.
    pub fn line_range(&self, line: u32) -> Option<Range<usize>> {
        let range = self.index.line_with_break(line)?;
        let start = range.start as usize;
        let mut end = range.end as usize;
        let bytes = self.text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        Some(start..end)
    }

    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let (line, character) = self.index.line_col(clamp(offset), enc.unit());
        Position { line, character }
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
        let wanted = pos.character as usize;
        let offset = match enc {
            Encoding::Utf8 => line.start.saturating_add(wanted).min(line.end),
            Encoding::Utf16 | Encoding::Utf32 => {
                let mut units = 0;
                let mut found = line.end;
                for (i, c) in self.text[line.clone()].char_indices() {
                    units += match enc {
                        Encoding::Utf16 => c.len_utf16(),
                        _ => 1,
                    };
                    if units > wanted {
                        found = line.start + i;
                        break;
                    }
                }
                found
            }
        };
        self.index.floor_char_boundary(clamp(offset)) as usize
    }
}

/// Offsets are `u32` in the index (documents are far smaller than 4 GiB).
fn clamp(offset: usize) -> u32 {
    offset.min(u32::MAX as usize) as u32
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
    fn both_ends_of_a_span_are_where_each_end_alone_is() {
        // ASCII (the shortcut) and not, every line break, ends past the text and reversed.
        for text in ["ab\ncd\r\nef\rg\n\nh", "a: 1\nb: \"éx\"\r\n", "x", ""] {
            let index = LineIndex::new(text);
            let past = text.len() as u32 + 3;
            for start in 0..=past {
                for end in 0..=past {
                    assert_eq!(
                        index.span_line_cols_utf8_utf16(start, end),
                        [
                            index.line_col_utf8_utf16(start),
                            index.line_col_utf8_utf16(end)
                        ],
                        "{text:?} {start}..{end}"
                    );
                }
            }
        }
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

    #[test]
    fn a_lone_cr_ends_a_line_as_lf_and_crlf_do() {
        // One line ending of each kind, then an unterminated last line.
        let text = "a: é\rbb: 😀x\r\nc: 1\nd: \u{1F600}y\r";
        let m = map(text);
        assert_eq!(m.line_count(), 5);
        assert_eq!(&text[m.line_range(0).unwrap()], "a: é");
        assert_eq!(&text[m.line_range(1).unwrap()], "bb: 😀x");
        assert_eq!(&text[m.line_range(2).unwrap()], "c: 1");
        assert_eq!(&text[m.line_range(3).unwrap()], "d: 😀y");
        assert_eq!(m.line_range(4), Some(text.len()..text.len()));
        let x = text.find('x').unwrap();
        assert_eq!(m.position(x, Encoding::Utf16), pos(1, 6));
        assert_eq!(m.position(x, Encoding::Utf32), pos(1, 5));
        assert_eq!(m.position(x, Encoding::Utf8), pos(1, 8));
        let y = text.find('y').unwrap();
        assert_eq!(m.position(y, Encoding::Utf16), pos(3, 5));
        assert_eq!(m.offset(pos(3, 5), Encoding::Utf16), y);
        assert_eq!(m.offset(pos(1, 6), Encoding::Utf16), x);
        // A terminator belongs to the line it ends.
        assert_eq!(
            m.position(text.find('\r').unwrap(), Encoding::Utf16),
            pos(0, 4)
        );
        assert_eq!(m.line_of(text.find("\r\n").unwrap() + 1), 1);
        assert_eq!(
            m.offset(pos(0, 99), Encoding::Utf16),
            text.find('\r').unwrap()
        );
        assert_eq!(map("\r\r").line_count(), 3);
        assert_eq!(map("\r\n").line_count(), 2);
    }

    #[test]
    fn line_breaks_and_wide_characters_at_every_place_of_a_block() {
        // Each kind of line break and of wide character at every place of a word, with and
        // without a `\r` in the text (two ways of searching), against lines and columns
        // counted character by character.
        for pad in 0..19 {
            for piece in ["\n", "\r", "\r\n", "é", "😀", "\r\r\n\n"] {
                let text = format!("{}{piece}x{}\né", "a".repeat(pad), "b".repeat(pad % 7));
                let index = LineIndex::new(&text);
                let (mut line, mut utf8, mut utf16) = (0, 0, 0);
                let mut chars = text.char_indices().peekable();
                while let Some((at, c)) = chars.next() {
                    let at = at as u32;
                    let case = format!("{text:?} at {at}");
                    assert_eq!(index.line_col(at, ColumnUnit::Utf8), (line, utf8), "{case}");
                    assert_eq!(
                        index.line_col(at, ColumnUnit::Utf16),
                        (line, utf16),
                        "{case}"
                    );
                    assert_eq!(index.line_col_utf8_utf16(at), (line, utf8, utf16), "{case}");
                    let crlf = c == '\r' && chars.peek().map(|&(_, next)| next) == Some('\n');
                    if c == '\n' || (c == '\r' && !crlf) {
                        (line, utf8, utf16) = (line + 1, 0, 0);
                    } else {
                        utf8 += c.len_utf8() as u32;
                        utf16 += c.len_utf16() as u32;
                    }
                }
                assert_eq!(index.line_count(), line + 1, "{text:?}");
            }
        }
    }

    /// Texts made of pieces that end lines (`\n`, `\r\n`, a lone `\r`, `\r\r\n`), wide
    /// characters of 2, 3 and 4 bytes, and ASCII, from a simple generator (no dependency).
    fn random_text(seed: &mut u64, len: usize) -> String {
        const PIECES: [&str; 10] = ["\n", "\r\n", "\r", "\r\r\n", "é", "€", "😀", "a", "bc", " "];
        let mut text = String::new();
        while text.len() < len {
            // xorshift64
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            text.push_str(PIECES[(*seed % PIECES.len() as u64) as usize]);
        }
        text
    }

    #[cfg(target_arch = "x86_64")]
    fn assert_same_as_search(text: &str) {
        assert_eq!(
            line_starts(text.as_bytes()),
            line_starts_by_search(text.as_bytes()),
            "{text:?}"
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn chunked_line_starts_are_the_searched_ones_on_random_texts() {
        let mut seed = 0x9E37_79B9_7F4A_7C15;
        for len in 0..200 {
            for _ in 0..20 {
                assert_same_as_search(&random_text(&mut seed, len));
            }
        }
        // Each kind of break and wide character on each side of a chunk's end, with the
        // text ending there or going on.
        for at in [62, 63, 64, 65, 127, 128, 129] {
            for piece in ["\n", "\r\n", "\r", "\r\r", "\n\r", "é", "😀"] {
                for tail in ["", "x", "\n", "\r"] {
                    assert_same_as_search(&format!("{}{piece}{tail}", "a".repeat(at)));
                }
            }
        }
    }

    /// The YAML of the repository's tests, CRLF and wide characters included.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn chunked_line_starts_are_the_searched_ones_on_the_test_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
        let mut dirs = vec![root];
        let mut files = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    assert_same_as_search(&text);
                    files += 1;
                }
            }
        }
        assert!(files > 100, "{files} files read");
    }
}
