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
#   RUNS     runs per meshaudit/baseline command; the table shows the median
#            and its "runs" column how many runs it is of (default 1)
#   PEER_RUNS  runs per peer command (default RUNS); peers are slow (trivy
#            config took 219 s and 3.3 GB at 10k objects), so e.g. RUNS=3 PEER_RUNS=1
#   PEERS    peers to run, space-separated (default "istioctl kube-score
#            conftest polaris trivy"); PEERS="" runs none
#   TIMEOUT  seconds before any one run, meshaudit's or a peer's, is killed
#            (default 900); a run that times out is not repeated
#   WORK     scratch directory (default /tmp/meshaudit-bench)
#   SEED     generator seed (default 1)
# Peers run only when their binaries are on PATH; they are never required
# (bench/install-peers.sh builds them into $(go env GOPATH)/bin; polaris does not
# build here). Each peer reads the same manifest directory offline:
#   istioctl analyze --use-kube=false -A --timeout=10m -o json DIR
#   kube-score score -o ci --color never DIR/*.yaml
#   conftest test -o json -p bench/conftest/policy DIR   (15 simple Rego rules)
#   polaris audit --audit-path DIR --format json
#   trivy config --skip-check-update --cache-dir WORK/trivy-cache -q -f json DIR
# A non-zero exit because of findings is expected and shown in the exit column:
# kube-score and conftest 1, istioctl 79 (istioctl 65: a file did not parse).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000 10000"}
LARGE=${LARGE:-1}
LARGE_N=${LARGE_N:-100000}
RUNS=${RUNS:-1}
PEER_RUNS=${PEER_RUNS:-$RUNS}
PEERS=${PEERS-"istioctl kube-score conftest polaris trivy"}
TIMEOUT=${TIMEOUT:-900}
WORK=${WORK:-/tmp/meshaudit-bench}
SEED=${SEED:-1}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench/run.sh needs GNU time at /usr/bin/time" >&2; exit 2; }

# Peers requested in PEERS and found on PATH.
peers_found=" "
for p in $PEERS; do
  case $p in
    istioctl | kube-score | conftest | polaris | trivy) ;;
    *) echo "bench/run.sh: unknown peer '$p' in PEERS (istioctl kube-score conftest polaris trivy)" >&2; exit 2 ;;
  esac
  if command -v "$p" >/dev/null; then
    peers_found+="$p "
  else
    echo "== peer $p not on PATH: skipped" >&2
  fi
done
[ "$peers_found" = " " ] || echo "== peers to measure, $PEER_RUNS run(s) each:$peers_found" >&2

LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)
mkdir -p "$WORK/bin"
echo "== building meshaudit, meshaudit-gen and the YAML-decode baseline" >&2
go build -o "$WORK/bin/meshaudit" ./cmd/meshaudit
go build -o "$WORK/bin/meshaudit-gen" ./internal/gen/cmd/meshaudit-gen
go build -o "$WORK/bin/yamldecode" ./bench/yamldecode

rows=()
# measure LABEL OBJECTS CMD... : runs CMD MEASURE_RUNS (default RUNS) times
# under /usr/bin/time -v and records the median wall time's run.
measure() {
  local label=$1 objects=$2; shift 2
  local runs=${MEASURE_RUNS:-$RUNS} best="" all=()
  for ((r = 1; r <= runs; r++)); do
    local log="$WORK/time.$$.log"
    rm -f "$log"
    set +e
    timeout -k 30 "$TIMEOUT" "$TIME" -v -o "$log" "$@" >"$WORK/stdout.log" 2>"$WORK/stderr.log"
    local code=$?
    set -e
    if [ "$code" = 124 ] || [ "$code" = 137 ] || ! grep -q "Elapsed" "$log" 2>/dev/null; then
      echo "   $label run $r: killed after ${TIMEOUT}s (exit $code); not repeated" >&2
      all+=("99999 timeout(${TIMEOUT}s) - - $code")
      break
    fi
    local wall cpu rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$log")
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
    code=$(awk -F': ' '/Exit status/ {print $2}' "$log")
    all+=("$wall $wall $cpu $rss $code")
    echo "   $label run $r: wall ${wall}s cpu ${cpu}s rss ${rss}MB exit $code" >&2
    if [ "$code" != 0 ] && [ -s "$WORK/stderr.log" ]; then
      echo "     stderr: $(tail -n 1 "$WORK/stderr.log" | cut -c1-300)" >&2
    fi
  done
  best=$(printf '%s\n' "${all[@]}" | sort -n | awk -v n="${#all[@]}" 'NR == int((n+1)/2)')
  read -r _ wall cpu rss code <<<"$best"
  rows+=("| $label | $objects | ${#all[@]} | $wall | $cpu | $rss | $code |")
}

# peer NAME LABEL OBJECTS CMD... : measures a peer PEER_RUNS times when NAME
# is in PEERS and on PATH.
peer() {
  local name=$1; shift
  case $peers_found in *" $name "*) ;; *) return 0 ;; esac
  MEASURE_RUNS=$PEER_RUNS measure "$@"
}

# check_planted REPORT GEN_JSON: the report's findings of the planted rules
# must be the generator's expected counts (a fast wrong scan is no result).
planted_ok=1
check_planted() {
  if ! python3 - "$1" "$2" >&2 <<'PY'
import collections, json, sys
rep, gen = (json.load(open(p)) for p in sys.argv[1:3])
want = gen["expectedFindings"]
got = collections.Counter(f["ruleId"] for f in rep["findings"])
got = {k: got.get(k, 0) for k in want}
print("   planted findings: got %s, want %s (%d findings in all): %s" % (got, want, len(rep["findings"]), "ok" if got == want else "MISMATCH"))
sys.exit(0 if got == want else 1)
PY
  then
    planted_ok=0
  fi
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
  rm -f "$WORK/report-m$n.json"
  measure "meshaudit scan -f" "$objs" "$WORK/bin/meshaudit" scan -f "$dir" --fail-on none -o "json=$WORK/report-m$n.json"
  check_planted "$WORK/report-m$n.json" "$WORK/gen-m$n.json"
  peer istioctl "istioctl analyze (files)" "$objs" \
    istioctl analyze --use-kube=false -A --timeout=10m -o json "$dir"
  peer kube-score "kube-score score" "$objs" \
    kube-score score -o ci --color never "$dir"/*.yaml
  peer conftest "conftest (15 simple Rego rules)" "$objs" \
    conftest test -o json -p bench/conftest/policy "$dir"
  peer polaris "polaris audit" "$objs" \
    polaris audit --audit-path "$dir" --format json
  peer trivy "trivy config (built-in checks)" "$objs" \
    trivy config --skip-check-update --cache-dir "$WORK/trivy-cache" -q -f json "$dir"
  rm -f "$WORK/report-m$n.json"
done

if [ "$LARGE" = 1 ]; then
  snap="$WORK/s$LARGE_N.json"
  if [ ! -f "$snap" ]; then
    "$WORK/bin/meshaudit-gen" -n "$LARGE_N" -seed "$SEED" -snapshot "$snap" >"$WORK/gen-s$LARGE_N.json"
  fi
  objs=$(python3 -c "import json; print(json.load(open('$WORK/gen-s$LARGE_N.json'))['objects'])" 2>/dev/null || echo "$LARGE_N")
  echo "== $objs objects from a snapshot ($(du -sh "$snap" | cut -f1))" >&2
  rm -f "$WORK/report-s.json"
  measure "meshaudit scan --snapshot" "$objs" "$WORK/bin/meshaudit" scan --snapshot "$snap" --fail-on none -o "json=$WORK/report-s.json"
  check_planted "$WORK/report-s.json" "$WORK/gen-s$LARGE_N.json"
fi

echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo); load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg); $(go env GOVERSION); $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Wall, CPU and RSS are of the median-wall run of \"runs\" runs; exit is that run's exit code (findings: 1 from kube-score and conftest, 79 from istioctl)."
echo
echo "| command | objects | runs | wall s | CPU s | peak RSS MB | exit |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [ "$planted_ok" != 1 ]; then
  echo "bench/run.sh: a report's planted finding counts differ from the generator's (see above)" >&2
  exit 1
fi
