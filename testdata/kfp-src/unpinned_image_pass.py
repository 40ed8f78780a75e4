"""unpinned-image, passing: every image is pinned by digest, including the nested
pipeline's steps. `name:tag@sha256:` and `name@sha256:` are both pinned, and so is a
registry with a port. The importer has no image at all.
"""

from kfp import dsl

OUTPUT = "testdata/rules/unpinned-image/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
PYTHON_SLIM = "python@sha256:dfac21f77193bea0481a2b4743489fdc60525c16c2f1515ce426a498006e0b88"
TRAINER = (
    "ghcr.io/acme/trainer:2.3.1"
    "@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)
PUSHER = (
    "registry.acme.internal:5000/ml/model-pusher"
    "@sha256:94af61fca7f7a4c000169ca87a0df0ba3c159791299b76f8ded5d254ed6fd134"
)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def download_data(source_uri: str, dataset: dsl.Output[dsl.Dataset]):
    import pandas as pd

    pd.read_csv(source_uri).to_parquet(dataset.path)


@dsl.container_component
def train(dataset: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model], epochs: int):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        args=["--data", dataset.path, "--epochs", epochs, "--out", model.path],
    )


@dsl.component(base_image=PYTHON_SLIM)
def evaluate(
    model: dsl.Input[dsl.Model], baseline: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]
) -> bool:
    metrics.log_metric("auc", 0.91)
    return True


@dsl.container_component
def push_model(model: dsl.Input[dsl.Model], registry_uri: str):
    return dsl.ContainerSpec(
        image=PUSHER, command=["push-model"], args=["--model", model.path, "--to", registry_uri]
    )


@dsl.pipeline(name="evaluate-and-publish")
def evaluate_and_publish(model: dsl.Input[dsl.Model], registry_uri: str):
    baseline = dsl.importer(
        artifact_uri="gs://acme-models/churn/production", artifact_class=dsl.Model
    )
    verdict = evaluate(model=model, baseline=baseline.output)
    with dsl.If(verdict.outputs["Output"] == True):  # noqa: E712 (KFP condition syntax)
        push_model(model=model, registry_uri=registry_uri)


@dsl.pipeline(name="churn-training-pinned")
def churn_training_pinned(source_uri: str = "gs://acme-data/churn.csv", epochs: int = 10):
    data = download_data(source_uri=source_uri)
    model = train(dataset=data.outputs["dataset"], epochs=epochs)
    evaluate_and_publish(model=model.outputs["model"], registry_uri="s3://acme-models/churn")


PIPELINE = churn_training_pinned
