#!/bin/sh
# make demo: the main job on the bundled sample data.
#   lq-enrich | lq-score | lq-route over examples/leads.ndjson
set -eu
BIN=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH="$BIN:$PATH"
OUT=${DEMO_OUT:-$TOP/build/demo}
NOW=2026-11-28T12:00:00Z
mkdir -p "$OUT"
rm -f "$OUT/route.db"
cd "$TOP"

echo "== lq demo: $(wc -l < examples/leads.ndjson) leads from examples/leads.ndjson"
echo "   lq-enrich -r rules/enrich.yaml | lq-score -r rules/score.yaml | lq-route -r rules/route.yaml --state $OUT/route.db"
lq-enrich -r rules/enrich.yaml examples/leads.ndjson |
	lq-score -r rules/score.yaml --now "$NOW" |
	lq-route -r rules/route.yaml --now "$NOW" --state "$OUT/route.db" > "$OUT/routed.ndjson"
echo "   -> $OUT/routed.ndjson"
echo
echo "== tiers and actions"
jq -r '[.score.tier, .score.action] | @tsv' "$OUT/routed.ndjson" | sort | uniq -c |
	awk '{ printf "   %-3s %-8s %5d\n", $2, $3, $1 }'
echo
echo "== where the leads went (owner or queue)"
jq -r '.route | (.owner // ("queue:" + (.queue // "-")))' "$OUT/routed.ndjson" | sort | uniq -c | sort -rn | head -12 |
	awk '{ c = $1; $1 = ""; printf "   %5d %s\n", c, $0 }'
echo
echo "== the best lead, with its reasons"
jq -c 'select(.score.tier == "L1")' "$OUT/routed.ndjson" | head -1 |
	jq '{id, name: ((.first_name // "") + " " + (.last_name // "")), title, company,
	     enrich: {email: .enrich.email, title: .enrich.title, company: (.enrich.company | if . then {name, employees, industry, match, source} else null end)},
	     score: {points: .score.points, tier: .score.tier, confidence: .score.confidence, action: .score.action,
	             groups: .score.groups, reasons: [.score.reasons[] | tostring]},
	     route: .route}'
if [ -x "$BIN/lq-csv" ]; then
	echo
	echo "== back to CSV for the CRM (first 3 rows)"
	lq-csv --to-csv -f id,email,score.tier,score.points,score.action,route.owner,route.contact_by "$OUT/routed.ndjson" | head -4
fi
