"""io-step-without-retry, failing: KFP steps that reach the network with no effective retry.

* download-data: a boto3 client download, no set_retry;
* fetch-labels: requests.get against the labelling API, with set_retry(num_retries=0),
  which compiles to a retryPolicy without maxRetryCount: no retry at all;
* load-holidays: pandas reads straight from https:// (`import pandas as pd`);
* sync-embeddings: a container component running `gsutil -m rsync`;
* importer: a dsl.importer of the base model. It only registers the URI in the metadata
  store (no data is read), so it is not IO and must not fire;
* download-shard: set_retry(3), but inside dsl.ParallelFor, where the KFP backend ignores
  task retries (kubeflow/pipelines#13897).

Silent: train (local files only) and upload-model (set_retry; an idempotent upload to a
run-scoped key).
"""

from kfp import dsl

OUTPUT = "testdata/rules/io-step-without-retry/fail-kfp.yaml"
EXPECT = [
    ("@pipeline", "root/dag/tasks/download-data", "io-step-without-retry"),
    ("@pipeline", "root/dag/tasks/fetch-labels", "io-step-without-retry"),
    ("@pipeline", "root/dag/tasks/load-holidays", "io-step-without-retry"),
    ("@pipeline", "root/dag/tasks/sync-embeddings", "io-step-without-retry"),
    ("@pipeline", "components/comp-for-loop-2/dag/tasks/download-shard", "io-step-without-retry"),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
GCLOUD = (
    "gcr.io/google.com/cloudsdktool/google-cloud-cli:489.0.0-slim"
    "@sha256:73ab8d75e8ab18941dc04ad3562715029b10e08333c42ef595270e80705808e6"
)
TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131"])
def download_data(bucket: str, key: str, dataset: dsl.Output[dsl.Dataset]):
    import boto3

    s3 = boto3.client("s3")
    s3.download_file(bucket, key, dataset.path)


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def fetch_labels(project: str, labels: dsl.Output[dsl.Dataset]):
    import json

    import requests

    resp = requests.get(
        f"https://labels.acme.io/api/v2/projects/{project}/export", timeout=60
    )
    resp.raise_for_status()
    with open(labels.path, "w") as f:
        json.dump(resp.json(), f)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def load_holidays(country: str, holidays: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_csv(f"https://data.acme.io/calendars/{country}/holidays.csv")
    df.to_parquet(holidays.path)


@dsl.container_component
def sync_embeddings(embeddings: dsl.Output[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=GCLOUD,
        command=["gsutil", "-m", "rsync", "-r", "gs://acme-embeddings/v7/"],
        args=[embeddings.path],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131"])
def download_shard(shard: str, out: dsl.Output[dsl.Dataset]):
    import boto3

    boto3.client("s3").download_file("acme-clicks", f"shards/{shard}.parquet", out.path)


@dsl.container_component
def train(
    data: dsl.Input[dsl.Dataset],
    labels: dsl.Input[dsl.Dataset],
    holidays: dsl.Input[dsl.Dataset],
    embeddings: dsl.Input[dsl.Artifact],
    base_model: dsl.Input[dsl.Model],
    model: dsl.Output[dsl.Model],
):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        args=[
            "--data", data.path,
            "--labels", labels.path,
            "--holidays", holidays.path,
            "--embeddings", embeddings.path,
            "--init-from", base_model.path,
            "--out", model.path,
        ],
    )


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131"])
def upload_model(model: dsl.Input[dsl.Model], run_id: str) -> str:
    import boto3

    key = f"runs/{run_id}/model.tar.gz"  # one key per run: a retry overwrites, never duplicates
    boto3.client("s3").upload_file(model.path, "acme-models", key)
    return f"s3://acme-models/{key}"


@dsl.pipeline(name="demand-forecast-training")
def demand_forecast_training(
    bucket: str = "acme-data", key: str = "demand/latest.parquet", project: str = "demand"
):
    data = download_data(bucket=bucket, key=key)
    labels = fetch_labels(project=project).set_retry(num_retries=0)
    holidays = load_holidays(country="de")
    embeddings = sync_embeddings()
    base = dsl.importer(
        artifact_uri="gs://acme-models/base/demand-tft/v3/", artifact_class=dsl.Model
    )
    with dsl.ParallelFor(["2024-q1", "2024-q2", "2024-q3"]) as shard:
        download_shard(shard=shard).set_retry(
            num_retries=3, backoff_duration="30s", backoff_max_duration="10m"
        )
    model = train(
        data=data.outputs["dataset"],
        labels=labels.outputs["labels"],
        holidays=holidays.outputs["holidays"],
        embeddings=embeddings.outputs["embeddings"],
        base_model=base.output,
    )
    upload_model(model=model.outputs["model"], run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER).set_retry(
        num_retries=3, backoff_duration="30s", backoff_max_duration="10m"
    )


PIPELINE = demand_forecast_training
