"""Daily ledger ETL on Argo (Hera): S3 -> transform -> Postgres, then a Slack message."""

from hera.workflows import DAG, RetryStrategy, SecretEnv, Volume, Workflow, script
from hera.workflows.models import Backoff

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "hera/etl-daily.yaml"
LABELS = [
    ("@workflow", "spec/retryStrategy", "retry-on-non-idempotent-step",
     "workflow-level retry (limit 3) also applies to post-summary, a Slack webhook POST"),
]

DB = [SecretEnv(name="PG_DSN", secret_name="ledger-db", secret_key="dsn")]
WORK = [Volume(name="work", size="5Gi", mount_path="/mnt/data")]
SLACK = [SecretEnv(name="SLACK_WEBHOOK_URL", secret_name="slack", secret_key="webhook")]


@script(image=PYTHON, volumes=WORK)
def extract(day: str):
    import boto3

    s3 = boto3.client("s3")
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket="acme-ledger-exports", Prefix=f"day={day}/"):
        for obj in page.get("Contents", []):
            s3.download_file("acme-ledger-exports", obj["Key"], "/mnt/data/" + obj["Key"].split("/")[-1])


@script(image=PYTHON, volumes=WORK)
def transform(day: str):
    import glob

    import pandas as pd

    df = pd.concat(pd.read_csv(p) for p in sorted(glob.glob("/mnt/data/*.csv")))
    df = df[df["status"] == "settled"]
    df.groupby(["account_id", "currency"], as_index=False)["amount"].sum().to_parquet(f"/mnt/data/ledger-{day}.parquet")


@script(image=PYTHON, env=DB, volumes=WORK)
def load(day: str):
    import os

    import pandas as pd
    import psycopg2
    from psycopg2.extras import execute_values

    df = pd.read_parquet(f"/mnt/data/ledger-{day}.parquet")
    with psycopg2.connect(os.environ["PG_DSN"]) as conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO finance.daily_balances (day, account_id, currency, amount) VALUES %s "
            "ON CONFLICT (day, account_id, currency) DO NOTHING",
            [(day, *row) for row in df.itertuples(index=False, name=None)],
        )


@script(image=PYTHON, env=SLACK)
def post_summary(day: str):
    import os

    import requests

    requests.post(os.environ["SLACK_WEBHOOK_URL"], json={"text": f"ledger {day} loaded"}, timeout=10)


with Workflow(
    generate_name="ledger-etl-",
    entrypoint="main",
    retry_strategy=RetryStrategy(
        limit="3", retry_policy="Always", backoff=Backoff(duration="1m", factor="2", max_duration="20m")
    ),
) as w:
    with DAG(name="main"):
        day = {"day": "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}"}
        extract(arguments=day) >> transform(arguments=day) >> load(arguments=day) >> post_summary(arguments=day)

WORKFLOW = w
