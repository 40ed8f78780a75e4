"""unpinned-image, passing: a WorkflowTemplate whose every image is digest-pinned,
in script, container, init container, sidecar and containerSet templates alike, with
`name:tag@sha256:`, `name@sha256:` and a registry port.
"""

from hera.workflows import (
    DAG,
    Container,
    ContainerNode,
    ContainerSet,
    UserContainer,
    WorkflowTemplate,
    script,
)

OUTPUT = "testdata/rules/unpinned-image/pass-hera.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)
WEIGHTS = (
    "registry.acme.internal:5000/ml/weights-fetcher:2.0.1"
    "@sha256:9a496b94c7f075863e2eda7021e91150007f3165048915ccf401ff013aa7f43d"
)
OTEL = "otel/opentelemetry-collector@sha256:93dfbd54b4daeb26e311182b236d4b721f891a5d7e65d833487946218a3fedb7"
ALPINE = "alpine:3.20@sha256:a2fe008153e5fdcbd49475d2169b6f3b20e3ed224aef535c947ecdaf79620f7c"


@script(image=PYTHON)
def extract(source_uri: str):
    import urllib.request

    urllib.request.urlretrieve(source_uri, "/tmp/raw.csv")


with WorkflowTemplate(name="churn-train-pinned", entrypoint="main") as w:
    train = Container(
        name="train",
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        init_containers=[UserContainer(name="fetch-weights", image=WEIGHTS, command=["fetch"])],
        sidecars=[UserContainer(name="otel", image=OTEL)],
    )
    with ContainerSet(name="evaluate") as evaluate:
        ContainerNode(name="score", image=PYTHON, command=["python", "-m", "score"])
        ContainerNode(name="report", image=ALPINE, command=["sh", "-c", "echo done"])
    publish = Container(name="publish", image=ALPINE, command=["sh", "-c", "echo published"])

    with DAG(name="main"):
        (
            extract(arguments={"source_uri": "https://data.acme.io/churn.csv"})
            >> train()
            >> evaluate()
            >> publish()
        )

WORKFLOW = w
