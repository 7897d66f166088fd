#!/usr/bin/env bash
# Builds (once) actionlint, the GitHub Actions linter used by the integration
# tests (integrations/integrations_test.go), from the Go module proxy via the
# pinned tool module tools/actionlint.
#
# Prints, as the last line of stdout, the path of the executable, in a
# version-keyed cache folder. If it is already there it does nothing else.
# Progress goes to stderr. The binary is never committed.
#
# Env: MESHAUDIT_E2E_CACHE  base cache folder (default: $HOME/.cache/meshaudit-e2e)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/.." && pwd -P)
MODDIR="${REPO_ROOT}/tools/actionlint"

export GOWORK=off
VERSION=$(go list -C "$MODDIR" -m -f '{{.Version}}' github.com/rhysd/actionlint)
GO_VERSION=$(go env GOVERSION)
CACHE_DIR="${MESHAUDIT_E2E_CACHE:-$HOME/.cache/meshaudit-e2e}/actionlint-${VERSION}-${GO_VERSION}"
BIN="${CACHE_DIR}/actionlint"

if [[ -f "$BIN" && -x "$BIN" ]]; then
	echo "$BIN"
	exit 0
fi

mkdir -p -- "$CACHE_DIR"
tmp=$(mktemp "${CACHE_DIR}/.actionlint.tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
echo "actionlint-bin: building github.com/rhysd/actionlint ${VERSION} ..." >&2
start=$(date +%s)
go build -C "$MODDIR" -o "$tmp" -trimpath github.com/rhysd/actionlint/cmd/actionlint
chmod 0755 "$tmp"
mv -f -- "$tmp" "$BIN"
echo "actionlint-bin: built in $(($(date +%s) - start))s -> $BIN" >&2
echo "$BIN"
