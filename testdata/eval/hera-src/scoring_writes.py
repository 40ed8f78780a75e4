"""Write the day's risk scores to Postgres and page on-call when too many accounts are high risk."""

from hera.workflows import DAG, Parameter, RetryStrategy, SecretEnv, Workflow, script
from hera.workflows.models import Backoff

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
DB = [SecretEnv(name="PG_DSN", secret_name="risk-db", secret_key="dsn")]
RETRY = RetryStrategy(limit="3", retry_policy="Always", backoff=Backoff(duration="30s", factor="2", max_duration="10m"))

OUTPUT = "hera/scoring-writes.yaml"
LABELS = [
    ("append-score-log", "retryStrategy", "retry-on-non-idempotent-step",
     "pandas to_sql(if_exists=\"append\") retried: a retry appends the day's scores twice"),
    ("page-oncall", "retryStrategy", "retry-on-non-idempotent-step",
     "PagerDuty Events API trigger with no dedup_key, retried: one incident per attempt"),
]


@script(image=PYTHON, env=DB, retry_strategy=RETRY)
def append_score_log(day: str):
    import os

    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(os.environ["PG_DSN"])
    scores = pd.read_parquet(f"/scores/{day}.parquet")
    scores.to_sql("score_log", engine, schema="risk", if_exists="append", index=False, chunksize=10_000)


@script(image=PYTHON, env=DB, retry_strategy=RETRY)
def upsert_latest(day: str):
    import os

    import pandas as pd
    import psycopg2
    from psycopg2.extras import execute_values

    scores = pd.read_parquet(f"/scores/{day}.parquet")
    with psycopg2.connect(os.environ["PG_DSN"]) as conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO risk.latest_score (account_id, score, day) VALUES %s "
            "ON CONFLICT (account_id) DO UPDATE SET score = EXCLUDED.score, day = EXCLUDED.day",
            list(scores[["account_id", "score"]].itertuples(index=False, name=None)),
            template=f"(%s, %s, '{day}')",
        )


@script(image=PYTHON, env=[SecretEnv(name="PD_ROUTING_KEY", secret_name="pagerduty", secret_key="routing_key")], retry_strategy=RETRY)
def page_oncall(day: str, threshold: float):
    import os

    import pandas as pd
    import requests

    scores = pd.read_parquet(f"/scores/{day}.parquet")
    share = float((scores["score"] > 0.9).mean())
    if share > threshold:
        requests.post(
            "https://events.pagerduty.com/v2/enqueue",
            json={
                "routing_key": os.environ["PD_ROUTING_KEY"],
                "event_action": "trigger",
                "payload": {"summary": f"{share:.1%} of accounts high risk on {day}", "severity": "warning", "source": "risk-scoring"},
            },
            timeout=10,
        ).raise_for_status()


@script(image=PYTHON, retry_strategy=RetryStrategy(limit="0"))
def email_digest(day: str):
    import smtplib
    from email.message import EmailMessage

    import pandas as pd

    scores = pd.read_parquet(f"/scores/{day}.parquet")
    msg = EmailMessage()
    msg["Subject"] = f"Risk digest {day}"
    msg["From"], msg["To"] = "risk-ml@acme.example", "risk-team@acme.example"
    msg.set_content(scores["score"].describe().to_string())
    with smtplib.SMTP("smtp.acme.internal", 25) as s:
        s.send_message(msg)


with Workflow(
    generate_name="risk-scores-",
    entrypoint="main",
    arguments=[Parameter(name="day"), Parameter(name="threshold", value="0.02")],
) as w:
    with DAG(name="main"):
        day = {"day": "{{workflow.parameters.day}}"}
        append_score_log(arguments=day)
        upsert_latest(arguments=day)
        page_oncall(arguments={**day, "threshold": "{{workflow.parameters.threshold}}"})
        email_digest(arguments=day)

WORKFLOW = w
