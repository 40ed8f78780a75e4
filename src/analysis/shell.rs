//! Shell command scanning: the command line as the shell sees it (command + args joined),
//! and `script.source` of shell scripts.

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::{Regex, RegexSet};

use super::Question;

/// One pattern: what it answers and how to describe a match.
struct Pattern {
    question: Question,
    /// Words every match contains (one of them): a text without any is not searched, and
    /// the regex is compiled only when some text has one (most runs need only a few).
    /// Empty: always searched. A pattern that ignores case (`(?i:`) finds its needles in
    /// any case.
    needles: &'static [&'static str],
    source: String,
    regex: OnceLock<Regex>,
    what: &'static str,
}

impl Pattern {
    fn regex(&self) -> &Regex {
        self.regex
            .get_or_init(|| super::ascii_regex(&self.source).expect("static pattern"))
    }
}

fn p(
    question: Question,
    needles: &'static [&'static str],
    re: &str,
    what: &'static str,
) -> Pattern {
    // A command word starts the text or follows a separator.
    Pattern {
        question,
        needles,
        source: format!(r"(?:^|[\s;&|(`'\x22=]){re}"),
        regex: OnceLock::new(),
        what,
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    use Question::*;
    vec![
        p(Io, &["aws"], r"(aws\s+s3(?:api)?\s+\w+)", "copies from or to S3"),
        p(Io, &["gsutil"], r"(gsutil(?:\s+-m)?\s+\w+)", "copies from or to GCS"),
        p(Io, &["gcloud"], r"(gcloud\s+storage\s+\w+)", "copies from or to GCS"),
        p(Io, &["az"], r"(az\s+storage\s+\w+|azcopy\s+\w+)", "copies from or to Azure storage"),
        p(Io, &["curl"], r"(curl)\s", "makes an HTTP request"),
        p(Io, &["wget"], r"(wget)\s", "downloads over HTTP"),
        p(Io, &["rclone"], r"(rclone\s+\w+)", "copies from or to remote storage"),
        p(Io, &["hdfs", "hadoop"], r"((?:hdfs\s+dfs|hadoop\s+fs)\s+-\w+)", "reads or writes HDFS"),
        p(Io, &["mc"], r"(mc\s+(?:cp|mirror|cat))\s", "copies from or to MinIO/S3"),
        p(Io, &["git"], r"(git\s+(?:clone|pull|fetch))\s", "fetches a git repository"),
        p(Io, &["bq"], r"(bq\s+(?:query|load|extract|cp))\s", "runs a BigQuery job"),
        p(Io, &["sql"], r"(psql|mysql)\s", "talks to a database"),
        p(Io, &["dvc"], r"(dvc\s+(?:pull|push|fetch))", "moves data with DVC"),
        p(Io, &["huggingface-cli"], r"(huggingface-cli\s+download)", "downloads from the Hugging Face Hub"),
        p(NonIdempotent, &["docker"], r"(docker\s+push)\s", "pushes an image"),
        p(NonIdempotent, &["executor"], r"((?:/kaniko/)?executor\b[^\n]*--destination)", "pushes an image (kaniko --destination)"),
        p(NonIdempotent, &["crane", "skopeo"], r"(crane\s+(?:push|copy|cp)|skopeo\s+copy)\s", "pushes an image"),
        p(NonIdempotent, &["kubectl"], r"(kubectl\b[^\n;|&]*?\s(?:create|run))\s", "creates a Kubernetes object (`kubectl create` fails or duplicates on retry)"),
        p(NonIdempotent, &["helm"], r"(helm\s+install)\s", "installs a Helm release (`helm install` fails on retry; `helm upgrade --install` does not)"),
        p(NonIdempotent, &["curl"], r"(curl\b[^\n;|&]*?(?:-X\s*POST|--request\s+POST|\s-d\s|\s--data(?:-\w+)?[\s=]|\s-F\s|\s--form\s))", "POSTs to an HTTP endpoint"),
        p(NonIdempotent, &["aws", "gcloud"], r"(aws\s+sns\s+publish|gcloud\s+pubsub\s+topics\s+publish)", "publishes a notification"),
        p(NonIdempotent, &["mail"], r"(sendmail|mail\s+-s)\s", "sends an email"),
        p(NonIdempotent, &["gcloud", "aws"], r"(gcloud\s+ai\s+models\s+upload|aws\s+sagemaker\s+create-\w+)", "registers a model"),
        p(NonIdempotent, &["mlflow"], r"(mlflow\s+models\s+\S*register\S*)", "registers a model"),
        p(NonIdempotent, &["insert"], r"((?i:insert\s+into))\s", "runs SQL `INSERT INTO` (no upsert): a second attempt inserts the rows again"),
        p(Random, &["RANDOM"], r"(\$RANDOM|\$\{RANDOM\})", "uses `$RANDOM`"),
        p(Random, &["date"], r"(\$\(date\b|`date\b|\bdate\s+[-+])", "uses the current date"),
        p(Random, &["uuidgen", "shuf"], r"(uuidgen|shuf)\b", "generates random values"),
    ]
});

/// Every needle of [`PATTERNS`] in one literal automaton (cheap to build, unlike a set of
/// the patterns themselves): one pass over a text says which needles it has, so a text,
/// however short, costs one search before any pattern runs. Entry `i` is the needle's pattern.
static NEEDLES: LazyLock<(RegexSet, Vec<usize>)> = LazyLock::new(|| {
    let (needles, owners): (Vec<String>, Vec<usize>) = PATTERNS
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            // A pattern that ignores case has needles that ignore case.
            let case = if p.source.contains("(?i:") {
                "(?i)"
            } else {
                ""
            };
            p.needles
                .iter()
                .map(move |n| (format!("{case}{}", regex::escape(n)), i))
        })
        .unzip();
    (RegexSet::new(needles).expect("literal needles"), owners)
});

static PYTHON_C: LazyLock<Regex> = LazyLock::new(|| {
    super::ascii_regex(r#"python[0-9.]*\s+(?:-\w+\s+)*-c\s+(?:"((?:[^"\\]|\\.)*)"|'([^']*)')"#)
        .expect("static pattern")
});

/// Byte ranges of the code in `python -c "..."` / `python3 -c '...'` commands.
pub fn python_snippets(text: &str) -> Vec<Range<usize>> {
    PYTHON_C
        .captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.range()))
        .collect()
}

/// A match in a shell text.
#[derive(Debug, Clone)]
pub struct ShellHit {
    pub question: Question,
    pub range: Range<usize>,
    pub what: &'static str,
}

pub fn scan(text: &str) -> Vec<ShellHit> {
    let mut hits = Vec::new();
    let upserts = std::cell::OnceCell::new();
    // The patterns that can match: those with a needle in the text, and those without any.
    let (set, owners) = &*NEEDLES;
    let mut candidates = vec![false; PATTERNS.len()];
    for n in set.matches(text).iter() {
        candidates[owners[n]] = true;
    }
    for (pattern, candidate) in PATTERNS.iter().zip(candidates) {
        if !candidate && !pattern.needles.is_empty() {
            continue;
        }
        for caps in pattern.regex().captures_iter(text) {
            if let Some(m) = caps.get(1) {
                // `helm upgrade --install` is the idempotent form.
                if m.as_str().starts_with("helm") && text[m.end()..].starts_with(" --replace") {
                    continue;
                }
                // An upsert is idempotent.
                if m.as_str().to_ascii_uppercase().starts_with("INSERT")
                    && upserts
                        .get_or_init(|| Upserts::of(text))
                        .in_statement_after(m.end())
                {
                    continue;
                }
                hits.push(ShellHit {
                    question: pattern.question,
                    range: m.range(),
                    what: pattern.what,
                });
            }
        }
    }
    hits.sort_by_key(|h| h.range.start);
    hits
}

/// Where SQL statements end (`;`) and where an upsert clause starts, found once per text:
/// a text with many `INSERT INTO` asks about each without reading the rest of the text again.
struct Upserts {
    semicolons: Vec<usize>,
    /// Start and end of each `ON CONFLICT` / `ON DUPLICATE KEY`, in any case.
    clauses: Vec<(usize, usize)>,
}

impl Upserts {
    fn of(text: &str) -> Upserts {
        let upper = text.to_ascii_uppercase();
        let mut clauses: Vec<(usize, usize)> = ["ON CONFLICT", "ON DUPLICATE KEY"]
            .iter()
            .flat_map(|w| upper.match_indices(w).map(|(at, w)| (at, at + w.len())))
            .collect();
        clauses.sort_unstable();
        Upserts {
            semicolons: text.match_indices(';').map(|(at, _)| at).collect(),
            clauses,
        }
    }

    /// Does the statement that goes on at `at` have an upsert clause after `at`?
    fn in_statement_after(&self, at: usize) -> bool {
        let i = self.semicolons.partition_point(|&s| s < at);
        let statement_end = self.semicolons.get(i).copied().unwrap_or(usize::MAX);
        let j = self.clauses.partition_point(|&(start, _)| start < at);
        // Clauses hold no `;`: the first one after `at` decides.
        self.clauses
            .get(j)
            .is_some_and(|&(_, end)| end <= statement_end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions(text: &str) -> Vec<(Question, String)> {
        scan(text)
            .into_iter()
            .map(|h| (h.question, text[h.range].to_string()))
            .collect()
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
    }

    /// A pattern is searched only in texts that have one of its needles: each text that a
    /// pattern matches must have one.
    #[test]
    fn every_match_has_a_needle_of_its_pattern() {
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
        ];
        for text in texts {
            for pattern in PATTERNS.iter().filter(|p| !p.needles.is_empty()) {
                if pattern.regex().is_match(text) {
                    let ignore_case = pattern.source.contains("(?i:");
                    let has = |n: &str| {
                        text.contains(n)
                            || ignore_case && text.to_lowercase().contains(&n.to_lowercase())
                    };
                    assert!(
                        pattern.needles.iter().any(|n| has(n)),
                        "{} matches {text:?} without a needle",
                        pattern.source
                    );
                }
            }
        }
        // And every pattern matched one of the texts above.
        for pattern in PATTERNS.iter() {
            assert!(
                texts.iter().any(|t| pattern.regex().is_match(t)),
                "no sample for {}",
                pattern.source
            );
        }
    }

    #[test]
    fn finds_io_and_effects() {
        assert_eq!(
            questions("aws s3 cp s3://bucket/data /data && python train.py"),
            [(Question::Io, "aws s3 cp".to_string())]
        );
        let hits = questions("curl -X POST https://hooks.slack.com/x -d '{}'");
        assert!(hits.iter().any(|(q, _)| *q == Question::NonIdempotent));
        assert!(hits.iter().any(|(q, _)| *q == Question::Io));
        assert!(questions("helm upgrade --install app ./chart").is_empty());
        assert!(!questions("helm install app ./chart").is_empty());
        assert!(questions("kubectl apply -f job.yaml").is_empty());
        assert!(!questions("kubectl -n recsys create job refresh --from=cronjob/x").is_empty());
        assert_eq!(questions("date -u -d yesterday +%F")[0].0, Question::Random);
        assert_eq!(questions("echo $RANDOM > /tmp/x")[0].0, Question::Random);
    }

    /// An upsert clause counts only in its own statement, and every `INSERT INTO` of a long
    /// text is judged by its own.
    #[test]
    fn upserts_are_judged_per_statement() {
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
