"""sdk-backend-version-mismatch, failing against `kfp-backend-version: 2.40.0` (target-future/).

A backend newer than every release the tables know is accepted, with an info note
that fields added after the newest known release are not checked.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/target-future/fail-kfp-beyond-the-tables.yaml"
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
