"""unpinned-image, failing: every way a KFP step can name a mutable image.

python:3.11 (mutable tag), python (no tag), :latest, the SDK's default base image
(python:3.11 in kfp 2.15), a registry with a port but no tag, and a semver tag. One step
is digest-pinned and must stay silent.
"""

from kfp import dsl

OUTPUT = "testdata/rules/unpinned-image/fail-kfp.yaml"
EXPECT = [
    ("exec-download-data", "container/image", "unpinned-image"),
    ("exec-validate-data", "container/image", "unpinned-image"),
    ("exec-train", "container/image", "unpinned-image"),
    ("exec-evaluate", "container/image", "unpinned-image"),
    ("exec-export-onnx", "container/image", "unpinned-image"),
    ("exec-push-model", "container/image", "unpinned-image"),
    # exec-summarize is digest-pinned: no marker.
]

PYTHON_PINNED = (
    "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
)


@dsl.component(base_image="python:3.11", packages_to_install=["pandas==2.2.2"])
def download_data(source_uri: str, dataset: dsl.Output[dsl.Dataset]):
    import pandas as pd

    pd.read_csv(source_uri).to_parquet(dataset.path)


@dsl.component(base_image="python")
def validate_data(dataset: dsl.Input[dsl.Dataset]) -> int:
    with open(dataset.path, "rb") as f:
        return len(f.read())


@dsl.container_component
def train(dataset: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model], epochs: int):
    return dsl.ContainerSpec(
        image="ghcr.io/acme/trainer:latest",
        command=["python", "-m", "trainer.fit"],
        args=["--data", dataset.path, "--epochs", epochs, "--out", model.path],
    )


# No base_image: the SDK default (python:3.11) is a mutable tag too.
@dsl.component
def evaluate(model: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]):
    metrics.log_metric("auc", 0.91)


@dsl.container_component
def export_onnx(model: dsl.Input[dsl.Model], onnx: dsl.Output[dsl.Model]):
    # A registry port is not a tag: this image has no tag at all.
    return dsl.ContainerSpec(
        image="registry.acme.internal:5000/ml/onnx-export",
        command=["export-onnx"],
        args=[model.path, onnx.path],
    )


@dsl.container_component
def push_model(onnx: dsl.Input[dsl.Model], registry_uri: str):
    return dsl.ContainerSpec(
        image="registry.acme.internal:5000/ml/model-pusher:1.4.2",
        command=["push-model"],
        args=["--model", onnx.path, "--to", registry_uri],
    )


@dsl.component(base_image=PYTHON_PINNED)
def summarize(rows: int, metrics: dsl.Input[dsl.Metrics]) -> str:
    return f"{rows} rows, metrics at {metrics.uri}"


@dsl.pipeline(name="churn-training", description="Train and publish the churn model.")
def churn_training(source_uri: str = "gs://acme-data/churn.csv", epochs: int = 10):
    data = download_data(source_uri=source_uri)
    rows = validate_data(dataset=data.outputs["dataset"])
    model = train(dataset=data.outputs["dataset"], epochs=epochs).after(rows)
    metrics = evaluate(model=model.outputs["model"])
    onnx = export_onnx(model=model.outputs["model"])
    push_model(onnx=onnx.outputs["onnx"], registry_uri="s3://acme-models/churn")
    summarize(rows=rows.output, metrics=metrics.outputs["metrics"])


PIPELINE = churn_training
