"""Warm the ranker's caches after a rollout: Kubernetes Jobs and a ConfigMap from resource templates."""

from hera.workflows import DAG, Resource, RetryStrategy, Workflow, script

PYTHON = "python:3.11-slim@sha256:7b88c7e10751cd1ab166b1059ae569ff259c5ba7da9622d6b9ad16b6d8a7b3c0"
WARMUP = "ghcr.io/acme/ranker-warmup:3.1.0@sha256:4c1f9e2b7a6d5c3e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6"

OUTPUT = "hera/warmup-jobs.yaml"
LABELS = [
    ("start-warmup-job", "retryStrategy", "retry-on-non-idempotent-step",
     "resource create of a Job with metadata.generateName, retried: every attempt starts another Job"),
]

RETRY = RetryStrategy(limit="2")

JOB = """apiVersion: batch/v1
kind: Job
metadata:
  generateName: ranker-warmup-
  namespace: serving
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: warmup
          image: %s
          args: ["--model", "ranker", "--queries", "10000"]
""" % WARMUP

CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: ranker-serving-config
  namespace: serving
data:
  model: ranker-v31
"""

@script(image=PYTHON, retry_strategy=RETRY)
def collect_warm_keys():
    from pymilvus import MilvusClient

    client = MilvusClient(uri="http://milvus.vector.svc:19530")
    rows = []
    for shard in range(8):
        rows.append({"id": f"warm-{shard}", "vector": [0.0] * 64, "shard": shard})
    client.upsert(collection_name="warm_keys", data=rows)


with Workflow(generate_name="ranker-warmup-", entrypoint="main") as w:
    publish_ranker_config = Resource(name="publish-ranker-config", action="create", manifest=CONFIG, retry_strategy=RETRY)
    start_warmup_job = Resource(name="start-warmup-job", action="create", manifest=JOB, retry_strategy=RETRY)
    with DAG(name="main"):
        publish_ranker_config() >> start_warmup_job() >> collect_warm_keys()

WORKFLOW = w
