"""Release the feature-store SDK: wheel to PyPI, GitHub release, npm client, image to GHCR."""

from kfp import dsl

RELEASE = "ghcr.io/acme/release-tools:1.4.2@sha256:2d6fd026c1572fdd906d454fc7245be5052553073b8ebd635068f3e25e4b1a2c"

OUTPUT = "kfp/sdk-release.yaml"
LABELS = [
    ("@pipeline", "root/dag/tasks/publish-wheel/retryPolicy", "retry-on-non-idempotent-step",
     "twine upload to PyPI retried: a second upload of the same version fails or half-publishes"),
    ("@pipeline", "root/dag/tasks/github-release/retryPolicy", "retry-on-non-idempotent-step",
     "gh release create retried"),
    ("@pipeline", "root/dag/tasks/publish-npm/retryPolicy", "retry-on-non-idempotent-step",
     "npm publish retried"),
    ("@pipeline", "root/dag/tasks/push-image/retryPolicy", "retry-on-non-idempotent-step",
     "crane push retried"),
]
RETRY = dict(num_retries=2, backoff_duration="1m", backoff_max_duration="5m")


@dsl.container_component
def build_dist(version: str, dist: dsl.Output[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=RELEASE,
        command=["bash", "-euo", "pipefail", "-c"],
        args=[
            'cd /src/featurestore-sdk && SETUPTOOLS_SCM_PRETEND_VERSION="$0" python -m build --outdir "$1/py"\n'
            'cd /src/featurestore-js && npm version "$0" --no-git-tag-version && npm pack --pack-destination "$1/npm"\n'
            'buildah bud -t "featurestore:$0" /src/featurestore-svc && buildah push "featurestore:$0" "docker-archive:$1/image.tar"',
            version,
            dist.path,
        ],
    )


@dsl.container_component
def publish_wheel(dist: dsl.Input[dsl.Artifact]):
    return dsl.ContainerSpec(image=RELEASE, command=["sh", "-c"], args=['twine upload --non-interactive "$0"/py/*', dist.path])


@dsl.container_component
def github_release(version: str, dist: dsl.Input[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=RELEASE,
        command=["sh", "-c"],
        args=['gh release create "v$0" "$1"/py/* --repo acme/featurestore-sdk --title "v$0" --generate-notes', version, dist.path],
    )


@dsl.container_component
def publish_npm(dist: dsl.Input[dsl.Artifact]):
    return dsl.ContainerSpec(image=RELEASE, command=["sh", "-c"], args=['npm publish "$0"/npm/*.tgz --access public', dist.path])


@dsl.container_component
def push_image(version: str, dist: dsl.Input[dsl.Artifact]):
    return dsl.ContainerSpec(
        image=RELEASE,
        command=["sh", "-c"],
        args=['crane push "$1/image.tar" "ghcr.io/acme/featurestore:$0"', version, dist.path],
    )


@dsl.pipeline(name="sdk-release", description="Publish a feature-store SDK release.")
def sdk_release(version: str = "3.8.0"):
    dist = build_dist(version=version).set_retry(**RETRY)
    publish_wheel(dist=dist.outputs["dist"]).set_retry(**RETRY)
    github_release(version=version, dist=dist.outputs["dist"]).set_retry(**RETRY)
    publish_npm(dist=dist.outputs["dist"]).set_retry(**RETRY)
    push_image(version=version, dist=dist.outputs["dist"]).set_retry(**RETRY)


PIPELINE = sdk_release
