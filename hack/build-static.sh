#!/bin/sh
# Builds meshaudit as a static binary: no cgo, no dynamic loader, no shared
# library, paths trimmed, version stamped. The Dockerfile's builder stage and
# the test that checks the binary (cmd/image_test.go) both run this script,
# so the image holds exactly what the test checked.
#
#   hack/build-static.sh OUT            # VERSION=v1.2.3 to stamp a version
#
# Env: VERSION (default: git describe, else "dev"), GOOS/GOARCH as usual.
set -eu
out=${1:?usage: hack/build-static.sh OUT}
cd "$(dirname "$0")/.."
if [ -z "${VERSION:-}" ]; then
	VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
fi
CGO_ENABLED=0 exec go build \
	-trimpath \
	-buildvcs=false \
	-ldflags "-s -w -buildid= -X github.com/meshaudit/meshaudit/cmd.version=${VERSION}" \
	-o "$out" \
	./cmd/meshaudit
