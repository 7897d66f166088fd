#!/usr/bin/env bash
# bench/fleet.sh — times `meshaudit fleet` over a generated fleet of signed
# evidence bundles and prints one markdown table row per run (wall s, CPU s
# = user+sys, peak RSS MB, exit code).
#
#   CLUSTERS=1000 OBJECTS=10000 HISTORY=2 bench/fleet.sh
#   CLUSTERS=100 bench/fleet.sh          # quicker
#
# The bundles are written once by internal/gen/cmd/meshaudit-fleetgen
# (BASES generated clusters of OBJECTS objects, evaluated once each; every
# cluster gets HISTORY bundles a day apart, rendered, digested and signed
# like scan --evidence-dir: about 19 MB a bundle at 10k objects) into
# WORK/fleet-CLUSTERS-OBJECTS-HISTORY-BASES, and kept for the next run.
# Environment: CLUSTERS (1000), OBJECTS (10000), HISTORY (2), BASES (3),
# SHAPES (default,policy: the shapes the bases take in turn, so clusters and
# a cluster's bundles differ in findings),
# SINCE (unset: every bundle; a date reads only the bundles created from it
# on, e.g. SINCE=2026-11-01 reads each cluster's latest of HISTORY=2), RUNS (1), WORK (/tmp/meshaudit-bench), FORMAT (json), DROP_CACHES (0: 1
# drops the page cache before each run, as root, so the bundles are read
# from disk).
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTERS=${CLUSTERS:-1000} OBJECTS=${OBJECTS:-10000} HISTORY=${HISTORY:-2} BASES=${BASES:-3}
SHAPES=${SHAPES:-default,policy}
SINCE=${SINCE:-} RUNS=${RUNS:-1} WORK=${WORK:-/tmp/meshaudit-bench} FORMAT=${FORMAT:-json} DROP_CACHES=${DROP_CACHES:-0}
mkdir -p "$WORK"
bin="$WORK/meshaudit" gen="$WORK/meshaudit-fleetgen"
go build -o "$bin" ./cmd/meshaudit
go build -o "$gen" ./internal/gen/cmd/meshaudit-fleetgen
dir="$WORK/fleet-$CLUSTERS-$OBJECTS-$HISTORY-$BASES-${SHAPES//,/+}"
if [[ ! -f "$dir/done.json" ]]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "fleet.sh: generating $CLUSTERS clusters x $HISTORY bundles of $OBJECTS objects into $dir ..." >&2
	"$gen" -clusters "$CLUSTERS" -objects "$OBJECTS" -history "$HISTORY" -bases "$BASES" -shapes "$SHAPES" -out "$dir/evidence" -key "$dir/key" >"$dir/done.json.tmp"
	mv "$dir/done.json.tmp" "$dir/done.json"
fi
echo "bundles: $(cat "$dir/done.json")" >&2
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "| command | clusters | bundles | wall s | CPU s | peak RSS MB | exit |"
echo "|---|---|---|---|---|---|---|"
for i in $(seq 1 "$RUNS"); do
	if [[ "$DROP_CACHES" == 1 ]]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
	log=$(mktemp)
	set +e
	/usr/bin/time -v "$bin" fleet --from "$dir/evidence" --pub-key "$dir/key.pub" ${SINCE:+--since "$SINCE"} -o "$FORMAT" --out-file "$WORK/fleet-report.$FORMAT" 2>"$log"
	code=$?
	set -e
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$log")
	cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$log")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
	nread=$(jq -r .summary.bundlesRead "$WORK/fleet-report.$FORMAT" 2>/dev/null || echo "?")
	echo "| meshaudit fleet -o $FORMAT${SINCE:+ --since $SINCE} | $CLUSTERS | $nread | $wall | $cpu | $rss | $code |"
	rm -f "$log"
done
