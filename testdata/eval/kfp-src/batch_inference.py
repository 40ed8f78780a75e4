"""Nightly batch scoring of active customers; results appended to the warehouse."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
SCORER = "ghcr.io/acme/scorer:1.8.0@sha256:eb840ad267ecaf1da96197fce2e1f57ca6385be71a38e924ca06da41b2817afb"

OUTPUT = "kfp/batch-inference.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/notify-channel/retryPolicy", "retry-on-non-idempotent-step",
     "requests.post to a Slack webhook, set_retry(2)"),
    ("exec-score", "container/command/?'kfp==2.7.0'", "sdk-backend-version-mismatch",
     "packages_to_install pins kfp==2.7.0; file compiled by kfp 2.15.2"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "s3fs==2024.6.1", "pyarrow==16.1.0"])
def load_batch(day: str, batch: dsl.Output[dsl.Dataset]) -> int:
    import pandas as pd

    df = pd.read_parquet(f"s3://acme-lake/customers/active/day={day}/")
    df.to_parquet(batch.path)
    return len(df)


@dsl.component(
    base_image=SCORER,
    install_kfp_package=False,
    packages_to_install=["kfp==2.7.0", "pandas==2.2.2", "joblib==1.4.2"],
)
def score(batch: dsl.Input[dsl.Dataset], model_uri: str, predictions: dsl.Output[dsl.Dataset]):
    import joblib
    import pandas as pd

    model = joblib.load(model_uri)
    df = pd.read_parquet(batch.path)
    df["score"] = model.predict_proba(df[model.feature_names_in_])[:, 1]
    df[["customer_id", "score"]].to_parquet(predictions.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "sqlalchemy==2.0.31", "psycopg2-binary==2.9.9", "pyarrow==16.1.0"])
def write_predictions(predictions: dsl.Input[dsl.Dataset], day: str, dsn: str):
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(dsn)
    df = pd.read_parquet(predictions.path).assign(day=day)
    df.to_sql("churn_scores", engine, schema="ml", if_exists="append", index=False, chunksize=10_000)


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def notify_channel(rows: int, day: str, webhook: str):
    import requests

    msg = {"text": f":white_check_mark: churn scores for {day}: {rows} customers scored"}
    requests.post(webhook, json=msg, timeout=15).raise_for_status()


@dsl.pipeline(name="batch-inference")
def batch_inference(
    day: str = "2024-06-30",
    model_uri: str = "/models/churn/current.joblib",
    dsn: str = "postgresql://scoring@warehouse.internal:5432/analytics",
    webhook: str = "https://hooks.slack.com/services/T000/B000/XXXX",
):
    batch = load_batch(day=day).set_retry(num_retries=4, backoff_duration="2m", backoff_max_duration="20m")
    preds = score(batch=batch.outputs["batch"], model_uri=model_uri)
    preds.set_cpu_limit("4").set_memory_limit("16Gi")
    written = write_predictions(predictions=preds.outputs["predictions"], day=day, dsn=dsn)
    notify_channel(rows=batch.outputs["Output"], day=day, webhook=webhook).after(written).set_retry(2)


PIPELINE = batch_inference
