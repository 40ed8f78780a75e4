"""Backfill daily clickstream features for a range of days, in parallel."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/feature-backfill.yaml"
LABELS = [
    ("@pipeline", "components/comp-for-loop-1/dag/tasks/backfill-day", "io-step-without-retry",
     "boto3 download/upload inside dsl.ParallelFor: set_retry is ignored there (kubeflow/pipelines#13897)"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131", "pandas==2.2.2", "pyarrow==16.1.0"])
def backfill_day(day: str) -> str:
    import boto3
    import pandas as pd

    s3 = boto3.client("s3")
    s3.download_file("acme-clickstream", f"raw/day={day}/events.parquet", "/tmp/events.parquet")
    ev = pd.read_parquet("/tmp/events.parquet")
    feats = ev.groupby("user_id").agg(clicks=("event_id", "count"), last_seen=("ts", "max"))
    feats.to_parquet("/tmp/features.parquet")
    key = f"features/clicks/day={day}/part-0.parquet"
    s3.upload_file("/tmp/features.parquet", "acme-features", key)
    return key


@dsl.component(base_image=PYTHON)
def build_manifest(days: list, manifest: dsl.Output[dsl.Artifact]):
    import json

    with open(manifest.path, "w") as f:
        json.dump({"table": "clicks", "partitions": sorted(days)}, f)


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-storage==2.17.0"])
def publish_manifest(manifest: dsl.Input[dsl.Artifact], run_id: str):
    from google.cloud import storage

    bucket = storage.Client().bucket("acme-feature-registry")
    bucket.blob(f"manifests/clicks/{run_id}.json").upload_from_filename(manifest.path)


@dsl.pipeline(name="feature-backfill")
def feature_backfill(days: list = ["2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04"]):
    with dsl.ParallelFor(days, parallelism=2) as day:
        backfill_day(day=day).set_retry(num_retries=3, backoff_duration="1m", backoff_max_duration="15m")
    manifest = build_manifest(days=days)
    publish_manifest(manifest=manifest.outputs["manifest"], run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER).set_retry(3)


PIPELINE = feature_backfill
