"""sdk-backend-version-mismatch, passing (no target configured): no in-file skew.

Lightweight components install exactly the compiler's kfp (kfp==2.15.2, matching
`sdkVersion: kfp-2.15.2`); one component opts out of installing kfp at all
(install_kfp_package=False, the image ships it); the container component installs nothing.
"""

from kfp import dsl

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
RUNTIME = "ghcr.io/acme/kfp-runtime:2.15.2@sha256:9b0a4e4f6d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5c4b3a29"
TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def prepare(source_uri: str, dataset: dsl.Output[dsl.Dataset]):
    import pandas as pd

    pd.read_csv(source_uri).dropna().to_parquet(dataset.path)


@dsl.container_component
def train(dataset: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER, command=["python", "-m", "trainer.fit"], args=["--data", dataset.path, "--out", model.path]
    )


@dsl.component(base_image=RUNTIME, install_kfp_package=False)
def evaluate(model: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]):
    import os

    metrics.log_metric("model_bytes", os.path.getsize(model.path))


@dsl.pipeline(name="credit-scoring")
def credit_scoring(source_uri: str = "https://data.acme.io/credit.csv"):
    data = prepare(source_uri=source_uri).set_retry(3)
    model = train(dataset=data.outputs["dataset"])
    evaluate(model=model.outputs["model"])


PIPELINE = credit_scoring
