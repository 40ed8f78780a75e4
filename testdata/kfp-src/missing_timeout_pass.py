"""missing-timeout, passing: every container task has a deadline (`set_timeout`).

Includes an importer (no user container) and a task inside a condition.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/missing-timeout/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def prepare(source_uri: str, features: dsl.Output[dsl.Dataset]):
    with open(features.path, "w") as f:
        f.write(source_uri)


@dsl.component(base_image=PYTHON)
def train(features: dsl.Input[dsl.Dataset], baseline: dsl.Input[dsl.Model]) -> float:
    return 0.91


@dsl.component(base_image=PYTHON)
def publish(auc: float):
    print(auc)


@dsl.pipeline(name="churn-training")
def churn_training(source_uri: str = "gs://acme-data/churn.csv"):
    baseline = dsl.importer(
        artifact_uri="gs://acme-models/churn/baseline", artifact_class=dsl.Model
    )
    features = prepare(source_uri=source_uri)
    kubernetes.set_timeout(features, 1800)
    trained = train(features=features.outputs["features"], baseline=baseline.output)
    kubernetes.set_timeout(trained, 7200)
    with dsl.If(trained.output > 0.9):
        published = publish(auc=trained.output)
        kubernetes.set_timeout(published, 600)


PIPELINE = churn_training
