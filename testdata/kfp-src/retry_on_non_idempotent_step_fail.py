"""retry-on-non-idempotent-step, failing: KFP tasks that repeat side effects when retried.

Each finding is on the task's `retryPolicy:` line.

* register-model: mlflow.register_model creates a new model version on every attempt;
* append-predictions: pandas to_sql(if_exists="append") inserts the rows again;
* announce: a Slack message through slack_sdk (`from slack_sdk import WebClient`);
* push-serving-image: kaniko `--destination` pushes a tag (moving it again on retry);
* upload-to-vertex: aiplatform.Model.upload creates another Vertex model;
* trigger-rollout: a container the team declares `pipelint.dev/idempotent: "false"`.

train is retried too, and stays silent: it only writes its own output artifact.
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/retry-on-non-idempotent-step/fail-kfp.yaml"
EXPECT = [
    ("@pipeline", "root/dag/tasks/register-model/retryPolicy", "retry-on-non-idempotent-step"),
    ("@pipeline", "root/dag/tasks/append-predictions/retryPolicy", "retry-on-non-idempotent-step"),
    ("@pipeline", "root/dag/tasks/announce/retryPolicy", "retry-on-non-idempotent-step"),
    ("@pipeline", "root/dag/tasks/push-serving-image/retryPolicy", "retry-on-non-idempotent-step"),
    ("@pipeline", "root/dag/tasks/upload-to-vertex/retryPolicy", "retry-on-non-idempotent-step"),
    ("@pipeline", "root/dag/tasks/trigger-rollout/retryPolicy", "retry-on-non-idempotent-step"),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"
KANIKO = (
    "gcr.io/kaniko-project/executor:v1.23.1"
    "@sha256:23d6aecbd0976f8763b69cb46e623516dd89fa872cde8dde3e6548f5ddfc9908"
)
DEPLOYCTL = "ghcr.io/acme/deployctl:2.4.1@sha256:0c1d8e6a41f5b1f3cbd0ca3ae1c0b2b3a1a0f1c1d8e6a41f5b1f3cbd0ca3ae1c"


@dsl.container_component
def train(model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER, command=["python", "-m", "trainer.fit"], args=["--out", model.path]
    )


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.14.3"])
def register_model(model: dsl.Input[dsl.Model], name: str) -> str:
    import mlflow

    version = mlflow.register_model(model.uri, name)
    return version.version


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "sqlalchemy==2.0.31", "psycopg2-binary==2.9.9"])
def append_predictions(predictions: dsl.Input[dsl.Dataset], dsn: str):
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(dsn)
    pd.read_parquet(predictions.path).to_sql(
        "churn_predictions", engine, schema="ml", if_exists="append", index=False
    )


@dsl.component(base_image=PYTHON, packages_to_install=["slack_sdk==3.31.0"])
def announce(version: str, channel: str):
    import os

    from slack_sdk import WebClient

    WebClient(token=os.environ["SLACK_BOT_TOKEN"]).chat_postMessage(
        channel=channel, text=f"churn model v{version} registered"
    )


@dsl.container_component
def push_serving_image(version: str):
    return dsl.ContainerSpec(
        image=KANIKO,
        command=["/kaniko/executor"],
        args=[
            "--context=git://github.com/acme/churn-serving.git#refs/heads/main",
            "--dockerfile=Dockerfile",
            dsl.ConcatPlaceholder(["--destination=ghcr.io/acme/churn-serving:v", version]),
        ],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-aiplatform==1.59.0"])
def upload_to_vertex(model: dsl.Input[dsl.Model], version: str) -> str:
    from google.cloud import aiplatform

    uploaded = aiplatform.Model.upload(
        display_name=f"churn-v{version}",
        artifact_uri=model.uri,
        serving_container_image_uri="europe-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
    )
    return uploaded.resource_name


@dsl.container_component
def trigger_rollout(version: str):
    return dsl.ContainerSpec(
        image=DEPLOYCTL,
        command=["deployctl", "rollout", "churn-serving"],
        args=["--version", version, "--strategy", "canary"],
    )


@dsl.component(base_image=PYTHON)
def predict(model: dsl.Input[dsl.Model], predictions: dsl.Output[dsl.Dataset]):
    import shutil

    shutil.copy(model.path, predictions.path)


RETRY = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")


@dsl.pipeline(name="churn-release")
def churn_release(
    model_name: str = "churn-classifier",
    dsn: str = "postgresql://ml@warehouse:5432/ml",
    channel: str = "#ml-releases",
):
    model = train().set_retry(**RETRY)
    version = register_model(model=model.outputs["model"], name=model_name).set_retry(**RETRY)
    preds = predict(model=model.outputs["model"])
    append_predictions(predictions=preds.outputs["predictions"], dsn=dsn).set_retry(**RETRY)
    announce(version=version.output, channel=channel).set_retry(num_retries=2)
    image = push_serving_image(version=version.output).set_retry(num_retries=2)
    upload_to_vertex(model=model.outputs["model"], version=version.output).set_retry(**RETRY)
    rollout = trigger_rollout(version=version.output).after(image).set_retry(num_retries=1)
    kfp.kubernetes.add_pod_annotation(rollout, "pipelint.dev/idempotent", "false")


PIPELINE = churn_release
