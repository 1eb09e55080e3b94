#!/usr/bin/env bash
# Builds the benchmarks' peer, the Kubernetes extension for VS Code (K8s Tools), as a .vsix from its
# public source, so `npm run bench` can measure it side by side (TERRARIUM_BENCH_K8S_VSIX).
#
#   scripts/build-k8s-tools-peer.sh SOURCE [OUT_DIR]
#
# SOURCE: a checked-out source tree of that project, or a git directory (bare or .git) holding its
# history; from a git directory the tag in K8S_TOOLS_REF (default 1.4.1) is exported first.
# OUT_DIR (default /tmp/k8s-tools): where the work copy and vscode-kubernetes-tools-<version>.vsix go.
# Nothing is written inside SOURCE. Needs node, npm and network access to the npm registry only.
#
# Changes to the source: none. From a git directory, blobs missing from a partial clone (the
# project's README screenshots, which its .vscodeignore leaves out of the .vsix anyway) are skipped.
set -euo pipefail

src=${1:?usage: $0 SOURCE_DIR_OR_GIT_DIR [OUT_DIR]}
out=${2:-/tmp/k8s-tools}
ref=${K8S_TOOLS_REF:-1.4.1}
mkdir -p "$out"
work="$out/src"
rm -rf "$work"
mkdir -p "$work"

if git --git-dir="$src" rev-parse --git-dir >/dev/null 2>&1 && [ ! -f "$src/package.json" ]; then
  gitdir="$src"
  commit=$(git --git-dir="$gitdir" rev-parse "$ref^{commit}")
  echo "exporting $ref ($commit) from $gitdir"
  # Skip blobs the clone does not hold (a partial mirror): git archive stops at the first one.
  # (git may still print "invalid object" for an excluded blob; the archive is complete without it.)
  missing=()
  while IFS=$'\t' read -r meta path; do
    sha=$(cut -d' ' -f3 <<<"$meta")
    git --git-dir="$gitdir" cat-file -e "$sha" 2>/dev/null || missing+=(":(exclude,literal)$path")
  done < <(git --git-dir="$gitdir" ls-tree -r "$commit")
  for m in "${missing[@]}"; do echo "  not in the clone, skipped: ${m#*)}"; done
  git --git-dir="$gitdir" archive "$commit" -- . "${missing[@]}" | tar -x -C "$work"
  echo "$commit" > "$out/COMMIT"
else
  echo "copying $src"
  (cd "$src" && tar --exclude=./node_modules --exclude=./.git --exclude=./dist --exclude=./out --exclude='./*.vsix' -cf - .) | tar -x -C "$work"
fi

cd "$work"
version=$(node -p 'require("./package.json").version')
vsix="$out/vscode-kubernetes-tools-$version.vsix"
echo "building K8s Tools $version in $work"
start=$(date +%s)
# The lock file as the project commits it; its prepare script (husky) finds no .git and says so.
npm ci --no-audit --no-fund
# vsce runs the project's vscode:prepublish (webpack, production) before packaging.
npx --no-install vsce package --out "$vsix"
echo "built $vsix ($(stat -c %s "$vsix") bytes) in $(( $(date +%s) - start )) s"
