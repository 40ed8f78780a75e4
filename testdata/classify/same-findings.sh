#!/usr/bin/env bash
# Shows that a change to the classifiers' machinery (the knowledge tables, the prefilter)
# changes no finding: `pipelint check --format json` of two builds over the same trees must be
# byte-identical. Usage, from the repository root:
#
#   testdata/classify/same-findings.sh BEFORE_BINARY AFTER_BINARY [DIR...]
#
# DIR defaults to testdata/ and, when present, ../shared/corpus. Exit 0: identical.
set -euo pipefail
before=$1
after=$2
shift 2
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    dirs=(testdata)
    [ -d ../shared/corpus ] && dirs+=(../shared/corpus)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for dir in "${dirs[@]}"; do
    name=$(echo "$dir" | tr '/.' '__')
    "$before" check --format json -j 1 --fail-on never "$dir" >"$out/$name.before" 2>"$out/$name.before.err" || true
    "$after" check --format json -j 1 --fail-on never "$dir" >"$out/$name.after" 2>"$out/$name.after.err" || true
    findings=$(grep -o '"rule":' "$out/$name.after" | wc -l)
    if cmp -s "$out/$name.before" "$out/$name.after" && cmp -s "$out/$name.before.err" "$out/$name.after.err"; then
        echo "same: $dir ($(wc -c <"$out/$name.after") bytes, $findings findings)"
    else
        echo "DIFFERENT: $dir"
        diff <(cat "$out/$name.before" "$out/$name.before.err") <(cat "$out/$name.after" "$out/$name.after.err") | head -40
        status=1
    fi
done
exit $status
