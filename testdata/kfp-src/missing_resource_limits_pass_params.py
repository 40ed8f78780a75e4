"""missing-resource-limits, passing: limits given as pipeline parameters.

The compiler writes them as placeholders (`resourceCpuLimit: '{{$.inputs.parameters[...]}}'`).
Their value is unknown at lint time, but a limit is set, so nothing fires.
"""

from kfp import dsl

OUTPUT = "testdata/rules/missing-resource-limits/pass-kfp-pipeline-params.yaml"
EXPECT = []

TRAINER = (
    "ghcr.io/acme/trainer@sha256:66dffb2b5f2ee250a3376a345218933bc29e70c48b29a96743cf6c6d8ae0a766"
)


@dsl.container_component
def train(data_uri: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.fit"],
        args=["--data", data_uri, "--out", model.path],
    )


@dsl.pipeline(name="train-sized-by-caller")
def train_sized_by_caller(
    data_uri: str = "gs://acme-data/churn.parquet", cpu_limit: str = "4", memory_limit: str = "16Gi"
):
    train(data_uri=data_uri).set_cpu_limit(cpu_limit).set_memory_limit(memory_limit)


PIPELINE = train_sized_by_caller
