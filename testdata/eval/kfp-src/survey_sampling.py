"""Monthly customer-survey sampling: audit sample, A/B buckets, holdout, a privacy-noised export, the batch stamp."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
PKGS = ["pandas==2.2.2", "pyarrow==16.1.0", "numpy==1.26.4"]

OUTPUT = "kfp/survey-sampling.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/draw-audit-sample/cachingOptions/enableCache", "cache-on-random-step",
     "pandas groupby(...).sample(n=50) with no random_state, cached"),
    ("@pipeline", "root/dag/tasks/noised-export/cachingOptions/enableCache", "cache-on-random-step",
     "legacy np.random.laplace with no np.random.seed, cached"),
]


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def draw_audit_sample(customers: dsl.Input[dsl.Dataset], sample: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(customers.path)
    df.groupby("region", group_keys=False).sample(n=50).to_parquet(sample.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def assign_ab_buckets(customers: dsl.Input[dsl.Dataset], seed: int, buckets: dsl.Output[dsl.Dataset]):
    import numpy as np
    import pandas as pd

    np.random.seed(seed)
    df = pd.read_parquet(customers.path)
    order = np.random.permutation(len(df))
    df["bucket"] = np.where(order % 2 == 0, "A", "B")
    df[["customer_id", "bucket"]].to_parquet(buckets.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def pick_holdout(customers: dsl.Input[dsl.Dataset], seed: int, holdout: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(customers.path)
    df.sample(frac=0.05, random_state=seed).to_parquet(holdout.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def noised_export(customers: dsl.Input[dsl.Dataset], epsilon: float, export: dsl.Output[dsl.Dataset]):
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(customers.path)
    counts = df.groupby(["region", "plan"]).size().rename("n").reset_index()
    counts["n"] = (counts["n"] + np.random.laplace(0.0, 1.0 / epsilon, size=len(counts))).round().clip(lower=0)
    counts.to_parquet(export.path)


@dsl.component(base_image=PYTHON)
def stamp_batch() -> str:
    import json
    import uuid
    from datetime import datetime, timezone

    return json.dumps({"batch_id": uuid.uuid4().hex, "generated_at": datetime.now(timezone.utc).isoformat()})


@dsl.pipeline(name="survey-sampling", description="Monthly survey sampling.")
def survey_sampling(customers_uri: str = "gs://acme-cx/customers/2024-06.parquet", seed: int = 202406, epsilon: float = 0.5):
    customers = dsl.importer(artifact_uri=customers_uri, artifact_class=dsl.Dataset, reimport=False)
    draw_audit_sample(customers=customers.output)
    assign_ab_buckets(customers=customers.output, seed=seed)
    pick_holdout(customers=customers.output, seed=seed)
    noised_export(customers=customers.output, epsilon=epsilon)
    stamp_batch().set_caching_options(False)


PIPELINE = survey_sampling
