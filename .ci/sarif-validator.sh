#!/usr/bin/env bash
# Validates pipelint's SARIF with Microsoft's SARIF validator (`sarif-multitool validate`,
# npm package @microsoft/sarif-multitool, a self-contained .NET binary inside the package).
#
#   .ci/sarif-validator.sh PIPELINT_BINARY
#
# The validator exits 0 whatever it finds, and says nothing about a file it cannot
# deserialise, so this script reads its output log: our SARIF must give no error and no
# warning, and must give notes (proof that it was analysed); a deliberately broken copy
# must give errors (proof that the validator runs here at all).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
version=5.7.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work/npm" --no-audit --no-fund --loglevel=error \
    "@microsoft/sarif-multitool@$version" >/dev/null
tool="$work/npm/node_modules/.bin/sarif-multitool"
# The package's postinstall only makes the binary executable; npm may skip install scripts.
chmod u+x "$work"/npm/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool 2>/dev/null || true
# Without ICU on the machine, .NET needs this to start; harmless with it.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

# validate FILE -> prints "errors warnings notes"
validate() {
    local log="$work/$(basename "$1").validation.sarif"
    # The npm wrapper runs the tool through a shell: the level list keeps its quotes.
    # The default size limit (10 MB) would skip the corpus's log, and say so only as a note.
    "$tool" validate "$1" --output "$log" --log ForceOverwrite --max-file-size-in-kb 1000000 \
        --level '"Error;Warning;Note"' >"$work/validator.out" 2>&1 || {
        cat "$work/validator.out" >&2
        return 1
    }
    python3 - "$log" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
levels = [r.get("level", "warning") for run in runs for r in run.get("results", [])]
print(levels.count("error"), levels.count("warning"), levels.count("note"))
EOF
}

show() {
    grep -E ": (error|warning) " "$work/validator.out" | head -20 >&2 || true
}

status=0
"$bin" check --format sarif --quiet testdata/report/ci-formats.yaml >"$work/fixture.sarif" || true

# The canary: the fixture's SARIF with a line 0 must be rejected.
python3 - "$work/fixture.sarif" "$work/broken.sarif" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
json.dump(doc, open(sys.argv[2], "w"))
EOF
read -r e w n < <(validate "$work/broken.sarif")
if [ "$e" -eq 0 ]; then
    echo "the validator found no error in a broken file: it is not validating" >&2
    cat "$work/validator.out" >&2
    exit 1
fi
echo "canary: a region with startLine 0 gives $e error(s)"

check() {
    local name=$1 file=$2
    read -r e w n < <(validate "$file")
    echo "$name: $(wc -c <"$file") bytes, $e errors, $w warnings, $n notes"
    if [ "$e" -ne 0 ] || [ "$w" -ne 0 ]; then
        show
        status=1
    elif [ "$n" -eq 0 ]; then
        echo "$name: no notes at all, so the validator did not analyse it" >&2
        status=1
    fi
}

check "fixture (relative URIs, evidence)" "$work/fixture.sarif"
# Fixes: `fixes` with `artifactChanges` (insertions, replacements, removals), safe and unsafe.
"$bin" check --format sarif --quiet --image-digests testdata/fix/images.lock \
    testdata/fix/fixable.yaml >"$work/fixes.sarif" || true
fixes=$(python3 -c 'import json,sys; print(sum(len(r.get("fixes", [])) for r in json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$work/fixes.sarif")
if [ "$fixes" -lt 6 ]; then
    echo "testdata/fix/fixable.yaml gave $fixes fixes in SARIF, expected 6" >&2
    status=1
fi
check "fixes (artifactChanges)" "$work/fixes.sarif"
if [ -d ../shared/corpus ]; then
    "$bin" check ../shared/corpus --format sarif --quiet >"$work/corpus.sarif" || true
    check "../shared/corpus" "$work/corpus.sarif"
else
    echo "skipped the corpus: ../shared/corpus is not present"
fi
exit $status
