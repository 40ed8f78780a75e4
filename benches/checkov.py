#!/usr/bin/env python3
"""pipelint and checkov on the same Argo files, side by side (BENCHMARKS.md).

    python3 benches/checkov.py                # ../shared/corpus/argo-examples, 5 runs each
    python3 benches/checkov.py --runs 9 --corpus DIR

checkov is installed from PyPI into a throwaway virtualenv outside the repository
(default: $TMPDIR/pipelint-checkov-venv; --checkov PATH uses another binary); it is never a
dependency of pipelint. pipelint is the release binary (built with `cargo build --release`
when missing; --pipelint PATH uses another). The runs are interleaved, one of each per round,
after one warm-up round, because this machine is shared and drifts; medians are printed.
Both tools write JSON to /dev/null: `checkov -d DIR --framework argo_workflows -o json` and
`pipelint check --format json DIR`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def checkov_bin(venv):
    exe = os.path.join(venv, "bin", "checkov")
    if not os.path.exists(exe):
        print(f"installing checkov into {venv} (throwaway virtualenv)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run(
            [os.path.join(venv, "bin", "pip"), "install", "--quiet",
             "--disable-pip-version-check", "checkov"],
            check=True,
        )
    return exe


def pipelint_bin():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "release", "pipelint")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    return exe


def measure(argv):
    """Wall seconds and peak RSS (MB) of one run, output to /dev/null."""
    with open(os.devnull, "w") as null:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{argv[0]} failed with exit code {code}")
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "argo-examples"))
    ap.add_argument("--checkov")
    ap.add_argument("--pipelint")
    ap.add_argument("--venv", default=os.path.join(tempfile.gettempdir(), "pipelint-checkov-venv"))
    args = ap.parse_args()
    corpus = os.path.abspath(args.corpus)
    files = sum(
        1 for d, _, fs in os.walk(corpus) for f in fs if f.endswith((".yaml", ".yml", ".json"))
    )
    checkov = args.checkov or checkov_bin(args.venv)
    pipelint = args.pipelint or pipelint_bin()
    version = subprocess.run([checkov, "--version"], capture_output=True, text=True).stdout.strip()
    tools = {
        f"checkov {version}": [checkov, "-d", corpus, "--framework", "argo_workflows",
                               "-o", "json", "--quiet"],
        "pipelint": [pipelint, "check", "--format", "json", corpus],
    }
    samples = {name: [] for name in tools}
    for round_ in range(args.runs + 1):
        for name, argv in tools.items():
            s = measure(argv)
            if round_ > 0:
                samples[name].append(s)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    shown = os.path.relpath(corpus, ROOT)
    print(f"{files} files in {shown}; medians of {args.runs} interleaved runs; load average {load}")
    print("| tool | wall ms (min-max) | peak RSS MB |")
    print("|---|---:|---:|")
    med = {}
    for name, s in samples.items():
        walls = [w for w, _ in s]
        med[name] = statistics.median(walls)
        print(f"| {name} | {med[name] * 1e3:.0f} ({min(walls) * 1e3:.0f}-{max(walls) * 1e3:.0f}) "
              f"| {statistics.median(r for _, r in s):.0f} |")
    names = list(tools)
    ratio = med[names[0]] / med[names[1]]
    verdict = "met" if ratio >= 100 else "MISSED"
    print(f"pipelint is {ratio:.0f}x faster than checkov (target >= 100x: {verdict})")


if __name__ == "__main__":
    main()
