#!/bin/sh
# bench-route.sh - lq-route throughput with and without a ledger.
#   sh tools/bench-route.sh BINDIR WORKDIR    (N=20000 leads; RUNS=3; LAT_N=1000;
#                                              BIG_N=1000000 LEDGER_N=100000)
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

# A backlog (issue 15): BIG_N synthetic scored leads (1 in 10 a person seen
# before under another id, companies of about 7 people, a tenth on free
# mail) routed as one batch in priority order, with the duplicate and
# account rules, onto a ledger already holding LEDGER_N leads; then the same
# with --stream (arrival order: the tool before priority).  Once each (the
# ledger is rebuilt before each run).  BIG_N=0 skips it.
BIG_N=${BIG_N:-1000000}
LEDGER_N=${LEDGER_N:-100000}
if [ "$BIG_N" -gt 0 ]; then
	synth() {	# N FIRST_ID
		awk -v n="$1" -v o="$2" 'BEGIN { srand(7); for (i = 0; i < n; i++) {
		id = o + i; r = rand()
		t = r < 0.05 ? 1 : r < 0.25 ? 2 : r < 0.6 ? 3 : 4
		a = r < 0.85 ? "route" : r < 0.93 ? "review" : "nurture"
		p = int(rand() * 1000) / 10
		person = rand() < 0.1 ? int(rand() * (o + i)) : id
		free = (person % 10 == 0)
		dom = free ? "gmail.com" : "co" int(person / 7) ".example"
		cc = (person % 3 == 0) ? "US" : (person % 3 == 1) ? "DE" : "JP"
		printf "{\"id\":%d,\"email\":\"p%d@%s\",\"enrich\":{\"email\":{\"domain\":\"%s\",\"free\":%s},\"country\":{\"code\":\"%s\"},\"segment\":\"smb\"},\"score\":{\"points\":%s,\"tier\":\"L%d\",\"action\":\"%s\"}}\n", id, person, dom, dom, free ? "true" : "false", cc, p, t, a
		} }'
	}
	B="$W/route-big-$BIG_N.ndjson"
	[ -s "$B" ] || synth "$BIG_N" 2000000000 > "$B"
	LG="$W/route-ledger-$LEDGER_N.ndjson"
	[ -s "$LG" ] || synth "$LEDGER_N" 1000000000 > "$LG"
	BASE="$W/route-base.db"
	rm -f "$BASE" "$BASE-wal" "$BASE-shm"
	lq-route -q -r "$R" --now 2026-11-27T15:00:00Z --state "$BASE" "$LG" > /dev/null
	sqlite3 "$BASE" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
	echo "== backlog: $BIG_N leads onto a ledger of $LEDGER_N, one run each"
	for mode in --batch --stream; do
		rm -f "$DB" "$DB-wal" "$DB-shm"
		cp "$BASE" "$DB"
		s=$(date +%s.%N)
		/usr/bin/time -f '%M' -o "$W/rss" lq-route -q -r "$R" --now $NOW --state "$DB" $mode "$B" > /dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		printf '%-52s %9.3f %10s  (max RSS %s KB)\n' "lq-route --state $mode (priority, duplicates)" "$t" "$(rate "$BIG_N" "$t")" "$(cat "$W/rss")"
	done
	s=$(date +%s.%N)
	lq-route -q -r "$R" --now $NOW "$B" > /dev/null
	e=$(date +%s.%N)
	t=$(echo "$e - $s" | bc -l)
	printf '%-52s %9.3f %10s\n' "lq-route --batch, no ledger" "$t" "$(rate "$BIG_N" "$t")"
	s=$(date +%s.%N)
	lq-route -q -r "$R" --now $NOW --stream "$B" > /dev/null
	e=$(date +%s.%N)
	t=$(echo "$e - $s" | bc -l)
	printf '%-52s %9.3f %10s\n' "lq-route --stream, no ledger" "$t" "$(rate "$BIG_N" "$t")"
	rm -f "$DB" "$DB-wal" "$DB-shm" "$BASE" "$BASE-wal" "$BASE-shm"
fi

# The latency of one streamed lead (issue 15's target: median <= 2 ms,
# p99 <= 10 ms) through lq-enrich | lq-score | lq-route with a ledger,
# each lead sent when the one before has come out.
LAT_N=${LAT_N:-1000}
if [ "$LAT_N" -gt 0 ]; then
	RAW="$W/route-raw-1000.ndjson"
	[ -s "$RAW" ] || python3 "$TOP/tools/gen-leads.py" -n 1000 > "$RAW"
	rm -f "$DB" "$DB-wal" "$DB-shm"
	echo "== latency: lq-enrich | lq-score | lq-route --state, one lead at a time ($LAT_N)"
	(cd "$TOP" && python3 tools/latency.py "$LAT_N" \
		"lq-enrich -r rules/enrich.yaml | lq-score -r rules/score.yaml --now $NOW | lq-route -r rules/route.yaml --now $NOW --state '$DB'" < "$RAW")
	rm -f "$DB" "$DB-wal" "$DB-shm"
fi
