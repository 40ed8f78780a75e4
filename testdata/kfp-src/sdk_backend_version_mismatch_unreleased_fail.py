"""sdk-backend-version-mismatch, failing against `kfp-backend-version: 2.13.0` (target-2.13/).

KFP backend 2.13.0 was never released (2.5.0 was followed by 2.14.0): an error that names
the nearest releases, not a guess at what such a backend reads.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/target-2.13/fail-kfp-unreleased-backend.yaml"
RULE = "sdk-backend-version-mismatch"
EXPECT = [("@pipeline", "sdkVersion", RULE)]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def hello():
    print("hello")


@dsl.pipeline(name="hello")
def hello_pipeline():
    task = hello()
    kubernetes.set_timeout(task, 600)


PIPELINE = hello_pipeline
