"""Stage everything the nightly ranker needs: base weights, feature data, the tokenizer bundle, lookup tables."""

from kfp import dsl

TOOLS = "ghcr.io/acme/ml-tools:2.6.0@sha256:6009e39f04b84f761ab16f0973ed635ad08cf61e59c5ebc62a11a78e036bd956"

OUTPUT = "kfp/model-assets-sync.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/download-weights", "io-step-without-retry",
     "`hf download` from the Hub, no set_retry"),
    ("@pipeline", "root/dag/tasks/pull-training-data", "io-step-without-retry",
     "`git clone` of the data repo and `dvc pull` from its remote, no set_retry"),
]


@dsl.container_component
def download_weights(repo_id: str, weights: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TOOLS,
        command=["hf", "download", repo_id, "--include", "*.safetensors", "*.json", "--local-dir", weights.path],
    )


@dsl.container_component
def pull_training_data(git_ref: str, data: dsl.Output[dsl.Dataset]):
    return dsl.ContainerSpec(
        image=TOOLS,
        command=["bash", "-euo", "pipefail", "-c"],
        args=[
            'git clone --depth 1 --branch "$0" https://github.com/acme/ranker-data.git /src\n'
            'cd /src\n'
            'dvc pull data/train.parquet.dvc data/valid.parquet.dvc\n'
            'mkdir -p "$1" && cp data/*.parquet "$1"/',
            git_ref,
            data.path,
        ],
    )


@dsl.container_component
def pull_tokenizer_bundle(ref: str, bundle: dsl.Output[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=TOOLS,
        command=["sh", "-c"],
        args=['mkdir -p "$1" && oras pull "ghcr.io/acme/tokenizers/ranker:$0" --output "$1"', ref, bundle.path],
    )


@dsl.container_component
def copy_lookup_tables(tables: dsl.Output[dsl.Dataset]):
    return dsl.ContainerSpec(
        image=TOOLS,
        command=["rclone", "copy", "--checksum", "--transfers", "8", "r2:acme-lookups/ranker/current", tables.path],
    )


@dsl.component(base_image=TOOLS)
def check_assets(weights: dsl.Input[dsl.Model], data: dsl.Input[dsl.Dataset], bundle: dsl.Input[dsl.Artifact], tables: dsl.Input[dsl.Dataset]):
    import os

    for p in (weights.path, data.path, bundle.path, tables.path):
        assert os.listdir(p), f"{p} is empty"


@dsl.pipeline(name="ranker-assets", description="Stage the nightly ranker's inputs.")
def ranker_assets(repo_id: str = "acme/ranker-base-v4", git_ref: str = "v2024.06.30", ref: str = "1.4.0"):
    w = download_weights(repo_id=repo_id)
    d = pull_training_data(git_ref=git_ref)
    retry = dict(num_retries=4, backoff_duration="1m", backoff_max_duration="20m")
    b = pull_tokenizer_bundle(ref=ref).set_retry(**retry)
    t = copy_lookup_tables().set_retry(**retry)
    t.set_caching_options(False)
    check_assets(weights=w.outputs["weights"], data=d.outputs["data"], bundle=b.outputs["bundle"], tables=t.outputs["tables"])


PIPELINE = ranker_assets
