#!/usr/bin/env bash
# Recompile the KFP fixtures with the real, pinned KFP SDK.
#
#   testdata/kfp-src/regenerate.sh            # every *.py pipeline in this folder
#   testdata/kfp-src/regenerate.sh foo.py     # just these
#
# Creates ./.venv on first use (or when requirements.txt changes), compiles each pipeline
# to the OUTPUT path it declares, and appends the `# expect:` markers from its EXPECT.
# Deterministic: running it twice gives byte-identical files.
# The fixtures were generated with CPython 3.11 (source text embedded in the output can
# depend on the interpreter); set PYTHON to choose the interpreter that creates the venv
# (default: python3.11 if present, else python3).
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

if ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "warning: $venv is not Python 3.11; output may differ from the committed fixtures" >&2
fi

# No bytecode files next to the pipeline sources; fixed hash seed so nothing that
# iterates a set can reorder output between runs.
export PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
exec "$venv/bin/python" compile_all.py "$@"
