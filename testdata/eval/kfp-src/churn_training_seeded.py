"""Churn model ensemble, reproducible end to end: every random choice is seeded from `seed`."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
TF = "tensorflow/tensorflow:2.16.1@sha256:3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c"
TORCH = "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime@sha256:0279f7aa29974bb64c8f5b0ca1d6e5e2a8d2e8b3a0c4f1b6e9d7c5a3b1f0e2d4"

OUTPUT = "kfp/churn-training-seeded.yaml"
LABELS = []


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1", "pyarrow==16.1.0"])
def make_folds(data: dsl.Input[dsl.Dataset], seed: int, folds: dsl.Output[dsl.Dataset]):
    """Assign each customer to one of five folds.

    Uses StratifiedKFold with shuffle=True, which is random unless random_state is set (it is).
    """
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold

    df = pd.read_parquet(data.path)
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    df["fold"] = -1
    for k, (_, idx) in enumerate(skf.split(df, df["churned"])):
        df.loc[df.index[idx], "fold"] = k
    df.to_parquet(folds.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1", "pyarrow==16.1.0", "joblib==1.4.2"])
def train_forest(folds: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    df = pd.read_parquet(folds.path)
    X, y = df.drop(columns=["churned", "fold"]), df["churned"]
    clf = RandomForestClassifier(n_estimators=500, min_samples_leaf=5, n_jobs=-1, random_state=seed)
    joblib.dump(clf.fit(X, y), model.path)


@dsl.component(base_image=TF)
def train_mlp(folds: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import pandas as pd
    import tensorflow as tf

    tf.random.set_seed(seed)
    df = pd.read_parquet(folds.path)
    X = df.drop(columns=["churned", "fold"]).to_numpy("float32")
    y = df["churned"].to_numpy("float32")
    net = tf.keras.Sequential([tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dropout(0.2), tf.keras.layers.Dense(1, activation="sigmoid")])
    net.compile(optimizer="adam", loss="binary_crossentropy")
    net.fit(X, y, epochs=10, batch_size=256, shuffle=True, verbose=2)
    net.save(model.path + ".keras")


@dsl.component(base_image=TORCH, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def train_tabnet_like(folds: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import pandas as pd
    import torch

    torch.manual_seed(seed)
    df = pd.read_parquet(folds.path)
    X = torch.tensor(df.drop(columns=["churned", "fold"]).to_numpy(), dtype=torch.float32)
    y = torch.tensor(df["churned"].to_numpy(), dtype=torch.float32)
    w = torch.randn(X.shape[1], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.01)
    for _ in range(200):
        idx = torch.randint(0, X.shape[0], (512,))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(X[idx] @ w, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save(w.detach(), model.path)


@dsl.component(base_image=PYTHON, packages_to_install=["numpy==1.26.4"])
def pick_blend_weights(seed: int, trials: int) -> str:
    import json
    import random

    import numpy as np

    random.seed(seed)
    rng = np.random.default_rng(seed)
    best = max((rng.dirichlet([1.0, 1.0, 1.0]) for _ in range(trials)), key=lambda w: -abs(w[0] - 0.4))
    names = ["forest", "mlp", "linear"]
    random.shuffle(names)
    return json.dumps(dict(zip(sorted(names), [float(x) for x in best])))


@dsl.pipeline(name="churn-training-seeded")
def churn_training_seeded(data_uri: str = "gs://acme-ml/churn/2024-06.parquet", seed: int = 42):
    data = dsl.importer(artifact_uri=data_uri, artifact_class=dsl.Dataset).set_retry(3)
    folds = make_folds(data=data.output, seed=seed)
    train_forest(folds=folds.outputs["folds"], seed=seed)
    train_mlp(folds=folds.outputs["folds"], seed=seed)
    train_tabnet_like(folds=folds.outputs["folds"], seed=seed)
    pick_blend_weights(seed=seed, trials=200)


PIPELINE = churn_training_seeded
