//! `file:` URIs to paths. Other schemes (`untitled:`, `git:`...) have no path: such documents
//! are still linted, with the default settings.

use std::path::PathBuf;

/// The path of a `file:` URI (`file:///a/b%20c.yaml`, `file://localhost/a`,
/// `file:///c%3A/x.yaml` on Windows); `None` for anything else.
pub fn to_path(uri: &str) -> Option<PathBuf> {
    let rest = strip_prefix_ignore_case(uri, "file://")?;
    // Drop a query or fragment; neither belongs to a file path.
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if !(authority.is_empty() || authority.eq_ignore_ascii_case("localhost")) {
        return None; // a UNC share: not something we read here
    }
    let decoded = percent_decode(path)?;
    Some(PathBuf::from(native(decoded)))
}

/// The `file:` URI of an absolute path, percent-encoding what RFC 3986 does not allow in a
/// path (as VS Code and Neovim write them, so that the client matches it to its buffers).
pub fn from_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/'); // `c:/x` -> `file:///c:/x`
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(windows)]
fn native(path: String) -> String {
    // `/c:/x` -> `c:/x`
    let b = path.as_bytes();
    if b.len() >= 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        path[1..].replace('/', "\\")
    } else {
        path.replace('/', "\\")
    }
}

#[cfg(not(windows))]
fn native(path: String) -> String {
    path
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(all(test, not(windows)))]
mod tests {
    use super::*;

    #[test]
    fn file_uris() {
        assert_eq!(
            to_path("file:///home/me/p%20q/wf.yaml"),
            Some(PathBuf::from("/home/me/p q/wf.yaml"))
        );
        assert_eq!(
            to_path("file://localhost/tmp/x.yaml"),
            Some(PathBuf::from("/tmp/x.yaml"))
        );
        assert_eq!(
            to_path("FILE:///tmp/caf%C3%A9.yaml"),
            Some(PathBuf::from("/tmp/café.yaml"))
        );
        assert_eq!(
            to_path("file:///tmp/x.yaml#L3"),
            Some(PathBuf::from("/tmp/x.yaml"))
        );
    }

    #[test]
    fn paths_to_uris_and_back() {
        for path in ["/home/me/p q/wf.yaml", "/tmp/café#1.yaml", "/a/b%c.yaml"] {
            let uri = from_path(std::path::Path::new(path));
            assert_eq!(to_path(&uri), Some(PathBuf::from(path)), "{uri}");
        }
        assert_eq!(
            from_path(std::path::Path::new("/home/me/p q/wf.yaml")),
            "file:///home/me/p%20q/wf.yaml"
        );
    }

    #[test]
    fn not_files() {
        assert_eq!(to_path("untitled:Untitled-1"), None);
        assert_eq!(to_path("file://server/share/x.yaml"), None);
        assert_eq!(to_path("file:///bad%zz"), None);
        assert_eq!(to_path("file:///bad%ff"), None);
        assert_eq!(to_path(""), None);
    }
}
