#!/usr/bin/env bash
# Builds meshaudit's container image from the Dockerfile (multi-stage: a
# static binary by hack/build-static.sh on distroless/static, non-root 65532).
# Needs a Docker engine with BuildKit (docker buildx) — or podman/buildah:
# CONTAINER_TOOL=podman hack/image.sh.
#
#   hack/image.sh [IMAGE]               # default IMAGE: meshaudit/meshaudit:$VERSION
#   VERSION=v1.2.3 PLATFORMS=linux/amd64,linux/arm64 PUSH=1 hack/image.sh registry.example.com/meshaudit
#
# Env: VERSION (default: git describe, else dev), PLATFORMS (default: the
# engine's own), PUSH=1 to push (needed for several platforms), CONTAINER_TOOL.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
IMAGE=${1:-meshaudit/meshaudit}
[[ "$IMAGE" == *:* && "${IMAGE##*/}" == *:* ]] || IMAGE="${IMAGE}:${VERSION}"
TOOL=${CONTAINER_TOOL:-docker}
args=(--build-arg "VERSION=${VERSION}" -t "$IMAGE" -f Dockerfile)
[[ -n "${PLATFORMS:-}" ]] && args+=(--platform "$PLATFORMS")
if [[ "$TOOL" == docker ]]; then
	if [[ "${PUSH:-}" == 1 ]]; then args+=(--push); else args+=(--load); fi
	docker buildx build "${args[@]}" .
else
	"$TOOL" build "${args[@]}" .
	[[ "${PUSH:-}" == 1 ]] && "$TOOL" push "$IMAGE"
fi
echo "$IMAGE"
