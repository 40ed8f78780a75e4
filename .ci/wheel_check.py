"""Checks a pipelint wheel the way PyPI and pip will see it:

    python3 .ci/wheel_check.py WHEEL

Its metadata (name, version from Cargo.toml, licence, the README as description,
classifiers, project URLs, no dependencies) and its contents: the `pipelint` binary as its
one script, the licence, maturin's SBOM, and nothing else (the `pipelint-lsp` workspace member is a library
inside that binary, never a file of its own). Standard library only (Python 3.11+).
"""

import email.parser
import re
import sys
import tomllib
import zipfile
from pathlib import Path


def main(wheel_path: Path) -> None:
    cargo = tomllib.loads(Path("Cargo.toml").read_text())["package"]
    version = cargo["version"]
    problems = []

    def want(cond: bool, what: str) -> None:
        if not cond:
            problems.append(what)

    with zipfile.ZipFile(wheel_path) as wheel:
        names = sorted(wheel.namelist())
        dist_info = f"pipelint-{version}.dist-info"
        meta = email.parser.Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        wheel_tags = wheel.read(f"{dist_info}/WHEEL").decode()
        binary = f"pipelint-{version}.data/scripts/pipelint"
        want(
            binary in names and wheel.getinfo(binary).external_attr >> 16 & 0o111 != 0,
            f"{binary}: missing or not executable",
        )

    expected = {
        binary,
        f"{dist_info}/METADATA",
        f"{dist_info}/WHEEL",
        f"{dist_info}/RECORD",
        f"{dist_info}/licenses/LICENSE",
    }
    # maturin adds a CycloneDX SBOM of the crates compiled in (dist-info/sboms/).
    extra = [n for n in names if n not in expected and not n.startswith(f"{dist_info}/sboms/")]
    want(not extra and expected <= set(names), f"files: {names}, want {sorted(expected)} and SBOMs")
    want(meta["Name"] == "pipelint", f"Name: {meta['Name']}")
    want(meta["Version"] == version, f"Version: {meta['Version']}, Cargo.toml says {version}")
    want(meta["License-Expression"] == cargo["license"], f"License-Expression: {meta['License-Expression']}")
    want(meta["Summary"] == cargo["description"], f"Summary: {meta['Summary']}")
    want(
        meta["Description-Content-Type"].startswith("text/markdown")
        and meta.get_payload().strip() == Path("README.md").read_text().strip(),
        "the description is not the README (markdown)",
    )
    classifiers = meta.get_all("Classifier") or []
    want("Programming Language :: Rust" in classifiers, f"Classifier: {classifiers}")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    want(urls.get("Repository") == cargo["repository"], f"Project-URL: {urls}")
    want(not meta.get_all("Requires-Dist"), "the binary needs no Python dependency")
    # A platform wheel for any Python: py3-none-<platform>.
    want(re.search(r"^Tag: py3-none-(?!any)\S+$", wheel_tags, re.M) is not None, f"WHEEL tags: {wheel_tags}")

    if problems:
        print(f"{wheel_path.name}:", *problems, sep="\n    ")
        raise SystemExit(1)
    print(f"{wheel_path.name}: metadata and contents as expected ({len(names)} files)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
