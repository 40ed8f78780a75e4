"""sdk-backend-version-mismatch, failing against `kfp-backend-version: 2.4.0` (with-target/).

Compiled by kfp 2.15.2 for a cluster that runs KFP backend 2.4.0:

* `sdkVersion: kfp-2.15.2` alone is not a finding (the fields decide);
* `tolerationJson` (a toleration from a pipeline parameter) needs backend 2.5.0;
* `nodeAffinityJson` needs backend 2.14.0.
The backend's protojson decoder rejects the unknown fields at upload
("invalid v2 pipeline spec: ... unknown field").
"""

import kfp.kubernetes
from kfp import dsl

OUTPUT = "testdata/rules/sdk-backend-version-mismatch/with-target/fail-kfp.yaml"
RULE = "sdk-backend-version-mismatch"
EXPECT = [
    ("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-train/tolerations/?tolerationJson", RULE),
    ("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-train/nodeAffinity/?nodeAffinityJson", RULE),
]

TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"


@dsl.container_component
def train(data_uri: str, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image=TRAINER, command=["python", "-m", "trainer.fit"], args=["--data", data_uri, "--out", model.path]
    )


@dsl.pipeline(name="gpu-training")
def gpu_training(
    data_uri: str = "gs://acme-data/train/",
    gpu_toleration: dict = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    gpu_affinity: dict = {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "cloud.google.com/gke-accelerator", "operator": "In", "values": ["nvidia-l4"]}]}
            ]
        }
    },
):
    task = train(data_uri=data_uri)
    task.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    task.set_cpu_limit("8").set_memory_limit("32Gi")
    kfp.kubernetes.add_toleration_json(task, gpu_toleration)
    kfp.kubernetes.add_node_affinity_json(task, gpu_affinity)


PIPELINE = gpu_training
