"""sdk-backend-version-mismatch, failing against `kfp-backend-version: 2.4.0` (with-target/).

The name of the Secret comes from a pipeline parameter: kfp-kubernetes writes
`secretNameParameter`, which the backend reads from 2.5.0 on. kfp-kubernetes 2.15 also
writes `optional: false` into every `secretAsEnv`, a field backends before 2.15.0 do not
know. The newer `sdkVersion` alone is not a finding (SDK and backend numbers were different
series before 2.14).
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/with-target/fail-kfp-secret-name-parameter.yaml"
RULE = "sdk-backend-version-mismatch"
EXPECT = [
    ("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-use-token/secretAsEnv/?optional", RULE),
    ("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-use-token/secretAsEnv/?secretNameParameter", RULE),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def use_token():
    import os

    print(len(os.environ.get("HF_TOKEN", "")))


@dsl.pipeline(name="token-from-parameter")
def token_from_parameter(token_secret: str = "hf-token"):
    task = use_token()
    kubernetes.use_secret_as_env(task, secret_name=token_secret, secret_key_to_env={"token": "HF_TOKEN"})


PIPELINE = token_from_parameter
