"""missing-resource-limits, failing: Argo containers without a CPU or a memory limit.

Where each finding lands: no `resources` at all -> the `script:`/`container:` line (or a
list item's `- name:` line for sidecars, init containers and containerSet containers);
`resources` without `limits` -> the `resources:` line; `limits` lacking cpu or memory ->
the `limits:` line. Every image is digest-pinned so that only this rule is exercised.
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

OUTPUT = "testdata/rules/missing-resource-limits/fail-hera.yaml"
EXPECT = [
    ("extract", "script", "missing-resource-limits"),
    ("validate", "container/resources", "missing-resource-limits"),
    ("featurize", "container/resources/limits", "missing-resource-limits"),
    ("train", "initContainers[fetch-weights]/resources", "missing-resource-limits"),
    ("train", "sidecars[statsd]", "missing-resource-limits"),
    ("tune", "script/resources/limits", "missing-resource-limits"),
    ("evaluate", "containerSet/containers[score]", "missing-resource-limits"),
    # train's main container, sidecars[otel], containers[report] and publish are limited.
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)
BUSYBOX = "busybox:1.36@sha256:9a496b94c7f075863e2eda7021e91150007f3165048915ccf401ff013aa7f43d"
OTEL = "otel/opentelemetry-collector@sha256:93dfbd54b4daeb26e311182b236d4b721f891a5d7e65d833487946218a3fedb7"
ALPINE = "alpine:3.20@sha256:a2fe008153e5fdcbd49475d2169b6f3b20e3ed224aef535c947ecdaf79620f7c"
CURL = "curlimages/curl@sha256:566188477623ec5bada0391dbc17e3414ee13210c6ce87c59f97bdebef2c71c7"


@script(image=PYTHON)
def extract(source_uri: str):
    import urllib.request

    urllib.request.urlretrieve(source_uri, "/tmp/raw.csv")


# A GPU and a memory limit, but no CPU limit.
@script(image=TRAINER, resources=Resources(memory_limit="16Gi", gpus=1))
def tune(trials: int):
    import subprocess

    subprocess.run(["python", "-m", "trainer.tune", "--trials", str(trials)], check=True)


with Workflow(generate_name="churn-train-limits-", entrypoint="main") as w:
    validate = Container(
        name="validate",
        image=PYTHON,
        command=["python", "-m", "validate"],
        resources=Resources(cpu_request="500m", memory_request="1Gi"),
    )
    featurize = Container(
        name="featurize",
        image=PYTHON,
        command=["python", "-m", "featurize"],
        resources=Resources(cpu_limit="2", memory_request="4Gi"),
    )
    train = Container(
        name="train",
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        resources=Resources(cpu_limit="8", memory_limit="32Gi", gpus=1),
        init_containers=[
            UserContainer(
                name="fetch-weights",
                image=BUSYBOX,
                command=["wget", "-O", "/weights/base.pt", "https://models.acme.io/base.pt"],
                resources=Resources(cpu_request="100m"),
            )
        ],
        sidecars=[
            UserContainer(name="statsd", image=BUSYBOX, command=["nc", "-lk", "-p", "9125"]),
            UserContainer(
                name="otel", image=OTEL, resources=Resources(cpu_limit="200m", memory_limit="256Mi")
            ),
        ],
    )
    with ContainerSet(name="evaluate") as evaluate:
        ContainerNode(name="score", image=PYTHON, command=["python", "-m", "score"])
        ContainerNode(
            name="report",
            image=ALPINE,
            command=["sh", "-c", "echo done"],
            resources=Resources(cpu_limit="100m", memory_limit="64Mi"),
        )
    publish = Container(
        name="publish",
        image=CURL,
        command=["curl", "-fsS", "-X", "POST", "https://models.acme.io/promote"],
        resources=Resources(cpu_limit="100m", memory_limit="64Mi"),
    )

    with DAG(name="main"):
        e = extract(arguments={"source_uri": "https://data.acme.io/churn.csv"})
        t = tune(arguments={"trials": 20})
        e >> validate() >> featurize() >> t >> train() >> evaluate() >> publish()

WORKFLOW = w
