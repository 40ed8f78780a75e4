"""sdk-backend-version-mismatch, passing against `kfp-backend-version: 2.5.0` (target-2.5/).

Compiled by a newer SDK than the backend's number, using no field the backend cannot
read: backend 2.5.0 shipped with SDK 2.13, and SDK and backend numbers were different
series before 2.14, so the numbers alone say nothing. The field table decides.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/target-2.5/pass-kfp-newer-sdk-no-new-fields.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON)
def hello():
    print("hello")


@dsl.pipeline(name="hello")
def hello_pipeline():
    task = hello()
    kubernetes.set_timeout(task, 600)


PIPELINE = hello_pipeline
