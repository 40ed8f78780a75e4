"""Source map: a KFP pipeline whose findings are mapped back to this file (tests/kfp_source.rs).

Covers what the compiler does to names and structure: `from kfp import dsl as d`, a nested
pipeline with its own `name=`, a `ParallelFor` loop, an `If` condition, an `ExitHandler`,
a container component, one component called twice (`fetch-shard`, `fetch-shard-2`),
configuration calls chained on the creation call and made later on the task variable, and
`kfp.kubernetes` calls. Not a rule fixture: every line a finding maps to is checked exactly
in the test's snapshot.
"""

from kfp import dsl as d
from kfp import kubernetes

OUTPUT = "testdata/sourcemap/nested.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"


@d.component(base_image=PYTHON, packages_to_install=["boto3==1.34.131"])
def fetch_shard(shard: str, out: d.Output[d.Dataset]):
    import boto3

    boto3.client("s3").download_file("acme-clicks", f"shards/{shard}.parquet", out.path)


@d.component(base_image=PYTHON)
def check_quality(rows: int) -> bool:
    return rows > 1000


@d.component(base_image=PYTHON)
def train_model(seed: int, model: d.Output[d.Model]):
    import random

    random.seed(seed)
    with open(model.path, "w") as f:
        f.write(str(random.random()))


@d.container_component
def export_model(model: d.Input[d.Model]):
    return d.ContainerSpec(
        image="ghcr.io/acme/exporter:1.4",
        command=["exporter", "--model"],
        args=[model.path],
    )


@d.component(base_image=PYTHON)
def notify(channel: str):
    print(f"done: {channel}")


@d.pipeline(name="prepare-data")
def prepare(day: str):
    with d.ParallelFor(["eu", "us"]) as region:
        fetch_shard(shard=region).set_retry(num_retries=3)
    fetch_shard(shard=day)
    quality = check_quality(rows=5000)
    with d.If(quality.output == True):  # noqa: E712 (a KFP condition, not a Python test)
        check_quality(rows=10)


@d.pipeline(name="sourcemap-nested-training")
def training(day: str = "2024-06-01", seed: int = 7):
    exit_task = notify(channel="#ml-alerts")
    with d.ExitHandler(exit_task):
        prepare(day=day).set_display_name("prepare data")
        train_task = (
            train_model(seed=seed)
            .set_caching_options(True)
            .set_display_name("train")
        )
        train_task.set_cpu_limit("4")
        kubernetes.add_pod_annotation(
            train_task, annotation_key="team", annotation_value="forecasting"
        )
        export_model(model=train_task.outputs["model"])  # pipelint: ignore[missing-timeout] export has its own deadline


PIPELINE = training
