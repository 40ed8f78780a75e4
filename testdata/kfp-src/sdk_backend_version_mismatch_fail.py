"""sdk-backend-version-mismatch, failing (no target configured): in-file skew.

The pipeline is compiled by kfp 2.15.2 (`sdkVersion: kfp-2.15.2`), but two components pin
an older kfp runtime for the pod with `kfp_package_path="kfp==2.13.0"`. The executor then
runs kfp 2.13.0 code on an IR written by 2.15.2. The finding is on the line, inside the
compiler's double-quoted bootstrap script, that holds `kfp==2.13.0`; the marker text is
appended there (see testdata/fixturegen/expect_markers.py, `?<text>`).
evaluate installs the default runtime (kfp==2.15.2) and stays silent.
"""

from kfp import dsl

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/fail-kfp.yaml"
EXPECT = [
    ("exec-prepare", "container/command/?'kfp==2.13.0'", "sdk-backend-version-mismatch"),
    ("exec-train", "container/command/?'kfp==2.13.0'", "sdk-backend-version-mismatch"),
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
PINNED_RUNTIME = "kfp==2.13.0"


@dsl.component(base_image=PYTHON, kfp_package_path=PINNED_RUNTIME, packages_to_install=["pandas==2.2.2"])
def prepare(source_uri: str, dataset: dsl.Output[dsl.Dataset]):
    import pandas as pd

    pd.read_csv(source_uri).dropna().to_parquet(dataset.path)


@dsl.component(base_image=PYTHON, kfp_package_path=PINNED_RUNTIME, packages_to_install=["scikit-learn==1.5.1", "pandas==2.2.2"])
def train(dataset: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import pickle

    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    df = pd.read_parquet(dataset.path)
    clf = LogisticRegression(max_iter=500, random_state=seed).fit(df.drop(columns="y"), df["y"])
    with open(model.path, "wb") as f:
        pickle.dump(clf, f)


@dsl.component(base_image=PYTHON)
def evaluate(model: dsl.Input[dsl.Model], metrics: dsl.Output[dsl.Metrics]):
    import os

    metrics.log_metric("model_bytes", os.path.getsize(model.path))


@dsl.pipeline(name="credit-scoring")
def credit_scoring(source_uri: str = "https://data.acme.io/credit.csv", seed: int = 3):
    data = prepare(source_uri=source_uri).set_retry(3)
    model = train(dataset=data.outputs["dataset"], seed=seed)
    evaluate(model=model.outputs["model"])


PIPELINE = credit_scoring
