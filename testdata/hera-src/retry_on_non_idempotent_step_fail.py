"""retry-on-non-idempotent-step, failing: Hera workflows that retry side effects.

* register: MlflowClient.create_model_version on a retried script -> its retryStrategy;
* publish-event: an SNS publish, with no retry of its own, so it inherits the workflow-level
  retry strategy -> the finding is on spec.retryStrategy.
prepare inherits the same retry and is idempotent.
"""

from hera.workflows import DAG, RetryStrategy, Workflow, script
from hera.workflows.models import Backoff

OUTPUT = "testdata/rules/retry-on-non-idempotent-step/fail-hera.yaml"
EXPECT = [
    ("register", "retryStrategy", "retry-on-non-idempotent-step"),
    ("@workflow", "spec/retryStrategy", "retry-on-non-idempotent-step"),
]

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
CAPPED = Backoff(duration="30s", factor="2", max_duration="10m")


@script(image=PYTHON)
def prepare(run_id: str):
    import json

    with open("/tmp/manifest.json", "w") as f:
        json.dump({"run_id": run_id}, f)


@script(image=PYTHON, retry_strategy=RetryStrategy(limit="4", backoff=CAPPED))
def register(run_id: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    client.create_model_version("ranker", f"runs:/{run_id}/model", run_id=run_id)


@script(image=PYTHON)
def publish_event(run_id: str):
    import json

    import boto3

    boto3.client("sns").publish(
        TopicArn="arn:aws:sns:eu-west-1:123456789012:model-events",
        Message=json.dumps({"model": "ranker", "run_id": run_id}),
    )


with Workflow(
    generate_name="ranker-register-",
    entrypoint="main",
    retry_strategy=RetryStrategy(limit="2", backoff=CAPPED),
) as w:
    with DAG(name="main"):
        run = {"run_id": "{{workflow.uid}}"}
        prepare(arguments=run) >> register(arguments=run) >> publish_event(arguments=run)

WORKFLOW = w
