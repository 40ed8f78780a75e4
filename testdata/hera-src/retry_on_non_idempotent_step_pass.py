"""retry-on-non-idempotent-step, passing: Hera workflow retries on safe steps only.

* write-features: Spark `.mode("overwrite")` with a retry;
* merge-scores: a BigQuery MERGE (an upsert) with a retry;
* notify: a Slack webhook POST that opts out of the workflow retry with limit 0.
"""

from hera.workflows import DAG, RetryStrategy, Workflow, script
from hera.workflows.models import Backoff

OUTPUT = "testdata/rules/retry-on-non-idempotent-step/pass-hera.yaml"
EXPECT = []

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
SPARK = "apache/spark-py:3.5.1@sha256:4ffdff975d63aff72fe61c1529d4b5337c60cf58451f87eadde72076fedb2aa2"


@script(image=SPARK, command=["python3"])
def write_features(day: str):
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("features").getOrCreate()
    df = spark.read.parquet(f"s3a://acme-events/day={day}/")
    df.groupBy("user_id").count().write.mode("overwrite").parquet(f"s3a://acme-features/day={day}/")


@script(image=PYTHON)
def merge_scores(day: str):
    from google.cloud import bigquery

    bigquery.Client().query(
        f"""
        MERGE ml.scores T
        USING (SELECT * FROM staging.scores WHERE day = '{day}') S
        ON T.user_id = S.user_id AND T.day = S.day
        WHEN MATCHED THEN UPDATE SET score = S.score
        WHEN NOT MATCHED THEN INSERT ROW
        """
    ).result()


@script(image=PYTHON, retry_strategy=RetryStrategy(limit=0))
def notify(day: str):
    import os

    import requests

    requests.post(os.environ["SLACK_WEBHOOK_URL"], json={"text": f"scores for {day} are in"}, timeout=10)


with Workflow(
    generate_name="daily-scores-",
    entrypoint="main",
    retry_strategy=RetryStrategy(
        limit="3", retry_policy="Always", backoff=Backoff(duration="1m", factor="2", max_duration="20m")
    ),
) as w:
    with DAG(name="main"):
        day = {"day": "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}"}
        write_features(arguments=day) >> merge_scores(arguments=day) >> notify(arguments=day)

WORKFLOW = w
