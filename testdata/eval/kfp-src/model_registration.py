"""Promote a trained model: register it in MLflow, move it to Staging, write release notes."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/model-registration.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/register-model/retryPolicy", "retry-on-non-idempotent-step",
     "MlflowClient.create_model_version with set_retry(3): a retry creates a second version"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.14.3"])
def register_model(run_id: str, model_name: str, tracking_uri: str) -> str:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    run = client.get_run(run_id)
    mv = client.create_model_version(
        name=model_name,
        source=f"{run.info.artifact_uri}/model",
        run_id=run_id,
        description=f"auto-registered from run {run_id}",
    )
    return mv.version


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.14.3"])
def transition_to_staging(model_name: str, version: str, tracking_uri: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    client.set_registered_model_alias(model_name, "staging", version)


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def post_release_note(model_name: str, version: str, wiki_url: str, space: str):
    import os

    import requests

    body = {
        "type": "page",
        "title": f"{model_name} v{version} promoted to staging",
        "space": {"key": space},
        "body": {"storage": {"value": f"<p>{model_name} v{version}</p>", "representation": "storage"}},
    }
    resp = requests.post(
        f"{wiki_url}/rest/api/content",
        json=body,
        auth=("ml-bot", os.environ["WIKI_TOKEN"]),
        timeout=30,
    )
    resp.raise_for_status()


@dsl.pipeline(name="model-registration")
def model_registration(
    run_id: str,
    model_name: str = "fraud-gbm",
    tracking_uri: str = "http://mlflow.mlops.svc:5000",
    wiki_url: str = "https://wiki.acme.io",
    space: str = "ML",
):
    reg = register_model(run_id=run_id, model_name=model_name, tracking_uri=tracking_uri)
    reg.set_retry(num_retries=3, backoff_duration="30s", backoff_max_duration="5m")
    stage = transition_to_staging(model_name=model_name, version=reg.output, tracking_uri=tracking_uri)
    stage.set_retry(num_retries=3, backoff_duration="30s", backoff_max_duration="5m")
    post_release_note(model_name=model_name, version=reg.output, wiki_url=wiki_url, space=space).after(stage)


PIPELINE = model_registration
