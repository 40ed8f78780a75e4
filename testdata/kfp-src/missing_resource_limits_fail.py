"""missing-resource-limits, failing: the ways a KFP step ends up without a CPU or a
memory limit.

No resources at all (the marker is on `container:`), a CPU limit alone, a memory limit
alone, requests only, and a GPU with no CPU/memory limit (markers on `resources:`). The
nested pipeline reuses `evaluate` without limits, so the compiler emits a second executor
for it, while the outer `evaluate` task is fully limited and stays silent. Every image is
digest-pinned so that only this rule is exercised.
"""

from kfp import dsl

OUTPUT = "testdata/rules/missing-resource-limits/fail-kfp.yaml"
EXPECT = [
    ("exec-download-data", "container", "missing-resource-limits"),
    ("exec-preprocess", "container/resources", "missing-resource-limits"),
    ("exec-build-features", "container/resources", "missing-resource-limits"),
    ("exec-tune", "container/resources", "missing-resource-limits"),
    ("exec-train", "container/resources", "missing-resource-limits"),
    # exec-evaluate has both limits; exec-evaluate-2 is the nested pipeline's copy.
    ("exec-evaluate-2", "container", "missing-resource-limits"),
    # exec-register-model (nested) has both limits: no marker.
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)


@dsl.component(base_image=PYTHON)
def download_data(source_uri: str, dataset: dsl.Output[dsl.Dataset]):
    import shutil
    import urllib.request

    with urllib.request.urlopen(source_uri) as r, open(dataset.path, "wb") as f:
        shutil.copyfileobj(r, f)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def preprocess(dataset: dsl.Input[dsl.Dataset], clean: dsl.Output[dsl.Dataset]):
    import pandas as pd

    pd.read_csv(dataset.path).dropna().to_parquet(clean.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def build_features(clean: dsl.Input[dsl.Dataset], features: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(clean.path)
    df["tenure_years"] = df["tenure_months"] / 12
    df.to_parquet(features.path)


@dsl.container_component
def tune(features: dsl.Input[dsl.Dataset], best_params: dsl.OutputPath(str)):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.tune"],
        args=["--data", features.path, "--out", best_params],
    )


@dsl.container_component
def train(features: dsl.Input[dsl.Dataset], params: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        args=["--data", features.path, "--params", params, "--out", model.path],
    )


@dsl.component(base_image=PYTHON)
def evaluate(model: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]) -> float:
    metrics.log_metric("auc", 0.91)
    return 0.91


@dsl.component(base_image=PYTHON)
def register_model(model: dsl.Input[dsl.Model], auc: float) -> str:
    return f"churn@{auc:.3f}:{model.uri}"


@dsl.pipeline(name="gate-and-register")
def gate_and_register(model: dsl.Input[dsl.Model]):
    # Reusing `evaluate` without limits gives it a second executor, exec-evaluate-2.
    score = evaluate(model=model)
    registered = register_model(model=model, auc=score.outputs["Output"])
    registered.set_cpu_limit("500m").set_memory_limit("512Mi")


@dsl.pipeline(name="churn-training-limits")
def churn_training_limits(source_uri: str = "https://data.acme.io/churn.csv"):
    data = download_data(source_uri=source_uri)
    clean = preprocess(dataset=data.outputs["dataset"]).set_cpu_limit("2")
    features = build_features(clean=clean.outputs["clean"]).set_memory_limit("8Gi")
    params = (
        tune(features=features.outputs["features"]).set_cpu_request("4").set_memory_request("16Gi")
    )
    model = (
        train(features=features.outputs["features"], params=params.outputs["best_params"])
        .set_accelerator_type("nvidia.com/gpu")
        .set_accelerator_limit(1)
    )
    evaluate(model=model.outputs["model"]).set_cpu_limit("1").set_memory_limit("2Gi")
    gate_and_register(model=model.outputs["model"])


PIPELINE = churn_training_limits
