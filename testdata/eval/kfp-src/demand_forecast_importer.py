"""Demand forecast: import last quarter's sales and the holiday calendar, fit per-store models."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/demand-forecast-importer.yaml"
# The importers only register the artifacts' URIs in the metadata store and read no data:
# not IO. (The first version of this set labelled importer-2; the label was withdrawn when
# the rule's semantics were settled, see README.md.)
LABELS = []


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1", "pyarrow==16.1.0"])
def fit_store_models(sales: dsl.Input[dsl.Dataset], holidays: dsl.Input[dsl.Dataset], metrics: dsl.Output[dsl.Metrics]):
    import pandas as pd
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, cross_val_score

    df = pd.read_parquet(sales.path).merge(pd.read_parquet(holidays.path), on="date", how="left")
    df["is_holiday"] = df["holiday_name"].notna().astype(int)
    scores = []
    for store, g in df.groupby("store_id"):
        X = g[["dow", "week", "is_holiday", "promo"]]
        scores.append(cross_val_score(Ridge(alpha=1.0), X, g["units"], cv=KFold(n_splits=5)).mean())
    metrics.log_metric("mean_r2", float(sum(scores) / len(scores)))


@dsl.pipeline(name="demand-forecast")
def demand_forecast(
    sales_uri: str = "gs://acme-sales/quarterly/2024-q2.parquet",
    holidays_uri: str = "gs://acme-reference/holidays/de.parquet",
):
    sales = dsl.importer(artifact_uri=sales_uri, artifact_class=dsl.Dataset, reimport=True)
    sales.set_retry(num_retries=3, backoff_duration="30s", backoff_max_duration="5m")
    holidays = dsl.importer(artifact_uri=holidays_uri, artifact_class=dsl.Dataset)
    fit_store_models(sales=sales.output, holidays=holidays.output)


PIPELINE = demand_forecast
