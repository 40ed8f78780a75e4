//! A deterministic generator of a large, realistic pipeline corpus for the benchmarks.
//!
//! File `i` depends only on the seed and `i`, so a 1,000-file corpus is the first 1,000 files
//! of the 10,000-file one. The mix follows `../shared/corpus` (1,269 real files): about 80%
//! Argo manifests (hand-written, Hera-, Couler- and KFP-v1-compiled shapes; Workflow,
//! WorkflowTemplate, CronWorkflow, ClusterWorkflowTemplate) and 20% KFP v2 IR (YAML with the
//! compiler's escaped Python sources, some with a PlatformSpec document, some as JSON or
//! PipelineJob JSON), sizes drawn from the real per-kind size quantiles (Argo median 1.1 KB,
//! p90 16 KB; KFP median 5.4 KB, p99 500 KB). A few percent are multi-document files, YAML
//! that is not a pipeline, and broken YAML that looks like a pipeline.
//!
//! The corpus is written to a temporary directory and never committed.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// SplitMix64: tiny, deterministic, good enough for picking shapes.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A size drawn from quantiles `(q, bytes)`, interpolated log-linearly.
fn size_from(rng: &mut Rng, quantiles: &[(f64, f64)]) -> usize {
    let u = rng.unit();
    for w in quantiles.windows(2) {
        let ((q0, b0), (q1, b1)) = (w[0], w[1]);
        if u <= q1 {
            let t = (u - q0) / (q1 - q0);
            return (b0.ln() + t * (b1.ln() - b0.ln())).exp() as usize;
        }
    }
    quantiles.last().unwrap().1 as usize
}

/// Per-kind size quantiles of `../shared/corpus` (bytes).
const ARGO_SIZES: &[(f64, f64)] = &[
    (0.0, 250.0),
    (0.10, 371.0),
    (0.25, 611.0),
    (0.50, 1082.0),
    (0.75, 2351.0),
    (0.90, 16083.0),
    (0.99, 39280.0),
    (1.0, 141897.0),
];
const KFP_SIZES: &[(f64, f64)] = &[
    (0.0, 1200.0),
    (0.10, 1540.0),
    (0.25, 2217.0),
    (0.50, 5352.0),
    (0.75, 10993.0),
    (0.90, 38429.0),
    (0.99, 500714.0),
    (1.0, 580670.0),
];

// ---------------------------------------------------------------------------------------
// A tiny value tree with a YAML and a JSON emitter.

#[derive(Clone)]
enum V {
    Map(Vec<(String, V)>),
    Seq(Vec<V>),
    /// A string, quoted as needed.
    Str(String),
    /// A multi-line string as a literal block (`|`) in YAML.
    Block(String),
    /// A string the KFP compiler writes double-quoted, escaped and wrapped.
    Escaped(String),
    Int(i64),
    Bool(bool),
}

fn s(x: impl Into<String>) -> V {
    V::Str(x.into())
}

fn map(entries: Vec<(&str, V)>) -> V {
    V::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

struct Yaml {
    out: String,
    /// Sequences indented under their key (kubectl/Argo style) or not (KFP compiler style).
    indent_seq: bool,
}

fn needs_quotes(x: &str) -> bool {
    if x.is_empty() {
        return true;
    }
    let first = x.as_bytes()[0];
    if b"-?:,[]{}#&*!|>'\"%@` ".contains(&first) {
        return true;
    }
    if x.ends_with(' ') || x.contains(": ") || x.contains(" #") || x.ends_with(':') {
        return true;
    }
    if x.contains('\n') || x.contains('\t') {
        return true;
    }
    let lower = x.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) {
        return true;
    }
    x.parse::<f64>().is_ok() || x.starts_with("0x") || x.starts_with("0o")
}

fn json_escape(x: &str, out: &mut String) {
    out.push('"');
    for c in x.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Yaml {
    fn scalar(&mut self, v: &V, indent: usize) {
        match v {
            V::Str(x) if x.contains('\n') => self.escaped(x, indent),
            V::Str(x) if needs_quotes(x) => {
                if x.contains('\'') {
                    json_escape(x, &mut self.out);
                } else {
                    self.out.push('\'');
                    self.out.push_str(x);
                    self.out.push('\'');
                }
            }
            V::Str(x) => self.out.push_str(x),
            V::Block(x) => {
                self.out
                    .push_str(if x.ends_with('\n') { "|" } else { "|-" });
                for line in x.lines() {
                    self.out.push('\n');
                    if !line.is_empty() {
                        self.out.extend(std::iter::repeat_n(' ', indent + 2));
                        self.out.push_str(line);
                    }
                }
            }
            V::Escaped(x) => self.escaped(x, indent),
            V::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            V::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            V::Map(m) if m.is_empty() => self.out.push_str("{}"),
            V::Seq(q) if q.is_empty() => self.out.push_str("[]"),
            _ => unreachable!(),
        }
    }

    /// Double-quoted, escaped, wrapped near 80 columns the way the KFP compiler (PyYAML) does.
    fn escaped(&mut self, x: &str, indent: usize) {
        let mut col = indent;
        self.out.push('"');
        let chars: Vec<char> = x.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if col > 72 {
                self.out.push_str("\\\n");
                self.out.extend(std::iter::repeat_n(' ', indent + 2));
                col = indent + 2;
                if chars[i] == ' ' {
                    self.out.push_str("\\ ");
                    col += 2;
                    i += 1;
                    continue;
                }
            }
            let before = self.out.len();
            match chars[i] {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\t' => self.out.push_str("\\t"),
                c => self.out.push(c),
            }
            col += self.out.len() - before;
            i += 1;
        }
        self.out.push('"');
    }

    fn is_collection(v: &V) -> bool {
        matches!(v, V::Map(m) if !m.is_empty()) || matches!(v, V::Seq(q) if !q.is_empty())
    }

    fn node(&mut self, v: &V, indent: usize) {
        match v {
            V::Map(m) if !m.is_empty() => {
                for (n, (k, val)) in m.iter().enumerate() {
                    if n > 0 {
                        self.out.push('\n');
                        self.out.extend(std::iter::repeat_n(' ', indent));
                    }
                    self.key_value(k, val, indent);
                }
            }
            V::Seq(q) if !q.is_empty() => {
                for (n, item) in q.iter().enumerate() {
                    if n > 0 {
                        self.out.push('\n');
                        self.out.extend(std::iter::repeat_n(' ', indent));
                    }
                    self.out.push_str("- ");
                    if matches!(item, V::Seq(x) if !x.is_empty()) {
                        self.out.push('\n');
                        self.out.extend(std::iter::repeat_n(' ', indent + 2));
                    }
                    self.node(item, indent + 2);
                }
            }
            other => self.scalar(other, indent),
        }
    }

    fn key_value(&mut self, k: &str, val: &V, indent: usize) {
        if needs_quotes(k) {
            self.out.push('\'');
            self.out.push_str(k);
            self.out.push('\'');
        } else {
            self.out.push_str(k);
        }
        self.out.push(':');
        if Yaml::is_collection(val) {
            let child = match val {
                V::Seq(_) if !self.indent_seq => indent,
                _ => indent + 2,
            };
            self.out.push('\n');
            self.out.extend(std::iter::repeat_n(' ', child));
            self.node(val, child);
        } else {
            self.out.push(' ');
            self.scalar(val, indent);
        }
    }
}

fn to_yaml(v: &V, indent_seq: bool) -> String {
    let mut y = Yaml {
        out: String::new(),
        indent_seq,
    };
    y.node(v, 0);
    y.out.push('\n');
    y.out
}

fn json(v: &V, indent: usize, out: &mut String) {
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    match v {
        V::Map(m) if m.is_empty() => out.push_str("{}"),
        V::Seq(q) if q.is_empty() => out.push_str("[]"),
        V::Map(m) => {
            out.push_str("{\n");
            for (n, (k, val)) in m.iter().enumerate() {
                pad(out, indent + 2);
                json_escape(k, out);
                out.push_str(": ");
                json(val, indent + 2, out);
                out.push_str(if n + 1 < m.len() { ",\n" } else { "\n" });
            }
            pad(out, indent);
            out.push('}');
        }
        V::Seq(q) => {
            out.push_str("[\n");
            for (n, val) in q.iter().enumerate() {
                pad(out, indent + 2);
                json(val, indent + 2, out);
                out.push_str(if n + 1 < q.len() { ",\n" } else { "\n" });
            }
            pad(out, indent);
            out.push(']');
        }
        V::Str(x) | V::Block(x) | V::Escaped(x) => json_escape(x, out),
        V::Int(i) => {
            let _ = write!(out, "{i}");
        }
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

fn to_json(v: &V) -> String {
    let mut out = String::new();
    json(v, 0, &mut out);
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------
// Content pools.

const WORDS: &[&str] = &[
    "churn",
    "fraud",
    "ranking",
    "forecast",
    "embedding",
    "vision",
    "nlp",
    "recsys",
    "pricing",
    "demand",
    "anomaly",
    "search",
    "ads",
    "speech",
    "translate",
    "segment",
    "ltv",
    "risk",
];
const VERBS: &[&str] = &[
    "fetch",
    "validate",
    "preprocess",
    "featurize",
    "train",
    "evaluate",
    "tune",
    "export",
    "register",
    "deploy",
    "notify",
    "split",
    "score",
    "upload",
    "download",
    "compare",
    "report",
    "clean",
    "sample",
    "label",
];
const IMAGES: &[&str] = &[
    "python:3.11",
    "python:3.12-slim",
    "python:latest",
    "ghcr.io/acme/ml-base:2024.06",
    "ghcr.io/acme/trainer:v1.4.2",
    "us-docker.pkg.dev/acme/ml/pytorch:2.3-cuda12",
    "amazon/aws-cli:latest",
    "alpine:3.19",
    "busybox",
    "gcr.io/ml-pipeline/ml-pipeline-kubeflow-deployer:v0.1.0",
    "europe-docker.pkg.dev/acme/images/feature-store-client:1.9",
];

fn image(rng: &mut Rng) -> String {
    let base = rng.pick(IMAGES).to_string();
    if rng.chance(0.25) {
        let mut digest = String::with_capacity(64);
        for _ in 0..4 {
            let _ = write!(digest, "{:016x}", rng.next_u64());
        }
        format!(
            "{}@sha256:{digest}",
            base.split(':').next().unwrap_or(&base)
        )
    } else {
        base
    }
}

const PY_IMPORTS: &[&str] = &[
    "import os",
    "import sys",
    "import json",
    "import time",
    "import random",
    "import logging",
    "import boto3",
    "import requests",
    "import numpy as np",
    "import pandas as pd",
    "from google.cloud import storage",
    "from sklearn.ensemble import GradientBoostingClassifier",
    "from sklearn.model_selection import train_test_split",
    "import torch",
    "from datetime import datetime",
    "import mlflow",
    "import psycopg2",
];

const PY_LINES: &[&str] = &[
    "df = pd.read_parquet(os.path.join(data_dir, \"train.parquet\"))",
    "logging.info(\"rows: %d\", len(df))",
    "features = [c for c in df.columns if c.startswith(\"f_\")]",
    "X_train, X_test, y_train, y_test = train_test_split(df[features], df[\"label\"], test_size=0.2)",
    "model = GradientBoostingClassifier(n_estimators=200, max_depth=4)",
    "model.fit(X_train, y_train)",
    "score = model.score(X_test, y_test)",
    "print(f\"accuracy={score:.4f}\")",
    "s3 = boto3.client(\"s3\")",
    "s3.upload_file(\"/tmp/model.pkl\", bucket, key)",
    "resp = requests.get(url, timeout=30)",
    "resp.raise_for_status()",
    "client = storage.Client()",
    "blob = client.bucket(bucket).blob(path)",
    "blob.download_to_filename(\"/tmp/data.csv\")",
    "seed = random.randint(0, 1_000_000)",
    "np.random.seed(42)",
    "now = datetime.now().isoformat()",
    "with open(output_path, \"w\") as f:",
    "    json.dump({\"score\": float(score), \"at\": now}, f)",
    "for epoch in range(epochs):",
    "    loss = train_one_epoch(model, loader, optimizer)",
    "    logging.info(\"epoch %d loss %.4f\", epoch, loss)",
    "mlflow.log_metric(\"accuracy\", score)",
    "conn = psycopg2.connect(os.environ[\"DATABASE_URL\"])",
    "cur = conn.cursor()",
    "cur.execute(\"INSERT INTO runs (name, score) VALUES (%s, %s)\", (name, score))",
    "conn.commit()",
    "# keep the last checkpoint only",
    "torch.save(model.state_dict(), \"/mnt/ckpt/model.pt\")",
    "time.sleep(1)",
    "if score < threshold:",
    "    raise ValueError(f\"score {score} below threshold {threshold}\")",
];

/// A Python function of about `lines` lines.
fn python(rng: &mut Rng, name: &str, lines: usize) -> String {
    let mut out = String::new();
    let n_imports = rng.range(2, 6);
    for _ in 0..n_imports {
        out.push_str(rng.pick::<&str>(PY_IMPORTS));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n\ndef {}(data_dir: str, output_path: str, epochs: int = 10, threshold: float = 0.8):",
        name.replace('-', "_")
    );
    let _ = writeln!(
        out,
        "    \"\"\"{} step: reads the inputs and writes the outputs.\"\"\"",
        name
    );
    out.push_str("    bucket = os.environ.get(\"BUCKET\", \"acme-ml\")\n");
    for _ in 0..lines {
        out.push_str("    ");
        out.push_str(rng.pick::<&str>(PY_LINES));
        out.push('\n');
    }
    out
}

fn shell(rng: &mut Rng) -> String {
    let options = [
        "aws s3 cp s3://acme-ml-data/{{inputs.parameters.snapshot}}/ /mnt/data/ --recursive",
        "gsutil -m cp -r gs://acme-ml/features /mnt/data/features",
        "python /app/train.py --epochs {{inputs.parameters.epochs}} --out /mnt/data/model",
        "curl -fsSL https://example.com/api/notify -d '{\"status\": \"done\"}'",
        "echo {{inputs.parameters.message}}",
        "python -m pipeline.evaluate --model /mnt/data/model --report /mnt/data/report.json",
        "helm upgrade --install model-server ./chart --set image.tag={{inputs.parameters.tag}}",
        "sleep 5 && ls -la /mnt/data",
    ];
    let n = rng.range(1, 3);
    (0..n)
        .map(|_| *rng.pick(&options))
        .collect::<Vec<_>>()
        .join(" && ")
}

fn resources(rng: &mut Rng, gpu: bool) -> V {
    let mut limits = vec![
        ("cpu", s(format!("{}", rng.range(1, 8)))),
        ("memory", s(format!("{}Gi", rng.range(1, 32)))),
    ];
    if gpu {
        limits.push(("nvidia.com/gpu", s("1")));
    }
    map(vec![
        (
            "requests",
            map(vec![
                ("cpu", s(format!("{}m", rng.range(1, 20) * 100))),
                ("memory", s(format!("{}Mi", rng.range(1, 16) * 256))),
            ]),
        ),
        ("limits", map(limits)),
    ])
}

fn env(rng: &mut Rng) -> V {
    let mut items = vec![map(vec![
        ("name", s("AWS_REGION")),
        ("value", s("eu-west-1")),
    ])];
    if rng.chance(0.5) {
        items.push(map(vec![
            ("name", s("DATABASE_URL")),
            (
                "valueFrom",
                map(vec![(
                    "secretKeyRef",
                    map(vec![("name", s("db-credentials")), ("key", s("url"))]),
                )]),
            ),
        ]));
    }
    if rng.chance(0.04) {
        items.push(map(vec![
            ("name", s("AWS_SECRET_ACCESS_KEY")),
            ("value", s("k3Jd9s8Lq0Zx7Vb2Nm4Pq6Rt8Yu1Io3Ah5Sd7Fg9")),
        ]));
    }
    V::Seq(items)
}

fn retry(rng: &mut Rng) -> V {
    let mut r = vec![("limit", s(format!("{}", rng.range(1, 5))))];
    if rng.chance(0.5) {
        r.push(("retryPolicy", s("Always")));
    }
    if rng.chance(0.6) {
        r.push((
            "backoff",
            map(vec![
                ("duration", s("10s")),
                ("factor", V::Int(2)),
                ("maxDuration", s("5m")),
            ]),
        ));
    }
    map(r)
}

// ---------------------------------------------------------------------------------------
// Argo.

#[derive(Clone, Copy, PartialEq)]
enum ArgoStyle {
    Hand,
    Hera,
    KfpV1,
}

/// A leaf template; `small` files get bare ones (a container that echoes).
fn argo_leaf(rng: &mut Rng, name: &str, style: ArgoStyle, small: bool) -> V {
    if small {
        let mut body = vec![
            ("image", s(image(rng))),
            ("command", V::Seq(vec![s("sh"), s("-c")])),
            (
                "args",
                V::Seq(vec![s(*rng.pick(&[
                    "echo {{inputs.parameters.message}}",
                    "python /app/train.py",
                    "sleep 30",
                ]))]),
            ),
        ];
        if rng.chance(0.3) {
            body.push(("resources", resources(rng, false)));
        }
        return map(vec![("name", s(name)), ("container", map(body))]);
    }
    let mut t: Vec<(&str, V)> = vec![("name", s(name))];
    let mut inputs = vec![map(vec![("name", s("message"))])];
    if rng.chance(0.4) {
        inputs.push(map(vec![("name", s("epochs")), ("value", s("10"))]));
    }
    let mut in_map = vec![("parameters", V::Seq(inputs))];
    if rng.chance(0.2) {
        in_map.push((
            "artifacts",
            V::Seq(vec![map(vec![
                ("name", s("data")),
                ("path", s("/mnt/data")),
                (
                    "s3",
                    map(vec![("key", s(format!("datasets/{name}/train.parquet")))]),
                ),
            ])]),
        ));
    }
    t.push(("inputs", map(in_map)));
    if rng.chance(0.3) {
        t.push((
            "outputs",
            map(vec![(
                "parameters",
                V::Seq(vec![map(vec![
                    ("name", s("score")),
                    ("valueFrom", map(vec![("path", s("/tmp/score.txt"))])),
                ])]),
            )]),
        ));
    }
    if rng.chance(0.3) {
        t.push(("retryStrategy", retry(rng)));
    }
    if rng.chance(0.25) {
        t.push((
            "activeDeadlineSeconds",
            V::Int(rng.range(1, 48) as i64 * 300),
        ));
    }
    if rng.chance(0.1) {
        t.push((
            "memoize",
            map(vec![
                ("key", s("{{inputs.parameters.message}}")),
                ("maxAge", s("24h")),
                (
                    "cache",
                    map(vec![("configMap", map(vec![("name", s("step-cache"))]))]),
                ),
            ]),
        ));
    }
    if rng.chance(0.1) {
        t.push((
            "metadata",
            map(vec![(
                "annotations",
                map(vec![("pipelint.dev/idempotent", s("true"))]),
            )]),
        ));
    }
    let kind = rng.below(10);
    let mut body: Vec<(&str, V)> = vec![("image", s(image(rng)))];
    let use_script = style != ArgoStyle::KfpV1 && kind < 5;
    if use_script {
        body.push(("command", V::Seq(vec![s("python")])));
        let lines = rng.range(3, 40);
        body.push(("source", V::Block(python(rng, name, lines))));
    } else if kind < 8 {
        body.push(("command", V::Seq(vec![s("sh"), s("-c")])));
        body.push(("args", V::Seq(vec![s(shell(rng))])));
    } else {
        let lines = rng.range(3, 15);
        body.push(("command", V::Seq(vec![s("python3"), s("-c")])));
        body.push(("args", V::Seq(vec![V::Block(python(rng, name, lines))])));
    }
    if rng.chance(0.6) {
        let gpu = rng.chance(0.05);
        body.push(("resources", resources(rng, gpu)));
    }
    if rng.chance(0.5) {
        body.push(("env", env(rng)));
    }
    if rng.chance(0.3) {
        body.push((
            "volumeMounts",
            V::Seq(vec![map(vec![
                ("name", s("work")),
                ("mountPath", s("/mnt/data")),
            ])]),
        ));
    }
    t.push((if use_script { "script" } else { "container" }, map(body)));
    map(t)
}

fn argo_resource_template(name: &str) -> V {
    map(vec![
        ("name", s(name)),
        (
            "resource",
            map(vec![
                ("action", s("create")),
                ("setOwnerReference", V::Bool(true)),
                (
                    "manifest",
                    V::Block(
                        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: export-\nspec:\n  template:\n    spec:\n      containers:\n      - name: export\n        image: ghcr.io/acme/exporter:1.2\n        command: [\"/bin/export\", \"--all\"]\n      restartPolicy: Never\n"
                            .to_string(),
                    ),
                ),
            ]),
        ),
    ])
}

fn argo_entry(rng: &mut Rng, leaves: &[String]) -> V {
    let mut tasks = Vec::new();
    for (n, leaf) in leaves.iter().enumerate() {
        let mut task: Vec<(&str, V)> = vec![("name", s(leaf)), ("template", s(leaf))];
        if n > 0 {
            if rng.chance(0.6) {
                let dep = &leaves[rng.below(n)];
                let expr = if n > 1 && rng.chance(0.3) {
                    format!("{dep} && {}.Succeeded", leaves[rng.below(n)])
                } else {
                    dep.clone()
                };
                task.push(("depends", s(expr)));
            } else {
                task.push((
                    "dependencies",
                    V::Seq(vec![s(leaves[rng.below(n)].clone())]),
                ));
            }
        }
        task.push((
            "arguments",
            map(vec![(
                "parameters",
                V::Seq(vec![map(vec![
                    ("name", s("message")),
                    ("value", s("{{workflow.parameters.message}}")),
                ])]),
            )]),
        ));
        if rng.chance(0.1) {
            task.push(("when", s("{{workflow.parameters.run-extra}} == true")));
        }
        if rng.chance(0.05) {
            task.push(("withItems", V::Seq(vec![s("a"), s("b"), s("c")])));
        }
        tasks.push(map(task));
    }
    map(vec![
        ("name", s("main")),
        ("dag", map(vec![("tasks", V::Seq(tasks))])),
    ])
}

fn argo_document(rng: &mut Rng, target: usize, kind: &str, name: &str, style: ArgoStyle) -> String {
    let mut meta: Vec<(&str, V)> = if kind == "Workflow" && rng.chance(0.6) {
        vec![("generateName", s(format!("{name}-")))]
    } else {
        vec![("name", s(name))]
    };
    if style == ArgoStyle::KfpV1 {
        meta.push((
            "annotations",
            map(vec![
                ("pipelines.kubeflow.org/kfp_sdk_version", s("1.8.22")),
                (
                    "pipelines.kubeflow.org/pipeline_compilation_time",
                    s("2024-05-02T10:11:12.345678"),
                ),
            ]),
        ));
    }
    if rng.chance(0.5) {
        meta.push((
            "labels",
            map(vec![
                ("team", s(*rng.pick(WORDS))),
                ("app.kubernetes.io/part-of", s("ml-platform")),
            ]),
        ));
    }
    let small = target < 2500;
    let mut spec: Vec<(&str, V)> = vec![("entrypoint", s("main"))];
    if rng.chance(0.5) {
        spec.push(("serviceAccountName", s("ml-pipelines")));
    }
    let extra = if small { 0.1 } else { 1.0 };
    if !small || rng.chance(0.3) {
        spec.push((
            "arguments",
            map(vec![(
                "parameters",
                V::Seq(vec![
                    map(vec![("name", s("message")), ("value", s("hello"))]),
                    map(vec![("name", s("run-extra")), ("value", s("false"))]),
                ]),
            )]),
        ));
    }
    if rng.chance(0.2) {
        spec.push(("activeDeadlineSeconds", V::Int(86400)));
    }
    if rng.chance(0.15 * extra) {
        spec.push(("retryStrategy", retry(rng)));
    }
    if rng.chance(0.1 * extra) {
        spec.push((
            "templateDefaults",
            map(vec![("timeout", s("2h")), ("retryStrategy", retry(rng))]),
        ));
    }
    if rng.chance(0.2 * extra) {
        spec.push((
            "volumeClaimTemplates",
            V::Seq(vec![map(vec![
                ("metadata", map(vec![("name", s("work"))])),
                (
                    "spec",
                    map(vec![
                        ("accessModes", V::Seq(vec![s("ReadWriteOnce")])),
                        (
                            "resources",
                            map(vec![("requests", map(vec![("storage", s("20Gi"))]))]),
                        ),
                    ]),
                ),
            ])]),
        ));
    }
    if rng.chance(0.1 * extra) {
        spec.push((
            "tolerations",
            V::Seq(vec![map(vec![
                ("key", s("nvidia.com/gpu")),
                ("operator", s("Exists")),
                ("effect", s("NoSchedule")),
            ])]),
        ));
    }
    if rng.chance(0.1) {
        spec.push(("podGC", map(vec![("strategy", s("OnPodSuccess"))])));
    }
    let mut cron = vec![
        ("schedules", V::Seq(vec![s("0 2 * * *")])),
        ("concurrencyPolicy", s("Forbid")),
    ];
    if rng.chance(0.3) {
        cron.push(("timezone", s("Europe/Paris")));
    }
    let indent_seq = style != ArgoStyle::KfpV1;
    let assemble = |templates: Vec<V>| {
        let mut spec = spec.clone();
        spec.push(("templates", V::Seq(templates)));
        let spec = if kind == "CronWorkflow" {
            let mut cron = cron.clone();
            cron.push(("workflowSpec", map(spec)));
            map(cron)
        } else {
            map(spec)
        };
        map(vec![
            ("apiVersion", s("argoproj.io/v1alpha1")),
            ("kind", s(kind)),
            ("metadata", map(meta.clone())),
            ("spec", spec),
        ])
    };
    // Leaves are added until the emitted document reaches the target size.
    let mut leaves: Vec<String> = Vec::new();
    let mut leaf_values: Vec<V> = Vec::new();
    let mut want = 1;
    let doc = loop {
        while leaves.len() < want {
            let leaf = format!("{}-{}-{}", rng.pick(VERBS), rng.pick(WORDS), leaves.len());
            let v = if !small && rng.chance(0.03) {
                argo_resource_template(&leaf)
            } else {
                argo_leaf(rng, &leaf, style, small)
            };
            leaves.push(leaf);
            leaf_values.push(v);
        }
        let templates = if leaves.len() == 1 && small {
            // The smallest workflows are one template, the entrypoint itself.
            let mut only = leaf_values.clone();
            if let V::Map(m) = &mut only[0] {
                m[0].1 = s("main");
            }
            only
        } else {
            let mut t = vec![argo_entry(rng, &leaves)];
            t.extend(leaf_values.iter().cloned());
            t
        };
        let doc = assemble(templates);
        let len = to_yaml(&doc, indent_seq).len();
        if len >= target || leaves.len() >= 400 {
            break doc;
        }
        let per_leaf = (len / leaves.len()).max(100);
        want = leaves.len() + (target - len).div_ceil(per_leaf);
    };
    let mut text = String::new();
    if style == ArgoStyle::Hand && rng.chance(if small { 0.1 } else { 0.4 }) {
        let _ = writeln!(
            text,
            "# {} pipeline for the {} team.\n# Owned by ml-platform; see the runbook before editing.",
            name,
            rng.pick(WORDS)
        );
    }
    text.push_str(&to_yaml(&doc, indent_seq));
    text
}

fn argo_file(rng: &mut Rng, target: usize, i: usize) -> String {
    let style = match rng.below(10) {
        0..=4 => ArgoStyle::Hand,
        5..=8 => ArgoStyle::Hera,
        _ => ArgoStyle::KfpV1,
    };
    let kind = match rng.below(20) {
        0..=7 => "Workflow",
        8..=13 => "WorkflowTemplate",
        14..=16 => "CronWorkflow",
        _ => "ClusterWorkflowTemplate",
    };
    let kind = if style == ArgoStyle::KfpV1 {
        "Workflow"
    } else {
        kind
    };
    let name = format!("{}-{}-{i}", rng.pick(VERBS), rng.pick(WORDS));
    let docs = if rng.chance(0.07) { rng.range(2, 4) } else { 1 };
    let mut text = String::new();
    if rng.chance(0.15) {
        text.push_str("---\n");
    }
    for d in 0..docs {
        if d > 0 {
            text.push_str("---\n");
        }
        let kind = if d > 0 { "WorkflowTemplate" } else { kind };
        text.push_str(&argo_document(
            rng,
            target / docs,
            kind,
            &format!("{name}-{d}"),
            style,
        ));
    }
    text
}

// ---------------------------------------------------------------------------------------
// KFP v2 IR.

const PIP_INSTALL: &str = "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location 'kfp==2.14.3' '--no-deps' 'typing-extensions>=3.7.4,<5; python_version<\"3.9\"' && \"$0\" \"$@\"\n";
const PROGRAM: &str = "program_path=$(mktemp -d)\n\nprintf \"%s\" \"$0\" > \"$program_path/ephemeral_component.py\"\n_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main                         --component_module_path                         \"$program_path/ephemeral_component.py\"                         \"$@\"\n";

fn kfp_document(rng: &mut Rng, target: usize, name: &str) -> (V, Vec<String>) {
    // The estimate below runs about a quarter over; aim lower.
    let target = target * 4 / 5;
    let mut comps: Vec<String> = Vec::new();
    let mut components = Vec::new();
    let mut executors = Vec::new();
    let mut tasks = Vec::new();
    let mut size = 1000;
    while size < target || comps.is_empty() {
        let comp = format!("{}-{}", rng.pick(VERBS), comps.len() + 1);
        let func = comp.replace('-', "_");
        let lines = rng.range(2, (target / 300).clamp(4, 60));
        let source = format!(
            "\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n{}\n",
            python(rng, &func, lines)
        );
        let mut container = vec![
            (
                "args",
                V::Seq(vec![
                    s("--executor_input"),
                    s("{{$}}"),
                    s("--function_to_execute"),
                    s(func.clone()),
                ]),
            ),
            (
                "command",
                V::Seq(vec![
                    s("sh"),
                    s("-c"),
                    V::Escaped(PIP_INSTALL.to_string()),
                    s("sh"),
                    s("-ec"),
                    V::Escaped(PROGRAM.to_string()),
                    V::Escaped(source),
                ]),
            ),
            ("image", s(image(rng))),
        ];
        if rng.chance(0.4) {
            container.push((
                "resources",
                map(vec![
                    ("cpuLimit", V::Int(rng.range(1, 8) as i64)),
                    ("memoryLimit", V::Int(rng.range(1, 32) as i64)),
                    ("resourceCpuLimit", s(format!("{}", rng.range(1, 8)))),
                    ("resourceMemoryLimit", s(format!("{}G", rng.range(1, 32)))),
                ]),
            ));
        }
        let exec = map(vec![("container", map(container))]);
        size += to_yaml(&exec, false).len() + 1200;
        executors.push((format!("exec-{comp}"), exec));
        components.push((
            format!("comp-{comp}"),
            map(vec![
                ("executorLabel", s(format!("exec-{comp}"))),
                (
                    "inputDefinitions",
                    map(vec![(
                        "parameters",
                        map(vec![
                            ("data_dir", map(vec![("parameterType", s("STRING"))])),
                            (
                                "epochs",
                                map(vec![
                                    ("defaultValue", V::Int(10)),
                                    ("isOptional", V::Bool(true)),
                                    ("parameterType", s("NUMBER_INTEGER")),
                                ]),
                            ),
                        ]),
                    )]),
                ),
                (
                    "outputDefinitions",
                    map(vec![(
                        "artifacts",
                        map(vec![(
                            "output_path",
                            map(vec![(
                                "artifactType",
                                map(vec![
                                    ("schemaTitle", s("system.Dataset")),
                                    ("schemaVersion", s("0.0.1")),
                                ]),
                            )]),
                        )]),
                    )]),
                ),
            ]),
        ));
        let mut task: Vec<(&str, V)> = vec![(
            "cachingOptions",
            map(vec![("enableCache", V::Bool(rng.chance(0.7)))]),
        )];
        task.push((
            "componentRef",
            map(vec![("name", s(format!("comp-{comp}")))]),
        ));
        if !comps.is_empty() && rng.chance(0.7) {
            task.push((
                "dependentTasks",
                V::Seq(vec![s(comps[rng.below(comps.len())].clone())]),
            ));
        }
        task.push((
            "inputs",
            map(vec![(
                "parameters",
                map(vec![(
                    "data_dir",
                    map(vec![("componentInputParameter", s("data_dir"))]),
                )]),
            )]),
        ));
        if rng.chance(0.2) {
            task.push((
                "retryPolicy",
                map(vec![
                    ("backoffDuration", s("0s")),
                    ("backoffFactor", V::Int(2)),
                    ("backoffMaxDuration", s("3600s")),
                    ("maxRetryCount", V::Int(3)),
                ]),
            ));
        }
        task.push(("taskInfo", map(vec![("name", s(comp.clone()))])));
        tasks.push((
            comp.clone(),
            V::Map(task.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        ));
        comps.push(comp);
    }
    let doc = map(vec![
        ("components", V::Map(components)),
        (
            "deploymentSpec",
            map(vec![("executors", V::Map(executors))]),
        ),
        ("pipelineInfo", map(vec![("name", s(name))])),
        (
            "root",
            map(vec![
                ("dag", map(vec![("tasks", V::Map(tasks))])),
                (
                    "inputDefinitions",
                    map(vec![(
                        "parameters",
                        map(vec![(
                            "data_dir",
                            map(vec![("parameterType", s("STRING"))]),
                        )]),
                    )]),
                ),
            ]),
        ),
        ("schemaVersion", s("2.1.0")),
        ("sdkVersion", s(format!("kfp-2.{}.0", rng.range(7, 14)))),
    ]);
    (doc, comps)
}

fn kfp_platform(rng: &mut Rng, comps: &[String]) -> V {
    let mut executors = Vec::new();
    for comp in comps.iter().filter(|_| rng.chance(0.5)) {
        executors.push((
            format!("exec-{comp}"),
            map(vec![
                (
                    "secretAsEnv",
                    V::Seq(vec![map(vec![
                        ("secretName", s("aws-credentials")),
                        (
                            "keyToEnv",
                            V::Seq(vec![map(vec![
                                ("secretKey", s("key")),
                                ("envVar", s("AWS_ACCESS_KEY_ID")),
                            ])]),
                        ),
                    ])]),
                ),
                (
                    "podMetadata",
                    map(vec![(
                        "annotations",
                        map(vec![("pipelint.dev/io", s("true"))]),
                    )]),
                ),
            ]),
        ));
    }
    if executors.is_empty() {
        executors.push((
            format!("exec-{}", comps[0]),
            map(vec![(
                "nodeSelector",
                map(vec![(
                    "labels",
                    map(vec![(
                        "cloud.google.com/gke-accelerator",
                        s("nvidia-tesla-t4"),
                    )]),
                )]),
            )]),
        ));
    }
    map(vec![(
        "platforms",
        map(vec![(
            "kubernetes",
            map(vec![(
                "deploymentSpec",
                map(vec![("executors", V::Map(executors))]),
            )]),
        )]),
    )])
}

/// Returns the text and the file extension.
fn kfp_file(rng: &mut Rng, target: usize, i: usize) -> (String, &'static str) {
    let name = format!("{}-{}-pipeline-{i}", rng.pick(WORDS), rng.pick(VERBS));
    let (doc, comps) = kfp_document(rng, target, &name);
    match rng.below(100) {
        0..=5 => (to_json(&doc), "json"),
        6..=11 => {
            let job = map(vec![
                ("displayName", s(name.clone())),
                ("pipelineSpec", doc),
                (
                    "runtimeConfig",
                    map(vec![(
                        "gcsOutputDirectory",
                        s("gs://acme-ml/pipeline_root"),
                    )]),
                ),
            ]);
            (to_json(&job), "json")
        }
        n => {
            let mut text =
                format!("# PIPELINE DEFINITION\n# Name: {name}\n# Inputs:\n#    data_dir: str\n");
            text.push_str(&to_yaml(&doc, false));
            if n < 42 {
                text.push_str("---\n");
                text.push_str(&to_yaml(&kfp_platform(rng, &comps), false));
            }
            (text, "yaml")
        }
    }
}

// ---------------------------------------------------------------------------------------
// Other files a repository has next to its pipelines.

fn other_yaml(rng: &mut Rng, i: usize) -> String {
    match rng.below(3) {
        0 => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{i}\ndata:\n  LOG_LEVEL: info\n  BATCH_SIZE: \"{}\"\n",
            rng.range(8, 512)
        ),
        1 => format!(
            "# Helm values\nreplicaCount: {}\nimage:\n  repository: ghcr.io/acme/api\n  tag: \"1.{}.0\"\nservice:\n  type: ClusterIP\n  port: 80\nresources: {{}}\n",
            rng.range(1, 5),
            rng.range(0, 30)
        ),
        _ => format!(
            "name: ci-{i}\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
        ),
    }
}

fn broken_pipeline(i: usize) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: broken-{i}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: alpine:3.19\n     command: [echo, \"{{{{workflow.name}}}}\"]\n"
    )
}

// ---------------------------------------------------------------------------------------

/// One generated file: its path relative to the corpus root, and its text.
pub struct GenFile {
    pub path: PathBuf,
    pub text: String,
}

/// File `i` of the corpus for `seed`.
pub fn generate_file(seed: u64, i: usize) -> GenFile {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    // Nested like a monorepo: team/project/...
    let team = format!("team-{}", WORDS[i % WORDS.len()]);
    let project = format!("project-{:02}", (i / WORDS.len()) % 23);
    let roll = rng.below(1000);
    let (text, stem, ext) = if roll < 25 {
        (other_yaml(&mut rng, i), "config", "yaml")
    } else if roll < 28 {
        (broken_pipeline(i), "workflow", "yaml")
    } else if roll < 228 {
        let target = size_from(&mut rng, KFP_SIZES);
        let (text, ext) = kfp_file(&mut rng, target, i);
        (text, "pipeline", ext)
    } else {
        let target = size_from(&mut rng, ARGO_SIZES);
        (
            argo_file(&mut rng, target, i),
            "workflow",
            if rng.chance(0.2) { "yml" } else { "yaml" },
        )
    };
    GenFile {
        path: PathBuf::from(team)
            .join(project)
            .join(format!("{stem}-{i:05}.{ext}")),
        text,
    }
}

/// Writes files `0..n` under `dir` (created); returns the total bytes written.
/// Skips the work when `dir` already holds this exact corpus (a stamp file).
pub fn write_corpus(dir: &Path, seed: u64, n: usize) -> std::io::Result<u64> {
    let stamp = dir.join(".corpus-stamp");
    let expected = format!("seed={seed} files={n} generator=1\n");
    if let Ok(found) = std::fs::read_to_string(&stamp) {
        if let Some(bytes) = found.strip_prefix(&expected) {
            if let Ok(bytes) = bytes.trim().parse() {
                return Ok(bytes);
            }
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let mut total = 0u64;
    for i in 0..n {
        let f = generate_file(seed, i);
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &f.text)?;
        total += f.text.len() as u64;
    }
    std::fs::write(&stamp, format!("{expected}{total}\n"))?;
    Ok(total)
}
