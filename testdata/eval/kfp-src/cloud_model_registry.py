"""Register the demand model in Vertex AI and SageMaker; Gemini writes the model-card summary."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/cloud-model-registry.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/upload-to-vertex/retryPolicy", "retry-on-non-idempotent-step",
     "aiplatform.Model.upload retried: every attempt creates another model version"),
    ("@pipeline", "root/dag/tasks/create-sagemaker-endpoint/retryPolicy", "retry-on-non-idempotent-step",
     "sagemaker create_model / create_endpoint_config / create_endpoint under a timestamped name, retried"),
    ("@pipeline", "root/dag/tasks/summarize-model-card", "io-step-without-retry",
     "google-genai generate_content, no set_retry"),
]
RETRY = dict(num_retries=2, backoff_duration="1m", backoff_max_duration="10m")


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-aiplatform==1.63.0"])
def upload_to_vertex(artifact_uri: str, version_tag: str) -> str:
    from google.cloud import aiplatform

    aiplatform.init(project="acme-forecasting", location="europe-west4")
    model = aiplatform.Model.upload(
        display_name="demand-lgbm",
        artifact_uri=artifact_uri,
        serving_container_image_uri="europe-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
        labels={"build": version_tag},
    )
    return model.resource_name


@dsl.component(base_image=PYTHON, packages_to_install=["boto3==1.34.162"])
def create_sagemaker_endpoint(model_data: str, version_tag: str):
    import time

    import boto3

    sm = boto3.client("sagemaker", region_name="eu-west-1")
    name = f"demand-lgbm-{version_tag}-{int(time.time())}"
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-serving",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/lgbm-serve:1.2", "ModelDataUrl": model_data},
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "all", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


@dsl.component(base_image=PYTHON, packages_to_install=["google-genai==0.3.0"])
def summarize_model_card(card_md: str) -> str:
    from google import genai

    client = genai.Client(vertexai=True, project="acme-forecasting", location="europe-west4")
    resp = client.models.generate_content(
        model="gemini-1.5-flash-002",
        contents=f"Summarise this model card in three sentences for business readers:\n\n{card_md}",
    )
    return resp.text


@dsl.pipeline(name="demand-model-registry", description="Register the demand model in both clouds.")
def demand_model_registry(
    artifact_uri: str = "gs://acme-forecasting-models/demand-lgbm/2024-06-30/",
    model_data: str = "s3://acme-forecasting-models/demand-lgbm/2024-06-30/model.tar.gz",
    version_tag: str = "20240630",
    card_md: str = "demand-lgbm: LightGBM regressor of daily units per store and SKU, trained on 3 years of sales.",
):
    upload_to_vertex(artifact_uri=artifact_uri, version_tag=version_tag).set_retry(**RETRY)
    endpoint = create_sagemaker_endpoint(model_data=model_data, version_tag=version_tag).set_retry(**RETRY)
    endpoint.set_caching_options(False)
    summarize_model_card(card_md=card_md)


PIPELINE = demand_model_registry
