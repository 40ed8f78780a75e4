"""Nightly lake writes: Spark, Delta Lake and Iceberg tables fed from the day's events."""

from hera.workflows import DAG, Parameter, RetryStrategy, Workflow, script
from hera.workflows.models import Backoff

SPARK = "apache/spark-py:3.5.1@sha256:4ffdff975d63aff72fe61c1529d4b5337c60cf58451f87eadde72076fedb2aa2"
PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
RETRY = RetryStrategy(limit="3", retry_policy="Always", backoff=Backoff(duration="1m", factor="2", max_duration="20m"))

OUTPUT = "hera/lake-table-writes.yaml"
LABELS = [
    ("append-sessions", "retryStrategy", "retry-on-non-idempotent-step",
     "Spark .mode(\"append\").saveAsTable retried: a retry appends the day again"),
    ("append-delta-audit", "retryStrategy", "retry-on-non-idempotent-step",
     "deltalake write_deltalake(mode=\"append\") retried"),
    ("append-iceberg-orders", "retryStrategy", "retry-on-non-idempotent-step",
     "pyiceberg Table.append retried"),
]


@script(image=SPARK, command=["python3"], retry_strategy=RETRY)
def append_sessions(day: str):
    from pyspark.sql import SparkSession, functions as F

    spark = SparkSession.builder.appName("sessions").enableHiveSupport().getOrCreate()
    ev = spark.read.parquet(f"s3a://acme-lake/raw/events/day={day}/")
    sessions = ev.groupBy("session_id").agg(F.min("ts").alias("start"), F.max("ts").alias("end"), F.count("*").alias("events"))
    sessions.withColumn("day", F.lit(day)).write.mode("append").saveAsTable("analytics.sessions")


@script(image=SPARK, command=["python3"], retry_strategy=RETRY)
def overwrite_daily_users(day: str):
    from pyspark.sql import SparkSession, functions as F

    spark = (
        SparkSession.builder.appName("daily-users")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .getOrCreate()
    )
    ev = spark.read.parquet(f"s3a://acme-lake/raw/events/day={day}/")
    users = ev.groupBy("user_id").agg(F.count("*").alias("events")).withColumn("day", F.lit(day))
    users.write.mode("overwrite").partitionBy("day").parquet("s3a://acme-lake/gold/daily_users/")


@script(image=PYTHON, retry_strategy=RETRY)
def append_delta_audit(day: str):
    import pandas as pd
    from deltalake import write_deltalake

    df = pd.read_parquet(f"s3://acme-lake/raw/admin_actions/day={day}/")
    write_deltalake("s3://acme-lake/delta/admin_audit", df, mode="append", storage_options={"AWS_S3_ALLOW_UNSAFE_RENAME": "true"})


@script(image=PYTHON, retry_strategy=RETRY)
def replace_delta_partition(day: str):
    import pandas as pd
    from deltalake import write_deltalake

    df = pd.read_parquet(f"s3://acme-lake/raw/refunds/day={day}/")
    write_deltalake("s3://acme-lake/delta/refunds", df, mode="overwrite", predicate=f"day = '{day}'")


@script(image=PYTHON, retry_strategy=RETRY)
def append_iceberg_orders(day: str):
    import pyarrow.parquet as pq
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog("lake", uri="http://iceberg-rest.data.svc:8181", warehouse="s3://acme-lake/iceberg")
    table = catalog.load_table("sales.orders")
    table.append(pq.read_table(f"s3://acme-lake/raw/orders/day={day}/"))


with Workflow(generate_name="lake-writes-", entrypoint="main", arguments=[Parameter(name="day")]) as w:
    with DAG(name="main"):
        day = {"day": "{{workflow.parameters.day}}"}
        append_sessions(arguments=day)
        overwrite_daily_users(arguments=day)
        append_delta_audit(arguments=day)
        replace_delta_partition(arguments=day)
        append_iceberg_orders(arguments=day)

WORKFLOW = w
