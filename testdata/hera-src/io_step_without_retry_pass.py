"""io-step-without-retry, passing: a workflow-level retry strategy covers every IO step.

spec.retryStrategy (limit 3, Always, capped backoff) applies to each template that has none
of its own. post-status POSTs to an API (non-idempotent) and opts out with limit 0, which
is right for it: the IO rule does not ask for retries on a step that must not repeat.
"""

from hera.workflows import DAG, Container, RetryStrategy, Workflow, script
from hera.workflows.models import Backoff

OUTPUT = "testdata/rules/io-step-without-retry/pass-hera.yaml"
EXPECT = []

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
GCLOUD = "google/cloud-sdk:489.0.0-slim@sha256:f41d3fd357fa18848fe3420b22f628fdac5a8988294e7f5ece3b6c1a6ba334a4"


@script(image=PYTHON)
def download_reviews(day: str):
    import requests

    resp = requests.get(f"https://reviews.acme.io/api/v1/export?day={day}", timeout=120)
    resp.raise_for_status()
    with open("/tmp/reviews.json", "wb") as f:
        f.write(resp.content)


@script(image=PYTHON)
def load_features(day: str):
    import gcsfs
    import pandas as pd

    fs = gcsfs.GCSFileSystem()
    with fs.open(f"gs://acme-features/reviews/{day}.parquet") as f:
        print(pd.read_parquet(f).shape)


@script(image=PYTHON, retry_strategy=RetryStrategy(limit=0))
def post_status(day: str):
    import requests

    requests.post("https://status.acme.io/api/jobs/reviews", json={"day": day, "state": "done"}, timeout=10)


with Workflow(
    generate_name="reviews-daily-",
    entrypoint="main",
    retry_strategy=RetryStrategy(
        limit="3", retry_policy="Always", backoff=Backoff(duration="1m", factor="2", max_duration="30m")
    ),
) as w:
    publish = Container(
        name="publish",
        image=GCLOUD,
        command=["gcloud", "storage", "cp", "/tmp/reviews.json", "gs://acme-reviews/daily/"],
    )
    with DAG(name="main"):
        day = {"day": "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}"}
        download_reviews(arguments=day) >> load_features(arguments=day) >> publish() >> post_status(arguments=day)

WORKFLOW = w
