#!/usr/bin/env bash
# Builds (once) the control-plane binaries used by the e2e tests: kube-apiserver and etcd,
# from the Go module proxy via the pinned tool modules tools/k8sbins and tools/etcdbin.
#
# Prints, as the last line of stdout, a version-keyed cache folder holding the executables
# `kube-apiserver` and `etcd` (usable as KUBEBUILDER_ASSETS for envtest). If both are already
# there it does nothing else. Progress goes to stderr. The binaries are never committed.
#
# Env: MESHAUDIT_E2E_CACHE  base cache folder (default: $HOME/.cache/meshaudit-e2e)
set -euo pipefail

K8S_VERSION=v1.37.2
K8S_MAJOR=1
K8S_MINOR=37

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/.." && pwd -P)

# Build the tool modules on their own, whatever go.work may be around.
export GOWORK=off

GO_VERSION=$(go env GOVERSION)
CACHE_DIR="${MESHAUDIT_E2E_CACHE:-$HOME/.cache/meshaudit-e2e}/${K8S_VERSION}-${GO_VERSION}"

log() { echo "e2e-bins: $*" >&2; }

have() { [[ -f "${CACHE_DIR}/$1" && -x "${CACHE_DIR}/$1" ]]; }

TMP_FILES=()
cleanup() {
	local f
	for f in "${TMP_FILES[@]+"${TMP_FILES[@]}"}"; do
		rm -f -- "$f"
	done
}
trap cleanup EXIT

# build NAME MODULE_DIR PACKAGE [go build flags...]
# Builds into a temp file inside the cache folder, then renames it into place atomically.
build() {
	local name=$1 moddir=$2 pkg=$3
	shift 3
	local tmp start
	tmp=$(mktemp "${CACHE_DIR}/.${name}.tmp.XXXXXX")
	TMP_FILES+=("$tmp")
	log "building ${name} from ${moddir#"${REPO_ROOT}"/} (${pkg}) ..."
	start=$(date +%s)
	go build -C "$moddir" -o "$tmp" "$@" "$pkg"
	chmod 0755 "$tmp"
	mv -f -- "$tmp" "${CACHE_DIR}/${name}"
	log "built ${name} in $(($(date +%s) - start))s -> ${CACHE_DIR}/${name}"
}

if have kube-apiserver && have etcd; then
	echo "${CACHE_DIR}"
	exit 0
fi

mkdir -p -- "${CACHE_DIR}"

if ! have etcd; then
	build etcd "${REPO_ROOT}/tools/etcdbin" go.etcd.io/etcd/server/v3
fi

if ! have kube-apiserver; then
	VPKG=k8s.io/component-base/version
	build kube-apiserver "${REPO_ROOT}/tools/k8sbins" k8s.io/kubernetes/cmd/kube-apiserver \
		-trimpath -ldflags "-s -w \
-X ${VPKG}.gitVersion=${K8S_VERSION} \
-X ${VPKG}.gitMajor=${K8S_MAJOR} \
-X ${VPKG}.gitMinor=${K8S_MINOR} \
-X ${VPKG}.gitTreeState=clean \
-X ${VPKG}.buildDate=2026-01-01T00:00:00Z"
fi

echo "${CACHE_DIR}"
