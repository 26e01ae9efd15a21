#!/bin/sh
# bench-diff.sh - lq-diff throughput against the jq CLI doing the same work.
#   sh tools/bench-diff.sh BINDIR [WORKDIR]   (DIFF_N=20000 leads; RUNS=3;
#   jq takes ~5 s per 10,000 leads here, rates are per lead, so the ratio
#   does not depend on N)
# Generated leads with outcomes (cached in WORKDIR, shared with
# bench-report.sh) are scored by rules/score.yaml and by the same rules with
# budget_confirmed 8 -> 30 points, as one file with both results (-k before,
# score) and as two files (before, after).  Then, best wall time of RUNS
# runs taken in turns:
#   lq-diff -k before -k score --won ... BOTH        vs
#     jq -n 'reduce inputs ...' BOTH   (transition matrix + won per tier)
#   lq-diff --won ... BEFORE AFTER   (joined by line)   vs
#     jq -n --slurpfile b BEFORE 'foreach inputs ...' AFTER  (the same)
#   lq-diff --id .id --won ... BEFORE AFTER            vs
#     jq -n '[inputs] | group_by(.id) ...' BEFORE AFTER
# The ratio is jq's time over lq-diff's.  The leads paired by id are
# printed for both (jq 1.6 reads 19-digit ids as doubles, lq-diff compares
# ids as their text).
set -eu
BIN=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
W=${2:-${BENCH_DIR:-$(mktemp -d)}}
N=${DIFF_N:-20000}
RUNS=${RUNS:-3}
NOW=2026-11-28T12:00:00Z
mkdir -p "$W"
O="$W/report-outcomes-$N.ndjson"
if [ ! -s "$O" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" > "$W/report-leads-$N.ndjson"
	python3 "$TOP/tools/gen-outcomes.py" "$W/report-leads-$N.ndjson" > "$O.tmp"
	mv "$O.tmp" "$O"
fi
awk '/name: budget_confirmed/{f=1} f && /points: 8/{sub(/points: 8/, "points: 30"); f=0} {print}' \
    "$TOP/rules/score.yaml" > "$W/diff-new.yaml"
BE="$W/diff-before-$N.ndjson" AF="$W/diff-after-$N.ndjson" BO="$W/diff-both-$N.ndjson"
if [ ! -s "$BO" ]; then
	"$BIN/lq-score" -q -r "$TOP/rules/score.yaml" --now $NOW "$O" > "$BE"
	"$BIN/lq-score" -q -r "$W/diff-new.yaml" --now $NOW "$O" > "$AF"
	"$BIN/lq-score" -q -r "$W/diff-new.yaml" --now $NOW -k after "$BE" > "$BO"
fi
WON='.crm.stage == "won"'
K="'$BIN/lq-diff' -k score -k after --won '$WON' '$BO'"
L="'$BIN/lq-diff' --won '$WON' '$BE' '$AF'"
I="'$BIN/lq-diff' --id .id --won '$WON' '$BE' '$AF'"
JK="jq -n 'reduce inputs as \$l ({}; .m[(\$l.score.tier|tostring) + \">\" + (\$l.after.tier|tostring)] += 1 | if \$l.crm.stage == \"won\" then .w[\$l.score.tier|tostring] += 1 | .v[\$l.after.tier|tostring] += 1 else . end)' '$BO'"
JL="jq -n --slurpfile b '$BE' 'reduce (foreach inputs as \$a (-1; . + 1; [\$b[.], \$a])) as [\$x, \$y] ({}; .m[(\$x.score.tier|tostring) + \">\" + (\$y.score.tier|tostring)] += 1 | if \$x.crm.stage == \"won\" then .w[\$x.score.tier|tostring] += 1 | .v[\$y.score.tier|tostring] += 1 else . end)' '$AF'"
JI="jq -n '[inputs] | group_by(.id) | map(select(length == 2)) | reduce .[] as [\$x, \$y] ({}; .m[(\$x.score.tier|tostring) + \">\" + (\$y.score.tier|tostring)] += 1 | if \$x.crm.stage == \"won\" then .w[\$x.score.tier|tostring] += 1 | .v[\$y.score.tier|tostring] += 1 else . end)' '$BE' '$AF'"

once() {
	s=$(date +%s.%N)
	sh -c "$1" > /dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
min() {
	if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
tk= tl= ti= tjk= tjl= tji=
i=0
while [ $i -lt "$RUNS" ]; do
	tk=$(min "$tk" "$(once "$K")")
	tjk=$(min "$tjk" "$(once "$JK")")
	tl=$(min "$tl" "$(once "$L")")
	tjl=$(min "$tjl" "$(once "$JL")")
	ti=$(min "$ti" "$(once "$I")")
	tji=$(min "$tji" "$(once "$JI")")
	i=$((i + 1))
done
/usr/bin/time -f '%M' -o "$W/diff-time-l" sh -c "$L" > /dev/null
/usr/bin/time -f '%M' -o "$W/diff-time-i" sh -c "$I" > /dev/null
pairs=$(jq -n '[inputs] | group_by(.id) | map(select(length == 2)) | length' "$BE" "$AF")
echo "== lq-diff bench: $N leads scored two ways ($(du -m "$BO" | cut -f1) MB with both, $(du -m "$AF" | cut -f1) MB each file), best of $RUNS runs in turns, $(nproc) cores"
printf '%-58s %8s %9s %7s\n' command seconds leads/s "jq/x"
row() { printf '%-58s %8.3f %9.0f %7s\n' "$1" "$2" "$(echo "$N / $2" | bc -l)" "$3"; }
row "lq-diff -k score -k after --won ... (one file)" "$tk" "$(echo "scale=2; $tjk / $tk" | bc -l)"
row "jq -n 'reduce inputs ...' (matrix + won per tier)" "$tjk" 1
row "lq-diff --won ... BEFORE AFTER (by line)" "$tl" "$(echo "scale=2; $tjl / $tl" | bc -l)"
row "jq -n --slurpfile b BEFORE 'foreach inputs ...' AFTER" "$tjl" 1
row "lq-diff --id .id --won ... BEFORE AFTER (by id)" "$ti" "$(echo "scale=2; $tji / $ti" | bc -l)"
row "jq -n '[inputs] | group_by(.id) ...' BEFORE AFTER" "$tji" 1
lqpairs=$(sh -c "$I --json" | jq 'select(.type == "summary") | .leads')
echo "leads paired by id: jq group_by(.id) $pairs, lq-diff --id $lqpairs, of $N"
echo "lq-diff peak RSS: by line $(tail -n 1 "$W/diff-time-l") KB, by id $(tail -n 1 "$W/diff-time-i") KB"
[ -n "${2:-}${BENCH_DIR:-}" ] || rm -rf "$W"
