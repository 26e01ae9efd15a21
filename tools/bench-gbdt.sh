#!/bin/sh
# bench-gbdt.sh BINDIR WORKDIR - lq-train --model gbdt against scikit-learn's
# HistGradientBoostingClassifier (defaults), tools/bench-gbdt.py.
#
# AUC: on x-education Leads.csv (only rows with Lead Number % 5 != 0; the
# identifiers and the fields sales fill in after the outcome excluded, as in
# test/lq-train.bats) and on bank-full (without duration), 5 folds, the same
# folds for both (a "_fold" field per row): lq-train trains on four with
# --holdout '._fold == K' and reports the AUC of its final model on the fifth;
# the same information (lq-train --numeric standard --min-count 1
# --max-levels 0 --no-guards: every level, no clipping; scikit-learn:
# one-hot, numbers as they are).  Time: 200,000 leads drawn with replacement
# from bank-full, end to end: lq-train NDJSON in, model out (its grid
# cross-validated, final fit, calibration, tiers); scikit-learn: load the
# NDJSON, encode, one fit with its defaults.  Both on every core.  Bank-full
# drawn with replacement holds copies of each row (lq-train's early stopping
# keeps copies on one side); so the same on 200,000 generated leads
# (tools/gen-leads.py, tools/gen-outcomes.py, as tools/bench-train.sh).
# Skipped when /work/shared/data or scikit-learn is absent.
set -eu
BIN=$(cd "$1" && pwd)
mkdir -p "$2"
W=$(cd "$2" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
DATA=${SHARED:-/work/shared}/data
N=${GBDT_N:-200000}
PY=python3
$PY -c 'import sklearn' 2>/dev/null || PY=/usr/bin/python3
B="$PY $TOP/tools/bench-gbdt.py"
now() { date +%s.%N; }

echo "== lq-train --model gbdt bench: against HistGradientBoostingClassifier, $(nproc) cores"
if [ ! -d "$DATA/x-education-leads" ] || [ ! -d "$DATA/uci-bank-marketing" ] ||
    ! $PY -c 'import sklearn' 2>/dev/null; then
	echo "no /work/shared/data or no scikit-learn: skipped"
	exit 0
fi
[ -s "$W/xedu.ndjson" ] || $B xedu "$DATA/x-education-leads/Leads.csv" > "$W/xedu.ndjson"
[ -s "$W/bank.ndjson" ] || $B bank "$DATA/uci-bank-marketing/bank-full.csv" > "$W/bank.ndjson"

XEX="Tags|Lead Quality|Lead Profile|Asymmetrique*|Last Notable Activity|Prospect ID|Lead Number"

# cv NAME FILE LQLABEL SKLABEL EXCLUDES(|-separated)
cv() {
	set -f
	IFS='|'
	lx= sx=
	for g in $5; do
		lx="$lx --exclude '$g'"
		sx="$sx --exclude '$g'"
	done
	unset IFS
	set +f
	lq=
	for k in 0 1 2 3 4; do
		eval "\"$BIN/lq-train\" -q -l '$3' --model gbdt --numeric standard --min-count 1 \
		    --max-levels 0 --no-guards --exclude _fold $lx --holdout '._fold == $k' \
		    --report '$W/r-$1-$k' '$2'" > "$W/m-$1-$k"
		lq="$lq $(jq 'select(.type == "summary") | .auc' "$W/r-$1-$k")"
	done
	sk=$(eval "$B cv '$2' --label '$4' $sx")
	lqm=$(echo "$lq" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.4f", s / NF }')
	printf '%-8s lq-train gbdt  AUC per fold %s  mean %s\n' "$1" "$(echo $lq | awk '{ for (i = 1; i <= NF; i++) printf "%.4f ", $i }')" "$lqm"
	printf '%-8s scikit-learn  AUC per fold %s  mean %.4f\n' "$1" "$(echo "$sk" | jq -r '.auc | map(. * 10000 | round / 10000 | tostring) | join(" ")')" "$(echo "$sk" | jq .mean)"
}
cv xedu "$W/xedu.ndjson" '.Converted == 1' 'Converted=1' "$XEX"
cv bank "$W/bank.ndjson" '.y == "yes"' 'y="yes"' "duration"

# time NAME FILE LQLABEL SKLABEL EXCLUDES(space-separated)
timing() {
	lx= sx=
	for g in $5; do
		lx="$lx --exclude $g"
		sx="$sx --exclude $g"
	done
	s=$(now)
	"$BIN/lq-train" -q -l "$3" --model gbdt --exclude _fold $lx "$2" > "$W/m-big"
	e=$(now)
	lqt=$(echo "$e - $s" | bc -l)
	s=$(now)
	$B fit "$2" --label "$4" $sx
	e=$(now)
	skt=$(echo "$e - $s" | bc -l)
	printf 'train %d leads (%s), end to end, load average %s:\n' "$(wc -l < "$2")" "$1" "$(cut -d' ' -f1 /proc/loadavg)"
	printf '  lq-train --model gbdt %7.2f s  (NDJSON in, grid cross-validated, final fit, calibration, tiers, model out)\n' "$lqt"
	printf '  scikit-learn          %7.2f s  (NDJSON in, one-hot, one HistGradientBoostingClassifier fit)\n' "$skt"
	printf '  ratio                 %7.2f x  (scikit-learn time / lq-train time)\n' "$(echo "$skt / $lqt" | bc -l)"
}
[ -s "$W/bank-$N.ndjson" ] || $B grow "$W/bank.ndjson" "$N" > "$W/bank-$N.ndjson"
timing "bank-full drawn with replacement" "$W/bank-$N.ndjson" '.y == "yes"' 'y="yes"' ""
# generated leads as tools/bench-train.sh makes them: no copies of a row
G="$W/outcomes-$N.ndjson"
if [ ! -s "$G" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" > "$W/leads-$N.ndjson"
	python3 "$TOP/tools/gen-outcomes.py" "$W/leads-$N.ndjson" > "$G"
fi
timing "tools/gen-leads.py, won deals" "$G" '.crm.stage == "won"' 'crm.stage="won"' \
    "id created_at first_name last_name email phone company city title form.reason"
