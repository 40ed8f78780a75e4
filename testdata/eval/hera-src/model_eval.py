"""Offline evaluation of the ranking model, memoized per model version."""

from hera.workflows import DAG, Parameter, Workflow, script
from hera.workflows.models import Cache, LocalObjectReference, Memoize

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "hera/model-eval.yaml"
LABELS = [
    ("sample-errors", "memoize", "cache-on-random-step",
     "random.sample with no seed, memoized per model version"),
]


def memo(step: str) -> Memoize:
    return Memoize(
        key=step + "-{{inputs.parameters.model_version}}",
        max_age="72h",
        cache=Cache(config_map=LocalObjectReference(name="ranker-eval-cache")),
    )


@script(image=PYTHON, memoize=memo("score-holdout"))
def score_holdout(model_version: str):
    import json

    import numpy as np

    rng = np.random.default_rng(20240601)
    with open(f"/models/ranker/{model_version}/holdout_scores.json") as f:
        scores = np.array(json.load(f))
    boot = [rng.choice(scores, size=scores.size).mean() for _ in range(1000)]
    print(json.dumps({"ndcg": float(scores.mean()), "ci": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))]}))


@script(image=PYTHON, memoize=memo("sample-errors"))
def sample_errors(model_version: str):
    import json
    import random

    with open(f"/models/ranker/{model_version}/misranked.json") as f:
        errors = json.load(f)
    print(json.dumps(random.sample(errors, k=min(50, len(errors)))))


@script(image=PYTHON, memoize=memo("summarize"))
def summarize(model_version: str):
    import json

    with open(f"/models/ranker/{model_version}/holdout_scores.json") as f:
        scores = json.load(f)
    print(json.dumps({"n": len(scores), "mean": sum(scores) / len(scores)}))


with Workflow(
    generate_name="ranker-eval-",
    entrypoint="main",
    arguments=[Parameter(name="model_version", value="v42")],
) as w:
    with DAG(name="main"):
        mv = {"model_version": "{{workflow.parameters.model_version}}"}
        [score_holdout(arguments=mv), sample_errors(arguments=mv)] >> summarize(arguments=mv)

WORKFLOW = w
