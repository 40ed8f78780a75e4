//! The classifiers' knowledge, as data: which Python calls, methods, shell commands, Argo
//! artifacts and step names answer which question (io, non-idempotent, random, seeds), under
//! which conditions on their arguments, how sure that is, the phrase for messages and a
//! reference. The built-in rows live in the YAML files beside this module (compiled in and
//! read once, on first use); `.pipelint.yaml` adds rows of the same shape (`knowledge:`).
//! The Python and shell scanners interpret these rows: no classifier knowledge is written
//! in Rust.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use super::{Confidence, Question};

mod dfa;
mod row;
#[cfg(test)]
mod source;
pub use dfa::Dfa;
pub use row::{CheckpointEnv, List, Row, RowConfidence, RowQuestion, Shapes, Text, TriggerWord};

// `BUILTIN_ROWS` and `BUILTIN_SHAPES`, written by build.rs from the YAML files beside this
// module (which validated every row: a bad row fails the build with its file and line).
include!(concat!(env!("OUT_DIR"), "/knowledge.rs"));

/// The built-in knowledge files, as text: tests read them with the project's own parser.
#[cfg(test)]
const BUILTIN: &[(&str, &str)] = &[
    ("checkpoint.yaml", include_str!("checkpoint.yaml")),
    ("io.yaml", include_str!("io.yaml")),
    ("non-idempotent.yaml", include_str!("non-idempotent.yaml")),
    ("random.yaml", include_str!("random.yaml")),
];

impl RowQuestion {
    pub fn question(self) -> Option<Question> {
        match self {
            RowQuestion::Io => Some(Question::Io),
            RowQuestion::NonIdempotent => Some(Question::NonIdempotent),
            RowQuestion::Random => Some(Question::Random),
            RowQuestion::Seeds => None,
        }
    }
}

impl Row {
    pub fn confidence(&self) -> Confidence {
        match self.confidence {
            RowConfidence::High => Confidence::High,
            RowConfidence::Low => Confidence::Low,
        }
    }

    /// A user's row is well formed: [`Row::check_shape`], and its pattern compiles (the
    /// built-in patterns are compiled by a test instead: compiling them all costs
    /// milliseconds that a short run would pay on start-up).
    pub fn check(&self) -> Result<(), String> {
        self.check_shape()?;
        if let Some(re) = &self.command {
            super::ascii_regex(re)
                .map_err(|e| format!("row `{}`: invalid `command` pattern: {e}", self.id))?;
        }
        Ok(())
    }
}

/// The hash of [`Knowledge`]'s index of names: its keys are the rows' own words, fixed when
/// it is built, so no text can make a lookup walk far (what a randomly keyed hash is for);
/// a lookup per call of a program hashes a short name with a few multiplications.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A number no other [`Knowledge`] of the process has.
fn new_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// All rows, indexed for the interpreters.
#[derive(Debug)]
pub struct Knowledge {
    /// Tells this knowledge from any other of the run (results kept for a text are only
    /// reused with the knowledge that found them).
    pub id: u64,
    pub rows: Vec<Row>,
    pub shapes: Shapes,
    /// Call and method rows by the last component of a pattern without `*` in it.
    by_last: HashMap<String, Vec<usize>, BuildHasherDefault<WordHasher>>,
    /// Call rows whose last component has a `*`, by the first component of their names
    /// (`boto3` for `boto3.*`): tried on the calls of names that start with it.
    by_head: HashMap<String, Vec<usize>, BuildHasherDefault<WordHasher>>,
    /// The other call and method rows whose last component has a `*` (`pagerduty*`, `*`,
    /// `read_*`): tried on every call.
    always: Vec<usize>,
    /// Shell rows, in order.
    pub commands: Vec<usize>,
    /// Per combination of questions ([`super::Asked::index`]): is each row's asked?
    rows_asked: [Vec<bool>; 8],
    /// Rows about a container image, in order.
    pub image_rows: Vec<usize>,
    /// Rows about an Argo artifact's location, in order.
    pub artifact_rows: Vec<usize>,
    /// Rows about a step's structure (a resource action, a kind of step), in order.
    pub structure_rows: Vec<usize>,
    /// Rows about a step's name, in order.
    pub step_name_rows: Vec<usize>,
    shell: std::sync::OnceLock<super::shell::ShellTable>,
    prefilter: Prefilter,
    /// The first bytes of `shapes.remote_schemes` and of `shapes.url_schemes`: most strings
    /// of a program start with none, and are told so without a comparison per scheme.
    remote_starts: FirstBytes,
    url_starts: FirstBytes,
}

/// The first bytes of a list of prefixes: a text that starts with none of them starts with
/// none of the prefixes.
#[derive(Debug)]
struct FirstBytes {
    bytes: [bool; 256],
    /// An empty prefix is the start of every text.
    empty: bool,
}

impl FirstBytes {
    fn of(prefixes: &[Text]) -> FirstBytes {
        let mut bytes = [false; 256];
        for p in prefixes {
            if let Some(&b) = p.as_bytes().first() {
                bytes[usize::from(b)] = true;
            }
        }
        FirstBytes {
            bytes,
            empty: prefixes.iter().any(|p| p.is_empty()),
        }
    }

    /// Can `s` start with one of the prefixes?
    fn may_start(&self, s: &str) -> bool {
        self.empty
            || s.as_bytes()
                .first()
                .is_some_and(|&b| self.bytes[usize::from(b)])
    }
}

/// One automaton over every row's trigger words (and the remote schemes): one pass over a
/// program or command says which rows can match in it at all. A text without any skips the
/// scan; the others try only their candidates.
#[derive(Debug)]
struct Prefilter {
    /// `false`: every row is a candidate everywhere (to check that the prefilter changes no
    /// verdict, see [`Knowledge::without_prefilter`]).
    enabled: bool,
    /// The words as written (Python names are case-sensitive)...
    exact: Triggers,
    /// ...and the needles of the command rows that ignore case (`INSERT INTO`), folded.
    folded: Triggers,
    /// Rows that match in text but have no trigger words (a user's command row without
    /// `needles`): candidates everywhere.
    untriggered: Vec<usize>,
}

/// The built-in words' table (static) or one built for a user's rows; word sets whose
/// table would pass [`MAX_TABLE_ENTRIES`] get the aho-corasick crate's automaton instead,
/// slower per byte but of a size linear in the words.
#[derive(Debug)]
enum Automaton {
    Table(Dfa),
    Compact(aho_corasick::AhoCorasick),
}

/// 4 Mi entries of 2 bytes: 8 MiB of table (the built-in words need under a sixteenth).
const MAX_TABLE_ENTRIES: usize = 1 << 22;

impl Automaton {
    fn new(words: &[&str], fold: bool) -> Automaton {
        // A table also needs its states to have `u16` ids.
        if Dfa::table_bound(words, fold) <= MAX_TABLE_ENTRIES {
            if let Some(dfa) = Dfa::try_new(words, fold) {
                return Automaton::Table(dfa);
            }
        }
        let compact = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(fold)
            .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
            .build(words)
            // The crate's limits are billions of states or words: gigabytes of words,
            // which no table could hold either.
            .expect("trigger words within the aho-corasick crate's limits");
        Automaton::Compact(compact)
    }

    /// Every occurrence of every word, as [`Dfa::for_each`] gives them (the order of the
    /// occurrences that end at one byte may differ; callers do not depend on it).
    fn for_each(&self, text: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        match self {
            Automaton::Table(dfa) => dfa.for_each(text, found),
            Automaton::Compact(compact) => {
                for m in compact.find_overlapping_iter(text) {
                    found(m.start(), m.end(), m.pattern().as_usize());
                }
            }
        }
    }
}

/// One automaton and what its words stand for.
#[derive(Debug)]
struct Triggers {
    /// `None` when there are no words.
    automaton: Option<Automaton>,
    /// Per word, in the automaton's order: the rows it triggers (none: a remote scheme)
    /// and whether it is a remote scheme.
    words: Vec<TriggerWord>,
    /// Per word: it triggers a command row. Where such words are is kept, so that the
    /// string literals of a program are judged from the program's one pass.
    command_word: Vec<bool>,
}

impl Triggers {
    /// `words`, with their automaton when it is built already (the built-in one is static).
    fn new(words: Vec<TriggerWord>, fold: bool, dfa: Option<&Dfa>, rows: &[Row]) -> Triggers {
        let automaton = (!words.is_empty()).then(|| match dfa {
            Some(dfa) => Automaton::Table(dfa.clone()),
            None => {
                let patterns: Vec<&str> = words.iter().map(|t| &*t.word).collect();
                Automaton::new(&patterns, fold)
            }
        });
        let command_word = words
            .iter()
            .map(|t| t.rows.iter().any(|&r| rows[r as usize].command.is_some()))
            .collect();
        Triggers {
            automaton,
            words,
            command_word,
        }
    }

    fn mark(&self, text: &str, which: u8, found: &mut Candidates) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        automaton.for_each(text.as_bytes(), |start, end, w| {
            let word = &self.words[w];
            if word.scheme {
                found.remote_path = true;
            }
            for &row in word.rows.iter() {
                found.rows[row as usize] = true;
                found.any_row = true;
            }
            if self.command_word[w] {
                found.command_hits.push(CommandHit {
                    start,
                    end,
                    which,
                    word: w as u32,
                });
            }
        });
    }
}

/// Where a word of a command row is in the text [`Candidates`] were found in.
#[derive(Clone, Debug)]
struct CommandHit {
    start: usize,
    end: usize,
    /// 0: the exact automaton's word, 1: the folded one's.
    which: u8,
    word: u32,
}

/// The rows that can match in a text, as [`Knowledge::candidates`] found them.
#[derive(Clone, Debug)]
pub struct Candidates {
    rows: Vec<bool>,
    any_row: bool,
    /// The text has a remote scheme (`s3://`).
    pub remote_path: bool,
    /// Where the words of command rows are, by end.
    command_hits: Vec<CommandHit>,
    /// The case-insensitive words were not looked for (see [`Knowledge::program_candidates`]).
    folded_deferred: bool,
    /// `command_hits` holds every occurrence of every command word in the text (both
    /// automata ran over all of it): a row's matches can be looked for where its words are.
    hits_complete: bool,
}

impl Candidates {
    pub fn row(&self, index: usize) -> bool {
        self.rows.get(index).copied().unwrap_or(true)
    }

    /// No row can match and no remote path is there: the text can be skipped.
    pub fn nothing(&self) -> bool {
        !self.any_row && !self.remote_path
    }

    /// Does any of `rows` have a candidate?
    pub fn any_of(&self, rows: &[usize]) -> bool {
        rows.iter().any(|&i| self.row(i))
    }

    /// Can a command row (of `commands`) match somewhere in the text? Also when its
    /// case-insensitive words are yet to be looked for.
    pub fn any_command(&self, commands: &[usize]) -> bool {
        self.folded_deferred || self.any_of(commands)
    }

    /// Every occurrence of a command row's word in the text, by end: the automaton it is a
    /// word of (0: exact, 1: folded), the word (see [`Knowledge::row_words`]) and its start.
    /// `None` when they were not all looked for.
    pub fn command_word_starts(&self) -> Option<impl Iterator<Item = (u8, u32, usize)> + '_> {
        self.hits_complete
            .then(|| self.command_hits.iter().map(|h| (h.which, h.word, h.start)))
    }
}

/// A word of the prefilter that triggers a given row (see [`Knowledge::row_words`]).
#[derive(Clone, Debug)]
pub struct RowWord<'k> {
    /// 0: the exact automaton's word, 1: the folded one's.
    pub which: u8,
    pub word: u32,
    pub text: &'k str,
    /// Found in any case.
    pub folded: bool,
}

impl Knowledge {
    /// The built-in rows and shapes (static: nothing to parse), then `user` rows.
    pub fn with_user_rows(user: &[Row]) -> Result<Knowledge, String> {
        Knowledge::new(
            BUILTIN_ROWS.iter().chain(user).cloned().collect(),
            BUILTIN_SHAPES.clone(),
            BUILTIN_ROWS.len(),
        )
    }

    /// Reads the rows of knowledge files (name, YAML text), then user rows, with the
    /// built-in shapes: for rows written as text (tests); the built-in rows are compiled in
    /// ([`Knowledge::with_user_rows`]).
    pub fn from_files(files: &[(&str, &str)], user: &[Row]) -> Result<Knowledge, String> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            rows: Vec<Row>,
            #[serde(default)]
            #[allow(dead_code)]
            shapes: Option<serde_json::Value>,
        }
        let mut rows = Vec::new();
        for (name, text) in files {
            let file: File = parse_yaml(text).map_err(|e| format!("{name}: {e}"))?;
            rows.extend(file.rows);
        }
        rows.extend(user.iter().cloned());
        Knowledge::new(rows, BUILTIN_SHAPES.clone(), 0)
    }

    /// `rows[..built_in]` are the built-in rows, checked when they were compiled (with
    /// their prefilter words); the others are checked here.
    fn new(rows: Vec<Row>, shapes: Shapes, built_in: usize) -> Result<Knowledge, String> {
        for (i, row) in rows.iter().enumerate().skip(built_in) {
            row.check_shape()?;
            if rows[..i].iter().any(|r| r.id == row.id) {
                return Err(format!("row `{}` is defined twice", row.id));
            }
        }
        let builtin = built_in == BUILTIN_ROWS.len() && rows.len() == built_in;
        let (triggers, untriggered) = if builtin {
            (
                Cow::Borrowed(BUILTIN_TRIGGERS),
                Cow::Borrowed(BUILTIN_UNTRIGGERED),
            )
        } else {
            let (t, u) = row::trigger_table(&rows, &shapes.remote_schemes);
            (Cow::Owned(t), Cow::Owned(u))
        };
        // The built-in automata were built with the tables.
        let dfas = builtin.then_some((&BUILTIN_EXACT_DFA, &BUILTIN_FOLDED_DFA));
        let mut k = Knowledge {
            id: new_id(),
            prefilter: Prefilter::new(&triggers, &untriggered, dfas, &rows),
            rows,
            remote_starts: FirstBytes::of(&shapes.remote_schemes),
            url_starts: FirstBytes::of(&shapes.url_schemes),
            shapes,
            by_last: HashMap::default(),
            by_head: HashMap::default(),
            always: Vec::new(),
            commands: Vec::new(),
            rows_asked: Default::default(),
            image_rows: Vec::new(),
            artifact_rows: Vec::new(),
            structure_rows: Vec::new(),
            step_name_rows: Vec::new(),
            shell: std::sync::OnceLock::new(),
        };
        k.rows_asked = std::array::from_fn(|index| {
            let asked = super::Asked::from_index(index);
            k.rows.iter().map(|row| asked.row(row)).collect()
        });
        for (i, row) in k.rows.iter().enumerate() {
            let mut lasts: Vec<&str> = row
                .call
                .iter()
                .chain(row.method.iter())
                .map(|p| p.rsplit('.').next().unwrap_or(p))
                .collect();
            lasts.sort_unstable();
            lasts.dedup();
            if lasts.iter().any(|l| l.contains('*')) {
                // Every name the row matches starts with the literal part of a pattern: when
                // that part holds the whole first component, so does the name.
                let head = |p: &str| {
                    let literal = p.split('*').next().unwrap_or("");
                    literal.split_once('.').map(|(head, _)| head.to_string())
                };
                let heads: Option<Vec<String>> = if row.method.is_empty() {
                    row.call.iter().map(|p| head(p)).collect()
                } else {
                    None
                };
                match heads {
                    Some(mut heads) => {
                        heads.sort_unstable();
                        heads.dedup();
                        for h in heads {
                            k.by_head.entry(h).or_default().push(i);
                        }
                    }
                    None => k.always.push(i),
                }
            } else {
                for l in lasts {
                    k.by_last.entry(l.to_string()).or_default().push(i);
                }
            }
            if row.command.is_some() {
                k.commands.push(i);
            }
            // A step's classifier tries only the rows of what it looks at.
            if row.image.is_some() {
                k.image_rows.push(i);
            }
            if !row.artifact.is_empty() {
                k.artifact_rows.push(i);
            }
            if row.resource.is_some() || row.step_kind.is_some() {
                k.structure_rows.push(i);
            }
            if !row.step_name.is_empty() {
                k.step_name_rows.push(i);
            }
        }
        Ok(k)
    }

    /// The same knowledge with the prefilter off: every row is tried on every text. The
    /// verdicts must not differ (tests/classify.rs compares them on every test file).
    pub fn without_prefilter(mut self) -> Knowledge {
        self.prefilter.enabled = false;
        self.id = new_id();
        self
    }

    /// The rows that can match somewhere in `text`.
    pub fn candidates(&self, text: &str) -> Candidates {
        if !self.prefilter.enabled {
            return Candidates {
                rows: Vec::new(),
                any_row: true,
                remote_path: true,
                command_hits: Vec::new(),
                folded_deferred: false,
                hits_complete: false,
            };
        }
        let mut found = self.untriggered();
        self.prefilter.exact.mark(text, 0, &mut found);
        self.prefilter.folded.mark(text, 1, &mut found);
        // By end, whichever automaton found them.
        found.command_hits.sort_by_key(|h| (h.end, h.which, h.word));
        found.hits_complete = true;
        found
    }

    /// The prefilter's words that trigger row `row` (a text where the row matches has one of
    /// them), in both automata; none when the prefilter is off.
    pub fn row_words(&self, row: usize) -> Vec<RowWord<'_>> {
        if !self.prefilter.enabled {
            return Vec::new();
        }
        let automata = [(0u8, &self.prefilter.exact), (1, &self.prefilter.folded)];
        automata
            .into_iter()
            .flat_map(|(which, triggers)| {
                triggers
                    .words
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.rows.contains(&(row as u32)))
                    .map(move |(i, w)| RowWord {
                        which,
                        word: i as u32,
                        text: &w.word,
                        folded: w.folded,
                    })
            })
            .collect()
    }

    /// No word found yet: only the rows without words are candidates.
    fn untriggered(&self) -> Candidates {
        let mut found = Candidates {
            rows: vec![false; self.rows.len()],
            any_row: !self.prefilter.untriggered.is_empty(),
            remote_path: false,
            command_hits: Vec::new(),
            folded_deferred: false,
            hits_complete: false,
        };
        for &row in &self.prefilter.untriggered {
            found.rows[row] = true;
        }
        found
    }

    /// What [`Knowledge::candidates_asked`] would find for the command rows in
    /// `text[range]`, where `of` are the candidates of the whole `text`: read from where the
    /// whole text's pass found their words (the folded words of a program are looked for
    /// here, in the range only). `None`: no command row can match there.
    pub fn command_candidates_within(
        &self,
        of: &Candidates,
        text: &str,
        range: Range<usize>,
        asked: super::Asked,
    ) -> Option<Candidates> {
        if !self.prefilter.enabled {
            // Everything asked is a candidate everywhere.
            return Some(of.clone());
        }
        let from = of.command_hits.partition_point(|h| h.end <= range.start);
        let inside = of.command_hits[from..]
            .iter()
            .take_while(|h| h.end <= range.end)
            .filter(|h| h.start >= range.start)
            .map(|h| {
                let triggers = if h.which == 0 {
                    &self.prefilter.exact
                } else {
                    &self.prefilter.folded
                };
                &triggers.words[h.word as usize]
            });
        let mut found: Option<Candidates> = None;
        let mut mark = |word: &TriggerWord| {
            let found = found.get_or_insert_with(|| self.untriggered());
            for &row in word.rows.iter() {
                found.rows[row as usize] = true;
                found.any_row = true;
            }
        };
        inside.for_each(&mut mark);
        if of.folded_deferred {
            if let (Some(automaton), Some(part)) =
                (&self.prefilter.folded.automaton, text.as_bytes().get(range))
            {
                automaton.for_each(part, |_, _, w| mark(&self.prefilter.folded.words[w]));
            }
        }
        let mut found = match found {
            Some(found) => found,
            None if self.prefilter.untriggered.is_empty() => return None,
            None => self.untriggered(),
        };
        self.restrict(&mut found, asked);
        Some(found)
    }

    /// [`Knowledge::candidates_asked`] for a Python program. Case-insensitive words are
    /// needles of command rows, and commands are found only in the program's string
    /// literals: unless the rest of the program has no word at all (then it may be skipped
    /// whole), those words are looked for in each literal, by
    /// [`Knowledge::command_candidates_within`], not in the whole program.
    pub fn program_candidates(&self, text: &str, asked: super::Asked) -> Candidates {
        if !self.prefilter.enabled {
            return self.candidates_asked(text, asked);
        }
        let mut found = self.untriggered();
        self.prefilter.exact.mark(text, 0, &mut found);
        self.restrict(&mut found, asked);
        if found.nothing() {
            return self.candidates_asked(text, asked);
        }
        found.folded_deferred = self.prefilter.folded.automaton.is_some();
        found
    }

    /// [`Knowledge::candidates`] among the rows of the questions `asked` (a remote path
    /// counts only when IO is asked).
    pub fn candidates_asked(&self, text: &str, asked: super::Asked) -> Candidates {
        let mut found = self.candidates(text);
        self.restrict(&mut found, asked);
        found
    }

    /// Leaves the candidates of the questions `asked` (a remote path counts only when IO is
    /// asked).
    fn restrict(&self, found: &mut Candidates, asked: super::Asked) {
        if asked == super::Asked::ALL {
            return;
        }
        let rows_asked = &self.rows_asked[asked.index()];
        if found.rows.is_empty() {
            found.rows = rows_asked.clone();
        } else {
            for (candidate, asked) in found.rows.iter_mut().zip(rows_asked) {
                *candidate &= *asked;
            }
        }
        found.any_row = found.rows.contains(&true);
        found.remote_path &= asked.io;
    }

    /// The call and method rows that may match a call named `name` (resolved), in row order.
    pub fn call_rows(&self, name: &str) -> impl Iterator<Item = (usize, &Row)> {
        let mut rows = Vec::new();
        self.call_rows_into(name, &mut rows);
        rows.into_iter().map(|i| (i, &self.rows[i]))
    }

    /// [`Knowledge::call_rows`], appended to `out` (their indices).
    pub fn call_rows_into(&self, name: &str, out: &mut Vec<usize>) {
        self.call_rows_with(name, &self.always, |_| true, out);
    }

    /// The rows tried on every call (`read_*`, `*`...): a program passes those among its
    /// candidates to [`Knowledge::call_rows_with`], once.
    pub fn rows_for_every_call(&self) -> &[usize] {
        &self.always
    }

    /// [`Knowledge::call_rows_into`] with `always` (some of
    /// [`Knowledge::rows_for_every_call`]) for the rows tried on every call, and of the
    /// others only those that `keep` says (a program's candidates): they are left out before
    /// the lists are put together, not after.
    pub fn call_rows_with(
        &self,
        name: &str,
        always: &[usize],
        keep: impl Fn(usize) -> bool,
        out: &mut Vec<usize>,
    ) {
        let last = match name.as_bytes().iter().rposition(|&b| b == b'.') {
            Some(dot) => &name[dot + 1..],
            None => name,
        };
        let head = super::python::head(name);
        let empty: &[usize] = &[];
        let by_last = self.by_last.get(last).map_or(empty, Vec::as_slice);
        let by_head = self.by_head.get(head).map_or(empty, Vec::as_slice);
        let from = out.len();
        // Each list is in row order, and a row is in one of them: when rows come from
        // more than one list, they are put in row order.
        let mut lists = 0;
        for rows in [by_last, by_head] {
            let before = out.len();
            out.extend(rows.iter().copied().filter(|&row| keep(row)));
            lists += usize::from(out.len() > before);
        }
        if lists > 0 && !always.is_empty() {
            lists += 1;
        }
        out.extend_from_slice(always);
        if lists > 1 {
            out[from..].sort_unstable();
        }
    }

    /// The shell rows, compiled on first use.
    pub fn shell(&self) -> &super::shell::ShellTable {
        self.shell
            .get_or_init(|| super::shell::ShellTable::new(self))
    }

    /// A path or URI in remote storage (`s3://...`).
    pub fn is_remote(&self, s: &str) -> bool {
        self.remote_starts.may_start(s)
            && self
                .shapes
                .remote_schemes
                .iter()
                .any(|p| s.starts_with(&**p))
    }

    /// A URL whose host is the pod itself (`http://localhost:8000`): a sidecar.
    pub fn is_loopback(&self, s: &str) -> bool {
        if !self.url_starts.may_start(s) {
            return false;
        }
        let Some(rest) = self
            .shapes
            .url_schemes
            .iter()
            .find_map(|scheme| s.strip_prefix(&**scheme))
        else {
            return false;
        };
        self.shapes.loopback_hosts.iter().any(|h| {
            rest.starts_with(&**h)
                && rest[h.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| ":/?".contains(c))
        })
    }

    /// A URL of the network (`https://...`), not of the pod itself.
    pub fn is_url(&self, s: &str) -> bool {
        self.url_starts.may_start(s)
            && self
                .shapes
                .url_schemes
                .iter()
                .any(|scheme| s.starts_with(&**scheme))
            && !self.is_loopback(s)
    }

    /// `meta-llama/Llama-2-7b-hf`: a Hugging Face Hub repository id.
    pub fn is_hub_id(&self, s: &str) -> bool {
        let mut parts = s.split('/');
        let (Some(org), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        let extra = &*self.shapes.hub_id_chars;
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        ok(org) && ok(name) && !org.starts_with('.')
    }

    /// The name of an Argo artifact location for messages (`s3`: `S3`).
    pub fn location_name<'a>(&'a self, location: &'a str) -> &'a str {
        self.shapes
            .location_names
            .iter()
            .find(|(k, _)| k == location)
            .map_or(location, |(_, v)| &**v)
    }
}

impl Prefilter {
    fn new(
        triggers: &[TriggerWord],
        untriggered: &[u32],
        dfas: Option<(&Dfa, &Dfa)>,
        rows: &[Row],
    ) -> Prefilter {
        let words = |folded: bool| -> Vec<TriggerWord> {
            triggers
                .iter()
                .filter(|t| t.folded == folded)
                .cloned()
                .collect()
        };
        Prefilter {
            enabled: true,
            exact: Triggers::new(words(false), false, dfas.map(|d| d.0), rows),
            folded: Triggers::new(words(true), true, dfas.map(|d| d.1), rows),
            untriggered: untriggered.iter().map(|&i| i as usize).collect(),
        }
    }
}

/// The JSON Schema of one row (`knowledge:` items in `.pipelint.yaml`).
pub fn row_schema() -> serde_json::Value {
    let list = serde_json::json!({"type": "array", "items": {"type": "string"}});
    let text = serde_json::json!({"type": "string"});
    let flag = serde_json::json!({"type": "boolean"});
    let mut props = serde_json::Map::new();
    props.insert("id".into(), text.clone());
    props.insert(
        "question".into(),
        serde_json::json!({"enum": ["io", "non-idempotent", "random", "seeds"]}),
    );
    props.insert(
        "confidence".into(),
        serde_json::json!({"enum": ["high", "low"]}),
    );
    for key in [
        "phrase",
        "reference",
        "command",
        "image",
        "arg",
        "string-arg",
        "on-arg",
        "resource",
        "step-kind",
    ] {
        props.insert(key.into(), text.clone());
    }
    for key in [
        "call",
        "except",
        "method",
        "on",
        "needles",
        "artifact",
        "step-name",
        "present",
        "present-any",
        "absent",
        "first-arg-not",
        "unless-string-arg",
        "program-calls",
        "imported",
        "unless-seeded",
        "seeds",
        "unless-in-command",
        "unless-in-statement",
    ] {
        props.insert(key.into(), list.clone());
    }
    for key in ["no-positional", "remote-arg", "hub-id-arg", "generate-name"] {
        props.insert(key.into(), flag.clone());
    }
    props.insert(
        "keyword".into(),
        serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}}),
    );
    props.insert(
        "keyword-not".into(),
        serde_json::json!({"type": "object", "additionalProperties": list}),
    );
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "question", "phrase"],
        "properties": props,
    })
}

/// Parses YAML with the project's parser into `T` (strictly: unknown keys are errors).
pub fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let yaml = crate::yaml::parse(text, &crate::yaml::ParseLimits::default());
    if let Some(e) = yaml.errors.first() {
        return Err(format!("invalid YAML: {}", e.message));
    }
    let root = yaml
        .documents
        .first()
        .and_then(|d| d.root(text))
        .ok_or("empty knowledge file")?;
    serde_json::from_value(crate::yaml::json::to_json(root)).map_err(|e| e.to_string())
}

/// The built-in knowledge, indexed on first use (the rows themselves are static).
pub static BUILTIN_KNOWLEDGE: LazyLock<Arc<Knowledge>> = LazyLock::new(|| {
    Arc::new(Knowledge::with_user_rows(&[]).expect("built-in knowledge is valid"))
});

/// `*` matches any run of characters; everything else is literal.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // A pattern's first and last bytes, unless `*`, are the text's: most patterns tried on
    // a name fail there, without the walk.
    match (p.first(), p.last()) {
        (Some(&first), Some(&last)) => {
            if (first != b'*' && t.first() != Some(&first))
                || (last != b'*' && t.last() != Some(&last))
            {
                return false;
            }
        }
        _ => return t.is_empty(),
    }
    wildcard_walk(p, t)
}

/// [`wildcard`] by a walk of the pattern and the text, backtracking to the last `*`.
fn wildcard_walk(p: &[u8], t: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == b'*' {
        i += 1;
    }
    i == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern and text of up to four pieces (`*`, letters, a dot, a non-ASCII
    /// character; a `*` in a text is a byte like any other) matches as the plain walk says.
    #[test]
    fn wildcards_match_as_the_walk() {
        const PIECES: [&str; 6] = ["*", "a", "b", ".", "\u{e9}", "ab"];
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|s| PIECES.iter().map(move |p| format!("{s}{p}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        for pattern in &all {
            for text in &all {
                assert_eq!(
                    wildcard(pattern, text),
                    wildcard_walk(pattern.as_bytes(), text.as_bytes()),
                    "{pattern:?} {text:?}"
                );
            }
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("boto3.*", "boto3.client"));
        assert!(!wildcard("boto3.*", "boto3"));
        assert!(wildcard(
            "*aiplatform.Model.upload",
            "google.cloud.aiplatform.Model.upload"
        ));
        assert!(wildcard(
            "torchvision.transforms.Random*",
            "torchvision.transforms.RandomCrop"
        ));
        assert!(!wildcard(
            "torchvision.transforms.Random*",
            "torchvision.transforms.CenterCrop"
        ));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
    }

    #[test]
    fn builtin_knowledge_loads() {
        let k = &*BUILTIN_KNOWLEDGE;
        assert!(k.rows.len() > 50, "{} rows", k.rows.len());
        for row in &k.rows {
            assert!(
                !row.reference.trim().is_empty(),
                "{} has no reference",
                row.id
            );
        }
    }

    /// The schema users' rows are validated against knows every field of a row.
    #[test]
    fn the_row_schema_has_every_field() {
        let schema = row_schema();
        let props = schema["properties"].as_object().unwrap();
        let k = &*BUILTIN_KNOWLEDGE;
        for (name, text) in BUILTIN {
            let value: serde_json::Value = parse_yaml(text).unwrap();
            for row in value["rows"].as_array().into_iter().flatten() {
                for key in row.as_object().unwrap().keys() {
                    assert!(
                        props.contains_key(key),
                        "{name}: `{key}` is not in the schema"
                    );
                }
            }
        }
        assert!(!k.rows.is_empty());
    }

    /// The static tables are the YAML files: the rows build.rs wrote are the rows the
    /// project's own YAML parser reads from the files, field for field, in order.
    #[test]
    fn the_static_tables_are_the_files() {
        let parsed = Knowledge::from_files(BUILTIN, &[]).unwrap();
        assert_eq!(parsed.rows.len(), BUILTIN_ROWS.len());
        for (read, built) in parsed.rows.iter().zip(BUILTIN_ROWS) {
            assert_eq!(format!("{read:?}"), format!("{built:?}"));
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/analysis/knowledge");
        let (rows, shapes) = source::read_dir(&dir).unwrap();
        assert_eq!(rows.len(), BUILTIN_ROWS.len());
        assert_eq!(format!("{shapes:?}"), format!("{BUILTIN_SHAPES:?}"));
        let mut shape_keys = 0;
        for (_, text) in BUILTIN {
            let value: serde_json::Value = parse_yaml(text).unwrap();
            shape_keys += value["shapes"].as_object().map_or(0, |m| m.len());
        }
        assert_eq!(shape_keys, 7, "every field of `Shapes` set once");
        let (triggers, untriggered) =
            row::trigger_table(&parsed.rows, &BUILTIN_SHAPES.remote_schemes);
        assert_eq!(format!("{triggers:?}"), format!("{BUILTIN_TRIGGERS:?}"));
        assert_eq!(untriggered, BUILTIN_UNTRIGGERED);
        for (dfa, folded) in [(&BUILTIN_EXACT_DFA, false), (&BUILTIN_FOLDED_DFA, true)] {
            let words: Vec<&str> = triggers
                .iter()
                .filter(|t| t.folded == folded)
                .map(|t| &*t.word)
                .collect();
            assert!(!words.is_empty());
            assert_eq!(*dfa, Dfa::new(&words, folded), "folded: {folded}");
        }
    }

    /// Every occurrence of every word, as `(start, end, word)`, by the prefilter's automaton
    /// and by the aho-corasick crate's (overlapping search, the reference).
    fn occurrences(words: &[&str], fold: bool, text: &str) -> [Vec<(usize, usize, usize)>; 2] {
        let mut ours = Vec::new();
        Dfa::new(words, fold).for_each(text.as_bytes(), |s, e, w| ours.push((s, e, w)));
        let reference = aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(fold)
            .build(words)
            .unwrap();
        let mut theirs: Vec<_> = reference
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        [ours, theirs]
    }

    /// A user's rows with megabytes of trigger words get an automaton of linear size that
    /// finds what the table finds; the built-in words keep their table.
    #[test]
    fn many_trigger_words_get_a_compact_automaton_that_finds_the_same() {
        let builtin = BUILTIN_EXACT_DFA.next.len() + BUILTIN_FOLDED_DFA.next.len();
        assert!(builtin <= MAX_TABLE_ENTRIES / 16, "{builtin}");
        let words: Vec<String> = (0..60_000)
            .map(|i| format!("acme{i}.upload_{}", i * 7919 % 100_003))
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert!(Dfa::table_bound(&words, false) > MAX_TABLE_ENTRIES);
        let text = "x = acme12.upload_95028(); ACME59999.upload_17828 acme1.upload_7919 acme1";
        // (Building the table of these words to compare would take hundreds of megabytes.)
        let at = |w: &str| {
            let start = text.to_ascii_lowercase().find(w).unwrap();
            (start, start + w.len())
        };
        for fold in [false, true] {
            let automaton = Automaton::new(&words, fold);
            assert!(matches!(automaton, Automaton::Compact(_)));
            let mut found = Vec::new();
            automaton.for_each(text.as_bytes(), |s, e, w| found.push((s, e, w)));
            let mut expected = vec![(at(words[12]), 12), (at(words[1]), 1)];
            if fold {
                expected.insert(1, (at(words[59999]), 59999));
            }
            let expected: Vec<_> = expected.into_iter().map(|((s, e), w)| (s, e, w)).collect();
            assert_eq!(found, expected);
        }
        let few = ["acme.upload", "acme.publish"];
        assert!(matches!(Automaton::new(&few, false), Automaton::Table(_)));
    }

    /// State ids are `u16`: a table of 65,536 states (the last id 65,535) finds its word; one
    /// state more builds no table.
    #[test]
    fn a_table_holds_at_most_65536_states() {
        // The start state, one per byte of the long word, and "b".
        let longest = "a".repeat(Dfa::MAX_STATES - 2);
        let dfa = Dfa::try_new(&[&longest, "b"], false).unwrap();
        assert_eq!(dfa.next.len(), Dfa::MAX_STATES * 3);
        assert_eq!(usize::from(dfa.first_match), Dfa::MAX_STATES - 2);
        let text = format!("b{longest}b");
        let mut found = Vec::new();
        dfa.for_each(text.as_bytes(), |s, e, w| found.push((s, e, w)));
        assert_eq!(
            found,
            [
                (0, 1, 1),
                (1, text.len() - 1, 0),
                (text.len() - 1, text.len(), 1)
            ]
        );
        let too_long = "a".repeat(Dfa::MAX_STATES - 1);
        assert_eq!(Dfa::try_new(&[&too_long, "b"], false), None);
    }

    /// Words whose table would be small enough but have more states than `u16` ids can
    /// name get the compact automaton, which finds them.
    #[test]
    fn more_states_than_u16_ids_get_a_compact_automaton() {
        let words: Vec<String> = (0..70_000u32).map(|i| format!("{i:017b}")).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert!(Dfa::table_bound(&words, false) <= MAX_TABLE_ENTRIES);
        assert_eq!(Dfa::try_new(&words, false), None);
        let automaton = Automaton::new(&words, false);
        assert!(matches!(automaton, Automaton::Compact(_)));
        let text = format!("x{}", words[69_999]);
        let mut found = Vec::new();
        automaton.for_each(text.as_bytes(), |s, e, w| found.push((s, e, w)));
        assert_eq!(found, [(1, 18, 69_999)]);
    }

    /// The automaton finds what a reference Aho-Corasick finds: words inside words, words
    /// that overlap, repeated words, any case when folded, bytes no word has (UTF-8 too).
    #[test]
    fn the_automaton_finds_every_occurrence() {
        let words = ["he", "she", "his", "hers", "s3://", "a", "aa", "Random"];
        let text = "ushers ahishers aaaa s3:// s3:/s3://x RandomCrop random RANDOM h\u{e9}she";
        let [ours, theirs] = occurrences(&words, false, text);
        assert_eq!(ours, theirs);
        assert!(ours.len() > 15, "{ours:?}");
        let [ours, theirs] = occurrences(&words, true, text);
        assert_eq!(ours, theirs);
        // Every length (the automaton reads four bytes a round, then the rest one by one).
        for end in (0..=text.len()).filter(|&e| text.is_char_boundary(e)) {
            for fold in [false, true] {
                let [ours, theirs] = occurrences(&words, fold, &text[..end]);
                assert_eq!(ours, theirs, "{:?}", &text[..end]);
            }
        }
        assert!(ours.iter().filter(|o| o.2 == 7).count() == 3, "{ours:?}");
        // The built-in words over the knowledge files themselves (every word is there).
        for folded in [false, true] {
            let words: Vec<&str> = BUILTIN_TRIGGERS
                .iter()
                .filter(|t| t.folded == folded)
                .map(|t| &*t.word)
                .collect();
            for (name, text) in BUILTIN {
                let [ours, theirs] = occurrences(&words, folded, text);
                assert_eq!(ours, theirs, "{name}, folded: {folded}");
            }
        }
        let [ours, theirs] = occurrences(&[], false, "anything");
        assert!(ours.is_empty() && theirs.is_empty());
    }

    /// A long text is read as two halves at once: that gives what one pass from the first
    /// byte gives, in the same order, for words that end anywhere near the middle (where
    /// the second half starts early) and for texts of every length around the threshold.
    #[test]
    fn the_halves_find_what_one_pass_finds_in_its_order() {
        fn both(dfa: &Dfa, text: &[u8]) -> [Vec<(usize, usize, usize)>; 2] {
            let classes = <&[u32; 256]>::try_from(&*dfa.classes).unwrap();
            let (mut halves, mut one) = (Vec::new(), Vec::new());
            dfa.for_each(text, |s, e, w| halves.push((s, e, w)));
            dfa.for_each_in_one_pass(classes, text, |s, e, w| one.push((s, e, w)));
            [halves, one]
        }
        let small = Dfa::new(&["he", "she", "his", "hers", "s3://", "a", "aa"], false);
        let filler = "ushers ahishers aaaa s3:// s3:/s3://x ".repeat(40);
        let mut checked = 0;
        for len in (Dfa::HALVES_FROM - 8..Dfa::HALVES_FROM + 64).chain([filler.len()]) {
            let [halves, one] = both(&small, &filler.as_bytes()[..len]);
            assert_eq!(halves, one, "length {len}");
            checked += one.len();
        }
        assert!(checked > 1000, "{checked}");
        for (dfa, folded) in [(&BUILTIN_EXACT_DFA, false), (&BUILTIN_FOLDED_DFA, true)] {
            // The knowledge files have every word, many times.
            let mut found = 0;
            for (name, text) in BUILTIN {
                let [halves, one] = both(dfa, text.as_bytes());
                assert_eq!(halves, one, "{name}, folded: {folded}");
                found += one.len();
            }
            assert!(found > 10, "folded: {folded}: {found}");
            // The longest word, and a short one, ending at every byte around the middle of a
            // text without other words: before, at and after where the second half starts.
            let words: Vec<&str> = BUILTIN_TRIGGERS
                .iter()
                .filter(|t| t.folded == folded)
                .map(|t| &*t.word)
                .collect();
            let longest = *words.iter().max_by_key(|w| w.len()).unwrap();
            assert_eq!(dfa.longest as usize, longest.len());
            assert!(longest.len() > 4, "{longest}");
            let shortest = *words.iter().min_by_key(|w| w.len()).unwrap();
            let text_len = 4 * Dfa::HALVES_FROM;
            let mid = text_len / 2;
            for word in [longest, shortest] {
                let reach = dfa.longest as usize + word.len() + 4;
                for end in mid - reach..mid + reach {
                    let mut text = vec![b'~'; text_len];
                    text[end - word.len()..end].copy_from_slice(word.as_bytes());
                    let [halves, one] = both(dfa, &text);
                    assert!(
                        one.iter()
                            .any(|&(s, e, _)| (s, e) == (end - word.len(), end)),
                        "{word} ending at {end}"
                    );
                    assert_eq!(halves, one, "{word} ending at {end}");
                }
            }
        }
    }

    /// A string literal's command rows, read from the whole program's pass, are those a
    /// pass over the literal alone finds: words inside it count, words that cross its ends
    /// or lie outside do not.
    #[test]
    fn a_literal_is_judged_from_the_program_pass() {
        let k = &*BUILTIN_KNOWLEDGE;
        let program = "import subprocess\nsubprocess.run('aws s3 cp a b')\nx = 'gsutil'\ncur.execute(\"Insert Into t VALUES (1)\")\nname = 'docker' + 'push'\nprint('nothing here')\n";
        for asked in [
            super::super::Asked::ALL,
            super::super::Asked {
                io: false,
                non_idempotent: true,
                random: false,
            },
        ] {
            // From a pass over the whole text, and from a program's pass (which leaves the
            // case-insensitive words to each literal).
            for whole in [
                k.candidates_asked(program, asked),
                k.program_candidates(program, asked),
            ] {
                let mut literals = 0;
                for (at, _) in program.match_indices(['\'', '"']).step_by(2) {
                    let end = at + 1 + program[at + 1..].find(['\'', '"']).unwrap();
                    let range = at + 1..end;
                    let alone = k.candidates_asked(&program[range.clone()], asked);
                    let commands = |c: &Candidates| -> Vec<usize> {
                        k.commands.iter().copied().filter(|&i| c.row(i)).collect()
                    };
                    let part = &program[range.clone()];
                    match k.command_candidates_within(&whole, program, range, asked) {
                        Some(within) => {
                            assert_eq!(commands(&within), commands(&alone), "{part:?}")
                        }
                        None => assert!(commands(&alone).is_empty(), "{part:?}"),
                    }
                    literals += 1;
                }
                assert_eq!(literals, 6);
            }
        }
        // A program whose only word is a case-insensitive one is not skipped.
        let only_folded = "q = 'INSERT INTO T VALUES (1)'";
        let mut exact = k.untriggered();
        k.prefilter.exact.mark(only_folded, 0, &mut exact);
        assert!(exact.nothing());
        let found = k.program_candidates(only_folded, super::super::Asked::ALL);
        assert!(!found.nothing());
        assert!(found.rows[k.rows.iter().position(|r| r.id == "sql-insert").unwrap()]);
        assert!(k
            .program_candidates("x = 1", super::super::Asked::ALL)
            .nothing());
        // Command rows can match in the first four literals (`aws s3`, `gsutil`, `INSERT
        // INTO` in any case, `docker`: a needle of `docker push`), not in the others (the
        // `push` of `'docker' + 'push'` is in another literal).
        let whole = k.candidates(program);
        let found: Vec<&str> = program
            .match_indices(['\'', '"'])
            .step_by(2)
            .map(|(at, _)| at + 1..at + 1 + program[at + 1..].find(['\'', '"']).unwrap())
            .filter(|r| {
                k.command_candidates_within(&whole, program, r.clone(), super::super::Asked::ALL)
                    .is_some()
            })
            .map(|r| &program[r])
            .collect();
        assert_eq!(
            found,
            [
                "aws s3 cp a b",
                "gsutil",
                "Insert Into t VALUES (1)",
                "docker"
            ]
        );
    }

    /// What the build stops on: a bad row, named by file, line and id; every problem at once.
    #[test]
    fn the_build_names_a_bad_row_by_file_line_and_id() {
        let file = |text: &str| vec![("k.yaml".to_string(), text.to_string())];
        let good = "  - {id: a, question: io, phrase: p, reference: r, call: [a.b]}\n";
        let text = format!("rows:\n{good}  - id: b\n    question: io\n    phrase: p\n    reference: r\n    cal: [x]\n");
        let e = source::read_texts(&file(&text)).unwrap_err();
        assert_eq!(e, "k.yaml:3: row `b`: unknown field `cal`, expected one of `id`, `question`, `confidence`, `phrase`, `reference`, `call`, `except`, `method`, `on`, `on-arg`, `command`, `needles`, `artifact`, `step-name`, `image`, `arg`, `resource`, `generate-name`, `step-kind`, `keyword`, `keyword-not`, `present`, `present-any`, `absent`, `no-positional`, `remote-arg`, `hub-id-arg`, `first-arg-not`, `string-arg`, `unless-string-arg`, `program-calls`, `imported`, `unless-seeded`, `seeds`, `unless-in-command`, `unless-in-statement`");
        let text = format!("rows:\n{good}{good}  - {{id: c, question: io, phrase: p, call: [x]}}\n  - {{id: d, question: io, phrase: p, reference: r, command: '(x)'}}\n");
        let e = source::read_texts(&file(&text)).unwrap_err();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(
            lines,
            [
                "k.yaml:3: row `a` is defined twice (first at k.yaml:2)",
                "k.yaml:4: row `c` has no `reference` (a documentation URL, or why)",
                "k.yaml:5: row `d`: `command` needs `needles:`, words every match contains (the prefilter)",
            ]
        );
        let e = source::read_texts(&file("rows:\n  - {id: a\n")).unwrap_err();
        assert!(e.starts_with("k.yaml:"), "{e}");
        let two = vec![
            (
                "a.yaml".to_string(),
                "shapes: {url-schemes: [x]}\n".to_string(),
            ),
            (
                "b.yaml".to_string(),
                "shapes: {url-schemes: [y]}\n".to_string(),
            ),
        ];
        let e = source::read_texts(&two).unwrap_err();
        assert_eq!(e, "b.yaml: `shapes.url-schemes` is set in another file too");
    }

    /// Every built-in row that matches in text has trigger words (none is tried on every
    /// text); a program without any of them is skipped whole; one with a word tries only
    /// the rows of that word; a row's case-insensitive needle matches in any case.
    #[test]
    fn the_prefilter_skips_texts_without_trigger_words() {
        let k = &*BUILTIN_KNOWLEDGE;
        let untriggered: Vec<&str> = k
            .prefilter
            .untriggered
            .iter()
            .map(|&i| &*k.rows[i].id)
            .collect();
        assert!(untriggered.is_empty(), "{untriggered:?}");
        assert!(k
            .candidates("def total(xs):\n    return sum(x * 2 for x in xs)\n")
            .nothing());
        let rows = |text: &str| -> Vec<&str> {
            let c = k.candidates(text);
            assert!(!c.nothing());
            (0..k.rows.len())
                .filter(|&i| c.row(i))
                .map(|i| &*k.rows[i].id)
                .collect()
        };
        let shuffled = rows("batches = make(ds, shuffle=True)");
        assert!(shuffled.contains(&"shuffle-keyword"), "{shuffled:?}");
        assert!(
            !shuffled.contains(&"aws-sdk") && shuffled.len() < 10,
            "{shuffled:?}"
        );
        assert!(rows("cur.execute('Insert Into t VALUES (1)')").contains(&"sql-insert"));
        assert!(k.candidates("x = 's3://bucket/key'").remote_path);
        assert!(!k.candidates("x = 'S3://bucket/key'").remote_path);
    }

    /// The rows tried on a call are in row order, and among them is every row with a
    /// pattern that matches its name (whatever the `*` stands for), by the name's last
    /// component or its first.
    #[test]
    fn the_rows_tried_on_a_call_include_every_row_that_matches_it() {
        let k = &*BUILTIN_KNOWLEDGE;
        let mut names = 0;
        for (i, row) in k.rows.iter().enumerate() {
            for pattern in row.call.iter().chain(row.method.iter()) {
                for fill in ["", "x", "a.b"] {
                    let name = pattern.replace('*', fill);
                    let qualified = format!("mod.{name}");
                    for name in [name.as_str(), qualified.as_str()] {
                        if !wildcard(pattern, name) && !row.method.contains(pattern) {
                            continue;
                        }
                        let tried: Vec<usize> = k.call_rows(name).map(|(i, _)| i).collect();
                        assert!(tried.contains(&i), "{} not tried on {name}", row.id);
                        assert!(tried.windows(2).all(|w| w[0] < w[1]), "{tried:?}");
                        names += 1;
                    }
                }
            }
        }
        assert!(names > 300, "{names}");
        // Rows of other modules are not tried.
        let tried: Vec<&str> = k.call_rows("boto3.client").map(|(_, r)| &*r.id).collect();
        assert!(tried.contains(&"aws-sdk"), "{tried:?}");
        assert!(!tried.contains(&"numpy-global-random"), "{tried:?}");
    }

    #[test]
    fn a_row_matches_one_thing() {
        let text = "rows:\n  - {id: x, question: io, phrase: p, reference: r, call: [a.b], command: '(a)'}\n";
        let err = Knowledge::from_files(&[("t.yaml", text)], &[]).unwrap_err();
        assert!(err.contains("call and command"), "{err}");
        let text = "rows:\n  - {id: x, question: io, phrase: p, reference: r, cal: [a.b]}\n";
        let err = Knowledge::from_files(&[("t.yaml", text)], &[]).unwrap_err();
        assert!(err.contains("unknown field `cal`"), "{err}");
    }

    /// Remote paths, URLs and loopback URLs are what a comparison with every scheme says,
    /// whatever a string's first byte; an empty scheme is the start of every string.
    #[test]
    fn scheme_tests_are_those_of_a_comparison_per_scheme() {
        let strings = [
            "",
            "s",
            "s3://b/k",
            "S3://b",
            "gs://x",
            "https://example.com",
            "http://localhost:8",
            "http://127.0.0.1/x",
            "http://localhostx",
            "ftp://h",
            "/data",
            "\u{e9}s3://",
            ":",
        ];
        let text = |v: &[&str]| -> List { v.iter().map(|s| Text::from(s.to_string())).collect() };
        for (remote, url) in [
            (text(&["s3://", "gs://"]), text(&["http://", "https://"])),
            (text(&["s3://", ""]), text(&[""])),
            (text(&[]), text(&[])),
        ] {
            let mut shapes = BUILTIN_SHAPES.clone();
            shapes.remote_schemes = remote.clone();
            shapes.url_schemes = url.clone();
            let k = Knowledge::new(Vec::new(), shapes, 0).unwrap();
            for s in strings {
                let remote_ref = remote.iter().any(|p| s.starts_with(&**p));
                let loopback_ref =
                    url.iter()
                        .find_map(|p| s.strip_prefix(&**p))
                        .is_some_and(|rest| {
                            k.shapes.loopback_hosts.iter().any(|h| {
                                rest.starts_with(&**h)
                                    && rest[h.len()..]
                                        .chars()
                                        .next()
                                        .is_none_or(|c| ":/?".contains(c))
                            })
                        });
                let url_ref = url.iter().any(|p| s.starts_with(&**p)) && !loopback_ref;
                assert_eq!(k.is_remote(s), remote_ref, "{s:?} {remote:?}");
                assert_eq!(k.is_loopback(s), loopback_ref, "{s:?} {url:?}");
                assert_eq!(k.is_url(s), url_ref, "{s:?} {url:?}");
            }
        }
    }
}
