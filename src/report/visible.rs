//! Untrusted text made safe for a terminal or a CI log. Step names, file names and messages
//! come from the files linted (a pull request is untrusted): printed as they are, an ESC
//! would drive the terminal (set its title, hide text, rewrite what is shown), a CR or LF
//! would start a line of its own (`::error …` on a new line is a GitHub workflow command,
//! and a path with a newline would split a `compact` line), and bidi overrides would show
//! text in another order than it is read. The text renderers (`human`, `compact`, `github`)
//! pass everything they did not write themselves through here; JSON, SARIF and JUnit escape
//! by their format and stay exact.

use std::borrow::Cow;

/// Characters that are not shown as they are: C0 controls but the tab, DEL, C1 controls,
/// the Unicode line and paragraph separators, and the bidi controls (embeddings, overrides,
/// isolates and marks), which reorder what is displayed.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// `text` with each hidden character written as a visible escape: `\n`, `\r`, `\x1b`,
/// `\u{202e}`. Borrowed when there is none (the usual case).
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 && is_hidden(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `source` for a snippet: each hidden character replaced by a visible one of the same
/// length in bytes (`?`, `¿`, or U+FFFD), so that every span still points at the same
/// bytes. Line breaks stay line breaks: LF and CR LF as they are, a lone CR (a line break
/// in YAML 1.2, and a carriage return that would overwrite the line on a terminal) as LF.
pub fn visible_same_length(source: &str) -> Cow<'_, str> {
    let hidden = |(i, c): (usize, char)| {
        is_hidden(c) && c != '\n' && !(c == '\r' && source.as_bytes().get(i + 1) == Some(&b'\n'))
    };
    if !source.char_indices().any(hidden) {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    for (i, c) in source.char_indices() {
        if c == '\r' && hidden((i, c)) {
            out.push('\n');
        } else if hidden((i, c)) {
            out.push(match c.len_utf8() {
                1 => '?',
                2 => '¿',
                _ => '\u{fffd}',
            });
        } else {
            out.push(c);
        }
    }
    debug_assert_eq!(out.len(), source.len());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(
            visible("step \"train\" ünï 流水线\t%"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            visible("x\u{1b}]0;t\u{7}\r\n::error file=a::injected"),
            "x\\x1b]0;t\\x07\\r\\n::error file=a::injected"
        );
        assert_eq!(
            visible("a\u{85}b\u{9b}c\u{7f}\u{0}"),
            "a\\x85b\\x9bc\\x7f\\x00"
        );
        assert_eq!(
            visible("a\u{2028}b\u{202e}c\u{2066}d\u{200f}"),
            "a\\u{2028}b\\u{202e}c\\u{2066}d\\u{200f}"
        );
    }

    #[test]
    fn snippets_keep_their_length_and_line_breaks() {
        let source = "a: \"x\u{1b}]0;t\u{7}\"\r\nb: \u{202e}\u{85}y\rz\n";
        let shown = visible_same_length(source);
        assert_eq!(shown.len(), source.len());
        assert_eq!(shown, "a: \"x?]0;t?\"\r\nb: \u{fffd}¿y\nz\n");
        assert!(matches!(
            visible_same_length("a: b\r\n\tc\n"),
            Cow::Borrowed(_)
        ));
    }
}
