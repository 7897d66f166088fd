#!/usr/bin/env bash
# bench/run.sh — times whole processes on generated clusters and prints one
# markdown table (wall s, CPU s = user+sys, peak RSS MB, exit code).
#
#   bench/run.sh                 # 1k and 10k manifests, 100k snapshot
#   SIZES="1000" LARGE=0 bench/run.sh   # quick run
#
# Environment:
#   SIZES    manifest sizes to scan (default "1000 10000")
#   LARGE    1 (default): also scan a 100k-object snapshot (LARGE_N objects)
#   LARGE_N  object count of the large snapshot (default 100000)
#   RUNS     runs per command; the table shows the median (default 1)
#   TIMEOUT  seconds before a command is killed (default 900)
#   WORK     scratch directory (default /tmp/meshaudit-bench)
#   SEED     generator seed (default 1)
# Peers (istioctl, kube-score, conftest, polaris, trivy) run only when their
# binaries are on PATH; they are never required.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000 10000"}
LARGE=${LARGE:-1}
LARGE_N=${LARGE_N:-100000}
RUNS=${RUNS:-1}
TIMEOUT=${TIMEOUT:-900}
WORK=${WORK:-/tmp/meshaudit-bench}
SEED=${SEED:-1}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench/run.sh needs GNU time at /usr/bin/time" >&2; exit 2; }

LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)
mkdir -p "$WORK/bin"
echo "== building meshaudit, meshaudit-gen and the YAML-decode baseline" >&2
go build -o "$WORK/bin/meshaudit" ./cmd/meshaudit
go build -o "$WORK/bin/meshaudit-gen" ./internal/gen/cmd/meshaudit-gen
go build -o "$WORK/bin/yamldecode" ./bench/yamldecode

rows=()
# measure LABEL OBJECTS CMD... : runs CMD RUNS times under /usr/bin/time -v
# and records the median wall time's run.
measure() {
  local label=$1 objects=$2; shift 2
  local best="" all=()
  for ((r = 1; r <= RUNS; r++)); do
    local log="$WORK/time.$$.log"
    set +e
    timeout "$TIMEOUT" "$TIME" -v -o "$log" "$@" >"$WORK/stdout.log" 2>"$WORK/stderr.log"
    local code=$?
    set -e
    if [ "$code" = 124 ] || ! grep -q "Elapsed" "$log" 2>/dev/null; then
      all+=("99999 timeout(${TIMEOUT}s) - - $code")
      continue
    fi
    local wall cpu rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$log")
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
    code=$(awk -F': ' '/Exit status/ {print $2}' "$log")
    all+=("$wall $wall $cpu $rss $code")
    echo "   $label run $r: wall ${wall}s cpu ${cpu}s rss ${rss}MB exit $code" >&2
  done
  best=$(printf '%s\n' "${all[@]}" | sort -n | awk -v n="${#all[@]}" 'NR == int((n+1)/2)')
  read -r _ wall cpu rss code <<<"$best"
  rows+=("| $label | $objects | $wall | $cpu | $rss | $code |")
}

gen_manifests() {
  local n=$1 dir="$WORK/m$1"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    "$WORK/bin/meshaudit-gen" -n "$n" -seed "$SEED" -manifests "$dir" >"$WORK/gen-m$n.json"
    touch "$dir/.done"
  fi
}

for n in $SIZES; do
  gen_manifests "$n"
  dir="$WORK/m$n"
  objs=$(python3 -c "import json; print(json.load(open('$WORK/gen-m$n.json'))['objects'])" 2>/dev/null || echo "$n")
  echo "== $objs objects from manifests ($(du -sh "$dir" | cut -f1)); expected planted findings: $(tr -d ' \n' <"$WORK/gen-m$n.json" | sed 's/.*"expectedFindings":\({[^}]*}\).*/\1/')" >&2
  measure "YAML decode only (sigs.k8s.io/yaml → map, 1 core)" "$objs" "$WORK/bin/yamldecode" "$dir"
  measure "meshaudit scan -f" "$objs" "$WORK/bin/meshaudit" scan -f "$dir" --fail-on none -o "json=$WORK/report-m$n.json"
  if [ -f "$WORK/report-m$n.json" ]; then
    echo "   findings of planted rules: $(python3 -c "
import json,collections
r=json.load(open('$WORK/report-m$n.json'))
c=collections.Counter(f['ruleId'] for f in r['findings'])
print({k: c[k] for k in ('POD-03','MESH-04','EGR-04')}, 'total', len(r['findings']))")" >&2
  fi
  if command -v istioctl >/dev/null; then
    measure "istioctl analyze" "$objs" istioctl analyze --use-kube=false -A --timeout=10m -o json "$dir"
  fi
  if command -v kube-score >/dev/null; then
    measure "kube-score" "$objs" sh -c "kube-score score -o ci --color never $dir/*.yaml"
  fi
  if command -v conftest >/dev/null; then
    measure "conftest (meshaudit policies dir)" "$objs" conftest test -o json -p policies/rules "$dir"
  fi
  if command -v polaris >/dev/null; then
    measure "polaris audit" "$objs" polaris audit --audit-path "$dir" --format json
  fi
  if command -v trivy >/dev/null; then
    measure "trivy config" "$objs" trivy config --skip-check-update --cache-dir "$WORK/trivy-cache" -q -f json "$dir"
  fi
  rm -f "$WORK/report-m$n.json"
done

if [ "$LARGE" = 1 ]; then
  snap="$WORK/s$LARGE_N.json"
  if [ ! -f "$snap" ]; then
    "$WORK/bin/meshaudit-gen" -n "$LARGE_N" -seed "$SEED" -snapshot "$snap" >"$WORK/gen-s$LARGE_N.json"
  fi
  objs=$(python3 -c "import json; print(json.load(open('$WORK/gen-s$LARGE_N.json'))['objects'])" 2>/dev/null || echo "$LARGE_N")
  echo "== $objs objects from a snapshot ($(du -sh "$snap" | cut -f1))" >&2
  measure "meshaudit scan --snapshot" "$objs" "$WORK/bin/meshaudit" scan --snapshot "$snap" --fail-on none -o "json=$WORK/report-s.json"
fi

echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo); load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg); $(go env GOVERSION); $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| command | objects | wall s | CPU s | peak RSS MB | exit |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
