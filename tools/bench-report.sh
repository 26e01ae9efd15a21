#!/bin/sh
# bench-report.sh - lq-report throughput against the jq CLI on the same file.
#   sh tools/bench-report.sh BINDIR [WORKDIR]   (N=200000 leads; RUNS=3)
# Generated leads with outcomes (cached in WORKDIR) are read by
#   lq-report -r rules/report.yaml           (every metric, by tier)
#   lq-report ... --by owner,week --split --html  (drift and charts too)
#   jq -n 'reduce inputs as $l ({}; .[$l.score.tier] += 1)'  (tiers only)
# best wall time of RUNS runs taken in turns; the ratio is jq's time over
# lq-report's (the goal: 5 or more).  Peak RSS of the full run is shown.
set -eu
BIN=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
W=${2:-${BENCH_DIR:-$(mktemp -d)}}
N=${N:-200000}
RUNS=${RUNS:-3}
mkdir -p "$W"
O="$W/report-outcomes-$N.ndjson"
if [ ! -s "$O" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" > "$W/report-leads-$N.ndjson"
	python3 "$TOP/tools/gen-outcomes.py" "$W/report-leads-$N.ndjson" > "$O.tmp"
	mv "$O.tmp" "$O"
fi
R="$TOP/rules/report.yaml"
A="'$BIN/lq-report' -r '$R' '$O'"
B="'$BIN/lq-report' -r '$R' --by owner,week --split 2026-11-01 --html '$W/report.html' '$O'"
J="jq -n 'reduce inputs as \$l ({}; .[\$l.score.tier | tostring] += 1)' '$O'"

once() {
	s=$(date +%s.%N)
	sh -c "$1" > /dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
min() {
	if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
ta= tb= tj=
i=0
while [ $i -lt "$RUNS" ]; do
	ta=$(min "$ta" "$(once "$A")")
	tb=$(min "$tb" "$(once "$B")")
	tj=$(min "$tj" "$(once "$J")")
	i=$((i + 1))
done
/usr/bin/time -f '%M' -o "$W/report-time" sh -c "$B" > /dev/null
rss=$(tail -n 1 "$W/report-time")
echo "== lq-report bench: $N leads with outcomes ($(du -m "$O" | cut -f1) MB), best of $RUNS runs in turns, $(nproc) cores"
printf '%-58s %8s %9s %7s\n' command seconds leads/s "jq/x"
row() { printf '%-58s %8.3f %9.0f %7.2f\n' "$1" "$2" "$(echo "$N / $2" | bc -l)" "$(echo "$tj / $2" | bc -l)"; }
row "lq-report -r rules/report.yaml (by tier)" "$ta"
row "lq-report ... --by owner,week --split --html" "$tb"
row "jq -n 'reduce inputs ... tier counts'" "$tj"
echo "lq-report full run peak RSS: $rss KB"
[ -n "${2:-}${BENCH_DIR:-}" ] || rm -rf "$W"
