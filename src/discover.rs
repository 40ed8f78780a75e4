//! Which files a run lints: explicit files as given, directories walked honouring
//! `.gitignore` (and `.ignore`), keeping `.yaml`, `.yml` and `.json`.

use std::path::{Path, PathBuf};

use crate::engine::Input;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

fn has_pipeline_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A path named on the command line that does not exist.
#[derive(Debug)]
pub struct MissingPath(pub PathBuf);

/// Expands paths into the files to lint, sorted and without duplicates.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, MissingPath> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.is_dir() {
            let walker = ignore::WalkBuilder::new(path)
                .hidden(false)
                .require_git(false)
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            for entry in walker.flatten() {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if is_file && has_pipeline_extension(entry.path()) {
                    inputs.push(Input {
                        path: entry.into_path(),
                        explicit: false,
                        config: None,
                    });
                }
            }
        } else if path.exists() || path.is_symlink() {
            inputs.push(Input {
                path: path.clone(),
                explicit: true,
                config: None,
            });
        } else {
            return Err(MissingPath(path.clone()));
        }
    }
    sort_by_path(&mut inputs);
    inputs.dedup_by(|a, b| a.path == b.path);
    Ok(inputs)
}

/// Sorts `inputs` by path as [`Path::cmp`] orders them (component by component), stably.
/// Each path is turned once into bytes that compare in that order, so the sort compares
/// plain bytes instead of splitting both paths into components at every comparison.
fn sort_by_path(inputs: &mut Vec<Input>) {
    use std::path::Component;
    if inputs
        .iter()
        .any(|i| matches!(i.path.components().next(), Some(Component::Prefix(_))))
    {
        // A Windows drive or share: its own order; no such path is common enough to matter.
        inputs.sort_by(|a, b| a.path.cmp(&b.path));
        return;
    }
    // Per component: its kind in `Component`'s order, its name, and a 0 that no name
    // holds (so a name sorts before the longer names it starts).
    let mut keys = Vec::new();
    let mut bounds = Vec::with_capacity(inputs.len() + 1);
    bounds.push(0);
    for input in inputs.iter() {
        for component in input.path.components() {
            let (kind, name) = match component {
                Component::Prefix(_) => unreachable!("checked above"),
                Component::RootDir => (1, &[][..]),
                Component::CurDir => (2, &[][..]),
                Component::ParentDir => (3, &[][..]),
                Component::Normal(name) => (4, name.as_encoded_bytes()),
            };
            keys.push(kind);
            keys.extend_from_slice(name);
            keys.push(0);
        }
        bounds.push(keys.len());
    }
    let key = |i: usize| &keys[bounds[i]..bounds[i + 1]];
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(key(b)));
    let mut unsorted: Vec<Option<Input>> = std::mem::take(inputs).into_iter().map(Some).collect();
    inputs.extend(order.iter().filter_map(|&i| unsorted[i].take()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte keys order paths as `Path::cmp` does, and keep the first of equal paths
    /// (the one named or walked first), whatever the paths' spelling.
    #[test]
    fn paths_sort_in_the_order_of_their_components() {
        let paths = [
            "a/b",
            "a.b",
            "a",
            "a-b/c",
            "a/b/c",
            "./a",
            "/a",
            "../a",
            "a//b",
            "a/./b",
            "a/b/",
            "ab",
            "a/b.yaml",
            "a/b/a.yaml",
            "./a/b",
            "/",
            "..",
            ".",
            "B",
            "b",
            "a/..",
            "é/x",
            "a\u{1}/b",
        ];
        let mut inputs: Vec<Input> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| Input {
                path: PathBuf::from(p),
                explicit: i % 2 == 0,
                config: None,
            })
            .collect();
        let mut expected: Vec<(PathBuf, bool)> = inputs
            .iter()
            .map(|i| (i.path.clone(), i.explicit))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        sort_by_path(&mut inputs);
        let sorted: Vec<(PathBuf, bool)> = inputs
            .iter()
            .map(|i| (i.path.clone(), i.explicit))
            .collect();
        assert_eq!(sorted, expected);
        // `a//b`, `a/./b` and `a/b/` are `a/b`: each run of equals kept in input order.
        let run: Vec<&str> = sorted
            .iter()
            .filter(|(p, _)| p.as_path() == Path::new("a/b"))
            .map(|(p, _)| p.to_str().unwrap())
            .collect();
        assert_eq!(run, ["a/b", "a//b", "a/./b", "a/b/"]);
    }
}
