"""io-step-without-retry, failing: Hera scripts and containers that reach the network.

* export-orders: a boto3 client bound to a name (`s3 = boto3.client("s3")`), no retry;
* fetch-catalog: `from urllib.request import urlretrieve`, with RetryStrategy(limit=0);
* mirror-images: a container running `rclone sync`, no retry.
load-warehouse does the same kind of work with a bounded retry and stays silent.
"""

from hera.workflows import DAG, Container, RetryStrategy, Workflow, script
from hera.workflows.models import Backoff

OUTPUT = "testdata/rules/io-step-without-retry/fail-hera.yaml"
EXPECT = [
    ("export-orders", "", "io-step-without-retry"),
    ("fetch-catalog", "", "io-step-without-retry"),
    ("mirror-images", "", "io-step-without-retry"),
]

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
RCLONE = "rclone/rclone:1.67@sha256:c9e2dd8c634cc3708388d3ebcfbed55c6fddbbe08578f9f18ec965e4ddc0a91c"


@script(image=PYTHON)
def export_orders(day: str):
    import boto3

    s3 = boto3.client("s3")
    s3.upload_file("/data/orders.parquet", "acme-exports", f"orders/{day}/orders.parquet")


@script(image=PYTHON, retry_strategy=RetryStrategy(limit=0))
def fetch_catalog(day: str):
    from urllib.request import urlretrieve

    urlretrieve(f"https://catalog.acme.io/exports/{day}.json", "/data/catalog.json")


@script(
    image=PYTHON,
    retry_strategy=RetryStrategy(
        limit="3",
        retry_policy="Always",
        backoff=Backoff(duration="30s", factor="2", max_duration="10m"),
    ),
)
def load_warehouse(day: str):
    import snowflake.connector

    with snowflake.connector.connect(connection_name="etl") as conn:
        conn.cursor().execute(
            f"COPY INTO raw.orders FROM @exports/orders/{day}/ FILE_FORMAT = (TYPE = PARQUET) FORCE = FALSE"
        )


with Workflow(generate_name="orders-export-", entrypoint="main") as w:
    mirror = Container(
        name="mirror-images",
        image=RCLONE,
        command=["rclone", "sync", "gcs:acme-product-images", "s3:acme-product-images"],
    )
    with DAG(name="main"):
        day = {"day": "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}"}
        fetch_catalog(arguments=day) >> export_orders(arguments=day) >> load_warehouse(arguments=day)
        mirror()

WORKFLOW = w
