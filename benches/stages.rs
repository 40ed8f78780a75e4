//! In-memory, single-thread cost of each stage on the generated corpus: the YAML layer alone
//! (`yaml::parse`) against the whole lint of a file (`engine::lint_bytes`: parse, adapt, every
//! rule, suppressions), and JSON rendering. No walk, no reads, no process start.
//!
//! ```sh
//! cargo bench --bench stages
//! ```

#[path = "common/corpus.rs"]
mod corpus;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipelint::engine::{lint_bytes, RunReport, Settings};
use pipelint::yaml::{parse, ParseLimits};

fn files() -> Vec<(String, String)> {
    (0..400)
        .map(|i| {
            let f = corpus::generate_file(42, i);
            (f.path.to_string_lossy().into_owned(), f.text)
        })
        .collect()
}

fn stages(c: &mut Criterion) {
    let files = files();
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let limits = ParseLimits::default();
    let settings = Settings::default();
    let mut group = c.benchmark_group("400 generated files");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("parse only", |b| {
        b.iter(|| {
            for (_, text) in &files {
                black_box(parse(black_box(text), &limits));
            }
        })
    });
    group.bench_function("lint", |b| {
        b.iter(|| {
            for (path, text) in &files {
                black_box(lint_bytes(path.clone(), text.as_bytes(), false, &settings));
            }
        })
    });
    let report = RunReport {
        files: files
            .iter()
            .map(|(path, text)| lint_bytes(path.clone(), text.as_bytes(), false, &settings))
            .collect(),
        ..RunReport::default()
    };
    group.bench_function("render json", |b| {
        b.iter(|| black_box(pipelint::report::render_json(black_box(&report))))
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
