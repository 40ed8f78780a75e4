//! `pipelint check --diff`: what `--fix` would change, as a unified diff that `patch -p0`
//! applies (`--- path` / `+++ path`, as ruff prints it).

/// The unified diff from `old` to `new` for the file `path`; empty when they are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(path, path)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_names_the_file_and_shows_the_change_in_context() {
        let old = "a: 1\nb: 2\nc: 3\n";
        let new = "a: 1\nb: 5\nc: 3\n";
        assert_eq!(
            unified("wf.yaml", old, new),
            "--- wf.yaml\n+++ wf.yaml\n@@ -1,3 +1,3 @@\n a: 1\n-b: 2\n+b: 5\n c: 3\n"
        );
        assert_eq!(unified("wf.yaml", old, old), "");
        // A file without a final line break says so, as diff(1) does.
        let diff = unified("x", "a", "b");
        assert!(diff.contains("\\ No newline at end of file"), "{diff}");
    }
}
