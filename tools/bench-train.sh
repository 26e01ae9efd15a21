#!/bin/sh
# bench-train.sh BINDIR WORKDIR - lq-train against scikit-learn.
#
# 200,000 generated leads (tools/gen-leads.py) joined with simulated CRM
# outcomes (tools/gen-outcomes.py), label: the deal was won.  Times
# lq-train end to end (NDJSON in, model out: features, lambda chosen by
# 5-fold cross validation, final fit, calibration, tiers, report) and
# scikit-learn's load plus one LogisticRegression(C=1) fit on the same
# features (tools/sklearn-ref.py fit: json.loads, the same flattening and
# one-hot/standardised encoding), both as wall time of the whole process.
# Then both AUCs, out of fold on the same 5 folds (not timed).
set -eu
BIN=$(cd "$1" && pwd)
mkdir -p "$2"
W=$(cd "$2" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-200000}
PY=python3
$PY -c 'import sklearn' 2>/dev/null || PY=/usr/bin/python3
L="$W/outcomes-$N.ndjson"
if [ ! -s "$L" ]; then
	python3 "$TOP/tools/gen-leads.py" -n "$N" > "$W/leads-$N.ndjson"
	python3 "$TOP/tools/gen-outcomes.py" "$W/leads-$N.ndjson" > "$L"
fi
# free text and identifiers are not features (in both)
EX="id created_at first_name last_name email phone company city title form.reason"
LQX=
SKX=
for f in $EX; do
	LQX="$LQX --exclude $f"
	SKX="$SKX --exclude $f"
done

now() { date +%s.%N; }

echo "== lq-train bench: $(wc -l < "$L") leads ($(du -m "$L" | cut -f1) MB), label .crm.stage == \"won\", $(nproc) cores"
s=$(now)
"$BIN/lq-train" -q -l '.crm.stage == "won"' $LQX --report "$W/report.ndjson" "$L" > "$W/model.yaml"
e=$(now)
lq=$(echo "$e - $s" | bc -l)
lqauc=$(jq 'select(.type == "summary") | .auc' "$W/report.ndjson")
"$BIN/lq-train" -q -l '.crm.stage == "won"' $LQX --C 1 --numeric standard \
    --min-count 1 --max-levels 0 --report "$W/report-std.ndjson" "$L" > /dev/null
stdauc=$(jq 'select(.type == "summary") | .auc' "$W/report-std.ndjson")

if ! $PY -c 'import sklearn' 2>/dev/null; then
	printf 'lq-train   %6.2f s  AUC %s (defaults), %s (scikit-learn encoding, C=1)\n' "$lq" "$lqauc" "$stdauc"
	echo "scikit-learn not installed: no comparison"
	exit 0
fi
s=$(now)
$PY "$TOP/tools/sklearn-ref.py" fit --label 'crm.stage="won"' $SKX "$L" > /dev/null
e=$(now)
sk=$(echo "$e - $s" | bc -l)
skauc=$($PY "$TOP/tools/sklearn-ref.py" cv --label 'crm.stage="won"' $SKX "$L" | jq .auc)
printf 'lq-train      %7.2f s  end to end (CV over 6 lambdas, fit, calibration, tiers)\n' "$lq"
printf 'scikit-learn  %7.2f s  load + one fit (LogisticRegression C=1, lbfgs)\n' "$sk"
printf 'ratio         %7.2f x  (scikit-learn time / lq-train time)\n' "$(echo "$sk / $lq" | bc -l)"
printf 'AUC (5-fold, same folds): lq-train %s (defaults), %s (same encoding, C=1); scikit-learn %s\n' \
    "$lqauc" "$stdauc" "$skauc"
