"""Build the serving image for a new model version and roll it out to the cluster."""

from kfp import dsl

KANIKO = "gcr.io/kaniko-project/executor:v1.23.1@sha256:23d6aecbd0976f8763b69cb46e623516dd89fa872cde8dde3e6548f5ddfc9908"
HELM = "alpine/helm:3.15.2@sha256:d7ce40e723e318dfaab4de07b81da2d8c183ff7029e60543c5bf67c1f9326b3e"
KUBECTL = "bitnami/kubectl:1.30.2@sha256:efdb28db79c5ec47f0ac812b5340d3e3a020edd64eff62d00d99d1723a0cd569"
CURL = "curlimages/curl:8.8.0@sha256:b2299a5f9333c953c3161c9260a918192d5318fd758333b49d004fd36b49a13b"

OUTPUT = "kfp/build-and-deploy.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/build-image/retryPolicy", "retry-on-non-idempotent-step",
     "kaniko --destination pushes the image; retried 2 times"),
    ("@pipeline", "root/dag/tasks/smoke-test", "io-step-without-retry",
     "curl against the canary endpoint, no retry"),
]

RETRY = dict(num_retries=2, backoff_duration="1m", backoff_max_duration="10m")


@dsl.container_component
def build_image(git_ref: str, version: str):
    return dsl.ContainerSpec(
        image=KANIKO,
        command=["/kaniko/executor"],
        args=[
            dsl.ConcatPlaceholder(["--context=git://github.com/acme/fraud-serving.git#", git_ref]),
            "--dockerfile=Dockerfile",
            dsl.ConcatPlaceholder(["--destination=europe-docker.pkg.dev/acme/serving/fraud:", version]),
            "--cache=true",
        ],
    )


@dsl.container_component
def helm_release(version: str):
    return dsl.ContainerSpec(
        image=HELM,
        command=["helm", "upgrade", "--install", "fraud-serving", "oci://europe-docker.pkg.dev/acme/charts/serving"],
        args=["--namespace", "fraud", "--set", dsl.ConcatPlaceholder(["image.tag=", version]), "--atomic", "--timeout", "10m"],
    )


@dsl.container_component
def apply_monitoring():
    return dsl.ContainerSpec(
        image=KUBECTL,
        command=["kubectl", "apply", "-n", "fraud", "-f", "https://raw.githubusercontent.com/acme/fraud-serving/main/deploy/servicemonitor.yaml"],
    )


@dsl.container_component
def smoke_test(version: str):
    return dsl.ContainerSpec(
        image=CURL,
        command=["sh", "-c"],
        args=[
            dsl.ConcatPlaceholder(
                [
                    "curl -fsS --max-time 10 http://fraud-serving.fraud.svc:8080/v1/version | grep -q ",
                    version,
                ]
            )
        ],
    )


@dsl.pipeline(name="build-and-deploy")
def build_and_deploy(git_ref: str = "refs/tags/v3.4.0", version: str = "3.4.0"):
    image = build_image(git_ref=git_ref, version=version).set_retry(**RETRY)
    release = helm_release(version=version).after(image).set_retry(**RETRY)
    apply_monitoring().after(release).set_retry(**RETRY)
    smoke_test(version=version).after(release)


PIPELINE = build_and_deploy
