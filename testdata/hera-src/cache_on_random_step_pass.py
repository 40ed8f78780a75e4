"""cache-on-random-step, passing: memoized Hera scripts that are seeded.

* shuffle-rows: `random.seed(seed)` from an input that is part of the memoize key;
* sample-rows: `np.random.default_rng(seed)`, same.
"""

from hera.workflows import DAG, Workflow, script
from hera.workflows.models import Cache, LocalObjectReference, Memoize

OUTPUT = "testdata/rules/cache-on-random-step/pass-hera.yaml"
EXPECT = []

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"


def memo(name):
    return Memoize(
        key=name + "-{{inputs.parameters.table}}-{{inputs.parameters.seed}}",
        max_age="24h",
        cache=Cache(config_map=LocalObjectReference(name="batch-cache")),
    )


@script(image=PYTHON, memoize=memo("shuffle-rows"))
def shuffle_rows(table: str, seed: int):
    import json
    import random

    random.seed(seed)
    with open(f"/data/{table}.json") as f:
        rows = json.load(f)
    random.shuffle(rows)
    print(json.dumps(rows[:500]))


@script(image=PYTHON, memoize=memo("sample-rows"))
def sample_rows(table: str, seed: int):
    import json

    import numpy as np

    rng = np.random.default_rng(seed)
    with open(f"/data/{table}.json") as f:
        rows = json.load(f)
    print(json.dumps(rng.choice(rows, size=100, replace=False).tolist()))


with Workflow(generate_name="labeling-batch-", entrypoint="main") as w:
    with DAG(name="main"):
        t = {"table": "support_tickets", "seed": 7}
        shuffle_rows(arguments=t) >> sample_rows(arguments=t)

WORKFLOW = w
