"""Organisation policies (testdata/policies/.pipelint.yaml), failing, in compiled KFP IR.

`train` runs the SDK's default image (docker.io), asks for 128Gi and has no `team` label;
`evaluate` is labelled and pinned to an approved registry, but its label is not a team
name the policy accepts.
"""

from kfp import dsl, kubernetes

OUTPUT = "testdata/policies/fail-kfp.yaml"
EXPECT = [
    ("exec-train", "container/image", "approved-registries"),
    ("exec-train", "container/resources/resourceMemoryLimit", "memory-ceiling"),
    ("@pipeline", "root/dag/tasks/train", "team-label"),
    ("@platform", "platforms/kubernetes/deploymentSpec/executors/exec-evaluate/podMetadata/labels/team", "team-label"),
]

TRAINER = "ghcr.io/acme/trainer:1.4.0"


@dsl.component
def train(epochs: int) -> float:
    return 0.91


@dsl.container_component
def evaluate(auc: float):
    return dsl.ContainerSpec(image=TRAINER, command=["python", "-m", "trainer.evaluate"], args=[auc])


@dsl.pipeline(name="churn-training")
def churn_training(epochs: int = 10):
    trained = train(epochs=epochs).set_memory_limit("128Gi")
    evaluated = evaluate(auc=trained.output).set_memory_limit("16Gi")
    kubernetes.add_pod_label(evaluated, "team", "Churn Team")


PIPELINE = churn_training
