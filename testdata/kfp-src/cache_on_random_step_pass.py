"""cache-on-random-step, passing: random-looking KFP tasks whose cached output is right.

* split-data: train_test_split(random_state=seed), seed a pipeline input;
* init-embeddings: np.random.default_rng(seed);
* sample-negatives: `random.seed(42)` once at the top, then random.sample;
* pretrain: torch.manual_seed(seed) before torch.randn;
* fit-forest: RandomForestClassifier(random_state=seed) and KFold without shuffle;
* augment: unseeded np.random, but caching is disabled (set_caching_options(False));
* dedupe: a comment and a docstring mention random sampling; the code has none;
* build-index: calls time.time() only to log how long it took, and says so with
  pipelint.dev/deterministic: "true".
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/cache-on-random-step/pass-kfp.yaml"
EXPECT = []

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
PYTORCH = "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime@sha256:0279f7aa29974bb64c8f5b0ca1d6e5e2a8d2e8b3a0c4f1b6e9d7c5a3b1f0e2d4"


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1"])
def split_data(
    dataset: dsl.Input[dsl.Dataset],
    seed: int,
    train: dsl.Output[dsl.Dataset],
    test: dsl.Output[dsl.Dataset],
):
    import pandas as pd
    from sklearn.model_selection import train_test_split

    df = pd.read_parquet(dataset.path)
    train_df, test_df = train_test_split(df, test_size=0.2, random_state=seed)
    train_df.to_parquet(train.path)
    test_df.to_parquet(test.path)


@dsl.component(base_image=PYTHON, packages_to_install=["numpy==1.26.4"])
def init_embeddings(vocab_size: int, dim: int, seed: int, embeddings: dsl.Output[dsl.Artifact]):
    import numpy as np

    rng = np.random.default_rng(seed)
    np.save(embeddings.path, rng.normal(0.0, dim**-0.5, size=(vocab_size, dim)))


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def sample_negatives(train: dsl.Input[dsl.Dataset], k: int, negatives: dsl.Output[dsl.Dataset]):
    import random

    import pandas as pd

    random.seed(42)
    df = pd.read_parquet(train.path)
    items = sorted(df["item_id"].unique().tolist())
    rows = [(u, i) for u in sorted(df["user_id"].unique()) for i in random.sample(items, k)]
    pd.DataFrame(rows, columns=["user_id", "item_id"]).to_parquet(negatives.path)


@dsl.component(base_image=PYTORCH)
def pretrain(train: dsl.Input[dsl.Dataset], seed: int, model: dsl.Output[dsl.Model]):
    import torch

    torch.manual_seed(seed)
    head = torch.nn.Parameter(torch.randn(64, 1) * 0.01)
    torch.save({"head": head}, model.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1"])
def fit_forest(train: dsl.Input[dsl.Dataset], seed: int, metrics: dsl.Output[dsl.Metrics]):
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import KFold, cross_val_score

    df = pd.read_parquet(train.path)
    X, y = df.drop(columns="label"), df["label"]
    clf = RandomForestClassifier(n_estimators=300, random_state=seed)
    scores = cross_val_score(clf, X, y, cv=KFold(n_splits=5))
    metrics.log_metric("cv_auc", float(scores.mean()))


@dsl.component(base_image=PYTHON, packages_to_install=["numpy==1.26.4"])
def augment(embeddings: dsl.Input[dsl.Artifact], noisy: dsl.Output[dsl.Artifact]):
    import numpy as np

    table = np.load(embeddings.path)
    np.save(noisy.path, table + np.random.normal(0.0, 0.01, size=table.shape))


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def dedupe(train: dsl.Input[dsl.Dataset], out: dsl.Output[dsl.Dataset]):
    """Drop duplicate interactions.

    Deterministic on purpose: no random sampling and no shuffle, so the cached output is
    always the right one.
    """
    import pandas as pd

    # Keep the first interaction per (user, item); random.choice here would make the
    # cache return whichever pick the first run made.
    df = pd.read_parquet(train.path)
    df.sort_values("ts").drop_duplicates(["user_id", "item_id"]).to_parquet(out.path)


@dsl.component(base_image=PYTHON, packages_to_install=["faiss-cpu==1.8.0", "numpy==1.26.4"])
def build_index(embeddings: dsl.Input[dsl.Artifact], index: dsl.Output[dsl.Artifact]):
    import time

    import faiss
    import numpy as np

    started = time.time()
    table = np.load(embeddings.path).astype("float32")
    idx = faiss.IndexFlatIP(table.shape[1])
    idx.add(table)
    faiss.write_index(idx, index.path)
    print(f"indexed {table.shape[0]} vectors in {time.time() - started:.1f}s")


@dsl.pipeline(name="recsys-pretraining-seeded")
def recsys_pretraining_seeded(
    dataset_uri: str = "gs://acme-recsys/interactions.parquet", vocab_size: int = 50000, seed: int = 1234
):
    data = dsl.importer(artifact_uri=dataset_uri, artifact_class=dsl.Dataset).set_retry(3)
    splits = split_data(dataset=data.output, seed=seed)
    emb = init_embeddings(vocab_size=vocab_size, dim=64, seed=seed)
    sample_negatives(train=splits.outputs["train"], k=20)
    pretrain(train=splits.outputs["train"], seed=seed)
    fit_forest(train=splits.outputs["train"], seed=seed)
    augment(embeddings=emb.outputs["embeddings"]).set_caching_options(enable_caching=False)
    dedupe(train=splits.outputs["train"])
    index = build_index(embeddings=emb.outputs["embeddings"])
    kfp.kubernetes.add_pod_annotation(index, "pipelint.dev/deterministic", "true")


PIPELINE = recsys_pretraining_seeded
