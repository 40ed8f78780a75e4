"""Nightly CTR model training on EKS spot capacity, with an on-demand evaluation step."""

from hera.workflows import DAG, Container, Env, Resources, RetryStrategy, Workflow
from hera.workflows.models import Backoff, Toleration

TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"

OUTPUT = "hera/spot-training.yaml"
LABELS = [
    ("train-ctr", "metadata/annotations/pipelint.dev~1checkpoint-seconds", "grace-period-shorter-than-checkpoint",
     "checkpoint 150 s on Karpenter spot: the 2-minute AWS notice caps the 600 s grace at 120 s"),
]

SPOT = {"karpenter.sh/capacity-type": "spot"}

with Workflow(generate_name="ctr-nightly-", entrypoint="main") as w:
    train = Container(
        name="train-ctr",
        image=TRAINER,
        command=["torchrun", "--nproc-per-node=4", "-m", "trainer.ctr"],
        args=["--checkpoint-dir", "s3://acme-ckpt/ctr/", "--resume"],
        resources=Resources(cpu_limit="16", memory_limit="64Gi", gpus=4),
        node_selector=SPOT,
        tolerations=[Toleration(key="karpenter.sh/capacity-type", operator="Equal", value="spot", effect="NoSchedule")],
        annotations={"pipelint.dev/checkpoint-seconds": "150"},
        retry_strategy=RetryStrategy(
            limit="5", retry_policy="Always", backoff=Backoff(duration="1m", factor="2", max_duration="30m")
        ),
        pod_spec_patch='{"terminationGracePeriodSeconds": 600}',
    )
    evaluate = Container(
        name="evaluate-ctr",
        image=TRAINER,
        command=["python", "-m", "trainer.ctr_eval"],
        env=[Env(name="CHECKPOINT_SAVE_SECONDS", value="90")],
        resources=Resources(cpu_limit="4", memory_limit="16Gi"),
        pod_spec_patch='{"terminationGracePeriodSeconds": 120}',
    )
    with DAG(name="main"):
        train() >> evaluate()

WORKFLOW = w
