"""sdk-backend-version-mismatch, failing against `kfp-backend-version: 2.14.0` (target-2.14/).

An optional env var from a Secret (`optional=True`): the backend reads
`secretAsEnv[].optional` from 2.15.0 on.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/target-2.14/fail-kfp-optional-secret-env.yaml"
RULE = "sdk-backend-version-mismatch"
EXPECT = [
    ("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-use-token/secretAsEnv/?optional", RULE),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def use_token():
    import os

    print(len(os.environ.get("HF_TOKEN", "")))


@dsl.pipeline(name="optional-token")
def optional_token():
    task = use_token()
    kubernetes.use_secret_as_env(
        task, secret_name="hf-token", secret_key_to_env={"token": "HF_TOKEN"}, optional=True
    )
    kubernetes.set_timeout(task, 600)


PIPELINE = optional_token
