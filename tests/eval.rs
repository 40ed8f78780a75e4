//! Precision and recall of the judgment rules on the labelled evaluation set
//! (`testdata/eval/`, labels in `labels.tsv`, written from the rules' documented semantics
//! and not by running pipelint). Fails when a rule drops below the targets.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{lint_file, repo_root};

const RULES: &[&str] = &[
    "io-step-without-retry",
    "retry-on-non-idempotent-step",
    "unbounded-retry",
    "cache-on-random-step",
    "grace-period-shorter-than-checkpoint",
    "sdk-backend-version-mismatch",
];

const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.9;
/// The judgment rules, whose classifiers are the knowledge rows: held to more.
const JUDGMENT_RULES: &[&str] = &[
    "io-step-without-retry",
    "retry-on-non-idempotent-step",
    "cache-on-random-step",
];
const MIN_RECALL_JUDGMENT: f64 = 0.95;

#[test]
fn precision_and_recall_on_the_evaluation_set() {
    let root = repo_root().join("testdata/eval");
    let labels_text = std::fs::read_to_string(root.join("labels.tsv")).unwrap();
    let labels: BTreeSet<(String, u32, String)> = labels_text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_string(),
                cols[1].parse().unwrap(),
                cols[2].to_string(),
            )
        })
        .collect();
    assert!(labels.len() >= 40, "{} labels", labels.len());
    let mut files = Vec::new();
    for folder in ["kfp", "hera", "argo"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 25, "{} pipelines", files.len());
    let mut found: BTreeSet<(String, u32, String)> = BTreeSet::new();
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let report = lint_file(path);
        for f in report.findings.iter().filter(|f| RULES.contains(&f.rule)) {
            found.insert((
                rel.clone(),
                report.lines.line_col(f.span.start).line,
                f.rule.to_string(),
            ));
        }
    }
    let mut table =
        String::from("rule                                   tp  fp  fn  precision  recall\n");
    let mut below = Vec::new();
    let mut totals: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for rule in RULES {
        let of = |set: &BTreeSet<(String, u32, String)>| -> BTreeSet<(String, u32, String)> {
            set.iter().filter(|(_, _, r)| r == rule).cloned().collect()
        };
        let (want, got) = (of(&labels), of(&found));
        let tp = want.intersection(&got).count();
        let fp: Vec<_> = got.difference(&want).collect();
        let fneg: Vec<_> = want.difference(&got).collect();
        let precision = if got.is_empty() {
            1.0
        } else {
            tp as f64 / got.len() as f64
        };
        let recall = if want.is_empty() {
            1.0
        } else {
            tp as f64 / want.len() as f64
        };
        table.push_str(&format!(
            "{rule:<38} {tp:>3} {:>3} {:>3}  {precision:>9.3}  {recall:>6.3}\n",
            fp.len(),
            fneg.len()
        ));
        for (file, line, _) in &fp {
            table.push_str(&format!("    false alarm: {file}:{line}\n"));
        }
        for (file, line, _) in &fneg {
            table.push_str(&format!("    missed:      {file}:{line}\n"));
        }
        let min_recall = if JUDGMENT_RULES.contains(rule) {
            MIN_RECALL_JUDGMENT
        } else {
            MIN_RECALL
        };
        if precision < MIN_PRECISION || recall < min_recall {
            below.push(*rule);
        }
        totals.insert(rule, (tp, fp.len(), fneg.len()));
    }
    eprintln!("{table}");
    assert!(
        below.is_empty(),
        "below precision {MIN_PRECISION} / recall {MIN_RECALL} ({MIN_RECALL_JUDGMENT} for the judgment rules): {below:?}\n{table}"
    );
}
