"""Expose the churn scorer: a SageMaker model behind API Gateway, batches to Iceberg, a local embedder."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/serving-gateway.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/create-scorer-model/retryPolicy", "retry-on-non-idempotent-step",
     "sagemaker create_model under a timestamped name, retried: every attempt registers another model"),
    ("@pipeline", "root/dag/tasks/sample-audit-rows/cachingOptions/enableCache", "cache-on-random-step",
     "df.sample(frac=0.01) without random_state on a frame read from S3, cached"),
    ("@pipeline", "root/dag/tasks/read-feature-snapshot", "io-step-without-retry",
     "polars.read_parquet of an s3:// URI, no set_retry"),
]
RETRY = dict(num_retries=2, backoff_duration="30s", backoff_max_duration="5m")


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.162"])
def create_scorer_model(model_data: str, version_tag: str) -> str:
    import time

    import boto3

    sagemaker = boto3.client("sagemaker", region_name="eu-west-1")
    name = f"churn-scorer-{version_tag}-{int(time.time())}"
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-serving",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-serve:2.0", "ModelDataUrl": model_data},
    )
    return name


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.162"])
def describe_gateway_model(rest_api_id: str):
    import json

    import boto3

    gateway = boto3.client("apigateway", region_name="eu-west-1")
    gateway.create_model(
        restApiId=rest_api_id,
        name="ChurnScore",
        contentType="application/json",
        schema=json.dumps({"type": "object", "properties": {"score": {"type": "number"}}}),
    )


@dsl.component(base_image=PYTHON, packages_to_install=["pyiceberg[s3fs]==0.7.1", "pyarrow==17.0.0"])
def stage_iceberg_batches(day: str, parts: int):
    import pyarrow as pa
    from pyiceberg.catalog import load_catalog

    table = load_catalog("lake", uri="http://iceberg-rest.data.svc:8181").load_table("scoring.churn_daily")
    batches = []
    for part in range(parts):
        batches.append(pa.table({"day": [day], "part": [part]}))
    table.overwrite(pa.concat_tables(batches))


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def embed_locally(texts_path: str, out: dsl.Output[dsl.Artifact]):
    import json

    import requests

    with open(texts_path) as f:
        texts = [line.strip() for line in f]
    resp = requests.post("http://127.0.0.1:8080/embed", json={"inputs": texts}, timeout=60)
    with open(out.path, "w") as f:
        json.dump(resp.json(), f)


@dsl.component(base_image=PYTHON, packages_to_install=["polars==1.5.0"])
def read_feature_snapshot(day: str, out: dsl.Output[dsl.Dataset]):
    import polars as pl

    frame = pl.read_parquet(f"s3://acme-churn-features/snapshots/day={day}/part-0.parquet")
    frame.write_parquet(out.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==17.0.0"])
def sample_audit_rows(scores: dsl.Input[dsl.Dataset], audit: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(scores.path)
    df.sample(frac=0.01).to_parquet(audit.path)


@dsl.pipeline(name="churn-serving-gateway", description="Expose the churn scorer.")
def churn_serving_gateway(
    model_data: str = "s3://acme-churn-models/2024-07-01/model.tar.gz",
    version_tag: str = "20240701",
    rest_api_id: str = "a1b2c3d4e5",
    day: str = "2024-07-01",
    texts_path: str = "/mnt/data/texts.txt",
):
    model = create_scorer_model(model_data=model_data, version_tag=version_tag).set_retry(**RETRY)
    model.set_caching_options(False)
    gateway = describe_gateway_model(rest_api_id=rest_api_id).set_retry(**RETRY)
    gateway.set_caching_options(False)
    batches = stage_iceberg_batches(day=day, parts=4).set_retry(**RETRY)
    batches.set_caching_options(False)
    embed = embed_locally(texts_path=texts_path)
    embed.set_caching_options(False)
    snapshot = read_feature_snapshot(day=day)
    snapshot.set_caching_options(False)
    sample_audit_rows(scores=snapshot.outputs["out"])


PIPELINE = churn_serving_gateway
