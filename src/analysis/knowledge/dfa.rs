//! The prefilter's automaton: a deterministic Aho-Corasick automaton over the trigger
//! words, one table lookup per byte of text. The build script includes this file too and
//! writes the built-in automata out as static tables (a run builds nothing); a user's rows
//! build theirs here when the config is read. It uses nothing but std.

use std::borrow::Cow;

/// Every occurrence of every word, overlapping ones included, in one pass.
///
/// The table is stored by class (column-major): `next[classes[byte] + state]`. A state id
/// is a plain `u16` index, so the table takes two bytes an entry and a step needs no
/// multiply (the class is premultiplied by the number of states instead). States are
/// numbered breadth first, so the shallow states that most bytes of a text stay in share
/// the first cache lines of every class's column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dfa {
    /// Byte to where its class's column starts in `next` (class times the number of
    /// states): bytes that no word has share class 0; a case-insensitive automaton gives a
    /// letter's two cases one class.
    pub classes: Cow<'static, [u32]>,
    /// How many classes (columns of `next`).
    pub width: u32,
    /// `next[column + state]`: the next state. The start state is 0, and the states where a
    /// word ends come last, from `first_match` on.
    pub next: Cow<'static, [u16]>,
    pub first_match: u16,
    /// For the match state `first_match + k`: the words that end there are
    /// `words[ends[k]..ends[k + 1]]`.
    pub ends: Cow<'static, [u32]>,
    pub words: Cow<'static, [u32]>,
    /// Each word's length in bytes.
    pub lens: Cow<'static, [u32]>,
    /// The longest word's length: how far back from where a word ends it can start.
    pub longest: u32,
}

impl Dfa {
    /// At most how many entries the table of `words` would have: one row of one entry per
    /// distinct byte (plus one) for each trie node, and a trie has at most one node per
    /// byte of the words (plus the root). A user's knowledge rows are untrusted input: a
    /// few megabytes of trigger words would make a table of gigabytes.
    pub fn table_bound(words: &[&str], fold: bool) -> usize {
        let mut seen = [false; 256];
        let mut bytes = 0usize;
        for w in words {
            bytes += w.len();
            for &b in w.as_bytes() {
                seen[if fold { b.to_ascii_lowercase() } else { b } as usize] = true;
            }
        }
        let width = 1 + seen.iter().filter(|&&s| s).count();
        (bytes + 1).saturating_mul(width)
    }

    /// At most how many states a table can have: state ids are `u16`.
    pub const MAX_STATES: usize = 1 << 16;

    /// The automaton over `words` (`fold`: in any ASCII case). Panics when it would have
    /// more than [`Dfa::MAX_STATES`] states: for words that are not known to fit, use
    /// [`Dfa::try_new`].
    pub fn new(words: &[&str], fold: bool) -> Dfa {
        Dfa::try_new(words, fold).expect("more trigger-word states than a u16 table holds")
    }

    /// The automaton over `words`, or `None` when it would have more than
    /// [`Dfa::MAX_STATES`] states.
    pub fn try_new(words: &[&str], fold: bool) -> Option<Dfa> {
        let norm = |b: u8| if fold { b.to_ascii_lowercase() } else { b };
        // Classes: one per byte that a word has (and its other case when folding).
        let mut classes = vec![0u8; 256];
        let mut width = 1usize;
        for w in words {
            for &b in w.as_bytes() {
                let b = norm(b);
                if classes[b as usize] == 0 {
                    assert!(width < 256, "at most 255 distinct bytes in trigger words");
                    classes[b as usize] = width as u8;
                    width += 1;
                }
            }
        }
        if fold {
            for b in b'A'..=b'Z' {
                classes[b as usize] = classes[b.to_ascii_lowercase() as usize];
            }
        }
        // The trie: `child[node * width + class]`, 0 for none (the root is no one's child).
        let mut child: Vec<u32> = vec![0; width];
        let mut output: Vec<Vec<u32>> = vec![Vec::new()];
        for (i, w) in words.iter().enumerate() {
            let mut node = 0usize;
            for &b in w.as_bytes() {
                let c = classes[norm(b) as usize] as usize;
                let next = child[node * width + c];
                node = if next != 0 {
                    next as usize
                } else {
                    let new = output.len();
                    output.push(Vec::new());
                    child.extend(std::iter::repeat_n(0, width));
                    child[node * width + c] = new as u32;
                    new
                };
            }
            output[node].push(i as u32);
        }
        // Breadth first: failure links, each node's words with those of its failure, and
        // the full transitions (a missing child goes where the failure's would).
        let nodes = output.len();
        if nodes > Dfa::MAX_STATES {
            return None;
        }
        let mut delta: Vec<u32> = vec![0; nodes * width];
        let mut fail = vec![0usize; nodes];
        let mut order = Vec::with_capacity(nodes);
        for c in 0..width {
            let v = child[c] as usize;
            if v != 0 {
                delta[c] = v as u32;
                order.push(v);
            }
        }
        let mut at = 0;
        while at < order.len() {
            let u = order[at];
            at += 1;
            let inherited = output[fail[u]].clone();
            output[u].extend(inherited);
            for c in 0..width {
                let v = child[u * width + c] as usize;
                if v != 0 {
                    fail[v] = delta[fail[u] * width + c] as usize;
                    delta[u * width + c] = v as u32;
                    order.push(v);
                } else {
                    delta[u * width + c] = delta[fail[u] * width + c];
                }
            }
        }
        // Renumber breadth first (the start state stays 0): states without words first,
        // then the others.
        let mut id = vec![0u16; nodes];
        let mut next_id = 0usize;
        for pass in [false, true] {
            for &n in std::iter::once(&0).chain(&order) {
                if output[n].is_empty() != pass {
                    id[n] = next_id as u16;
                    next_id += 1;
                }
            }
        }
        let first_match = output.iter().filter(|o| o.is_empty()).count() as u16;
        let mut next = vec![0u16; nodes * width];
        for n in 0..nodes {
            for c in 0..width {
                next[c * nodes + id[n] as usize] = id[delta[n * width + c] as usize];
            }
        }
        let classes = classes
            .iter()
            .map(|&c| u32::from(c) * nodes as u32)
            .collect();
        let mut matched: Vec<usize> = (0..nodes).filter(|&n| !output[n].is_empty()).collect();
        matched.sort_by_key(|&n| id[n]);
        let mut ends = vec![0u32];
        let mut found = Vec::new();
        for n in matched {
            let mut out = output[n].clone();
            out.sort_unstable();
            found.extend(out);
            ends.push(found.len() as u32);
        }
        Some(Dfa {
            classes: Cow::Owned(classes),
            width: width as u32,
            next: Cow::Owned(next),
            first_match,
            ends: Cow::Owned(ends),
            words: Cow::Owned(found),
            lens: Cow::Owned(words.iter().map(|w| w.len() as u32).collect()),
            longest: words.iter().map(|w| w.len() as u32).max().unwrap_or(0),
        })
    }

    /// Calls `found(start, end, word)` for every occurrence of a word in `text`, by end.
    ///
    /// A step waits for the one before it (its state picks the table entry), so one pass
    /// goes at the speed of a load from the table, not of the processor. A long text is
    /// read as two halves at once: two independent chains of loads in flight. The second
    /// half starts `longest - 1` bytes early, in the start state, so that every word that
    /// ends in it is seen whole; what it finds is reported after the first half's, so the
    /// occurrences still come by end, exactly as one pass gives them.
    #[inline]
    pub fn for_each(&self, text: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        let Ok(classes) = <&[u32; 256]>::try_from(&*self.classes) else {
            return; // not built by `Dfa::new`
        };
        let overlap = (self.longest as usize).saturating_sub(1);
        // Below this the halves are too short to pay for the second one's start.
        if text.len() < Self::HALVES_FROM.max(4 * overlap) {
            return self.for_each_in_one_pass(classes, text, found);
        }
        let next = &*self.next;
        let step = |state: u16, b: u8| next[classes[b as usize] as usize + state as usize];
        let first_match = self.first_match;
        // The first half reports the words that end up to `mid`, the second those after.
        let mid = text.len() / 2;
        let second_from = mid - overlap;
        let (first, second) = (&text[..mid], &text[second_from..]);
        // The second half's matches, in order; rare, so the vector seldom allocates.
        let mut later: Vec<(u16, usize)> = Vec::new();
        let (mut a, mut b) = (0u16, 0u16);
        let mut at = 0;
        for (x, y) in first.chunks_exact(4).zip(second.chunks_exact(4)) {
            let a1 = step(a, x[0]);
            let b1 = step(b, y[0]);
            let a2 = step(a1, x[1]);
            let b2 = step(b1, y[1]);
            let a3 = step(a2, x[2]);
            let b3 = step(b2, y[2]);
            let a4 = step(a3, x[3]);
            let b4 = step(b3, y[3]);
            if a1.max(a2).max(a3.max(a4)).max(b1.max(b2).max(b3.max(b4))) >= first_match {
                for (k, (s, t)) in [(a1, b1), (a2, b2), (a3, b3), (a4, b4)]
                    .into_iter()
                    .enumerate()
                {
                    if s >= first_match {
                        self.report(s, at + k + 1, &mut found);
                    }
                    let end = second_from + at + k + 1;
                    if t >= first_match && end > mid {
                        later.push((t, end));
                    }
                }
            }
            (a, b) = (a4, b4);
            at += 4;
        }
        for (k, &x) in first[at..].iter().enumerate() {
            a = step(a, x);
            if a >= first_match {
                self.report(a, at + k + 1, &mut found);
            }
        }
        for &(state, end) in &later {
            self.report(state, end, &mut found);
        }
        for (k, &y) in second[at..].iter().enumerate() {
            b = step(b, y);
            let end = second_from + at + k + 1;
            if b >= first_match && end > mid {
                self.report(b, end, &mut found);
            }
        }
    }

    /// Texts of at least this many bytes are read as two halves at once (see
    /// [`Dfa::for_each`]).
    pub const HALVES_FROM: usize = 256;

    /// [`Dfa::for_each`] in one pass from the first byte to the last: how short texts are
    /// read, and the reference that the halves are tested against.
    #[inline]
    pub fn for_each_in_one_pass(
        &self,
        classes: &[u32; 256],
        text: &[u8],
        mut found: impl FnMut(usize, usize, usize),
    ) {
        let next = &*self.next;
        let step = |state: u16, b: u8| next[classes[b as usize] as usize + state as usize];
        let first_match = self.first_match;
        // Four bytes a round, one test for a match among them: most rounds have none.
        let mut state = 0u16;
        let mut chunks = text.chunks_exact(4);
        let mut at = 0;
        for chunk in &mut chunks {
            let s1 = step(state, chunk[0]);
            let s2 = step(s1, chunk[1]);
            let s3 = step(s2, chunk[2]);
            let s4 = step(s3, chunk[3]);
            if s1.max(s2).max(s3.max(s4)) >= first_match {
                for (k, s) in [s1, s2, s3, s4].into_iter().enumerate() {
                    if s >= first_match {
                        self.report(s, at + k + 1, &mut found);
                    }
                }
            }
            state = s4;
            at += 4;
        }
        for &b in chunks.remainder() {
            state = step(state, b);
            at += 1;
            if state >= first_match {
                self.report(state, at, &mut found);
            }
        }
    }

    /// The words that end `end` bytes in, where the match state `state` was reached.
    #[inline]
    fn report(&self, state: u16, end: usize, found: &mut impl FnMut(usize, usize, usize)) {
        let k = (state - self.first_match) as usize;
        for &w in &self.words[self.ends[k] as usize..self.ends[k + 1] as usize] {
            found(end - self.lens[w as usize] as usize, end, w as usize);
        }
    }
}
