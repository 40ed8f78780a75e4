//! `--image-digests FILE`: the digests the user vouches for, one image a line
//! (`python:3.11 sha256:<64 hex digits>`, made with `crane digest` or the registry's own
//! tool). pipelint never asks a registry: without this file, no digest is ever written.

use std::collections::HashMap;
use std::path::Path;

/// Image references as written in pipelines, and the digest each is pinned to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImageDigests {
    by_reference: HashMap<String, String>,
}

/// A digests file is small; a larger one is a mistake.
const MAX_DIGESTS_FILE: u64 = 16 * 1024 * 1024;

impl ImageDigests {
    /// Reads the file: a regular file, UTF-8, every line valid.
    pub fn read(path: &Path) -> Result<ImageDigests, String> {
        let text = crate::files::read_regular_text(path, MAX_DIGESTS_FILE)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        ImageDigests::parse(&text).map_err(|e| format!("{}:{e}", path.display()))
    }

    /// Lines of `reference sha256:<hex>`; blank lines and `#` comments are skipped. An
    /// error names the line (`3: ...`).
    pub fn parse(text: &str) -> Result<ImageDigests, String> {
        let mut by_reference = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [reference, digest] = fields[..] else {
                return Err(format!(
                    "{}: expected `image:tag sha256:<digest>`, found `{line}`",
                    i + 1
                ));
            };
            let valid = digest.strip_prefix("sha256:").is_some_and(|hex| {
                hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            });
            if !valid {
                return Err(format!(
                    "{}: `{digest}` is not a digest (`sha256:` and 64 lowercase hex digits)",
                    i + 1
                ));
            }
            if reference.contains('@') {
                return Err(format!("{}: `{reference}` is pinned already", i + 1));
            }
            by_reference.insert(reference.to_string(), digest.to_string());
        }
        Ok(ImageDigests { by_reference })
    }

    /// The digest for an image reference exactly as the pipeline writes it.
    pub fn digest(&self, reference: &str) -> Option<&str> {
        self.by_reference.get(reference).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn lines_give_digests_and_mistakes_name_their_line() {
        let file =
            ImageDigests::parse(&format!("# made with crane digest\n\npython:3.11 {D}\n")).unwrap();
        assert_eq!(file.digest("python:3.11"), Some(D));
        assert_eq!(file.digest("python:3.12"), None);
        let e = ImageDigests::parse("python:3.11\n").unwrap_err();
        assert!(e.starts_with("1: expected"), "{e}");
        let e = ImageDigests::parse("a:1 sha256:abc\n").unwrap_err();
        assert!(e.starts_with("1: `sha256:abc` is not a digest"), "{e}");
        let e = ImageDigests::parse(&format!("\na@{D} {D}\n")).unwrap_err();
        assert!(e.starts_with("2: "), "{e}");
    }
}
