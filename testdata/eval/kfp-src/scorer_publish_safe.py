"""Publish the internal lead scorer. Written to be re-run safely after a failure, except the Teams post."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
RELEASE = "ghcr.io/acme/release-tools:1.4.2@sha256:2d6fd026c1572fdd906d454fc7245be5052553073b8ebd635068f3e25e4b1a2c"

OUTPUT = "kfp/scorer-publish-safe.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/announce-in-teams/retryPolicy", "retry-on-non-idempotent-step",
     "Teams incoming-webhook POST, set_retry(2): a retry posts the announcement again"),
]
RETRY = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.15.1", "scikit-learn==1.5.1"])
def log_scorer(model: dsl.Input[dsl.Model], run_id: str, tracking_uri: str):
    import pickle

    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with open(model.path, "rb") as f:
        clf = pickle.load(f)
    with mlflow.start_run(run_id=run_id):
        mlflow.sklearn.log_model(clf, artifact_path="scorer")


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.15.1"])
def promote_alias(name: str, version: str, tracking_uri: str):
    from mlflow import MlflowClient

    MlflowClient(tracking_uri=tracking_uri).set_registered_model_alias(name, "champion", version)


@dsl.container_component
def upload_wheel(wheel_dir: str):
    return dsl.ContainerSpec(
        image=RELEASE,
        command=["sh", "-c"],
        args=['twine upload --skip-existing --repository-url https://pypi.acme.internal/simple/ "$0"/*.whl', wheel_dir],
    )


@dsl.container_component
def attach_release_assets(tag: str, wheel_dir: str):
    return dsl.ContainerSpec(
        image=RELEASE,
        command=["sh", "-c"],
        args=['gh release upload "$0" "$1"/*.whl --clobber --repo acme/lead-scorer', tag, wheel_dir],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def page_on_drift(psi: float, day: str):
    import os

    import requests

    if psi > 0.25:
        requests.post(
            "https://events.pagerduty.com/v2/enqueue",
            json={
                "routing_key": os.environ["PD_ROUTING_KEY"],
                "event_action": "trigger",
                "dedup_key": f"lead-scorer-drift-{day}",
                "payload": {"summary": f"lead scorer PSI {psi:.2f} on {day}", "severity": "warning", "source": "lead-scorer"},
            },
            timeout=10,
        ).raise_for_status()


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def announce_in_teams(version: str, webhook: str):
    import requests

    requests.post(webhook, json={"text": f"Lead scorer {version} is the champion now."}, timeout=10).raise_for_status()


@dsl.pipeline(name="lead-scorer-publish", description="Publish the lead scorer.")
def lead_scorer_publish(
    model_uri: str = "gs://acme-sales-ml/models/lead-scorer/2024-06-30/model.pkl",
    run_id: str = "4f1c2b0e9d8a4c7b",
    version: str = "17",
    tag: str = "v2024.06.30",
    wheel_dir: str = "/dist",
    psi: float = 0.1,
    day: str = "2024-06-30",
    tracking_uri: str = "http://mlflow.mlops.svc:5000",
    webhook: str = "https://acme.webhook.office.com/webhookb2/sales-ml",
):
    model = dsl.importer(artifact_uri=model_uri, artifact_class=dsl.Model, reimport=False)
    logged = log_scorer(model=model.output, run_id=run_id, tracking_uri=tracking_uri).set_retry(**RETRY)
    alias = promote_alias(name="lead-scorer", version=version, tracking_uri=tracking_uri).after(logged).set_retry(**RETRY)
    upload_wheel(wheel_dir=wheel_dir).set_retry(**RETRY)
    attach_release_assets(tag=tag, wheel_dir=wheel_dir).set_retry(**RETRY)
    page_on_drift(psi=psi, day=day).set_retry(**RETRY)
    announce_in_teams(version=version, webhook=webhook).after(alias).set_retry(num_retries=2)


PIPELINE = lead_scorer_publish
