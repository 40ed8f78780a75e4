"""grace-period-shorter-than-checkpoint, passing: KFP checkpoints that fit in 30 s.

* train-ranker: pipelint.dev/checkpoint-seconds: "20";
* train-tabular: CHECKPOINT_SAVE_SECONDS=30, exactly the grace period (it fits);
* train-nightly: CHECKPOINT_INTERVAL_SECONDS=600 says how often, not how long: no
  checkpoint time is known, so nothing is judged;
* finetune-llm: on GKE Spot, with a checkpoint that takes "25s".
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/grace-period-shorter-than-checkpoint/pass-kfp.yaml"
EXPECT = []

TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"
LLM = "ghcr.io/acme/llm-finetune:0.9.1@sha256:edf10d82e992380e82a2eab174580d8b959bc39375744c7c93a275ba28716579"


@dsl.container_component
def train(entry: str, data_uri: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", entry],
        args=["--data", data_uri, "--checkpoint-dir", "/ckpt", "--out", model.path],
    )


@dsl.container_component
def finetune_llm(base_model: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=LLM,
        command=["accelerate", "launch", "-m", "finetune.sft"],
        args=["--base", base_model, "--out", model.path],
    )


@dsl.pipeline(name="spot-training-ok")
def spot_training_ok(
    data_uri: str = "gs://acme-data/ranking/2024-06/", base_model: str = "meta-llama/Llama-3.1-8B"
):
    ranker = train(entry="trainer.ranker", data_uri=data_uri).set_display_name("train-ranker")
    kfp.kubernetes.add_pod_annotation(ranker, "pipelint.dev/checkpoint-seconds", "20")

    tabular = train(entry="trainer.tabular", data_uri=data_uri)
    tabular.set_env_variable("CHECKPOINT_SAVE_SECONDS", "30")

    nightly = train(entry="trainer.nightly", data_uri=data_uri)
    nightly.set_env_variable("CHECKPOINT_INTERVAL_SECONDS", "600")

    llm = finetune_llm(base_model=base_model)
    llm.set_env_variable("CHECKPOINT_SAVE_SECONDS", "25s")
    kfp.kubernetes.add_node_selector(llm, "cloud.google.com/gke-spot", "true")


PIPELINE = spot_training_ok
