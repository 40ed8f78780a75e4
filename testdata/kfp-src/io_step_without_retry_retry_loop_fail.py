"""io-step-without-retry, failing (by design): an HTTP call wrapped in its own retry loop.

pipelint cannot judge a retry loop in the code, and a retry inside the pod does not survive
the pod; the finding stays, and its help names the way to declare it
(`pipelint.dev/io: "false"`).
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/rules/io-step-without-retry/fail-kfp-inline-retry-loop.yaml"
RULE = "io-step-without-retry"
EXPECT = [("@pipeline", "root/dag/tasks/probe-endpoint", RULE)]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def probe_endpoint(url: str):
    import time

    import requests

    for attempt in range(5):
        try:
            requests.get(url, timeout=10).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(2**attempt)
    raise SystemExit(1)


@dsl.pipeline(name="probe")
def probe(url: str = "https://models.example.com/v1/models"):
    task = probe_endpoint(url=url)
    kubernetes.set_timeout(task, 600)


PIPELINE = probe
