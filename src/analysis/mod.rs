//! Classifiers shared by the judgment rules. Each answers a question about a step (does it
//! do IO? does it have a non-idempotent effect? is its output random?) with the evidence:
//! what matched and the exact span, inside embedded sources too.

pub mod durations;
pub mod python;
pub mod shell;

use std::ops::Range;

use crate::model::{is_templated, EmbeddedSource, Language, Pipeline, Spanned, Step, StepKind};
use crate::yaml::{OffsetMap, ScalarOffsets, ScalarStyle, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// Network or storage IO.
    Io,
    /// An effect that a second attempt would repeat (register, push, insert, notify...).
    NonIdempotent,
    /// Output that depends on randomness or the current time.
    Random,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Only a name suggests it: shown as context, never fires a rule on its own.
    Low,
    /// The step runs a known command or call.
    High,
}

/// What matched, where, and how sure we are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub question: Question,
    /// The matched text (`aws s3 cp`, `np.random.shuffle`).
    pub text: String,
    /// A phrase for messages: "command runs `aws s3 cp`", "source calls `random.randint` with no seed".
    pub description: String,
    pub span: Span,
    pub confidence: Confidence,
}

/// A declaration by annotation (`pipelint.dev/idempotent: "true"`): beats any heuristic.
#[derive(Clone, Debug)]
pub struct Declared {
    pub value: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub seconds: u64,
    pub span: Span,
    /// Where it was stated: "annotation `pipelint.dev/checkpoint-seconds`", "env `CHECKPOINT_SAVE_SECONDS`".
    pub source: String,
}

/// Everything the classifiers found about one step.
#[derive(Clone, Debug, Default)]
pub struct StepFacts {
    pub evidence: Vec<Evidence>,
    pub declared_io: Option<Declared>,
    pub declared_idempotent: Option<Declared>,
    pub declared_deterministic: Option<Declared>,
    pub checkpoint: Option<Checkpoint>,
}

impl StepFacts {
    /// High-confidence evidence for `question`.
    pub fn strong(&self, question: Question) -> impl Iterator<Item = &Evidence> {
        self.evidence
            .iter()
            .filter(move |e| e.question == question && e.confidence == Confidence::High)
    }

    /// Does the step do IO? Declarations first, then high-confidence evidence.
    pub fn does_io(&self) -> bool {
        match &self.declared_io {
            Some(d) => d.value,
            None => self.strong(Question::Io).next().is_some(),
        }
    }

    /// Is a second attempt harmful? `pipelint.dev/idempotent` first, then evidence.
    pub fn is_non_idempotent(&self) -> bool {
        match &self.declared_idempotent {
            Some(d) => !d.value,
            None => self.strong(Question::NonIdempotent).next().is_some(),
        }
    }

    /// Does the output depend on randomness or time? `pipelint.dev/deterministic` first.
    pub fn is_random(&self) -> bool {
        match &self.declared_deterministic {
            Some(d) => !d.value,
            None => self.strong(Question::Random).next().is_some(),
        }
    }
}

/// Settings the classifiers take from configuration.
#[derive(Clone, Debug, Default)]
pub struct AnalysisOptions {
    /// Extra annotation keys that state the checkpoint time.
    pub checkpoint_annotations: Vec<String>,
    /// Extra env var names that state the checkpoint time.
    pub checkpoint_env: Vec<String>,
    /// `classify:` from the config: steps declared by name or image glob.
    pub classify: crate::config::Classify,
}

pub const ANNOTATION_IO: &str = "pipelint.dev/io";
pub const ANNOTATION_IDEMPOTENT: &str = "pipelint.dev/idempotent";
pub const ANNOTATION_DETERMINISTIC: &str = "pipelint.dev/deterministic";
pub const ANNOTATION_CHECKPOINT: &str = "pipelint.dev/checkpoint-seconds";

/// The file span of a byte range of a scalar's decoded value, whatever its style.
pub fn span_in_scalar(src: &str, value: &Spanned<String>, range: Range<usize>) -> Span {
    ScalarSpans::new(src, value).span(range)
}

/// [`span_in_scalar`] for many ranges of one scalar: the scalar's offset map is built once,
/// on the first range that needs it (a long embedded source has many pieces of evidence).
pub struct ScalarSpans<'a> {
    src: &'a str,
    value: &'a Spanned<String>,
    map: std::cell::OnceCell<ScalarOffsets>,
}

impl<'a> ScalarSpans<'a> {
    pub fn new(src: &'a str, value: &'a Spanned<String>) -> Self {
        ScalarSpans {
            src,
            value,
            map: std::cell::OnceCell::new(),
        }
    }

    pub fn span(&self, range: Range<usize>) -> Span {
        let (src, value) = (self.src, self.value);
        let map = self.map.get_or_init(|| {
            let raw = src.get(value.span.range()).unwrap_or("");
            ScalarOffsets::new(raw, &value.value, || scalar_offset_map(src, value, raw))
        });
        map.span(value.span, range)
    }
}

fn scalar_offset_map(src: &str, value: &Spanned<String>, raw: &str) -> Option<OffsetMap> {
    let start = value.span.start as usize;
    // Only a block scalar needs its line (for its indentation): a flow sequence of quoted
    // scalars on one long line must not walk back to the line start for each of them.
    let style = if raw.starts_with('"') {
        ScalarStyle::DoubleQuoted
    } else if raw.starts_with('\'') {
        ScalarStyle::SingleQuoted
    } else {
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        // A block scalar: its header (`|`, `>-`...) is on an earlier line.
        let before = src[..line_start].trim_end();
        let header = before.rsplit('\n').next().unwrap_or("");
        if header
            .trim_end()
            .rsplit(':')
            .next()
            .is_some_and(|h| h.trim_start().starts_with('>'))
        {
            ScalarStyle::Folded
        } else if header.contains('|') {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Plain
        }
    };
    let leading = crate::yaml::leading_breaks(style, &value.value);
    let block_indent = match style {
        ScalarStyle::Literal | ScalarStyle::Folded => {
            start - src[..start].rfind('\n').map_or(0, |i| i + 1)
        }
        _ => 0,
    };
    OffsetMap::build(raw, style, value.span.start, block_indent, leading)
}

/// Classifies one step.
pub fn analyze(
    step: &Step,
    pipeline: &Pipeline,
    src: &str,
    options: &AnalysisOptions,
) -> StepFacts {
    let _ = pipeline;
    let mut facts = StepFacts::default();
    read_declarations(step, options, &mut facts);
    if let Some(source) = &step.source {
        let spans = source.spans(src);
        match source.language {
            Language::Python => python_evidence(
                &source.text,
                &|r| spans.span(r),
                "source",
                &mut facts.evidence,
            ),
            Language::Shell => shell_evidence(
                &source.text,
                &|r| spans.span(r),
                "script",
                &mut facts.evidence,
            ),
            Language::Other => {}
        }
    }
    for container in &step.containers {
        // kaniko pushes what it builds to every `--destination`.
        let kaniko = container
            .image
            .as_ref()
            .is_some_and(|i| i.reference.value.contains("kaniko"));
        if kaniko {
            if let Some(arg) = container
                .args
                .iter()
                .find(|a| a.value.starts_with("--destination"))
            {
                facts.evidence.push(Evidence {
                    question: Question::NonIdempotent,
                    text: "--destination".into(),
                    description: "kaniko pushes the image it builds to `--destination`".into(),
                    span: arg.span,
                    confidence: Confidence::High,
                });
            }
        }
        command_evidence(
            src,
            step.source.as_ref(),
            &container.command,
            &container.args,
            &mut facts.evidence,
        );
        for env in &container.env {
            if facts.checkpoint.is_none() {
                facts.checkpoint = checkpoint_from_env(env, options);
            }
        }
    }
    for artifact in &step.artifacts {
        let direction = if artifact.input { "input" } else { "output" };
        // Argo's executor retries transient storage errors for a few seconds; an outage
        // longer than that fails the step, which only a retryStrategy runs again.
        facts.evidence.push(Evidence {
            question: Question::Io,
            text: artifact.location.clone(),
            description: format!(
                "{direction} artifact `{}` is {} {}",
                artifact.name,
                if artifact.input {
                    "downloaded from"
                } else {
                    "uploaded to"
                },
                location_name(&artifact.location),
            ),
            span: artifact.span,
            confidence: Confidence::High,
        });
    }
    if let Some(resource) = &step.resource {
        if resource.action.value == "create" && resource.generate_name {
            facts.evidence.push(Evidence {
                question: Question::NonIdempotent,
                text: "action: create".into(),
                description: "resource template creates an object with `generateName`: every attempt creates another one".into(),
                span: resource.action.span,
                confidence: Confidence::High,
            });
        }
    }
    if step.kind == StepKind::Importer {
        facts.evidence.push(Evidence {
            question: Question::Io,
            text: "importer".into(),
            description: "a KFP importer (it registers the artifact's URI; it reads no data)"
                .into(),
            span: step.span,
            confidence: Confidence::Low,
        });
    }
    name_evidence(step, &mut facts.evidence);
    facts.evidence.sort_by_key(|e| (e.span.start, e.question));
    facts
        .evidence
        .dedup_by(|a, b| a.span == b.span && a.question == b.question);
    facts
}

fn location_name(location: &str) -> &str {
    match location {
        "s3" => "S3",
        "gcs" => "GCS",
        "http" => "an HTTP URL",
        "git" => "a git repository",
        "oss" => "Alibaba OSS",
        "azure" => "Azure Blob storage",
        "hdfs" => "HDFS",
        "artifactory" => "Artifactory",
        "huggingface" => "the Hugging Face Hub",
        other => other,
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// `classify:` globs match the step name or any image it runs.
fn classified(step: &Step, globs: &[(String, globset::GlobMatcher)]) -> bool {
    globs.iter().any(|(_, m)| {
        m.is_match(&step.name)
            || step
                .containers
                .iter()
                .filter_map(|c| c.image.as_ref())
                .any(|i| m.is_match(&i.reference.value))
    })
}

fn read_declarations(step: &Step, options: &AnalysisOptions, facts: &mut StepFacts) {
    // The config's classification first: an annotation on the step itself overrides it.
    let declared = |globs: &[(String, globset::GlobMatcher)]| {
        classified(step, globs).then_some(Declared {
            value: true,
            span: step.span,
        })
    };
    facts.declared_idempotent = declared(&options.classify.idempotent);
    facts.declared_io = declared(&options.classify.io);
    facts.declared_deterministic = declared(&options.classify.deterministic);
    for (key, value) in &step.annotations {
        let declared = || {
            parse_bool(&value.value).map(|b| Declared {
                value: b,
                span: value.span,
            })
        };
        match key.value.as_str() {
            ANNOTATION_IO => facts.declared_io = declared().or(facts.declared_io.take()),
            ANNOTATION_IDEMPOTENT => {
                facts.declared_idempotent = declared().or(facts.declared_idempotent.take())
            }
            ANNOTATION_DETERMINISTIC => {
                facts.declared_deterministic = declared().or(facts.declared_deterministic.take())
            }
            k if k == ANNOTATION_CHECKPOINT
                || options.checkpoint_annotations.iter().any(|a| a == k) =>
            {
                if let Some(seconds) = durations::parse_seconds(&value.value) {
                    facts.checkpoint = Some(Checkpoint {
                        seconds,
                        span: value.span,
                        source: format!("annotation `{k}`"),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Env vars that say how long a checkpoint takes (not how often one is taken).
fn checkpoint_from_env(
    env: &crate::model::EnvVar,
    options: &AnalysisOptions,
) -> Option<Checkpoint> {
    let name = env.name.value.as_str();
    let value = env.value.as_ref()?;
    if is_templated(&value.value) {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    let configured = options.checkpoint_env.iter().any(|n| n == name);
    let conventional = (upper.contains("CHECKPOINT") || upper.contains("CKPT"))
        && ["SAVE", "UPLOAD", "WRITE", "FLUSH", "TIMEOUT", "DURATION"]
            .iter()
            .any(|w| upper.contains(w))
        && ![
            "INTERVAL", "EVERY", "FREQ", "STEPS", "EPOCH", "PERIOD", "KEEP", "MAX_TO", "LIMIT",
            "COUNT", "PATH", "DIR", "URI", "BUCKET",
        ]
        .iter()
        .any(|w| upper.contains(w));
    if !(configured || conventional) {
        return None;
    }
    let mut seconds = durations::parse_seconds(&value.value)?;
    if upper.ends_with("_MINUTES") || upper.ends_with("_MINS") || upper.ends_with("_MIN") {
        seconds *= 60;
    } else if upper.ends_with("_MS")
        || upper.ends_with("_MILLIS")
        || upper.ends_with("_MILLISECONDS")
    {
        seconds /= 1000;
    }
    Some(Checkpoint {
        seconds,
        span: value.span,
        source: format!("env `{name}`"),
    })
}

/// Command and args: items that hold Python source are scanned as Python (a lightweight
/// component's module, `python -c "..."`); the rest is joined as the shell sees it.
fn command_evidence(
    src: &str,
    source: Option<&EmbeddedSource>,
    command: &[Spanned<String>],
    args: &[Spanned<String>],
    out: &mut Vec<Evidence>,
) {
    let items: Vec<&Spanned<String>> = command.iter().chain(args.iter()).collect();
    let mut shell_items: Vec<&Spanned<String>> = Vec::new();
    let mut python_next = false;
    for item in &items {
        let text = item.value.as_str();
        // The embedded source is scanned once, from `step.source`.
        if source.is_some_and(|s| s.span == item.span) {
            python_next = false;
            continue;
        }
        let looks_python = text.contains('\n')
            && (text.contains("\ndef ") || text.contains("import "))
            && !text.contains("#!/bin/");
        if python_next || looks_python {
            let spans = ScalarSpans::new(src, item);
            python_evidence(text, &|r| spans.span(r), "command", out);
            python_next = false;
            continue;
        }
        python_next = text == "-c"
            && shell_items
                .last()
                .is_some_and(|prev| prev.value.contains("python"));
        shell_items.push(item);
    }
    if shell_items.is_empty() {
        return;
    }
    // Join with spaces, remembering where each item starts in the joined text.
    let mut joined = String::new();
    let mut starts = Vec::with_capacity(shell_items.len());
    for item in &shell_items {
        if !joined.is_empty() {
            joined.push(' ');
        }
        starts.push(joined.len());
        joined.push_str(&item.value);
    }
    // One offset map per item, built on its first match (not once per match).
    let spans: Vec<ScalarSpans> = shell_items
        .iter()
        .map(|item| ScalarSpans::new(src, item))
        .collect();
    let to_span = |r: Range<usize>| -> Span {
        let i = starts.partition_point(|&s| s <= r.start).saturating_sub(1);
        let local = r.start - starts[i];
        let end = (r.end - starts[i]).min(shell_items[i].value.len());
        spans[i].span(local..end.max(local))
    };
    shell_evidence(&joined, &to_span, "command", out);
}

fn shell_evidence(
    text: &str,
    to_span: &dyn Fn(Range<usize>) -> Span,
    what: &str,
    out: &mut Vec<Evidence>,
) {
    // `python -c "..."` inside a shell line is Python.
    for code in shell::python_snippets(text) {
        let base = code.start;
        python_evidence(
            &text[code],
            &|r: Range<usize>| to_span(base + r.start..base + r.end),
            what,
            out,
        );
    }
    for hit in shell::scan(text) {
        let matched = text[hit.range.clone()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Evidence {
            question: hit.question,
            description: format!("{what} runs `{matched}`: {}", hit.what),
            text: matched,
            span: to_span(hit.range),
            confidence: Confidence::High,
        });
    }
}

const REMOTE_SCHEMES: &[&str] = &[
    "s3://", "s3a://", "gs://", "gcs://", "abfs://", "abfss://", "az://", "wasbs://", "hdfs://",
    "oss://",
];

fn is_remote(s: &str) -> bool {
    REMOTE_SCHEMES.iter().any(|p| s.starts_with(p))
}

/// `meta-llama/Llama-2-7b-hf`: a Hugging Face Hub repository id.
fn is_hub_id(s: &str) -> bool {
    let mut parts = s.split('/');
    let (Some(org), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    ok(org) && ok(name) && !org.starts_with('.')
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("ftp://")
}

/// Calls that do network or storage IO, by resolved-name prefix.
const IO_CALL_PREFIXES: &[&str] = &[
    "boto3.",
    "botocore.",
    "aioboto3.",
    "requests.",
    "httpx.",
    "urllib.request.",
    "urllib3.",
    "aiohttp.",
    "google.cloud.storage",
    "google.cloud.bigquery",
    "google.cloud.pubsub",
    "gcsfs.",
    "s3fs.",
    "adlfs.",
    "smart_open.",
    "azure.storage.",
    "psycopg2.connect",
    "psycopg.connect",
    "pymysql.connect",
    "mysql.connector.connect",
    "sqlalchemy.create_engine",
    "snowflake.connector",
    "pymongo.",
    "redis.",
    "ftplib.",
    "paramiko.",
    "datasets.load_dataset",
    "huggingface_hub.",
    "tensorflow.io.gfile",
    "wget.download",
    "minio.",
    "kaggle.",
    "gdown.",
    "tensorflow_datasets.load",
];

const RANDOM_FNS: &[&str] = &[
    "random",
    "randint",
    "randrange",
    "choice",
    "choices",
    "sample",
    "shuffle",
    "uniform",
    "gauss",
    "normalvariate",
    "lognormvariate",
    "betavariate",
    "expovariate",
    "gammavariate",
    "triangular",
    "getrandbits",
    "randbytes",
    "vonmisesvariate",
    "paretovariate",
    "weibullvariate",
];

const TORCH_RANDOM: &[&str] = &[
    "rand",
    "randn",
    "randint",
    "randperm",
    "rand_like",
    "randn_like",
    "randint_like",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
];

/// scikit-learn callables whose result depends on `random_state`.
const SKLEARN_RANDOM: &[&str] = &[
    "train_test_split",
    "ShuffleSplit",
    "StratifiedShuffleSplit",
    "GroupShuffleSplit",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "KMeans",
    "MiniBatchKMeans",
    "SGDClassifier",
    "SGDRegressor",
    "MLPClassifier",
    "MLPRegressor",
    "IsolationForest",
    "TSNE",
    "RandomizedSearchCV",
    "BaggingClassifier",
    "BaggingRegressor",
    "AdaBoostClassifier",
    "AdaBoostRegressor",
    "resample",
    "shuffle",
    "RandomTreesEmbedding",
    "GaussianMixture",
];

const SKLEARN_SHUFFLE_ONLY: &[&str] = &[
    "KFold",
    "StratifiedKFold",
    "RepeatedKFold",
    "RepeatedStratifiedKFold",
];

fn python_evidence(
    source: &str,
    to_span: &dyn Fn(Range<usize>) -> Span,
    what: &str,
    out: &mut Vec<Evidence>,
) {
    let scan = python::scan(source);
    let called = |prefixes: &[&str]| {
        scan.calls.iter().any(|c| {
            prefixes.iter().any(|p| {
                c.name
                    .strip_prefix(p)
                    .is_some_and(|r| r.is_empty() || r.starts_with('.'))
            })
        })
    };
    let seeded_random = called(&["random.seed"]);
    let seeded_numpy = called(&["numpy.random.seed"]);
    let seeded_torch = called(&[
        "torch.manual_seed",
        "torch.random.manual_seed",
        "torch.cuda.manual_seed_all",
    ]) || scan
        .calls
        .iter()
        .any(|c| c.method() == "seed_everything" || c.name == "transformers.set_seed");
    let seeded_tf = called(&[
        "tensorflow.random.set_seed",
        "tensorflow.keras.utils.set_random_seed",
        "keras.utils.set_random_seed",
    ]);
    let any_seed = seeded_random || seeded_numpy || seeded_torch || seeded_tf;
    // Jitter in a backoff (`time.sleep(random.uniform(1, 2))`) does not reach the output.
    // Sleep calls nest or are apart: their argument ranges merged, a call's place among them
    // is one binary search, and the words in them one set (not a scan per call).
    let mut sleeps: Vec<Range<usize>> = scan
        .calls
        .iter()
        .filter(|c| c.method() == "sleep")
        .map(|c| c.args.clone())
        .collect();
    sleeps.sort_by_key(|s| s.start);
    let sleeps = sleeps
        .into_iter()
        .fold(Vec::<Range<usize>>::new(), |mut merged, s| {
            match merged.last_mut() {
                Some(last) if s.start < last.end => last.end = last.end.max(s.end),
                _ => merged.push(s),
            }
            merged
        });
    let sleep_words: std::collections::HashSet<&str> = sleeps
        .iter()
        .flat_map(|s| words(source.get(s.clone()).unwrap_or("")).map(|(_, w)| w))
        .collect();
    let in_sleep = |call: &python::Call| {
        let i = sleeps.partition_point(|s| s.start <= call.range.start);
        (i > 0 && call.range.end <= sleeps[i - 1].end)
            || call
                .assigned_to
                .as_ref()
                .is_some_and(|v| sleep_words.contains(v))
    };
    let mut push = |question: Question,
                    range: Range<usize>,
                    text: &str,
                    description: String,
                    confidence: Confidence| {
        out.push(Evidence {
            question,
            text: text.to_string(),
            description,
            span: to_span(range),
            confidence,
        });
    };
    // Variables holding a URL or a remote path: `csv_url = "https://..."`.
    let mut remote_vars: std::collections::HashMap<&str, &str> = Default::default();
    for s in &scan.strings {
        if let Some(var) = s
            .assigned_to
            .filter(|_| is_remote(&s.body) || is_url(&s.body))
        {
            remote_vars.entry(var).or_insert(s.body.as_ref());
        }
    }
    // Where such a variable is used, in source order: a call's arguments use one if an
    // occurrence falls inside them (one binary search per call, not a scan of its text).
    let remote_uses: Vec<(usize, usize, &str)> = if remote_vars.is_empty() {
        Vec::new()
    } else {
        words(source)
            .filter_map(|(at, w)| Some((at, at + w.len(), *remote_vars.get(w)?)))
            .collect()
    };
    let remote_literals = scan.first_string_arg(|s| is_remote(s) || is_url(s));
    let hub_ids = scan.first_string_arg(is_hub_id);
    let appends = scan.first_string_arg(|s| s == "append");
    for call in &scan.calls {
        let name = call.name.as_ref();
        let method = call.method();
        let shown = call.written.as_ref();
        let has_seed_kw = |k: &str| call.keyword(k).is_some_and(|v| v != "None");
        let remote_var = {
            let i = remote_uses.partition_point(|(at, _, _)| *at < call.args.start);
            remote_uses
                .get(i)
                .filter(|(_, end, _)| *end <= call.args.end)
                .map(|(_, _, url)| *url)
        };
        let remote_literal = remote_literals.find(call);
        let remote_arg = remote_literal.is_some() || remote_var.is_some();
        let on = remote_literal
            .or(remote_var)
            .map(|u| format!(" on `{}`", u.chars().take(60).collect::<String>()))
            .unwrap_or_default();

        // IO
        if IO_CALL_PREFIXES.iter().any(|p| name.starts_with(p))
            || (method == "from_pretrained"
                // A Hub id (`org/model`), not a local directory or an artifact's `.path`.
                && hub_ids.find(call).is_some()
                && call.keyword("local_files_only") != Some("True"))
            || (remote_arg
                && (name.starts_with("pandas.read_")
                    || method.starts_with("read_")
                    || method == "open"
                    || method == "load"
                    || method == "download"
                    || method == "copy"))
        {
            push(
                Question::Io,
                call.range.clone(),
                shown,
                format!("{what} calls `{shown}`{on}"),
                Confidence::High,
            );
        }

        // Non-idempotent effects
        let effect = match method {
            "register_model" | "create_model_version" | "create_registered_model" => {
                Some("registers a model version")
            }
            "upload" if name.contains("aiplatform.Model") => {
                Some("uploads a new model to Vertex AI")
            }
            "post" if name.starts_with("requests.") || name.starts_with("httpx.") => {
                Some("POSTs to an HTTP endpoint")
            }
            "chat_postMessage" | "chat_postEphemeral" | "files_upload_v2" => {
                Some("sends a Slack message")
            }
            "send_message" if name.contains("slack") || shown.contains("slack") => {
                Some("sends a Slack message")
            }
            "sendmail" | "send_message"
                if name.starts_with("smtplib")
                    || shown.contains("smtp")
                    || shown.contains("server") =>
            {
                Some("sends an email")
            }
            "publish"
                if scan
                    .imports
                    .iter()
                    .any(|(m, _)| m.starts_with("boto3") || m.contains("pubsub")) =>
            {
                Some("publishes a notification")
            }
            "to_sql"
                if call
                    .keyword("if_exists")
                    .is_some_and(|v| v.trim_matches(['"', '\'']) == "append") =>
            {
                Some("appends rows with `to_sql(if_exists=\"append\")`")
            }
            "mode" if appends.find(call).is_some() => Some("appends with `.mode(\"append\")`"),
            "push" if shown.contains("images") => Some("pushes an image"),
            m if m.starts_with("create_namespaced_") => Some("creates a Kubernetes object"),
            _ => None,
        };
        if name.starts_with("pdpyras.")
            || name.starts_with("pagerduty")
            || name.starts_with("slack_sdk.webhook")
        {
            push(
                Question::NonIdempotent,
                call.range.clone(),
                shown,
                format!("{what} calls `{shown}`: sends a notification"),
                Confidence::High,
            );
        } else if let Some(effect) = effect {
            push(
                Question::NonIdempotent,
                call.range.clone(),
                shown,
                format!("{what} calls `{shown}`: {effect}"),
                Confidence::High,
            );
        }

        // Randomness and time
        let random = if let Some(f) = name.strip_prefix("random.") {
            (RANDOM_FNS.contains(&f) && !seeded_random)
                .then(|| format!("calls `{shown}` with no `random.seed`"))
        } else if let Some(f) = name.strip_prefix("numpy.random.") {
            match f {
                "default_rng" | "RandomState" | "Generator" => (call.positional == 0
                    && !has_seed_kw("seed"))
                .then(|| format!("calls `{shown}()` with no seed")),
                "seed" | "SeedSequence" | "PCG64" | "MT19937" | "Philox" | "SFC64"
                | "BitGenerator" => None,
                _ => (!seeded_numpy).then(|| format!("calls `{shown}` with no `np.random.seed`")),
            }
        } else if let Some(f) = name.strip_prefix("torch.") {
            let random_op = TORCH_RANDOM.contains(&f) || f.starts_with("nn.init.");
            (random_op && !seeded_torch)
                .then(|| format!("calls `{shown}` with no `torch.manual_seed`"))
        } else if let Some(f) = name.strip_prefix("tensorflow.random.") {
            (f != "set_seed" && !seeded_tf && !has_seed_kw("seed"))
                .then(|| format!("calls `{shown}` with no `tf.random.set_seed`"))
        } else if name.starts_with("sklearn.") && SKLEARN_RANDOM.contains(&method) {
            (!has_seed_kw("random_state"))
                .then(|| format!("calls `{shown}` with no `random_state`"))
        } else if name.starts_with("sklearn.") && SKLEARN_SHUFFLE_ONLY.contains(&method) {
            (call.keyword("shuffle") == Some("True") && !has_seed_kw("random_state"))
                .then(|| format!("calls `{shown}(shuffle=True)` with no `random_state`"))
        } else if name == "uuid.uuid4" || name == "uuid.uuid1" {
            Some(format!("calls `{shown}`: a new value on every run"))
        } else if matches!(
            name,
            "datetime.datetime.now"
                | "datetime.datetime.utcnow"
                | "datetime.datetime.today"
                | "datetime.date.today"
                | "pandas.Timestamp.now"
                | "pandas.Timestamp.today"
                | "pandas.Timestamp.utcnow"
        ) {
            Some(format!(
                "calls `{shown}`: the output depends on when it runs"
            ))
        } else if call.keyword("shuffle") == Some("True") {
            (!any_seed && !has_seed_kw("seed") && !has_seed_kw("random_state"))
                .then(|| format!("calls `{shown}(shuffle=True)` with no seed"))
        } else if method == "sample"
            && (call.keyword("frac").is_some() || call.keyword("n").is_some())
        {
            (!has_seed_kw("random_state"))
                .then(|| format!("calls `{shown}` with no `random_state`"))
        } else {
            None
        };
        if let Some(reason) = random.filter(|_| !in_sleep(call)) {
            push(
                Question::Random,
                call.range.clone(),
                shown,
                format!("{what} {reason}"),
                Confidence::High,
            );
        }
        if matches!(name, "time.time" | "time.time_ns") {
            push(
                Question::Random,
                call.range.clone(),
                shown,
                format!("{what} calls `{shown}`"),
                Confidence::Low,
            );
        }
    }
    for lit in &scan.strings {
        let body = lit.body.trim_start();
        // Most literals hold no SQL: the upper-case copy is made only for those that may.
        let upper = if contains_ignore_ascii_case(body, b"insert into") {
            body.to_ascii_uppercase()
        } else {
            String::new()
        };
        if (upper.starts_with("INSERT INTO")
            || upper.contains("\nINSERT INTO")
            || upper.contains(" INSERT INTO "))
            && !["ON CONFLICT", "ON DUPLICATE KEY", "MERGE "]
                .iter()
                .any(|w| upper.contains(w))
        {
            let at = upper.find("INSERT INTO").unwrap_or(0) + (lit.body.len() - body.len());
            push(Question::NonIdempotent, lit.range.start + at..lit.range.start + at + 11, "INSERT INTO", format!("{what} runs SQL `INSERT INTO` (no upsert): a second attempt inserts the rows again"), Confidence::High);
        }
        if is_remote(body) {
            let end = lit.range.start
                + lit
                    .body
                    .len()
                    .min(body.len() + (lit.body.len() - body.len()));
            push(
                Question::Io,
                lit.range.start..end,
                body,
                format!(
                    "{what} uses the remote path `{}`",
                    body.split_whitespace().next().unwrap_or(body)
                ),
                Confidence::High,
            );
        }
        // Shell commands run from Python (`subprocess.run("aws s3 cp ...", shell=True)`).
        for hit in shell::scan(&lit.body) {
            let matched = lit.body[hit.range.clone()].to_string();
            push(
                hit.question,
                lit.range.start + hit.range.start..lit.range.start + hit.range.end,
                &matched,
                format!("{what} runs `{matched}`: {}", hit.what),
                Confidence::High,
            );
        }
    }
}

/// The identifier-like words of `text` (letters, digits, `_`) with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.next_if(|&(_, c)| !is_word(c)).is_some() {}
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some((i, c)) = chars.next_if(|&(_, c)| is_word(c)) {
            end = i + c.len_utf8();
        }
        Some((start, &text[start..end]))
    })
}

fn contains_ignore_ascii_case(haystack: &str, needle: &[u8]) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Compiles a built-in pattern with ASCII classes: `\s`, `\w`, `\d` and `\b` become their
/// ASCII forms, inside and outside brackets. Shell words, tokens and keys are ASCII, and a
/// shell does not split at a non-breaking space; Unicode classes cost milliseconds to
/// compile (paid by every short run) and `\b` would keep the fast engines out.
pub(crate) fn ascii_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut depth = 0usize; // inside `[...]`
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let class = match next {
                    's' => Some("space"),
                    'w' => Some("word"),
                    'd' => Some("digit"),
                    _ => None,
                };
                match (class, depth > 0) {
                    (Some(name), true) => out.push_str(&format!("[:{name}:]")),
                    (Some(name), false) => out.push_str(&format!("[[:{name}:]]")),
                    (None, false) if next == 'b' => out.push_str("(?-u:\\b)"),
                    _ => {
                        out.push(c);
                        out.push(next);
                    }
                }
            }
            '[' => {
                depth += 1;
                out.push(c);
                // `[]...]` and `[^]...]`: a leading `]` is a literal.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    regex::Regex::new(&out)
}

/// Names hint at what a step does: weak evidence, shown but never decisive.
fn name_evidence(step: &Step, out: &mut Vec<Evidence>) {
    let name = step.name.to_ascii_lowercase();
    let hints: &[(Question, &[&str])] = &[
        (
            Question::Io,
            &[
                "download", "upload", "fetch", "ingest", "export", "sync", "s3", "gcs", "bigquery",
            ],
        ),
        (
            Question::NonIdempotent,
            &[
                "register", "publish", "push", "deploy", "notify", "alert", "insert",
            ],
        ),
        (
            Question::Random,
            &["random", "shuffle", "sample", "flip-coin", "coin"],
        ),
    ];
    for (question, words) in hints {
        if let Some(word) = words.iter().find(|w| name.contains(**w)) {
            out.push(Evidence {
                question: *question,
                text: word.to_string(),
                description: format!("the step's name mentions `{word}`"),
                span: step.span,
                confidence: Confidence::Low,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ascii_regex;

    #[test]
    fn ascii_classes_inside_and_outside_brackets() {
        let re = ascii_regex(r"\bkey\s+[\s;=]\w+\d").unwrap();
        assert_eq!(
            re.as_str(),
            "(?-u:\\b)key[[:space:]]+[[:space:];=][[:word:]]+[[:digit:]]"
        );
        assert!(re.is_match("a key ;value1"));
        // A non-breaking space is not a shell separator.
        assert!(!re.is_match("a key\u{a0};value1"));
        // Escapes that are not classes, a literal `]` first in a class, negation.
        let re = ascii_regex(r"\$\{x\}[]a][^\s/]\\s").unwrap();
        assert_eq!(re.as_str(), r"\$\{x\}[]a][^[:space:]/]\\s");
        assert!(re.is_match("${x}]b\\s"));
    }
}
