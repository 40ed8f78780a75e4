"""Catalog sync: steps whose behaviour the team declares with pipelint annotations."""

import kfp.kubernetes
from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
SYNC = "ghcr.io/acme/catalog-sync:4.2.0@sha256:6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d"

OUTPUT = "kfp/declared-steps.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/pull-catalog", "io-step-without-retry",
     "declared pipelint.dev/io: \"true\" (a binary that calls the vendor API), no retry"),
    ("@pipeline", "root/dag/tasks/apply-price-changes/retryPolicy", "retry-on-non-idempotent-step",
     "declared pipelint.dev/idempotent: \"false\", set_retry(3)"),
]


@dsl.container_component
def pull_catalog(catalog: dsl.Output[dsl.Dataset]):
    return dsl.ContainerSpec(image=SYNC, command=["catalog-sync", "pull", "--vendor", "northwind"], args=["--out", catalog.path])


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def diff_prices(catalog: dsl.Input[dsl.Dataset], changes: dsl.Output[dsl.Dataset]):
    import time

    import pandas as pd

    t0 = time.time()
    df = pd.read_parquet(catalog.path)
    ch = df[df["new_price"] != df["price"]][["sku", "price", "new_price"]]
    ch.to_parquet(changes.path)
    print(f"diffed {len(df)} SKUs in {time.time() - t0:.1f}s")


@dsl.container_component
def apply_price_changes(changes: dsl.Input[dsl.Dataset]):
    return dsl.ContainerSpec(image=SYNC, command=["catalog-sync", "apply"], args=["--changes", changes.path])


@dsl.pipeline(name="catalog-sync")
def catalog_sync():
    pull = pull_catalog()
    kfp.kubernetes.add_pod_annotation(pull, "pipelint.dev/io", "true")
    diff = diff_prices(catalog=pull.outputs["catalog"])
    kfp.kubernetes.add_pod_annotation(diff, "pipelint.dev/deterministic", "true")
    apply = apply_price_changes(changes=diff.outputs["changes"])
    apply.set_retry(num_retries=3, backoff_duration="1m", backoff_max_duration="10m")
    kfp.kubernetes.add_pod_annotation(apply, "pipelint.dev/idempotent", "false")


PIPELINE = catalog_sync
