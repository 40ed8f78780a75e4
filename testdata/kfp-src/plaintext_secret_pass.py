"""plaintext-secret, passing: credentials come from Kubernetes Secrets.

Literal env values that only look like secrets by name stay silent: a tokenizer's special
token, a path to a key file, a Secret's name, a pipeline parameter and a placeholder.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/plaintext-secret/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def download_data(source_uri: str, dataset: dsl.Output[dsl.Dataset]):
    with open(dataset.path, "w") as f:
        f.write(source_uri)


@dsl.component(base_image=PYTHON)
def train(dataset: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    with open(model.path, "w") as f:
        f.write("weights")


@dsl.pipeline(name="churn-training")
def churn_training(source_uri: str = "s3://acme-data/churn.csv"):
    data = download_data(source_uri=source_uri)
    kubernetes.use_secret_as_env(
        data,
        secret_name="aws-churn-reader",
        secret_key_to_env={
            "access_key_id": "AWS_ACCESS_KEY_ID",
            "secret_access_key": "AWS_SECRET_ACCESS_KEY",
        },
    )
    data.set_env_variable("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json")
    data.set_env_variable("DB_PASSWORD", "<set-by-the-platform>")
    data.set_env_variable("IMAGE_PULL_SECRET", "acme-registry-creds")
    model = train(dataset=data.outputs["dataset"])
    kubernetes.use_secret_as_env(
        model, secret_name="hf-token", secret_key_to_env={"token": "HF_TOKEN"}
    )
    model.set_env_variable("PAD_TOKEN", "<pad>")
    model.set_env_variable("EOS_TOKEN", "</s>")
    model.set_env_variable("MAX_NEW_TOKENS", "512")


PIPELINE = churn_training
