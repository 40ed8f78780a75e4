//! Whole-process benchmarks of `pipelint check`: the figures of BENCHMARKS.md.
//!
//! ```sh
//! cargo bench --bench harness                 # every figure, medians of 5 interleaved runs
//! cargo bench --bench harness -- --runs 9     # more runs; --files N, --seed S, --shared DIR
//! cargo bench --bench harness -- --pipelint OLD/pipelint   # the same figures for another build
//! cargo bench --bench harness -- --no-checkov # without the checkov comparison
//! cargo bench --bench harness -- --same-output OLD/pipelint  # byte-identical output?
//! cargo test --bench harness                  # smoke run: tiny corpus, one run each
//! ```
//!
//! `--same-output OLD` measures nothing: it runs `check --format json` of this build and of
//! OLD on `../shared/corpus` and on 1,000 generated files (`--files N` for another count)
//! and fails unless standard output, standard error and the exit code are the same, byte
//! for byte. A speed change must not change what pipelint reports.
//!
//! It generates a deterministic corpus (`common/corpus.rs`) in a temporary directory, then
//! runs, each as a fresh process and interleaved round by round (this 2-core machine is
//! shared and drifts), `pipelint check --format json -j N` (walk + read + parse + adapt + all
//! rules + render JSON to /dev/null) and this binary's own `--parse-only` mode (the same walk,
//! read and YAML parse with spans on N threads, and nothing else). Wall time, CPU time and
//! peak RSS (`wait4`) are recorded per process; medians are printed.

#[path = "common/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary measured: this build's, or `--pipelint PATH` (an older build, to compare).
static PIPELINT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn pipelint() -> &'static Path {
    PIPELINT.get_or_init(|| PathBuf::from(env!("CARGO_BIN_EXE_pipelint")))
}

struct Options {
    files: usize,
    runs: usize,
    seed: u64,
    shared: Option<PathBuf>,
    smoke: bool,
    rss_files: (usize, usize),
    precommit_runs: usize,
    out: Option<PathBuf>,
    /// Also run `benches/checkov.py` on `argo-examples` of the shared corpus.
    checkov: bool,
    /// `--same-output OLD`: compare this build's output with OLD's instead of measuring.
    same_output: Option<PathBuf>,
    files_given: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--parse-only") {
        parse_only(&args[1..]);
        return;
    }
    let mut o = Options {
        files: 5000,
        runs: 5,
        seed: 42,
        shared: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")),
        // `cargo bench` passes `--bench`; without it (`cargo test --bench harness`) this is
        // the smoke run.
        smoke: !args.iter().any(|a| a == "--bench"),
        rss_files: (1000, 10000),
        precommit_runs: 0,
        out: None,
        checkov: true,
        same_output: None,
        files_given: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--files" => {
                o.files = value().parse().expect("--files N");
                o.files_given = true;
            }
            "--same-output" => o.same_output = Some(PathBuf::from(value())),
            "--runs" => o.runs = value().parse().expect("--runs N"),
            "--seed" => o.seed = value().parse().expect("--seed S"),
            "--shared" => o.shared = Some(PathBuf::from(value())),
            "--no-shared" => o.shared = None,
            "--no-checkov" => o.checkov = false,
            "--smoke" => o.smoke = true,
            "--out" => o.out = Some(PathBuf::from(value())),
            "--pipelint" => {
                let _ = PIPELINT.set(PathBuf::from(value()));
            }
            _ => {}
        }
    }
    if let Some(old) = o.same_output.clone() {
        if !o.files_given {
            o.files = 1000;
        }
        o.shared = o.shared.filter(|p| p.is_dir());
        let differences = same_output(&old, &o);
        if differences > 0 {
            eprintln!("{differences} difference(s) from {}", old.display());
            std::process::exit(1);
        }
        return;
    }
    if o.smoke {
        o.files = 40;
        o.runs = 1;
        o.rss_files = (10, 40);
        o.shared = None;
    }
    if o.precommit_runs == 0 {
        o.precommit_runs = (o.runs * 4).max(1);
    }
    o.shared = o.shared.filter(|p| p.is_dir());
    if o.smoke {
        // The comparison itself, on this build against itself: the output must not depend
        // on the run (thread timing, hash order).
        assert_eq!(
            same_output(pipelint(), &o),
            0,
            "two runs of one build differ"
        );
    }
    let report = run(&o);
    print!("{report}");
    if let Some(path) = &o.out {
        std::fs::write(path, &report).expect("write --out");
    }
}

// ---------------------------------------------------------------------------------------
// Same output: this build against another, on the shared corpus and a generated one.

/// How many of (corpus, thread count) runs differ between this build and `old`; each
/// difference is described on standard error.
fn same_output(old: &Path, o: &Options) -> usize {
    let mut corpora = vec![generated(o, o.files)];
    if let Some(shared) = &o.shared {
        corpora.push(corpus_from("../shared/corpus", shared.clone(), |_| false));
    }
    let mut differences = 0;
    for c in &corpora {
        for jobs in [1usize, 2] {
            let run = |bin: &Path| {
                let mut cmd = Command::new(bin);
                cmd.args(["check", "--format", "json", "--fail-on", "never", "-j"])
                    .arg(jobs.to_string())
                    .arg(&c.dir);
                cmd.output().expect("run pipelint")
            };
            let (new, before) = (run(pipelint()), run(old));
            let same = new.status.code() == before.status.code()
                && new.stdout == before.stdout
                && new.stderr == before.stderr;
            println!(
                "{}, -j {jobs}: {} bytes of JSON, {}",
                c.name,
                new.stdout.len(),
                if same { "identical" } else { "DIFFERENT" }
            );
            if !same {
                differences += 1;
                let at = new
                    .stdout
                    .iter()
                    .zip(&before.stdout)
                    .position(|(a, b)| a != b)
                    .unwrap_or(new.stdout.len().min(before.stdout.len()));
                eprintln!(
                    "{} -j {jobs}: exit {:?} vs {:?}; standard output first differs at byte {at} (lengths {} vs {}); standard error {}",
                    c.name,
                    new.status.code(),
                    before.status.code(),
                    new.stdout.len(),
                    before.stdout.len(),
                    if new.stderr == before.stderr { "same" } else { "differs" },
                );
            }
        }
    }
    differences
}

// ---------------------------------------------------------------------------------------
// The parse-only child: walk + read + YAML parse with spans, on N threads, nothing else.

fn parse_only(args: &[String]) {
    use rayon::prelude::*;
    let dir = PathBuf::from(&args[0]);
    let jobs: usize = args
        .iter()
        .position(|a| a == "-j")
        .and_then(|i| args.get(i + 1))
        .and_then(|j| j.parse().ok())
        .unwrap_or(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build_global()
        .expect("thread pool");
    let inputs = pipelint::discover::discover(&[dir]).expect("corpus directory");
    let limits = pipelint::yaml::ParseLimits::default();
    let nodes: usize = inputs
        .par_iter()
        .map(|input| {
            let Ok(bytes) = std::fs::read(&input.path) else {
                return 0;
            };
            let text = String::from_utf8_lossy(&bytes);
            let yaml = pipelint::yaml::parse(&text, &limits);
            yaml.documents.iter().map(|d| d.node_count()).sum::<usize>() + yaml.comments.len()
        })
        .sum();
    // Printed so that no work can be optimised away.
    println!("{} files, {nodes} nodes", inputs.len());
}

// ---------------------------------------------------------------------------------------
// Running a process and measuring it.

#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    /// Peak resident set size, bytes.
    rss: u64,
}

fn measure(cmd: &mut Command) -> Sample {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    // Reaped below with wait4 (for its rusage), not with Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; the pid is our child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert!(pid > 0, "wait4 failed");
    let code = libc::WEXITSTATUS(status);
    assert!(
        libc::WIFEXITED(status) && code <= 1,
        "{cmd:?} failed with status {status}"
    );
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Sample {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        rss: usage.ru_maxrss as u64 * 1024,
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[derive(Default)]
struct Series(Vec<Sample>);

impl Series {
    fn wall(&self) -> f64 {
        median(self.0.iter().map(|s| s.wall.as_secs_f64()).collect())
    }
    fn cpu(&self) -> f64 {
        median(self.0.iter().map(|s| s.cpu.as_secs_f64()).collect())
    }
    fn rss(&self) -> f64 {
        median(self.0.iter().map(|s| s.rss as f64).collect())
    }
    fn min_max_wall(&self) -> (f64, f64) {
        let w: Vec<f64> = self.0.iter().map(|s| s.wall.as_secs_f64()).collect();
        (
            w.iter().cloned().fold(f64::MAX, f64::min),
            w.iter().cloned().fold(0.0, f64::max),
        )
    }
}

fn check_cmd(jobs: usize, dir: &Path) -> Command {
    let mut c = Command::new(pipelint());
    c.args(["check", "--format", "json", "--fail-on", "never", "-j"])
        .arg(jobs.to_string())
        .arg(dir);
    c
}

fn parse_cmd(jobs: usize, dir: &Path) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("own path"));
    c.arg("--parse-only")
        .arg(dir)
        .arg("-j")
        .arg(jobs.to_string());
    c
}

// ---------------------------------------------------------------------------------------
// Corpora.

struct Corpus {
    name: String,
    dir: PathBuf,
    files: usize,
    bytes: u64,
    /// Ten typical files (eight Argo, two KFP, nearest each kind's median size).
    ten: Vec<PathBuf>,
}

fn yaml_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            let ty = e.file_type().expect("file type");
            if ty.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push((p, e.metadata().expect("metadata").len()));
            }
        }
    }
    out.sort();
    out
}

fn nearest_median(mut files: Vec<(PathBuf, u64)>, n: usize) -> Vec<PathBuf> {
    files.sort_by_key(|f| f.1);
    if files.is_empty() {
        return Vec::new();
    }
    let mid = files[files.len() / 2].1 as i64;
    files.sort_by_key(|f| ((f.1 as i64 - mid).abs(), f.0.clone()));
    files.into_iter().take(n).map(|f| f.0).collect()
}

fn corpus_from(name: &str, dir: PathBuf, is_kfp: impl Fn(&Path) -> bool) -> Corpus {
    let files = yaml_files(&dir);
    let bytes = files.iter().map(|f| f.1).sum();
    let (kfp, argo): (Vec<_>, Vec<_>) = files
        .iter()
        .filter(|f| !f.0.to_string_lossy().contains("config-"))
        .cloned()
        .partition(|f| is_kfp(&f.0));
    let mut ten = nearest_median(argo, 8);
    ten.extend(nearest_median(kfp, 2));
    Corpus {
        name: name.to_string(),
        dir,
        files: files.len(),
        bytes,
        ten,
    }
}

fn generated(o: &Options, n: usize) -> Corpus {
    let dir = std::env::temp_dir().join(format!("pipelint-bench-corpus-s{}-n{n}", o.seed));
    corpus::write_corpus(&dir, o.seed, n).expect("write the generated corpus");
    corpus_from(
        &format!("generated ({n} files, seed {})", o.seed),
        dir,
        |p| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with("pipeline-"))
        },
    )
}

// ---------------------------------------------------------------------------------------
// The runs.

#[derive(Default)]
struct Figures {
    e2e: [Series; 2],
    parse: [Series; 2],
    ten: Series,
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown".to_string(), |m| m.trim().to_string());
    format!("nproc {nproc}, CPU \"{model}\"")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(o: &Options) -> String {
    let load_before = loadavg();
    let t0 = Instant::now();
    let mut corpora = vec![generated(o, o.files)];
    if let Some(shared) = &o.shared {
        corpora.push(corpus_from("../shared/corpus", shared.clone(), |p| {
            p.to_string_lossy().contains("kfp-ir")
        }));
    }
    let small = generated(o, o.rss_files.0);
    let large = generated(o, o.rss_files.1);
    let mut figures: Vec<Figures> = corpora.iter().map(|_| Figures::default()).collect();
    let mut rss_small = Series::default();
    let mut rss_large = Series::default();
    let mut version = Series::default();
    let precommit_per_round = o.precommit_runs.div_ceil(o.runs);
    // Round 0 warms the page cache and is not counted.
    for round in 0..=o.runs {
        let keep = round > 0;
        for (c, f) in corpora.iter().zip(figures.iter_mut()) {
            for (k, jobs) in [1usize, 2].into_iter().enumerate() {
                let e = measure(&mut check_cmd(jobs, &c.dir));
                let p = measure(&mut parse_cmd(jobs, &c.dir));
                if keep {
                    f.e2e[k].0.push(e);
                    f.parse[k].0.push(p);
                }
            }
            for _ in 0..precommit_per_round {
                let mut cmd = Command::new(pipelint());
                // Paths relative to the corpus, as pre-commit passes them.
                let ten = c.ten.iter().map(|p| p.strip_prefix(&c.dir).unwrap_or(p));
                cmd.arg("check").args(ten).current_dir(&c.dir);
                let s = measure(&mut cmd);
                if keep {
                    f.ten.0.push(s);
                }
            }
        }
        let a = measure(&mut check_cmd(2, &small.dir));
        let b = measure(&mut check_cmd(2, &large.dir));
        let v = measure(Command::new(pipelint()).arg("--version"));
        if keep {
            rss_small.0.push(a);
            rss_large.0.push(b);
            version.0.push(v);
        }
    }
    let load_after = loadavg();

    let mut r = String::new();
    use std::fmt::Write as _;
    if o.smoke {
        let _ = writeln!(
            r,
            "smoke run (a tiny corpus, one run, possibly a debug build): checks the harness works; the figures mean nothing"
        );
    }
    let _ = writeln!(
        r,
        "pipelint {} benchmarks: medians of {} interleaved runs (after 1 warm-up), {}",
        env!("CARGO_PKG_VERSION"),
        o.runs,
        machine()
    );
    let _ = writeln!(
        r,
        "load average before {load_before}, after {load_after}; took {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    let pass = |ok: bool| if ok { "met" } else { "MISSED" };
    for (c, f) in corpora.iter().zip(&figures) {
        let _ = writeln!(
            r,
            "\n## {}: {} files, {:.1} MB\n",
            c.name,
            c.files,
            mb(c.bytes)
        );
        let _ = writeln!(
            r,
            "| run | threads | wall ms (min-max) | files/s | MB/s | CPU ms | peak RSS MB |"
        );
        let _ = writeln!(r, "|---|---:|---:|---:|---:|---:|---:|");
        for (label, series) in [("end to end", &f.e2e), ("parse only", &f.parse)] {
            for (k, s) in series.iter().enumerate() {
                let (lo, hi) = s.min_max_wall();
                let _ = writeln!(
                    r,
                    "| {label} | {} | {:.0} ({:.0}-{:.0}) | {:.0} | {:.1} | {:.0} | {:.1} |",
                    k + 1,
                    s.wall() * 1e3,
                    lo * 1e3,
                    hi * 1e3,
                    c.files as f64 / s.wall(),
                    mb(c.bytes) / s.wall(),
                    s.cpu() * 1e3,
                    s.rss() / 1e6
                );
            }
        }
        let ratio1 = f.e2e[0].wall() / f.parse[0].wall();
        let ratio2 = f.e2e[1].wall() / f.parse[1].wall();
        let cpu_ratio = f.e2e[0].cpu() / f.parse[0].cpu();
        let speedup = f.e2e[0].wall() / f.e2e[1].wall();
        let parse_speedup = f.parse[0].wall() / f.parse[1].wall();
        let ten = f.ten.wall() * 1e3;
        let _ = writeln!(r);
        let _ = writeln!(
            r,
            "- end to end / parse only, wall: {ratio1:.2}x on 1 thread, {ratio2:.2}x on 2 (target <= 1.5: {}); CPU time, 1 thread: {cpu_ratio:.2}x",
            pass(ratio1 <= 1.5 && ratio2 <= 1.5)
        );
        let _ = writeln!(
            r,
            "- speedup 1 -> 2 threads: end to end {speedup:.2}x (target >= 1.7: {}), parse only {parse_speedup:.2}x",
            pass(speedup >= 1.7)
        );
        let _ = writeln!(
            r,
            "- 10 typical files (8 Argo, 2 KFP, nearest the median size), `pipelint check`, process start included: {ten:.1} ms median of {} (target <= 10: {})",
            f.ten.0.len(),
            pass(ten <= 10.0)
        );
    }
    let (a, b) = (rss_small.rss() / 1e6, rss_large.rss() / 1e6);
    let _ = writeln!(r, "\n## Memory and start-up\n");
    let _ = writeln!(
        r,
        "- peak RSS, `check --format json -j 2`: {:.1} MB on {} files ({:.1} MB of YAML), {:.1} MB on {} files ({:.1} MB); growth {:+.0}% (target <= 150 MB and within 15%: {})",
        a,
        small.files,
        mb(small.bytes),
        b,
        large.files,
        mb(large.bytes),
        (b / a - 1.0) * 100.0,
        pass(b <= 150.0 && b <= a * 1.15)
    );
    let _ = writeln!(
        r,
        "- wall on those: {:.0} ms ({} files), {:.0} ms ({} files)",
        rss_small.wall() * 1e3,
        small.files,
        rss_large.wall() * 1e3,
        large.files
    );
    let _ = writeln!(
        r,
        "- `pipelint --version` (process start alone): {:.1} ms",
        version.wall() * 1e3
    );
    if let Some(argo) = o.checkov.then_some(()).and(o.shared.as_ref()) {
        let _ = writeln!(r, "\n## Against checkov\n");
        r.push_str(&checkov(&argo.join("argo-examples"), o.runs));
    }
    r
}

/// `benches/checkov.py`: checkov and this pipelint on the same Argo files, side by side
/// (checkov is installed into a throwaway virtualenv on first use, never a dependency).
fn checkov(dir: &Path, runs: usize) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/checkov.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--runs", &runs.to_string(), "--corpus"])
        .arg(dir)
        .arg("--pipelint")
        .arg(pipelint())
        .stderr(Stdio::inherit())
        .output();
    match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => format!(
            "benches/checkov.py failed ({}): no checkov figures\n",
            out.status
        ),
        Err(e) => format!("python3 could not be run ({e}): no checkov figures\n"),
    }
}
