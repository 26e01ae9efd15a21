#!/bin/sh
# bench-route.sh - lq-route throughput with and without a ledger.
#   sh tools/bench-route.sh BINDIR WORKDIR    (N=20000 leads; RUNS=3)
# The leads are generated, enriched and scored once (cached in WORKDIR),
# then routed with rules/route.yaml at a fixed time: without --state, and
# with --state on a fresh ledger each run (every lead a new assignment,
# committed in batches) and again on the full ledger (every lead found).
set -eu
BIN=$(cd "$1" && pwd)
W=${2:?usage: bench-route.sh BINDIR WORKDIR}
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-20000}
RUNS=${RUNS:-3}
NOW=2026-11-30T15:00:00Z
R="$TOP/rules/route.yaml"
mkdir -p "$W"
PATH="$BIN:$PATH"

best() {	# best wall time of RUNS runs of a shell command (seconds)
	b=
	i=0
	while [ $i -lt "$RUNS" ]; do
		[ -n "${PREP:-}" ] && sh -c "$PREP"
		s=$(date +%s.%N)
		sh -c "$1" > /dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
rate() { echo "scale=0; $1 / $2" | bc -l; }

L="$W/route-scored-$N.ndjson"
if [ ! -s "$L" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" |
	    lq-enrich -q -r "$TOP/rules/enrich.yaml" |
	    lq-score -q -r "$TOP/rules/score.yaml" > "$L.tmp"
	mv "$L.tmp" "$L"
fi
DB="$W/route-bench.db"
echo "== lq-route bench: $N scored leads, best of $RUNS runs, $(nproc) cores"
jq -r .score.action "$L" | sort | uniq -c | tr '\n' ' '; echo
printf '%-52s %9s %10s\n' command seconds leads/s
t0=$(PREP= best "lq-route -r '$R' --now $NOW '$L'")
printf '%-52s %9.3f %10s\n' "lq-route (no ledger)" "$t0" "$(rate "$N" "$t0")"
t1=$(PREP="rm -f '$DB' '$DB-wal' '$DB-shm'" best "lq-route -r '$R' --now $NOW --state '$DB' '$L'")
printf '%-52s %9.3f %10s\n' "lq-route --state (new ledger: all assigned)" "$t1" "$(rate "$N" "$t1")"
t2=$(PREP= best "lq-route -r '$R' --now $NOW --state '$DB' '$L'")
printf '%-52s %9.3f %10s\n' "lq-route --state (again: all found in the ledger)" "$t2" "$(rate "$N" "$t2")"
n1=$((N / 4))
head -n $n1 "$L" > "$W/route-first.ndjson"
t3=$(PREP="rm -f '$DB' '$DB-wal' '$DB-shm'" best "lq-route -r '$R' --now $NOW --state '$DB' --commit 1 '$W/route-first.ndjson'")
printf '%-52s %9.3f %10s\n' "lq-route --state --commit 1 (a commit per lead; N/4)" "$t3" "$(rate "$n1" "$t3")"
rm -f "$W/route-first.ndjson"
rm -f "$DB" "$DB-wal" "$DB-shm"
