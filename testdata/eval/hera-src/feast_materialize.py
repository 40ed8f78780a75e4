"""Keep the online feature store fresh: materialize from the offline store, then replay late click events."""

from hera.workflows import DAG, Parameter, RetryStrategy, SecretEnv, Workflow, script
from hera.workflows.models import Backoff

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
KAFKA = [SecretEnv(name="KAFKA_PASSWORD", secret_name="kafka-features", secret_key="password")]

OUTPUT = "hera/feast-materialize.yaml"
LABELS = [
    ("materialize-online", "", "io-step-without-retry",
     "Feast materialize_incremental reads the offline store and writes Redis, no retry"),
]


@script(image=PYTHON)
def materialize_online(repo: str):
    from datetime import datetime, timezone

    from feast import FeatureStore

    store = FeatureStore(repo_path=repo)
    store.materialize_incremental(end_date=datetime.now(timezone.utc), feature_views=["user_activity", "item_stats"])


@script(
    image=PYTHON,
    env=KAFKA,
    retry_strategy=RetryStrategy(limit="4", retry_policy="Always", backoff=Backoff(duration="30s", factor="2", max_duration="10m")),
)
def replay_late_clicks(repo: str):
    import json
    import os

    from feast import FeatureStore
    from kafka import KafkaConsumer

    store = FeatureStore(repo_path=repo)
    consumer = KafkaConsumer(
        "clicks-late",
        bootstrap_servers="kafka.data.svc:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username="features",
        sasl_plain_password=os.environ["KAFKA_PASSWORD"],
        group_id="feast-late-clicks",
        enable_auto_commit=False,
        consumer_timeout_ms=60_000,
        value_deserializer=json.loads,
    )
    import pandas as pd

    batch = [m.value for m in consumer]
    if batch:
        store.write_to_online_store("item_stats", pd.DataFrame(batch))
    consumer.commit()


with Workflow(
    generate_name="feast-refresh-",
    entrypoint="main",
    arguments=[Parameter(name="repo", value="/feature_repo")],
) as w:
    with DAG(name="main"):
        repo = {"repo": "{{workflow.parameters.repo}}"}
        materialize_online(arguments=repo) >> replay_late_clicks(arguments=repo)

WORKFLOW = w
