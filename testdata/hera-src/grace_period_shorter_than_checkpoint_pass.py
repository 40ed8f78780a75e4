"""grace-period-shorter-than-checkpoint, passing: Hera containers with enough grace.

* pretrain: checkpoint 300 s, grace 600 s (on-demand nodes);
* finetune: CHECKPOINT_INTERVAL_SECONDS only (how often, not how long).
"""

from hera.workflows import DAG, Container, Env, Workflow

OUTPUT = "testdata/rules/grace-period-shorter-than-checkpoint/pass-hera.yaml"
EXPECT = []

TRAINER = "ghcr.io/acme/trainer:3.2.0@sha256:08ddf76a4b475b51903daa542e814be1b1bfe99c55614efdcabc1724335d7c17"

with Workflow(generate_name="vision-pretrain-", entrypoint="main") as w:
    pretrain = Container(
        name="pretrain",
        image=TRAINER,
        command=["torchrun", "--nproc-per-node=8", "-m", "trainer.vit"],
        annotations={"pipelint.dev/checkpoint-seconds": "300"},
        pod_spec_patch='{"terminationGracePeriodSeconds": 600}',
    )
    finetune = Container(
        name="finetune",
        image=TRAINER,
        command=["python", "-m", "trainer.vit_finetune"],
        env=[Env(name="CHECKPOINT_INTERVAL_SECONDS", value="1800")],
    )
    with DAG(name="main"):
        pretrain() >> finetune()

WORKFLOW = w
