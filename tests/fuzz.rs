//! The fuzz targets of `fuzz/` on the stable toolchain: a deterministic mutation fuzzer over
//! the seed corpus (`testdata/`, `../shared/corpus` when present, `fuzz/regressions/`), and
//! a replay of every saved crash.
//!
//! `cargo test` runs a short, fixed number of iterations. CI runs each target for a bounded
//! time: `PIPELINT_FUZZ_SECONDS=60 cargo test --test fuzz` (and `PIPELINT_FUZZ_SEED` to vary
//! the seed). A crashing input is written to `target/fuzz-crashes/<target>/`; copy it to
//! `fuzz/regressions/<target>/` (minimised, and never a copy of a corpus file) so that it is
//! replayed forever. On nightly, `cargo fuzz run <target>` runs the same targets under
//! libFuzzer (see `fuzz/README.md`).

mod common;

#[path = "../fuzz/targets.rs"]
mod targets;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{repo_root, shared_dir};

/// Seeds larger than this are skipped (debug builds are slow on them, and size is not what
/// finds bugs).
const MAX_SEED: u64 = 48 * 1024;
/// Mutated inputs are cut to this length.
const MAX_INPUT: usize = 64 * 1024;
/// Iterations per target in a plain `cargo test`.
const DEFAULT_ITERATIONS: u64 = 150;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>, max_size: u64) {
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() && meta.len() <= max_size {
                out.push(path);
            }
        }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    files_under(&repo_root().join("testdata"), &mut paths, MAX_SEED);
    files_under(&repo_root().join("fuzz/regressions"), &mut paths, MAX_SEED);
    if let Some(shared) = shared_dir() {
        files_under(&shared.join("corpus"), &mut paths, MAX_SEED);
    }
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(seeds.len() > 50, "the seed corpus is missing");
    seeds
}

/// Tokens from `fuzz/yaml.dict` (libFuzzer's format: one quoted string a line).
fn dictionary() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo_root().join("fuzz/yaml.dict")).unwrap();
    text.lines()
        .filter_map(|line| {
            let quoted = line.trim().strip_prefix('"')?.strip_suffix('"')?;
            let mut out = Vec::new();
            let mut bytes = quoted.bytes();
            while let Some(b) = bytes.next() {
                match (b, bytes.clone().next()) {
                    (b'\\', Some(b'x')) => {
                        bytes.next();
                        let hex: String = bytes.by_ref().take(2).map(char::from).collect();
                        out.push(u8::from_str_radix(&hex, 16).ok()?);
                    }
                    (b'\\', Some(c)) => {
                        bytes.next();
                        out.push(c);
                    }
                    _ => out.push(b),
                }
            }
            Some(out)
        })
        .collect()
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[Vec<u8>]) {
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        let at = rng.below(len + 1);
        match rng.below(9) {
            0 if len > 0 => input[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => input[at.min(len - 1)] = rng.next() as u8,
            2 => {
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                input.drain(at.min(end)..end);
            }
            4 if len > 0 => {
                // Repeat a chunk: deep nesting, long runs, many entries.
                let start = rng.below(len);
                let end = (start + 1 + rng.below(32)).min(len);
                let chunk = input[start..end].to_vec();
                for _ in 0..1 + rng.below(200) {
                    input.splice(at..at, chunk.iter().copied());
                }
            }
            5 | 6 if !dict.is_empty() => {
                let token = &dict[rng.below(dict.len())];
                input.splice(at..at, token.iter().copied());
            }
            7 if !seeds.is_empty() => {
                // Splice a piece of another seed in.
                let other = &seeds[rng.below(seeds.len())];
                let start = rng.below(other.len());
                let end = (start + rng.below(512)).min(other.len());
                input.splice(at..at, other[start..end].iter().copied());
            }
            _ => input.truncate(at),
        }
    }
    input.truncate(MAX_INPUT);
}

fn crash_dir(target: &str) -> PathBuf {
    repo_root().join("target/fuzz-crashes").join(target)
}

/// Runs `target` on `input`; on a panic, saves the input and returns where.
fn run_one(name: &str, target: fn(&[u8]), input: &[u8]) -> Result<(), PathBuf> {
    if catch_unwind(AssertUnwindSafe(|| target(input))).is_ok() {
        return Ok(());
    }
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let dir = crash_dir(name);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("crash-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    Err(path)
}

fn fuzz(name: &str) {
    let target = targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap();
    let seeds = seeds();
    let dict = dictionary();
    let seconds: Option<u64> = std::env::var("PIPELINT_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let seed: u64 = std::env::var("PIPELINT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut rng = Rng(seed ^ name.len() as u64 ^ 0x9e37_79b9_7f4a_7c15);
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut crashes = Vec::new();
    let mut iterations = 0u64;
    loop {
        match deadline {
            Some(d) if Instant::now() >= d => break,
            None if iterations >= DEFAULT_ITERATIONS => break,
            _ => {}
        }
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut input, &seeds, &dict);
        if let Err(path) = run_one(name, target, &input) {
            crashes.push(path);
            if crashes.len() >= 5 {
                break;
            }
        }
        iterations += 1;
    }
    eprintln!("fuzz target `{name}`: {iterations} inputs, seed {seed}");
    assert!(
        crashes.is_empty(),
        "fuzz target `{name}` crashed on {} input(s), saved as {:?}; minimise them into fuzz/regressions/{name}/",
        crashes.len(),
        crashes
    );
}

#[test]
fn fuzz_yaml() {
    fuzz("yaml");
}

#[test]
fn fuzz_lint() {
    fuzz("lint");
}

#[test]
fn fuzz_config() {
    fuzz("config");
}

#[test]
fn fuzz_scanners() {
    fuzz("scanners");
}

/// Every saved crash, through every target.
#[test]
fn regressions_replay() {
    let mut files = Vec::new();
    files_under(&repo_root().join("fuzz/regressions"), &mut files, u64::MAX);
    assert!(!files.is_empty(), "fuzz/regressions/ is empty");
    let mut failed = Vec::new();
    for path in &files {
        let input = std::fs::read(path).unwrap();
        for (name, target) in targets::TARGETS {
            if run_one(name, *target, &input).is_err() {
                failed.push(format!("{} ({name})", path.display()));
            }
        }
    }
    assert!(failed.is_empty(), "regressions crash again: {failed:?}");
}
