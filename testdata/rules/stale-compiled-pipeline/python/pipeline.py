"""stale-compiled-pipeline: the repository's current code of the `stale-demo` pipeline.

pass-kfp.yaml is compiled from this file (testdata/kfp-src/regenerate.sh compiles the
`python/` folders of rule fixtures too); fail-kfp.yaml from an older copy in
testdata/kfp-src/stale_compiled_pipeline_fail.py, before `featurize` dropped empty rows.
"""

from kfp import dsl

OUTPUT = "testdata/rules/stale-compiled-pipeline/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def load(rows: int) -> int:
    return rows


@dsl.component(base_image=PYTHON)
def featurize(rows: int) -> int:
    return max(rows, 1) * 2


@dsl.pipeline(name="stale-demo")
def stale_demo(rows: int = 10):
    loaded = load(rows=rows)
    featurize(rows=loaded.output)


PIPELINE = stale_demo
