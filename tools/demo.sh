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
echo "== the first L1 lead routed to a rep, with its reasons"
echo "   (printed with python3: jq 1.6 would round its 19-digit id)"
python3 - "$OUT/routed.ndjson" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["score"]["tier"] == "L1" and r["score"]["action"] == "route":
        break
e = r.get("enrich") or {}
c = e.get("company") or {}
print("   id %s  %s %s, %s at %s" % (r["id"], r.get("first_name"), r.get("last_name"),
      r.get("title"), r.get("company")))
print("   enrich: domain %s (free %s), seniority %s, company %s (%s employees, %s; match %s)" % (
      e.get("email", {}).get("domain"), e.get("email", {}).get("free"),
      e.get("title", {}).get("seniority"), c.get("name"), c.get("employees"),
      c.get("industry"), c.get("match")))
s = r["score"]
print("   score: %s points, %s, confidence %s, action %s, groups %s" % (
      s["points"], s["tier"], s["confidence"], s["action"], json.dumps(s["groups"])))
for x in s["reasons"]:
    print("     " + json.dumps(x, ensure_ascii=False))
print("   route: " + json.dumps(r["route"], ensure_ascii=False))
PY
if [ -x "$BIN/lq-csv" ]; then
	echo
	echo "== back to CSV for the CRM (first 3 rows)"
	lq-csv --to-csv -f id,email,score.tier,score.points,score.action,route.owner,route.contact_by "$OUT/routed.ndjson" | head -4
fi
