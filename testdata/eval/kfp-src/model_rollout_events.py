"""After a model is promoted: publish the event, update the serving config, tell the team."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/model-rollout-events.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/publish-event/retryPolicy", "retry-on-non-idempotent-step",
     "KafkaProducer.send of a rollout event, retried: consumers see the rollout twice"),
    ("@pipeline", "root/dag/tasks/open-change-ticket/retryPolicy", "retry-on-non-idempotent-step",
     "requests.post to the change-management create endpoint, retried: a second ticket per retry"),
]
RETRY = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="5m")


@dsl.component(base_image=PYTHON, packages_to_install=["kafka-python-ng==2.2.2"])
def publish_event(model_name: str, version: str):
    import json

    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=["kafka-0.kafka.data.svc:9092", "kafka-1.kafka.data.svc:9092"],
        value_serializer=lambda v: json.dumps(v).encode(),
    )
    producer.send("model-rollouts", {"model": model_name, "version": version, "stage": "production"})
    producer.flush()


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def update_serving_config(model_name: str, version: str, api: str):
    import requests

    r = requests.put(
        f"{api}/v1/deployments/{model_name}",
        json={"model_version": version, "min_replicas": 2, "max_replicas": 12},
        timeout=30,
    )
    r.raise_for_status()


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def open_change_ticket(model_name: str, version: str, itsm: str):
    import os

    import requests

    r = requests.post(
        f"{itsm}/api/now/table/change_request",
        auth=("ml-bot", os.environ["ITSM_TOKEN"]),
        json={"short_description": f"Roll out {model_name} {version}", "type": "standard"},
        timeout=30,
    )
    r.raise_for_status()
    print(r.json()["result"]["number"])


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def wait_for_sidecar_ready():
    import time

    import requests

    for _ in range(60):
        try:
            if requests.get("http://localhost:15021/healthz/ready", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(2)
    raise SystemExit("proxy sidecar never became ready")


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def tell_team(model_name: str, version: str, webhook: str):
    import requests

    card = {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": f"{model_name} {version} is live"}]},
        }],
    }
    requests.post(webhook, json=card, timeout=10).raise_for_status()


@dsl.pipeline(name="model-rollout-events", description="Side effects of a model promotion.")
def model_rollout_events(
    model_name: str = "search-ranker",
    version: str = "42",
    api: str = "https://serving-admin.acme.internal",
    itsm: str = "https://acme.service-now.com",
    webhook: str = "https://acme.webhook.office.com/webhookb2/ml-releases",
):
    ready = wait_for_sidecar_ready()
    ready.set_caching_options(False)
    ev = publish_event(model_name=model_name, version=version).after(ready).set_retry(**RETRY)
    cfg = update_serving_config(model_name=model_name, version=version, api=api).after(ready).set_retry(**RETRY)
    open_change_ticket(model_name=model_name, version=version, itsm=itsm).after(cfg).set_retry(**RETRY)
    tell_team(model_name=model_name, version=version, webhook=webhook).after(ev, cfg)


PIPELINE = model_rollout_events
