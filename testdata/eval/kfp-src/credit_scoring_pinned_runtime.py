"""Credit scoring retrain. The cluster's launcher was upgraded late, so one team pinned the runtime."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/credit-scoring-pinned-runtime.yaml"
LABELS = [
    ("exec-fit-scorecard", "container/command/?'kfp==2.14.3'", "sdk-backend-version-mismatch",
     "kfp_package_path pins kfp==2.14.3 while sdkVersion is kfp-2.15.2"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def clean_applications(raw: dsl.Input[dsl.Dataset], clean: dsl.Output[dsl.Dataset]):
    import pandas as pd

    df = pd.read_parquet(raw.path)
    df = df[df["income"] > 0].fillna({"employment_years": 0})
    df.to_parquet(clean.path)


@dsl.component(
    base_image=PYTHON,
    kfp_package_path="kfp==2.14.3",
    packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1", "pyarrow==16.1.0", "joblib==1.4.2"],
)
def fit_scorecard(clean: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model], metrics: dsl.Output[dsl.Metrics]):
    import joblib
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    df = pd.read_parquet(clean.path)
    X, y = df.drop(columns="defaulted"), df["defaulted"]
    clf = LogisticRegression(max_iter=1000, C=0.5)
    metrics.log_metric("cv_auc", float(cross_val_score(clf, X, y, cv=5, scoring="roc_auc").mean()))
    joblib.dump(clf.fit(X, y), model.path)


@dsl.pipeline(name="credit-scoring-retrain")
def credit_scoring_retrain(raw_uri: str = "gs://acme-credit/applications/2024-q2.parquet"):
    raw = dsl.importer(artifact_uri=raw_uri, artifact_class=dsl.Dataset).set_retry(3)
    clean = clean_applications(raw=raw.output)
    fit_scorecard(clean=clean.outputs["clean"])


PIPELINE = credit_scoring_retrain
