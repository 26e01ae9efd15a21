#!/bin/sh
# make bench: throughput of lq against its peers, as ratios measured in the
# same run.  usage: bench.sh BINDIR   (N=200000 leads by default; RUNS=3)
set -eu
BIN=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-200000}
RUNS=${RUNS:-3}
W=${BENCH_DIR:-$TOP/bench-out}
NOW=2026-11-28T12:00:00Z
NOWE=1795867200
mkdir -p "$W"
PATH="$BIN:$PATH"

# best wall time of RUNS runs of a shell command, in seconds
best() {
	b=
	i=0
	while [ $i -lt "$RUNS" ]; do
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
mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
ratio() { echo "scale=2; $2 / $1" | bc -l; }

echo "== lq bench: $N generated leads, best of $RUNS runs, $(nproc) cores, $(date -u +%F)"
if [ ! -s "$W/leads-$N.ndjson" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" --now "$NOW" > "$W/leads-$N.ndjson"
fi
L="$W/leads-$N.ndjson"
BYTES=$(wc -c < "$L")
python3 "$TOP/tools/rules2jq.py" "$TOP/rules/score.yaml" > "$W/score.jq"

t_lq=$(best "lq-score -r '$TOP/rules/score.yaml' --now $NOW '$L'")
t_jq=$(best "jq -c --argjson now $NOWE -f '$W/score.jq' '$L'")
t_cat=$(best "jq -c . '$L'")
printf '%-44s %10s %12s %8s\n' "command" "seconds" "leads/s" "MB/s"
printf '%-44s %10.3f %12s %8s\n' "lq-score -r rules/score.yaml" "$t_lq" "$(rate "$N" "$t_lq")" "$(mbs "$BYTES" "$t_lq")"
printf '%-44s %10.3f %12s %8s\n' "jq -c -f score.jq (same rules)" "$t_jq" "$(rate "$N" "$t_jq")" "$(mbs "$BYTES" "$t_jq")"
printf '%-44s %10.3f %12s %8s\n' "jq -c . (reprint only)" "$t_cat" "$(rate "$N" "$t_cat")" "$(mbs "$BYTES" "$t_cat")"
echo "ratio lq-score / jq same rules: $(ratio "$t_lq" "$t_jq")x"
echo "ratio lq-score / jq -c .:       $(ratio "$t_lq" "$t_cat")x"

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

for b in "$TOP"/tools/bench-*.sh; do
	[ -f "$b" ] || continue
	echo
	sh "$b" "$BIN" "$W" || echo "($b failed)"
done
