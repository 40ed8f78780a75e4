//! The CI outputs as CI systems read them (SARIF, GitHub annotations, JUnit) and the CI
//! behaviour of `check` (`--fail-on`, `--statistics`, `--quiet`, `--color`, `--output`,
//! stdin, many files at once), all through the real binary.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{repo_root, require_shared, shared_dir};
use serde_json::Value;

/// Errors, warnings, evidence and non-ASCII text before a finding on its line.
const FIXTURE: &str = "testdata/report/ci-formats.yaml";
/// Beside the fixture: the four rules it is linted with, so that new rules do not change it.
const FIXTURE_CONFIG: &str = "testdata/report/.pipelint.yaml";

struct Run<'a> {
    args: &'a [&'a str],
    dir: PathBuf,
    env: Vec<(&'a str, &'a str)>,
    stdin: Option<Vec<u8>>,
}

impl<'a> Run<'a> {
    fn new(args: &'a [&'a str]) -> Self {
        Run {
            args,
            dir: repo_root(),
            env: Vec::new(),
            stdin: None,
        }
    }

    fn dir(mut self, dir: &Path) -> Self {
        self.dir = dir.to_path_buf();
        self
    }

    fn env(mut self, key: &'a str, value: &'a str) -> Self {
        self.env.push((key, value));
        self
    }

    fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = Some(bytes.to_vec());
        self
    }

    fn output(self) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipelint"));
        cmd.args(self.args)
            .current_dir(&self.dir)
            .env_remove("NO_COLOR")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the binary runs");
        if let Some(bytes) = self.stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(&bytes).unwrap();
        }
        child.wait_with_output().unwrap()
    }
}

fn pipelint(args: &[&str]) -> Output {
    Run::new(args).output()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A fresh directory with the fixture's config in it.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipelint-fmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(repo_root().join(FIXTURE_CONFIG), dir.join(".pipelint.yaml")).unwrap();
    dir
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

/// `id -> default severity` as `pipelint rules` prints them, in registry order.
fn registered_rules() -> Vec<(String, String)> {
    stdout(&pipelint(&["rules"]))
        .lines()
        .map(|l| {
            let mut words = l.split_whitespace();
            (
                words.next().unwrap().to_string(),
                words.next().unwrap().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------- SARIF

fn sarif_schema() -> Option<jsonschema::Validator> {
    let Some(shared) = shared_dir() else {
        eprintln!("skipped: ../shared (with schemas/sarif-schema-2.1.0.json) is not present");
        return None;
    };
    let path = shared.join("schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (CI has it)", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    Some(
        jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles"),
    )
}

fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn sarif_is_valid_against_the_official_schema() {
    require_shared();
    let validator = sarif_schema().expect("../shared is present");
    let fixture = pipelint(&["check", "--format", "sarif", FIXTURE, "testdata/examples"]);
    let doc = json(&fixture);
    assert_eq!(schema_errors(&validator, &doc), Vec::<String>::new());
    assert!(doc["runs"][0]["results"].as_array().unwrap().len() >= 4);

    // The real pipelines: every finding of every rule, absolute URIs (outside the repository).
    let corpus = pipelint(&["check", "--format", "sarif", "../shared/corpus"]);
    let doc = json(&corpus);
    assert_eq!(schema_errors(&validator, &doc), Vec::<String>::new());
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 1000, "{} results", results.len());

    // The check can fail: a line 0 and an unknown level are caught.
    let mut broken = json(&fixture);
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    broken["runs"][0]["results"][1]["level"] = "fatal".into();
    assert_eq!(schema_errors(&validator, &broken).len(), 2);
}

#[test]
fn sarif_describes_every_rule_from_its_doc() {
    let doc = json(&pipelint(&["check", "--format", "sarif", FIXTURE]));
    assert_eq!(
        doc["$schema"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "pipelint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let rules = driver["rules"].as_array().unwrap();
    let registered = registered_rules();
    assert_eq!(rules.len(), registered.len());
    for (rule, (id, severity)) in rules.iter().zip(&registered) {
        assert_eq!(rule["id"], id.as_str());
        let page = std::fs::read_to_string(repo_root().join(format!("rules/{id}.md"))).unwrap();
        assert_eq!(rule["help"]["markdown"], page.as_str(), "{id}");
        assert_eq!(rule["help"]["text"], page.as_str(), "{id}");
        // The one-sentence summary under the title of the page.
        let summary = rule["shortDescription"]["text"].as_str().unwrap();
        assert!(
            page.split("\n\n").nth(1).unwrap().replace('\n', " ") == summary,
            "{id}: {summary}"
        );
        let full = rule["fullDescription"]["text"].as_str().unwrap();
        assert!(
            full.starts_with(summary) && full.len() > summary.len(),
            "{id}"
        );
        let level = match severity.as_str() {
            "info" => "note",
            other => other,
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{id}");
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(!tags.is_empty(), "{id}");
    }
    // Each result points at its rule by id and index.
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn sarif_results_snapshot() {
    let mut doc = json(&pipelint(&["check", "--format", "sarif", FIXTURE]));
    // Indexes into the rule list move when rules are added; checked above instead.
    for result in doc["runs"][0]["results"].as_array_mut().unwrap() {
        result.as_object_mut().unwrap().remove("ruleIndex");
    }
    insta::assert_json_snapshot!("sarif_results", doc["runs"][0]["results"]);
}

/// The 1-based UTF-16 column of `needle` on the line of `text` that contains it.
fn utf16_column(text: &str, line_containing: &str, needle: &str) -> (u32, u32) {
    let line = text.lines().find(|l| l.contains(line_containing)).unwrap();
    let at = line.find(needle).unwrap();
    (line[..at].encode_utf16().count() as u32 + 1, at as u32 + 1)
}

#[test]
fn sarif_regions_are_utf16_and_uris_are_relative_to_the_repository_root() {
    let text = std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap();
    let doc = json(&pipelint(&["check", "--format", "sarif", FIXTURE]));
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    let python = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("python:3.11")
        })
        .unwrap();
    let location = &python["locations"][0]["physicalLocation"];
    let (utf16, byte) = utf16_column(&text, "prépare-😀\", container", "\"python:3.11\"");
    assert_ne!(utf16, byte, "the fixture must tell the two apart");
    assert_eq!(location["region"]["startColumn"], utf16);
    assert_eq!(location["region"]["startLine"], 16);
    assert_eq!(location["region"]["endLine"], 16);
    assert_eq!(
        location["region"]["endColumn"],
        utf16 + "\"python:3.11\"".len() as u32
    );
    assert_eq!(location["artifactLocation"]["uri"], FIXTURE);
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    // Evidence: the duplicate key points back at the value it drops.
    let duplicate = results
        .iter()
        .find(|r| r["ruleId"] == "duplicate-key")
        .unwrap();
    let related = &duplicate["relatedLocations"][0];
    assert_eq!(related["id"], 1);
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 19);
    assert_eq!(related["message"]["text"], "this earlier value is dropped");

    // From a subdirectory, with the path given relative to it: the same URIs.
    let from_sub = Run::new(&["check", "--format", "sarif", "report/ci-formats.yaml"])
        .dir(&repo_root().join("testdata"))
        .output();
    let sub = json(&from_sub);
    assert_eq!(sub["runs"][0]["results"], run["results"]);
    assert_eq!(
        sub["runs"][0]["originalUriBaseIds"],
        run["originalUriBaseIds"]
    );
}

fn fingerprints(doc: &Value) -> Vec<(String, u64)> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["partialFingerprints"]["pipelint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect()
}

#[test]
fn sarif_fingerprints_do_not_depend_on_line_numbers() {
    let dir = temp_dir("fingerprints");
    let text = std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap();
    std::fs::write(dir.join("wf.yaml"), &text).unwrap();
    let sarif = |dir: &Path| {
        json(
            &Run::new(&["check", "--format", "sarif", "wf.yaml"])
                .dir(dir)
                .output(),
        )
    };
    let before = fingerprints(&sarif(&dir));
    assert_eq!(before.len(), 4);
    for (fp, _) in &before {
        let (hash, n) = fp.split_once(':').unwrap();
        assert_eq!(hash.len(), 32, "{fp}");
        assert_eq!(n, "1", "{fp}");
    }
    // Five lines added on top: same fingerprints, lines moved by five.
    std::fs::write(dir.join("wf.yaml"), format!("# a\n# b\n\n# c\n\n{text}")).unwrap();
    let moved = fingerprints(&sarif(&dir));
    assert_eq!(
        moved,
        before
            .iter()
            .map(|(fp, line)| (fp.clone(), line + 5))
            .collect::<Vec<_>>()
    );
    // The flagged value changes: that finding's fingerprint changes, the others stay.
    std::fs::write(
        dir.join("wf.yaml"),
        text.replace("python:3.11", "python:3.12"),
    )
    .unwrap();
    let edited = fingerprints(&sarif(&dir));
    let changed: Vec<bool> = before
        .iter()
        .zip(&edited)
        .map(|(a, b)| a.0 != b.0)
        .collect();
    assert_eq!(changed, [true, false, false, false]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "needs ../shared (the corpus of real pipelines); CI runs it: cargo test -- --ignored"]
fn sarif_fingerprints_are_unique_on_the_corpus() {
    require_shared();
    let doc = json(&pipelint(&[
        "check",
        "--format",
        "sarif",
        "../shared/corpus",
    ]));
    let all = fingerprints(&doc);
    let unique: std::collections::HashSet<&String> = all.iter().map(|(fp, _)| fp).collect();
    assert_eq!(unique.len(), all.len());
    // Some findings repeat the same text in the same step and are told apart by number.
    assert!(all.iter().any(|(fp, _)| fp.ends_with(":2")));
}

// --------------------------------------------------------------------------------- GitHub

#[test]
fn github_annotations_snapshot() {
    let out = pipelint(&["check", "--format", "github", FIXTURE]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("github_annotations", stdout(&out));
    assert!(stderr(&out).contains("4 findings"), "{}", stderr(&out));
}

#[test]
fn github_annotations_escape_percent_comma_colon_and_newline() {
    let dir = temp_dir("github");
    std::fs::write(
        dir.join("a,b:c%.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: esc\nspec:\n  entrypoint: \"100%,a:b\\nc\"\n  templates:\n  - name: \"100%,a:b\\nc\"\n    container:\n      image: ghcr.io/acme/x:latest\n      resources: {limits: {cpu: 1, memory: 1Gi}}\n",
    )
    .unwrap();
    let out = Run::new(&["check", "--format", "github", "a,b:c%.yaml"])
        .dir(&dir)
        .output();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one finding, one line, the step name's newline shown as `\\n`:\n{text}"
    );
    assert_eq!(
        lines[0],
        "::error file=a%2Cb%3Ac%25.yaml,line=10,col=14,endLine=10,endColumn=35,\
         title=pipelint(unpinned-image)::step \"100%25,a:b\\nc\" runs image \
         \"ghcr.io/acme/x:latest\", not pinned by digest%0Ahelp: pin it by digest: \
         `image: ghcr.io/acme/x:latest@sha256:<digest>`; get the digest with `crane digest \
         ghcr.io/acme/x:latest` or `docker buildx imagetools inspect ghcr.io/acme/x:latest`"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn github_severities_map_to_error_warning_and_notice() {
    let out = pipelint(&["check", "--format", "github", FIXTURE]);
    let text = stdout(&out);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        1
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::warning ")).count(),
        3
    );
    assert!(text.lines().all(|l| l.contains(",title=pipelint(")));
}

// ---------------------------------------------------------------------------------- JUnit

#[test]
fn junit_reads_back_with_counts_messages_and_locations() {
    let out = pipelint(&["check", "--format", "junit", FIXTURE, "testdata/examples"]);
    let xml = stdout(&out);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 4, "one per pipeline file");
    let attr = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<usize>().unwrap();
    let rules = registered_rules().len();
    let mut total = (0, 0);
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(attr(*suite, "tests"), cases.len());
        assert_eq!(attr(*suite, "failures"), failed);
        assert_eq!(attr(*suite, "errors"), 0);
        if suite.attribute("name") != Some(FIXTURE) {
            // No config: every rule ran, so every rule is at least one testcase.
            assert!(cases.len() >= rules, "every rule is a testcase");
        }
        total.0 += cases.len();
        total.1 += failed;
    }
    assert_eq!((attr(root, "tests"), attr(root, "failures")), total);

    let fixture = suites
        .iter()
        .find(|s| s.attribute("name") == Some(FIXTURE))
        .unwrap();
    let cases: Vec<_> = fixture
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert!(names.contains(&"unpinned-image (train)"), "{names:?}");
    assert!(names.contains(&"unpinned-image (prépare-😀)"), "{names:?}");
    let train = cases
        .iter()
        .find(|c| c.attribute("name") == Some("unpinned-image (train)"))
        .unwrap();
    assert_eq!(
        train.attribute("classname"),
        Some("testdata/report/ci-formats")
    );
    assert_eq!(train.attribute("file"), Some(FIXTURE));
    let failure = train
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("step \"train\" runs image \"ghcr.io/acme/trainer:latest\", not pinned by digest")
    );
    assert_eq!(failure.attribute("type"), Some("error"));
    let body = failure.text().unwrap();
    assert!(
        body.starts_with(
            "testdata/report/ci-formats.yaml:20:14: error[unpinned-image] step \"train\""
        ),
        "{body}"
    );
    assert!(body.contains("  help: pin it by digest"), "{body}");
    // A rule that ran and found nothing is a passing testcase; the rules the fixture's
    // config turns off are not testcases at all.
    let passing: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().all(|n| !n.is_element()))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(passing, ["yaml-syntax"]);
}

#[test]
fn junit_snapshot() {
    let out = pipelint(&["check", "--format", "junit", FIXTURE]);
    // The passing testcases (one per rule that found nothing) and the counts that include
    // them change whenever a rule is added; the read-back test above checks them.
    let counts = regex::Regex::new(r#" tests="\d+""#).unwrap();
    let failing: String = stdout(&out)
        .lines()
        .filter(|l| !(l.trim_start().starts_with("<testcase ") && l.ends_with("/>")))
        .map(|l| counts.replace_all(l, r#" tests="[n]""#) + "\n")
        .collect();
    insta::assert_snapshot!("junit", failing);
}

#[test]
fn junit_escapes_markup_and_characters_xml_cannot_carry() {
    let dir = temp_dir("junit");
    std::fs::write(
        dir.join("wf.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: esc\nspec:\n  entrypoint: main\n  templates:\n  - name: \"a<b>&\\\"c' \\x01]]>\"\n    container:\n      image: alpine\n      resources: {limits: {cpu: 1, memory: 1Gi}}\n",
    )
    .unwrap();
    let out = Run::new(&["check", "--format", "junit", "wf.yaml"])
        .dir(&dir)
        .output();
    let xml = stdout(&out);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("step \"a<b>&\"c' \\u{1}]]>\" runs image \"alpine\" with no tag or digest")
    );
    assert!(failure.text().unwrap().contains("a<b>&\"c' \\u{1}]]>"));
    std::fs::remove_dir_all(dir).unwrap();
}

// ----------------------------------------------------------------------------- CI flags

#[test]
fn fail_on_sets_the_severity_that_fails_the_run() {
    let warnings_only = "testdata/rules/missing-resource-limits/fail-argo-workflow.yaml";
    let code = |args: &[&str]| pipelint(args).status.code();
    assert_eq!(code(&["check", "-q", warnings_only]), Some(0));
    assert_eq!(
        code(&["check", "-q", "--fail-on", "error", warnings_only]),
        Some(0)
    );
    assert_eq!(
        code(&["check", "-q", "--fail-on", "warning", warnings_only]),
        Some(1)
    );
    assert_eq!(
        code(&["check", "-q", "--fail-on", "never", FIXTURE]),
        Some(0)
    );
    assert_eq!(
        code(&["check", "-q", "--fail-on", "warning", FIXTURE]),
        Some(1)
    );
    assert_eq!(
        code(&[
            "check",
            "-q",
            "--fail-on",
            "never",
            "testdata/rules/unpinned-image/pass-argo.yaml"
        ]),
        Some(0)
    );
    let bad = pipelint(&["check", "--fail-on", "sometimes", FIXTURE]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("error, warning, never"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn statistics_count_findings_per_rule_most_frequent_first() {
    let compact = pipelint(&["check", "--format", "compact", "testdata/examples"]);
    let out = pipelint(&[
        "check",
        "--format",
        "compact",
        "--statistics",
        "testdata/examples",
    ]);
    let findings = stdout(&compact).lines().count();
    // The table instead of the findings, on standard output (as ruff's --statistics).
    let table = stdout(&out);
    let err = stderr(&out);
    let rows: Vec<(usize, &str)> = table
        .lines()
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().parse().unwrap(), w.next().unwrap())
        })
        .collect();
    assert!(rows.len() >= 2, "{err}");
    assert_eq!(rows.iter().map(|r| r.0).sum::<usize>(), findings);
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    assert_eq!(rows, sorted);
    for (count, rule) in &rows {
        let counted = stdout(&compact)
            .lines()
            .filter(|l| l.contains(&format!("[{rule}]")))
            .count();
        assert_eq!(*count, counted, "{rule}");
    }
    assert!(err.lines().last().unwrap().contains("findings ("), "{err}");
    // With the human format on stdout, the summary line follows the table there.
    let human = pipelint(&["check", "--statistics", "testdata/examples"]);
    let text = stdout(&human);
    let tail: Vec<&str> = text.lines().rev().take(rows.len() + 1).collect();
    assert!(tail[0].contains("findings ("), "{text}");
    assert!(
        tail[1..]
            .iter()
            .all(|l| l.contains(" warning") || l.contains(" error") || l.contains(" info")),
        "{text}"
    );
}

#[test]
fn quiet_prints_findings_and_nothing_else() {
    // Nothing to report (not a pipeline): nothing printed at all, where the summary would be.
    let clean = Run::new(&["check", "-q", "-"])
        .stdin(b"apiVersion: v1\nkind: ConfigMap\n")
        .output();
    assert_eq!((stdout(&clean).as_str(), stderr(&clean).as_str()), ("", ""));
    let unquiet = Run::new(&["check", "-"])
        .stdin(b"apiVersion: v1\nkind: ConfigMap\n")
        .output();
    assert!(
        stdout(&unquiet).starts_with("no findings"),
        "{}",
        stdout(&unquiet)
    );
    let compact = pipelint(&["check", "--quiet", "--format", "compact", FIXTURE]);
    assert_eq!(stdout(&compact).lines().count(), 4);
    assert_eq!(stderr(&compact), "");
    let human = pipelint(&["check", "--quiet", FIXTURE]);
    assert!(stdout(&human).contains("pipelint(unpinned-image)"));
    assert!(!stdout(&human).contains("4 findings"));
    // Not quiet: the summary line.
    let loud = pipelint(&["check", FIXTURE]);
    assert!(
        stdout(&loud).ends_with("4 findings (1 error, 3 warnings, 0 infos) in 1 pipeline file\n")
    );
}

#[test]
fn colour_only_on_a_terminal_or_when_asked() {
    let esc = |out: &Output| out.stdout.contains(&0x1b);
    assert!(!esc(&pipelint(&["check", FIXTURE])), "piped: no colour");
    assert!(esc(&pipelint(&["check", "--color", "always", FIXTURE])));
    assert!(
        esc(&Run::new(&["check", "--color", "always", FIXTURE])
            .env("NO_COLOR", "1")
            .output()),
        "an explicit --color always beats NO_COLOR"
    );
    assert!(!esc(&pipelint(&["check", "--color", "never", FIXTURE])));
    // On a real terminal (util-linux `script` gives the binary a pty).
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped the terminal half: no /usr/bin/script");
        return;
    }
    let on_tty = |no_color: Option<&str>, extra: &str| {
        let mut cmd = Command::new(script);
        cmd.args([
            "-q",
            "-e",
            "-c",
            &format!("{} check {extra} {FIXTURE}", env!("CARGO_BIN_EXE_pipelint")),
            "/dev/null",
        ])
        .current_dir(repo_root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        cmd.output().unwrap()
    };
    assert!(esc(&on_tty(None, "")), "a terminal gets colour");
    assert!(!esc(&on_tty(Some("1"), "")), "NO_COLOR is honoured");
    assert!(esc(&on_tty(Some(""), "")), "an empty NO_COLOR is unset");
    assert!(!esc(&on_tty(None, "--color never")));
}

#[test]
fn stdin_is_linted_under_the_name_given() {
    let text = std::fs::read(repo_root().join(FIXTURE)).unwrap();
    // Named beside the fixture: that name in every output, and the fixture's config.
    let name = "testdata/report/stdin.yaml";
    let compact = |args: &[&str]| {
        let mut all = vec!["check", "--format", "compact"];
        all.extend_from_slice(args);
        let out = Run::new(&all).stdin(&text).output();
        (out.status.code(), stdout(&out))
    };
    let (code, lines) = compact(&["--stdin-filename", name, "-"]);
    assert_eq!(code, Some(1));
    assert_eq!(lines.lines().count(), 4, "{lines}");
    assert!(lines.lines().all(|l| l.starts_with(name)), "{lines}");
    assert!(
        lines.contains("testdata/report/stdin.yaml:20:14: error[unpinned-image]"),
        "{lines}"
    );
    // --stdin-filename alone implies `-`.
    assert_eq!(compact(&["--stdin-filename", name]).1, lines);
    // Without a name.
    let (_, bare) = compact(&["--config", FIXTURE_CONFIG, "-"]);
    assert!(
        bare.starts_with("<stdin>:16:48: warning[unpinned-image]"),
        "{bare}"
    );
    // With files: both are linted, sorted by name.
    let (_, mixed) = compact(&[
        "-",
        "--stdin-filename",
        "zz.yaml",
        "testdata/rules/unpinned-image/fail-argo-multidoc.yaml",
    ]);
    assert!(
        mixed.lines().next().unwrap().starts_with("testdata/"),
        "{mixed}"
    );
    assert!(
        mixed.lines().last().unwrap().starts_with("zz.yaml:"),
        "{mixed}"
    );
    // In SARIF, the name is the artifact.
    let sarif = Run::new(&["check", "--format", "sarif", "--stdin-filename", name, "-"])
        .stdin(&text)
        .output();
    assert_eq!(
        json(&sarif)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"],
        name
    );
    // A name for stdin with paths but no `-` is a usage error.
    let misuse = pipelint(&["check", "--stdin-filename", "x.yaml", FIXTURE]);
    assert_eq!(misuse.status.code(), Some(2));
    // Not a pipeline on stdin: nothing to report, and no error.
    let other = Run::new(&["check", "-"]).stdin(b"a: 1\n").output();
    assert_eq!(other.status.code(), Some(0));
}

#[test]
fn output_writes_the_report_to_a_file_and_the_summary_to_the_terminal() {
    let dir = temp_dir("output");
    let file = dir.join("reports/pipelint.sarif");
    let out = pipelint(&[
        "check",
        "--format",
        "sarif",
        "--output",
        file.to_str().unwrap(),
        FIXTURE,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.contains("4 findings (1 error, 3 warnings, 0 infos)"),
        "{err}"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["runs"][0]["results"].as_array().unwrap().len(), 4);
    // The human format into a file: no colour codes, summary line included.
    let human = dir.join("report.txt");
    let out = pipelint(&[
        "check",
        "-o",
        human.to_str().unwrap(),
        "--color",
        "auto",
        FIXTURE,
    ]);
    assert_eq!(stdout(&out), "");
    let text = std::fs::read_to_string(&human).unwrap();
    assert!(text.contains("pipelint(unpinned-image)") && !text.contains('\u{1b}'));
    assert!(text.ends_with("in 1 pipeline file\n"));
    // `-o -` is standard output.
    let dash = pipelint(&["check", "--format", "github", "-o", "-", FIXTURE]);
    assert_eq!(stdout(&dash).lines().count(), 4);
    // A file that cannot be written is a usage error.
    let blocked = pipelint(&["check", "--format", "json", "-o", "/dev/null/x", FIXTURE]);
    assert_eq!(blocked.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn many_files_in_one_invocation_as_pre_commit_passes_them() {
    // Every YAML file under testdata/, named one by one: the same findings as the walk.
    let mut files: Vec<String> = Vec::new();
    let mut stack = vec![repo_root().join("testdata")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                let rel = path.strip_prefix(repo_root()).unwrap();
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    assert!(files.len() > 30, "{}", files.len());
    let mut args = vec!["check", "--format", "compact"];
    args.extend(files.iter().map(String::as_str));
    let named = pipelint(&args);
    let walked = pipelint(&["check", "--format", "compact", "testdata"]);
    assert!(!named.stdout.is_empty());
    // Named files that do not parse are reported even when they do not look like pipelines;
    // the walk skips them. Everything the walk reports, the named run reports too.
    let named_text = stdout(&named);
    for line in stdout(&walked).lines() {
        assert!(named_text.contains(line), "{line}");
    }
    if let Some(shared) = shared_dir() {
        // Hundreds of real files at once, as pre-commit --all-files does.
        let dir = shared.join("corpus/argo-examples");
        let mut corpus: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .filter(|p| p.ends_with(".yaml"))
            .collect();
        corpus.sort();
        let mut args = vec!["check", "--format", "compact"];
        args.extend(corpus.iter().map(String::as_str));
        let out = pipelint(&args);
        assert!(corpus.len() > 100, "{}", corpus.len());
        assert!(matches!(out.status.code(), Some(0 | 1)));
        // Every file is accounted for: linted as a pipeline, or skipped as other YAML.
        let summary = stderr(&out);
        let summary = summary.lines().last().unwrap();
        let number_before = |word: &str| -> usize {
            summary
                .split(word)
                .next()
                .and_then(|s| s.split_whitespace().last())
                .map_or(0, |n| n.parse().unwrap())
        };
        let linted = number_before(" pipeline files");
        let skipped = if summary.contains(" skipped") {
            number_before(" other YAML/JSON file")
        } else {
            0
        };
        assert_eq!(linted + skipped, corpus.len(), "{summary}");
        assert_eq!(
            stdout(&out).lines().count(),
            number_before(" findings"),
            "{summary}"
        );
    }
}

#[test]
fn unreadable_files_are_reported_in_sarif_and_junit() {
    let dir = temp_dir("unreadable");
    std::os::unix::fs::symlink("/dev/null", dir.join("device.yaml")).unwrap();
    std::fs::copy(repo_root().join(FIXTURE), dir.join("wf.yaml")).unwrap();
    let sarif = Run::new(&["check", "--format", "sarif", "device.yaml", "wf.yaml"])
        .dir(&dir)
        .output();
    assert!(
        stderr(&sarif).contains("device.yaml: could not be read"),
        "{}",
        stderr(&sarif)
    );
    let doc = json(&sarif);
    let run = &doc["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 4);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "device.yaml"
    );
    if let Some(validator) = sarif_schema() {
        assert_eq!(schema_errors(&validator, &doc), Vec::<String>::new());
    }
    let junit = Run::new(&["check", "--format", "junit", "device.yaml", "wf.yaml"])
        .dir(&dir)
        .output();
    let xml = stdout(&junit);
    let parsed = roxmltree::Document::parse(&xml).unwrap();
    let root = parsed.root_element();
    assert_eq!(root.attribute("errors"), Some("1"));
    let error = parsed
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .unwrap();
    assert_eq!(error.attribute("type"), Some("unreadable"));
    assert!(error
        .attribute("message")
        .unwrap()
        .starts_with("device.yaml: could not be read"));
    std::fs::remove_dir_all(dir).unwrap();
}
