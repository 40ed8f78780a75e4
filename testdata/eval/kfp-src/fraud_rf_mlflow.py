"""Card-fraud random forest tracked in MLflow, run report mirrored to W&B."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/fraud-rf-mlflow.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/train/cachingOptions/enableCache", "cache-on-random-step",
     "RandomForestClassifier and train_test_split with no random_state, cached"),
    ("@pipeline", "root/dag/tasks/train", "io-step-without-retry",
     "logs params and metrics to the MLflow tracking server, no set_retry"),
    ("@pipeline", "root/dag/tasks/log-and-register/retryPolicy", "retry-on-non-idempotent-step",
     "mlflow.sklearn.log_model(registered_model_name=...) creates a model version per attempt, set_retry(3)"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.15.1", "scikit-learn==1.5.1", "pandas==2.2.2", "pyarrow==16.1.0"])
def train(features: dsl.Input[dsl.Dataset], tracking_uri: str, model: dsl.Output[dsl.Model]) -> str:
    import pickle

    import mlflow
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import train_test_split

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("card-fraud")
    df = pd.read_parquet(features.path)
    y = df.pop("is_fraud")
    x_tr, x_te, y_tr, y_te = train_test_split(df, y, test_size=0.2, stratify=y)
    with mlflow.start_run() as run:
        clf = RandomForestClassifier(n_estimators=500, max_depth=12, class_weight="balanced", n_jobs=-1)
        clf.fit(x_tr, y_tr)
        mlflow.log_params(clf.get_params())
        mlflow.log_metric("avg_precision", average_precision_score(y_te, clf.predict_proba(x_te)[:, 1]))
    with open(model.path, "wb") as f:
        pickle.dump(clf, f)
    return run.info.run_id


@dsl.component(base_image=PYTHON, packages_to_install=["mlflow==2.15.1", "scikit-learn==1.5.1"])
def log_and_register(model: dsl.Input[dsl.Model], run_id: str, tracking_uri: str):
    import pickle

    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    with open(model.path, "rb") as f:
        clf = pickle.load(f)
    with mlflow.start_run(run_id=run_id):
        mlflow.sklearn.log_model(clf, artifact_path="model", registered_model_name="card-fraud-rf")


@dsl.component(base_image=PYTHON, packages_to_install=["wandb==0.17.7"])
def mirror_to_wandb(run_id: str, metrics: dict):
    import wandb

    run = wandb.init(project="card-fraud", entity="acme-risk", id=run_id, resume="allow", job_type="train")
    run.log(metrics)
    run.finish()


@dsl.pipeline(name="card-fraud-rf", description="Weekly card-fraud random forest.")
def card_fraud_rf(
    features_uri: str = "gs://acme-risk/features/card-fraud/2024-W26.parquet",
    tracking_uri: str = "http://mlflow.mlops.svc:5000",
):
    feats = dsl.importer(artifact_uri=features_uri, artifact_class=dsl.Dataset, reimport=False)
    fit = train(features=feats.output, tracking_uri=tracking_uri)
    reg = log_and_register(model=fit.outputs["model"], run_id=fit.outputs["Output"], tracking_uri=tracking_uri)
    reg.set_retry(num_retries=3)
    mirror_to_wandb(run_id=fit.outputs["Output"], metrics={"stage": "registered"}).after(reg).set_retry(num_retries=2)


PIPELINE = card_fraud_rf
