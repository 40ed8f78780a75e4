//! Classifiers shared by the judgment rules. Each answers a question about a step (does it
//! do IO? does it have a non-idempotent effect? is its output random?) with the evidence:
//! what matched and the exact span, inside embedded sources too.

pub mod durations;
pub mod knowledge;
pub mod python;
pub mod shell;

use std::ops::Range;

use crate::model::{is_templated, EmbeddedSource, Language, Pipeline, Spanned, Step};
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

/// The questions asked about a step: a rule needs only some (IO where nothing retries,
/// non-idempotent effects where something does, randomness where results are cached), and
/// the rows of the others are not tried. `pipelint classify` asks them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asked {
    pub io: bool,
    pub non_idempotent: bool,
    pub random: bool,
}

impl Asked {
    pub const ALL: Asked = Asked {
        io: true,
        non_idempotent: true,
        random: true,
    };
    pub const NONE: Asked = Asked {
        io: false,
        non_idempotent: false,
        random: false,
    };

    pub fn question(self, question: Question) -> bool {
        match question {
            Question::Io => self.io,
            Question::NonIdempotent => self.non_idempotent,
            Question::Random => self.random,
        }
    }

    /// A row's question is asked (a seeding row answers the random question).
    pub fn row(self, row: &knowledge::Row) -> bool {
        self.question(row.question.question().unwrap_or(Question::Random))
    }

    pub fn any(self) -> bool {
        self.io || self.non_idempotent || self.random
    }

    /// A number for each combination of questions, below 8.
    pub fn index(self) -> usize {
        usize::from(self.io) | usize::from(self.non_idempotent) << 1 | usize::from(self.random) << 2
    }

    /// The combination [`Asked::index`] numbers `index`.
    pub fn from_index(index: usize) -> Asked {
        Asked {
            io: index & 1 != 0,
            non_idempotent: index & 2 != 0,
            random: index & 4 != 0,
        }
    }
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
    /// The knowledge row that matched (`torch-dataloader-shuffle`), if one did.
    pub row: Option<String>,
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
    /// The knowledge rows, the config's (`knowledge:`) included; `None`: the built-in rows.
    pub knowledge: Option<std::sync::Arc<knowledge::Knowledge>>,
}

impl AnalysisOptions {
    pub fn knowledge(&self) -> &knowledge::Knowledge {
        self.knowledge
            .as_deref()
            .unwrap_or(&knowledge::BUILTIN_KNOWLEDGE)
    }
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
        let line_start = crate::yaml::line_start_before(src, start);
        // A block scalar: its header (`|`, `>-`...) is on an earlier line.
        let before = src[..line_start].trim_end();
        let header = before.rsplit(['\n', '\r']).next().unwrap_or("");
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

/// Classifies one step, answering the questions `asked` (the evidence of the others stays
/// empty; declarations and the checkpoint are always read).
pub fn analyze(
    step: &Step,
    pipeline: &Pipeline,
    src: &str,
    options: &AnalysisOptions,
    asked: Asked,
) -> StepFacts {
    let _ = pipeline;
    let knowledge = options.knowledge();
    let mut facts = StepFacts::default();
    read_declarations(step, options, &mut facts);
    if !asked.any() {
        for container in &step.containers {
            for env in &container.env {
                if facts.checkpoint.is_none() {
                    facts.checkpoint =
                        checkpoint_from_env(&knowledge.shapes.checkpoint_env, env, options);
                }
            }
        }
        return facts;
    }
    if let Some(source) = &step.source {
        let spans = source.spans(src);
        match source.language {
            Language::Python => python_evidence(
                knowledge,
                asked,
                &source.text,
                &|r| spans.span(r),
                "source",
                &mut facts.evidence,
            ),
            Language::Shell => shell_evidence(
                knowledge,
                asked,
                &source.text,
                &|r| spans.span(r),
                "script",
                &mut facts.evidence,
            ),
            Language::Other => {}
        }
    }
    for container in &step.containers {
        // Rows about a container image and one of its arguments (kaniko's `--destination`).
        for row in knowledge
            .image_rows
            .iter()
            .map(|&i| &knowledge.rows[i])
            .filter(|r| asked.row(r))
        {
            let (Some(image), Some(question)) = (&row.image, row.question.question()) else {
                continue;
            };
            let runs = container
                .image
                .as_ref()
                .is_some_and(|i| knowledge::wildcard(image, &i.reference.value));
            if !runs {
                continue;
            }
            let arg = row.arg.as_deref().unwrap_or("*");
            if let Some(found) = container
                .args
                .iter()
                .chain(&container.command)
                .find(|a| knowledge::wildcard(arg, &a.value))
            {
                facts.evidence.push(Evidence {
                    question,
                    text: found.value.clone(),
                    description: row.phrase.to_string(),
                    span: found.span,
                    confidence: row.confidence(),
                    row: Some(row.id.to_string()),
                });
            }
        }
        command_evidence(
            knowledge,
            asked,
            src,
            step.source.as_ref(),
            &container.command,
            &container.args,
            &mut facts.evidence,
        );
        for env in &container.env {
            if facts.checkpoint.is_none() {
                facts.checkpoint =
                    checkpoint_from_env(&knowledge.shapes.checkpoint_env, env, options);
            }
        }
    }
    for artifact in &step.artifacts {
        let direction = if artifact.input { "input" } else { "output" };
        let Some(row) = knowledge
            .artifact_rows
            .iter()
            .map(|&i| &knowledge.rows[i])
            .find(|r| asked.row(r) && r.artifact.iter().any(|a| *a == artifact.location))
        else {
            continue;
        };
        let Some(question) = row.question.question() else {
            continue;
        };
        facts.evidence.push(Evidence {
            question,
            text: artifact.location.clone(),
            description: format!(
                "{direction} artifact `{}` is {} {}{}",
                artifact.name,
                if artifact.input {
                    "downloaded from"
                } else {
                    "uploaded to"
                },
                knowledge.location_name(&artifact.location),
                // Why a weak row is weak.
                if row.confidence() == Confidence::Low {
                    format!(": it {}", row.phrase)
                } else {
                    String::new()
                },
            ),
            span: artifact.span,
            confidence: row.confidence(),
            row: Some(row.id.to_string()),
        });
    }
    structure_evidence(knowledge, asked, step, &mut facts.evidence);
    name_evidence(knowledge, asked, step, &mut facts.evidence);
    facts.evidence.sort_by_key(|e| (e.span.start, e.question));
    facts
        .evidence
        .dedup_by(|a, b| a.span == b.span && a.question == b.question);
    facts
}

/// The evidence `knowledge` finds in a Python or shell text, with spans into the text
/// (examples in `testdata/classify/`, and anything that has a bare program).
pub fn evidence_in(
    knowledge: &knowledge::Knowledge,
    language: Language,
    text: &str,
) -> Vec<Evidence> {
    let mut out = Vec::new();
    let to_span = |r: Range<usize>| Span::new(r.start as u32, r.end as u32);
    match language {
        Language::Python => {
            python_evidence(knowledge, Asked::ALL, text, &to_span, "source", &mut out)
        }
        Language::Shell => {
            shell_evidence(knowledge, Asked::ALL, text, &to_span, "script", &mut out)
        }
        Language::Other => {}
    }
    out
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
        m.is_match(&*step.name)
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

/// Env vars that say how long a checkpoint takes (not how often one is taken): the
/// configured names, and the names `shapes.checkpoint-env` describes.
fn checkpoint_from_env(
    words: &knowledge::CheckpointEnv,
    env: &crate::model::EnvVar,
    options: &AnalysisOptions,
) -> Option<Checkpoint> {
    let name = env.name.value.as_str();
    let value = env.value.as_ref()?;
    if is_templated(&value.value) {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    let has = |list: &knowledge::List| list.iter().any(|w| upper.contains(&**w));
    let configured = options.checkpoint_env.iter().any(|n| n == name);
    let conventional = has(&words.subject) && has(&words.duration) && !has(&words.not);
    if !(configured || conventional) {
        return None;
    }
    let ends = |list: &knowledge::List| list.iter().any(|w| upper.ends_with(&**w));
    let mut seconds = durations::parse_seconds(&value.value)?;
    if ends(&words.minutes_suffix) {
        seconds *= 60;
    } else if ends(&words.millis_suffix) {
        seconds /= 1000;
    }
    Some(Checkpoint {
        seconds,
        span: value.span,
        source: format!("env `{name}`"),
    })
}

/// Rows about a step's structure: an Argo resource template's action, a kind of step.
fn structure_evidence(
    knowledge: &knowledge::Knowledge,
    asked: Asked,
    step: &Step,
    out: &mut Vec<Evidence>,
) {
    for row in knowledge.structure_rows.iter().map(|&i| &knowledge.rows[i]) {
        let Some(question) = row.question.question().filter(|q| asked.question(*q)) else {
            continue;
        };
        let (text, span) = if let Some(action) = &row.resource {
            let Some(resource) = &step.resource else {
                continue;
            };
            if resource.action.value != **action || (row.generate_name && !resource.generate_name) {
                continue;
            }
            (format!("action: {action}"), resource.action.span)
        } else if let Some(kind) = &row.step_kind {
            let named = serde_json::to_value(step.kind).ok();
            if named.as_ref().and_then(|v| v.as_str()) != Some(&**kind) {
                continue;
            }
            (kind.to_string(), step.span)
        } else {
            continue;
        };
        out.push(Evidence {
            question,
            text,
            description: row.phrase.to_string(),
            span,
            confidence: row.confidence(),
            row: Some(row.id.to_string()),
        });
    }
}

/// Command and args: items that hold Python source are scanned as Python (a lightweight
/// component's module, `python -c "..."`); the rest is joined as the shell sees it.
fn command_evidence(
    knowledge: &knowledge::Knowledge,
    asked: Asked,
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
            python_evidence(knowledge, asked, text, &|r| spans.span(r), "command", out);
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
    shell_evidence(knowledge, asked, &joined, &to_span, "command", out);
}

fn shell_evidence(
    knowledge: &knowledge::Knowledge,
    asked: Asked,
    text: &str,
    to_span: &dyn Fn(Range<usize>) -> Span,
    what: &str,
    out: &mut Vec<Evidence>,
) {
    // `python -c "..."` inside a shell line is Python.
    for code in shell::python_snippets(text) {
        let base = code.start;
        python_evidence(
            knowledge,
            asked,
            &text[code],
            &|r: Range<usize>| to_span(base + r.start..base + r.end),
            what,
            out,
        );
    }
    for hit in shell::scan_asked(knowledge, text, asked) {
        let row = &knowledge.rows[hit.row];
        let Some(question) = row.question.question() else {
            continue;
        };
        if !room_for(out, question) {
            continue;
        }
        let matched = text[hit.range.clone()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Evidence {
            question,
            description: format!("{what} runs `{matched}`: {}", row.phrase),
            text: matched,
            span: to_span(hit.range),
            confidence: row.confidence(),
            row: Some(row.id.to_string()),
        });
    }
}

/// Evidence kept per question and step: rules show the first few, and a script that
/// repeats one command a million times must not hold a million descriptions.
const MAX_EVIDENCE_PER_QUESTION: usize = 64;

fn room_for(out: &[Evidence], question: Question) -> bool {
    out.iter().filter(|e| e.question == question).count() < MAX_EVIDENCE_PER_QUESTION
}

/// A keyword's value without its quotes (`"append"` -> `append`).
fn unquoted(v: &str) -> &str {
    v.trim_matches(['"', '\''])
}

/// A set of names as 256 bits, one per name by its length and first and last bytes: a
/// name whose bit is clear is not in the set, told without hashing it.
#[derive(Default)]
struct NameBits([u64; 4]);

impl NameBits {
    fn bit(name: &str) -> usize {
        let b = name.as_bytes();
        let first = b.first().map_or(0, |&c| usize::from(c));
        let last = b.last().map_or(0, |&c| usize::from(c));
        (first.wrapping_mul(31) ^ last.wrapping_mul(7) ^ b.len().wrapping_mul(13)) % 256
    }

    fn insert(&mut self, name: &str) {
        let bit = NameBits::bit(name);
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    /// Is `name` possibly in the set (`false`: certainly not)?
    fn may_hold(&self, name: &str) -> bool {
        let bit = NameBits::bit(name);
        self.0[bit / 64] & (1 << (bit % 64)) != 0
    }
}

/// Interprets the knowledge rows over one Python program.
struct PythonProgram<'s, 'a> {
    scan: &'s python::Scan<'a>,
    /// Variables assigned from a call, to the call that made the value (followed through
    /// `ds = ds.map(f)`): the receivers of method rows.
    receivers: HashMap<&'a str, usize>,
    /// Generators the program seeds (`torch`, `numpy`...).
    seeded: std::collections::BTreeSet<&'s str>,
    /// Per row: a call of the program that makes one of its `on` values (for receivers
    /// that cannot be followed), and whether its program conditions hold. Computed once per
    /// row, not once per call: a long program has many calls.
    made_by_program: std::cell::RefCell<HashMap<usize, Option<usize>>>,
    program_holds: std::cell::RefCell<HashMap<usize, bool>>,
    /// Receivers asked about so far, and whether the program binds them to a literal
    /// (`rows = []`): their methods are a list's, a dict's or a string's, never a client's.
    /// A program has few receivers that cannot be followed: each is looked for where it is
    /// written, not every line of the program read for all names.
    literal_bound: std::cell::RefCell<Vec<(String, bool)>>,
    source: &'a str,
    /// The candidate rows of every call, one after the other: those of call `i` end at
    /// `rows_of_calls_end[i]`.
    rows_of_calls: Vec<usize>,
    rows_of_calls_end: Vec<usize>,
}

impl<'s, 'a> PythonProgram<'s, 'a> {
    /// The candidate rows of the calls are those [`call_rows`] found.
    fn new(
        knowledge: &'s knowledge::Knowledge,
        source: &'a str,
        scan: &'s python::Scan<'a>,
        (rows_of_calls, rows_of_calls_end): (Vec<usize>, Vec<usize>),
    ) -> Self {
        let mut receivers: HashMap<&'a str, usize> = HashMap::new();
        // Only a variable that heads a call (`s3` of `s3.upload_file(...)`) is ever looked
        // up: most variables a program assigns head none, and are left out without hashing.
        let mut heads = NameBits::default();
        for call in &scan.calls {
            heads.insert(python::head(&call.written));
        }
        let mut bound = NameBits::default();
        // The outermost call of an assignment makes the value: `x = a(b())` is `a`'s.
        let mut last: Option<(&str, usize)> = None;
        for (i, call) in scan.calls.iter().enumerate() {
            let Some(var) = call.assigned_to else {
                continue;
            };
            let nested = last.is_some_and(|(v, end)| v == var && call.range.start < end);
            if nested || call.name.starts_with("<expr>") {
                continue;
            }
            last = Some((var, call.args.end));
            if !heads.may_hold(var) {
                continue;
            }
            let head = python::head(&call.written);
            let made_by = match bound.may_hold(head).then(|| receivers.get(head)).flatten() {
                Some(&from) if head != var || head.len() < call.written.len() => from,
                _ => i,
            };
            bound.insert(var);
            receivers.insert(var, made_by);
        }
        let mut program = PythonProgram {
            scan,
            receivers,
            seeded: Default::default(),
            made_by_program: Default::default(),
            program_holds: Default::default(),
            literal_bound: Default::default(),
            source,
            rows_of_calls,
            rows_of_calls_end,
        };
        let mut seeded = std::collections::BTreeSet::new();
        for (i, call) in scan.calls.iter().enumerate() {
            for &index in program.rows_of(i) {
                let row = &knowledge.rows[index];
                if row.question == RowQuestion::Seeds
                    && program.matches(index, row, call).is_some()
                    && program.holds_for_program(index, row)
                {
                    seeded.extend(row.seeds.iter().map(|g| &**g));
                }
            }
        }
        program.seeded = seeded;
        program
    }

    /// The rows that may match call `i` of the program (candidates, in row order).
    fn rows_of(&self, i: usize) -> &[usize] {
        let start = i.checked_sub(1).map_or(0, |p| self.rows_of_calls_end[p]);
        &self.rows_of_calls[start..self.rows_of_calls_end[i]]
    }

    /// `call`'s name, qualified: a method on a value the program made is shown on the call
    /// that made it (`boto3.client(...).upload_file`, not `s3.upload_file`).
    fn qualified(&self, call: &python::Call) -> String {
        let head = python::head(&call.written);
        match self.maker(call) {
            Some(maker) if head.len() < call.written.len() => {
                [&*maker.name, "(...)", &call.written[head.len()..]].concat()
            }
            _ => call.name.to_string(),
        }
    }

    /// Is `name` bound to a literal somewhere (`name = [`, `{`, `(`, a string, a number)?
    fn bound_to_literal(&self, name: &str) -> bool {
        if let Some((_, bound)) = self.literal_bound.borrow().iter().find(|(n, _)| n == name) {
            return *bound;
        }
        let bound = binds_to_literal(self.source, name);
        self.literal_bound
            .borrow_mut()
            .push((name.to_string(), bound));
        bound
    }

    /// The call that made `call`'s receiver, if known.
    fn maker(&self, call: &python::Call) -> Option<&'s python::Call<'a>> {
        let head = python::head(&call.written);
        self.receivers.get(head).map(|&i| &self.scan.calls[i])
    }

    /// `imported` and `program-calls`: conditions on the whole program.
    fn holds_for_program(&self, index: usize, row: &knowledge::Row) -> bool {
        if row.imported.is_empty() && row.program_calls.is_empty() {
            return true;
        }
        *self
            .program_holds
            .borrow_mut()
            .entry(index)
            .or_insert_with(|| {
                let scan = self.scan;
                (row.imported.is_empty()
                    || scan
                        .imports
                        .iter()
                        .map(|(m, _)| m.as_ref())
                        .chain(scan.aliases.values().map(|m| m.as_ref()))
                        .any(|m| row.imported.iter().any(|p| knowledge::wildcard(p, m))))
                    && (row.program_calls.is_empty()
                        || scan.calls.iter().any(|c| {
                            row.program_calls
                                .iter()
                                .any(|p| knowledge::wildcard(p, &c.name))
                        }))
            })
    }

    /// Does `row` match `call`'s name? How to show the name when it does (qualified).
    fn matches<'c>(
        &'c self,
        index: usize,
        row: &knowledge::Row,
        call: &'c python::Call,
    ) -> Option<Shown<'c>> {
        let name = call.name.as_ref();
        if row.call.iter().any(|p| knowledge::wildcard(p, name)) {
            if row.except.iter().any(|p| knowledge::wildcard(p, name)) {
                return None;
            }
            return Some(Shown::Name(name));
        }
        let dots = |s: &str| s.bytes().filter(|&b| b == b'.').count();
        let components = if row.method.is_empty() {
            0
        } else {
            dots(name) + 1
        };
        for pattern in row.method.iter() {
            let parts = dots(pattern) + 1;
            if components < parts {
                continue;
            }
            let at = if components == parts {
                0
            } else {
                // After the `parts`-th dot from the end (a walk back over a short name).
                let mut dots_left = parts;
                name.as_bytes()
                    .iter()
                    .rposition(|&b| {
                        dots_left -= usize::from(b == b'.');
                        dots_left == 0
                    })
                    .map(|i| i + 1)?
            };
            if !knowledge::wildcard(pattern, &name[at..]) {
                continue;
            }
            if row.on.is_empty() {
                return Some(Shown::Qualified);
            }
            if at == 0 {
                continue; // a bare function, not a method
            }
            let receiver = &name[..at - 1];
            let on = |made: &str| row.on.iter().any(|p| knowledge::wildcard(p, made));
            // `on-arg`: the constructor's call must be seen, with that string argument.
            let made_with_arg = |maker: &python::Call| {
                row.on_arg
                    .as_ref()
                    .is_none_or(|a| self.scan.string_args(maker).iter().any(|s| *s == &**a))
            };
            if on(receiver) && row.on_arg.is_none() {
                return Some(Shown::Name(name));
            }
            if let Some(maker) = self.maker(call) {
                if on(&maker.name) && made_with_arg(maker) {
                    return Some(Shown::Made(&maker.name, &name[at..]));
                }
                continue;
            }
            let head = python::head(&call.written);
            if self.scan.aliases.contains_key(head) {
                continue; // a module's function, not a value's method
            }
            if self.bound_to_literal(head) {
                continue; // `rows = []; rows.append(r)`: a list's method
            }
            // A receiver we cannot follow (a parameter, an attribute, a chained call): the
            // program must make such a value somewhere.
            let made = *self
                .made_by_program
                .borrow_mut()
                .entry(index)
                .or_insert_with(|| {
                    self.scan
                        .calls
                        .iter()
                        .position(|c| on(&c.name) && made_with_arg(c))
                });
            if let Some(made) = made {
                return Some(Shown::Made(&self.scan.calls[made].name, &name[at..]));
            }
        }
        None
    }

    /// The name [`PythonProgram::matches`] found, as text.
    fn show(&self, shown: Shown, call: &python::Call) -> String {
        match shown {
            Shown::Name(name) => name.to_string(),
            Shown::Qualified => self.qualified(call),
            Shown::Made(maker, method) => [maker, "(...).", method].concat(),
        }
    }
}

/// The candidate rows of each call of `scan`, one call's after the other: those of call `i`
/// end at the `i`-th end. Found once for the seeds and the evidence.
fn call_rows(
    knowledge: &knowledge::Knowledge,
    scan: &python::Scan,
    candidates: &knowledge::Candidates,
) -> (Vec<usize>, Vec<usize>) {
    let mut rows_of_calls = Vec::new();
    let mut ends = Vec::with_capacity(scan.calls.len());
    let always: Vec<usize> = knowledge
        .rows_for_every_call()
        .iter()
        .copied()
        .filter(|&i| candidates.row(i))
        .collect();
    for call in &scan.calls {
        knowledge.call_rows_with(
            &call.name,
            &always,
            |row| candidates.row(row),
            &mut rows_of_calls,
        );
        ends.push(rows_of_calls.len());
    }
    (rows_of_calls, ends)
}

/// How a call that a row matches is named in evidence, made into text only for evidence.
enum Shown<'c> {
    /// Its resolved name.
    Name(&'c str),
    /// [`PythonProgram::qualified`].
    Qualified,
    /// A method on a value made by a call: `boto3.client(...).upload_file`.
    Made(&'c str, &'c str),
}

use knowledge::RowQuestion;
use std::collections::HashMap;

fn python_evidence(
    knowledge: &knowledge::Knowledge,
    asked: Asked,
    source: &str,
    to_span: &dyn Fn(Range<usize>) -> Span,
    what: &str,
    out: &mut Vec<Evidence>,
) {
    // One pass of the prefilter: a program without any row's trigger word (or a remote
    // scheme) has nothing to find; the others try only the rows whose words they have.
    let candidates = knowledge.program_candidates(source, asked);
    if candidates.nothing() {
        return;
    }
    let mut scan = python::scan_names(source);
    let rows = call_rows(knowledge, &scan, &candidates);
    // Arguments are read only for the calls a row may match (a few of a program's).
    let mut from = 0;
    for (i, &end) in rows.1.iter().enumerate() {
        if end > from {
            scan.read_arguments(i);
        }
        from = end;
    }
    let scan = scan;
    let program = PythonProgram::new(knowledge, source, &scan, rows);
    // Jitter in a backoff (`time.sleep(random.uniform(1, 2))`) does not reach the output
    // (`shapes.random-ignored-in`). Such calls nest or are apart: their argument ranges merged, a call's place among them
    // is one binary search, and the words in them one set (not a scan per call).
    let mut sleeps: Vec<Range<usize>> = scan
        .calls
        .iter()
        .filter(|c| {
            let method = c.method();
            knowledge
                .shapes
                .random_ignored_in
                .iter()
                .any(|m| **m == *method)
        })
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
    let is_remote = |s: &str| knowledge.is_remote(s);
    // Variables holding a URL or a remote path: `csv_url = "https://..."`.
    let mut remote_vars: HashMap<&str, &str> = Default::default();
    for s in &scan.strings {
        if let Some(var) = s
            .assigned_to
            .filter(|_| is_remote(&s.body) || knowledge.is_url(&s.body))
        {
            remote_vars.entry(var).or_insert(s.body.as_ref());
        }
    }
    // Where such a variable is used, in source order: a call's arguments use one if an
    // occurrence falls inside them (one binary search per call, not a scan of its text).
    let remote_uses = word_uses(source, &remote_vars);
    let remote_literals = scan.first_string_arg(|s| is_remote(s) || knowledge.is_url(s));
    // Only rows with `hub-id-arg` ask for Hub ids: found on the first such row.
    let hub_ids = std::cell::OnceCell::new();
    let hub_ids = || hub_ids.get_or_init(|| scan.first_string_arg(|s| knowledge.is_hub_id(s)));
    let loopbacks = scan.first_string_arg(|s| knowledge.is_loopback(s));
    let shell_rows = candidates.any_command(&knowledge.commands);
    for (i, call) in scan.calls.iter().enumerate() {
        // Most calls are of no row: nothing else is worked out for them.
        let rows = program.rows_of(i);
        if rows.is_empty() {
            continue;
        }
        let remote_var = {
            let i = remote_uses.partition_point(|(at, _, _)| *at < call.args.start);
            remote_uses
                .get(i)
                .filter(|(_, end, _)| *end <= call.args.end)
                .map(|(_, _, url)| *url)
        };
        let remote_literal = remote_literals.find(call);
        let remote_arg = remote_literal.is_some() || remote_var.is_some();
        // Shown in the description of IO evidence only: written out there, when kept.
        let on = remote_literal.or(remote_var);
        // A client of a sidecar in the same pod (`OpenAI(base_url="http://127.0.0.1:8000")`).
        // Most programs name no loopback host: then no call's maker is looked for.
        let loopback = loopbacks.any()
            && (loopbacks.find(call).is_some()
                || program
                    .maker(call)
                    .is_some_and(|m| loopbacks.find(m).is_some()));
        let strings = scan.string_args(call);
        let keyword = |k: &str| call.keyword(k).filter(|v| *v != "None");
        for &index in rows {
            let row = &knowledge.rows[index];
            // A seeding call is context for the random question: shown, never decisive.
            let question = row.question.question().unwrap_or(Question::Random);
            let conditions =
                row.keyword
                    .iter()
                    .all(|(k, v)| keyword(k).is_some_and(|x| knowledge::wildcard(v, unquoted(x))))
                    && !row.keyword_not.iter().any(|(k, vs)| {
                        keyword(k).is_some_and(|x| vs.iter().any(|v| v == unquoted(x)))
                    })
                    && row.present.iter().all(|k| keyword(k).is_some())
                    && (row.present_any.is_empty()
                        || row.present_any.iter().any(|k| keyword(k).is_some()))
                    && row.absent.iter().all(|k| keyword(k).is_none())
                    && (!row.no_positional || call.positional() == 0)
                    && (!row.remote_arg || remote_arg)
                    && (!row.hub_id_arg || hub_ids().find(call).is_some())
                    && (row.first_arg_not.is_empty()
                        || strings
                            .first()
                            .is_none_or(|s| !row.first_arg_not.iter().any(|n| n == s)))
                    && row
                        .string_arg
                        .as_ref()
                        .is_none_or(|a| strings.iter().any(|s| s == a))
                    && !row
                        .unless_string_arg
                        .iter()
                        .any(|a| strings.iter().any(|s| s == a))
                    && !row.unless_seeded.iter().any(|g| {
                        if g == "any" {
                            !program.seeded.is_empty()
                        } else {
                            program.seeded.contains(&**g)
                        }
                    });
            if !conditions
                || (question == Question::Io && loopback)
                || (row.question == RowQuestion::Random && in_sleep(call))
            {
                continue;
            }
            let Some(shown) = program.matches(index, row, call) else {
                continue;
            };
            // Conditions on the whole program, last: once per row and program.
            if !program.holds_for_program(index, row) || !room_for(out, question) {
                continue;
            }
            let shown = program.show(shown, call);
            // `{what} calls `{shown}`{ on `{url}`}: {phrase}`, the URL cut at 60 characters.
            let on = on.filter(|_| question == Question::Io);
            let mut description = String::with_capacity(
                what.len() + shown.len() + row.phrase.len() + on.map_or(0, |u| u.len() + 6) + 12,
            );
            description.push_str(what);
            description.push_str(" calls `");
            description.push_str(&shown);
            description.push('`');
            if let Some(url) = on {
                description.push_str(" on `");
                description.extend(url.chars().take(60));
                description.push('`');
            }
            description.push_str(": ");
            description.push_str(&row.phrase);
            out.push(Evidence {
                question,
                text: shown,
                description,
                span: to_span(call.range.clone()),
                confidence: if row.question == RowQuestion::Seeds {
                    Confidence::Low
                } else {
                    row.confidence()
                },
                row: Some(row.id.to_string()),
            });
        }
    }
    for lit in &scan.strings {
        let body = lit.body.trim_start();
        if asked.io && is_remote(body) {
            let end = lit.range.start
                + lit
                    .body
                    .len()
                    .min(body.len() + (lit.body.len() - body.len()));
            out.push(Evidence {
                question: Question::Io,
                text: body.to_string(),
                description: [
                    what,
                    " uses the remote path `",
                    body.split_whitespace().next().unwrap_or(body),
                    "`",
                ]
                .concat(),
                span: to_span(lit.range.start..end),
                confidence: Confidence::High,
                row: None,
            });
        }
        // Shell commands and SQL in Python strings (`subprocess.run("aws s3 cp ...")`,
        // `cur.execute("INSERT INTO ...")`): the same rows as in a shell.
        if !shell_rows {
            continue;
        }
        // A literal as written is a part of the program: its candidates are read from the
        // program's pass. Adjacent literals joined (`"INSERT ..." "ON CONFLICT ..."`) are
        // not, and get a pass of their own.
        let written = source
            .get(lit.range.clone())
            .is_some_and(|s| std::ptr::eq(s, &*lit.body));
        let hits = if written {
            match knowledge.command_candidates_within(&candidates, source, lit.range.clone(), asked)
            {
                Some(within) => shell::scan_candidates(knowledge, &lit.body, &within),
                None => Vec::new(),
            }
        } else {
            shell::scan_asked(knowledge, &lit.body, asked)
        };
        for hit in hits {
            let row = &knowledge.rows[hit.row];
            let Some(question) = row.question.question() else {
                continue;
            };
            let matched = lit.body[hit.range.clone()].to_string();
            out.push(Evidence {
                question,
                description: [what, " runs `", &matched, "`: ", &row.phrase].concat(),
                text: matched,
                span: to_span(lit.range.start + hit.range.start..lit.range.start + hit.range.end),
                confidence: row.confidence(),
                row: Some(row.id.to_string()),
            });
        }
    }
}

/// After a name ending at `i`: `=` (not `==`) and the start of a literal (`[`, `{`, `(`, a
/// string, a number), with spaces and tabs between.
fn binds_a_literal(bytes: &[u8], mut i: usize) -> bool {
    let skip = |i: &mut usize| {
        while bytes.get(*i).is_some_and(|b| *b == b' ' || *b == b'\t') {
            *i += 1;
        }
    };
    skip(&mut i);
    if bytes.get(i) != Some(&b'=') || bytes.get(i + 1) == Some(&b'=') {
        return false;
    }
    i += 1;
    skip(&mut i);
    bytes
        .get(i)
        .is_some_and(|b| b"[{(\"'0123456789".contains(b))
}

/// Does a line of `source` start with the word `name` bound to a literal (`name = [`, `{`,
/// `(`, a string, a number)? The first word of a line comes after its indentation only (not
/// a keyword argument inside a call), white space beyond ASCII included. Only the first
/// word of each line is looked at: the lines are found by a search for their breaks, not
/// `name` searched for in the whole text.
fn binds_to_literal(source: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    // Words are made of word characters only: any other name is never one.
    if name.is_empty() || !name.chars().all(is_word) {
        return false;
    }
    let bytes = source.as_bytes();
    let mut line_start = 0;
    while line_start <= bytes.len() {
        let line_end = crate::bytes::first_of(bytes, line_start, [b'\n']);
        // The indentation: ASCII white space byte by byte, any other as characters.
        let mut at = line_start;
        while at < line_end && matches!(bytes[at], b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c') {
            at += 1;
        }
        if at < line_end && bytes[at] >= 0x80 {
            let rest = &source[at..line_end];
            at += rest.len() - rest.trim_start().len();
        }
        if source[at..line_end].starts_with(name) {
            let end = at + name.len();
            if !source[end..].chars().next().is_some_and(is_word) && binds_a_literal(bytes, end) {
                return true;
            }
        }
        line_start = line_end + 1;
    }
    false
}

/// Where the words of `text` that are keys of `vars` are (as [`words`] finds them), in
/// order, with their values: each key looked for on its own (a program has few such
/// variables), not every word of the text.
fn word_uses<'t>(text: &str, vars: &HashMap<&str, &'t str>) -> Vec<(usize, usize, &'t str)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut uses = Vec::new();
    for (&var, &value) in vars {
        // A key that is not one word is never a word of the text.
        if var.is_empty() || !var.chars().all(is_word) {
            continue;
        }
        for (at, _) in text.match_indices(var) {
            let end = at + var.len();
            let bounded = !text[..at].chars().next_back().is_some_and(is_word)
                && !text[end..].chars().next().is_some_and(is_word);
            if bounded {
                uses.push((at, end, value));
            }
        }
    }
    uses.sort_unstable_by_key(|&(at, _, _)| at);
    uses
}

/// The identifier-like words of `text` (letters, digits, `_`) with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    // The length of the word character at `i`, 0 if the character there is not one: one
    // table lookup for an ASCII byte, a decoded character otherwise.
    let word_char = move |i: usize| -> usize {
        let b = bytes[i];
        if b < 0x80 {
            return usize::from(b.is_ascii_alphanumeric() || b == b'_');
        }
        match text[i..].chars().next() {
            Some(c) if c.is_alphanumeric() => c.len_utf8(),
            _ => 0,
        }
    };
    // The length of the character at `i` (`i` is on a character boundary).
    let char_len = move |i: usize| -> usize {
        match bytes[i] {
            b if b < 0x80 => 1,
            b if b >= 0xf0 => 4,
            b if b >= 0xe0 => 3,
            _ => 2,
        }
    };
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            if word_char(at) > 0 {
                break;
            }
            at += char_len(at);
        }
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        loop {
            let n = if at < bytes.len() { word_char(at) } else { 0 };
            if n == 0 {
                break;
            }
            at += n;
        }
        Some((start, &text[start..at]))
    })
}

/// Compiles a built-in pattern with ASCII classes: `\s`, `\w`, `\d` and `\b` become their
/// ASCII forms, inside and outside brackets. Shell words, tokens and keys are ASCII, and a
/// shell does not split at a non-breaking space; Unicode classes cost milliseconds to
/// compile (paid by every short run) and `\b` would keep the fast engines out.
pub(crate) fn ascii_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&ascii_classes(pattern))
}

/// `pattern` with `\s`, `\w`, `\d` and `\b` spelt as their ASCII forms (see [`ascii_regex`]).
pub(crate) fn ascii_classes(pattern: &str) -> String {
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
    out
}

/// `needle` occurs in `hay` ([`str::contains`]) for a short `hay` (a step's name): a look at
/// each place its first byte is, instead of a search set up for long texts.
fn contains_short(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let last_start = match hay.len().checked_sub(needle.len()) {
        Some(last) => last,
        None => return false,
    };
    (0..=last_start).any(|i| hay[i] == first && &hay[i + 1..i + needle.len()] == rest)
}

/// Names hint at what a step does: weak evidence, shown but never decisive.
fn name_evidence(
    knowledge: &knowledge::Knowledge,
    asked: Asked,
    step: &Step,
    out: &mut Vec<Evidence>,
) {
    let name = step.name.to_ascii_lowercase();
    for row in knowledge.step_name_rows.iter().map(|&i| &knowledge.rows[i]) {
        let Some(question) = row.question.question().filter(|q| asked.question(*q)) else {
            continue;
        };
        if let Some(word) = row.step_name.iter().find(|w| contains_short(&name, w)) {
            out.push(Evidence {
                question,
                text: word.to_string(),
                description: format!("the step's name mentions `{word}`"),
                span: step.span,
                confidence: Confidence::Low,
                row: Some(row.id.to_string()),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ascii_regex;

    const PROGRAMS: [&str; 4] = [
        "url = 'https://x'\nrows = []\n  data = {'a': 1}\nn=3\nm == 4\nf(x = [1])\nurl2 = url + url_x\nprint(url, xurl, url)\n",
        "\u{a0}caf\u{e9} = (1)\n\u{e9}t\u{e9}=\"s\"\r\n\tx\t=\t'q'\n# y = [1]\nz=\n-w = [2]\nurl\u{2014}b = 1\nurl",
        "",
        "a=1",
    ];

    /// The names bound to literals are those a walk over every word finds (the first word
    /// of a line, after its indentation, followed by `=` and a literal); no other name is.
    #[test]
    fn names_bound_to_literals_are_those_of_every_word() {
        let more = [
            "x = 1\n  x = [2]\nxx = 3\n x\u{a0}= 4\n\u{2003}y = 'a'\nz = x\nq = z = 5\n",
            "a a = 1\nb\r\n= 2\n\n\x0b\x0cc=\"s\"\n\u{85}c2 = (c)\n\td\t=\t{}\n-e = [x]\n\u{2003}",
            "\n\n",
            "rows_x = []\nrows = x\nxrows = []\n\x1crows = []\n(rows) = []\n",
            "\u{e9}rows = []\nrows\u{e9} = []\nv = 1\nv\n",
            // ASCII and other white space mixed in an indentation.
            " \u{a0}\tmixed = [1]\n\u{2003} \u{3000}deep = {}\n\x0b\u{85} w = 'x'\n\x0bmixed\u{a0}= 2",
        ];
        for source in PROGRAMS.iter().chain(&more) {
            let bytes = source.as_bytes();
            let reference: std::collections::HashSet<&str> = super::words(source)
                .filter(|&(at, w)| {
                    let mut i = at + w.len();
                    let skip = |i: &mut usize| {
                        while bytes.get(*i).is_some_and(|b| *b == b' ' || *b == b'\t') {
                            *i += 1;
                        }
                    };
                    skip(&mut i);
                    if bytes.get(i) != Some(&b'=') || bytes.get(i + 1) == Some(&b'=') {
                        return false;
                    }
                    let line_start = source[..at].rfind('\n').map_or(0, |n| n + 1);
                    if !source[line_start..at].trim().is_empty() {
                        return false;
                    }
                    i += 1;
                    skip(&mut i);
                    bytes
                        .get(i)
                        .is_some_and(|b| b"[{(\"'0123456789".contains(b))
                })
                .map(|(_, w)| w)
                .collect();
            // Every word of the program, parts of words, and names that are no words.
            let asked = super::words(source).map(|(_, w)| w).chain([
                "",
                "rows",
                "row",
                "ows",
                "x",
                "url\u{2014}b",
                "a a",
                "c=",
                "\u{a0}caf",
            ]);
            for name in asked {
                assert_eq!(
                    super::binds_to_literal(source, name),
                    reference.contains(name),
                    "{name:?} in {source:?}"
                );
            }
        }
        let bound: Vec<&str> = ["data", "n", "rows", "url", "url2", "m", "f", "x", "print"]
            .into_iter()
            .filter(|name| super::binds_to_literal(PROGRAMS[0], name))
            .collect();
        assert_eq!(bound, ["data", "n", "rows", "url"]);
    }

    /// A variable's uses are the words equal to it, as a walk over every word finds them.
    #[test]
    fn variable_uses_are_whole_words() {
        for source in PROGRAMS {
            let vars: std::collections::HashMap<&str, &str> = [
                ("url", "U"),
                ("url_x", "X"),
                ("x", "x"),
                ("\u{e9}t\u{e9}", "E"),
                ("url\u{2014}b", "never a word"),
                ("", "empty"),
            ]
            .into_iter()
            .collect();
            let reference: Vec<(usize, usize, &str)> = super::words(source)
                .filter_map(|(at, w)| Some((at, at + w.len(), *vars.get(w)?)))
                .collect();
            assert_eq!(super::word_uses(source, &vars), reference, "{source:?}");
        }
        let vars = [("url", "U")].into_iter().collect();
        assert_eq!(super::word_uses(PROGRAMS[0], &vars).len(), 4);
    }

    /// Each combination of questions has its own index, and is found back from it.
    #[test]
    fn asked_combinations_are_numbered_one_to_one() {
        let mut seen = std::collections::HashSet::new();
        for io in [false, true] {
            for non_idempotent in [false, true] {
                for random in [false, true] {
                    let asked = super::Asked {
                        io,
                        non_idempotent,
                        random,
                    };
                    assert!(asked.index() < 8 && seen.insert(asked.index()));
                    assert_eq!(super::Asked::from_index(asked.index()), asked);
                }
            }
        }
    }

    /// A short text contains a word where `str::contains` finds it.
    #[test]
    fn short_texts_contain_what_str_contains_finds() {
        let texts = [
            "",
            "s",
            "s3",
            "upload-s3-data",
            "xs3",
            "ss3s",
            "\u{e9}s3\u{e9}",
            "sync",
        ];
        let words = [
            "", "s", "s3", "sync", "upload", "data", "a", "\u{e9}", "3\u{e9}", "ss3s3",
        ];
        for text in texts {
            for word in words {
                assert_eq!(
                    super::contains_short(text, word),
                    text.contains(word),
                    "{word:?} in {text:?}"
                );
            }
        }
    }

    /// Words are runs of Unicode letters, digits and `_`, read a byte at a time where the
    /// text is ASCII: the same as reading it a character at a time.
    #[test]
    fn words_are_runs_of_word_characters() {
        let reference = |text: &str| -> Vec<(usize, String)> {
            let mut out: Vec<(usize, String)> = Vec::new();
            let mut last_end = None;
            for (i, c) in text.char_indices() {
                if c.is_alphanumeric() || c == '_' {
                    match out.last_mut() {
                        Some((_, w)) if last_end == Some(i) => w.push(c),
                        _ => out.push((i, c.to_string())),
                    }
                    last_end = Some(i + c.len_utf8());
                }
            }
            out
        };
        for text in [
            "",
            "  ",
            "s3 = boto3.client('s3')\nx_1=2",
            "caf\u{e9} na\u{ef}ve\u{a0}word \u{2014} \u{4e2d}\u{6587}_x \u{1f600}y z\u{300}",
            "end_",
        ] {
            let ours: Vec<(usize, String)> = super::words(text)
                .map(|(at, w)| (at, w.to_string()))
                .collect();
            assert_eq!(ours, reference(text), "{text:?}");
        }
    }

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
