#!/usr/bin/env bash
# Rebuild the evaluation set: compile the KFP pipelines in kfp-src/ with the real, pinned
# kfp SDK, render the Hera workflows in hera-src/ with the real, pinned Hera, and resolve
# every label (kfp-src/*.py and hera-src/*.py LABELS, argo_labels.py) to a line in
# labels.tsv.
#
#   testdata/eval/regenerate.sh
#
# Reuses the fixture toolchains: testdata/kfp-src/.venv and testdata/hera-src/.venv, built
# from their requirements.txt exactly as their own regenerate.sh scripts do (same stamp
# file, so either script may create them). Deterministic: two runs give identical files.
set -euo pipefail
cd "$(dirname "$0")"

ensure_venv() {  # <folder with requirements.txt>
    local dir="$1" venv="$1/.venv"
    local stamp="$venv/.requirements.sha256"
    local want
    want="$(sha256sum "$dir/requirements.txt" | cut -d' ' -f1)"
    if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        echo "setting up $venv" >&2
        "${PYTHON:-$(command -v python3.11 || echo python3)}" -m venv --clear "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
        echo "$want" > "$stamp"
    fi
    if ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        echo "warning: $venv is not Python 3.11; output may differ from the committed files" >&2
    fi
}

ensure_venv ../kfp-src
ensure_venv ../hera-src

export PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

../kfp-src/.venv/bin/python build.py kfp "$work"
../hera-src/.venv/bin/python build.py hera "$work"
../kfp-src/.venv/bin/python build.py argo "$work"
../kfp-src/.venv/bin/python build.py merge "$work"
