//! Byte offset -> line and column, computed only where a position is shown to a person or
//! an editor. The index is the language server's (`pipelint_lsp::position::LineIndex`), so
//! the CLI and the LSP agree on where lines break: at `\n`, `\r\n` and a lone `\r`, as
//! YAML 1.2 says.

/// A 1-based position: `column` counts UTF-8 bytes, `column_utf16` UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
    pub column_utf16: u32,
}

#[derive(Debug)]
pub struct LineIndex {
    inner: pipelint_lsp::position::LineIndex,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            inner: pipelint_lsp::position::LineIndex::new(text),
        }
    }

    /// The position of `offset`; an offset inside a multi-byte character (`end - 1` of a
    /// span ending in `é`) counts as the start of that character, past the end as the end.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let (line, column, column_utf16) = self.inner.line_col_utf8_utf16(offset);
        LineCol {
            line: line + 1,
            column: column + 1,
            column_utf16: column_utf16 + 1,
        }
    }

    /// [`LineIndex::line_col`] of a span's start and end, the end found from the start
    /// when it is on the same line.
    pub fn span_line_cols(&self, start: u32, end: u32) -> [LineCol; 2] {
        self.inner
            .span_line_cols_utf8_utf16(start, end)
            .map(|(line, column, column_utf16)| LineCol {
                line: line + 1,
                column: column + 1,
                column_utf16: column_utf16 + 1,
            })
    }

    /// Byte offset of the start of a 1-based line (clamped to the text).
    pub fn line_start(&self, line: u32) -> u32 {
        self.inner
            .line_start(line.saturating_sub(1))
            .unwrap_or(self.inner.len())
    }

    /// Number of lines (a final line without a newline counts).
    pub fn line_count(&self) -> u32 {
        self.inner.line_count()
    }

    pub fn len(&self) -> u32 {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// Byte offset where the line holding `offset` starts: after the last `\n` or `\r` before it.
pub fn line_start_before(src: &str, offset: usize) -> usize {
    src[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_bytes_and_utf16() {
        let text = "name: \"héllo wörld\"\nkey: value\n";
        let idx = LineIndex::new(text);
        let at = text.find("value").unwrap() as u32;
        assert_eq!(at, 27);
        assert_eq!(
            idx.line_col(at),
            LineCol {
                line: 2,
                column: 6,
                column_utf16: 6
            }
        );
        let r = text.find("rld").unwrap() as u32;
        let lc = idx.line_col(r);
        assert_eq!(lc.line, 1);
        assert_eq!(lc.column, 18);
        assert_eq!(lc.column_utf16, 16);
        assert_eq!(idx.line_start(2), 22);
        assert_eq!(idx.line_count(), 3);
    }

    #[test]
    fn astral_characters_count_two_utf16_units() {
        let text = "a: \u{1F600}x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        let lc = idx.line_col(x);
        assert_eq!((lc.column, lc.column_utf16), (8, 6));
    }

    #[test]
    fn cr_lf_and_crlf_each_end_a_line() {
        let text = "a: 1\rb: é\r\nc: 3\nd: x\r";
        let idx = LineIndex::new(text);
        let at = |s: &str| idx.line_col(text.find(s).unwrap() as u32);
        assert_eq!((at("b").line, at("b").column), (2, 1));
        assert_eq!((at("c").line, at("c").column), (3, 1));
        let x = at("x");
        assert_eq!((x.line, x.column, x.column_utf16), (4, 4, 4));
        assert_eq!(idx.line_count(), 5);
        assert_eq!(idx.line_start(2), 5);
        // Inside `é`: the start of the character.
        let e = text.find('é').unwrap() as u32;
        assert_eq!(idx.line_col(e + 1), idx.line_col(e));
        assert_eq!(line_start_before(text, text.find('x').unwrap()), 17);
        assert_eq!(line_start_before(text, text.find('b').unwrap()), 5);
    }
}
