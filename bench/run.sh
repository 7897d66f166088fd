#!/usr/bin/env bash
# bench/run.sh — times whole processes on generated clusters and prints one
# markdown table (wall s, CPU s = user+sys, peak RSS MB, exit code).
#
#   bench/run.sh                 # every shape at 10k from manifests, 100k snapshot
#   SIZES="1000" LARGE=0 bench/run.sh   # quick run
#
# Every meshaudit scan of manifests is shown with its ratio to the YAML-decode
# floor measured on the same files in the same run (wall / floor wall).
#
# Environment:
#   SHAPES   generator shapes to scan (default "default messy manifests
#            policy"; see internal/gen/shapes.go)
#   SIZES    manifest sizes to scan per shape (default "10000")
#   LARGE    1 (default): also scan a 100k-object snapshot (LARGE_N objects) and
#            one a tenth its size (the linearity target compares them)
#   LARGE_N  object count of the large snapshot (default 100000)
#   LARGE_SHAPES  shapes of the large snapshot (default "default messy";
#            the manifests shape has no live form)
#   RULE_COSTS  1: after the table, the ten costliest rules per shape at the
#            first size (each rule's own query, library included: go test
#            ./evaluate/ -run TestRuleCosts); default 0
#   RUNS     runs per meshaudit/baseline command; the table shows the median
#            and its "runs" column how many runs it is of (default 1)
#   PEER_RUNS  runs per peer command (default RUNS); peers are slow (trivy
#            config took 219 s and 3.3 GB at 10k objects), so e.g. RUNS=3 PEER_RUNS=1
#   PEERS    peers to run, space-separated (default "istioctl kube-score
#            conftest polaris trivy"); PEERS="" runs none. Peers run on the
#            messy shape (PEER_SHAPES, default "messy") only
#   EVAL_TIMEOUT  meshaudit's --eval-timeout (default 15m: the benchmark
#            measures time, and on a loaded machine the default 2m deadline
#            would leave rules unknown and the planted counts short)
#   RULE_COSTS_N  objects of the RULE_COSTS tables (default: the first size)
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
SHAPES=${SHAPES:-"default messy manifests policy"}
SIZES=${SIZES:-"10000"}
LARGE=${LARGE:-1}
LARGE_N=${LARGE_N:-100000}
LARGE_SHAPES=${LARGE_SHAPES:-"default messy"}
PEER_SHAPES=${PEER_SHAPES:-"messy"}
RULE_COSTS=${RULE_COSTS:-0}
EVAL_TIMEOUT=${EVAL_TIMEOUT:-15m}
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
# under /usr/bin/time -v and keeps the median wall time's run in last_*.
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
  last_wall=$wall last_cpu=$cpu last_rss=$rss last_code=$code last_runs=${#all[@]}
}

# record LABEL OBJECTS: a table row of the last measure, with FINDINGS and
# the ratio of its wall time to FLOOR's.
record() {
  local ratio="-" cratio="-"
  if [ -n "${FLOOR:-}" ]; then
    ratio=$(awk -v w="$last_wall" -v f="$FLOOR" 'BEGIN { if (f > 0 && w + 0 > 0) printf "%.2f×", w / f; else print "-" }')
    cratio=$(awk -v w="$last_cpu" -v f="$FLOOR_CPU" 'BEGIN { if (f > 0 && w + 0 > 0) printf "%.2f×", w / f; else print "-" }')
  fi
  rows+=("| ${SHAPE:-default} | $1 | $2 | ${FINDINGS:--} | $last_runs | $last_wall | $ratio | $last_cpu | $cratio | $last_rss | $last_code |")
  case $1 in
    "meshaudit scan -f" | "meshaudit scan --snapshot")
      # shape kind objects wall cpu rss floor_wall
      facts+=("${SHAPE:-default} ${1##* } $2 $last_wall $last_cpu $last_rss ${FLOOR:--}") ;;
  esac
}
facts=()

# peer NAME LABEL OBJECTS CMD... : measures a peer PEER_RUNS times when NAME
# is in PEERS and on PATH.
peer() {
  local name=$1; shift
  case $peers_found in *" $name "*) ;; *) return 0 ;; esac
  MEASURE_RUNS=$PEER_RUNS measure "$@"
  FINDINGS="-" record "$1" "$2"
}

# check_planted REPORT GEN_JSON: the report's findings of the planted rules
# must be the generator's expected counts (a fast wrong scan is no result).
planted_ok=1
check_planted() {
  rm -f "$3"
  if ! python3 - "$1" "$2" "$3" >&2 <<'PY'
import collections, json, sys
rep, gen = (json.load(open(p)) for p in sys.argv[1:3])
want = gen["expectedFindings"]
got = collections.Counter(f["ruleId"] for f in rep["findings"])
total = len(rep["findings"])
got = {k: got.get(k, 0) for k in want}
print("   planted findings: got %s, want %s (%d findings in all): %s" % (got, want, total, "ok" if got == want else "MISMATCH"))
open(sys.argv[3], "w").write(str(total))
sys.exit(0 if got == want else 1)
PY
  then
    planted_ok=0
  fi
}
# findings_of REPORT GEN_JSON: checks the planted counts and sets FINDINGS
# to the report's number of findings.
findings_of() {
  check_planted "$1" "$2" "$WORK/findings.txt"
  FINDINGS=$(cat "$WORK/findings.txt" 2>/dev/null || echo "-")
}

# gen_manifests SHAPE N: generated manifests in $WORK/<shape>-m<N>.
gen_manifests() {
  local shape=$1 n=$2 dir="$WORK/$1-m$2"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    "$WORK/bin/meshaudit-gen" -shape "$shape" -n "$n" -seed "$SEED" -manifests "$dir" >"$WORK/gen-$shape-m$n.json"
    touch "$dir/.done"
  fi
}

objects_of() {
  python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['objects'])" "$1" 2>/dev/null || echo "$2"
}

for n in $SIZES; do
  for SHAPE in $SHAPES; do
    gen_manifests "$SHAPE" "$n"
    dir="$WORK/$SHAPE-m$n"
    objs=$(objects_of "$WORK/gen-$SHAPE-m$n.json" "$n")
    echo "== $SHAPE: $objs objects from manifests ($(du -sh "$dir" | cut -f1)); expected planted findings: $(tr -d ' \n' <"$WORK/gen-$SHAPE-m$n.json" | sed 's/.*"expectedFindings":\({[^}]*}\).*/\1/')" >&2
    measure "YAML decode only (sigs.k8s.io/yaml → map, 1 core)" "$objs" "$WORK/bin/yamldecode" "$dir"
    FLOOR="" FINDINGS="-" record "YAML decode only (sigs.k8s.io/yaml → map, 1 core)" "$objs"
    FLOOR=$last_wall FLOOR_CPU=$last_cpu
    rm -f "$WORK/report-m$n.json"
    measure "meshaudit scan -f" "$objs" "$WORK/bin/meshaudit" scan -f "$dir" --fail-on none --eval-timeout "$EVAL_TIMEOUT" -o "json=$WORK/report-m$n.json"
    findings_of "$WORK/report-m$n.json" "$WORK/gen-$SHAPE-m$n.json"
    record "meshaudit scan -f" "$objs"
    case " $PEER_SHAPES " in *" $SHAPE "*) ;; *) FLOOR=""; continue ;; esac
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
    FLOOR=""
  done
  rm -f "$WORK/report-m$n.json"
done

if [ "$LARGE" = 1 ]; then
  for SHAPE in $LARGE_SHAPES; do
   # the small snapshot first: the same shape at 1/10 the size, for linearity
   for size in $((LARGE_N / 10)) "$LARGE_N"; do
    snap="$WORK/$SHAPE-s$size.json"
    if [ ! -f "$snap" ]; then
      "$WORK/bin/meshaudit-gen" -shape "$SHAPE" -n "$size" -seed "$SEED" -snapshot "$snap" >"$WORK/gen-$SHAPE-s$size.json"
    fi
    objs=$(objects_of "$WORK/gen-$SHAPE-s$size.json" "$size")
    echo "== $SHAPE: $objs objects from a snapshot ($(du -sh "$snap" | cut -f1))" >&2
    rm -f "$WORK/report-s.json"
    measure "meshaudit scan --snapshot" "$objs" "$WORK/bin/meshaudit" scan --snapshot "$snap" --fail-on none --eval-timeout "$EVAL_TIMEOUT" -o "json=$WORK/report-s.json"
    findings_of "$WORK/report-s.json" "$WORK/gen-$SHAPE-s$size.json"
    FLOOR="" record "meshaudit scan --snapshot" "$objs"
   done
  done
fi

echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo); load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg); $(go env GOVERSION); $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Wall, CPU and RSS are of the median-wall run of \"runs\" runs; \"× floor\" is that wall (or CPU) time over the YAML-decode floor's on the same files in this run (the floor runs on one core: on a loaded machine the CPU ratio is the steadier one); exit is that run's exit code (meshaudit 3: incomplete; findings: 1 from kube-score and conftest, 79 from istioctl)."
echo
echo "| shape | command | objects | findings | runs | wall s | × floor | CPU s | CPU × floor | peak RSS MB | exit |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Targets (issue 20; 2 cores): manifests ≤ 2.0× the floor's wall and ≤ 300 MB; a findings-heavy shape's CPU per object ≤ 1.3× the default shape's; a 100k snapshot ≤ 15 s and ≤ 1536 MB; CPU per object of the large snapshot ≤ 1.2× that of the one a tenth its size (linear):"
echo
printf '%s\n' "${facts[@]}" | awk -v large="$LARGE_N" '
function ok(c) { return c ? "met" : "**not met**" }
{ shape=$1; kind=$2; n=$3; wall=$4; cpu=$5; rss=$6; floor=$7
  if (kind == "-f") {
    if (floor != "-" && floor > 0) printf "- %s, %d objects from manifests: %.2f× the floor (%s), %d MB (%s); CPU %.2f ms per object\n", shape, n, wall/floor, ok(wall/floor <= 2.0), rss, ok(rss <= 300), 1000*cpu/n
    perobj[shape]=cpu/n
  } else {
    snap[shape, n]=cpu/n
    if (n >= large * 0.9) printf "- %s, %d objects from a snapshot: %.1f s (%s), %d MB (%s)\n", shape, n, wall, ok(wall <= 15), rss, ok(rss <= 1536)
    sizes[shape]=sizes[shape] " " n
  }
}
END {
  if (("default" in perobj) && perobj["default"] > 0) for (s in perobj) if (s != "default") printf "- %s CPU per object (manifests) ÷ default: %.2f× (findings-heavy shapes: %s)\n", s, perobj[s]/perobj["default"], (s == "messy" ? ok(perobj[s]/perobj["default"] <= 1.3) : "no target")
  for (s in sizes) { split(sizes[s], ns, " "); if (length(ns) == 2 && snap[s, ns[1]] > 0) printf "- %s snapshot CPU per object, %d vs %d objects: %.2f× (%s)\n", s, ns[2], ns[1], snap[s, ns[2]]/snap[s, ns[1]], ok(snap[s, ns[2]]/snap[s, ns[1]] <= 1.2) }
}'
if [ "$RULE_COSTS" = 1 ]; then
  first=${RULE_COSTS_N:-${SIZES%% *}}
  for SHAPE in $SHAPES; do
    echo
    echo "Costliest rules, shape $SHAPE, $first objects (each rule's own query, library included):"
    echo
    MESHAUDIT_BENCH_SHAPE=$SHAPE MESHAUDIT_RULE_COSTS=$first go test ./evaluate/ -run '^TestRuleCosts$' -v -count=1 2>&1 |
      awk -F'\t' '/^ *evaluate_bench_test.go:[0-9]+: rule/ {next} /evaluate_bench_test.go:[0-9]+: [A-Z]+-[0-9]+/ {sub(/.*: /, "", $1); printf "%s %s\n", $1, $2}' | head -10 |
      awk 'BEGIN {printf "| rule | seconds |\n|---|---|\n"} {printf "| %s | %s |\n", $1, $2}'
  done
fi
if [ "$planted_ok" != 1 ]; then
  echo "bench/run.sh: a report's planted finding counts differ from the generator's (see above)" >&2
  exit 1
fi
