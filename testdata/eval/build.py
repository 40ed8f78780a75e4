"""Build the evaluation set: compile/render the pipelines and resolve their labels to lines.

Usage (normally through regenerate.sh, which provides the pinned venvs):

    python build.py kfp   OUTDIR   # kfp venv: compile kfp-src/*.py, write OUTDIR/kfp.tsv
    python build.py hera  OUTDIR   # hera venv: render hera-src/*.py, write OUTDIR/hera.tsv
    python build.py argo  OUTDIR   # any venv with PyYAML: resolve argo_labels.py, OUTDIR/argo.tsv
    python build.py merge OUTDIR   # join the three into labels.tsv

Each source declares `OUTPUT` (a path relative to this folder) and
`LABELS = [(anchor, path, rule, note), ...]`; the hand-written Argo files have theirs in
argo_labels.py. An anchor and path name the line exactly as the fixtures' EXPECT entries do
(testdata/fixturegen/expect_markers.py, testdata/kfp-src/compile_all.py,
testdata/hera-src/render_all.py); they are resolved with PyYAML's composer, so a label
never lands on a line by accident. Nothing is written into the pipeline files: the eval
files carry no markers.
"""

import importlib.util
import sys
import tempfile
import warnings
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fixturegen"))

from expect_markers import MarkerError, list_item_named, mapping_get, resolve_lines  # noqa: E402

RULES = {
    "io-step-without-retry",
    "retry-on-non-idempotent-step",
    "unbounded-retry",
    "cache-on-random-step",
    "grace-period-shorter-than-checkpoint",
    "sdk-backend-version-mismatch",
}


def kfp_anchor(documents, anchor):
    """`@pipeline`, `@platform`, or an executor label (as in compile_all.py)."""
    if anchor == "@pipeline":
        return documents[0]
    if anchor == "@platform":
        if len(documents) < 2:
            raise MarkerError("no PlatformSpec document")
        return documents[1]
    node = documents[0]
    for key in ("deploymentSpec", "executors", anchor):
        found = mapping_get(node, key)
        if found is None:
            raise MarkerError(f"no executor {anchor!r}")
        node = found[1]
    return node


def argo_anchor(documents, anchor):
    """`@workflow`, or a template name (under workflowSpec for a CronWorkflow)."""
    if anchor == "@workflow":
        return documents[0]
    spec = mapping_get(documents[0], "spec")[1]
    nested = mapping_get(spec, "workflowSpec")
    if nested is not None:
        spec = nested[1]
    templates = mapping_get(spec, "templates")
    item = list_item_named(templates[1], anchor) if templates else None
    if item is None:
        raise MarkerError(f"no template named {anchor!r}")
    return item


def rows_for(rel: str, text: str, labels, resolver):
    if "# expect:" in text:
        raise SystemExit(f"{rel}: evaluation files carry no `# expect:` markers")
    for _, _, rule, note in labels:
        if rule not in RULES:
            raise SystemExit(f"{rel}: unknown rule {rule!r}")
        if not note or "\t" in note or "\n" in note:
            raise SystemExit(f"{rel}: every label needs a one-line note")
    try:
        lines = resolve_lines(text, labels, resolver)
    except MarkerError as e:
        raise SystemExit(f"{rel}: {e}")
    return [(rel, line + 1, rule, note) for (line, _), (_, _, rule, note) in zip(lines, labels)]


def load(path: Path, prefix: str):
    spec = importlib.util.spec_from_file_location(f"{prefix}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_rows(out: Path, rows) -> None:
    out.write_text("".join(f"{f}\t{line}\t{rule}\t{note}\n" for f, line, rule, note in rows), encoding="utf-8")


def sources(folder: str):
    paths = sorted((HERE / folder).glob("*.py"))
    if not paths:
        raise SystemExit(f"no sources in {folder}/")
    return paths


def build_kfp(outdir: Path) -> None:
    from kfp import compiler

    warnings.filterwarnings("ignore", message="The default base_image used by")
    rows = []
    for path in sources("kfp-src"):
        module = load(path, "eval_kfp")
        with tempfile.TemporaryDirectory() as tmp:
            compiled = Path(tmp) / "pipeline.yaml"
            compiler.Compiler().compile(module.PIPELINE, str(compiled))
            text = compiled.read_text(encoding="utf-8")
        (HERE / module.OUTPUT).parent.mkdir(parents=True, exist_ok=True)
        (HERE / module.OUTPUT).write_text(text, encoding="utf-8")
        rows += rows_for(module.OUTPUT, text, module.LABELS, kfp_anchor)
        print(f"{path.name} -> {module.OUTPUT} ({len(module.LABELS)} labels)")
    write_rows(outdir / "kfp.tsv", rows)


def build_hera(outdir: Path) -> None:
    rows = []
    for path in sources("hera-src"):
        module = load(path, "eval_hera")
        text = module.WORKFLOW.to_yaml()
        (HERE / module.OUTPUT).parent.mkdir(parents=True, exist_ok=True)
        (HERE / module.OUTPUT).write_text(text, encoding="utf-8")
        rows += rows_for(module.OUTPUT, text, module.LABELS, argo_anchor)
        print(f"{path.name} -> {module.OUTPUT} ({len(module.LABELS)} labels)")
    write_rows(outdir / "hera.tsv", rows)


def build_argo(outdir: Path) -> None:
    spec = load(HERE / "argo_labels.py", "eval_argo")
    files = sorted(p.relative_to(HERE).as_posix() for p in (HERE / "argo").glob("*.yaml"))
    if sorted(spec.LABELS) != files:
        raise SystemExit(f"argo_labels.py must list every argo/*.yaml exactly: {files}")
    rows = []
    for rel in files:
        text = (HERE / rel).read_text(encoding="utf-8")
        rows += rows_for(rel, text, spec.LABELS[rel], argo_anchor)
    write_rows(outdir / "argo.tsv", rows)
    print(f"argo_labels.py: {len(files)} files, {len(rows)} labels")


def merge(outdir: Path) -> None:
    rows = []
    for name in ("kfp.tsv", "hera.tsv", "argo.tsv"):
        for line in (outdir / name).read_text(encoding="utf-8").splitlines():
            f, n, rule, note = line.split("\t")
            rows.append((f, int(n), rule, note))
    keys = [(f, n, rule) for f, n, rule, _ in rows]
    if len(set(keys)) != len(keys):
        raise SystemExit("two labels for the same file, line and rule")
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    header = "file\tline\trule\tnote\n"
    body = "".join(f"{f}\t{n}\t{rule}\t{note}\n" for f, n, rule, note in rows)
    (HERE / "labels.tsv").write_text(header + body, encoding="utf-8")
    counts = {}
    for _, _, rule, _ in rows:
        counts[rule] = counts.get(rule, 0) + 1
    print(f"labels.tsv: {len(rows)} labels " + ", ".join(f"{r}={counts.get(r, 0)}" for r in sorted(RULES)))


def main(argv):
    if len(argv) != 2 or argv[0] not in ("kfp", "hera", "argo", "merge"):
        raise SystemExit(__doc__)
    outdir = Path(argv[1])
    {"kfp": build_kfp, "hera": build_hera, "argo": build_argo, "merge": merge}[argv[0]](outdir)


if __name__ == "__main__":
    main(sys.argv[1:])
