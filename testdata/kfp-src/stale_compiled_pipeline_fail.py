"""stale-compiled-pipeline, failing: the IR compiled from this (older) code, while the
repository's function (testdata/rules/stale-compiled-pipeline/python/pipeline.py) has
changed since: `featurize` now drops empty rows. The test scans that folder only.
"""

from kfp import dsl

OUTPUT = "testdata/rules/stale-compiled-pipeline/fail-kfp.yaml"
EXPECT = [
    ("@pipeline", "root/dag/tasks/featurize", "stale-compiled-pipeline"),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def load(rows: int) -> int:
    return rows


@dsl.component(base_image=PYTHON)
def featurize(rows: int) -> int:
    return rows * 2


@dsl.pipeline(name="stale-demo")
def stale_demo(rows: int = 10):
    loaded = load(rows=rows)
    featurize(rows=loaded.output)


PIPELINE = stale_demo
