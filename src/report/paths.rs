//! File names as CI systems want them: relative to the repository root (SARIF, GitHub
//! annotations, JUnit), whatever directory pipelint ran from and however the paths were
//! given on the command line.

use std::path::{Component, Path, PathBuf};

/// The repository root and the directory pipelint runs in, both absolute.
#[derive(Clone, Debug)]
pub struct RepoRoot {
    root: PathBuf,
    cwd: PathBuf,
}

impl RepoRoot {
    /// The nearest directory from `cwd` upwards that holds `.git` (a directory, or a file in
    /// a worktree or submodule), else `cwd` itself. `cwd` must be absolute.
    pub fn find(cwd: &Path) -> RepoRoot {
        let root = cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .unwrap_or(cwd);
        RepoRoot::new(root, cwd)
    }

    /// An explicit root (tests, or a caller that knows better); both paths absolute.
    pub fn new(root: &Path, cwd: &Path) -> RepoRoot {
        RepoRoot {
            root: normalize(root),
            cwd: normalize(cwd),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute, lexically normalised form of `path` (relative paths are taken from the
    /// working directory; symlinks are left alone, as git sees them).
    pub fn absolute(&self, path: &str) -> PathBuf {
        normalize(&self.cwd.join(path))
    }

    /// `path` relative to the root with `/` separators, or `None` if it lies outside.
    pub fn relative(&self, path: &str) -> Option<String> {
        let abs = self.absolute(path);
        let rel = abs.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// `path` relative to the root when it is inside, else as given: what a person or a CI
    /// system that checked out the repository can open.
    pub fn display(&self, path: &str) -> String {
        self.relative(path).unwrap_or_else(|| path.to_string())
    }

    /// `file:///abs/root/`, with the trailing slash SARIF requires of a base URI.
    pub fn root_uri(&self) -> String {
        let mut uri = file_uri(&self.root);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        uri
    }
}

/// `.` and `..` resolved without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// An absolute `file:` URI for an absolute path.
pub fn file_uri(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(encode_uri_segment(&s.to_string_lossy())),
            _ => None,
        })
        .collect();
    format!("file:///{}", parts.join("/"))
}

/// A `/`-separated relative path as a relative URI reference: each segment percent-encoded
/// except for RFC 3986 unreserved characters and the sub-delimiters that are common in
/// file names. `:` is always encoded so that `a:b.yaml` cannot be read as a scheme.
pub fn relative_uri(path: &str) -> String {
    path.split('/')
        .map(encode_uri_segment)
        .collect::<Vec<_>>()
        .join("/")
}

fn encode_uri_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_relative_to_the_root() {
        let root = RepoRoot::new(Path::new("/repo"), Path::new("/repo/sub"));
        assert_eq!(root.relative("wf.yaml").as_deref(), Some("sub/wf.yaml"));
        assert_eq!(
            root.relative("./a/../wf.yaml").as_deref(),
            Some("sub/wf.yaml")
        );
        assert_eq!(root.relative("../top.yaml").as_deref(), Some("top.yaml"));
        assert_eq!(root.relative("/repo/x/y.json").as_deref(), Some("x/y.json"));
        assert_eq!(root.relative("../../elsewhere/y.yaml"), None);
        assert_eq!(
            root.relative("/repository/y.yaml"),
            None,
            "not a prefix match"
        );
        assert_eq!(
            root.display("../../elsewhere/y.yaml"),
            "../../elsewhere/y.yaml"
        );
        assert_eq!(root.root_uri(), "file:///repo/");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            relative_uri("dir with space/a:b,c%d é.yaml"),
            "dir%20with%20space/a%3Ab,c%25d%20%C3%A9.yaml"
        );
        assert_eq!(
            file_uri(Path::new("/tmp/x #1/wf.yaml")),
            "file:///tmp/x%20%231/wf.yaml"
        );
    }

    #[test]
    fn the_root_is_the_nearest_git_directory() {
        let dir = std::env::temp_dir().join(format!("pipelint-root-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.join("repo/a/b")).unwrap();
        let found = RepoRoot::find(&dir.join("repo/a/b"));
        assert_eq!(found.root(), dir.join("repo"));
        assert_eq!(found.relative("wf.yaml").as_deref(), Some("a/b/wf.yaml"));
        let outside = RepoRoot::find(&dir);
        // No repository above the temp dir: the working directory is the root.
        if !std::env::temp_dir()
            .ancestors()
            .any(|d| d.join(".git").exists())
        {
            assert_eq!(outside.root(), dir);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
