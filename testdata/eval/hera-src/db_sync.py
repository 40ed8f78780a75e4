"""Copy yesterday's signups from the app's MySQL replica into the analytics warehouse."""

from hera.workflows import DAG, Parameter, RetryStrategy, Volume, Workflow, script
from hera.workflows.models import Backoff

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
WORK = [Volume(name="work", size="1Gi", mount_path="/mnt/data")]

OUTPUT = "hera/db-sync.yaml"
LABELS = [
    ("read-signups", "", "io-step-without-retry", "pymysql query against the replica, no retry"),
    ("insert-signups", "retryStrategy", "retry-on-non-idempotent-step",
     "plain INSERT (no ON CONFLICT) with retryStrategy limit 3: a retry duplicates rows"),
]


@script(image=PYTHON, volumes=WORK)
def read_signups(day: str):
    import csv
    import os

    import pymysql

    conn = pymysql.connect(host="mysql-replica.app.svc", user="analytics", password=os.environ.get("MYSQL_PASSWORD", ""), database="app")
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, email_domain, plan, created_at FROM users WHERE DATE(created_at) = %s", (day,))
        with open("/mnt/data/signups.csv", "w", newline="") as f:
            csv.writer(f).writerows(cur.fetchall())


@script(
    image=PYTHON,
    volumes=WORK,
    retry_strategy=RetryStrategy(limit="3", backoff=Backoff(duration="30s", factor="2", max_duration="5m")),
)
def insert_signups(day: str):
    import csv
    import os

    import psycopg2

    with open("/mnt/data/signups.csv") as f:
        rows = list(csv.reader(f))
    with psycopg2.connect(os.environ["WAREHOUSE_DSN"]) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO growth.signups (user_id, email_domain, plan, created_at) VALUES (%s, %s, %s, %s)",
            rows,
        )


with Workflow(generate_name="signup-sync-", entrypoint="main", arguments=[Parameter(name="day")]) as w:
    with DAG(name="main"):
        day = {"day": "{{workflow.parameters.day}}"}
        read_signups(arguments=day) >> insert_signups(arguments=day)

WORKFLOW = w
