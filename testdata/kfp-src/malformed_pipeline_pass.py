"""malformed-pipeline, passing: what the real compiler writes is well formed, including
the extra DAG components it emits for a condition, a loop, an exit handler and a nested
pipeline. Every reference (componentRef, executorLabel) resolves.
"""

from kfp import dsl

OUTPUT = "testdata/rules/malformed-pipeline/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def list_shards() -> list:
    return ["a", "b", "c"]


@dsl.component(base_image=PYTHON)
def score_shard(shard: str) -> float:
    return float(len(shard))


@dsl.component(base_image=PYTHON)
def notify(message: str):
    print(message)


@dsl.pipeline(name="score-shards")
def score_shards():
    shards = list_shards()
    with dsl.ParallelFor(shards.output, parallelism=2) as shard:
        score_shard(shard=shard)


@dsl.pipeline(name="nightly-scoring")
def nightly_scoring(run_scoring: bool = True):
    cleanup = notify(message="scoring finished")
    with dsl.ExitHandler(cleanup):
        with dsl.If(run_scoring == True):  # noqa: E712 (the DSL needs ==)
            score_shards()


PIPELINE = nightly_scoring
