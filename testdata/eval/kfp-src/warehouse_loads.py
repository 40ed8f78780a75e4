"""Load scored leads into BigQuery and Snowflake for the sales team."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
BQ = ["google-cloud-bigquery[pandas]==3.25.0", "pyarrow==16.1.0"]

OUTPUT = "kfp/warehouse-loads.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/append-score-history/retryPolicy", "retry-on-non-idempotent-step",
     "BigQuery load with WRITE_APPEND retried: a retry appends the day's scores twice"),
    ("@pipeline", "root/dag/tasks/push-to-snowflake/retryPolicy", "retry-on-non-idempotent-step",
     "snowflake write_pandas appends (overwrite=False) and is retried"),
]
RETRY = dict(num_retries=3, backoff_duration="1m", backoff_max_duration="15m")


@dsl.component(base_image=PYTHON, packages_to_install=BQ)
def append_score_history(scores: dsl.Input[dsl.Dataset], table: str):
    import pandas as pd
    from google.cloud import bigquery

    client = bigquery.Client()
    cfg = bigquery.LoadJobConfig(write_disposition="WRITE_APPEND")
    client.load_table_from_dataframe(pd.read_parquet(scores.path), table, job_config=cfg).result()


@dsl.component(base_image=PYTHON, packages_to_install=BQ)
def replace_daily_snapshot(scores: dsl.Input[dsl.Dataset], table: str, day: str):
    import pandas as pd
    from google.cloud import bigquery

    client = bigquery.Client()
    cfg = bigquery.LoadJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
    dest = f"{table}${day.replace('-', '')}"
    client.load_table_from_dataframe(pd.read_parquet(scores.path), dest, job_config=cfg).result()


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-bigquery==3.25.0"])
def merge_lead_owners(day: str):
    from google.cloud import bigquery

    client = bigquery.Client()
    client.query(
        """
        MERGE crm.lead_owner t
        USING (SELECT lead_id, owner FROM scoring.assignments WHERE day = @day) s
        ON t.lead_id = s.lead_id
        WHEN MATCHED THEN UPDATE SET owner = s.owner
        WHEN NOT MATCHED THEN INSERT (lead_id, owner) VALUES (s.lead_id, s.owner)
        """,
        job_config=bigquery.QueryJobConfig(query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", day)]),
    ).result()


@dsl.component(base_image=PYTHON, packages_to_install=["snowflake-connector-python[pandas]==3.12.1", "pyarrow==16.1.0"])
def push_to_snowflake(scores: dsl.Input[dsl.Dataset]):
    import os

    import pandas as pd
    import snowflake.connector
    from snowflake.connector.pandas_tools import write_pandas

    conn = snowflake.connector.connect(
        account=os.environ["SF_ACCOUNT"], user=os.environ["SF_USER"], password=os.environ["SF_PASSWORD"],
        warehouse="LOAD_WH", database="SALES", schema="SCORING",
    )
    write_pandas(conn, pd.read_parquet(scores.path), "LEAD_SCORES", auto_create_table=False)


@dsl.pipeline(name="lead-score-loads", description="Publish lead scores to the warehouses.")
def lead_score_loads(
    scores_uri: str = "gs://acme-sales-ml/scores/2024-06-30.parquet",
    day: str = "2024-06-30",
):
    scores = dsl.importer(artifact_uri=scores_uri, artifact_class=dsl.Dataset, reimport=False)
    append_score_history(scores=scores.output, table="acme-sales.scoring.lead_score_history").set_retry(**RETRY)
    replace_daily_snapshot(scores=scores.output, table="acme-sales.scoring.lead_scores_daily", day=day).set_retry(**RETRY)
    merge_lead_owners(day=day).set_retry(**RETRY)
    push_to_snowflake(scores=scores.output).set_retry(**RETRY)


PIPELINE = lead_score_loads
