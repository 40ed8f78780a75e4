"""Two-tower recommender: negative sampling and session shuffling for pre-training."""

from kfp import dsl

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"

OUTPUT = "kfp/recsys-negatives.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/sample-negatives/cachingOptions/enableCache", "cache-on-random-step",
     "rng = np.random.default_rng() with no seed (numpy imported as np), cached"),
]


@dsl.component(base_image=PYTHON, packages_to_install=["numpy==1.26.4", "pandas==2.2.2", "pyarrow==16.1.0"])
def sample_negatives(
    interactions: dsl.Input[dsl.Dataset], per_user: int, negatives: dsl.Output[dsl.Dataset]
):
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(interactions.path)
    items = df["item_id"].unique()
    rng = np.random.default_rng()
    users = df["user_id"].unique()
    neg = pd.DataFrame(
        {
            "user_id": np.repeat(users, per_user),
            "item_id": rng.choice(items, size=len(users) * per_user),
        }
    )
    neg.to_parquet(negatives.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"])
def shuffle_sessions(interactions: dsl.Input[dsl.Dataset], seed: int, sessions: dsl.Output[dsl.Dataset]):
    from random import seed as set_seed
    from random import shuffle

    import pandas as pd

    set_seed(seed)
    df = pd.read_parquet(interactions.path)
    ids = sorted(df["session_id"].unique().tolist())
    shuffle(ids)
    order = {sid: i for i, sid in enumerate(ids)}
    df.assign(order=df["session_id"].map(order)).sort_values(["order", "ts"]).to_parquet(sessions.path)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1", "pyarrow==16.1.0"])
def split_users(
    sessions: dsl.Input[dsl.Dataset], seed: int, train: dsl.Output[dsl.Dataset], valid: dsl.Output[dsl.Dataset]
):
    import pandas as pd
    from sklearn.model_selection import GroupShuffleSplit

    df = pd.read_parquet(sessions.path)
    gss = GroupShuffleSplit(n_splits=1, test_size=0.1, random_state=seed)
    tr_idx, va_idx = next(gss.split(df, groups=df["user_id"]))
    df.iloc[tr_idx].to_parquet(train.path)
    df.iloc[va_idx].to_parquet(valid.path)


@dsl.pipeline(name="recsys-negatives")
def recsys_negatives(
    interactions_uri: str = "gs://acme-recsys/interactions/2024-06/", per_user: int = 20, seed: int = 99
):
    data = dsl.importer(artifact_uri=interactions_uri, artifact_class=dsl.Dataset, reimport=False).set_retry(3)
    sample_negatives(interactions=data.output, per_user=per_user)
    sessions = shuffle_sessions(interactions=data.output, seed=seed)
    split_users(sessions=sessions.outputs["sessions"], seed=seed)


PIPELINE = recsys_negatives
