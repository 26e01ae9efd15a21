#!/bin/sh
# make bench: throughput of lq against its peers, as ratios measured in the
# same run.  usage: bench.sh BINDIR
#   N=200000      leads for lq-score and jq -c .
#   JQ_N=20000    leads for the jq CLI running the rules (it is ~100 times
#                 slower; rates are per lead, so the ratio is unaffected)
#   PIPE_N=1000000 leads through lq-enrich | lq-score | lq-route
#   LAT_N=1000    leads sent one at a time for the latency figure
#   RUNS=3        best of RUNS wall-clock runs (taken in turns where
#                 two commands are compared)
set -eu
BIN=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-200000}
JQ_N=${JQ_N:-20000}
PIPE_N=${PIPE_N:-1000000}
LAT_N=${LAT_N:-1000}
RUNS=${RUNS:-3}
W=${BENCH_DIR:-$TOP/bench-out}
NOW=2026-11-28T12:00:00Z
NOWE=1795867200
mkdir -p "$W"
PATH="$BIN:$PATH"

# wall time of one run of a shell command, in seconds
once() {
	s=$(date +%s.%N)
	sh -c "$1" > /dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

# the smaller of two times
min() {
	if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# best wall time of RUNS runs of a shell command, in seconds
best() {
	b=
	i=0
	while [ $i -lt "$RUNS" ]; do
		b=$(min "$b" "$(once "$1")")
		i=$((i + 1))
	done
	echo "$b"
}

rate() { echo "scale=0; $1 / $2" | bc -l; }
mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
ratio() { echo "scale=2; $2 / $1" | bc -l; }

echo "== lq bench: $N generated leads, best of $RUNS runs (lq-score, lq-enrich and jq -c . in turns), $(nproc) cores, $(date -u +%F)"
if [ ! -s "$W/leads-$N.ndjson" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" --now "$NOW" > "$W/leads-$N.ndjson"
fi
L="$W/leads-$N.ndjson"
BYTES=$(wc -c < "$L")
python3 "$TOP/tools/rules2jq.py" "$TOP/rules/score.yaml" > "$W/score.jq"

head -n "$JQ_N" "$L" > "$W/leads-jq.ndjson"
JQ_BYTES=$(wc -c < "$W/leads-jq.ndjson")

# lq-score, lq-enrich and jq -c . take turns, RUNS rounds, best of each:
# a slow spell of the machine (it varies by 10% on a VM) then falls on all
# three, not on whichever ran first
t_lq= t_en= t_cat=
i=0
while [ $i -lt "$RUNS" ]; do
	t_lq=$(min "$t_lq" "$(once "lq-score -r '$TOP/rules/score.yaml' --now $NOW '$L'")")
	t_cat=$(min "$t_cat" "$(once "jq -c . '$L'")")
	t_en=$(min "$t_en" "$(once "cd '$TOP' && lq-enrich -r rules/enrich.yaml '$L'")")
	i=$((i + 1))
done
t_lqjq=$(best "LQ_EVAL=jq lq-score -r '$TOP/rules/score.yaml' --now $NOW '$W/leads-jq.ndjson'")
t_jq=$(RUNS=1 best "jq -c --argjson now $NOWE -f '$W/score.jq' '$W/leads-jq.ndjson'")
r_lq=$(rate "$N" "$t_lq")
r_lqjq=$(rate "$JQ_N" "$t_lqjq")
r_jq=$(rate "$JQ_N" "$t_jq")
r_cat=$(rate "$N" "$t_cat")
printf '%-46s %7s %9s %10s %8s\n' "command" "leads" "seconds" "leads/s" "MB/s"
printf '%-46s %7s %9.3f %10s %8s\n' "lq-score -r rules/score.yaml" "$N" "$t_lq" "$r_lq" "$(mbs "$BYTES" "$t_lq")"
printf '%-46s %7s %9.3f %10s %8s\n' "lq-score, libjq evaluator (LQ_EVAL=jq)" "$JQ_N" "$t_lqjq" "$r_lqjq" "$(mbs "$JQ_BYTES" "$t_lqjq")"
printf '%-46s %7s %9.3f %10s %8s\n' "jq -c -f score.jq (the same rules)" "$JQ_N" "$t_jq" "$r_jq" "$(mbs "$JQ_BYTES" "$t_jq")"
printf '%-46s %7s %9.3f %10s %8s\n' "jq -c . (reprint only)" "$N" "$t_cat" "$r_cat" "$(mbs "$BYTES" "$t_cat")"
echo "ratio lq-score / jq CLI same rules: $(echo "scale=1; $r_lq / $r_jq" | bc -l)x"
echo "ratio lq-score / jq -c .:           $(echo "scale=2; $r_lq / $r_cat" | bc -l)x"
r_en=$(rate "$N" "$t_en")
printf '%-46s %7s %9.3f %10s %8s\n' "lq-enrich -r rules/enrich.yaml (example)" "$N" "$t_en" "$r_en" "$(mbs "$BYTES" "$t_en")"
echo "ratio lq-enrich / jq -c .:          $(echo "scale=2; $r_en / $r_cat" | bc -l)x"
echo "rules evaluated natively: $(lq-score -r "$TOP/rules/score.yaml" --explain | grep -cE ' native( |$)') of $(lq-score -r "$TOP/rules/score.yaml" --explain | wc -l)"

if command -v valgrind > /dev/null && [ "${CALLGRIND:-1}" = 1 ]; then
	head -n 2000 "$L" > "$W/leads-2000.ndjson"
	head -n 0 "$L" > "$W/leads-0.ndjson"
	ir() {
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 > /dev/null |
			sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
	}
	a=$(ir lq-score -r "$TOP/rules/score.yaml" --now $NOW "$W/leads-2000.ndjson")
	z=$(ir lq-score -r "$TOP/rules/score.yaml" --now $NOW "$W/leads-0.ndjson")
	echo "lq-score instructions per lead (callgrind, 2000 leads minus start-up): $(( (a - z) / 2000 ))"
fi

if [ "$PIPE_N" -gt 0 ]; then
	echo
	echo "== pipeline: lq-enrich | lq-score | lq-route on $PIPE_N leads"
	P="$W/leads-$PIPE_N.ndjson"
	if [ ! -s "$P" ]; then
		python3 "$TOP/tools/gen-leads.py" -n "$PIPE_N" --now "$NOW" > "$P"
	fi
	cd "$TOP"
	s=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$W/t.enrich" lq-enrich -r rules/enrich.yaml "$P" |
		/usr/bin/time -f '%U %S' -o "$W/t.score" lq-score -r rules/score.yaml --now $NOW |
		/usr/bin/time -f '%U %S' -o "$W/t.route" lq-route -r rules/route.yaml --now $NOW > /dev/null
	e=$(date +%s.%N)
	wall=$(echo "$e - $s" | bc -l)
	cpu() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
	ce=$(cpu "$W/t.enrich"); cs=$(cpu "$W/t.score"); cr=$(cpu "$W/t.route")
	tot=$(echo "$ce + $cs + $cr" | bc -l)
	printf 'wall %.1f s, %s leads/s; CPU: lq-enrich %s s (%s%%), lq-score %s s (%s%%), lq-route %s s (%s%%)\n' \
		"$wall" "$(rate "$PIPE_N" "$wall")" "$ce" "$(echo "scale=0; 100 * $ce / $tot" | bc -l)" \
		"$cs" "$(echo "scale=0; 100 * $cs / $tot" | bc -l)" "$cr" "$(echo "scale=0; 100 * $cr / $tot" | bc -l)"
	cd - > /dev/null
fi

if [ "$LAT_N" -gt 0 ]; then
	echo
	echo "== latency: lq-enrich | lq-score | lq-route, one lead at a time"
	(cd "$TOP" && head -n 1000 "$L" | python3 tools/latency.py "$LAT_N" \
		"lq-enrich -r rules/enrich.yaml | lq-score -r rules/score.yaml --now $NOW | lq-route -r rules/route.yaml --now $NOW")
	(cd "$TOP" && head -n 1000 "$L" | python3 tools/latency.py "$LAT_N" "cat") | sed 's/^/(cat alone, the floor: /; s/$/)/'
fi

for b in "$TOP"/tools/bench-*.sh; do
	[ -f "$b" ] || continue
	echo
	sh "$b" "$BIN" "$W" || echo "($b failed)"
done
