"""dependency-cycle (and broken-dependency), passing: what the real compiler wires.

`.after()`, data passing, a condition, a loop, an exit handler reading the final status of
the group it guards, and a sub-pipeline: every dependency names a task of its own DAG and
none loops back.
"""

from kfp import dsl

OUTPUT = "testdata/rules/dependency-cycle/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def prepare(source_uri: str, features: dsl.Output[dsl.Dataset]):
    with open(features.path, "w") as f:
        f.write(source_uri)


@dsl.component(base_image=PYTHON)
def train(features: dsl.Input[dsl.Dataset], lr: float) -> float:
    return 0.91


@dsl.component(base_image=PYTHON)
def publish(auc: float):
    print(auc)


@dsl.component(base_image=PYTHON)
def notify(status: dsl.PipelineTaskFinalStatus):
    print(status.state)


@dsl.pipeline(name="evaluate")
def evaluate(auc: float) -> float:
    return train(features=dsl.importer(
        artifact_uri="gs://acme-data/holdout", artifact_class=dsl.Dataset
    ).output, lr=auc).output


@dsl.pipeline(name="churn-training")
def churn_training(source_uri: str = "gs://acme-data/churn.csv"):
    final = notify()
    with dsl.ExitHandler(final):
        features = prepare(source_uri=source_uri)
        with dsl.ParallelFor([0.1, 0.01]) as lr:
            train(features=features.outputs["features"], lr=lr)
        best = train(features=features.outputs["features"], lr=0.01).after(features)
        with dsl.If(best.output > 0.9):
            publish(auc=best.output)
        evaluate(auc=best.output)


PIPELINE = churn_training
