#!/usr/bin/env bash
# Builds (once) the Prometheus Pushgateway used by the metrics tests
# (cmd/metrics_test.go), from the Go module proxy via the pinned tool module
# tools/pushgateway (`go install ...@version` does not work: the module's
# version list is refused, an exact version in a go.mod is served).
#
# Prints, as the last line of stdout, the path of the executable, in a
# version-keyed cache folder. If it is already there it does nothing else.
# Progress goes to stderr. The binary is never committed.
#
# Env: MESHAUDIT_E2E_CACHE  base cache folder (default: $HOME/.cache/meshaudit-e2e)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/.." && pwd -P)
MODDIR="${REPO_ROOT}/tools/pushgateway"

export GOWORK=off
VERSION=$(go list -C "$MODDIR" -m -f '{{.Version}}' github.com/prometheus/pushgateway)
GO_VERSION=$(go env GOVERSION)
CACHE_DIR="${MESHAUDIT_E2E_CACHE:-$HOME/.cache/meshaudit-e2e}/pushgateway-${VERSION}-${GO_VERSION}"
BIN="${CACHE_DIR}/pushgateway"

if [[ -f "$BIN" && -x "$BIN" ]]; then
	echo "$BIN"
	exit 0
fi

mkdir -p -- "$CACHE_DIR"
tmp=$(mktemp "${CACHE_DIR}/.pushgateway.tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
echo "pushgateway-bin: building github.com/prometheus/pushgateway ${VERSION} ..." >&2
start=$(date +%s)
go build -C "$MODDIR" -o "$tmp" -trimpath github.com/prometheus/pushgateway
chmod 0755 "$tmp"
mv -f -- "$tmp" "$BIN"
echo "pushgateway-bin: built in $(($(date +%s) - start))s -> $BIN" >&2
echo "$BIN"
