//! Shell command scanning: the command line as the shell sees it (command + args joined),
//! and `script.source` of shell scripts.

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use regex_automata::meta;

use super::knowledge::{Candidates, Knowledge};

/// The shell rows of a [`Knowledge`], ready to search: each pattern compiled on first use
/// (most runs need only a few). Which patterns run on a text is the knowledge's prefilter's
/// answer: those with one of their needles in it.
#[derive(Debug)]
pub struct ShellTable {
    patterns: Vec<Pattern>,
}

#[derive(Debug)]
struct Pattern {
    /// Index into [`Knowledge::rows`].
    row: usize,
    /// The row's pattern, anchored where a command word starts.
    source: String,
    regex: OnceLock<meta::Regex>,
    /// Where a match can start, read from where the prefilter found the row's words: a word
    /// at `start` puts the start of the row's own pattern at `start - offset`. `None` when
    /// the pattern's leading literals do not say (then the whole text is searched).
    starts: Option<Vec<WordStart>>,
}

impl Pattern {
    /// Where in the text `candidates` were found in the pattern's matches can start, into
    /// `starts` (ascending, each once); `false` when that is not known.
    fn match_starts(&self, candidates: &Candidates, starts: &mut Vec<usize>) -> bool {
        let (Some(words), Some(found)) = (&self.starts, candidates.command_word_starts()) else {
            return false;
        };
        starts.clear();
        for (which, word, at) in found {
            for w in words {
                if w.which == which && w.word == word && at >= w.offset {
                    // The separator before the command word, or the text's start.
                    starts.push((at - w.offset).saturating_sub(1));
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        true
    }
}

/// A word of a row's prefilter, at `offset` in one of the literals every match of the
/// row's pattern starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WordStart {
    which: u8,
    word: u32,
    offset: usize,
}

impl ShellTable {
    pub fn new(knowledge: &Knowledge) -> ShellTable {
        let mut patterns = Vec::new();
        for &i in &knowledge.commands {
            let Some(re) = &knowledge.rows[i].command else {
                continue;
            };
            // A command word starts the text or follows a separator.
            let source = format!(r"(?:^|[\s;&|(`'\x22=]){re}");
            patterns.push(Pattern {
                row: i,
                source,
                regex: OnceLock::new(),
                starts: word_starts(re, &knowledge.row_words(i)),
            });
        }
        ShellTable { patterns }
    }

    fn regex(&self, k: usize) -> &meta::Regex {
        let pattern = &self.patterns[k];
        pattern
            .regex
            .get_or_init(|| command_regex(&pattern.source).expect("checked when loaded"))
    }
}

/// For a row's pattern `re` and the words that trigger the row: for each literal that every
/// match of `re` starts with (one of them), the first of the words in it. Every match of
/// the row then starts one byte (its separator) before, or at the start of the text at, a
/// word found at that offset. `None` when some literal holds none of the words (or the
/// pattern is beyond what [`leading_literals`] reads).
fn word_starts(re: &str, words: &[super::knowledge::RowWord]) -> Option<Vec<WordStart>> {
    let literals = leading_literals(re)?;
    let mut starts: Vec<WordStart> = Vec::new();
    for literal in &literals {
        let found = (0..literal.len()).find_map(|offset| {
            words
                .iter()
                .find(|w| word_at(literal, offset, w.text.as_bytes(), w.folded))
                .map(|w| WordStart {
                    which: w.which,
                    word: w.word,
                    offset,
                })
        })?;
        if !starts.contains(&found) {
            starts.push(found);
        }
    }
    Some(starts)
}

/// Does the automaton find `word` (in any case if `folded`) at `offset` of every text that
/// `literal` stands for?
fn word_at(literal: &[LiteralByte], offset: usize, word: &[u8], folded: bool) -> bool {
    let Some(part) = literal.get(offset..offset + word.len()) else {
        return false;
    };
    part.iter().zip(word).all(|(l, &w)| {
        if folded {
            l.byte.eq_ignore_ascii_case(&w)
        } else {
            // A letter that matches in any case is not this word's letter in every text.
            !l.any_case && l.byte == w
        }
    })
}

/// A byte of a leading literal: `any_case` for a letter under `(?i:...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LiteralByte {
    byte: u8,
    any_case: bool,
}

/// A leading literal: `open` while the pattern's text after it may still extend it.
#[derive(Debug, Clone)]
struct Literal {
    bytes: Vec<LiteralByte>,
    open: bool,
}

/// More literals than this: not worth reading (no built-in row comes near).
const MAX_LITERALS: usize = 64;

/// Literals such that every match of the regular expression `re` starts with one of them,
/// read from its text: literal characters (escaped punctuation too), groups, alternations,
/// `?`, `(?i:...)`, assertions (`\b`, `^`: no text); anything else ends a literal there (a
/// class, `\s`, `.`, `*`...).
/// `None` when one of them is empty, `re` is an alternation at its top (the separator before
/// it belongs to the first branch only), or it uses syntax not read here (flags other than
/// `(?i:`, non-ASCII literals end a literal).
fn leading_literals(re: &str) -> Option<Vec<Vec<LiteralByte>>> {
    let mut reader = Reader {
        re: re.as_bytes(),
        at: 0,
    };
    let branches = reader.alternation(false)?;
    if reader.at != reader.re.len() || branches.len() != 1 {
        return None;
    }
    let mut literals: Vec<Vec<LiteralByte>> =
        branches.into_iter().flatten().map(|l| l.bytes).collect();
    // `a(?:\s+b)?`: `a` with the group (which ends it) and without.
    literals.sort_by(|a, b| {
        a.iter()
            .map(|l| (l.byte, l.any_case))
            .cmp(b.iter().map(|l| (l.byte, l.any_case)))
    });
    literals.dedup();
    if literals.iter().any(|l| l.is_empty()) {
        return None;
    }
    Some(literals)
}

/// Reads the leading literals of a pattern (see [`leading_literals`]).
struct Reader<'r> {
    re: &'r [u8],
    at: usize,
}

/// What one item of a pattern contributes to the literals before it.
enum Item {
    /// One byte.
    Byte(LiteralByte),
    /// A group: the literals its matches start with.
    Group(Vec<Literal>),
    /// Matches no text (`\b`, `^`): the literals go on after it.
    Assertion,
    /// Anything else: the literals end before it.
    Other,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.re.get(self.at).copied()
    }

    /// Branches up to a `)` or the end, each with its literals.
    fn alternation(&mut self, any_case: bool) -> Option<Vec<Vec<Literal>>> {
        let mut branches = vec![self.branch(any_case)?];
        while self.peek() == Some(b'|') {
            self.at += 1;
            branches.push(self.branch(any_case)?);
        }
        Some(branches)
    }

    /// A branch up to `|`, `)` or the end.
    fn branch(&mut self, any_case: bool) -> Option<Vec<Literal>> {
        let mut literals = vec![Literal {
            bytes: Vec::new(),
            open: true,
        }];
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let item = self.item(any_case)?;
            if matches!(item, Item::Assertion) {
                // Repeated or not, it matches no text.
                self.repetition();
                continue;
            }
            let repetition = self.repetition();
            if let (Item::Byte(b), Repetition::Once) = (&item, &repetition) {
                // The usual case, in place.
                for l in literals.iter_mut().filter(|l| l.open) {
                    l.bytes.push(*b);
                }
                continue;
            }
            let following = match item {
                Item::Byte(b) => Some(vec![Literal {
                    bytes: vec![b],
                    open: true,
                }]),
                Item::Group(group) => Some(group),
                Item::Assertion | Item::Other => None,
            };
            let extended = |literals: &[Literal], following: &[Literal]| -> Vec<Literal> {
                let mut out = Vec::new();
                for l in literals {
                    if !l.open {
                        out.push(l.clone());
                        continue;
                    }
                    for f in following {
                        let mut bytes = l.bytes.clone();
                        bytes.extend_from_slice(&f.bytes);
                        out.push(Literal {
                            bytes,
                            open: f.open,
                        });
                    }
                }
                out
            };
            literals = match (repetition, following) {
                (Repetition::Once, Some(f)) => extended(&literals, &f),
                // Present or not: the literals with it, and those without (which the next
                // item goes on).
                (Repetition::Optional, Some(f)) => {
                    let mut with = extended(&literals, &f);
                    with.extend(literals);
                    with
                }
                // Once, then maybe again.
                (Repetition::AtLeastOnce, Some(f)) => extended(&literals, &f)
                    .into_iter()
                    .map(|l| Literal { open: false, ..l })
                    .collect(),
                (_, _) => literals
                    .into_iter()
                    .map(|l| Literal { open: false, ..l })
                    .collect(),
            };
            if literals.len() > MAX_LITERALS {
                return None;
            }
        }
        Some(literals)
    }

    /// One item (a byte, an escape, a class, a group), without its repetition.
    fn item(&mut self, any_case: bool) -> Option<Item> {
        let c = self.peek()?;
        self.at += 1;
        Some(match c {
            b'\\' => {
                let escaped = self.peek()?;
                self.at += 1;
                if escaped.is_ascii_punctuation() {
                    Item::Byte(LiteralByte {
                        byte: escaped,
                        any_case: false,
                    })
                } else if matches!(escaped, b'b' | b'B' | b'A' | b'z') && self.peek() != Some(b'{')
                {
                    Item::Assertion
                } else {
                    // A class, an assertion, a code (`\x22`: its digits end no literal that
                    // has not ended here).
                    Item::Other
                }
            }
            b'[' => {
                self.skip_class()?;
                Item::Other
            }
            b'(' => {
                let mut any_case = any_case;
                if self.peek() == Some(b'?') {
                    self.at += 1;
                    if self.re[self.at..].starts_with(b"i:") {
                        any_case = true;
                        self.at += 2;
                    } else if self.peek() == Some(b':') {
                        self.at += 1;
                    } else if self.re[self.at..].starts_with(b"P<") || self.peek() == Some(b'<') {
                        // A named group.
                        let close = self.re[self.at..].iter().position(|&b| b == b'>')?;
                        self.at += close + 1;
                    } else {
                        return None;
                    }
                }
                let branches = self.alternation(any_case)?;
                if self.peek() != Some(b')') {
                    return None;
                }
                self.at += 1;
                Item::Group(branches.into_iter().flatten().collect())
            }
            b'^' | b'$' => Item::Assertion,
            b'.' => Item::Other,
            b'*' | b'+' | b'?' | b'{' => return None, // a repetition of nothing
            c if c.is_ascii() => Item::Byte(LiteralByte {
                byte: c,
                any_case: any_case && c.is_ascii_alphabetic(),
            }),
            _ => Item::Other,
        })
    }

    /// Past a class `[...]` (its `[` read), nested classes too.
    fn skip_class(&mut self) -> Option<()> {
        let mut depth = 1;
        // `[]...]` and `[^]...]`: a leading `]` is a literal.
        if self.peek() == Some(b'^') {
            self.at += 1;
        }
        if self.peek() == Some(b']') {
            self.at += 1;
        }
        while depth > 0 {
            match self.peek()? {
                b'\\' => self.at += 1,
                b'[' => depth += 1,
                b']' => depth -= 1,
                _ => {}
            }
            self.at += 1;
        }
        Some(())
    }

    /// The repetition after an item (read past it, with its lazy `?`).
    fn repetition(&mut self) -> Repetition {
        let repetition = match self.peek() {
            Some(b'?') => Repetition::Optional,
            Some(b'+') => Repetition::AtLeastOnce,
            Some(b'*') => Repetition::Other,
            Some(b'{') => {
                let close = self.re[self.at..].iter().position(|&b| b == b'}');
                self.at += close.unwrap_or(self.re.len() - self.at - 1);
                Repetition::Other
            }
            _ => return Repetition::Once,
        };
        self.at += 1;
        if self.peek() == Some(b'?') {
            self.at += 1;
        }
        repetition
    }
}

enum Repetition {
    Once,
    Optional,
    AtLeastOnce,
    /// `*`, `{n,m}`: whether it is there at all is not read.
    Other,
}

/// Compiles a shell row's pattern as [`super::ascii_regex`] does (the same syntax, limits and
/// matches), without the regex's own literal prefilter: the knowledge's prefilter has already
/// found one of the row's needles in the text, and building a prefilter (and the reverse
/// searches that go with it) was most of a pattern's compile time, which a short run pays
/// on its critical path.
fn command_regex(source: &str) -> Result<meta::Regex, Box<meta::BuildError>> {
    // `regex::Regex::new`'s configuration, but for the prefilter.
    let config = meta::Config::new()
        .nfa_size_limit(Some(10 * (1 << 20)))
        .hybrid_cache_capacity(2 * (1 << 20))
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .auto_prefilter(false);
    meta::Builder::new()
        .configure(config)
        .syntax(regex_automata::util::syntax::Config::new().utf8(true))
        .build(&super::ascii_classes(source))
        .map_err(Box::new)
}

static PYTHON_C: LazyLock<Regex> = LazyLock::new(|| {
    super::ascii_regex(r#"python[0-9.]*\s+(?:-\w+\s+)*-c\s+(?:"((?:[^"\\]|\\.)*)"|'([^']*)')"#)
        .expect("static pattern")
});

/// Byte ranges of the code in `python -c "..."` / `python3 -c '...'` commands.
pub fn python_snippets(text: &str) -> Vec<Range<usize>> {
    // Every match starts with `python`: most shell texts have none, and need neither the
    // search nor the pattern compiled.
    if !text.contains("python") {
        return Vec::new();
    }
    PYTHON_C
        .captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.range()))
        .collect()
}

/// A match in a shell text.
#[derive(Debug, Clone)]
pub struct ShellHit {
    /// The row that matched (index into [`Knowledge::rows`]).
    pub row: usize,
    pub range: Range<usize>,
}

/// The matches of every row in a shell text.
pub fn scan(knowledge: &Knowledge, text: &str) -> Vec<ShellHit> {
    scan_asked(knowledge, text, super::Asked::ALL)
}

/// A shell text scanned on this thread, with what was asked and found.
struct Scanned {
    knowledge: u64,
    asked: super::Asked,
    text: String,
    hits: Vec<ShellHit>,
}

/// Texts kept: Argo files alternate between a few templates' scripts and commands, and the
/// steps of a KFP file repeat the launcher's preamble between their own commands.
const SCANNED_KEPT: usize = 8;

thread_local! {
    /// The last texts scanned, the most recent last: the tasks of a pipeline repeat a
    /// command line (the KFP launcher's preamble, a shared template's script) step after
    /// step, a few others between: each is scanned once, not once per step.
    static SCANNED: std::cell::RefCell<Vec<Scanned>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The matches of the rows `asked` about in a shell text.
pub fn scan_asked(knowledge: &Knowledge, text: &str, asked: super::Asked) -> Vec<ShellHit> {
    let same = |s: &Scanned| {
        s.text.len() == text.len()
            && s.knowledge == knowledge.id
            && s.asked == asked
            && s.text == text
    };
    let kept = SCANNED.with_borrow_mut(|scanned| {
        let at = scanned.iter().rposition(same)?;
        // The most recent last: the one kept longest is replaced first.
        let found = scanned.remove(at);
        let hits = found.hits.clone();
        scanned.push(found);
        Some(hits)
    });
    if let Some(hits) = kept {
        return hits;
    }
    let hits = scan_candidates(knowledge, text, &knowledge.candidates_asked(text, asked));
    SCANNED.with_borrow_mut(|scanned| {
        // The oldest one's buffers are reused.
        let mut entry = if scanned.len() == SCANNED_KEPT {
            scanned.remove(0)
        } else {
            Scanned {
                knowledge: 0,
                asked,
                text: String::new(),
                hits: Vec::new(),
            }
        };
        entry.knowledge = knowledge.id;
        entry.asked = asked;
        entry.text.clear();
        entry.text.push_str(text);
        entry.hits.clone_from(&hits);
        scanned.push(entry);
    });
    hits
}

/// [`scan`] with the prefilter's candidates for `text` already known.
pub fn scan_candidates(
    knowledge: &Knowledge,
    text: &str,
    candidates: &Candidates,
) -> Vec<ShellHit> {
    let table = knowledge.shell();
    let mut hits = Vec::new();
    let mut starts = Vec::new();
    for (k, pattern) in table.patterns.iter().enumerate() {
        if !candidates.row(pattern.row) {
            continue;
        }
        let row = &knowledge.rows[pattern.row];
        let upserts = std::cell::OnceCell::new();
        let mut found = |m: regex_automata::Span| {
            // The idempotent forms: `--replace`, `--skip-existing`, a local destination.
            if !row.unless_in_command.is_empty() {
                let command = command_around(text, m.start, m.end);
                if row.unless_in_command.iter().any(|w| command.contains(&**w)) {
                    return;
                }
            }
            // An upsert or a MERGE is idempotent.
            if !row.unless_in_statement.is_empty()
                && upserts
                    .get_or_init(|| Upserts::of(text, &row.unless_in_statement))
                    .in_statement(m.start, m.end)
            {
                return;
            }
            hits.push(ShellHit {
                row: pattern.row,
                range: m.range(),
            });
        };
        let regex = table.regex(k);
        if pattern.match_starts(candidates, &mut starts) {
            search_at(regex, text, &starts, &mut found);
        } else {
            for caps in regex.captures_iter(text) {
                if let Some(m) = caps.get_group(1) {
                    found(m);
                }
            }
        }
    }
    hits.sort_by_key(|h| (h.range.start, h.row));
    hits
}

/// The matches of `regex` (its first group) that the whole text's search would find, when
/// every one of them starts at one of `starts` (ascending): each start is tried as it is
/// reached, from where the last match ended, as the whole text's search goes on. A match
/// is never empty (a command word is there), so no start is tried twice.
fn search_at(
    regex: &meta::Regex,
    text: &str,
    starts: &[usize],
    found: &mut impl FnMut(regex_automata::Span),
) {
    let Some(&first) = starts.first() else {
        return;
    };
    let mut caps = regex.create_captures();
    let mut from = 0;
    let input = regex_automata::Input::new(text)
        .anchored(regex_automata::Anchored::Yes)
        .range(first..);
    let mut input = input;
    for &start in starts {
        if start < from {
            continue;
        }
        input.set_start(start);
        regex.search_captures(&input, &mut caps);
        let Some(m) = caps.get_match() else {
            continue;
        };
        from = m.end();
        if let Some(group) = caps.get_group(1) {
            found(group);
        }
    }
}

/// The command a match is part of: from the separator before it to the one after it
/// (`;`, `|`, `&`, a line end).
fn command_around(text: &str, start: usize, end: usize) -> &str {
    let is_sep = |c: char| matches!(c, ';' | '|' | '&' | '\n');
    let from = text[..start].rfind(is_sep).map_or(0, |i| i + 1);
    let to = text[end..].find(is_sep).map_or(text.len(), |i| end + i);
    &text[from..to]
}

/// Where SQL statements end (`;`), found once per text, and where an upsert clause is in a
/// statement that has a match, found once per statement: a text with many `INSERT INTO`
/// asks about each without reading the rest of the text again, and the parts of a text with
/// no match (most of a script) are not read for clauses.
struct Upserts<'t> {
    text: &'t str,
    words: &'t [super::knowledge::Text],
    semicolons: Vec<usize>,
    /// Every clause of the text (`ON CONFLICT`, `MERGE`...), when a word holds a `;` or is
    /// empty: its occurrences are not within one statement.
    clauses: Option<Vec<(usize, usize)>>,
    /// The last statement asked about (its start) and its first clause.
    last: std::cell::Cell<Option<(usize, Option<Clause>)>>,
}

impl<'t> Upserts<'t> {
    fn of(text: &'t str, words: &'t [super::knowledge::Text]) -> Upserts<'t> {
        let within_statements = words.iter().all(|w| !w.is_empty() && !w.contains(';'));
        Upserts {
            text,
            clauses: (!within_statements).then(|| clauses(text, words)),
            words,
            semicolons: text.match_indices(';').map(|(at, _)| at).collect(),
            last: std::cell::Cell::new(None),
        }
    }

    /// Does the statement that holds `start..end` have one of the clauses (before or after)?
    fn in_statement(&self, start: usize, end: usize) -> bool {
        let i = self.semicolons.partition_point(|&s| s < end);
        let statement_end = self.semicolons.get(i).copied().unwrap_or(usize::MAX);
        let statement_start = i
            .checked_sub(1)
            .and_then(|i| self.semicolons.get(i))
            .map_or(0, |s| s + 1);
        // The first clause at or after the statement's start decides.
        let first = match &self.clauses {
            Some(clauses) => {
                let j = clauses.partition_point(|&(s, _)| s < statement_start);
                clauses.get(j).copied()
            }
            None => match self.last.get() {
                Some((at, first)) if at == statement_start => first,
                _ => {
                    // No clause crosses a `;`: those of the statement are those of the text
                    // that start in it, and the first of a word is where the text's
                    // (non-overlapping) ones of it start from.
                    let statement =
                        &self.text.as_bytes()[statement_start..statement_end.min(self.text.len())];
                    let first = self
                        .words
                        .iter()
                        .filter_map(|w| {
                            let at = first_in_any_case(statement, w.as_bytes())?;
                            Some((statement_start + at, statement_start + at + w.len()))
                        })
                        .min();
                    self.last.set(Some((statement_start, first)));
                    first
                }
            },
        };
        first.is_some_and(|(s, e)| e <= statement_end && (s >= end || e <= start))
    }
}

/// Start and end of an upsert clause.
type Clause = (usize, usize);

/// Start and end of each occurrence of `words` in `text` in any case, by start.
fn clauses(text: &str, words: &[super::knowledge::Text]) -> Vec<Clause> {
    let upper = text.to_ascii_uppercase();
    let mut clauses: Vec<(usize, usize)> = words
        .iter()
        .flat_map(|w| {
            let w = w.to_ascii_uppercase();
            upper
                .match_indices(w.as_str())
                .map(|(at, w)| (at, at + w.len()))
                .collect::<Vec<_>>()
        })
        .collect();
    clauses.sort_unstable();
    clauses
}

/// Where `word` (not empty) first is in `text`, in any (ASCII) case.
fn first_in_any_case(text: &[u8], word: &[u8]) -> Option<usize> {
    let (&first, _) = word.split_first()?;
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    text.windows(word.len())
        .position(|at| (at[0] == lower || at[0] == upper) && at.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::knowledge::{Row, RowQuestion, BUILTIN_KNOWLEDGE};

    fn questions(text: &str) -> Vec<(RowQuestion, String)> {
        scan(&BUILTIN_KNOWLEDGE, text)
            .into_iter()
            .map(|h| {
                (
                    BUILTIN_KNOWLEDGE.rows[h.row].question,
                    text[h.range].to_string(),
                )
            })
            .collect()
    }

    /// A text scanned again (the same command in the next step) gives the same matches;
    /// another text, other questions or other knowledge are scanned anew.
    #[test]
    fn a_repeated_text_is_scanned_once_with_the_same_result() {
        let k = &*BUILTIN_KNOWLEDGE;
        let ranges = |text: &str, asked| -> Vec<(usize, std::ops::Range<usize>)> {
            scan_asked(k, text, asked)
                .into_iter()
                .map(|h| (h.row, h.range))
                .collect()
        };
        let text = "aws s3 cp a b && curl -X POST https://hooks.slack.com/x";
        let first = ranges(text, crate::analysis::Asked::ALL);
        assert_eq!(first.len(), 3, "{first:?}");
        assert_eq!(ranges(text, crate::analysis::Asked::ALL), first);
        let io_only = crate::analysis::Asked {
            io: true,
            non_idempotent: false,
            random: false,
        };
        assert_eq!(ranges(text, io_only).len(), 2);
        assert_eq!(ranges(text, crate::analysis::Asked::ALL), first);
        // Knowledge with a row of its own finds it in a text that the built-in rows were
        // the last to scan (and found nothing in).
        assert!(ranges("echo hello", crate::analysis::Asked::ALL).is_empty());
        let row: Row = crate::analysis::knowledge::parse_yaml(
            "{id: acme-echo, question: io, phrase: p, command: '(echo\\s+hello)', needles: [echo]}",
        )
        .unwrap();
        let other = Knowledge::with_user_rows(&[row]).unwrap();
        assert_ne!(other.id, k.id);
        assert_eq!(
            scan_asked(&other, "echo hello", crate::analysis::Asked::ALL).len(),
            1
        );
    }

    #[test]
    fn python_inside_shell() {
        let text =
            r#"mkdir -p x && python -c "import random; print(random.randint(0, 1))" | tee $0"#;
        let code: Vec<&str> = python_snippets(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(code, ["import random; print(random.randint(0, 1))"]);
        let text = "cd /app; python3.11 -u -c 'import os' && Python -c 'x'";
        let code: Vec<&str> = python_snippets(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(code, ["import os"], "the interpreter is spelt `python`");
        assert!(python_snippets("echo -c 'import os'").is_empty());
    }

    /// A text for each built-in shell pattern to match.
    const SAMPLES: [&str; 12] = [
    "aws s3 cp a b; aws s3api put-object x; aws sns publish --x; aws sagemaker create-model",
    "gsutil -m cp a b; gcloud storage cp a b; gcloud pubsub topics publish t; gcloud ai models upload",
    "az storage blob upload; azcopy copy a b; curl -d x http://a; wget http://x ",
    "rclone sync a b; hdfs dfs -put a; hadoop fs -get b; mc cp a b ; git clone x ",
    "bq query x ; psql -c x ; mysql -e y ; dvc pull; huggingface-cli download m",
    "docker push x ; /kaniko/executor --context . --destination x; crane push a b ",
    "skopeo copy a b ; kubectl -n x create job y ; helm install a b ",
    "sendmail x ; mail -s hi ; mlflow models register-x; INSERT INTO t VALUES (1) ",
    "echo $RANDOM ${RANDOM} $(date +%s) `date` date -u ; uuidgen; shuf -n1",
    "hf download a/b; ilab model download --repository x; oras pull x; crane digest x ",
    "skopeo copy docker://a docker://b; buildah push x ; twine upload dist/* ; gh release create v1 ; npm publish",
    "bq load t gs://x ; git lfs pull --include x ",
];

    /// A pattern is searched only in texts that have one of its needles: each text that a
    /// pattern matches must have one. The texts are the rows' examples.
    #[test]
    fn every_match_has_a_needle_of_its_pattern() {
        let k = &*BUILTIN_KNOWLEDGE;
        let table = k.shell();
        let texts = SAMPLES;
        for text in texts {
            for (k_, pattern) in table.patterns.iter().enumerate() {
                let row = &k.rows[pattern.row];
                if row.needles.is_empty() || !table.regex(k_).is_match(text) {
                    continue;
                }
                let ignore_case = table.patterns[k_].source.contains("(?i:");
                let has = |n: &str| {
                    text.contains(n)
                        || ignore_case && text.to_lowercase().contains(&n.to_lowercase())
                };
                assert!(
                    row.needles.iter().any(|n| has(n)),
                    "{} matches {text:?} without a needle",
                    row.id
                );
            }
        }
        // And every pattern matched one of the texts above.
        for (k_, pattern) in table.patterns.iter().enumerate() {
            assert!(
                texts.iter().any(|t| table.regex(k_).is_match(t)),
                "no sample for {}",
                k.rows[pattern.row].id
            );
        }
    }

    #[test]
    fn finds_io_and_effects() {
        assert_eq!(
            questions("aws s3 cp s3://bucket/data /data && python train.py"),
            [(RowQuestion::Io, "aws s3 cp".to_string())]
        );
        let hits = questions("curl -X POST https://hooks.slack.com/x -d '{}'");
        assert!(hits.iter().any(|(q, _)| *q == RowQuestion::NonIdempotent));
        assert!(hits.iter().any(|(q, _)| *q == RowQuestion::Io));
        assert!(questions("helm upgrade --install app ./chart").is_empty());
        assert!(!questions("helm install app ./chart").is_empty());
        assert!(questions("kubectl apply -f job.yaml").is_empty());
        assert!(!questions("kubectl -n recsys create job refresh --from=cronjob/x").is_empty());
        assert_eq!(
            questions("date -u -d yesterday +%F")[0].0,
            RowQuestion::Random
        );
        assert_eq!(questions("echo $RANDOM > /tmp/x")[0].0, RowQuestion::Random);
    }

    /// An upsert clause counts only in its own statement, and every `INSERT INTO` of a long
    /// text is judged by its own.
    #[test]
    fn upserts_are_judged_per_statement() {
        let scan = |t: &str| scan(&BUILTIN_KNOWLEDGE, t);
        let text = "INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING; INSERT INTO b VALUES (2); \
                    insert into c values (3) on duplicate key update x=1; INSERT INTO d VALUES (4)";
        let inserts: Vec<&str> = scan(text)
            .iter()
            .map(|h| &text[h.range.end + 1..h.range.end + 2])
            .collect();
        assert_eq!(inserts, ["b", "d"]);
        let many = "INSERT INTO t VALUES (1) ".repeat(5_000) + "ON CONFLICT DO NOTHING";
        assert!(scan(&many).is_empty());
        let many = "INSERT INTO t VALUES (1); ".repeat(5_000);
        assert_eq!(scan(&many).len(), 5_000);
    }

    fn literal_texts(re: &str) -> Option<Vec<String>> {
        leading_literals(re).map(|ls| {
            ls.iter()
                .map(|l| {
                    l.iter()
                        .map(|b| {
                            if b.any_case {
                                b.byte.to_ascii_uppercase() as char
                            } else {
                                b.byte as char
                            }
                        })
                        .collect()
                })
                .collect()
        })
    }

    /// What every match of a pattern starts with, read from its text; `None` where that
    /// cannot be said (the whole text is then searched).
    #[test]
    fn leading_literals_of_patterns() {
        let lits = |re: &str| literal_texts(re);
        let some = |ls: &[&str]| Some(ls.iter().map(|l| l.to_string()).collect::<Vec<_>>());
        assert_eq!(lits(r"(twine\s+upload)\s"), some(&["twine"]));
        assert_eq!(
            lits(r"((?:/kaniko/)?executor\b[^\n]*--destination)"),
            some(&["/kaniko/executor", "executor"])
        );
        assert_eq!(
            lits(r"(\$RANDOM|\$\{RANDOM\})"),
            some(&["$RANDOM", "${RANDOM}"])
        );
        assert_eq!(lits(r"(psql|mysql)\s"), some(&["mysql", "psql"]));
        assert_eq!(lits(r"((?i:insert\s+into))\s"), some(&["INSERT"]));
        assert_eq!(lits(r"(?P<tool>ab+c)"), some(&["ab"]));
        assert_eq!(lits(r"(gsutil(?:\s+-m)?\s+\w+)"), some(&["gsutil"]));
        assert_eq!(lits(r"(a(?:b|c)?d)"), some(&["abd", "acd", "ad"]));
        assert_eq!(lits(r"(x[]|)]y)"), some(&["x"]));
        // Matches that start with anything: a class, `.`, an optional first item.
        assert_eq!(lits(r"([a-z]+ cp)"), None);
        assert_eq!(lits(r"(.*curl)"), None);
        assert_eq!(lits(r"(a*b)"), None);
        assert_eq!(lits(r"(a?b)"), some(&["ab", "b"]));
        assert_eq!(
            lits(r"(\$\(date\b|\bdate\s+[-+])"),
            some(&["$(date", "date"])
        );
        // An alternation at the top: the separator before it is the first branch's only.
        assert_eq!(lits(r"(curl)|(wget)"), None);
        // Flags other than `(?i:`.
        assert_eq!(lits(r"(?i)(curl)"), None);
        assert_eq!(lits(r"((?s:curl))"), None);
    }

    /// Every built-in shell pattern is searched only where its words are, and that finds
    /// what the whole text's search finds: on the samples, at the start of a text, next
    /// to other matches, in any case where the pattern ignores it.
    #[test]
    fn searching_where_the_words_are_finds_what_the_whole_text_search_finds() {
        let k = &*BUILTIN_KNOWLEDGE;
        let table = k.shell();
        for pattern in &table.patterns {
            assert!(
                pattern.starts.is_some(),
                "{}: its matches' start is not read from its words",
                k.rows[pattern.row].id
            );
        }
        let mut texts: Vec<String> = SAMPLES.iter().map(|t| t.to_string()).collect();
        texts.extend(SAMPLES.iter().map(|t| t.trim_start().replace("; ", ";")));
        texts.extend(SAMPLES.iter().map(|t| t.replace(' ', "\n  ")));
        texts.extend(
            [
                "$RANDOM${RANDOM}$RANDOM",
                "insert into t values (1) ;Insert  Into t;INSERT INTO u VALUES (2) ",
                "/kaniko/executor --destination x; executor --destination y",
                "curl curl -d x http://a",
                "date -u; date +%s; `date`; $(date)",
                "psql mysql psql -c x",
                "aws aws s3 cp a b",
            ]
            .map(String::from),
        );
        for text in &texts {
            let candidates = k.candidates(text);
            for (i, pattern) in table.patterns.iter().enumerate() {
                let regex = table.regex(i);
                let whole: Vec<_> = regex
                    .captures_iter(text)
                    .map(|c| (c.get_match().map(|m| m.range()), c.get_group(1)))
                    .collect();
                let mut starts = Vec::new();
                assert!(pattern.match_starts(&candidates, &mut starts));
                let mut at_words = Vec::new();
                search_at(regex, text, &starts, &mut |m| at_words.push(m));
                let groups: Vec<_> = whole.iter().filter_map(|(_, g)| *g).collect();
                assert_eq!(at_words, groups, "{} in {text:?}", k.rows[pattern.row].id);
                if !whole.is_empty() {
                    assert!(candidates.row(pattern.row));
                }
            }
        }
    }

    /// A user's row: its words are found in its literals at any offset, in either automaton;
    /// a pattern whose start is not read is searched in the whole text, with the same result.
    #[test]
    fn user_rows_are_searched_where_their_words_are_or_everywhere() {
        let row = |yaml: &str| -> Row { crate::analysis::knowledge::parse_yaml(yaml).unwrap() };
        let k = Knowledge::with_user_rows(&[
            row(r"{id: acme-pip, question: io, phrase: p, command: '(pip\s+install)', needles: [ip]}"),
            row(r"{id: acme-any, question: io, phrase: p, command: '(\w+\s+--upload)', needles: [upload]}"),
        ])
        .unwrap();
        let table = k.shell();
        let of = |id: &str| {
            table
                .patterns
                .iter()
                .find(|p| k.rows[p.row].id == id)
                .unwrap()
        };
        let pip = of("acme-pip").starts.clone().unwrap();
        assert!(pip.iter().all(|w| w.offset == 1), "{pip:?}");
        assert!(of("acme-any").starts.is_none());
        let text = "pip install x; tool --upload y;pip  install z";
        let found: Vec<&str> = scan(&k, text)
            .iter()
            .filter(|h| k.rows[h.row].id.starts_with("acme-"))
            .map(|h| &text[h.range.clone()])
            .collect();
        assert_eq!(found, ["pip install", "tool --upload", "pip  install"]);
    }

    /// Clauses looked for per statement give the answers of clauses looked for in the whole
    /// text (which words with a `;` still get), for every match position.
    #[test]
    fn upserts_per_statement_agree_with_the_whole_text() {
        let words: Vec<crate::analysis::knowledge::Text> =
            ["ON CONFLICT", "merge ", "aa"].map(Into::into).to_vec();
        let texts = [
            "INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING; INSERT INTO b VALUES (2);",
            "merge into t; insert into t values (1) on conflict;insert into u; aaa;;Merge x",
            "insert aa into aaaa; on conflict insert; x",
            "no statement end insert into on conflict",
        ];
        for text in texts {
            let per_statement = Upserts::of(text, &words);
            assert!(per_statement.clauses.is_none());
            let mut whole = Upserts::of(text, &words);
            whole.clauses = Some(clauses(text, &words));
            for start in 0..text.len() {
                for end in start + 1..=text.len().min(start + 12) {
                    assert_eq!(
                        per_statement.in_statement(start, end),
                        whole.in_statement(start, end),
                        "{start}..{end} in {text:?}"
                    );
                }
            }
        }
        let with_semicolon: Vec<crate::analysis::knowledge::Text> = vec!["x; y".into()];
        let upserts = Upserts::of("a; x; y", &with_semicolon);
        assert_eq!(upserts.clauses, Some(vec![(3, 7)]));
    }

    /// Texts that come back a few others later are found among the kept ones (and moved
    /// last); past [`SCANNED_KEPT`] texts, the oldest is dropped.
    #[test]
    fn the_last_texts_are_kept() {
        let k = &*BUILTIN_KNOWLEDGE;
        let kept = || SCANNED.with_borrow(|s| s.iter().map(|s| s.text.clone()).collect::<Vec<_>>());
        let texts: Vec<String> = (0..=SCANNED_KEPT)
            .map(|i| format!("aws s3 cp a{i} b"))
            .collect();
        for t in &texts[..3] {
            scan(k, t);
        }
        let first = scan(k, &texts[0]);
        assert_eq!(first.len(), 1);
        assert_eq!(kept()[kept().len() - 1], texts[0], "found and moved last");
        assert_eq!(kept().iter().filter(|t| **t == texts[0]).count(), 1);
        for t in &texts[3..] {
            scan(k, t);
        }
        let kept = kept();
        assert_eq!(kept.len(), SCANNED_KEPT);
        assert!(!kept.contains(&texts[1]), "the oldest is dropped");
        assert!(kept.contains(&texts[0]));
        assert_eq!(scan(k, &texts[1]).len(), 1);
    }
}
