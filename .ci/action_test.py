"""Runs the shell steps of action.yml the way a GitHub runner does, on this machine:

    python3 .ci/action_test.py WHEEL_DIR

Each `run:` step gets its `env:` with the `${{ inputs.* }}` and `${{ steps.*.outputs.* }}`
expressions filled in, `GITHUB_OUTPUT`, `GITHUB_ACTION_PATH` and `RUNNER_TEMP`, and runs in a
throwaway repository with a bad and a clean pipeline. The `uses:` steps are not run:
setup-python stands for this Python, and the SARIF upload is checked by what it would be
given. pipelint comes from WHEEL_DIR through the action's `version:` input (pip finds the
wheel there, no index), so the install step is the one users run with a release.
Needs PyYAML (pre-commit's dependency, in CI's venv).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

EXPR = re.compile(r"\$\{\{\s*(inputs|steps)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?\s*\}\}")

ACTION = yaml.safe_load(Path("action.yml").read_text())
BAD = Path("testdata/examples/argo-training-workflow.yaml").read_text()


def run_action(inputs: dict, work: Path, repo: Path, wheel_dir: Path) -> dict:
    """Runs the action's steps in order; returns {"steps": outputs, "log": ..., "exit": code,
    "upload": the upload step's `with:` or None}."""
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    values.update(inputs)
    outputs = {"python": {"python-path": sys.executable}}
    log, upload = "", None

    def fill(text: str) -> str:
        def one(m: re.Match) -> str:
            if m.group(1) == "inputs":
                return values[m.group(2)]
            return outputs.get(m.group(2), {}).get(m.group(3), "")

        return EXPR.sub(one, text)

    for step in ACTION["runs"]["steps"]:
        cond = step.get("if")
        if cond is not None:
            m = re.fullmatch(r"inputs\.([a-z-]+) == '([^']*)'", cond)
            assert m, f"a condition this test does not read: {cond}"
            if values[m.group(1)] != m.group(2):
                continue
        if "uses" in step:
            if "upload-sarif" in step["uses"]:
                upload = {k: fill(v) for k, v in step["with"].items()}
            continue
        out_file = work / f"output-{step['id'] if 'id' in step else len(outputs)}"
        out_file.write_text("")
        env = {
            **os.environ,
            "GITHUB_OUTPUT": str(out_file),
            "GITHUB_ACTION_PATH": str(Path.cwd()),
            "RUNNER_TEMP": str(work / "runner-temp"),
            # The `version:` install finds the wheel here instead of on PyPI.
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheel_dir.resolve()),
        }
        env.update({k: fill(str(v)) for k, v in step.get("env", {}).items()})
        assert step["shell"] == "bash"
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo, env=env, capture_output=True, text=True,
        )
        log += proc.stdout + proc.stderr
        if "id" in step:
            outputs[step["id"]] = dict(
                line.split("=", 1) for line in out_file.read_text().splitlines() if line
            )
        if proc.returncode != 0:
            return {"steps": outputs, "log": log, "exit": proc.returncode, "upload": upload}
    return {"steps": outputs, "log": log, "exit": 0, "upload": upload}


def main(wheel_dir: Path) -> None:
    version = next(
        line.split('"')[1] for line in Path("Cargo.toml").read_text().splitlines()
        if line.startswith("version = ")
    )
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repo = work / "repo"
        (repo / "pipelines").mkdir(parents=True)
        (repo / "clean").mkdir()
        (repo / ".git").mkdir()  # the repository root, for relative paths in reports
        (repo / "pipelines/bad.yaml").write_text(BAD)
        (repo / "values.yaml").write_text("replicas: 2\n")
        (repo / "relaxed.yaml").write_text("rules:\n  unpinned-image: {severity: warning}\n")

        def case(name: str, inputs: dict, want_exit: int, check=None) -> None:
            # One RUNNER_TEMP for every case, as on one runner: later installs find the venv.
            (work / "runner-temp").mkdir(exist_ok=True)
            result = run_action({"version": version, **inputs}, work, repo, wheel_dir)
            problem = None
            if result["exit"] != want_exit:
                problem = f"exit {result['exit']}, want {want_exit}"
            elif check is not None:
                problem = check(result)
            print(f"action, {name}: {'ok' if problem is None else problem}")
            if problem is not None:
                failures.append(name)
                print("    " + result["log"].replace("\n", "\n    "))

        def annotations(result: dict):
            if "::error file=pipelines/bad.yaml,line=" not in result["log"]:
                return "no error annotation on pipelines/bad.yaml"
            if "values.yaml" in result["log"]:
                return "annotated a file that is not a pipeline"
            if result["upload"] is not None:
                return "uploaded SARIF without `sarif: true`"
            return None

        case("defaults: annotations, fails on errors", {}, 1, annotations)

        def sarif(result: dict):
            upload = result["upload"]
            if upload is None:
                return "no upload step"
            path = repo / upload["sarif_file"]
            if upload["category"] != "pipelint" or not path.is_file():
                return f"upload given {upload}"
            report = json.loads(path.read_text())
            uris = {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in report["runs"][0]["results"]
            }
            if uris != {"pipelines/bad.yaml"}:
                return f"SARIF results in {uris}"
            if result["steps"]["sarif"].get("file") != upload["sarif_file"]:
                return "the sarif-file output is not the uploaded file"
            return None

        case("sarif: true, two paths on two lines", {"sarif": "true", "paths": "pipelines\nclean"}, 1, sarif)
        case(
            "fail-on never, compact format",
            {"fail-on": "never", "format": "compact"},
            0,
            lambda r: None if "pipelines/bad.yaml:" in r["log"] and "::" not in r["log"] else "not the compact report",
        )
        case(
            "config: unpinned-image as a warning, so no error",
            {"config": "relaxed.yaml"},
            0,
            lambda r: None if "title=pipelint(unpinned-image)" in r["log"] and "::error" not in r["log"] else "the config was not applied",
        )
        case(
            "a path with a glob character is not expanded",
            {"paths": "pipelines/*.yaml"},
            2,
        )
        case(
            "version that is not a release is refused before pip",
            {"version": "0.1.0; rm -rf /"},
            2,
            lambda r: None if "must be a release" in r["log"] else "no message about the version",
        )
    if failures:
        raise SystemExit(f"action.yml: {len(failures)} case(s) failed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
