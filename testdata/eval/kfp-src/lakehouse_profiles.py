"""Data-quality profiles over the lakehouse and a public benchmark, read with DuckDB, polars, pyarrow and pandas."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/lakehouse-profiles.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/benchmark-stats", "io-step-without-retry",
     "polars read_parquet of an hf:// dataset, no set_retry"),
    ("@pipeline", "root/dag/tasks/gcs-partition-counts", "io-step-without-retry",
     "pyarrow.parquet.read_table of a gs:// path, no set_retry"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["duckdb==1.0.0"])
def s3_null_rates(day: str) -> str:
    import json

    import duckdb

    con = duckdb.connect()
    con.sql("INSTALL httpfs; LOAD httpfs; CREATE SECRET (TYPE S3, PROVIDER CREDENTIAL_CHAIN);")
    rows = con.sql(
        f"SELECT count(*) AS n, avg((user_id IS NULL)::INT) AS null_user "
        f"FROM read_parquet('s3://acme-lake/events/day={day}/*.parquet')"
    ).fetchall()
    return json.dumps({"n": rows[0][0], "null_user": rows[0][1]})


@dsl.component(base_image=PYTHON, packages_to_install=["polars==1.5.0", "huggingface-hub==0.24.6"])
def benchmark_stats() -> str:
    import json

    import polars as pl

    df = pl.read_parquet("hf://datasets/acme-open/retail-benchmark/data/test-*.parquet")
    return json.dumps({"rows": df.height, "skus": df["sku"].n_unique()})


@dsl.component(base_image=PYTHON, packages_to_install=["pyarrow==16.1.0"])
def gcs_partition_counts(day: str) -> str:
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(f"gs://acme-lake-eu/orders/day={day}/", columns=["order_id", "country"])
    return json.dumps(table.group_by("country").aggregate([("order_id", "count")]).to_pylist())


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0", "adlfs==2024.7.0"])
def adls_schema_check(day: str) -> str:
    import json

    import pandas as pd

    df = pd.read_parquet(
        f"abfs://finance@acmelake.dfs.core.windows.net/ledger/day={day}/",
        storage_options={"anon": False},
    )
    return json.dumps(sorted(df.columns))


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "polars==1.5.0", "pyarrow==16.1.0"])
def local_summary(snapshot: dsl.Input[dsl.Dataset], schema: dsl.Input[dsl.Artifact], report: dsl.Output[dsl.Markdown]):
    import json

    import pandas as pd
    import polars as pl

    pdf = pd.read_parquet(snapshot.path)
    expected = pl.read_csv(schema.path)["column"].to_list()
    missing = sorted(set(expected) - set(pdf.columns))
    with open(report.path, "w") as f:
        f.write(f"# Snapshot\n\nrows: {len(pdf)}\n\nmissing columns: {json.dumps(missing)}\n")


@dsl.pipeline(name="lakehouse-profiles", description="Daily data-quality profiles.")
def lakehouse_profiles(
    day: str = "2024-06-30",
    snapshot_uri: str = "gs://acme-lake-eu/snapshots/customers/2024-06-30.parquet",
    schema_uri: str = "gs://acme-contracts/customers/schema.csv",
):
    retry = dict(num_retries=3, backoff_duration="30s", backoff_max_duration="10m")
    s3_null_rates(day=day).set_retry(**retry)
    benchmark_stats()
    gcs_partition_counts(day=day)
    adls_schema_check(day=day).set_retry(**retry)
    snap = dsl.importer(artifact_uri=snapshot_uri, artifact_class=dsl.Dataset, reimport=False)
    schema = dsl.importer(artifact_uri=schema_uri, artifact_class=dsl.Artifact, reimport=False)
    local_summary(snapshot=snap.output, schema=schema.output)


PIPELINE = lakehouse_profiles
