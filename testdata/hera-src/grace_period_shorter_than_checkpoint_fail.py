"""grace-period-shorter-than-checkpoint, failing: Hera containers killed mid-checkpoint.

* pretrain: pipelint.dev/checkpoint-seconds: "300" with a 120 s grace (pod_spec_patch);
* finetune: CHECKPOINT_TIMEOUT_SECONDS=2m on preemptible GKE nodes (about 30 s notice).
"""

from hera.workflows import DAG, Container, Env, Workflow
from hera.workflows.models import Toleration

OUTPUT = "testdata/rules/grace-period-shorter-than-checkpoint/fail-hera.yaml"
RULE = "grace-period-shorter-than-checkpoint"
EXPECT = [
    ("pretrain", "metadata/annotations/pipelint.dev~1checkpoint-seconds", RULE),
    ("finetune", "container/env[CHECKPOINT_TIMEOUT_SECONDS]/value", RULE),
]

TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"

with Workflow(generate_name="vision-pretrain-", entrypoint="main") as w:
    pretrain = Container(
        name="pretrain",
        image=TRAINER,
        command=["torchrun", "--nproc-per-node=8", "-m", "trainer.vit"],
        annotations={"pipelint.dev/checkpoint-seconds": "300"},
        pod_spec_patch='{"terminationGracePeriodSeconds": 120}',
    )
    finetune = Container(
        name="finetune",
        image=TRAINER,
        command=["python", "-m", "trainer.vit_finetune"],
        env=[Env(name="CHECKPOINT_TIMEOUT_SECONDS", value="2m")],
        node_selector={"cloud.google.com/gke-preemptible": "true"},
        tolerations=[
            Toleration(key="cloud.google.com/gke-preemptible", operator="Equal", value="true", effect="NoSchedule")
        ],
        pod_spec_patch='{"terminationGracePeriodSeconds": 180}',
    )
    with DAG(name="main"):
        pretrain() >> finetune()

WORKFLOW = w
