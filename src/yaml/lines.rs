//! Byte offset -> line and column, computed only where a position is shown to a person or
//! an editor. Wraps rust-analyzer's `line-index` (UTF-16 columns for LSP and SARIF).

use line_index::{TextSize, WideEncoding};

/// A 1-based position: `column` counts UTF-8 bytes, `column_utf16` UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
    pub column_utf16: u32,
}

pub struct LineIndex {
    inner: line_index::LineIndex,
    len: u32,
}

impl std::fmt::Debug for LineIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LineIndex({} bytes)", self.len)
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            inner: line_index::LineIndex::new(text),
            len: text.len() as u32,
        }
    }

    /// The position of `offset`; an offset inside a multi-byte character (`end - 1` of a
    /// span ending in `é`) counts as the start of that character, past the end as the end.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let mut offset = offset.min(self.len);
        let lc = loop {
            match self.inner.try_line_col(TextSize::new(offset)) {
                Some(lc) => break lc,
                None if offset > 0 => offset -= 1,
                None => break line_index::LineCol { line: 0, col: 0 },
            }
        };
        let wide = self
            .inner
            .to_wide(WideEncoding::Utf16, lc)
            .map(|w| w.col)
            .unwrap_or(lc.col);
        LineCol {
            line: lc.line + 1,
            column: lc.col + 1,
            column_utf16: wide + 1,
        }
    }

    /// Byte offset of the start of a 1-based line (clamped to the text).
    pub fn line_start(&self, line: u32) -> u32 {
        let lc = line_index::LineCol {
            line: line.saturating_sub(1),
            col: 0,
        };
        self.inner.offset(lc).map(u32::from).unwrap_or(self.len)
    }

    /// Number of lines (a final line without a newline counts).
    pub fn line_count(&self) -> u32 {
        self.inner.line_col(TextSize::new(self.len)).line + 1
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
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
}
