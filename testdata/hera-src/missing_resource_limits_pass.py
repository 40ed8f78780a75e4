"""missing-resource-limits, passing: every container, including init containers,
sidecars and containerSet containers, has both a CPU and a memory limit. The GPU step
sets its accelerator limit as well.
"""

from hera.workflows import (
    DAG,
    Container,
    ContainerNode,
    ContainerSet,
    Resources,
    UserContainer,
    Workflow,
    script,
)

OUTPUT = "testdata/rules/missing-resource-limits/pass-hera.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)
BUSYBOX = "busybox:1.36@sha256:9a496b94c7f075863e2eda7021e91150007f3165048915ccf401ff013aa7f43d"
ALPINE = "alpine:3.20@sha256:a2fe008153e5fdcbd49475d2169b6f3b20e3ed224aef535c947ecdaf79620f7c"

SMALL = Resources(cpu_request="100m", cpu_limit="200m", memory_request="64Mi", memory_limit="128Mi")


@script(image=PYTHON, resources=Resources(cpu_limit=1, memory_limit="2Gi"))
def extract(source_uri: str):
    import urllib.request

    urllib.request.urlretrieve(source_uri, "/tmp/raw.csv")


with Workflow(generate_name="churn-train-limited-", entrypoint="main") as w:
    train = Container(
        name="train",
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        resources=Resources(
            cpu_request=4, cpu_limit=8, memory_request="16Gi", memory_limit="32Gi", gpus=1
        ),
        init_containers=[
            UserContainer(name="fetch-weights", image=BUSYBOX, command=["true"], resources=SMALL)
        ],
        sidecars=[
            UserContainer(
                name="statsd", image=BUSYBOX, command=["nc", "-lk", "-p", "9125"], resources=SMALL
            )
        ],
    )
    with ContainerSet(name="evaluate") as evaluate:
        ContainerNode(
            name="score",
            image=PYTHON,
            command=["python", "-m", "score"],
            resources=Resources(cpu_limit="1", memory_limit="2Gi"),
        )
        ContainerNode(
            name="report", image=ALPINE, command=["sh", "-c", "echo done"], resources=SMALL
        )

    with DAG(name="main"):
        extract(arguments={"source_uri": "https://data.acme.io/churn.csv"}) >> train() >> evaluate()

WORKFLOW = w
