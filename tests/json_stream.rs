//! `check --format json` on standard output is written file by file (memory stays flat
//! however many files a run has); with `--min-severity` it takes the whole-report path. Both
//! must print the same bytes, on every thread count.

use std::path::Path;
use std::process::Command;

fn json(args: &[&str], dir: &Path) -> (Vec<u8>, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelint"))
        .args(["check", "--format", "json"])
        .args(args)
        .arg(dir)
        .output()
        .expect("run pipelint");
    (out.stdout, out.status.code())
}

#[test]
fn streamed_json_is_the_whole_report_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("testdata")];
    let shared = root.join("../shared/corpus");
    if shared.is_dir() {
        dirs.push(shared);
    }
    let empty = std::env::temp_dir().join(format!("pipelint-json-stream-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    dirs.push(empty.clone());
    for dir in &dirs {
        // `--min-severity info` hides nothing but takes the whole-report path.
        let (whole, code) = json(&["--min-severity", "info"], dir);
        assert!(!whole.is_empty(), "{}: no output", dir.display());
        for jobs in ["1", "2", "3"] {
            let (streamed, streamed_code) = json(&["-j", jobs], dir);
            assert_eq!(code, streamed_code, "{}: exit code", dir.display());
            assert!(
                whole == streamed,
                "{} (-j {jobs}): the streamed JSON differs from the whole report",
                dir.display()
            );
        }
        let (quiet, _) = json(&["--quiet", "--fail-on", "never", "-o", "-"], dir);
        assert!(whole == quiet, "{}: -o - --quiet", dir.display());
    }
    std::fs::remove_dir_all(&empty).unwrap();
}
