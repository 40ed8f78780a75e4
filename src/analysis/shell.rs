//! Shell command scanning: the command line as the shell sees it (command + args joined),
//! and `script.source` of shell scripts.

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use regex_automata::meta;

use super::knowledge::{Candidates, Knowledge, Row};

/// The shell rows of a [`Knowledge`], ready to search: each pattern compiled on first use
/// (most runs need only a few). Which patterns run on a text is the knowledge's prefilter's
/// answer: those with one of their needles in it.
#[derive(Debug)]
pub struct ShellTable {
    /// Row index and its pattern, anchored where a command word starts.
    patterns: Vec<(usize, String, OnceLock<meta::Regex>)>,
}

impl ShellTable {
    pub fn new(rows: &[Row], commands: &[usize]) -> ShellTable {
        let mut patterns = Vec::new();
        for &i in commands {
            let Some(re) = &rows[i].command else { continue };
            // A command word starts the text or follows a separator.
            let source = format!(r"(?:^|[\s;&|(`'\x22=]){re}");
            patterns.push((i, source, OnceLock::new()));
        }
        ShellTable { patterns }
    }

    fn regex(&self, k: usize) -> &meta::Regex {
        let (_, source, regex) = &self.patterns[k];
        regex.get_or_init(|| command_regex(source).expect("checked when loaded"))
    }
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

/// The last shell text scanned on this thread, with what was asked and found.
struct LastScan {
    knowledge: u64,
    asked: super::Asked,
    text: String,
    hits: Vec<ShellHit>,
}

thread_local! {
    /// The tasks of a pipeline repeat one command line (the KFP launcher's preamble, a
    /// shared template's script) step after step: it is scanned once, not once per step.
    static LAST_SCAN: std::cell::RefCell<Option<LastScan>> = const { std::cell::RefCell::new(None) };
}

/// The matches of the rows `asked` about in a shell text.
pub fn scan_asked(knowledge: &Knowledge, text: &str, asked: super::Asked) -> Vec<ShellHit> {
    let same = |last: &LastScan| {
        last.knowledge == knowledge.id && last.asked == asked && last.text == text
    };
    if let Some(hits) =
        LAST_SCAN.with_borrow(|last| last.as_ref().filter(|l| same(l)).map(|l| l.hits.clone()))
    {
        return hits;
    }
    let hits = scan_candidates(knowledge, text, &knowledge.candidates_asked(text, asked));
    LAST_SCAN.with_borrow_mut(|last| {
        *last = Some(LastScan {
            knowledge: knowledge.id,
            asked,
            text: text.to_string(),
            hits: hits.clone(),
        })
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
    for (k, (index, _, _)) in table.patterns.iter().enumerate() {
        if !candidates.row(*index) {
            continue;
        }
        let row = &knowledge.rows[*index];
        let upserts = std::cell::OnceCell::new();
        for caps in table.regex(k).captures_iter(text) {
            let Some(m) = caps.get_group(1) else { continue };
            // The idempotent forms: `--replace`, `--skip-existing`, a local destination.
            if !row.unless_in_command.is_empty() {
                let command = command_around(text, m.start, m.end);
                if row.unless_in_command.iter().any(|w| command.contains(&**w)) {
                    continue;
                }
            }
            // An upsert or a MERGE is idempotent.
            if !row.unless_in_statement.is_empty()
                && upserts
                    .get_or_init(|| Upserts::of(text, &row.unless_in_statement))
                    .in_statement(m.start, m.end)
            {
                continue;
            }
            hits.push(ShellHit {
                row: *index,
                range: m.range(),
            });
        }
    }
    hits.sort_by_key(|h| (h.range.start, h.row));
    hits
}

/// The command a match is part of: from the separator before it to the one after it
/// (`;`, `|`, `&`, a line end).
fn command_around(text: &str, start: usize, end: usize) -> &str {
    let is_sep = |c: char| matches!(c, ';' | '|' | '&' | '\n');
    let from = text[..start].rfind(is_sep).map_or(0, |i| i + 1);
    let to = text[end..].find(is_sep).map_or(text.len(), |i| end + i);
    &text[from..to]
}

/// Where SQL statements end (`;`) and where an upsert clause starts, found once per text:
/// a text with many `INSERT INTO` asks about each without reading the rest of the text again.
struct Upserts {
    semicolons: Vec<usize>,
    /// Start and end of each clause (`ON CONFLICT`, `MERGE`...), in any case.
    clauses: Vec<(usize, usize)>,
}

impl Upserts {
    fn of(text: &str, words: &[super::knowledge::Text]) -> Upserts {
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
        Upserts {
            semicolons: text.match_indices(';').map(|(at, _)| at).collect(),
            clauses,
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
        let j = self.clauses.partition_point(|&(s, _)| s < statement_start);
        // Clauses hold no `;`: the first one at or after the statement's start decides.
        self.clauses
            .get(j)
            .is_some_and(|&(s, e)| e <= statement_end && (s >= end || e <= start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::knowledge::{RowQuestion, BUILTIN_KNOWLEDGE};

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

    /// A pattern is searched only in texts that have one of its needles: each text that a
    /// pattern matches must have one. The texts are the rows' examples.
    #[test]
    fn every_match_has_a_needle_of_its_pattern() {
        let k = &*BUILTIN_KNOWLEDGE;
        let table = k.shell();
        let texts = [
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
        for text in texts {
            for (k_, (row, _, _)) in table.patterns.iter().enumerate() {
                let row = &k.rows[*row];
                if row.needles.is_empty() || !table.regex(k_).is_match(text) {
                    continue;
                }
                let ignore_case = table.patterns[k_].1.contains("(?i:");
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
        for (k_, (row, _, _)) in table.patterns.iter().enumerate() {
            assert!(
                texts.iter().any(|t| table.regex(k_).is_match(t)),
                "no sample for {}",
                k.rows[*row].id
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
}
