"""Validate the daily orders extract against the schema registry and profile it."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/data-validation.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/fetch-schema", "io-step-without-retry",
     "requests.get from the schema registry, no retry"),
    ("@pipeline", "root/dag/tasks/profile-sample/cachingOptions/enableCache", "cache-on-random-step",
     "pandas DataFrame.sample(n=...) with no random_state, cached (outside the listed APIs; domain judgment)"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["requests==2.32.3"])
def fetch_schema(subject: str, schema: dsl.Output[dsl.Artifact]):
    import requests

    resp = requests.get(f"https://schema-registry.acme.io/subjects/{subject}/versions/latest", timeout=20)
    resp.raise_for_status()
    with open(schema.path, "w") as f:
        f.write(resp.json()["schema"])


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0", "fastavro==1.9.5"])
def validate(orders: dsl.Input[dsl.Dataset], schema: dsl.Input[dsl.Artifact]) -> int:
    import json

    import pandas as pd

    with open(schema.path) as f:
        fields = {fld["name"] for fld in json.load(f)["fields"]}
    df = pd.read_parquet(orders.path)
    missing = fields - set(df.columns)
    if missing:
        raise ValueError(f"orders extract lacks {sorted(missing)}")
    bad = int(df["amount"].lt(0).sum())
    print(f"{bad} orders with a negative amount")
    return bad


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def profile_sample(orders: dsl.Input[dsl.Dataset], report: dsl.Output[dsl.HTML]):
    import pandas as pd

    df = pd.read_parquet(orders.path)
    sample = df.sample(n=min(len(df), 50_000))
    html = sample.describe(include="all").to_html()
    with open(report.path, "w") as f:
        f.write(f"<h1>Orders profile ({len(sample)} of {len(df)} rows)</h1>{html}")


@dsl.pipeline(name="data-validation")
def data_validation(
    orders_uri: str = "gs://acme-exports/orders/latest.parquet", subject: str = "orders-value"
):
    orders = dsl.importer(artifact_uri=orders_uri, artifact_class=dsl.Dataset).set_retry(3)
    schema = fetch_schema(subject=subject)
    validate(orders=orders.output, schema=schema.outputs["schema"])
    profile_sample(orders=orders.output)


PIPELINE = data_validation
