#!/usr/bin/env bats
# lq-diff: the same leads scored two ways.  Hand-computed answers on
# test/fixtures/lq-diff/leads.ndjson (the comments give the arithmetic), a
# change of one rule and a change of model through lq-score, the chart,
# errors, and the man page examples in a git repository.

load helpers

F="$FIX/lq-diff/leads.ndjson"
NOW=2026-11-28T12:00:00Z

rows() {
	jq -c "select(.type == \"$1\")${2:+ | select($2)}" <<< "$output"
}

@test "usage errors exit 2 before reading" {
	run -2 lq-diff "$F"
	[[ "$output" == *"-k BEFORE -k AFTER is required"* ]]
	run -2 lq-diff -k a -k a "$F"
	[[ "$output" == "lq-diff: -k: the two keys are the same: 'a'" ]]
	run -2 lq-diff -k a -k b -k c "$F"
	run -2 lq-diff -k a -k b --top x "$F"
	[[ "$output" == *"--top: not a number"* ]]
	run -2 lq-diff -k a -k b --won '.x ==' < /dev/null
	[[ "$output" == "lq-diff: --won:1:"*"jq:"* ]]
	run lq-diff --help
	[[ "$output" == *"usage: lq-diff -k BEFORE -k AFTER"* ]]
}

@test "transitions, changes of tier, action and rep, conversion with intervals: by hand" {
	run -0 lq-diff -k before -k score --json "$F"
	# lead 1 stays L1, 2 goes L2 -> L1 (bob -> ana), 3 L3 -> L2 (nurture
	# -> route, no owner -> bob), 4 stays L4 and has no outcome
	[ "$(rows summary)" = '{"type":"summary","before":"before","after":"score","before_file":null,"after_file":null,"join":"members","id":".id","leads":4,"tier_changed":2,"action_changed":1,"rep_changed":2,"with_outcome":3,"missing_before":0,"missing_after":0,"only_before":0,"only_after":0}' ]
	[ "$(rows transition | jq -r '"\(.from)>\(.to)=\(.leads)"' | paste -sd' ')" = "L1>L1=1 L2>L1=1 L3>L2=1 L4>L4=1" ]
	# after: L1 holds leads 1 and 2, both won: 2/2; Wilson 95%:
	# (1 + z^2/4) / (1 + z^2/2) - z sqrt(z^2/16) / (1 + z^2/2) = 0.3424
	row=$(rows tier '.tier == "L1"')
	[ "$(jq -c .after <<< "$row")" = '{"leads":2,"with_outcome":2,"won":2,"conversion":1,"low":0.3424,"high":1}' ]
	# before: L1 is lead 1 alone: 1/1, low = 1/(1 + z^2) = 0.2065
	[ "$(jq -c .before <<< "$row")" = '{"leads":1,"with_outcome":1,"won":1,"conversion":1,"low":0.2065,"high":1}' ]
	# L2 after: lead 3, lost: 0/1, high = z^2 / (1 + z^2) = 0.7935
	row=$(rows tier '.tier == "L2"')
	[ "$(jq -c .after <<< "$row")" = '{"leads":1,"with_outcome":1,"won":0,"conversion":0,"low":0,"high":0.7935}' ]
	# L4: no outcome: conversion unknown, not 0
	row=$(rows tier '.tier == "L4"')
	[ "$(jq -c .after.conversion <<< "$row")" = null ]
	# the intervals agree with an independent computation
	python3 - <<-'PY'
	from math import sqrt
	def wilson(k, n, z=1.959964):
	    p = k / n; d = 1 + z * z / n; c = (p + z * z / (2 * n)) / d
	    m = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
	    return round(max(0, c - m), 4), round(min(1, c + m), 4)
	assert wilson(2, 2) == (0.3424, 1), wilson(2, 2)
	assert wilson(1, 1) == (0.2065, 1)
	assert wilson(0, 1) == (0, 0.7935)
	PY
}

@test "the leads that move most: tier changes first, then points; reasons before and after; ids exact" {
	run -0 lq-diff -k before -k score --json --top 2 "$F"
	[ "$(rows mover | wc -l)" -eq 2 ]
	# the 19-digit ids as they came, not through a double (so not jq)
	[ "$(grep -o '"type":"mover","id":[0-9]*' <<< "$output" | cut -d: -f3 | paste -sd' ')" = \
	    "1000000000000000002 1000000000000000003" ]
	row=$(rows mover | head -n 1)
	[ "$(jq -r .before.reasons <<< "$row")" = "budget_confirmed +8, work_email +5" ]
	[ "$(jq -r .after.reasons <<< "$row")" = "budget_confirmed +23, work_email +5" ]
	[ "$(jq -r .changed <<< "$row")" = "budget_confirmed 8 -> 23" ]
	run -0 lq-diff -k before -k score --top 3 "$F"
	grep -q '^1000000000000000003  L3 -> L2  points 40 -> 55  action nurture -> route  rep - -> bob$' <<< "$output"
	grep -q '^tier changed 2 (50.0%), action changed 1, rep changed 2$' <<< "$output"
	grep -Eq '^L2 +1 +0 +0 +0 +1$' <<< "$output"
	run -0 lq-diff -k before -k score --top 0 --json "$F"
	[ "$(rows mover | wc -l)" -eq 0 ]
}

@test "a record without a side counts as (none) and is reported, bad lines are rejected" {
	{ cat "$F"; echo '{"id":5,"score":{"tier":"L1"}}'; echo '{"id":6,'; } > "$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr lq-diff -k before -k score "$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"lq-diff: $BATS_TEST_TMPDIR/in:6: invalid JSON"* ]]
	grep -q '^1 leads have no .before object (tier (none))$' <<< "$output"
	grep -Eq '^\(none\) +1 +0 +0 +0 +0 +1$' <<< "$output"
}

@test "a change of one rule (budget_confirmed 8 -> 30) through lq-score: only upward moves, each because of that rule" {
	cd "$TOP"
	awk '/name: budget_confirmed/{f=1} f && /points: 8/{sub(/points: 8/, "points: 30"); f=0} {print}' \
	    rules/score.yaml > "$BATS_TEST_TMPDIR/new.yaml"
	[ "$(diff rules/score.yaml "$BATS_TEST_TMPDIR/new.yaml" | grep -c '^>')" -eq 1 ]
	lq-score -q -r rules/score.yaml -k before --now $NOW examples/outcomes.ndjson |
	    lq-score -q -r "$BATS_TEST_TMPDIR/new.yaml" --now $NOW > "$BATS_TEST_TMPDIR/both"
	run -0 lq-diff -k before -k score --won '.crm.stage == "won"' --json --top 1000 --svg "$BATS_TEST_TMPDIR/d.svg" "$BATS_TEST_TMPDIR/both"
	# the counts agree with jq on the same records
	want=$(jq -s '[.[] | select(.before.tier != .score.tier)] | length' "$BATS_TEST_TMPDIR/both")
	[ "$want" -gt 0 ]
	[ "$(rows summary | jq .tier_changed)" -eq "$want" ]
	moved=$want
	want=$(jq -s '[.[] | select(.before.action != .score.action)] | length' "$BATS_TEST_TMPDIR/both")
	[ "$(rows summary | jq .action_changed)" -eq "$want" ]
	for t in L1 L2 L3 L4; do
		w=$(jq -s --arg t $t '[.[] | select(.score.tier == $t and .crm.stage == "won")] | length' "$BATS_TEST_TMPDIR/both")
		[ "$(rows tier ".tier == \"$t\"" | jq .after.won)" -eq "$w" ]
	done
	# raising one rule's points only moves leads up a tier (L4 -> L3 ...)
	[ "$(rows transition '.from < .to' | wc -l)" -eq 0 ]
	# and every lead that moved did so because of that rule alone
	[ "$(rows mover '.before.tier != .after.tier' | wc -l)" -eq "$moved" ]
	[ "$(rows mover | jq -r .changed | sort -u)" = "budget_confirmed 8 -> 30" ]
	rsvg-convert "$BATS_TEST_TMPDIR/d.svg" -o "$BATS_TEST_TMPDIR/d.png"
	grep -q 'Tier transitions: before .before, after .score' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'Conversion each tier would have had' "$BATS_TEST_TMPDIR/d.svg"
	[ "$(grep -c 'class="cell"' "$BATS_TEST_TMPDIR/d.svg")" -eq 16 ]
}

@test "a change of model (lq-train without the source features): moves with the features' log-odds" {
	T="$FIX/lq-train/leads.ndjson"
	LABEL='.stage | if . == "open" then null else . == "won" end'
	lq-train -q -l "$LABEL" --exclude id --min-count 5 -o "$BATS_TEST_TMPDIR/m1.yaml" "$T"
	lq-train -q -l "$LABEL" --exclude id --exclude 'source*' --min-count 5 -o "$BATS_TEST_TMPDIR/m2.yaml" "$T"
	lq-score -q -m "$BATS_TEST_TMPDIR/m1.yaml" -k before --now $NOW "$T" |
	    lq-score -q -m "$BATS_TEST_TMPDIR/m2.yaml" --now $NOW > "$BATS_TEST_TMPDIR/both"
	run -0 lq-diff -k before -k score --won "$LABEL" --json --top 5 "$BATS_TEST_TMPDIR/both"
	want=$(jq -s '[.[] | select(.before.tier != .score.tier)] | length' "$BATS_TEST_TMPDIR/both")
	[ "$want" -gt 0 ]
	[ "$(rows summary | jq .tier_changed)" -eq "$want" ]
	# 150 leads, 18 open: 132 with an outcome
	[ "$(rows summary | jq .with_outcome)" -eq 132 ]
	# the biggest movers lost their source= contribution: it is gone after
	[ "$(rows mover | jq -r .changed | grep -c 'source=')" -ge 1 ]
	[ "$(rows mover | jq -r .after.reasons | grep -c 'source=')" -eq 0 ]
	# points of a model are 100 x probability
	row=$(grep '"type":"mover"' <<< "$output" | head -n 1)
	id=$(grep -o '"id":[0-9]*' <<< "$row" | cut -d: -f2)
	p=$(grep "^{\"id\":$id," "$BATS_TEST_TMPDIR/both" | jq .score.points)
	[ -n "$p" ]
	[ "$(jq .after.points <<< "$row")" = "$p" ]
}

# test/fixtures/lq-diff/hand.ndjson scored by rules.yaml (big 30, vp 20,
# demo 15; L1 >= 60, L2 >= 40, L3 >= 20) and with demo 15 -> 35:
#   lead  big vp demo  before      after       won
#   1     30  20  15   65 L1  ->   85 L1       yes
#   2     30   0  15   45 L2  ->   65 L1       yes
#   3      0  20  15   35 L3  ->   55 L2       no
#   4      0   0  15   15 L4  ->   35 L3       no  (nurture -> route)
#   5     30  20   0   50 L2       50 L2       yes
#   6      0   0   0    0 L4        0 L4       no
#   7      0  20   0   20 L3       20 L3       (no outcome)
#   8     30   0   0   30 L3       30 L3       yes
HAND_TRANSITIONS="L1>L1=1 L2>L1=1 L2>L2=1 L3>L2=1 L3>L3=2 L4>L3=1 L4>L4=1"

# check_hand [ORDER]: $output is lq-diff --json --top 4 on the hand-computed
# change; ORDER: the ids of the tied movers 2, 3, 4 as read (default 2 3 4)
check_hand() {
	local o=${1:-"2 3 4"}
	[ "$(rows transition | jq -r '"\(.from)>\(.to)=\(.leads)"' | paste -sd' ')" = "$HAND_TRANSITIONS" ]
	[ "$(rows summary | jq -c '[.leads, .tier_changed, .action_changed, .rep_changed, .with_outcome]')" = '[8,3,1,null,7]' ]
	# won / with an outcome per transition (lead 7 has none)
	[ "$(rows transition | jq -r '"\(.from)>\(.to)=\(.won)/\(.with_outcome)"' | paste -sd' ')" = \
	    "L1>L1=1/1 L2>L1=1/1 L2>L2=1/1 L3>L2=0/1 L3>L3=1/1 L4>L3=0/1 L4>L4=0/1" ]
	# won / with an outcome per tier, before and after
	[ "$(rows tier | jq -r '"\(.tier) \(.before.won)/\(.before.with_outcome) \(.after.won)/\(.after.with_outcome)"' | paste -sd,)" = \
	    "L1 1/1 2/2,L2 2/2 1/2,L3 1/2 1/2,L4 0/2 0/1" ]
	# tier changes first (2, 3, 4: 20 points each, in the order read), then
	# lead 1 (65 -> 85); each because of demo alone
	[ "$(grep -o '"type":"mover","id":[0-9]*' <<< "$output" | cut -d: -f3 | paste -sd' ')" = \
	    "$(printf '100000000000000000%s ' $o)1000000000000000001" ]
	[ "$(rows mover | jq -r .changed | sort -u)" = "demo 15 -> 35" ]
	[ "$(grep '"type":"mover","id":1000000000000000002,' <<< "$output" | jq -r '"\(.before.reasons); \(.after.reasons)"')" = \
	    "big +30, demo +15; demo +35, big +30" ]
}

@test "a change of one rule by hand (demo 15 -> 35): -k, two files by line and by --id give the same answer" {
	H="$FIX/lq-diff/hand.ndjson"
	sed 's/points: 15/points: 35/' "$FIX/lq-diff/rules.yaml" > "$BATS_TEST_TMPDIR/new.yaml"
	lq-score -q -r "$FIX/lq-diff/rules.yaml" --now $NOW "$H" > "$BATS_TEST_TMPDIR/before"
	lq-score -q -r "$BATS_TEST_TMPDIR/new.yaml" --now $NOW "$H" > "$BATS_TEST_TMPDIR/after"
	lq-score -q -r "$BATS_TEST_TMPDIR/new.yaml" --now $NOW -k after "$BATS_TEST_TMPDIR/before" > "$BATS_TEST_TMPDIR/both"
	run -0 lq-diff -k score -k after --json --top 4 "$BATS_TEST_TMPDIR/both"
	check_hand
	run -0 lq-diff --json --top 4 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	check_hand
	[ "$(rows summary | jq -c '[.join, .before_file == "'"$BATS_TEST_TMPDIR/before"'", .only_before, .only_after]')" = '["line",true,0,0]' ]
	# by id, the second file in another order
	tac "$BATS_TEST_TMPDIR/after" > "$BATS_TEST_TMPDIR/after.rev"
	run -0 lq-diff --id .id --json --top 4 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after.rev"
	check_hand "4 3 2"
	[ "$(rows summary | jq -r .join)" = id ]
	# the text report, from standard input for one side
	run -0 lq-diff --top 4 - "$BATS_TEST_TMPDIR/after" < "$BATS_TEST_TMPDIR/before"
	grep -q "^8 leads scored two ways: before - .score, after $BATS_TEST_TMPDIR/after .score (joined by line number)$" <<< "$output"
	grep -Eq '^L2 +1 +1 +0 +0 +2$' <<< "$output"
	grep -Eq '^total +2 +2 +3 +1 +8$' <<< "$output"
	grep -q '^1000000000000000004  L4 -> L3  points 15 -> 35  action nurture -> route$' <<< "$output"
	# the leads that change tier, with their conversion
	grep -Eq '^L2 +L1 +1 +1 +1 +100.0% +20.7-100.0%$' <<< "$output"
	grep -Eq '^L4 +L3 +1 +1 +0 +0.0% +0.0- 79.3%$' <<< "$output"
	[ "$(sed -n '/^Leads that change tier/,/^$/p' <<< "$output" | wc -l)" -eq 2 ]
	[ "$(sed -n '/^before  *after/,/^$/p' <<< "$output" | grep -Ec '^L[0-9] +L[0-9]')" -eq 3 ]
	# -k once names the member of both files
	lq-score -q -r "$BATS_TEST_TMPDIR/new.yaml" --now $NOW -k s2 "$H" > "$BATS_TEST_TMPDIR/after.s2"
	lq-score -q -r "$FIX/lq-diff/rules.yaml" --now $NOW -k s2 "$H" > "$BATS_TEST_TMPDIR/before.s2"
	run -0 lq-diff -k s2 --json --top 4 "$BATS_TEST_TMPDIR/before.s2" "$BATS_TEST_TMPDIR/after.s2"
	check_hand
}

@test "two files: leads of one file only are counted and listed, bad lines rejected, the rest compared" {
	H="$FIX/lq-diff/hand.ndjson"
	sed 's/points: 15/points: 35/' "$FIX/lq-diff/rules.yaml" > "$BATS_TEST_TMPDIR/new.yaml"
	lq-score -q -r "$FIX/lq-diff/rules.yaml" --now $NOW "$H" > "$BATS_TEST_TMPDIR/before"
	# after: lead 8 gone, a lead 9 new, a bad line, an array
	{ lq-score -q -r "$BATS_TEST_TMPDIR/new.yaml" --now $NOW "$H" | head -n 7
	  echo '{"id":1000000000000000009,"score":{"tier":"L1","points":90}}'
	  echo '{"id":10,'
	  echo '[1]'; } > "$BATS_TEST_TMPDIR/after"
	run -1 --separate-stderr lq-diff --id .id --json --top 0 --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[[ "$stderr" == *"lq-diff: $BATS_TEST_TMPDIR/after:9: invalid JSON"* ]]
	[[ "$stderr" == *"lq-diff: $BATS_TEST_TMPDIR/after:10: not a JSON object"* ]]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/rej")" -eq 2 ]
	# leads 1-7 compared: lead 8 (L3 -> L3, won) is out of it
	[ "$(rows summary | jq -c '[.leads, .tier_changed, .only_before, .only_after]')" = '[7,3,1,1]' ]
	[ "$(rows transition | jq -r '"\(.from)>\(.to)=\(.leads)"' | paste -sd' ')" = \
	    "L1>L1=1 L2>L1=1 L2>L2=1 L3>L2=1 L3>L3=1 L4>L3=1 L4>L4=1" ]
	# the ids exactly as they came
	[ "$(grep '"type":"only"' <<< "$output" | grep -o '"line":[0-9]*,"id":[0-9]*' | paste -sd' ')" = \
	    '"line":8,"id":1000000000000000008 "line":8,"id":1000000000000000009' ]
	[ "$(rows only | jq -r .in | paste -sd' ')" = "before after" ]
	run -1 --separate-stderr lq-diff --id .id --top 0 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	grep -q "^1 leads only in $BATS_TEST_TMPDIR/before, not compared (listed below)$" <<< "$output"
	grep -q "^$BATS_TEST_TMPDIR/after:8  1000000000000000009$" <<< "$output"
	# by line: line 8 pairs lead 8 with lead 9, two leads: rejected, not
	# compared as one; line 9's partner is missing
	run -1 --separate-stderr lq-diff --json --top 0 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/after:8: lead id 1000000000000000009 is not the id on line 8 of $BATS_TEST_TMPDIR/before (1000000000000000008): join the files by id with --id"* ]]
	[ "$(rows summary | jq -c '[.leads, .only_before, .only_after]')" = '[7,1,0]' ]
	# a duplicate id is rejected, not compared twice
	{ cat "$BATS_TEST_TMPDIR/before"; head -n 1 "$BATS_TEST_TMPDIR/before"; } > "$BATS_TEST_TMPDIR/dup"
	run -1 --separate-stderr lq-diff --id .id --json "$BATS_TEST_TMPDIR/dup" "$BATS_TEST_TMPDIR/before"
	[[ "$stderr" == *"dup:9: lead id 1000000000000000001 again (first on line 1)"* ]]
	[ "$(rows summary | jq -c '[.leads, .only_before, .only_after]')" = '[8,0,0]' ]
	# usage
	run -2 lq-diff -k score "$BATS_TEST_TMPDIR/before"
	[[ "$output" == *"give two files"* ]]
	run -2 lq-diff - -
	run -2 lq-diff --id 'map(.id)' "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[[ "$output" == *"--id: not a path of member names"* ]]
	run -2 lq-diff --id '.a[0]' "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	# a quoted member name, nested
	sed 's/^{"id":\([0-9]*\),/{"crm":{"Lead Id":"L\1"},/' "$BATS_TEST_TMPDIR/before" > "$BATS_TEST_TMPDIR/b2"
	tac "$BATS_TEST_TMPDIR/b2" > "$BATS_TEST_TMPDIR/b2.rev"
	run -0 lq-diff --id '.crm."Lead Id"' --json "$BATS_TEST_TMPDIR/b2" "$BATS_TEST_TMPDIR/b2.rev"
	[ "$(rows summary | jq -c '[.leads, .tier_changed, .only_before, .only_after]')" = '[8,0,0,0]' ]
}

# the model change: test/fixtures/lq-train/model.yaml with the weight of
# source=referral turned from +1.359692 to -1.359692 (resealed).  Each
# referral lead's log-odds falls by 2.719384, every other lead's stays;
# its tier after follows from the model's thresholds (calibration none:
# p = 1 / (1 + e^-log_odds); L1 >= 0.610963, L2 >= 0.577203, L3 >= 0.288021),
# computed here apart from lq-score.
model_expected() {
	python3 - "$1" <<-'PY'
	import json, math, sys
	from collections import Counter
	def tier(p):
	    return "L1" if p >= 0.610963 else "L2" if p >= 0.577203 else "L3" if p >= 0.288021 else "L4"
	c = Counter()
	for l in open(sys.argv[1]):
	    r = json.loads(l)
	    lo = r["score"]["log_odds"]
	    lo2 = lo - 2 * 1.359692 if r.get("source") == "referral" else lo
	    t0 = r["score"]["tier"]
	    assert t0 == tier(1 / (1 + math.exp(-lo))), r["id"]
	    c[(t0, tier(1 / (1 + math.exp(-lo2))))] += 1
	print(" ".join("%s>%s=%d" % (a, b, c[(a, b)]) for a, b in sorted(c)))
	PY
}

@test "a change of model (one weight of model.yaml): -k and two files give the transitions computed apart" {
	T="$FIX/lq-train/leads.ndjson"
	LABEL='.stage | if . == "open" then null else . == "won" end'
	sed 's/{value: "referral", weight: 1.359692,/{value: "referral", weight: -1.359692,/' \
	    "$FIX/lq-train/model.yaml" > "$BATS_TEST_TMPDIR/m2.yaml"
	[ "$(diff "$FIX/lq-train/model.yaml" "$BATS_TEST_TMPDIR/m2.yaml" | grep -c '^>')" -eq 1 ]
	lq-train --reseal "$BATS_TEST_TMPDIR/m2.yaml"
	# every feature in the reasons: no other change is left unlisted
	lq-score -q -m "$FIX/lq-train/model.yaml" --reasons all --now $NOW "$T" > "$BATS_TEST_TMPDIR/before"
	lq-score -q -m "$BATS_TEST_TMPDIR/m2.yaml" --reasons all --now $NOW "$T" > "$BATS_TEST_TMPDIR/after"
	lq-score -q -m "$BATS_TEST_TMPDIR/m2.yaml" --reasons all --now $NOW -k after "$BATS_TEST_TMPDIR/before" > "$BATS_TEST_TMPDIR/both"
	want=$(model_expected "$BATS_TEST_TMPDIR/before")
	[ -n "$want" ]
	for mode in k line id; do
		case $mode in
		k) run -0 lq-diff -k score -k after --won "$LABEL" --json --top 1000 "$BATS_TEST_TMPDIR/both" ;;
		line) run -0 lq-diff --won "$LABEL" --json --top 1000 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" ;;
		id) run -0 lq-diff --id .id --won "$LABEL" --json --top 1000 "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" ;;
		esac
		[ "$(rows transition | jq -r '"\(.from)>\(.to)=\(.leads)"' | paste -sd' ')" = "$want" ]
		# 150 leads, 18 open
		[ "$(rows summary | jq -c '[.leads, .with_outcome]')" = '[150,132]' ]
		# every lead that moves is a referral lead, because of that weight
		# alone (other features are not among the changes)
		[ "$(rows mover | jq -r .changed | sort -u)" = "source=referral 1.3597 -> -1.3597" ]
		# the reasons of the biggest mover before and after
		[ "$(rows mover | head -n 1 | jq -r '[.before.reasons, .after.reasons] | map(test("source=referral [+]1.3597")) | @text')" = '[true,false]' ]
		[ "$(rows mover | wc -l)" -eq "$(grep -c '"source":"referral"' "$T")" ]
	done
}

@test "man page examples: the last commit's rule change, from git show HEAD~1:lq.yaml" {
	command -v git > /dev/null || skip "no git"
	cd "$BATS_TEST_TMPDIR"
	mkdir repo && cd repo
	git init -q .
	git config user.email t@example.com
	git config user.name t
	cp "$TOP/rules/score.yaml" lq.yaml
	cp "$TOP/examples/outcomes.ndjson" .
	git add lq.yaml && git commit -qm old
	awk '/name: budget_confirmed/{f=1} f && /points: 8/{sub(/points: 8/, "points: 30"); f=0} {print}' \
	    "$TOP/rules/score.yaml" > lq.yaml
	git commit -qam new
	# both forms: two files from git show HEAD~1:lq.yaml, and -k twice
	[ "$(grep -c '^\$ .*git show HEAD~1:lq.yaml' "$TOP/man/lq-diff.1")" -eq 2 ]
	# every command succeeds and prints what the page shows (saved as outN)
	run python3 "$TOP/test/run-examples.py" --status --save "$TOP/man/lq-diff.1" .
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"5 examples, 0 failed" ]]
	grep -q '^300 leads scored two ways: before before.ndjson .score, after after.ndjson .score (joined by line number)$' out3
	grep -q 'changed: budget_confirmed 8 -> 30' out3
	rsvg-convert diff.svg > /dev/null
	# the two forms agree with each other and with jq on the same files
	want=$(paste -d' ' <(jq -r .score.tier before.ndjson) <(jq -r .score.tier after.ndjson) | awk '$1 != $2' | wc -l)
	[ "$want" -eq 38 ]
	grep -q "^tier changed $want (12.7%)" out3
	[ "$(cat out4)" = "[300,$want,44,300]" ]
	[ "$(cat out5)" = "[\"id\",300,$want,0,0]" ]
	mandoc -Tlint -W warning "$TOP/man/lq-diff.1"
}
