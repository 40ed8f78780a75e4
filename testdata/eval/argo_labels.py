"""Labels for the hand-written Argo files in argo/ (build.py resolves them to lines).

LABELS maps each file (relative to this folder) to `[(anchor, path, rule, note), ...]`:
the anchor is a template name, or `@workflow` for the whole document; the path walks down
from there as in testdata/fixturegen/expect_markers.py (`""` = the template's first line,
`retryStrategy`, `memoize`, `metadata/annotations/pipelint.dev~1checkpoint-seconds`,
`container/env[NAME]/value`, `spec/templateDefaults/retryStrategy`, ...). Every file is
listed, with `[]` when nothing should be reported.
"""

GRACE = "grace-period-shorter-than-checkpoint"

LABELS = {
    "argo/bq-shell-loads.yaml": [
        ("load-spend", "retryStrategy", "retry-on-non-idempotent-step",
         "`bq load` without --replace appends, retried three times"),
    ],
    "argo/clean-pipeline.yaml": [],
    "argo/cron-refresh.yaml": [
        ("@workflow", "spec/workflowSpec/retryStrategy", "retry-on-non-idempotent-step",
         "workflow-level retry applies to reindex-job, which runs `kubectl create job` (a new Job per attempt)"),
    ],
    "argo/declared-annotations.yaml": [
        ("pull-vendor-catalog", "", "io-step-without-retry",
         "declared pipelint.dev/io: \"true\", no retryStrategy anywhere"),
        ("apply-prices", "retryStrategy", "retry-on-non-idempotent-step",
         "declared pipelint.dev/idempotent: \"false\", retried twice"),
    ],
    "argo/demand-features.yaml": [
        ("download-holidays", "", "io-step-without-retry", "pandas read_json of an https:// URL, no retry"),
    ],
    # fetch-stock only reads a declared s3 input artifact: the executor downloads it before
    # the main container starts, with its own retry and backoff, so its label was withdrawn
    # (see README). The executor's http driver makes a single request, so fetch-price-list
    # keeps its label.
    "argo/etl-s3-artifacts.yaml": [
        ("fetch-price-list", "", "io-step-without-retry",
         "http input artifact (the executor fetches it once, no backoff), no retry"),
    ],
    "argo/grace-workflow-patch.yaml": [
        ("train-asr", "metadata/annotations/pipelint.dev~1checkpoint-seconds", GRACE,
         "checkpoint 2m, grace 90 s from the workflow-level podSpecPatch"),
    ],
    "argo/instructlab-refresh.yaml": [
        ("download-teacher", "", "io-step-without-retry", "`ilab model download` from the Hub, no retry"),
        ("generate-data", "memoize", "cache-on-random-step", "random.shuffle with no seed, memoized under a fixed key"),
        ("check-base-digest", "", "io-step-without-retry", "`crane digest` asks the registry, no retry"),
    ],
    "argo/kfp-v1-pipeline.yaml": [
        ("download-data", "", "io-step-without-retry",
         "KFP v1 component calls requests.get, no retryStrategy; first line is `- container:`"),
        ("train-baseline", "metadata/labels/pipelines.kubeflow.org~1enable_caching", "cache-on-random-step",
         "random.shuffle with no seed under the KFP v1 enable_caching label"),
    ],
    "argo/memoized-features.yaml": [
        ("allocate-run-id", "memoize", "cache-on-random-step", "uuid.uuid4() run id, memoized"),
        ("freshness-stamp", "memoize", "cache-on-random-step",
         "dt.datetime.utcnow() (datetime imported as dt), memoized"),
    ],
    "argo/ml-training-dag.yaml": [
        ("@workflow", "spec/templateDefaults/retryStrategy", "retry-on-non-idempotent-step",
         "templateDefaults retry applies to register (mlflow.register_model)"),
    ],
    "argo/oncall-digest-cron.yaml": [
        ("@workflow", "spec/workflowSpec/retryStrategy", "retry-on-non-idempotent-step",
         "workflow-level retry applies to page-oncall, a PagerDuty trigger POST with no dedup_key"),
    ],
    "argo/serving-release.yaml": [
        ("build-push", "retryStrategy", "retry-on-non-idempotent-step", "`buildah push` to the registry, retried"),
        ("@workflow", "spec/templateDefaults/retryStrategy", "retry-on-non-idempotent-step",
         "templateDefaults retry applies to warmup-job (`kubectl create` of a generateName Job) and publish-client (`npm publish`)"),
    ],
    "argo/shell-asset-staging.yaml": [
        ("fetch-gazetteer", "", "io-step-without-retry", "`az storage blob download-batch`, no retry"),
        ("fetch-labels", "", "io-step-without-retry", "`git clone` and `git lfs pull`, no retry"),
        ("mirror-base-image", "", "io-step-without-retry", "`skopeo copy` from a remote registry, no retry"),
    ],
    "argo/spot-finetune.yaml": [
        ("finetune-gke", "container/env[CHECKPOINT_UPLOAD_SECONDS]/value", GRACE,
         "75 s upload on GKE Spot (~30 s notice), although the grace period is 600 s"),
    ],
    "argo/unbounded-polling.yaml": [
        ("wait-for-drop", "retryStrategy", "unbounded-retry",
         "retryStrategy: {} polls with no limit"),
        ("import-drop", "retryStrategy", "unbounded-retry",
         "limit 10, factor 2, no maxDuration or cap: the waits add up to 1023 minutes, past the 6-hour ceiling"),
    ],
    "argo/workflowtemplate-defaults.yaml": [
        ("download-geonames", "", "io-step-without-retry", "curl download, overrides the default retry with limit 0"),
        ("@workflow", "spec/templateDefaults/retryStrategy", "retry-on-non-idempotent-step",
         "templateDefaults retry applies to launch-tile-job, a resource template with action: create and generateName"),
    ],
}
