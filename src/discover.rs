//! Which files a run lints: explicit files as given, directories walked honouring
//! `.gitignore` (and `.ignore`), keeping `.yaml`, `.yml` and `.json`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::config::Config;
use crate::engine::Input;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

fn has_pipeline_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Whether git's global excludes file (`core.excludesFile`, else
/// `$XDG_CONFIG_HOME/git/ignore`) can hold rules for a walk.
///
/// The walker finds that file by searching git's config files with a regex, compiled once
/// a run: ~1.3 M instructions, a third of a one-file run, before any file is linted. When
/// none of those files names `excludesfile` (in any case) and the default file does not
/// exist, the walker would find no rules: it is told not to look. The config files are the
/// ones the `ignore` crate reads (0.4.34, `gitconfig_excludes_path`): `$GIT_CONFIG_GLOBAL`,
/// `~/.gitconfig`, `$XDG_CONFIG_HOME/git/config`, `$GIT_CONFIG_SYSTEM` or `/etc/gitconfig`.
pub(crate) fn global_gitignore_may_apply() -> bool {
    static MAY_APPLY: OnceLock<bool> = OnceLock::new();
    *MAY_APPLY.get_or_init(|| {
        let env_path = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|p| !p.as_os_str().is_empty())
        };
        // The home directory as the `ignore` crate finds it.
        #[allow(deprecated)]
        let home = std::env::home_dir();
        let config_home =
            env_path("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
        let configs = [
            env_path("GIT_CONFIG_GLOBAL"),
            home.as_ref().map(|h| h.join(".gitconfig")),
            config_home.as_ref().map(|c| c.join("git/config")),
            Some(env_path("GIT_CONFIG_SYSTEM").unwrap_or_else(|| PathBuf::from("/etc/gitconfig"))),
        ];
        let names_excludes_file = |path: &Path| {
            std::fs::read(path).is_ok_and(|text| {
                text.windows(b"excludesfile".len())
                    .any(|w| w.eq_ignore_ascii_case(b"excludesfile"))
            })
        };
        configs.iter().flatten().any(|c| names_excludes_file(c))
            || config_home.is_some_and(|c| c.join("git/ignore").is_file())
    })
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
                .git_global(global_gitignore_may_apply())
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
    /// The folders of walked files and the names in them, and the other paths whole.
    text: String,
    /// The folders in `text` (a folder's files mostly come one after another: each run of
    /// them names its folder once).
    folders: Vec<(u32, u32)>,
    /// The paths in the order they were found.
    found: Vec<Found>,
    /// Whether each found path was named on the command line.
    explicit: Vec<bool>,
    /// The found paths that are not UTF-8 (rare), by their index.
    not_utf8: Vec<(usize, PathBuf)>,
    /// The found paths kept, in the run's order: indices into `found`.
    order: Vec<u32>,
    /// Each kept path's config (by position in `order`): empty until one is set.
    configs: Vec<Option<Arc<Config>>>,
}

/// Where a found path is in [`Inputs::text`].
#[derive(Clone, Copy, Debug)]
struct Found {
    /// Its folder (in [`Inputs::folders`]), followed by `/` and the name at `start..end`;
    /// [`WHOLE`]: the path is `start..end` (empty: one that is not UTF-8).
    folder: u32,
    start: u32,
    end: u32,
}

const WHOLE: u32 = u32::MAX;

/// A path as the pieces of [`Inputs::text`] that spell it, one after another.
type Pieces<'a> = ([&'a str; 3], usize);

impl Inputs {
    /// Adds a path at the end of the order.
    fn push(&mut self, path: &Path, explicit: bool) {
        let index = self.found.len();
        let offset = |at: usize| u32::try_from(at).expect("under 4 GiB of paths");
        // `folder/name`: the folder is written once for the files that follow in it.
        let (folder, start) = match path.to_str() {
            None => {
                self.not_utf8.push((index, path.to_path_buf()));
                (WHOLE, offset(self.text.len()))
            }
            Some(text) => match split_folder(text).filter(|_| !explicit) {
                Some((folder, name)) => {
                    let last = self.folders.last().copied();
                    if last.is_none_or(|(s, e)| &self.text[s as usize..e as usize] != folder) {
                        let start = offset(self.text.len());
                        self.text.push_str(folder);
                        self.folders.push((start, offset(self.text.len())));
                    }
                    let start = offset(self.text.len());
                    self.text.push_str(name);
                    (offset(self.folders.len() - 1), start)
                }
                None => {
                    let start = offset(self.text.len());
                    self.text.push_str(text);
                    (WHOLE, start)
                }
            },
        };
        let found = Found {
            folder,
            start,
            end: offset(self.text.len()),
        };
        self.found.push(found);
        self.explicit.push(explicit);
        self.order
            .push(u32::try_from(index).expect("fewer than 2^32 inputs"));
    }

    /// The pieces of the UTF-8 text of the found path at `index`: none for one that is not.
    fn pieces(&self, index: usize) -> Pieces<'_> {
        let Found { folder, start, end } = self.found[index];
        let name = &self.text[start as usize..end as usize];
        if folder == WHOLE {
            return ([name, "", ""], usize::from(!name.is_empty()));
        }
        let (s, e) = self.folders[folder as usize];
        ([&self.text[s as usize..e as usize], "/", name], 3)
    }

    /// The found path at `index` (into `found`).
    fn found(&self, index: usize) -> std::borrow::Cow<'_, Path> {
        use std::borrow::Cow;
        let (pieces, n) = self.pieces(index);
        match n {
            0 => match self.not_utf8.binary_search_by_key(&index, |(i, _)| *i) {
                Ok(at) => Cow::Borrowed(&self.not_utf8[at].1),
                Err(_) => Cow::Borrowed(Path::new("")),
            },
            1 => Cow::Borrowed(Path::new(pieces[0])),
            _ => Cow::Owned(PathBuf::from(pieces[..n].concat())),
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The path of the `i`-th input.
    pub fn path(&self, i: usize) -> std::borrow::Cow<'_, Path> {
        self.found(self.order[i] as usize)
    }

    /// The order of the `a`-th and `b`-th inputs' paths as shown (as strings, without a
    /// leading `./`: see [`crate::engine::display_path`]), without spelling either out.
    pub fn cmp_shown(&self, a: usize, b: usize) -> Ordering {
        let (a, b) = (self.order[a] as usize, self.order[b] as usize);
        let (pa, pb) = (self.pieces(a), self.pieces(b));
        if pa.1 == 0 || pb.1 == 0 {
            let shown = |i| crate::engine::display_path(&self.found(i));
            return shown(a).cmp(&shown(b));
        }
        cmp_pieces(without_dot_slash(pa), without_dot_slash(pb), u16::from)
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
            .map(|i| keep(&self.path(i), self.explicit(i), self.config(i)))
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
                path: self.path(i).into_owned(),
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
        let mut order = std::mem::take(&mut self.order);
        let plain: Vec<u8> = (0..self.found.len())
            .map(|i| plain_kind(self.pieces(i)))
            .collect();
        let cmp = |a: usize, b: usize| {
            let (fa, fb) = (self.found[a], self.found[b]);
            if plain[a] != 0 && plain[a] == plain[b] && fa.folder == fb.folder && fa.folder != WHOLE
            {
                // Names in one folder: no separator in either.
                let name = |f: Found| &self.text.as_bytes()[f.start as usize..f.end as usize];
                name(fa).cmp(name(fb))
            } else if plain[a] != 0 && plain[a] == plain[b] {
                cmp_pieces(self.pieces(a), self.pieces(b), separator_first)
            } else {
                self.found(a).cmp(&self.found(b))
            }
        };
        order.sort_by(|&a, &b| cmp(a as usize, b as usize));
        order.dedup_by(|later, kept| cmp(*later as usize, *kept as usize) == Ordering::Equal);
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

/// `folder` and `name` of a walked file's `folder/name` (a name without `/`).
fn split_folder(path: &str) -> Option<(&str, &str)> {
    let (folder, name) = path.rsplit_once('/')?;
    let plain_name = !name.is_empty() && name != "." && name != "..";
    let plain_folder = !folder.is_empty() && !folder.ends_with('/');
    (plain_name && plain_folder && !(cfg!(windows) && name.contains(['\\', ':'])))
        .then_some((folder, name))
}

/// The kind of a plain path, whose components are its `/`-separated names after a leading
/// `/` (1) or `./` (2), or neither (3): no name empty, `.` or `..`, and (on Windows) no other
/// separator or drive. 0: not plain. Two plain paths of one kind compare as bytes do with
/// [`separator_first`].
fn plain_kind((pieces, n): Pieces<'_>) -> u8 {
    let path = pieces[..n].concat();
    let path = path.as_str();
    if path.is_empty() || cfg!(windows) && path.contains(['\\', ':']) {
        return 0;
    }
    let (kind, names) = match (path.strip_prefix('/'), path.strip_prefix("./")) {
        (Some(names), _) => (1, names),
        (_, Some(names)) => (2, names),
        _ => (3, path),
    };
    let plain = names
        .split('/')
        .all(|name| !name.is_empty() && name != "." && name != "..");
    if plain {
        kind
    } else {
        0
    }
}

/// Bytes of plain paths of one kind ([`plain_kind`]) in the order of their components: names joined by a
/// separator that sorts below every byte of a name compare as their lists of names do (and
/// a root, a separator at the start, sorts before a name as `Component::RootDir` does).
fn separator_first(byte: u8) -> u16 {
    if byte == b'/' {
        0
    } else {
        u16::from(byte) + 1
    }
}

/// The pieces of a path as shown: without a leading `./`.
fn without_dot_slash((mut pieces, n): Pieces<'_>) -> Pieces<'_> {
    if pieces[0] == "." && n == 3 {
        return ([pieces[2], "", ""], 1);
    }
    pieces[0] = pieces[0].strip_prefix("./").unwrap_or(pieces[0]);
    (pieces, n)
}

/// Compares two paths given as pieces, byte by byte as `rank` orders bytes.
fn cmp_pieces(a: Pieces<'_>, b: Pieces<'_>, rank: impl Fn(u8) -> u16) -> Ordering {
    let (mut a, mut b) = (&a.0[..a.1], &b.0[..b.1]);
    let (mut at_a, mut at_b) = (0, 0);
    loop {
        while let Some((_, rest)) = a.split_first().filter(|(p, _)| at_a == p.len()) {
            a = rest;
            at_a = 0;
        }
        while let Some((_, rest)) = b.split_first().filter(|(p, _)| at_b == p.len()) {
            b = rest;
            at_b = 0;
        }
        let (Some(pa), Some(pb)) = (a.first(), b.first()) else {
            return (!a.is_empty()).cmp(&!b.is_empty());
        };
        let (sa, sb) = (&pa.as_bytes()[at_a..], &pb.as_bytes()[at_b..]);
        let n = sa.len().min(sb.len());
        if let Some(i) = first_difference(&sa[..n], &sb[..n]) {
            return rank(sa[i]).cmp(&rank(sb[i]));
        }
        at_a += n;
        at_b += n;
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

    /// Inputs compare as the paths reports show do (strings without a leading `./`), walked
    /// (a folder and a name) or named whole.
    #[test]
    fn shown_order_is_the_order_of_display_paths() {
        let paths = [
            "./b.yaml",
            "b/a.yaml",
            "./a/b.yaml",
            "a.yaml",
            "./a-b.yaml",
            "a/b.yaml",
            "./a",
            ".x/a.yaml",
            "/r/a.yaml",
            "./.x/a.yaml",
            "a/b/c.yaml",
            "a/b",
            "ab/c.yaml",
        ];
        let given: Vec<Input> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| Input {
                path: PathBuf::from(p),
                explicit: i % 3 == 0,
                config: None,
            })
            .collect();
        let inputs = Inputs::from(given);
        assert!(
            inputs.folders.len() > 3,
            "walked paths keep their folder apart"
        );
        let mut by_pieces: Vec<usize> = (0..inputs.len()).collect();
        by_pieces.sort_by(|&a, &b| inputs.cmp_shown(a, b));
        let mut by_strings: Vec<usize> = (0..inputs.len()).collect();
        by_strings.sort_by_key(|&i| crate::engine::display_path(&inputs.path(i)));
        let shown = |order: &[usize]| -> Vec<String> {
            order
                .iter()
                .map(|&i| inputs.path(i).display().to_string())
                .collect()
        };
        assert_eq!(shown(&by_pieces), shown(&by_strings));
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
        let paths: Vec<PathBuf> = (0..inputs.len())
            .map(|i| inputs.path(i).into_owned())
            .collect();
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
