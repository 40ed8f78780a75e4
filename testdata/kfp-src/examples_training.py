"""README demo: a realistic churn-model training pipeline with a few classic defects.

* download-data runs on a mutable tag (python:3.11) with no resource limits;
* train uses ghcr.io/acme/trainer:latest and asks for a GPU but sets only a CPU limit;
* push-model relies on the SDK's default base image (a mutable tag) and has no limits.
preprocess and evaluate are done right: digest-pinned and limited.
"""

from kfp import dsl

OUTPUT = "testdata/examples/kfp-training-pipeline.yaml"
EXPECT = [
    ("exec-download-data", "container", "missing-resource-limits"),
    ("exec-download-data", "container/image", "unpinned-image"),
    ("exec-train", "container/image", "unpinned-image"),
    ("exec-train", "container/resources", "missing-resource-limits"),
    ("exec-push-model", "container", "missing-resource-limits"),
    ("exec-push-model", "container/image", "unpinned-image"),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image="python:3.11", packages_to_install=["google-cloud-bigquery==3.25.0"])
def download_data(query: str, dataset: dsl.Output[dsl.Dataset]):
    from google.cloud import bigquery

    bigquery.Client().query(query).to_dataframe().to_csv(dataset.path, index=False)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def preprocess(
    dataset: dsl.Input[dsl.Dataset],
    train_split: dsl.Output[dsl.Dataset],
    test_split: dsl.Output[dsl.Dataset],
    seed: int,
):
    import pandas as pd

    df = pd.read_csv(dataset.path).dropna()
    test = df.sample(frac=0.2, random_state=seed)
    df.drop(test.index).to_parquet(train_split.path)
    test.to_parquet(test_split.path)


@dsl.container_component
def train(train_split: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model], epochs: int):
    return dsl.ContainerSpec(
        image="ghcr.io/acme/trainer:latest",
        command=["python", "-m", "trainer.fit"],
        args=["--train", train_split.path, "--epochs", epochs, "--model-dir", model.path],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1"])
def evaluate(
    model: dsl.Input[dsl.Model],
    test_split: dsl.Input[dsl.Dataset],
    metrics: dsl.Output[dsl.Metrics],
) -> float:
    import pickle

    import pandas as pd
    from sklearn.metrics import roc_auc_score

    test = pd.read_parquet(test_split.path)
    with open(f"{model.path}/model.pkl", "rb") as f:
        clf = pickle.load(f)
    auc = roc_auc_score(test.pop("churned"), clf.predict_proba(test)[:, 1])
    metrics.log_metric("auc", auc)
    return auc


@dsl.component(packages_to_install=["mlflow==2.14.3"])
def push_model(model: dsl.Input[dsl.Model], auc: float, model_name: str):
    import mlflow

    mlflow.register_model(model.uri, model_name, tags={"auc": str(auc)})


@dsl.pipeline(name="churn-training", description="Nightly churn model: train, evaluate, register.")
def churn_training(
    query: str = "SELECT * FROM analytics.churn_features",
    epochs: int = 20,
    seed: int = 7,
    model_name: str = "churn-classifier",
):
    data = download_data(query=query)
    splits = preprocess(dataset=data.outputs["dataset"], seed=seed)
    splits.set_cpu_limit("2").set_memory_limit("8Gi")
    model = train(train_split=splits.outputs["train_split"], epochs=epochs)
    model.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1).set_cpu_limit("8")
    score = evaluate(model=model.outputs["model"], test_split=splits.outputs["test_split"])
    score.set_cpu_limit("2").set_memory_limit("4Gi")
    with dsl.If(score.outputs["Output"] >= 0.85, name="good-enough"):
        push_model(model=model.outputs["model"], auc=score.outputs["Output"], model_name=model_name)


PIPELINE = churn_training
