"""grace-period-shorter-than-checkpoint, failing: KFP trainers whose checkpoint outlasts 30 s.

KFP has no termination-grace setting, so every pod gets the Kubernetes default of 30 s.

* train-ranker: declares pipelint.dev/checkpoint-seconds: "90" (add_pod_annotation) ->
  the annotation line in the PlatformSpec;
* finetune-llm: CHECKPOINT_UPLOAD_SECONDS=4m on a GKE Spot node pool -> the env value line;
* train-tabular: CHECKPOINT_SAVE_SECONDS=45 on Karpenter spot capacity -> the env value line.
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/grace-period-shorter-than-checkpoint/fail-kfp.yaml"
RULE = "grace-period-shorter-than-checkpoint"
EXPECT = [
    (
        "@platform",
        "platforms/kubernetes/deploymentSpec/executors/exec-train-ranker/podMetadata/"
        "annotations/pipelint.dev~1checkpoint-seconds",
        RULE,
    ),
    ("exec-finetune-llm", "container/env[CHECKPOINT_UPLOAD_SECONDS]/value", RULE),
    ("exec-train-tabular", "container/env[CHECKPOINT_SAVE_SECONDS]/value", RULE),
]

TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"
LLM = "ghcr.io/acme/llm-finetune:0.9.1@sha256:edf10d82e992380e82a2eab174580d8b959bc39375744c7c93a275ba28716579"


@dsl.container_component
def train_ranker(data_uri: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.ranker"],
        args=["--data", data_uri, "--checkpoint-dir", "/ckpt", "--out", model.path],
    )


@dsl.container_component
def finetune_llm(base_model: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=LLM,
        command=["accelerate", "launch", "-m", "finetune.sft"],
        args=["--base", base_model, "--save-to", "gs://acme-ckpt/sft/", "--out", model.path],
    )


@dsl.container_component
def train_tabular(data_uri: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER,
        command=["python", "-m", "trainer.tabular"],
        args=["--data", data_uri, "--out", model.path],
    )


@dsl.pipeline(name="spot-training")
def spot_training(
    data_uri: str = "gs://acme-data/ranking/2024-06/", base_model: str = "meta-llama/Llama-3.1-8B"
):
    ranker = train_ranker(data_uri=data_uri)
    ranker.set_cpu_limit("8").set_memory_limit("32Gi")
    kfp.kubernetes.add_pod_annotation(ranker, "pipelint.dev/checkpoint-seconds", "90")

    llm = finetune_llm(base_model=base_model)
    llm.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(4)
    llm.set_env_variable("CHECKPOINT_UPLOAD_SECONDS", "4m")
    kfp.kubernetes.add_node_selector(llm, "cloud.google.com/gke-spot", "true")
    kfp.kubernetes.add_toleration(
        llm, key="cloud.google.com/gke-spot", operator="Equal", value="true", effect="NoSchedule"
    )

    tabular = train_tabular(data_uri=data_uri)
    tabular.set_env_variable("CHECKPOINT_SAVE_SECONDS", "45")
    kfp.kubernetes.add_node_selector(tabular, "karpenter.sh/capacity-type", "spot")


PIPELINE = spot_training
