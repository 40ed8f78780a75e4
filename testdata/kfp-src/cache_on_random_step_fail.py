"""cache-on-random-step, failing: cached KFP tasks whose output depends on chance or time.

KFP caches every task by default (`enableCache: true`); the finding is on that line.

* split-data: sklearn train_test_split with no random_state;
* init-embeddings: `import numpy as np; rng = np.random.default_rng()` (no seed);
* sample-negatives: `from random import sample`, never seeded;
* pretrain: torch.randn / torch.randperm without torch.manual_seed;
* partition-date: `datetime.now()` decides which partition is read (a cache hit replays
  yesterday's date forever);
* shuffle-shards: a shell step that orders shards with `shuf`.
"""

from kfp import dsl

OUTPUT = "testdata/rules/cache-on-random-step/fail-kfp.yaml"
EXPECT = [
    ("@pipeline", f"root/dag/tasks/{task}/cachingOptions/enableCache", "cache-on-random-step")
    for task in (
        "split-data",
        "init-embeddings",
        "sample-negatives",
        "pretrain",
        "partition-date",
        "shuffle-shards",
    )
]

PYTHON = "python:3.11@sha256:cdbe99611cced7b5e8e1b308ae50227e446f1665684f266370475d54eab3e6ce"
PYTORCH = "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime@sha256:0279f7aa29974bb64c8f5b0ca1d6e5e2a8d2e8b3a0c4f1b6e9d7c5a3b1f0e2d4"
ALPINE = "alpine:3.20@sha256:a2fe008153e5fdcbd49475d2169b6f3b20e3ed224aef535c947ecdaf79620f7c"


@dsl.component(base_image=PYTHON)
def partition_date() -> str:
    from datetime import datetime, timedelta

    return (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.1"])
def split_data(
    day: str,
    dataset: dsl.Input[dsl.Dataset],
    train: dsl.Output[dsl.Dataset],
    test: dsl.Output[dsl.Dataset],
):
    import pandas as pd
    from sklearn.model_selection import train_test_split

    df = pd.read_parquet(dataset.path).query("day <= @day")
    train_df, test_df = train_test_split(df, test_size=0.2, stratify=df["label"])
    train_df.to_parquet(train.path)
    test_df.to_parquet(test.path)


@dsl.component(base_image=PYTHON, packages_to_install=["numpy==1.26.4"])
def init_embeddings(vocab_size: int, dim: int, embeddings: dsl.Output[dsl.Artifact]):
    import numpy as np

    rng = np.random.default_rng()
    table = rng.normal(0.0, dim**-0.5, size=(vocab_size, dim)).astype("float32")
    np.save(embeddings.path, table)


@dsl.component(base_image=PYTHON, packages_to_install=["pandas==2.2.2"])
def sample_negatives(train: dsl.Input[dsl.Dataset], k: int, negatives: dsl.Output[dsl.Dataset]):
    from random import sample

    import pandas as pd

    df = pd.read_parquet(train.path)
    items = df["item_id"].unique().tolist()
    rows = [(u, i) for u in df["user_id"].unique() for i in sample(items, k)]
    pd.DataFrame(rows, columns=["user_id", "item_id"]).to_parquet(negatives.path)


@dsl.component(base_image=PYTORCH)
def pretrain(
    train: dsl.Input[dsl.Dataset],
    embeddings: dsl.Input[dsl.Artifact],
    model: dsl.Output[dsl.Model],
):
    import numpy as np
    import torch

    emb = torch.from_numpy(np.load(embeddings.path))
    head = torch.nn.Parameter(torch.randn(emb.shape[1], 1) * 0.01)
    order = torch.randperm(emb.shape[0])
    torch.save({"emb": emb[order], "head": head}, model.path)


@dsl.container_component
def shuffle_shards(shards: dsl.Output[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=ALPINE,
        command=["sh", "-c"],
        args=[dsl.ConcatPlaceholder(["ls /mnt/shards/*.tfrecord | shuf > ", shards.path])],
    )


@dsl.pipeline(name="recsys-pretraining")
def recsys_pretraining(
    dataset_uri: str = "gs://acme-recsys/interactions.parquet", vocab_size: int = 50000
):
    day = partition_date()
    data = dsl.importer(artifact_uri=dataset_uri, artifact_class=dsl.Dataset).set_retry(3)
    splits = split_data(day=day.output, dataset=data.output)
    emb = init_embeddings(vocab_size=vocab_size, dim=64)
    sample_negatives(train=splits.outputs["train"], k=20)
    pretrain(train=splits.outputs["train"], embeddings=emb.outputs["embeddings"])
    shuffle_shards()


PIPELINE = recsys_pretraining
