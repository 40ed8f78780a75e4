//! Shell command scanning: the command line as the shell sees it (command + args joined),
//! and `script.source` of shell scripts.

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::Question;

/// One pattern: what it answers and how to describe a match.
struct Pattern {
    question: Question,
    regex: Regex,
    what: &'static str,
}

fn p(question: Question, re: &str, what: &'static str) -> Pattern {
    // A command word starts the text or follows a separator.
    let re = format!(r"(?:^|[\s;&|(`'\x22=]){re}");
    Pattern {
        question,
        regex: Regex::new(&re).expect("static pattern"),
        what,
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    use Question::*;
    vec![
        p(Io, r"(aws\s+s3(?:api)?\s+\w+)", "copies from or to S3"),
        p(Io, r"(gsutil(?:\s+-m)?\s+\w+)", "copies from or to GCS"),
        p(Io, r"(gcloud\s+storage\s+\w+)", "copies from or to GCS"),
        p(Io, r"(az\s+storage\s+\w+|azcopy\s+\w+)", "copies from or to Azure storage"),
        p(Io, r"(curl)\s", "makes an HTTP request"),
        p(Io, r"(wget)\s", "downloads over HTTP"),
        p(Io, r"(rclone\s+\w+)", "copies from or to remote storage"),
        p(Io, r"((?:hdfs\s+dfs|hadoop\s+fs)\s+-\w+)", "reads or writes HDFS"),
        p(Io, r"(mc\s+(?:cp|mirror|cat))\s", "copies from or to MinIO/S3"),
        p(Io, r"(git\s+(?:clone|pull|fetch))\s", "fetches a git repository"),
        p(Io, r"(bq\s+(?:query|load|extract|cp))\s", "runs a BigQuery job"),
        p(Io, r"(psql|mysql)\s", "talks to a database"),
        p(Io, r"(dvc\s+(?:pull|push|fetch))", "moves data with DVC"),
        p(Io, r"(huggingface-cli\s+download)", "downloads from the Hugging Face Hub"),
        p(NonIdempotent, r"(docker\s+push)\s", "pushes an image"),
        p(NonIdempotent, r"((?:/kaniko/)?executor\b[^\n]*--destination)", "pushes an image (kaniko --destination)"),
        p(NonIdempotent, r"(crane\s+(?:push|copy|cp)|skopeo\s+copy)\s", "pushes an image"),
        p(NonIdempotent, r"(kubectl\b[^\n;|&]*?\s(?:create|run))\s", "creates a Kubernetes object (`kubectl create` fails or duplicates on retry)"),
        p(NonIdempotent, r"(helm\s+install)\s", "installs a Helm release (`helm install` fails on retry; `helm upgrade --install` does not)"),
        p(NonIdempotent, r"(curl\b[^\n;|&]*?(?:-X\s*POST|--request\s+POST|\s-d\s|\s--data(?:-\w+)?[\s=]|\s-F\s|\s--form\s))", "POSTs to an HTTP endpoint"),
        p(NonIdempotent, r"(aws\s+sns\s+publish|gcloud\s+pubsub\s+topics\s+publish)", "publishes a notification"),
        p(NonIdempotent, r"(sendmail|mail\s+-s)\s", "sends an email"),
        p(NonIdempotent, r"(gcloud\s+ai\s+models\s+upload|aws\s+sagemaker\s+create-\w+)", "registers a model"),
        p(NonIdempotent, r"(mlflow\s+models\s+\S*register\S*)", "registers a model"),
        p(NonIdempotent, r"((?i:insert\s+into))\s", "runs SQL `INSERT INTO` (no upsert): a second attempt inserts the rows again"),
        p(Random, r"(\$RANDOM|\$\{RANDOM\})", "uses `$RANDOM`"),
        p(Random, r"(\$\(date\b|`date\b|\bdate\s+[-+])", "uses the current date"),
        p(Random, r"(uuidgen|shuf)\b", "generates random values"),
    ]
});

/// All of [`PATTERNS`] in one automaton: one pass over the text says which of them can
/// match at all, and only those are run for their captures.
static PATTERN_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|p| p.regex.as_str())).expect("static patterns")
});

static PYTHON_C: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"python[0-9.]*\s+(?:-\w+\s+)*-c\s+(?:"((?:[^"\\]|\\.)*)"|'([^']*)')"#)
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
    let matched = PATTERN_SET.matches(text);
    if !matched.matched_any() {
        return hits;
    }
    for pattern in matched.iter().map(|i| &PATTERNS[i]) {
        for caps in pattern.regex.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                // `helm upgrade --install` is the idempotent form.
                if m.as_str().starts_with("helm") && text[m.end()..].starts_with(" --replace") {
                    continue;
                }
                // An upsert is idempotent.
                if m.as_str().to_ascii_uppercase().starts_with("INSERT") {
                    let rest = text[m.end()..].to_ascii_uppercase();
                    let statement = rest.split(';').next().unwrap_or("");
                    if ["ON CONFLICT", "ON DUPLICATE KEY"]
                        .iter()
                        .any(|w| statement.contains(w))
                    {
                        continue;
                    }
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
}
