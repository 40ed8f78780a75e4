"""Churn bake-off: XGBoost, LightGBM and CatBoost with library defaults, one random hold-out."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
PKGS = ["pandas==2.2.2", "pyarrow==16.1.0", "scikit-learn==1.5.1"]

OUTPUT = "kfp/gbm-bakeoff.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/holdout-split/cachingOptions/enableCache", "cache-on-random-step",
     "sklearn train_test_split with no random_state, cached"),
    ("@pipeline", "root/dag/tasks/tune-xgb/cachingOptions/enableCache", "cache-on-random-step",
     "RandomizedSearchCV with no random_state samples parameters at random, cached"),
]


@dsl.component(base_image=PYTHON, packages_to_install=PKGS)
def holdout_split(data: dsl.Input[dsl.Dataset], train: dsl.Output[dsl.Dataset], test: dsl.Output[dsl.Dataset]):
    import pandas as pd
    from sklearn.model_selection import train_test_split

    df = pd.read_parquet(data.path)
    tr, te = train_test_split(df, test_size=0.25)
    tr.to_parquet(train.path)
    te.to_parquet(test.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS + ["xgboost==2.1.1"])
def fit_xgb(train: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    import pandas as pd
    import xgboost as xgb

    df = pd.read_parquet(train.path)
    y = df.pop("churned")
    clf = xgb.XGBClassifier(n_estimators=600, learning_rate=0.05, subsample=0.8, colsample_bytree=0.8, tree_method="hist")
    clf.fit(df, y)
    clf.save_model(model.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS + ["lightgbm==4.5.0"])
def fit_lgbm(train: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    import lightgbm as lgb
    import pandas as pd

    df = pd.read_parquet(train.path)
    y = df.pop("churned")
    clf = lgb.LGBMClassifier(n_estimators=600, learning_rate=0.05, subsample=0.8, subsample_freq=1, colsample_bytree=0.8)
    clf.fit(df, y)
    clf.booster_.save_model(model.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS + ["catboost==1.2.5"])
def fit_catboost(train: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    import pandas as pd
    from catboost import CatBoostClassifier

    df = pd.read_parquet(train.path)
    y = df.pop("churned")
    clf = CatBoostClassifier(iterations=800, depth=6, verbose=False, cat_features=["plan", "region"])
    clf.fit(df, y)
    clf.save_model(model.path)


@dsl.component(base_image=PYTHON, packages_to_install=PKGS + ["xgboost==2.1.1", "scipy==1.14.0"])
def tune_xgb(train: dsl.Input[dsl.Dataset], best: dsl.Output[dsl.Artifact]):
    import json

    import pandas as pd
    import xgboost as xgb
    from scipy.stats import loguniform, randint
    from sklearn.model_selection import RandomizedSearchCV

    df = pd.read_parquet(train.path)
    y = df.pop("churned")
    search = RandomizedSearchCV(
        xgb.XGBClassifier(tree_method="hist"),
        {"max_depth": randint(3, 10), "learning_rate": loguniform(1e-3, 3e-1)},
        n_iter=40,
        cv=3,
        scoring="roc_auc",
    )
    search.fit(df, y)
    with open(best.path, "w") as f:
        json.dump(search.best_params_, f)


@dsl.pipeline(name="churn-gbm-bakeoff", description="Compare gradient-boosting libraries on churn.")
def churn_gbm_bakeoff(data_uri: str = "gs://acme-analytics/churn/features-2024-06.parquet"):
    data = dsl.importer(artifact_uri=data_uri, artifact_class=dsl.Dataset, reimport=False)
    parts = holdout_split(data=data.output)
    fit_xgb(train=parts.outputs["train"])
    fit_lgbm(train=parts.outputs["train"])
    fit_catboost(train=parts.outputs["train"])
    tune_xgb(train=parts.outputs["train"])


PIPELINE = churn_gbm_bakeoff
