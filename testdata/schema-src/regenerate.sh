#!/usr/bin/env bash
# Regenerate the Argo Workflows JSON Schema that the `invalid-manifest` rule embeds,
# from the pinned Hera SDK (PyPI `hera`, Apache-2.0):
#
#   testdata/schema-src/regenerate.sh
#
# Creates ./.venv on first use (or when requirements.txt changes) and runs
# argo_schema.py, which writes src/rules/invalid_manifest/argo-workflows.schema.json.
# Deterministic: running it twice gives a byte-identical file. Needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")"

venv=.venv
stamp="$venv/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "setting up $PWD/$venv" >&2
    "${PYTHON:-$(command -v python3.11 || echo python3)}" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
    echo "$want" > "$stamp"
fi

export PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
exec "$venv/bin/python" argo_schema.py ../../src/rules/invalid_manifest/argo-workflows.schema.json
