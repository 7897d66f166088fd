#!/usr/bin/env bash
# Builds the peer tools bench/run.sh compares meshaudit with, from the Go module proxy, at
# the versions pinned in ../shared/recipes/tools-and-peers.md. Optional: never run by CI.
# Binaries land in $(go env GOPATH)/bin (or GOBIN); put that directory on PATH before
# bench/run.sh. Build times on 2 cores: kube-score ~4 min, conftest ~20 min, istioctl ~35 min
# (2.4 GB), trivy ~40 min (3.3 GB). Name the tools to build a subset:
#   bash bench/install-peers.sh kube-score istioctl
# Not buildable here (refused by the module proxy): kubescape, kube-linter, polaris.
set -uo pipefail

tools=("$@")
[ ${#tools[@]} -eq 0 ] && tools=(kube-score conftest istioctl trivy)

status=0
for t in "${tools[@]}"; do
  start=$(date +%s)
  case "$t" in
    kube-score) go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0 ;;
    conftest)   go install github.com/open-policy-agent/conftest@v0.71.1 ;;
    istioctl)   go install istio.io/istio/istioctl/cmd/istioctl@v0.0.0-20260827124520-eed52ebb66ad ;;
    trivy)      GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0 ;;
    *) echo "install-peers: unknown tool $t (kube-score, conftest, istioctl, trivy)" >&2; status=2; continue ;;
  esac
  rc=$?
  echo "install-peers: $t exit $rc after $(( $(date +%s) - start )) s" >&2
  [ $rc -ne 0 ] && status=1
done
exit $status
