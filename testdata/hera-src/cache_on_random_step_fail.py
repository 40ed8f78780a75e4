"""cache-on-random-step, failing: memoized Hera scripts with unseeded randomness.

* shuffle-rows: `import random as rnd; rnd.shuffle(...)`, no seed;
* tag-batch: `from uuid import uuid4` names the batch.
count-rows is memoized and deterministic.
"""

from hera.workflows import DAG, Workflow, script
from hera.workflows.models import Cache, LocalObjectReference, Memoize

OUTPUT = "testdata/rules/cache-on-random-step/fail-hera.yaml"
EXPECT = [
    ("shuffle-rows", "memoize", "cache-on-random-step"),
    ("tag-batch", "memoize", "cache-on-random-step"),
]

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"


def memo(name):
    return Memoize(
        key=name + "-{{inputs.parameters.table}}",
        max_age="24h",
        cache=Cache(config_map=LocalObjectReference(name="batch-cache")),
    )


@script(image=PYTHON, memoize=memo("shuffle-rows"))
def shuffle_rows(table: str):
    import json
    import random as rnd

    with open(f"/data/{table}.json") as f:
        rows = json.load(f)
    rnd.shuffle(rows)
    print(json.dumps(rows[:500]))


@script(image=PYTHON, memoize=memo("tag-batch"))
def tag_batch(table: str):
    from uuid import uuid4

    print(f"{table}-{uuid4().hex[:12]}")


@script(image=PYTHON, memoize=memo("count-rows"))
def count_rows(table: str):
    import json

    with open(f"/data/{table}.json") as f:
        print(len(json.load(f)))


with Workflow(generate_name="labeling-batch-", entrypoint="main") as w:
    with DAG(name="main"):
        t = {"table": "support_tickets"}
        count_rows(arguments=t) >> shuffle_rows(arguments=t) >> tag_batch(arguments=t)

WORKFLOW = w
