"""missing-resource-limits, passing: every container step has a CPU and a memory limit.

Includes a GPU step (accelerator type + limit, plus CPU and memory limits, with a
toleration in the PlatformSpec document), a nested pipeline whose steps are all limited,
and an importer, which runs no container and needs no limits.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/missing-resource-limits/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def prepare_data(source_uri: str, features: dsl.Output[dsl.Dataset]):
    import pandas as pd

    pd.read_csv(source_uri).dropna().to_parquet(features.path)


@dsl.container_component
def train(features: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model], seed: int):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        args=["--data", features.path, "--seed", seed, "--out", model.path],
    )


@dsl.component(base_image=PYTHON)
def evaluate(
    model: dsl.Input[dsl.Model], baseline: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]
) -> float:
    metrics.log_metric("auc", 0.91)
    return 0.91


@dsl.component(base_image=PYTHON)
def register_model(model: dsl.Input[dsl.Model], auc: float) -> str:
    return f"churn@{auc:.3f}:{model.uri}"


@dsl.pipeline(name="gate-and-register")
def gate_and_register(model: dsl.Input[dsl.Model]):
    baseline = dsl.importer(
        artifact_uri="gs://acme-models/churn/production", artifact_class=dsl.Model
    )
    score = (
        evaluate(model=model, baseline=baseline.output).set_cpu_limit("1").set_memory_limit("2Gi")
    )
    (
        register_model(model=model, auc=score.outputs["Output"])
        .set_cpu_request("250m")
        .set_cpu_limit("500m")
        .set_memory_request("256Mi")
        .set_memory_limit("512Mi")
    )


@dsl.pipeline(name="churn-training-limited")
def churn_training_limited(source_uri: str = "gs://acme-data/churn.csv", seed: int = 42):
    data = prepare_data(source_uri=source_uri).set_cpu_limit("2").set_memory_limit("8Gi")
    model = (
        train(features=data.outputs["features"], seed=seed)
        .set_cpu_limit("8")
        .set_memory_limit("32Gi")
        .set_accelerator_type("nvidia.com/gpu")
        .set_accelerator_limit(1)
    )
    kubernetes.add_toleration(model, key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")
    gate_and_register(model=model.outputs["model"])


PIPELINE = churn_training_limited
