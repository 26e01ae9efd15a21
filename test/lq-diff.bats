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
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$TOP/man/lq-diff.1" | sed -n 's/^\$ //p' > cmds
	[ "$(wc -l < cmds)" -eq 2 ]
	n=0
	while read -r cmd; do
		n=$((n + 1))
		bash -c "set -o pipefail; $cmd" > "out$n" || { echo "failed: $cmd"; false; }
	done < cmds
	grep -q '^300 leads scored two ways: before .before, after .score$' out1
	grep -q 'changed: budget_confirmed 8 -> 30' out1
	rsvg-convert diff.svg > /dev/null
	jq -e '.type == "summary" and .leads == 300 and .tier_changed > 0' out2 > /dev/null
	mandoc -Tlint -W warning "$TOP/man/lq-diff.1"
}
