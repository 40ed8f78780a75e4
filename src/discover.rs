//! Which files a run lints: explicit files as given, directories walked honouring
//! `.gitignore` (and `.ignore`), keeping `.yaml`, `.yml` and `.json`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
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
    discover_packed(paths).map(|inputs| inputs.to_vec())
}

/// [`discover`], packed: a run over many files holds one buffer of paths, not an
/// allocation per file for the whole run.
pub fn discover_packed(paths: &[PathBuf]) -> Result<Inputs, MissingPath> {
    let mut inputs = Inputs::default();
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
                    inputs.push(entry.path(), false);
                }
            }
        } else if path.exists() || path.is_symlink() {
            inputs.push(path, true);
        } else {
            return Err(MissingPath(path.clone()));
        }
    }
    inputs.sort_and_dedup();
    Ok(inputs)
}

/// The files of a run, in the run's order, handed out by index (`0..len()`): their paths
/// in one buffer, whether each was named on the command line, and its config once resolved.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The UTF-8 paths, one after another, in the order they were found.
    text: String,
    /// Where each found path ends in `text` (a path that is not UTF-8 takes no room there).
    ends: Vec<usize>,
    /// Whether each found path was named on the command line.
    explicit: Vec<bool>,
    /// The found paths that are not UTF-8 (rare), by their index.
    not_utf8: Vec<(usize, PathBuf)>,
    /// The found paths kept, in the run's order: indices into `ends`.
    order: Vec<u32>,
    /// Each kept path's config (by position in `order`): empty until one is set.
    configs: Vec<Option<Arc<Config>>>,
}

impl Inputs {
    /// Adds a path at the end of the order.
    fn push(&mut self, path: &Path, explicit: bool) {
        let index = self.ends.len();
        match path.to_str() {
            Some(text) => self.text.push_str(text),
            None => self.not_utf8.push((index, path.to_path_buf())),
        }
        self.ends.push(self.text.len());
        self.explicit.push(explicit);
        self.order
            .push(u32::try_from(index).expect("fewer than 2^32 inputs"));
    }

    /// The UTF-8 text of the found path at `index` (into `ends`): empty for one that is not.
    fn found_text(&self, index: usize) -> &str {
        let start = index.checked_sub(1).map_or(0, |i| self.ends[i]);
        &self.text[start..self.ends[index]]
    }

    /// The found path at `index` (into `ends`).
    fn found(&self, index: usize) -> &Path {
        let text = self.found_text(index);
        if text.is_empty() {
            if let Ok(at) = self.not_utf8.binary_search_by_key(&index, |(i, _)| *i) {
                return &self.not_utf8[at].1;
            }
        }
        Path::new(text)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The path of the `i`-th input.
    pub fn path(&self, i: usize) -> &Path {
        self.found(self.order[i] as usize)
    }

    /// Was the `i`-th input named on the command line?
    pub fn explicit(&self, i: usize) -> bool {
        self.explicit[self.order[i] as usize]
    }

    /// The config of the `i`-th input, if one was set.
    pub fn config(&self, i: usize) -> Option<&Arc<Config>> {
        self.configs.get(i).and_then(Option::as_ref)
    }

    pub fn set_config(&mut self, i: usize, config: Arc<Config>) {
        if self.configs.len() < self.order.len() {
            self.configs.resize(self.order.len(), None);
        }
        self.configs[i] = Some(config);
    }

    /// Keeps the inputs for which `keep(path, explicit, config)` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Path, bool, Option<&Arc<Config>>) -> bool) {
        let kept: Vec<bool> = (0..self.len())
            .map(|i| keep(self.path(i), self.explicit(i), self.config(i)))
            .collect();
        let mut verdicts = kept.iter();
        self.order.retain(|_| verdicts.next() == Some(&true));
        if !self.configs.is_empty() {
            let mut verdicts = kept.iter();
            self.configs.retain(|_| verdicts.next() == Some(&true));
        }
    }

    /// The inputs one by one, as [`discover`] returns them.
    pub fn to_vec(&self) -> Vec<Input> {
        (0..self.len())
            .map(|i| Input {
                path: self.path(i).to_path_buf(),
                explicit: self.explicit(i),
                config: self.config(i).cloned(),
            })
            .collect()
    }

    /// Sorts the inputs by path as [`Path::cmp`] orders them (component by component),
    /// stably, and keeps the first of equal paths (the one named or walked first).
    fn sort_and_dedup(&mut self) {
        // Most paths are plain names joined by single `/`: for two such paths, comparing
        // bytes with `/` below every other byte is comparing components, without splitting
        // either into components (which took most of the sort's time).
        let plain: Vec<bool> = (0..self.ends.len())
            .map(|i| is_plain(self.found_text(i)))
            .collect();
        let mut order = std::mem::take(&mut self.order);
        order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            if plain[a] && plain[b] {
                cmp_plain(self.found_text(a).as_bytes(), self.found_text(b).as_bytes())
            } else {
                self.found(a).cmp(self.found(b))
            }
        });
        order.dedup_by(|later, kept| {
            let (later, kept) = (*later as usize, *kept as usize);
            if plain[later] && plain[kept] {
                self.found_text(later) == self.found_text(kept)
            } else {
                self.found(later) == self.found(kept)
            }
        });
        self.order = order;
        self.configs.clear();
    }
}

impl From<Vec<Input>> for Inputs {
    /// The inputs in the order given (not sorted, duplicates kept), configs with them.
    fn from(given: Vec<Input>) -> Inputs {
        let mut inputs = Inputs::default();
        for input in &given {
            inputs.push(&input.path, input.explicit);
        }
        if given.iter().any(|i| i.config.is_some()) {
            inputs.configs = given.into_iter().map(|i| i.config).collect();
        }
        inputs
    }
}

/// A path whose components are its `/`-separated names (after a leading `/`): none empty,
/// `.` or `..`, and (on Windows) no other separator or drive.
fn is_plain(path: &str) -> bool {
    if cfg!(windows) && path.contains(['\\', ':']) {
        return false;
    }
    let names = path.strip_prefix('/').unwrap_or(path);
    names
        .split('/')
        .all(|name| !name.is_empty() && name != "." && name != "..")
}

/// [`Path::cmp`] of two plain paths ([`is_plain`]): names joined by a separator that sorts
/// below every byte of a name compare as their lists of names do (and a root, a separator
/// at the start, sorts before a name as `Component::RootDir` does).
fn cmp_plain(a: &[u8], b: &[u8]) -> Ordering {
    let separator_first = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
    match first_difference(a, b) {
        Some(i) => separator_first(a[i]).cmp(&separator_first(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Where `a` and `b` first differ, if before the end of the shorter: eight bytes at a
/// time over the folders that sorted paths share.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let shorter = a.len().min(b.len());
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let mut at = 0;
    while at + 8 <= shorter && word(a, at) == word(b, at) {
        at += 8;
    }
    (at..shorter).find(|&i| a[i] != b[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packed order is `Path::cmp`'s, and of equal paths the first (the one named or
    /// walked first) is kept, whatever the paths' spelling.
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
            "/a/b",
            "/a.b",
            "..a/b",
            ".a",
            "a/.b",
            "a/..b",
            "",
        ];
        let given: Vec<Input> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| Input {
                path: PathBuf::from(p),
                explicit: i % 2 == 0,
                config: None,
            })
            .collect();
        let mut expected: Vec<(PathBuf, bool)> =
            given.iter().map(|i| (i.path.clone(), i.explicit)).collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        expected.dedup_by(|later, kept| later.0 == kept.0);
        let mut inputs = Inputs::from(given);
        inputs.sort_and_dedup();
        let sorted: Vec<(PathBuf, bool)> = inputs
            .to_vec()
            .into_iter()
            .map(|i| (i.path, i.explicit))
            .collect();
        assert_eq!(sorted, expected);
        // `a//b`, `a/./b` and `a/b/` are `a/b`: the first one given is kept.
        let kept: Vec<&str> = sorted
            .iter()
            .filter(|(p, _)| p.as_path() == Path::new("a/b"))
            .map(|(p, _)| p.to_str().unwrap())
            .collect();
        assert_eq!(kept, ["a/b"]);
    }

    /// Paths that are not UTF-8 are kept as they are, in their place.
    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_keeps_its_bytes_and_place() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let odd = PathBuf::from(OsStr::from_bytes(b"b/\xff.yaml"));
        let given: Vec<Input> = [
            PathBuf::from("c.yaml"),
            odd.clone(),
            PathBuf::from("a.yaml"),
        ]
        .into_iter()
        .map(|path| Input {
            path,
            explicit: false,
            config: None,
        })
        .collect();
        let mut inputs = Inputs::from(given);
        inputs.sort_and_dedup();
        let paths: Vec<PathBuf> = (0..inputs.len()).map(|i| inputs.path(i).into()).collect();
        assert_eq!(
            paths,
            [PathBuf::from("a.yaml"), odd, PathBuf::from("c.yaml")]
        );
    }

    /// Configs follow their inputs through `retain`, and `to_vec` hands them out.
    #[test]
    fn configs_follow_their_inputs() {
        let mut inputs = Inputs::default();
        for (path, explicit) in [("x/a.yaml", false), ("x/b.yaml", true), ("x/c.yaml", false)] {
            inputs.push(Path::new(path), explicit);
        }
        let (one, two) = (Arc::new(Config::default()), Arc::new(Config::default()));
        inputs.set_config(0, one.clone());
        inputs.set_config(2, two.clone());
        inputs.retain(|path, explicit, _| explicit || path != Path::new("x/a.yaml"));
        let kept = inputs.to_vec();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].path, Path::new("x/b.yaml"));
        assert!(kept[0].explicit && kept[0].config.is_none());
        assert_eq!(kept[1].path, Path::new("x/c.yaml"));
        assert!(Arc::ptr_eq(kept[1].config.as_ref().unwrap(), &two));
    }
}
