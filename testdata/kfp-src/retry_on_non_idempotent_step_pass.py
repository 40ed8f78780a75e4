"""retry-on-non-idempotent-step, passing: retried side effects that are safe to repeat.

* register-model: checks for a version from this run before creating one, and says so with
  pipelint.dev/idempotent: "true" (kfp.kubernetes.add_pod_annotation);
* upsert-scores: INSERT ... ON CONFLICT DO UPDATE;
* deploy: `helm upgrade --install` (not `helm install`);
* apply-config: `kubectl apply`;
* upload-report: an upload to a run-scoped key (a retry overwrites the same object);
* notify: posts to Slack, and has no retry at all.
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/retry-on-non-idempotent-step/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
HELM = "alpine/helm:3.15.2@sha256:d7ce40e723e318dfaab4de07b81da2d8c183ff7029e60543c5bf67c1f9326b3e"
KUBECTL = "bitnami/kubectl:1.30.2@sha256:efdb28db79c5ec47f0ac812b5340d3e3a020edd64eff62d00d99d1723a0cd569"


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.14.3"])
def register_model(model: dsl.Input[dsl.Model], name: str, run_id: str) -> str:
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    existing = client.search_model_versions(f"name='{name}' and tags.kfp_run_id='{run_id}'")
    if existing:
        return existing[0].version
    mv = client.create_model_version(name, model.uri, tags={"kfp_run_id": run_id})
    return mv.version


@dsl.component(base_image=PYTHON, packages_to_install=["psycopg2-binary==2.9.9", "pandas==2.2.2"])
def upsert_scores(scores: dsl.Input[dsl.Dataset], dsn: str):
    import pandas as pd
    import psycopg2
    from psycopg2.extras import execute_values

    rows = pd.read_parquet(scores.path)[["customer_id", "score"]].itertuples(index=False)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO ml.churn_scores (customer_id, score) VALUES %s "
            "ON CONFLICT (customer_id) DO UPDATE SET score = EXCLUDED.score",
            list(rows),
        )


@dsl.container_component
def deploy(version: str):
    return dsl.ContainerSpec(
        image=HELM,
        command=["helm", "upgrade", "--install", "churn-serving", "oci://ghcr.io/acme/charts/serving"],
        args=["--namespace", "serving", "--set", dsl.ConcatPlaceholder(["model.version=", version]), "--wait"],
    )


@dsl.container_component
def apply_config():
    return dsl.ContainerSpec(
        image=KUBECTL,
        command=["kubectl", "apply", "-f", "https://raw.githubusercontent.com/acme/serving-config/v12/churn.yaml"],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-storage==2.17.0"])
def upload_report(report: dsl.Input[dsl.Markdown], run_id: str):
    from google.cloud import storage

    blob = storage.Client().bucket("acme-reports").blob(f"churn/{run_id}/report.md")
    blob.upload_from_filename(report.path)


@dsl.component(base_image=PYTHON)
def make_report(version: str, report: dsl.Output[dsl.Markdown]):
    with open(report.path, "w") as f:
        f.write(f"# churn v{version}\n")


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def notify(webhook_url: str, version: str):
    import requests

    requests.post(webhook_url, json={"text": f"churn v{version} is live"}, timeout=10)


RETRY = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")


@dsl.pipeline(name="churn-release-safe")
def churn_release_safe(
    model_uri: str = "gs://acme-models/churn/candidate/",
    model_name: str = "churn-classifier",
    dsn: str = "postgresql://ml@warehouse:5432/ml",
    webhook_url: str = "https://hooks.slack.com/services/T000/B000/XXXX",
):
    model = dsl.importer(artifact_uri=model_uri, artifact_class=dsl.Model).set_retry(**RETRY)
    version = register_model(
        model=model.output, name=model_name, run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER
    ).set_retry(**RETRY)
    kfp.kubernetes.add_pod_annotation(version, "pipelint.dev/idempotent", "true")
    scores = dsl.importer(
        artifact_uri="gs://acme-scores/churn/latest.parquet", artifact_class=dsl.Dataset
    ).set_retry(**RETRY)
    upsert_scores(scores=scores.output, dsn=dsn).set_retry(**RETRY)
    rollout = deploy(version=version.output).set_retry(**RETRY)
    apply_config().after(rollout).set_retry(**RETRY)
    report = make_report(version=version.output)
    upload_report(report=report.outputs["report"], run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER).set_retry(**RETRY)
    notify(webhook_url=webhook_url, version=version.output).after(rollout)


PIPELINE = churn_release_safe
