"""Generate the JSON Schema of the Argo Workflows API that `invalid-manifest` embeds.

Usage (normally through regenerate.sh, which provides the pinned venv):

    python argo_schema.py OUTPUT.json

Source: the pydantic models of the Hera SDK (PyPI `hera`, Apache-2.0), which Hera generates
from Argo Workflows' OpenAPI spec. pydantic turns them into JSON Schema (draft 2020-12);
this script then makes the schema judge manifests the way Argo does, with the patches
listed in PATCHES below, each with its reason. Run it twice: the output is byte-identical
(keys sorted, no timestamps).

What the linter does with the result (src/rules/invalid_manifest.rs): it picks
`#/$defs/<kind>` from the document's `kind`, drops mapping entries whose value is `null`
first (Kubernetes treats `key: null` as unset, so the schema need not allow null), and
validates.
"""

import json
import sys
from importlib.metadata import version

from hera.workflows import models
from pydantic.json_schema import models_json_schema

KINDS = ["Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"]

# Keywords that only annotate: dropped to keep the embedded schema small. `format` too:
# the validator does not check formats, and `date-time`/`base64` are all Hera declares.
ANNOTATIONS = {"title", "description", "default", "examples", "format"}

# Objects that stay open (any key is allowed); every other object with `properties` gets
# `additionalProperties: false`, since Argo decodes manifests strictly (`argo lint`,
# the controller) and an unknown key is a typo or a field of another version.
OPEN_OBJECTS = {
    # `Template.plugin`: the plugin's own configuration, whatever the plugin defines.
    "Plugin",
    # `metadata.managedFields[].fieldsV1`: the API server's field-ownership trie.
    "FieldsV1",
}

# Scalar fields that Argo or Kubernetes decode from more JSON types than Hera declares.
SCALARS = ["string", "number", "boolean"]
PATCHES = [
    # Kubernetes `resource.Quantity` reads a JSON number as well as a string
    # (`nvidia.com/gpu: 1`, `cpu: 0.5`); Hera declares string only.
    ("Quantity", None, {"type": ["string", "number"]}),
    # Kubernetes `HTTPGetAction.port` is an IntOrString (`port: http` names a container
    # port); Hera declares integer only.
    ("HTTPGetAction", "port", {"$ref": "#/$defs/IntOrString"}),
    # Argo's `AnyString` (parameter values, defaults, enum items, descriptions) reads a
    # number or a boolean as its text (`value: 5`, `default: true`); Hera declares string.
    ("Parameter", "default", {"type": SCALARS}),
    ("Parameter", "value", {"type": SCALARS}),
    ("Parameter", "description", {"type": SCALARS}),
    ("Parameter", "enum", {"type": "array", "items": {"type": SCALARS}}),
    ("ValueFrom", "default", {"type": SCALARS}),
]

# Fields Hera's models lack, added with the Kubernetes or Argo types they have.
#
# Hera 7.1.0's models follow Argo v4.0.5. Argo v4.1 added these (see its field reference,
# https://argo-workflows.readthedocs.io/en/latest/fields/):
NEW_DEFS = {
    # Kubernetes `PodResourceClaim` (`resourceClaims` items).
    "PodResourceClaim": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "resourceClaimName": {"type": "string"},
            "resourceClaimTemplateName": {"type": "string"},
        },
        "required": ["name"],
    },
    # Argo `ExecutorPlugin` (`executorPlugins` items): a plugin sidecar declared per workflow.
    "ExecutorPlugin": {
        "type": "object",
        "properties": {
            "metadata": {"$ref": "#/$defs/ObjectMeta"},
            "spec": {"$ref": "#/$defs/ExecutorPluginSpec"},
        },
        "required": ["metadata", "spec"],
    },
    "ExecutorPluginSpec": {
        "type": "object",
        "properties": {"sidecar": {"$ref": "#/$defs/ExecutorPluginSidecar"}},
        "required": ["sidecar"],
    },
    "ExecutorPluginSidecar": {
        "type": "object",
        "properties": {
            "automountServiceAccountToken": {"type": "boolean"},
            "container": {"$ref": "#/$defs/Container"},
        },
        "required": ["container"],
    },
}
ADDED_FIELDS = [
    # Argo v4.1: pod-level resources (Kubernetes `ResourceRequirements`), DRA resource
    # claims, workflow-level executor plugins, the pending timeout (a duration string).
    ("WorkflowSpec", "podResources", {"$ref": "#/$defs/ResourceRequirements"}),
    ("Template", "podResources", {"$ref": "#/$defs/ResourceRequirements"}),
    ("WorkflowSpec", "resourceClaims", {"type": "array", "items": {"$ref": "#/$defs/PodResourceClaim"}}),
    ("Template", "resourceClaims", {"type": "array", "items": {"$ref": "#/$defs/PodResourceClaim"}}),
    ("WorkflowSpec", "executorPlugins", {"type": "array", "items": {"$ref": "#/$defs/ExecutorPlugin"}}),
    ("Template", "pendingTimeout", {"type": "string"}),
    ("HTTPArtifact", "saveStreamViaFile", {"type": "boolean"}),
    ("S3Artifact", "addressingStyle", {"type": "string"}),
    # Alpha Kubernetes 1.34 fields that Argo v4.1's container and volume types carry
    # (container restart rules, env vars from files, pod certificates): accepted with
    # the JSON type they have, their content unchecked.
    ("Container", "restartPolicyRules", {"type": "array", "items": {"type": "object"}}),
    ("UserContainer", "restartPolicyRules", {"type": "array", "items": {"type": "object"}}),
    ("ContainerNode", "restartPolicyRules", {"type": "array", "items": {"type": "object"}}),
    ("ScriptTemplate", "restartPolicyRules", {"type": "array", "items": {"type": "object"}}),
    ("EnvVarSource", "fileKeyRef", {"type": "object"}),
    ("VolumeProjection", "podCertificate", {"type": "object"}),
    # Removed by Argo v4.0 but valid on every 3.x release, which many clusters still run:
    # kept so that a manifest for Argo 3.x is not called invalid. Whether the target
    # release still accepts them is `sdk-backend-version-mismatch`'s call (`argo-version`).
    ("CronWorkflowSpec", "schedule", {"type": "string"}),
    ("WorkflowSpec", "podPriority", {"type": "integer"}),
    ("Synchronization", "mutex", {"$ref": "#/$defs/Mutex"}),
    ("Synchronization", "semaphore", {"$ref": "#/$defs/SemaphoreRef"}),
]
# Argo v4 narrowed `memoize.cache.configMap` to a LocalObjectReference (`name`); Argo 3.x
# read a ConfigMapKeySelector (`name`, `key`, `optional`), and Hera's own examples still
# write `key`. Both are accepted.
NEW_DEFS["CacheConfigMap"] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "key": {"type": "string"},
        "optional": {"type": "boolean"},
    },
}
REPLACED_FIELDS = [
    ("Cache", "configMap", {"$ref": "#/$defs/CacheConfigMap"}),
    # What the controller writes back (`status`) is not the author's to fix, and an object
    # exported with `kubectl get -o yaml` carries the status of the Argo that ran it:
    # any mapping is accepted there.
    ("Workflow", "status", {"type": "object"}),
    ("CronWorkflow", "status", {"type": "object"}),
    # Argo looks templates up by name and rejects a workflow whose `spec.templates` item
    # or `steps` item has none ("name is required"); OpenAPI cannot say so, because the
    # same Template type is also an unnamed `inline` template or `templateDefaults`.
    ("WorkflowSpec", "templates", {"type": "array", "items": {"$ref": "#/$defs/NamedTemplate"}}),
]
NEW_DEFS["NamedTemplate"] = {"$ref": "#/$defs/Template", "required": ["name"]}
REQUIRED_FIELDS = [("WorkflowStep", "name")]

# With `schedule` back, a CronWorkflow needs `schedules` or (Argo 3.x) `schedule`.
SCHEDULE_REQUIRED = {"anyOf": [{"required": ["schedules"]}, {"required": ["schedule"]}]}

# Hera's own IntOrString (integer or string) is kept as it is: that is what fixes Argo's
# published schema, which declares IntOrString string-only and so rejects
# `retryStrategy.limit: 3`, `port: 80` and `activeDeadlineSeconds: 300`.


def is_null(schema):
    return schema == {"type": "null"}


def clean(schema):
    """One schema node, recursively: annotations dropped, `anyOf [X, null]` (pydantic's
    `Optional[X]`) collapsed to X."""
    if isinstance(schema, bool):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ANNOTATIONS:
            continue
        if key in ("properties", "$defs", "patternProperties"):
            out[key] = {name: clean(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "contains", "propertyNames"):
            out[key] = clean(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [clean(sub) for sub in value if not is_null(sub)]
        else:
            out[key] = value
    for key in ("anyOf", "oneOf"):
        if key in out and len(out[key]) == 1:
            (only,) = out.pop(key)
            for k, v in only.items():
                if k in out:
                    raise SystemExit(f"cannot collapse {key}: {k} on both sides")
                out[k] = v
    return out


def openapi_url():
    """The Argo OpenAPI spec Hera generated its models from (in the models' docstring)."""
    for line in (models.__doc__ or "").splitlines():
        if line.strip().startswith("OpenAPI spec URL:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("hera.workflows.models no longer names its OpenAPI spec")


def reachable(defs):
    """Only the definitions the four kinds reach (the replaced `status` leaves many out)."""
    seen, todo = set(), list(KINDS)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = json.dumps(defs[name])
        todo.extend(part.split('"')[0] for part in text.split('"$ref": "#/$defs/')[1:])
    return {name: sub for name, sub in defs.items() if name in seen}


def build():
    _, schema = models_json_schema(
        [(getattr(models, kind), "validation") for kind in KINDS],
        by_alias=True,
        ref_template="#/$defs/{model}",
    )
    defs = {name: clean(sub) for name, sub in schema["$defs"].items()}
    for kind in KINDS:
        if kind not in defs:
            raise SystemExit(f"Hera has no model {kind}")

    for name, sub in NEW_DEFS.items():
        if name in defs:
            raise SystemExit(f"Hera now has {name}: drop it from NEW_DEFS")
        defs[name] = sub
    for name, field, sub in ADDED_FIELDS:
        if field in defs[name]["properties"]:
            raise SystemExit(f"Hera now has {name}.{field}: drop it from ADDED_FIELDS")
        defs[name]["properties"][field] = sub
    for name, field, sub in REPLACED_FIELDS:
        if field not in defs[name]["properties"]:
            raise SystemExit(f"{name}.{field} is not in Hera's models any more")
        defs[name]["properties"][field] = sub
    for name, field in REQUIRED_FIELDS:
        required = defs[name].setdefault("required", [])
        if field in required:
            raise SystemExit(f"Hera now requires {name}.{field}: drop it from REQUIRED_FIELDS")
        required.append(field)
    cron = defs["CronWorkflowSpec"]
    cron["required"] = [r for r in cron["required"] if r != "schedules"]
    cron.update(SCHEDULE_REQUIRED)

    for name, sub in defs.items():
        if "properties" in sub and name not in OPEN_OBJECTS:
            sub["additionalProperties"] = False
    for name in OPEN_OBJECTS:
        defs[name].pop("additionalProperties", None)

    for name, field, replacement in PATCHES:
        target = defs[name]
        if field is None:
            defs[name] = replacement
        else:
            if field not in target["properties"]:
                raise SystemExit(f"{name}.{field} is not in Hera's models any more")
            target["properties"][field] = replacement

    defs = reachable(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            "Generated by testdata/schema-src/argo_schema.py from the models of "
            f"hera {version('hera')} (PyPI, Apache-2.0) with pydantic "
            f"{version('pydantic')}; do not edit. Validate against #/$defs/<kind>."
        ),
        "x-source": {
            "package": "hera",
            "version": version("hera"),
            "license": "Apache-2.0",
            "openapi": openapi_url(),
        },
        "x-kinds": KINDS,
        "$defs": defs,
    }


def dump(schema):
    """Sorted keys, one definition per line: small, and diffs show which type changed."""
    compact = {"separators": (",", ":"), "sort_keys": True, "ensure_ascii": False}
    head = {k: v for k, v in schema.items() if k != "$defs"}
    lines = ["{"]
    for key in sorted(head):
        lines.append(f"{json.dumps(key)}:{json.dumps(head[key], **compact)},")
    lines.append('"$defs":{')
    names = sorted(schema["$defs"])
    for i, name in enumerate(names):
        comma = "," if i + 1 < len(names) else ""
        lines.append(f"{json.dumps(name)}:{json.dumps(schema['$defs'][name], **compact)}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) != 1:
        raise SystemExit("usage: argo_schema.py OUTPUT.json")
    text = dump(build())
    json.loads(text)  # well-formed
    with open(argv[0], "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"{argv[0]}: {len(text)} bytes, hera {version('hera')}")


if __name__ == "__main__":
    main(sys.argv[1:])
