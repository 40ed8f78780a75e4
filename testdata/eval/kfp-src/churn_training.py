"""Weekly churn model: features from BigQuery, XGBoost, MLflow registry."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/churn-training.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/extract-features", "io-step-without-retry",
     "BigQuery query (google.cloud.bigquery) with no set_retry"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["google-cloud-bigquery[pandas]==3.25.0", "pyarrow==16.1.0"])
def extract_features(project: str, snapshot_date: str, features: dsl.Output[dsl.Dataset]):
    from google.cloud import bigquery

    client = bigquery.Client(project=project)
    sql = f"""
        SELECT * FROM `{project}.analytics.churn_features`
        WHERE snapshot_date = '{snapshot_date}'
    """
    client.query(sql).to_dataframe().to_parquet(features.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1", "pyarrow==16.1.0"])
def split(
    features: dsl.Input[dsl.Dataset],
    seed: int,
    train: dsl.Output[dsl.Dataset],
    test: dsl.Output[dsl.Dataset],
):
    import pandas as pd
    from sklearn.model_selection import train_test_split

    df = pd.read_parquet(features.path)
    tr, te = train_test_split(df, test_size=0.2, stratify=df["churned"], random_state=seed)
    tr.to_parquet(train.path)
    te.to_parquet(test.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "xgboost==2.1.0", "pyarrow==16.1.0"])
def train(train: dsl.Input[dsl.Dataset], seed: int, max_depth: int, model: dsl.Output[dsl.Model]):
    import pandas as pd
    import xgboost as xgb

    df = pd.read_parquet(train.path)
    y = df.pop("churned")
    clf = xgb.XGBClassifier(n_estimators=400, max_depth=max_depth, subsample=0.8, random_state=seed)
    clf.fit(df, y)
    clf.save_model(model.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "xgboost==2.1.0", "scikit-learn==1.5.1", "pyarrow==16.1.0"])
def evaluate(model: dsl.Input[dsl.Model], test: dsl.Input[dsl.Dataset], metrics: dsl.Output[dsl.Metrics]) -> float:
    import pandas as pd
    import xgboost as xgb
    from sklearn.metrics import roc_auc_score

    df = pd.read_parquet(test.path)
    y = df.pop("churned")
    clf = xgb.XGBClassifier()
    clf.load_model(model.path)
    auc = float(roc_auc_score(y, clf.predict_proba(df)[:, 1]))
    metrics.log_metric("auc", auc)
    return auc


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.14.3"])
def register(model: dsl.Input[dsl.Model], auc: float, tracking_uri: str):
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mv = mlflow.register_model(model.uri, "churn-xgb", tags={"auc": f"{auc:.4f}"})
    print(f"registered churn-xgb v{mv.version}")


@dsl.pipeline(name="churn-training", description="Weekly churn model training.")
def churn_training(
    project: str = "acme-analytics",
    snapshot_date: str = "2024-06-30",
    seed: int = 17,
    max_depth: int = 6,
    tracking_uri: str = "http://mlflow.mlops.svc:5000",
):
    feats = extract_features(project=project, snapshot_date=snapshot_date)
    feats.set_cpu_limit("2").set_memory_limit("8Gi")
    parts = split(features=feats.outputs["features"], seed=seed)
    model = train(train=parts.outputs["train"], seed=seed, max_depth=max_depth)
    model.set_cpu_limit("8").set_memory_limit("16Gi")
    ev = evaluate(model=model.outputs["model"], test=parts.outputs["test"])
    with dsl.If(ev.outputs["Output"] > 0.8):
        register(model=model.outputs["model"], auc=ev.outputs["Output"], tracking_uri=tracking_uri)


PIPELINE = churn_training
