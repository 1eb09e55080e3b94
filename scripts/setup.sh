#!/usr/bin/env bash
# Installs everything Terrarium's tests and playground need on a fresh Debian machine with Node 20+:
# OpenSSH server/client, tmux, Chromium for the UI tests, python3-kubernetes (a second real client
# that cross-checks kube-sim), npm packages and code-server. kubectl >= 1.30 must be installed by
# hand (Debian's kubernetes-client is too old); this script checks it and says what to do.
set -euo pipefail
cd "$(dirname "$0")/.."
ci=false; case "${CI:-}" in ""|0|false|False|FALSE) ;; *) ci=true ;; esac
need=()
# mmdebstrap and buildah build the devenv image for real in the tests (test/image/devenvImage.ts);
# iproute2 gives its sshd a network namespace of its own.
for bin in /usr/sbin/sshd:openssh-server /usr/bin/ssh:openssh-client /usr/bin/tmux:tmux /usr/bin/chromium:chromium /usr/bin/python3:python3 \
    /usr/bin/mmdebstrap:mmdebstrap /usr/bin/buildah:buildah /usr/sbin/ip:iproute2; do
  [ -x "${bin%%:*}" ] || need+=("${bin##*:}")
done
# Debian's package lands in the system python (a pyenv python3 first on PATH would not see it).
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || need+=(python3-kubernetes)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# kubectl: kube-sim speaks the WebSocket exec/port-forward protocols kubectl uses since 1.30
# (Debian bookworm's kubernetes-client is 1.20, which still speaks SPDY and cannot talk to it).
kubectl_min=30
kubectl_help="Install kubectl 1.30 or newer from https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/ (e.g. curl -LO https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl && install -m 0755 kubectl /usr/local/bin/kubectl), not Debian's kubernetes-client."
kubectl_problem=""
if ! command -v kubectl >/dev/null; then
  kubectl_problem="kubectl is not installed"
else
  # "minor" can carry a suffix such as "32+"; keep the digits.
  minor=$(kubectl version --client -o json 2>/dev/null | python3 -c 'import json,sys,re; v=json.load(sys.stdin)["clientVersion"]; print(v["major"] + " " + re.sub(r"\D", "", v["minor"]))' 2>/dev/null || true)
  if [ -z "$minor" ]; then
    kubectl_problem="$(command -v kubectl) does not report its version (kubectl version --client -o json failed)"
  elif [ "${minor%% *}" != 1 ] || [ "${minor##* }" -lt "$kubectl_min" ]; then
    kubectl_problem="$(command -v kubectl) is version ${minor%% *}.${minor##* }, older than 1.$kubectl_min"
  fi
fi
if [ -n "$kubectl_problem" ]; then
  echo "error: $kubectl_problem; the kubectl cross-check tests and the benchmarks' kubectl peers need it." >&2
  echo "       $kubectl_help" >&2
  if $ci; then exit 1; fi
  echo "       (continuing: outside CI those tests will be skipped and named at the end of npm test)" >&2
fi

npm ci --no-audit --no-fund
# code-server (a real VS Code) for the e2e tests and the playground, into .tools/; a no-op when present.
bash scripts/install-code-server.sh >/dev/null
