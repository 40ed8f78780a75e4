"""io-step-without-retry, passing: every network step is retried, declared, or must not be.

* download-data / upload-scores: boto3 with set_retry (bounded backoff);
* read-mirror: reads s3:// through s3fs, but from the in-cluster MinIO mirror with
  botocore retries configured; the team declares it with pipelint.dev/io: "false";
* notify: POSTs to a Slack webhook with no retry. It is non-idempotent (a retry posts
  twice), so a missing retry is right;
* upload-summary: only its name suggests IO (weak evidence); it writes a local output
  artifact, and its docstring and a comment mention `requests.get` and `s3://`.
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/io-step-without-retry/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131"])
def download_data(bucket: str, key: str, dataset: dsl.Output[dsl.Dataset]):
    import boto3

    boto3.client("s3").download_file(bucket, key, dataset.path)


@dsl.component(base_image=PYTHON, packages_to_install=["s3fs==2024.6.1", "pandas==2.2.2"])
def read_mirror(table: str, out: dsl.Output[dsl.Dataset]):
    import pandas as pd
    import s3fs

    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": "http://minio.data-mirror.svc:9000"},
        config_kwargs={"retries": {"max_attempts": 10, "mode": "adaptive"}},
    )
    with fs.open(f"s3://mirror/{table}.parquet") as f:
        pd.read_parquet(f).to_parquet(out.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1"])
def score(dataset: dsl.Input[dsl.Dataset], ref: dsl.Input[dsl.Dataset], scores: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(dataset.path).merge(pd.read_parquet(ref.path), on="sku")
    df.assign(score=df["units"] / df["units"].max()).to_parquet(scores.path)


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131"])
def upload_scores(scores: dsl.Input[dsl.Dataset], run_id: str):
    import boto3

    boto3.client("s3").upload_file(scores.path, "acme-scores", f"runs/{run_id}/scores.parquet")


@dsl.component(base_image=PYTHON)
def upload_summary(scores: dsl.Input[dsl.Dataset], summary: dsl.Output[dsl.Markdown]):
    """Write a Markdown summary of the scores.

    Nothing is uploaded here: KFP's launcher stores the output artifact. An older version
    called requests.get on the dashboard API and wrote to s3:// itself.
    """
    import os

    # requests.get("https://dash.acme.io/api/summary") used to live here.
    size = os.path.getsize(scores.path)
    with open(summary.path, "w") as f:
        f.write(f"# Scores\n\n{size} bytes of scores.\n")


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def notify(webhook_url: str, text: str):
    import requests

    requests.post(webhook_url, json={"text": text}, timeout=10).raise_for_status()


@dsl.pipeline(name="weekly-sku-scores")
def weekly_sku_scores(
    bucket: str = "acme-data",
    key: str = "sales/weekly.parquet",
    webhook_url: str = "https://hooks.slack.com/services/T000/B000/XXXX",
):
    data = download_data(bucket=bucket, key=key).set_retry(
        num_retries=3, backoff_duration="30s", backoff_max_duration="10m"
    )
    ref = read_mirror(table="sku_reference")
    kfp.kubernetes.add_pod_annotation(ref, "pipelint.dev/io", "false")
    scores = score(dataset=data.outputs["dataset"], ref=ref.outputs["out"])
    upload_scores(scores=scores.outputs["scores"], run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER).set_retry(
        num_retries=5, backoff_duration="1m", backoff_factor=2, backoff_max_duration="30m"
    )
    summary = upload_summary(scores=scores.outputs["scores"])
    notify(webhook_url=webhook_url, text="weekly SKU scores are ready").after(summary)


PIPELINE = weekly_sku_scores
