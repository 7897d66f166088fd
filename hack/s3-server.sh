#!/usr/bin/env bash
# A real S3-compatible server for the S3 evidence and fleet tests: Versity's
# S3 gateway (github.com/versity/versitygw, pinned in tools/versitygw) with
# its posix backend, which keeps objects as files with extended attributes
# and supports versioning and Object Lock.
#
#   hack/s3-server.sh bin          build once (cached) and print the binary's path
#   hack/s3-server.sh start DIR    start it on loopback with its data in DIR,
#                                  create bucket meshaudit-evidence with Object
#                                  Lock enabled, print the export AWS_… lines
#                                  (also kept in DIR/env)
#   hack/s3-server.sh stop DIR     stop the server started with DIR
#
#   eval "$(hack/s3-server.sh start /tmp/s3)"; go test ./evidence ./fleet; hack/s3-server.sh stop /tmp/s3
#
# The binary is built from the Go module proxy into a version-keyed cache
# folder (like hack/e2e-bins.sh) and never committed. Progress goes to
# stderr; stdout carries only the path (bin) or the export lines (start).
#
# Env: MESHAUDIT_E2E_CACHE  base cache folder (default: $HOME/.cache/meshaudit-e2e)
#      MESHAUDIT_S3_SERVER_BIN  a versitygw binary to start instead of building one
#      MESHAUDIT_S3_BUCKET  bucket to create (default: meshaudit-evidence)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/.." && pwd -P)
MODDIR="${REPO_ROOT}/tools/versitygw"
BUCKET="${MESHAUDIT_S3_BUCKET:-meshaudit-evidence}"
REGION=us-east-1

die() { echo "s3-server: $*" >&2; exit 1; }

build() {
	export GOWORK=off
	local version go_version cache bin tmp start
	version=$(go list -C "$MODDIR" -m -f '{{.Version}}' github.com/versity/versitygw)
	go_version=$(go env GOVERSION)
	cache="${MESHAUDIT_E2E_CACHE:-$HOME/.cache/meshaudit-e2e}/versitygw-${version}-${go_version}"
	bin="${cache}/versitygw"
	if [[ -f "$bin" && -x "$bin" ]]; then
		echo "$bin"
		return
	fi
	mkdir -p -- "$cache"
	tmp=$(mktemp "${cache}/.versitygw.tmp.XXXXXX")
	echo "s3-server: building github.com/versity/versitygw ${version} ..." >&2
	start=$(date +%s)
	if ! go build -C "$MODDIR" -o "$tmp" -trimpath github.com/versity/versitygw/cmd/versitygw; then
		rm -f -- "$tmp"
		die "build failed"
	fi
	chmod 0755 "$tmp"
	mv -f -- "$tmp" "$bin"
	echo "s3-server: built in $(($(date +%s) - start))s -> $bin" >&2
	echo "$bin"
}

# port_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
	local dir=$1 bin port access secret pid i url
	[[ -n "$dir" ]] || die "usage: $0 start DIR"
	mkdir -p -- "$dir"
	dir=$(cd -- "$dir" && pwd -P)
	if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		die "already running in $dir (pid $(cat "$dir/pid")): stop it first"
	fi
	bin=${MESHAUDIT_S3_SERVER_BIN:-}
	[[ -n "$bin" ]] || bin=$(build | tail -1)
	# The posix backend keeps metadata (object lock, retention, versions)
	# in user extended attributes: refuse a filesystem without them.
	mkdir -p -- "$dir/data" "$dir/versions"
	if ! "$bin" --version >/dev/null 2>&1; then die "$bin does not run"; fi
	if command -v python3 >/dev/null; then
		python3 - "$dir/data" <<-'EOF' || die "$dir: the filesystem does not support user extended attributes (the posix backend needs them)"
		import os, sys
		p = os.path.join(sys.argv[1], ".xattr-check")
		open(p, "w").close()
		try:
		    os.setxattr(p, "user.meshaudit", b"1")
		finally:
		    os.remove(p)
		EOF
	fi
	access="meshaudit$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	secret="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
	for i in $(seq 1 50); do
		port=$((20000 + RANDOM % 20000))
		port_free "$port" && break
	done
	ROOT_ACCESS_KEY="$access" ROOT_SECRET_KEY="$secret" \
		setsid "$bin" --port "127.0.0.1:${port}" --region "$REGION" --quiet \
		posix --versioning-dir "$dir/versions" "$dir/data" \
		>"$dir/server.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/pid"
	url="http://127.0.0.1:${port}"
	for i in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$dir/server.log" >&2
			die "the server exited"
		fi
		if curl -s -o /dev/null "$url/"; then break; fi
		sleep 0.1
	done
	curl -s -o /dev/null "$url/" || { kill "$pid"; die "no answer on $url"; }
	# Create the bucket with Object Lock enabled (SigV4 by curl).
	code=$(curl -s -o "$dir/mb.out" -w '%{http_code}' -X PUT \
		--aws-sigv4 "aws:amz:${REGION}:s3" --user "${access}:${secret}" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		-H "x-amz-bucket-object-lock-enabled: true" "$url/$BUCKET")
	if [[ "$code" != 200 ]]; then
		cat "$dir/mb.out" >&2
		kill "$pid"
		die "create bucket $BUCKET: HTTP $code"
	fi
	cat >"$dir/env" <<-EOF
	export AWS_ENDPOINT_URL=$url
	export AWS_ACCESS_KEY_ID=$access
	export AWS_SECRET_ACCESS_KEY=$secret
	export AWS_REGION=$REGION
	export MESHAUDIT_S3_BUCKET=$BUCKET
	EOF
	echo "s3-server: versitygw (pid $pid) on $url, bucket $BUCKET (Object Lock enabled), data in $dir" >&2
	cat "$dir/env"
}

stop() {
	local dir=$1 pid i
	[[ -n "$dir" && -f "$dir/pid" ]] || die "no server started in ${dir:-DIR}"
	pid=$(cat "$dir/pid")
	if kill "$pid" 2>/dev/null; then
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f -- "$dir/pid"
	echo "s3-server: stopped pid $pid" >&2
}

case "${1:-}" in
bin) build ;;
start) start "${2:-}" ;;
stop) stop "${2:-}" ;;
*) die "usage: $0 bin | start DIR | stop DIR" ;;
esac
