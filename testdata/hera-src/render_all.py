"""Render every Hera workflow in this folder to YAML, then add markers.

Usage (normally through regenerate.sh, which provides the pinned venv):

    python render_all.py [workflow.py ...]

Each workflow module declares at module level:

    WORKFLOW = w                    # the hera Workflow / WorkflowTemplate / CronWorkflow
    OUTPUT = "testdata/..."         # where the fixture goes, relative to the repo root
    EXPECT = [(template, path, rule_id), ...]

An EXPECT entry points into the template named `template` (`spec.templates`, or
`spec.workflowSpec.templates` for a CronWorkflow); `path` walks down from there (see
testdata/fixturegen/expect_markers.py), e.g. `("train", "container/image", ...)`,
`("train", "script", ...)`, `("train", "sidecars[otel]", ...)`,
`("evaluate", "containerSet/containers[score]/resources/limits", ...)`. The anchor
`@workflow` names the whole document instead, for workflow-level keys:
`("@workflow", "spec/retryStrategy", ...)`, `("@workflow", "spec/templateDefaults/retryStrategy", ...)`.
Pass fixtures have `EXPECT = []`.

The output is exactly `WORKFLOW.to_yaml()` plus markers appended to the expected lines.
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent / "fixturegen"))

from expect_markers import (
    MarkerError,
    annotate,
    list_item_named,
    mapping_get,
    marker_lines,
)  # noqa: E402


def resolve_template(documents, anchor):
    """The `spec.templates` item named `anchor` (under workflowSpec for a CronWorkflow),
    or the whole document for `@workflow`."""
    if anchor == "@workflow":
        return documents[0]
    spec = mapping_get(documents[0], "spec")
    if spec is None:
        raise MarkerError("no spec")
    spec = spec[1]
    nested = mapping_get(spec, "workflowSpec")
    if nested is not None:
        spec = nested[1]
    templates = mapping_get(spec, "templates")
    item = list_item_named(templates[1], anchor) if templates else None
    if item is None:
        raise MarkerError(f"no template named {anchor!r}")
    return item


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"hera_fixture_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(path: Path, module) -> None:
    text = module.WORKFLOW.to_yaml()
    try:
        text = annotate(text, module.EXPECT, resolve_template)
    except MarkerError as e:
        raise SystemExit(f"{path.name}: {e}")
    out = REPO / module.OUTPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{path.name} -> {module.OUTPUT}")
    for line in marker_lines(text):
        print(f"    {line}")


def main(argv):
    sources = [Path(a).resolve() for a in argv] or sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name
    )
    modules = [(path, load(path)) for path in sources]
    outputs = [module.OUTPUT for _, module in modules]
    if len(set(outputs)) != len(outputs):
        raise SystemExit(f"two workflows write the same OUTPUT: {sorted(outputs)}")
    for path, module in modules:
        build(path, module)


if __name__ == "__main__":
    main(sys.argv[1:])
