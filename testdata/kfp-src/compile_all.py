"""Compile every pipeline in this folder with the real KFP compiler, then add markers.

Usage (normally through regenerate.sh, which provides the pinned venv):

    python compile_all.py [pipeline.py ...]

Each pipeline module declares at module level:

    PIPELINE = my_pipeline          # the @dsl.pipeline to compile
    OUTPUT = "testdata/..."         # where the fixture goes, relative to the repo root
    EXPECT = [(executor, path, rule_id), ...]

An EXPECT entry's anchor is one of:

* an executor label: `path` walks down from `deploymentSpec.executors.<executor>` (see
  testdata/fixturegen/expect_markers.py), e.g.
  `("exec-train", "container/image", "unpinned-image")`,
  `("exec-train", "container/resources", "missing-resource-limits")`,
  `("exec-train", "container/env[CHECKPOINT_SAVE_SECONDS]/value", ...)`, or a line inside
  the bootstrap script, `("exec-train", "container/command/?'kfp==2.13.0'", ...)`;
* `@pipeline`: `path` walks down from the top of the PipelineSpec document, e.g. a task's
  key line `("@pipeline", "root/dag/tasks/download-data", ...)`, its caching switch
  `("@pipeline", "root/dag/tasks/train/cachingOptions/enableCache", ...)`, its
  `retryPolicy` key, a task of a nested DAG
  (`"components/comp-for-loop-2/dag/tasks/fetch"`), or `"sdkVersion"`;
* `@platform`: `path` walks down from the top of the PlatformSpec document, e.g.
  `("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-train/podMetadata/"
  "annotations/pipelint.dev~1checkpoint-seconds", ...)` (`~1` stands for `/` in a key).

Pass fixtures have `EXPECT = []`.

The output is the compiler's text, byte for byte (including its `# PIPELINE DEFINITION`
header and any PlatformSpec document), plus markers appended to the expected lines.
"""

import importlib.util
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent / "fixturegen"))

from expect_markers import MarkerError, annotate, mapping_get, marker_lines  # noqa: E402
from kfp import compiler  # noqa: E402

# Pass fixtures set base_image on purpose; fail fixtures rely on the SDK default on
# purpose. Either way the SDK's notice that the default will change is noise here.
warnings.filterwarnings("ignore", message="The default base_image used by")


def resolve_executor(documents, anchor):
    """The node an EXPECT anchor names: `@pipeline` (the PipelineSpec document),
    `@platform` (the PlatformSpec document), else `deploymentSpec.executors.<anchor>`."""
    node = documents[0]  # the PipelineSpec; a PlatformSpec, if any, is documents[1]
    if anchor == "@pipeline":
        return node
    if anchor == "@platform":
        if len(documents) < 2:
            raise MarkerError("no PlatformSpec document")
        return documents[1]
    for key in ("deploymentSpec", "executors", anchor):
        found = mapping_get(node, key)
        if found is None:
            raise MarkerError(f"no executor {anchor!r} (missing {key!r})")
        node = found[1]
    return node


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"kfp_fixture_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(path: Path, module) -> None:
    out = REPO / module.OUTPUT
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(module.PIPELINE, str(compiled))
        text = compiled.read_text(encoding="utf-8")
    try:
        text = annotate(text, module.EXPECT, resolve_executor)
    except MarkerError as e:
        raise SystemExit(f"{path.name}: {e}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{path.name} -> {module.OUTPUT}")
    for line in marker_lines(text):
        print(f"    {line}")


def main(argv):
    # This folder's pipelines, and the Python beside rule fixtures that read it
    # (testdata/rules/<rule>/python/*.py, e.g. the repository's code for
    # stale-compiled-pipeline).
    sources = [Path(a).resolve() for a in argv] or sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name
    ) + sorted(HERE.parent.glob("rules/*/python/*.py"))
    modules = [(path, load(path)) for path in sources]
    outputs = [module.OUTPUT for _, module in modules]
    if len(set(outputs)) != len(outputs):
        raise SystemExit(f"two pipelines write the same OUTPUT: {sorted(outputs)}")
    for path, module in modules:
        build(path, module)


if __name__ == "__main__":
    main(sys.argv[1:])
