"""Fraud model training workflow: retried downloads, seeded training, an idempotent publish."""

from hera.workflows import DAG, Container, Resources, RetryStrategy, Volume, Workflow, script
from hera.workflows.models import Backoff

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
GCLOUD = "google/cloud-sdk:489.0.0-slim@sha256:f41d3fd357fa18848fe3420b22f628fdac5a8988294e7f5ece3b6c1a6ba334a4"

OUTPUT = "hera/clean-training.yaml"
LABELS = []

DATA = [Volume(name="data", size="20Gi", mount_path="/data")]
RETRY = RetryStrategy(limit="3", retry_policy="Always", backoff=Backoff(duration="30s", factor="2", max_duration="10m"))


@script(image=PYTHON, retry_strategy=RETRY, volumes=DATA, resources=Resources(cpu_limit="2", memory_limit="8Gi"))
def download(day: str):
    from google.cloud import storage

    bucket = storage.Client().bucket("acme-fraud-data")
    bucket.blob(f"transactions/{day}.parquet").download_to_filename("/data/transactions.parquet")


@script(image=PYTHON, volumes=DATA, resources=Resources(cpu_limit="8", memory_limit="32Gi"))
def train(seed: int):
    """Train the fraud model. Deterministic: every random draw below is seeded."""
    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    np.random.seed(seed)
    df = pd.read_parquet("/data/transactions.parquet")
    X_tr, X_te, y_tr, y_te = train_test_split(df.drop(columns="is_fraud"), df["is_fraud"], test_size=0.2, random_state=seed)
    clf = HistGradientBoostingClassifier(max_iter=300, random_state=seed).fit(X_tr, y_tr)
    print(f"holdout accuracy {clf.score(X_te, y_te):.4f}")
    joblib.dump(clf, "/data/model.joblib")


with Workflow(generate_name="fraud-train-", entrypoint="main") as w:
    publish = Container(
        name="publish",
        image=GCLOUD,
        command=["gcloud", "storage", "cp", "/data/model.joblib", "gs://acme-fraud-models/{{workflow.uid}}/model.joblib"],
        retry_strategy=RETRY,
        volumes=DATA,
        resources=Resources(cpu_limit="500m", memory_limit="512Mi"),
    )
    with DAG(name="main"):
        download(arguments={"day": "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}"}) >> train(arguments={"seed": 11}) >> publish()

WORKFLOW = w
