# syntax=docker/dockerfile:1
#
# meshaudit's container image: a static, non-root binary on distroless/static
# (CA certificates, tzdata and a "nonroot" user, UID/GID 65532; no shell, no
# package manager). It runs with a read-only root filesystem: meshaudit
# writes only where it is told (-o FILE, --evidence-dir, --metrics-file) and
# uses $TMPDIR (/tmp: mount an emptyDir there, as the Helm chart does).
#
#   hack/image.sh                       # docker buildx build, tagged with the version
#   docker build --build-arg VERSION=v1.2.3 -t meshaudit:v1.2.3 .
#
# For reproducible, auditable images pin both bases by digest
# (--build-arg GO_IMAGE=golang:1.26.8@sha256:... BASE_IMAGE=...@sha256:...).

ARG GO_IMAGE=golang:1.26.8
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# The same script and flags as the test of the static binary
# (cmd/image_test.go): CGO_ENABLED=0, -trimpath, version in -ldflags.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH VERSION=$VERSION ./hack/build-static.sh /out/meshaudit

FROM ${BASE_IMAGE}
ARG VERSION=dev
LABEL org.opencontainers.image.title="meshaudit" \
      org.opencontainers.image.description="Compliance scanner for Kubernetes clusters running Istio (NIST SP 800-53 Rev5)" \
      org.opencontainers.image.source="https://github.com/meshaudit/meshaudit" \
      org.opencontainers.image.version="${VERSION}"
# Owned by root, not writable by the user that runs it.
COPY --from=build --chown=0:0 --chmod=0555 /out/meshaudit /usr/local/bin/meshaudit
USER 65532:65532
WORKDIR /home/nonroot
ENV TMPDIR=/tmp
ENTRYPOINT ["/usr/local/bin/meshaudit"]
CMD ["--help"]
