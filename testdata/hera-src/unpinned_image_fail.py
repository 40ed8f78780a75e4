"""unpinned-image, failing: mutable images in every place an Argo template can hold one.

script.image and container.image, an init container, sidecars and containerSet
containers; with a mutable tag, `:latest`, no tag, and a registry port without a tag.
The digest-pinned images (one sidecar, one containerSet container, `publish`) stay silent.
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

OUTPUT = "testdata/rules/unpinned-image/fail-hera.yaml"
EXPECT = [
    ("extract", "script/image", "unpinned-image"),
    ("profile", "script/image", "unpinned-image"),
    ("train", "initContainers[fetch-weights]/image", "unpinned-image"),
    ("train", "sidecars[statsd]/image", "unpinned-image"),
    ("train", "container/image", "unpinned-image"),
    ("evaluate", "containerSet/containers[score]/image", "unpinned-image"),
    # sidecars[otel], containers[report] and publish are digest-pinned: no marker.
]

OTEL = (
    "otel/opentelemetry-collector:0.104.0"
    "@sha256:93dfbd54b4daeb26e311182b236d4b721f891a5d7e65d833487946218a3fedb7"
)
ALPINE = "alpine:3.20@sha256:a2fe008153e5fdcbd49475d2169b6f3b20e3ed224aef535c947ecdaf79620f7c"
CURL = "curlimages/curl@sha256:566188477623ec5bada0391dbc17e3414ee13210c6ce87c59f97bdebef2c71c7"


@script(image="python:3.11", resources=Resources(cpu_limit="1", memory_limit="1Gi"))
def extract(source_uri: str):
    import urllib.request

    urllib.request.urlretrieve(source_uri, "/tmp/raw.csv")


@script(image="python")
def profile(source_uri: str):
    print(f"profiling {source_uri}")


with Workflow(generate_name="churn-train-", entrypoint="main") as w:
    train = Container(
        name="train",
        image="ghcr.io/acme/trainer:latest",
        command=["python", "-m", "trainer.fit"],
        args=["--epochs", "10"],
        resources=Resources(cpu_limit="4", memory_limit="16Gi"),
        init_containers=[
            # A registry with a port is not a tag: this image has none.
            UserContainer(
                name="fetch-weights",
                image="registry.acme.internal:5000/ml/weights-fetcher",
                command=["fetch", "--to", "/weights"],
            )
        ],
        sidecars=[
            UserContainer(name="statsd", image="prom/statsd-exporter:v0.26.1"),
            UserContainer(name="otel", image=OTEL),
        ],
    )
    with ContainerSet(name="evaluate") as evaluate:
        ContainerNode(name="score", image="python:3.11-slim", command=["python", "-m", "score"])
        ContainerNode(name="report", image=ALPINE, command=["sh", "-c", "echo done"])
    publish = Container(
        name="publish",
        image=CURL,
        command=["curl", "-fsS", "-X", "POST", "https://models.acme.io/promote"],
    )

    with DAG(name="main"):
        e = extract(arguments={"source_uri": "https://data.acme.io/churn.csv"})
        p = profile(arguments={"source_uri": "https://data.acme.io/churn.csv"})
        [e, p] >> train() >> evaluate() >> publish()

WORKFLOW = w
