"""Organisation policies (testdata/policies/.pipelint.yaml), passing, in compiled KFP IR."""

from kfp import dsl, kubernetes

OUTPUT = "testdata/policies/pass-kfp.yaml"
EXPECT = []

PYTHON = "europe-docker.pkg.dev/acme-ml/base/python:3.11"
TRAINER = "ghcr.io/acme/trainer:1.4.0"


@dsl.component(base_image=PYTHON)
def train(epochs: int) -> float:
    return 0.91


@dsl.container_component
def evaluate(auc: float):
    return dsl.ContainerSpec(image=TRAINER, command=["python", "-m", "trainer.evaluate"], args=[auc])


@dsl.pipeline(name="churn-training")
def churn_training(epochs: int = 10):
    trained = train(epochs=epochs).set_memory_limit("64Gi")
    kubernetes.add_pod_label(trained, "team", "churn")
    evaluated = evaluate(auc=trained.output).set_memory_limit("16Gi")
    kubernetes.add_pod_label(evaluated, "team", "churn")


PIPELINE = churn_training
