"""plaintext-secret, failing: credentials passed with `set_env_variable`.

An AWS access key id (by its shape), a password-named variable, a database URL with a
password and a Hugging Face token. The same task reads its other credential from a Secret
(`use_secret_as_env`) and a non-secret setting as literals: those stay silent.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/plaintext-secret/fail-kfp.yaml"
EXPECT = [
    ("exec-download-data", "container/env[AWS_ACCESS_KEY_ID]/value", "plaintext-secret"),
    ("exec-download-data", "container/env[DB_PASSWORD]/value", "plaintext-secret"),
    ("exec-download-data", "container/env[FEATURE_STORE_URL]/value", "plaintext-secret"),
    ("exec-train", "container/env[HF_TOKEN]/value", "plaintext-secret"),
]

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
    data.set_env_variable("AWS_ACCESS_KEY_ID", "AKIAZ7QW3N5RT2XK4LPM")
    data.set_env_variable("DB_PASSWORD", "Tr0ub4dor&3")
    data.set_env_variable(
        "FEATURE_STORE_URL", "postgresql://ml:Winter2024!@features.acme.internal:5432/churn"
    )
    data.set_env_variable("AWS_REGION", "eu-west-1")
    kubernetes.use_secret_as_env(
        data,
        secret_name="aws-churn-reader",
        secret_key_to_env={"secret_access_key": "AWS_SECRET_ACCESS_KEY"},
    )
    model = train(dataset=data.outputs["dataset"])
    model.set_env_variable("HF_TOKEN", "hf_QmXr8TzLp2VwK9sNd4YbHc7FjA3uGe6RoP")
    model.set_env_variable("PAD_TOKEN", "<pad>")


PIPELINE = churn_training
