"""Wait for the upstream export, then compact and vacuum the lake tables."""

from hera.workflows import DAG, Container, RetryStrategy, Workflow
from hera.workflows.models import Backoff

AWS = "amazon/aws-cli:2.17.9@sha256:e850f9d43bc624b414b56e4145c43865fee871dc8bdc244f3a94dcd0480e6c4b"
SPARK = "apache/spark-py:3.5.1@sha256:4ffdff975d63aff72fe61c1529d4b5337c60cf58451f87eadde72076fedb2aa2"

OUTPUT = "hera/retry-policies.yaml"
LABELS = [
    ("wait-for-export", "retryStrategy", "unbounded-retry",
     "retryStrategy with a policy and a fixed backoff but no limit: polls forever"),
    ("compact-tables", "retryStrategy", "unbounded-retry",
     "limit 10 with factor 2 and neither maxDuration nor cap: the waits add up to 1023 minutes, past the 6-hour ceiling"),
]

with Workflow(generate_name="lake-maintenance-", entrypoint="main") as w:
    wait = Container(
        name="wait-for-export",
        image=AWS,
        command=["aws", "s3api", "head-object", "--bucket", "acme-exports", "--key", "daily/_SUCCESS"],
        retry_strategy=RetryStrategy(retry_policy="OnFailure", backoff=Backoff(duration="2m")),
    )
    compact = Container(
        name="compact-tables",
        image=SPARK,
        command=["/opt/spark/bin/spark-submit", "--master", "local[8]", "/jobs/compact.py"],
        args=["--tables", "events,sessions", "--target-file-size", "256m"],
        retry_strategy=RetryStrategy(limit="10", backoff=Backoff(duration="1m", factor="2")),
    )
    vacuum = Container(
        name="vacuum-tables",
        image=SPARK,
        command=["/opt/spark/bin/spark-submit", "--master", "local[4]", "/jobs/vacuum.py"],
        args=["--retain-hours", "168"],
        retry_strategy=RetryStrategy(limit="3", backoff=Backoff(duration="1m", factor="2", max_duration="20m")),
    )
    with DAG(name="main"):
        wait() >> compact() >> vacuum()

WORKFLOW = w
