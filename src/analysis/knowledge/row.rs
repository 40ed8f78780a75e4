//! The shape of one row of knowledge and the checks every row passes. The build script
//! includes this file too (it validates the built-in rows and writes them out as static
//! tables), so it uses nothing but std and serde: one definition of a row for both.

use std::borrow::Cow;

use serde::Deserialize;

/// Text of a row: borrowed from the static tables, owned in a user's row.
pub type Text = Cow<'static, str>;
/// A list of texts, static or owned alike.
pub type List = Cow<'static, [Text]>;

/// What a row answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowQuestion {
    Io,
    NonIdempotent,
    Random,
    /// Makes the randomness of the listed generators (`seeds:`) deterministic for the program.
    Seeds,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowConfidence {
    /// Fires a rule on its own.
    High,
    /// Shown as context, never decisive.
    Low,
}

fn high() -> RowConfidence {
    RowConfidence::High
}

/// One row of knowledge. Exactly one of the match fields (`call`, `method`, `command`,
/// `artifact`, `step-name`, `image`, `resource`, `step-kind`) is set; the conditions narrow it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Row {
    /// A stable name: evidence and `pipelint classify` cite it, examples refer to it.
    pub id: Text,
    pub question: RowQuestion,
    #[serde(default = "high")]
    pub confidence: RowConfidence,
    /// What the match means, for messages ("calls the OpenAI API").
    pub phrase: Text,
    /// A documentation URL, or why the row is right (every built-in row has one).
    #[serde(default)]
    pub reference: Text,

    // What it matches.
    /// Python callables by qualified name after import resolution; `*` matches any text
    /// (`boto3.*`, `torchvision.transforms.Random*`).
    #[serde(default)]
    pub call: List,
    /// Qualified names `call` must not match (`numpy.random.seed` among `numpy.random.*`).
    #[serde(default)]
    pub except: List,
    /// Python methods, matched on the last components of the called name
    /// (`chat.completions.create`); `*` as in `call`.
    #[serde(default)]
    pub method: List,
    /// For `method`: the constructors the receiver comes from (`openai.OpenAI`). A receiver
    /// assigned from a call is checked against it; otherwise the program must call one.
    #[serde(default)]
    pub on: List,
    /// For `method` with `on`: a string argument the constructor was given
    /// (`boto3.client("sagemaker")`); the receiver must be traced to that call.
    #[serde(default)]
    pub on_arg: Option<Text>,
    /// A shell command: a regular expression whose first group is the matched command
    /// (`(twine\s+upload)`); it matches where a command word starts.
    #[serde(default)]
    pub command: Option<Text>,
    /// Words every match of `command` contains (one of them): texts without any are skipped
    /// (the prefilter). Every built-in command row has them; a user's row without them is
    /// tried on every text.
    #[serde(default)]
    pub needles: List,
    /// Argo artifact locations (`s3`, `http`...).
    #[serde(default)]
    pub artifact: List,
    /// Words in a step's name (always low confidence).
    #[serde(default)]
    pub step_name: List,
    /// A container image (glob), together with `arg`.
    #[serde(default)]
    pub image: Option<Text>,
    /// For `image`: an argument (glob) that must be present.
    #[serde(default)]
    pub arg: Option<Text>,
    /// An Argo resource template's `action` (`create`).
    #[serde(default)]
    pub resource: Option<Text>,
    /// For `resource`: the manifest names its object with `metadata.generateName`.
    #[serde(default)]
    pub generate_name: bool,
    /// A kind of step (`importer`: a KFP importer).
    #[serde(default)]
    pub step_kind: Option<Text>,

    // Conditions on the call's arguments.
    /// Keywords equal to a value (source text, quotes ignored, `*` as in `call`):
    /// `shuffle: "True"`.
    #[serde(default, deserialize_with = "pairs")]
    pub keyword: Cow<'static, [(Text, Text)]>,
    /// Keywords that must not equal any of the values: `local_files_only: ["True"]`.
    #[serde(default, deserialize_with = "pairs")]
    pub keyword_not: Cow<'static, [(Text, List)]>,
    /// Keywords that must all be present (and not `None`).
    #[serde(default)]
    pub present: List,
    /// At least one of these keywords present (and not `None`).
    #[serde(default)]
    pub present_any: List,
    /// Keywords that must be absent (or `None`): `random_state`.
    #[serde(default)]
    pub absent: List,
    /// No positional argument (`default_rng()`).
    #[serde(default)]
    pub no_positional: bool,
    /// An argument is a remote URI or URL (a literal, or a variable assigned one).
    #[serde(default)]
    pub remote_arg: bool,
    /// A string argument is a Hugging Face Hub id (`org/name`, the shape in `hub-id:`).
    #[serde(default)]
    pub hub_id_arg: bool,
    /// The first string argument is none of these (`json`, `csv`: a packaged builder).
    #[serde(default)]
    pub first_arg_not: List,
    /// A string argument equals this (`append` in `.mode("append")`).
    #[serde(default)]
    pub string_arg: Option<Text>,
    /// No string argument equals one of these (`dedup_key`: PagerDuty deduplicates).
    #[serde(default)]
    pub unless_string_arg: List,
    /// The program also calls one of these (`*.backward`: it trains what it builds).
    #[serde(default)]
    pub program_calls: List,
    /// The program imports one of these modules (patterns).
    #[serde(default)]
    pub imported: List,
    /// Not when the program seeds one of these generators (`any`: any of them).
    #[serde(default)]
    pub unless_seeded: List,
    /// For `seeds` rows: the generators seeded (`random`, `numpy`, `torch`, `tensorflow`).
    #[serde(default)]
    pub seeds: List,
    /// For `command`: not when the command (up to the next `;`, `|`, `&` or line end)
    /// contains one of these (`--replace`, `--skip-existing`).
    #[serde(default)]
    pub unless_in_command: List,
    /// For `command`: not when its SQL statement (up to the next `;`) contains one of these,
    /// in any case (`ON CONFLICT`).
    #[serde(default)]
    pub unless_in_statement: List,
}

/// A YAML mapping as a list of pairs sorted by key (a static table has no map).
fn pairs<'de, D, V>(d: D) -> Result<Cow<'static, [(Text, V)]>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de> + Clone,
{
    let map: std::collections::BTreeMap<String, V> = Deserialize::deserialize(d)?;
    Ok(Cow::Owned(
        map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
    ))
}

impl Row {
    /// Words one of which a text has whenever the row can match in it: the last component
    /// of a Python name (the call writes it, or its `from ... import` does), the longest
    /// literal run of it when it has a `*` (or of the module when it is only `*`); for a
    /// name that is all `*`, a keyword the row requires (`shuffle=`); a command's needles.
    /// `None`: the row does not match in text (artifacts, names...); an empty word: it can
    /// match in any text.
    pub fn triggers(&self) -> Option<Vec<&str>> {
        if self.command.is_some() {
            return Some(self.needles.iter().map(|n| &**n).collect());
        }
        if self.call.is_empty() && self.method.is_empty() {
            return None;
        }
        let required_keyword = self
            .keyword
            .iter()
            .map(|(k, _)| &**k)
            .chain(self.present.iter().map(|k| &**k))
            .max_by_key(|k| k.len())
            .unwrap_or("");
        let words = self.call.iter().chain(self.method.iter()).map(|p| {
            let p: &str = p;
            let last = p.rsplit('.').next().unwrap_or(p);
            let word = longest_literal_of(last);
            if !word.is_empty() {
                return word;
            }
            // `boto3.*`: the module is written in its import.
            let module = p
                .split('.')
                .map(longest_literal_of)
                .max_by_key(|w| w.len())
                .unwrap_or("");
            if module.is_empty() {
                required_keyword
            } else {
                module
            }
        });
        Some(words.collect())
    }

    /// A command row whose pattern ignores case (`(?i:insert\s+into)`): its needles too.
    pub fn ignores_case(&self) -> bool {
        self.command.as_ref().is_some_and(|c| c.contains("(?i"))
    }

    /// The kinds of thing the row matches (a well-formed row has one).
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if !self.call.is_empty() {
            kinds.push("call");
        }
        if !self.method.is_empty() {
            kinds.push("method");
        }
        if self.command.is_some() {
            kinds.push("command");
        }
        if !self.artifact.is_empty() {
            kinds.push("artifact");
        }
        if !self.step_name.is_empty() {
            kinds.push("step-name");
        }
        if self.image.is_some() {
            kinds.push("image");
        }
        if self.resource.is_some() {
            kinds.push("resource");
        }
        if self.step_kind.is_some() {
            kinds.push("step-kind");
        }
        kinds
    }

    /// One thing matched, seeds only on seeds rows, `on` only with `method`, a command's
    /// pattern with its group.
    pub fn check_shape(&self) -> Result<(), String> {
        let kinds = self.kinds();
        if kinds.len() != 1 {
            return Err(format!(
                "row `{}` should match one thing (call, method, command, artifact, step-name, image, resource or step-kind), not {}",
                self.id,
                if kinds.is_empty() { "none".to_string() } else { kinds.join(" and ") }
            ));
        }
        if self.question == RowQuestion::Seeds && self.seeds.is_empty() {
            return Err(format!("row `{}` seeds nothing: list `seeds:`", self.id));
        }
        if self.question != RowQuestion::Seeds && !self.seeds.is_empty() {
            return Err(format!(
                "row `{}` lists `seeds:` but answers another question",
                self.id
            ));
        }
        if !self.on.is_empty() && self.method.is_empty() {
            return Err(format!("row `{}`: `on` goes with `method`", self.id));
        }
        if self.on_arg.is_some() && self.on.is_empty() {
            return Err(format!("row `{}`: `on-arg` goes with `on`", self.id));
        }
        if self.generate_name && self.resource.is_none() {
            return Err(format!(
                "row `{}`: `generate-name` goes with `resource`",
                self.id
            ));
        }
        if let Some(re) = &self.command {
            if !re.contains('(') {
                return Err(format!(
                    "row `{}`: `command` needs a group around the matched command",
                    self.id
                ));
            }
            if let Some(n) = self.needles.iter().find(|n| n.trim().is_empty()) {
                return Err(format!("row `{}`: empty needle {n:?}", self.id));
            }
        }
        if !self.needles.is_empty() && self.command.is_none() {
            return Err(format!("row `{}`: `needles` go with `command`", self.id));
        }
        Ok(())
    }
}

/// Knowledge that is not a row: the shapes the rows' conditions and the classifiers test
/// (what makes a path remote, a host the pod itself, a string a Hub id...). A knowledge
/// file has them under `shapes:`; each key is set in one file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Shapes {
    /// URI schemes that make a path remote (`s3://`).
    #[serde(default)]
    pub remote_schemes: List,
    /// URL schemes of the network (`https://`): a URL is remote unless its host is one of
    /// `loopback-hosts`.
    #[serde(default)]
    pub url_schemes: List,
    /// Hosts of the pod itself (`localhost`): a sidecar, not the network.
    #[serde(default)]
    pub loopback_hosts: List,
    /// The characters besides ASCII letters and digits in each of the two parts of a
    /// Hugging Face Hub id (`org/name`).
    #[serde(default)]
    pub hub_id_chars: Text,
    /// Calls whose arguments do not reach the output (a backoff's `time.sleep`): randomness
    /// inside them, or in a variable they use, is not the step's.
    #[serde(default)]
    pub random_ignored_in: List,
    /// Names for Argo artifact locations in messages (`s3`: `S3`).
    #[serde(default, deserialize_with = "pairs")]
    pub location_names: Cow<'static, [(Text, Text)]>,
    /// Env vars that state how long a checkpoint takes.
    #[serde(default)]
    pub checkpoint_env: CheckpointEnv,
}

/// Which env var names state how long a checkpoint takes (not how often one is taken), and
/// the unit their suffix gives.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckpointEnv {
    /// The name has one of these (`CHECKPOINT`)...
    #[serde(default)]
    pub subject: List,
    /// ...and one of these (`SAVE`)...
    #[serde(default)]
    pub duration: List,
    /// ...and none of these (`INTERVAL`).
    #[serde(default)]
    pub not: List,
    /// Name endings that make the value minutes (`_MINUTES`).
    #[serde(default)]
    pub minutes_suffix: List,
    /// Name endings that make the value milliseconds (`_MS`).
    #[serde(default)]
    pub millis_suffix: List,
}

/// The longest run of `pattern` without a `*`.
fn longest_literal_of(pattern: &str) -> &str {
    pattern.split('*').max_by_key(|run| run.len()).unwrap_or("")
}

/// One word of the prefilter: a text that contains it may match the rows listed.
#[derive(Clone, Debug)]
pub struct TriggerWord {
    pub word: Text,
    /// Indices of the rows it triggers.
    pub rows: Cow<'static, [u32]>,
    /// A remote scheme (`s3://`): a remote path is evidence without a row.
    pub scheme: bool,
    /// Matched in any case (a command row whose pattern ignores case).
    pub folded: bool,
}

/// The prefilter's words for `rows` (and the remote schemes), each once, and the rows that
/// have none (tried on every text). A word that contains another word of the same case
/// rule hands its rows to the shorter one: a text with the longer word has the shorter
/// one too, so no row is lost, the texts without any word are the same, and the automaton
/// is half the size.
pub fn trigger_table(rows: &[Row], remote_schemes: &[Text]) -> (Vec<TriggerWord>, Vec<u32>) {
    let mut untriggered = Vec::new();
    let mut pairs: Vec<(&str, bool, Option<u32>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match row.triggers() {
            Some(ws) if ws.is_empty() || ws.iter().any(|w| w.is_empty()) => {
                untriggered.push(i as u32)
            }
            Some(ws) => {
                let folded = row.ignores_case();
                pairs.extend(ws.into_iter().map(|w| (w, folded, Some(i as u32))));
            }
            None => {}
        }
    }
    pairs.extend(remote_schemes.iter().map(|s| (&**s, false, None)));
    // Each (word, case rule) once, with its rows and whether it is a remote scheme.
    let mut words: Vec<(&str, bool, Vec<u32>, bool)> = Vec::new();
    for (word, folded, row) in pairs {
        let at = match words
            .iter()
            .position(|(w, f, _, _)| *w == word && *f == folded)
        {
            Some(at) => at,
            None => {
                words.push((word, folded, Vec::new(), false));
                words.len() - 1
            }
        };
        match row {
            Some(r) => words[at].2.push(r),
            None => words[at].3 = true,
        }
    }
    // Shortest first: a word's rows go to the shortest word it contains.
    words.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(b.0)));
    let mut kept: Vec<(&str, bool, Vec<u32>, bool)> = Vec::new();
    for (word, folded, rs, scheme) in words {
        let contains = |k: &str| {
            if folded {
                word.to_ascii_lowercase().contains(&k.to_ascii_lowercase())
            } else {
                word.contains(k)
            }
        };
        match kept
            .iter_mut()
            .find(|(k, f, _, _)| *f == folded && contains(k))
        {
            Some(shorter) => {
                shorter.2.extend(rs);
                shorter.3 |= scheme;
            }
            None => kept.push((word, folded, rs, scheme)),
        }
    }
    let table = kept
        .into_iter()
        .map(|(word, folded, mut rs, scheme)| {
            rs.sort_unstable();
            rs.dedup();
            TriggerWord {
                word: Cow::Owned(word.to_string()),
                rows: Cow::Owned(rs),
                scheme,
                folded,
            }
        })
        .collect();
    (table, untriggered)
}
