#!/usr/bin/env bash
# The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit framework:
#
#   .ci/pre-commit-test.sh PRE_COMMIT_BINARY PIPELINT_BINARY
#
# A throwaway git repository holds a good and a bad pipeline (and YAML/JSON that is not a
# pipeline). `pre-commit run` with the README's three-line config installs the `pipelint`
# hook (language: python, so pre-commit runs `pip install .`: maturin builds pipelint with
# Cargo.lock) and runs it; `pre-commit try-repo` runs the `pipelint-system` hook (pipelint on
# PATH). Each must fail on the bad file with our message, and pass once the file is fixed.
#
# pre-commit installs hooks from a git repository at a commit, so this one tests a
# snapshot of the working tree (tracked and untracked files, less what .gitignore
# excludes), committed in a temporary repository: what would be committed is what is tested.
set -euo pipefail
cd "$(dirname "$0")/.."
pre_commit=$(realpath "$1")
pipelint=$(realpath "$2")
here=$(pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"
# The hook's build uses CI's release profile and target directory (the wheel step of
# .ci/run built there first), so it compiles the pipelint crates and reuses the rest.
# shellcheck source=.ci/ci-release.sh
source .ci/ci-release.sh
git_() { git -c user.name=ci -c user.email=ci@localhost -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }

snap="$work/pipelint"
mkdir -p "$snap"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    if [ -f "$f" ]; then
        mkdir -p "$snap/$(dirname "$f")"
        cp -p "$f" "$snap/$f"
    fi
done
git_ -C "$snap" init -q
git_ -C "$snap" add -A
git_ -C "$snap" commit -qm snapshot
rev=$(git -C "$snap" rev-parse HEAD)

user="$work/user"
mkdir -p "$user/pipelines"
cat >"$user/pipelines/good.yaml" <<'EOF'
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: good-
spec:
  entrypoint: train
  templates:
    - name: train
      activeDeadlineSeconds: 3600
      container:
        image: python:3.12-slim@sha256:0c5e9e0f5a2cb7d3d4f5ea2d9d1dcfd5d7a4f2c6b8e0a1b2c3d4e5f60718293a
        command: [python, -c, "print('trained')"]
        resources:
          requests: {cpu: "1", memory: 2Gi}
          limits: {cpu: "2", memory: 2Gi}
EOF
sed -e 's/good-/bad-/' \
    -e 's/image: python:3.12-slim@sha256:[0-9a-f]*/image: python:latest/' \
    "$user/pipelines/good.yaml" >"$user/pipelines/bad.yaml"
printf 'replicas: 2\nname: not a pipeline\n' >"$user/values.yaml"
# The good pipeline must stay good as rules are added: nothing at warning or error.
if ! "$pipelint" check --quiet --fail-on warning --format compact "$user/pipelines/good.yaml"; then
    echo "pipelines/good.yaml of this test has findings now: make it good again" >&2
    exit 1
fi
printf '{"not": "a pipeline"}\n' >"$user/package.json"
git_ -C "$user" init -q
git_ -C "$user" add -A
git_ -C "$user" commit -qm pipelines

# The README's pre-commit snippet, with its placeholders filled in.
python3 - "$here/README.md" "$snap" "$rev" >"$user/.pre-commit-config.yaml" <<'EOF'
import re, sys
readme, repo, rev = sys.argv[1:]
section = open(readme).read().split("### pre-commit", 1)[1]
snippet = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
# The repository as users write it: here, the snapshot at its commit.
assert "repo: https://github.com/pipelint/pipelint\n" in snippet, snippet
snippet = snippet.replace("https://github.com/pipelint/pipelint", repo)
snippet = re.sub(r"<[^>]*(commit|tag|rev)[^>]*>", rev, snippet)
assert "<" not in snippet, snippet
print(snippet, end="")
EOF
echo "README snippet:"
sed 's/^/    /' "$user/.pre-commit-config.yaml"
git_ -C "$user" add .pre-commit-config.yaml

status=0
# expect EXIT_CODE NAME COMMAND...: runs COMMAND in the user repository, checks its exit
# code and, when it fails, that it names the bad file and the rule.
expect() {
    local want=$1 name=$2
    shift 2
    local start=$SECONDS got=0 ok=1
    (cd "$user" && "$@") >"$work/out" 2>&1 || got=$?
    echo "$name: exit $got (want $want), $((SECONDS - start)) s"
    if [ "$got" -ne "$want" ]; then
        ok=0
    elif [ "$want" -ne 0 ]; then
        for needle in 'pipelint(unpinned-image)' 'pipelines/bad.yaml:11:' \
            'step "train" runs image "python:latest", not pinned by digest'; do
            if ! grep -qF "$needle" "$work/out"; then
                echo "    missing from the hook's output: $needle"
                ok=0
            fi
        done
        if grep -qE 'values\.yaml|package\.json' "$work/out"; then
            echo "    the hook reported a file that is not a pipeline"
            ok=0
        fi
    elif ! grep -q 'Passed' "$work/out"; then
        echo "    no 'Passed' line"
        ok=0
    fi
    if [ "$ok" -eq 0 ]; then
        status=1
        sed 's/^/    /' "$work/out"
    fi
}

with_pipelint() { PATH="$(dirname "$pipelint"):$PATH" "$@"; }

# The python hook is built once, by the first run (the snapshot is a new repository for
# pre-commit: nothing cached); the fixed run reuses that environment.
expect 1 "pre-commit run with the README's config (pipelint, language: python: installs it), bad file" \
    "$pre_commit" run --all-files
echo "pre-commit's cache after the install: $(du -sh "$PRE_COMMIT_HOME" | cut -f1)"
expect 1 "try-repo pipelint-system (language: system), bad file" \
    with_pipelint "$pre_commit" try-repo "$snap" pipelint-system --ref "$rev" --all-files

# Fix the bad file the way the message says: pin the image by digest.
sed -i 's/image: python:latest/image: python:3.12-slim@sha256:0c5e9e0f5a2cb7d3d4f5ea2d9d1dcfd5d7a4f2c6b8e0a1b2c3d4e5f60718293a/' \
    "$user/pipelines/bad.yaml"
git_ -C "$user" add -A

expect 0 "pre-commit run with the README's config, fixed" \
    "$pre_commit" run --all-files
expect 0 "try-repo pipelint-system, fixed" \
    with_pipelint "$pre_commit" try-repo "$snap" pipelint-system --ref "$rev" --all-files

# The hook builds with Cargo.lock or not at all: a lockfile that no longer matches
# Cargo.toml (here, one package dropped from it) fails the install instead of resolving
# newer versions.
git_ -C "$snap" checkout -q -b stale-lock
python3 - "$snap/Cargo.lock" <<'EOF'
import re, sys
path = sys.argv[1]
lock = open(path).read()
stale = re.sub(r'\[\[package\]\]\nname = "strsim"\n.*?\n\n', "", lock, count=1, flags=re.S)
assert stale != lock, "no strsim package in Cargo.lock"
open(path, "w").write(stale)
EOF
git_ -C "$snap" commit -qam "stale lockfile"
start=$SECONDS
got=0
(cd "$user" && "$pre_commit" try-repo "$snap" pipelint --ref "$(git -C "$snap" rev-parse HEAD)" --all-files) \
    >"$work/out" 2>&1 || got=$?
echo "try-repo pipelint with a stale Cargo.lock: exit $got (want 3, install failed), $((SECONDS - start)) s"
if [ "$got" -ne 3 ] || ! grep -q -- '--locked was passed' "$work/out"; then
    echo "    the hook's install did not refuse the stale lockfile"
    sed 's/^/    /' "$work/out"
    status=1
fi
exit $status
