#!/usr/bin/env bats
# lq-score: rule scoring, the record contract, errors.

load helpers

R="$FIX/lq-score/rules.yaml"
NOW="--now 2026-11-28T00:00:00Z"

@test "golden output on the fixture leads" {
	run lq-score -r "$R" $NOW "$FIX/lq-score/leads.ndjson"
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$FIX/lq-score/expected.ndjson"
}

@test "input bytes pass through exactly: big ids, unicode, escapes, spacing" {
	lq-score -r "$R" $NOW "$FIX/lq-score/leads.ndjson" > "$BATS_TEST_TMPDIR/out"
	# strip the score member again: what is left is the input, byte for byte
	# (the old score of line 2 was replaced, so compare it without its score)
	perl -pe 's/,"score":\{.*\}(\s*)\}$/$1}/; s/^\{"score":\{.*\}\}$/{}/' "$BATS_TEST_TMPDIR/out" > "$BATS_TEST_TMPDIR/stripped"
	perl -pe 's/,"score":\{"stale":true\}//' "$FIX/lq-score/leads.ndjson" | diff - "$BATS_TEST_TMPDIR/stripped"
	grep -q '"id":1000000000000011631,' "$BATS_TEST_TMPDIR/out"
	grep -q '"id":12345678901234567890,' "$BATS_TEST_TMPDIR/out"
	grep -q '"name":"Zo\\u00eb \\"Z\\" Ødegaard","n":1.50,' "$BATS_TEST_TMPDIR/out"
}

@test "idempotent: scoring twice gives the bytes of scoring once" {
	lq-score -r "$R" $NOW "$FIX/lq-score/leads.ndjson" > "$BATS_TEST_TMPDIR/once"
	lq-score -r "$R" $NOW "$BATS_TEST_TMPDIR/once" > "$BATS_TEST_TMPDIR/twice"
	cmp "$BATS_TEST_TMPDIR/once" "$BATS_TEST_TMPDIR/twice"
}

@test "an existing score member is replaced, not duplicated" {
	run lq-score -r "$R" $NOW <<< '{"score":1,"title":"VP","score":{"x":2},"employees":10}'
	[ "$status" -eq 0 ]
	[ "$(grep -o '"score"' <<< "$output" | wc -l)" -eq 1 ]
	[[ "$output" == '{"title":"VP","employees":10,"score":{"points":20,'* ]]
}

@test "tiers, decay against --now, caps and reasons are computed" {
	run lq-score -r "$R" --now 2026-12-05T00:00:00Z <<< '{"title":"VP","employees":5000,"visits":[{"page":"/pricing","at":"2026-11-28T00:00:00Z"}]}'
	[ "$status" -eq 0 ]
	# fit 50 capped at 50 (30+20), pricing 10 halved after one half-life
	[[ "$output" == *'"points":55,"tier":"L2"'* ]]
	[[ "$output" == *'{"signal":"pricing","group":"engagement","points":5,"events":1'* ]]
	run lq-score -r "$R" --now 2026-12-05T00:00:00Z <<< '{"title":"VP","employees":5000,"visits":[{"page":"/pricing","at":"2026-11-28T00:00:00Z"}],"email":"a@gmail.com"}'
	[[ "$output" == *'"groups":{"fit":40,"engagement":5}'* ]]
}

@test "group cap is reported in the reasons" {
	cat > "$BATS_TEST_TMPDIR/r.yaml" <<-'Y'
	score:
	  groups: { fit: { cap: 25 } }
	  tiers: { L1: 30, L2: 20, L3: 10 }
	  signals:
	    - { name: a, group: fit, when: .a, points: 20 }
	    - { name: b, group: fit, when: .b, points: 20 }
	Y
	run lq-score -r "$BATS_TEST_TMPDIR/r.yaml" <<< '{"a":true,"b":true}'
	[ "$status" -eq 0 ]
	[[ "$output" == *'"points":25,"tier":"L2"'* ]]
	[[ "$output" == *'{"group":"fit","capped":25,"uncapped":40}'* ]]
}

@test "missing data and expression errors lower confidence and are named" {
	run lq-score -r "$R" $NOW <<< '{"employees":5000,"title":"VP","visits":[],"email":"a@b.c"}'
	[[ "$output" == *'"confidence":1,'* ]]
	run lq-score -r "$R" $NOW <<< '{"employees":5000,"email":"a@b.c","visits":[]}'
	[[ "$output" == *'"unknown":1,'* ]]
	[[ "$output" == *'{"signal":"vp","group":"fit","unknown":"missing .title"}'* ]]
	[[ "$output" != *'"confidence":1,'* ]]
	run lq-score -r "$R" $NOW <<< '{"employees":5000,"title":42,"email":"a@b.c","visits":[]}'
	[[ "$output" == *'"unknown":"number (42) cannot be matched, as it is not a string"'* ]]
}

@test "each record names its own error, when the message changes from one record to the next" {
	run lq-score -r "$R" $NOW <<-'EOF'
	{"employees":5000,"title":42,"email":"a@b.c","visits":[]}
	{"employees":5000,"title":"x\"y","email":"a@b.c","visits":[]}
	{"employees":5000,"title":true,"email":"a@b.c","visits":[]}
	{"employees":5000,"title":42,"email":"a@b.c","visits":[]}
	EOF
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *'"unknown":"number (42) cannot be matched, as it is not a string"'* ]]
	[[ "${lines[1]}" != *'"unknown"'*'cannot be matched'* ]]
	[[ "${lines[2]}" == *'"unknown":"boolean (true) cannot be matched, as it is not a string"'* ]]
	[[ "${lines[3]}" == *'"unknown":"number (42) cannot be matched, as it is not a string"'* ]]
}

@test "disqualifier forces the tier and says so" {
	run lq-score -r "$R" $NOW <<< '{"title":"PhD Student","employees":5000,"visits":[]}'
	[[ "$output" == *'"tier":"L4","confidence":1,"action":"nurture"'* ]]
	[[ "$output" == *'{"disqualifier":"student","tier":"L4","reason":"students do not buy"}'* ]]
}

@test "borderline leads go to review" {
	run lq-score -r "$R" $NOW <<< '{"employees":5000,"title":"Chief Revenue Officer","email":"a@gmail.com","visits":[]}'
	# 30 + 20 - 10 = 40: exactly on the L2 boundary
	[[ "$output" == *'"points":40,"tier":"L2"'* ]]
	[[ "$output" == *'"action":"review"'* ]]
}

@test "-k changes the output key" {
	run lq-score -r "$R" -k s2 $NOW <<< '{"a":1}'
	[[ "$output" == '{"a":1,"s2":{'* ]]
}

@test "bad records: reported with file:line, kept with --rejects, others scored, exit 1" {
	printf '%s\n' '{"a":1}' '{bad' '[1,2]' '"str"' '{"b":2}' '' $'{"c":"\xff"}' '{"d":4}' > "$BATS_TEST_TMPDIR/in"
	run -1 lq-score -r "$R" $NOW --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/in"
	[ "$(grep -c '"score"' <<< "$output")" -eq 3 ]
	[[ "$output" == *"lq-score: $BATS_TEST_TMPDIR/in:2: invalid JSON at byte 2: expected a string key"* ]]
	[[ "$output" == *"lq-score: $BATS_TEST_TMPDIR/in:3: not a JSON object"* ]]
	[[ "$output" == *"lq-score: $BATS_TEST_TMPDIR/in:4: not a JSON object"* ]]
	[[ "$output" == *"lq-score: $BATS_TEST_TMPDIR/in:7: invalid UTF-8 at byte 7"* ]]
	[[ "$output" == *"lq-score: 4 of 7 records rejected"* ]]
	printf '%s\n' '{bad' '[1,2]' '"str"' $'{"c":"\xff"}' | cmp - "$BATS_TEST_TMPDIR/rej"
}

@test "order is kept and the good lines after a bad one still come out" {
	printf '%s\n' '{"i":1}' 'nope' '{"i":2}' '{"i":3}' > "$BATS_TEST_TMPDIR/in"
	lq-score -q -r "$R" "$BATS_TEST_TMPDIR/in" 2>/dev/null > "$BATS_TEST_TMPDIR/out" || true
	[ "$(cut -c1-7 "$BATS_TEST_TMPDIR/out" | tr '\n' ' ')" = '{"i":1, {"i":2, {"i":3, ' ]
}

@test "--strict stops at the first bad record" {
	printf '%s\n' '{"i":1}' 'nope' '{"i":2}' > "$BATS_TEST_TMPDIR/in"
	run -1 lq-score --strict -r "$R" "$BATS_TEST_TMPDIR/in"
	[ "$(grep -c '"score"' <<< "$output")" -eq 1 ]
}

@test "CRLF input and a last line without newline" {
	printf '{"a":1}\r\n{"b":2}' > "$BATS_TEST_TMPDIR/in"
	run lq-score -r "$R" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == '{"a":1,"score":'*'}' ]]
	[[ "$output" != *$'\r'* ]]
}

@test "empty input gives empty output and status 0" {
	run lq-score -r "$R" < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	printf '\n\n' | lq-score -r "$R" | wc -c | grep -qx 0
}

@test "a 20 MB line is scored and passed through exactly" {
	python3 -c 'import sys; sys.stdout.write("{\"id\":1,\"blob\":\"" + "x"*(20*1024*1024) + "\",\"title\":\"VP\"}\n")' > "$BATS_TEST_TMPDIR/big"
	lq-score -r "$R" "$BATS_TEST_TMPDIR/big" > "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 1 ]
	head -c 20971540 "$BATS_TEST_TMPDIR/out" | cmp - <(head -c 20971540 "$BATS_TEST_TMPDIR/big")
	grep -q '"title":"VP","score":{"points":20' "$BATS_TEST_TMPDIR/out"
}

@test "rule file errors exit 2 with file:line:col before reading input" {
	cp "$R" "$BATS_TEST_TMPDIR/typo.yaml"
	sed -i 's/      points: 30/      pionts: 30/' "$BATS_TEST_TMPDIR/typo.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/typo.yaml" < /dev/null
	[ "$output" = "lq-score: $BATS_TEST_TMPDIR/typo.yaml:13:7: unknown key 'pionts' in a signal (did you mean 'points'?)" ]
}

@test "a bad jq expression is located in the rule file" {
	cp "$R" "$BATS_TEST_TMPDIR/bad.yaml"
	sed -i 's/test("vp|chief"; "i")/tset("vp|chief"; "i")/' "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/bad.yaml" < /dev/null
	[ "$output" = "lq-score: $BATS_TEST_TMPDIR/bad.yaml:17:9: jq: tset/2 is not defined" ]
	sed -i 's/tset("vp|chief"; "i")/test("vp|chief" "i")/' "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/bad.yaml" < /dev/null
	[[ "$output" == "lq-score: $BATS_TEST_TMPDIR/bad.yaml:17:9: jq: syntax error"* ]]
}

@test "env, \$ENV and input are refused at load time" {
	for e in 'env.HOME == "x"' '$ENV.HOME' 'input' '[inputs] | length > 0' 'debug'; do
		printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n  signals:\n    - name: x\n      group: fit\n      points: 1\n      when: %s\n' "'$e'" > "$BATS_TEST_TMPDIR/e.yaml"
		run -2 lq-score -r "$BATS_TEST_TMPDIR/e.yaml" < /dev/null
		[[ "$output" == "lq-score: $BATS_TEST_TMPDIR/e.yaml:8:"*"jq: '"*"' is not allowed in rule expressions"* ]]
	done
}

@test "rule file structure errors" {
	printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 1, L2: 2, L3: 0}\n  signals: []\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"t.yaml:3:22: tiers: L2 (2) must be below L1 (1)" ]]
	printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n  signals:\n    - {name: a, group: fyt, when: .a, points: 1}\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"t.yaml:5:24: signal 'a': unknown group 'fyt' (declare it under groups:)" ]]
	printf 'scor:\n  x: 1\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"t.yaml:1:1: unknown key 'scor' in the top level of a rule file (did you mean 'score'?)" ]]
	run -2 lq-score -r "$BATS_TEST_TMPDIR/nonexistent.yaml"
	[[ "$output" == *"nonexistent.yaml: No such file or directory" ]]
	printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n  signals:\n    - {name: a, group: fit, when: .a, points: yes}\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"t.yaml:5:47: points: ambiguous YAML 1.1 boolean; quote it or use true/false" ]]
}

@test "usage errors exit 2" {
	run -2 lq-score
	[ "${lines[0]}" = "lq-score: -r RULES (or -m MODEL) is required" ]
	[[ "${lines[1]}" == "usage: lq-score "* ]]
	run -2 lq-score -r "$R" --now yesterday
	[[ "$output" == *"--now: not a time: 'yesterday'" ]]
}

@test "a missing input file is reported, the others are processed, exit 3" {
	run -3 lq-score -r "$R" "$BATS_TEST_TMPDIR/nope" "$FIX/lq-score/leads.ndjson"
	[[ "$output" == *"lq-score: $BATS_TEST_TMPDIR/nope: No such file or directory"* ]]
	[ "$(grep -c '"score"' <<< "$output")" -eq 5 ]
}

@test "rule values that cannot mean what they say are refused" {
	base='score:\n  groups: {fit: {%s}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n%s  signals:\n    - {name: a, group: fit, points: %s, %s}\n'
	printf "$base" "" "" "-5" "events: .e, half_life: 1d, max: 10" > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"max (10) must have the sign of points (-5)" ]]
	printf "$base" "" "" "5" "when: .a, max: 3" > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"max applies to 'events' signals only" ]]
	printf "$base" "" "" "5" "when: .a, requires: ['.visits[]']" > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"requires: '.visits[]' is not a path such as company.employees" ]]
	printf "$base" "cap: 1, min: 2" "" "5" "when: .a" > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"group 'fit': min (2) is above cap (1)" ]]
	printf "$base" "" $'  review: {min_confidence: 2}\n' "5" "when: .a" > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml"
	[[ "$output" == *"t.yaml:4:28: min_confidence must be between 0 and 1, not 2" ]]
	# each out of range number at its own position, with the range
	bad() {
		printf "$base" "$1" "$2" "5" "${4:-when: .a}" > "$BATS_TEST_TMPDIR/t.yaml"
		run -2 lq-score -r "$BATS_TEST_TMPDIR/t.yaml" < /dev/null
		[ "$output" = "lq-score: $BATS_TEST_TMPDIR/t.yaml:$3" ] || { echo "got: $output"; false; }
	}
	bad "cap: -5" "" "2:23: group 'fit': cap must be >= 0, not -5"
	bad "min: 3" "" "2:23: group 'fit': min must be <= 0, not 3"
	bad "" $'  review: {band: -1}\n' "4:18: review band must be >= 0, not -1"
	bad "" $'  review: {min_confidence: -0.1}\n' "4:28: min_confidence must be between 0 and 1, not -0.1"
	bad "" $'  confidence: {margin: 0}\n' "4:24: confidence margin must be above 0, not 0"
	bad "" $'  confidence: {margin: -2}\n' "4:24: confidence margin must be above 0, not -2"
	bad "" $'  confidence: {floor: 1.5}\n' "4:23: confidence floor must be between 0 and 1, not 1.5"
	bad "" "" "5:63: half_life must be above 0, not 0d" "events: .e, half_life: 0d"
	bad "" "" "5:72: max (0) must have the sign of points (5) and not be 0" "events: .e, half_life: 1d, max: 0"
	# the limits themselves are fine
	printf "$base" "cap: 0, min: 0" $'  review: {band: 0, min_confidence: 1}\n  confidence: {margin: 0.5, floor: 0}\n' "5" "when: .a" > "$BATS_TEST_TMPDIR/t.yaml"
	run -0 lq-score -r "$BATS_TEST_TMPDIR/t.yaml" < /dev/null
}

@test "a // inside a regex string does not hide the default required path" {
	printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n  signals:\n    - name: site\n      group: fit\n      points: 1\n      when: .website | test("^https?://")\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run lq-score -r "$BATS_TEST_TMPDIR/t.yaml" <<< '{"a":1}'
	[[ "$output" == *'"unknown":"missing .website"'* ]]
}

@test "--explain lists each rule, its evaluator and the paths it requires" {
	run lq-score -r "$R" --explain
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "signal big                          native  requires .employees" ]
	[ "${lines[4]}" = "disqualifier student                native" ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "the native evaluator and libjq (LQ_EVAL=jq) give the same bytes" {
	lq-score -r "$R" $NOW "$FIX/lq-score/leads.ndjson" > "$BATS_TEST_TMPDIR/a"
	LQ_EVAL=jq lq-score -r "$R" $NOW "$FIX/lq-score/leads.ndjson" > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ -f "$TOP/examples/leads.ndjson" ] || skip "no examples"
	lq-score -r "$TOP/rules/score.yaml" $NOW "$TOP/examples/leads.ndjson" > "$BATS_TEST_TMPDIR/a"
	LQ_EVAL=jq lq-score -r "$TOP/rules/score.yaml" $NOW "$TOP/examples/leads.ndjson" > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
}

@test "GNU parallel --pipe --keep-order gives the output of one process" {
	command -v parallel > /dev/null || skip "no GNU parallel"
	[ -f "$TOP/examples/leads.ndjson" ] || skip "no examples"
	lq-score -r "$TOP/rules/score.yaml" $NOW "$TOP/examples/leads.ndjson" > "$BATS_TEST_TMPDIR/one"
	parallel --will-cite --pipe --keep-order -j 3 --block 20k \
		lq-score -r "$TOP/rules/score.yaml" $NOW < "$TOP/examples/leads.ndjson" > "$BATS_TEST_TMPDIR/many"
	cmp "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/many"
}

@test "a constant regex that does not compile is a load error at file:line:col, whichever evaluator runs it" {
	rule() {
		printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n  signals:\n    - name: x\n      group: fit\n      points: 1\n      when: %s\n' "'$1'" > "$BATS_TEST_TMPDIR/re.yaml"
	}
	for e in '.a | test("(")' '.a | test("[a-"; "i")' 'def f: .a; f | test("(")' '.a | match("x{2,1}") | .length > 0' \
	    '.a | capture("(?<n>") | .n == "x"' '[.a | scan("*")] | length > 0' '.a | sub("("; "x") == "y"' '.a | split("(";null) | length > 1'; do
		rule "$e"
		run -2 lq-score -r "$BATS_TEST_TMPDIR/re.yaml" <<< '{"a":"x"}'
		echo "$e: $output"
		[[ "$output" == "lq-score: $BATS_TEST_TMPDIR/re.yaml:8:"*": jq: invalid regex in "*"(): "* ]]
	done
	rule '.a | test("a"; "q")'
	run -2 lq-score -r "$BATS_TEST_TMPDIR/re.yaml" <<< '{"a":"x"}'
	[[ "$output" == *"re.yaml:8:"*": jq: q is not a valid modifier string" ]]
	# valid ones, regexes from the record, and "test" as a field name or in a string still load
	for e in '.a | test("^x+$"; "ix")' '.a | test(.b)' '.test == "(" or (.a | test("\\("))' '.a | sub("(?<c>x)"; "\(.c)y") == "xy"'; do
		rule "$e"
		run -0 lq-score -r "$BATS_TEST_TMPDIR/re.yaml" <<< '{"a":"x","b":"x"}'
	done
}

# rule FILE EXPR: a one-signal rule file whose condition is EXPR (JSON-quoted)
one_rule() {
	python3 -c 'import json, sys
print("score:\n  groups: {g: {cap: 100}}\n  tiers: {L1: 10, L2: 5, L3: 1}\n  signals:\n"
      "    - name: a\n      group: g\n      points: 1\n      when: " + json.dumps(sys.stdin.read().strip()))' > "$1"
}

@test "long and deep expressions load and run: no quadratic compile, no exponential parse, no stack overflow" {
	# (timeout only guards against a hang: the old code needed hours here)
	d=$BATS_TEST_TMPDIR
	python3 -c 'print(" and ".join(".a%d == %d" % (i, i % 3) for i in range(20000)))' | one_rule "$d/and.yaml"
	run -0 timeout 120 lq-score -r "$d/and.yaml" --explain
	[ "$output" = "signal a                            native  requires .a0" ]
	python3 -c 'print(" or ".join(".b%d" % i for i in range(20000)) + " or (" + ", ".join(["1"] * 20000) + ") == 1")' | one_rule "$d/or.yaml"
	run -0 timeout 120 lq-score -r "$d/or.yaml" <<< '{"a0":0}'
	[[ "$output" == *'"points":1,'* ]]
	# ~70 unclosed parentheses: a syntax error, found at once
	python3 -c 'print(".n /" + "(" * 70 + "/\".n //or(\"ne\")")' | one_rule "$d/paren.yaml"
	run -2 timeout 120 lq-score -r "$d/paren.yaml" < /dev/null
	[[ "$output" == "lq-score: $d/paren.yaml:8:"*": jq: syntax error"* ]]
	# deep nesting is evaluated or handed to jq, never a crash
	for e in '"(" * 3000 + ".a" + ")" * 3000 + " == 1"' '"[" * 300 + ".a" + "]" * 300 + " | length == 1"' '"-" * 4000 + "1 < 0"' '"not | " * 350 + "true"'; do
		python3 -c "print($e)" | one_rule "$d/deep.yaml"
		run timeout 120 lq-score -r "$d/deep.yaml" <<< '{"a":1}'
		[ "$status" -eq 0 ] || [ "$status" -eq 2 ]
		[[ "$output" != *"Sanitizer"* && "$output" != *"Segmentation"* ]]
	done
}

@test "a rule file of 20,000 signals loads (no node limit for what is written out)" {
	python3 -c '
print("score:\n  groups: {fit: {cap: 100}, engagement: {cap: 100}}\n  tiers: {L1: 30, L2: 20, L3: 10}\n  signals:")
for i in range(20000):
    print("    - name: s%d\n      group: %s\n      points: %d\n      when: %s" % (i, ("fit", "engagement")[i % 2], i % 11 - 5,
          (".title | test(\"vp|chief\"; \"i\")", ".employees >= %d" % i, ".source == \"s%d\"" % i)[i % 3]))' > "$BATS_TEST_TMPDIR/big.yaml"
	run -0 --separate-stderr timeout 120 lq-score -r "$BATS_TEST_TMPDIR/big.yaml" <<< '{"title":"VP Sales","employees":300,"source":"s5"}'
	[ -z "$stderr" ]
	# the same sums by hand: every third signal (the title) fires, the
	# employee counts up to 300, and s5; group caps 100
	want=$(python3 -c '
g = [0, 0]
for i in range(20000):
    if (i % 3 == 0) or (i % 3 == 1 and 300 >= i) or i == 5:
        g[i % 2] += i % 11 - 5
print(sum(min(x, 100) for x in g))')
	[[ "$output" == *"\"score\":{\"points\":$want,"* ]]
}

# limited_rule FILE LIMITS EXPR: one_rule with a limits: section
limited_rule() {
	python3 -c 'import json, sys
print("limits: " + sys.argv[1] + "\nscore:\n  groups: {g: {cap: 100}}\n  tiers: {L1: 10, L2: 5, L3: 1}\n  signals:\n"
      "    - name: a\n      group: g\n      points: 1\n      when: " + json.dumps(sys.argv[2]))' "$2" "$3" > "$1"
}

@test "a runaway expression is stopped by its budget on that lead, whichever evaluator runs it; the run goes on" {
	d=$BATS_TEST_TMPDIR
	printf '{"id":1,"v":[%s]}\n{"id":2}\n{"id":3,"v":[1]}\n' "$(seq -s, 1 200)" > "$d/in"
	for ev in native jq; do
		# never ends: libjq, stopped after its CPU time
		limited_rule "$d/r.yaml" '{time: 0.2s}' 'def f: f; f'
		run -0 --separate-stderr timeout 120 env LQ_EVAL=$ev lq-score -r "$d/r.yaml" "$d/in"
		[ "${#lines[@]}" -eq 3 ]
		[ "$(grep -c '"unknown":"stopped after 0.2 s of CPU time, the budget of an expression on one record (limits: time)"' <<< "$output")" -eq 3 ]
		# grows without end: stopped by memory (or, under ASan, time)
		limited_rule "$d/r.yaml" '{memory: 64MiB, time: 2s}' '[range(1e9)] | length > 0'
		run -0 timeout 120 env LQ_EVAL=$ev lq-score -r "$d/r.yaml" "$d/in"
		[ "$(grep -c '"unknown":"stopped .*(limits: \(memory\|time\))"' <<< "$output")" -eq 3 ]
		# a cartesian product of the lead's values: steps (native) or time
		limited_rule "$d/r.yaml" '{steps: 100000, time: 0.2s}' 'try ([.v[] as $a | .v[] as $b | .v[] | $a + $b] | length > 0) catch true'
		run -0 timeout 120 env LQ_EVAL=$ev lq-score -r "$d/r.yaml" "$d/in"
		grep '"id":1,' <<< "$output" | grep -q '"unknown":"stopped after .*(limits: \(steps\|time\))"'
		# ... and on the other leads, the expression is what it is
		grep '"id":2,' <<< "$output" | grep -q '"points":1,'
		grep '"id":3,' <<< "$output" | grep -q '"points":1,'
	done
	# the native evaluator's budget cannot be caught by try
	limited_rule "$d/r.yaml" '{steps: 100000}' '[.v[] as $a | .v[] as $b | .v[] | ($a + $b)?] | length > 0'
	run -0 lq-score -r "$d/r.yaml" --explain
	[ "$output" = "signal a                            native" ]
	run -0 lq-score -r "$d/r.yaml" "$d/in"
	grep '"id":1,' <<< "$output" | grep -q '"unknown":"stopped after 100000 steps, the budget of an expression on one record (limits: steps)"'
	grep '"id":3,' <<< "$output" | grep -q '"points":1,'
}

@test "a value nested millions deep in libjq (a crash of the jq CLI) does not stop the tool" {
	# jq 1.6 frees and prints values recursively: 1e6 levels overflow an
	# 8 MiB stack.  The helper has a bigger one, and if it does crash
	# anyway, the lead is unknown with the reason.
	limited_rule "$BATS_TEST_TMPDIR/r.yaml" '{time: 20s, memory: 4GiB}' 'reduce range(3000000) as $i (null; [.]) | tojson | length > 0'
	run -0 --separate-stderr timeout 300 lq-score -r "$BATS_TEST_TMPDIR/r.yaml" <<< $'{"id":1}\n{"id":2}'
	[ "${#lines[@]}" -eq 2 ]
	[ "$(grep -c '"points":1,\|"unknown":"\(jq crashed\|stopped\)' <<< "$output")" -eq 2 ]
}

@test "limits: are checked at load" {
	for l in '{steps: -1}' '{steps: 2.5}' '{memory: 12}' '{memory: lots}' '{time: 0}' '{time: 2h}' '{compile: 0.1s}' '{stesp: 10}'; do
		limited_rule "$BATS_TEST_TMPDIR/r.yaml" "$l" '.a'
		run -2 lq-score -r "$BATS_TEST_TMPDIR/r.yaml" < /dev/null
		echo "$l: $output"
		[[ "$output" == "lq-score: $BATS_TEST_TMPDIR/r.yaml:1:"* ]]
	done
	limited_rule "$BATS_TEST_TMPDIR/r.yaml" '{steps: 5000, memory: 256MiB, time: 0.5s, compile: 20s}' '.a'
	run -0 lq-score -r "$BATS_TEST_TMPDIR/r.yaml" <<< '{"a":1}'
}

# ---- model files (-m): lq-train writes them, lq-score checks them --------

M="$FIX/lq-train/model.yaml"

@test "-m: a model cut short is refused at load (exit 2), wherever it is cut" {
	d=$BATS_TEST_TMPDIR
	# after its first feature: it would still load and score (wrongly)
	awk '/^  - name: "employees"/ { exit } { print }' "$M" > "$d/cut.yaml"
	run -2 lq-score -m "$d/cut.yaml" "$FIX/lq-train/leads.ndjson"
	[[ "$output" == "lq-score: $d/cut.yaml:"*": model: no checksum line at the end: the file is cut short"* ]]
	# in the middle of a line, in the profile, or only the checksum lost
	head -c 2000 "$M" > "$d/cut.yaml"
	run -2 lq-score -m "$d/cut.yaml" < /dev/null
	[[ "$output" == *"no checksum line at the end"* ]]
	grep -v '^checksum:' "$M" > "$d/cut.yaml"
	run -2 lq-score -m "$d/cut.yaml" < /dev/null
	[[ "$output" == *"no checksum line at the end"* ]]
	sed '$d' "$M" | sed '$d' | sed '$d' | sed '$d' > "$d/cut.yaml"
	run -2 lq-score -m "$d/cut.yaml" < /dev/null
	[[ "$output" == *"no checksum line at the end"* ]]
	# nothing after the checksum line
	{ cat "$M"; echo 'extra: 1'; } > "$d/cut.yaml"
	run -2 lq-score -m "$d/cut.yaml" < /dev/null
	[[ "$output" == *"$d/cut.yaml:103:1: model: the checksum line must be the last line"* ]]
}

@test "-m: a model changed by hand is refused until lq-train --reseal checks it" {
	d=$BATS_TEST_TMPDIR
	# an in-range edit: only the checksum can tell
	sed 's/^  L1: .*/  L1: 0.7/' "$M" > "$d/m.yaml"
	run -2 lq-score -m "$d/m.yaml" < /dev/null
	[[ "$output" == "lq-score: $d/m.yaml:"*":11: model: checksum mismatch: the file was changed after lq-train wrote it"*"lq-train --reseal"* ]]
	run -0 lq-train --reseal "$d/m.yaml"
	run -0 lq-score -m "$d/m.yaml" "$FIX/lq-train/leads.ndjson"
	# the edit took effect: L1 now starts at 0.7
	jq -se 'map(select(.score.tier == "L1") | .score.probability >= 0.7) | all and length > 0' <<< "$output"
	# resealing a sealed model changes nothing; one comment, one checksum
	cp "$d/m.yaml" "$d/m2.yaml"
	lq-train --reseal "$d/m2.yaml"
	cmp "$d/m.yaml" "$d/m2.yaml"
	[ "$(grep -c '^checksum:' "$d/m.yaml")" -eq 1 ]
	[ "$(grep -c '^# end of the model' "$d/m.yaml")" -eq 1 ]
	# a model as lq-train writes it reseals to itself
	lq-train --reseal "$M" -o "$d/m3.yaml"
	cmp "$M" "$d/m3.yaml"
}

@test "-m: values a model cannot hold are refused at load with file:line:col" {
	d=$BATS_TEST_TMPDIR
	bad() {	# SED-SCRIPT EXPECTED-MESSAGE
		sed "$1" "$M" > "$d/bad.yaml"
		! cmp -s "$M" "$d/bad.yaml"
		run -2 lq-score -m "$d/bad.yaml" < /dev/null
		echo "$1 -> $output"
		[[ "$output" == "lq-score: $d/bad.yaml:"[0-9]*:[0-9]*": $2"* ]]
		# --reseal checks the same, and writes nothing
		run -2 lq-train --reseal "$d/bad.yaml" -o "$d/out.yaml"
		[[ "$output" == "lq-train: $d/bad.yaml:"[0-9]*:[0-9]*": $2"* ]]
		[ ! -e "$d/out.yaml" ]
	}
	bad 's/^model: logistic/model: forest/' "model must be logistic or gbdt, not 'forest'"
	bad 's/^version: 1/version: 2/' "unsupported model version 2"
	bad 's/^intercept: {weight: [0-9.-]*/intercept: {weight: 1e308/' "weight must be between -1000 and 1000, not 1e308"
	bad 's/^  L1: .*/  L1: 2.5/' "L1 must be between 0 and 1, not 2.5"
	bad 's/^  L3: .*/  L3: 0.9/' "tiers: L3 (0.9) above L2"
	bad 's/^  min_confidence: .*/  min_confidence: -0.1/' "min_confidence must be between 0 and 1"
	bad 's/^  a: .*/  a: 0/' "calibration: a must be > 0"
	bad 's/^  b: .*/  b: 5e3/' "b must be between -1000 and 1000"
	bad 's/^  auc: .*/  auc: 1.5/' "auc must be between 0 and 1"
	bad 's/^  rows: 132$/  rows: 132.5/' "rows must be a whole number"
	bad 's/^  positives: .*/  positives: 500/' "positives must be between 0 and 132"
	bad 's/^  folds: .*/  folds: 0/' "folds must be between 2 and 100"
	bad 's/^  evaluation: .*/  evaluation: "guess"/' "evaluation must be cv, holdout or time"
	bad 's/rows: 32}/rows: -32}/' "rows must be between 0 and"
	bad 's/^\(      - {value: "organic", weight: \)[0-9.-]*/\12000/' "weight must be between -1000 and 1000, not 2000"
	bad 's/se: 0.24339886/se: -1/' "se must be between 0 and 1000000"
	bad 's/"organic"/"webinar"/' "feature 'source': duplicate level 'webinar'"
	bad 's/^    type: numeric/    type: numbers/' "type must be category or numeric"
	bad 's/^    transform: log1p/    transform: sqrt/' "transform must be none or log1p"
	bad 's/^    scale: 2.5998385/    scale: 0/' "feature 'employees': scale must be > 0"
	bad 's/^    center: 4.1742689/    center: 1e300/' "center must be between -1e+39 and 1e+39"
	bad 's/^    clip: \[-1.0723645, 1.7862755\]/    clip: [2, 1]/' "clip: low (2) above high (1)"
	bad 's/^    field: \["employees"\]/    field: []/' "field: an empty path"
	bad '/^    field: \["employees"\]/a\    expr: ".employees"' "feature 'employees' needs one of field, signal or expr"
	bad 's/^  - name: "opted_in"/  - name: "source"/' "duplicate feature 'source'"
	bad 's/^    value: {weight: \([0-9.-]*\), se/    value: {weigth: \1, se/' "unknown key 'weigth' in a weight (did you mean 'weight'?)"
	bad '/^    other: /d' "model: 'other' is missing"
	bad '/^    "opted_in": /d' "profile: 4 features, but the model has 5"
	bad 's/^    "employees": {edges: \[3,/    "employees": {edges: [30000,/' "edges must ascend"
	bad 's/^  score: {edges: \[0, 0.1,/  score: {edges: [0, 1.1,/' "edges must be between 0 and 1"
	bad 's/^  last: .*/  last: "yesterday"/;s/^  evaluation: .*/&\n  time_field: "t"\n  first: ""\n  last: "yesterday"/' "last: not a time"
}

@test "-m: a number beyond a double (1e400) is unknown to the model, with the reason" {
	d=$BATS_TEST_TMPDIR
	L='.stage | if . == "open" then null else . == "won" end'
	lq-train -q -l "$L" --exclude id --numeric standard -o "$d/std.yaml" "$FIX/lq-train/leads.ndjson"
	for m in "$M" "$d/std.yaml"; do
		for v in 1e400 -1e400 1.7976931348623157e308; do
			run -0 lq-score -m "$m" --reasons all <<-EOF
			{"source":"referral","employees":$v,"visits":[1]}
			{"source":"referral","employees":null,"visits":[1]}
			EOF
			echo "$output"
			# scored as if it were missing, and said why
			jq -se '(.[0].score | del(.reasons)) == (.[1].score | del(.reasons)) and
			    (.[0].score.reasons[] | select(.feature == "employees") |
			     .unknown == "number out of range" and
			     (.value == null or (.value | fabs) > 1e308) and
			     (has("outside_training_range") | not))' <<< "$output"
		done
	done
	# without a clip, a huge but finite number extrapolates: a number,
	# never null, and the reasons still add up to the log-odds
	run -0 lq-score -m "$d/std.yaml" --reasons all <<< '{"source":"referral","employees":1e300}'
	jq -e '.score | (.log_odds | type) == "number" and .log_odds > 1e290 and
	    .action == "review" and
	    ((.baseline + (.reasons | map(.log_odds) | add)) / .log_odds - 1 | fabs) < 1e-9' <<< "$output"
	# a scale so small that the value overflows once scaled: unknown too
	sed 's/^    scale: .*/    scale: 1e-300/' "$d/std.yaml" > "$d/tiny.yaml"
	lq-train --reseal "$d/tiny.yaml"
	run -0 lq-score -m "$d/tiny.yaml" --reasons all <<< '{"source":"referral","employees":1e300}'
	jq -e '.score | .unknown >= 1 and (.log_odds | type) == "number" and
	    (.reasons[] | select(.feature == "employees") | .unknown == "number out of range" and .value == 1e300)' <<< "$output"
}

# unknowns RULES INPUT: each lead's unknown reasons, "signal: reason" joined by "; "
unknowns() {
	lq-score -r "$1" $NOW <<< "$2" | jq -r '[.score.reasons[] | select(has("unknown")) | "\(.signal): \(.unknown)"] | join("; ")'
}

@test "missing data is found on every path form jq has (.a.b, .\"a b\", .[\"a b\"], .a[\"b\"], .a[0]), named readably, whichever evaluator runs" {
	d=$BATS_TEST_TMPDIR
	cat > "$d/r.yaml" <<-'Y'
	score:
	  groups: {fit: {}}
	  tiers: {L1: 30, L2: 20, L3: 10}
	  signals:
	    - {name: plain, group: fit, points: 1, when: '.o.p == "x"'}
	    - {name: quoted, group: fit, points: 1, when: '."What is your current occupation" == "Working Professional"'}
	    - {name: bracket, group: fit, points: 1, when: '.["Lead Source"] == "Google"'}
	    - {name: nested, group: fit, points: 1, when: '.a["b c"] == "x"'}
	    - {name: index, group: fit, points: 1, when: '.arr[0] == "x"'}
	    - {name: mixed, group: fit, points: 1, when: '(.a."b c"[1]?.d | test("x"))'}
	Y
	want='plain: missing .o.p; quoted: missing ."What is your current occupation"; bracket: missing ."Lead Source"; nested: missing .a."b c"; index: missing .arr[0]; mixed: missing .a."b c"[1].d'
	for ev in native jq; do
		export LQ_EVAL=$ev
		# absent, and null: unknown, with the path in jq's own form
		[ "$(unknowns "$d/r.yaml" '{}')" = "$want" ]
		[ "$(unknowns "$d/r.yaml" '{"o":{"p":null},"What is your current occupation":null,"Lead Source":null,"a":{"b c":null},"arr":[null]}')" = "$want" ]
		# present but not matching: "no", at full confidence
		run -0 lq-score -r "$d/r.yaml" $NOW <<< '{"o":{"p":"y"},"What is your current occupation":"Student","Lead Source":"Bing","a":{"b c":[0,{"d":"y"}]},"arr":["y"]}'
		[[ "$output" == *'"points":0,"tier":"L4","confidence":1,'*'"unknown":0,'* ]]
		# present and matching: fires
		run -0 lq-score -r "$d/r.yaml" $NOW <<< '{"o":{"p":"x"},"What is your current occupation":"Working Professional","Lead Source":"Google","a":{"b c":"x"},"arr":["x"]}'
		[[ "$output" == *'"points":5,'*'"unknown":1,'* ]]
		[ "$(jq -c '.score.reasons[] | select(.unknown)' <<< "$output")" = '{"signal":"mixed","group":"fit","unknown":"missing .a.\"b c\"[1].d"}' ]
	done
	unset LQ_EVAL
	# the reasons are JSON strings (quotes escaped), and both evaluators agree byte for byte
	printf '%s\n' '{}' '{"a":{"b c":[1,{"d":"x"}]},"arr":[]}' '{"Lead Source":"Google","o":[]}' > "$d/in"
	lq-score -r "$d/r.yaml" $NOW "$d/in" > "$d/native"
	LQ_EVAL=jq lq-score -r "$d/r.yaml" $NOW "$d/in" > "$d/jq"
	cmp "$d/native" "$d/jq"
	jq -e . "$d/native" > /dev/null
}

@test "requires: takes every path form jq has, and --explain names the required paths" {
	d=$BATS_TEST_TMPDIR
	cat > "$d/r.yaml" <<-'Y'
	score:
	  groups: {fit: {}}
	  tiers: {L1: 30, L2: 20, L3: 10}
	  signals:
	    - name: working
	      group: fit
	      points: 1
	      requires: ['."What is your current occupation"', '.["Lead Source"]', '.a["b"][0]', 'company.employees', 'form-x.y', '.z?']
	      when: .w == 1
	    - {name: none, group: fit, points: 1, requires: [], when: '."Lead Source" == "x"'}
	    - {name: lead, group: fit, points: 1, when: '.["x y"][-1]."z" | . == 1'}
	Y
	run -0 lq-score -r "$d/r.yaml" --explain
	[ "${lines[0]}" = 'signal working                      native  requires ."What is your current occupation", ."Lead Source", .a.b[0], .company.employees, ."form-x".y, .z' ]
	[ "${lines[1]}" = 'signal none                         native' ]
	[ "${lines[2]}" = 'signal lead                         native  requires ."x y"[-1].z' ]
	[ "$(unknowns "$d/r.yaml" '{"w":0}')" = 'working: missing ."What is your current occupation"; lead: missing ."x y"[-1].z' ]
	[ "$(unknowns "$d/r.yaml" '{"w":0,"What is your current occupation":"x","Lead Source":"y","a":{"b":[1]},"company":{"employees":5},"z":1}')" = 'working: missing ."form-x".y; lead: missing ."x y"[-1].z' ]
	[ "$(unknowns "$d/r.yaml" '{"w":0,"What is your current occupation":"x","Lead Source":"y","a":{"b":[1]},"company":{"employees":5},"z":1,"form-x":{"y":2},"x y":[{"z":2}]}')" = '' ]
	# what is not a path of names and indexes is still refused, at its position
	for p in '.visits[]' '.a | .b' '.a[.b]' '."\(.x)"' '.a[1:2]' '.a.' '. a' 'a b'; do
		y=$(< "$d/r.yaml")
		printf '%s\n' "${y/"'.z?'"/"'$p'"}" > "$d/bad.yaml"
		run -2 lq-score -r "$d/bad.yaml" < /dev/null
		echo "$p: $output"
		[[ "$output" == *"bad.yaml:8:"*": requires: '$p' is not a path such as company.employees" ]]
	done
}

@test "a field compared with a number: a value that is not a number is unknown with the reason, null never true, the same through libjq" {
	d=$BATS_TEST_TMPDIR
	cat > "$d/r.yaml" <<-'Y'
	score:
	  groups: {fit: {}}
	  tiers: {L1: 30, L2: 20, L3: 10}
	  signals:
	    - {name: visits, group: fit, points: 5, when: '.TotalVisits >= 5'}
	    - {name: few, group: fit, points: -1, when: '3 > .TotalVisits'}
	    - {name: converted, group: fit, points: 1, when: '.Converted == 1'}
	    - {name: size, group: fit, points: 1, when: '(.emp // .employees // error("no count")) | . > 100'}
	    - {name: chats, group: fit, points: 1, requires: [], when: '.chats > 0'}
	    - {name: spaced, group: fit, points: 1, when: '."Page Views" != 0'}
	Y
	long='"a very long value, café, that goes on and on and on"'
	printf '%s\n' '{"TotalVisits":"lots","Converted":"1","emp":"many","chats":null,"Page Views":[2]}' \
	    '{"TotalVisits":7,"Converted":1,"emp":500,"chats":2,"Page Views":1}' \
	    '{"TotalVisits":null,"Converted":true,"employees":{"n":1}}' \
	    "{\"TotalVisits\":$long,\"Converted\":0,\"emp\":50,\"chats\":0,\"Page Views\":0}" > "$d/in"
	for ev in native jq; do
		LQ_EVAL=$ev lq-score -r "$d/r.yaml" $NOW "$d/in" > "$d/out.$ev"
	done
	cmp "$d/out.native" "$d/out.jq"
	mapfile -t got < <(jq -r '[.score.reasons[] | select(has("unknown")) | "\(.signal): \(.unknown)"] | join("; ")' "$d/out.native")
	[ "${got[0]}" = 'visits: .TotalVisits is "lots", not a number; few: .TotalVisits is "lots", not a number; converted: .Converted is "1", not a number; size: "many" is not a number; spaced: ."Page Views" is [2], not a number' ]
	[ "${got[1]}" = '' ]
	# null: "missing" where the path is required; never true (3 > null is true in jq)
	[ "${got[2]}" = 'visits: missing .TotalVisits; converted: .Converted is true, not a number; size: {"n":1} is not a number; spaced: missing ."Page Views"' ]
	[ "${got[3]}" = 'visits: .TotalVisits is "a very long value, café, that goes o..., not a number; few: .TotalVisits is "a very long value, café, that goes o..., not a number' ]
	jq -se '.[1].score | .points == 9 and .unknown == 0' "$d/out.native"
	jq -se '.[2].score | [.reasons[].signal] | index("few") == null' "$d/out.native"
	# requires: [] keeps "absent means no" for a comparison with a number
	jq -se '.[0].score | [.reasons[].signal] | index("chats") == null' "$d/out.native"
	jq -se '.[0].score | .unknown == 5 and .confidence < 0.5' "$d/out.native"
}

@test "the end-of-run summary names the fields whose values had more than one type, after the output (-q: none)" {
	d=$BATS_TEST_TMPDIR
	cat > "$d/r.yaml" <<-'Y'
	score:
	  groups: {fit: {}}
	  tiers: {L1: 30, L2: 20, L3: 10}
	  signals:
	    - {name: visits, group: fit, points: 5, when: '.TotalVisits >= 5'}
	    - {name: occ, group: fit, points: 5, when: '."What is your current occupation" == "Student"'}
	    - {name: src, group: fit, points: 5, when: '.src == "x"', requires: [src, n.m]}
	Y
	{
		for i in $(seq 1 1203); do echo "{\"TotalVisits\":$i,\"What is your current occupation\":\"Student\",\"src\":\"x\",\"n\":{\"m\":1}}"; done
		echo '{"TotalVisits":"lots","What is your current occupation":null,"src":"y","n":{"m":"1"}}'
		echo '{"TotalVisits":"9","n":{"m":true}}'
		echo '{"TotalVisits":null,"n":{"m":false}}'
	} > "$d/in"
	run -0 --separate-stderr lq-score -r "$d/r.yaml" "$d/in"
	[ "${#lines[@]}" -eq 1206 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = 'lq-score: field .TotalVisits: 1,203 numbers, 2 strings, 1 null' ]
	[ "${stderr_lines[1]}" = 'lq-score: field .n.m: 1,203 numbers, 1 string, 2 booleans' ]
	# the same from libjq; nothing with -q; nothing when each field keeps one type
	run -0 --separate-stderr env LQ_EVAL=jq lq-score -r "$d/r.yaml" "$d/in"
	[ "${stderr_lines[0]}" = 'lq-score: field .TotalVisits: 1,203 numbers, 2 strings, 1 null' ]
	run -0 --separate-stderr lq-score -q -r "$d/r.yaml" "$d/in"
	[ -z "$stderr" ]
	run -0 --separate-stderr lq-score -r "$d/r.yaml" <(head -n 1203 "$d/in")
	[ -z "$stderr" ]
	# the summary comes after the records on a shared terminal or file
	lq-score -r "$d/r.yaml" "$d/in" > "$d/both" 2>&1
	[ "$(tail -n 2 "$d/both" | head -n 1)" = 'lq-score: field .TotalVisits: 1,203 numbers, 2 strings, 1 null' ]
}

@test "x-education Leads.csv scored with rules on its own column names: an empty cell is unknown with lower confidence, never a plain no" {
	need_shared x-education-leads
	d=$BATS_TEST_TMPDIR
	cat > "$d/r.yaml" <<-'Y'
	score:
	  groups: {fit: {}, engagement: {}}
	  tiers: {L1: 20, L2: 12, L3: 5}
	  signals:
	    - {name: working, group: fit, points: 10, when: '."What is your current occupation" == "Working Professional"'}
	    - {name: unemployed, group: fit, points: -3, when: '.["What is your current occupation"] == "Unemployed"'}
	    - {name: visits, group: engagement, points: 5, when: '.TotalVisits >= 5'}
	    - {name: referral, group: engagement, points: 4, when: '."Lead Source" == "Reference"'}
	Y
	lq-csv "$SHARED/data/x-education-leads/Leads.csv" | lq-score -r "$d/r.yaml" > "$d/out"
	[ "$(wc -l < "$d/out")" -eq 9240 ]
	# every lead without an occupation: both occupation signals unknown, confidence below 1
	jq -se '[.[] | select(."What is your current occupation" == null)] | length > 2000 and all(.[];
	    .score.confidence < 1 and .score.unknown >= 2 and
	    ([.score.reasons[] | select(.unknown == "missing .\"What is your current occupation\"") | .signal] == ["working", "unemployed"]))' "$d/out"
	jq -se '[.[] | select(.TotalVisits == null)] | length > 100 and all(.[]; any(.score.reasons[]; .signal == "visits" and .unknown == "missing .TotalVisits"))' "$d/out"
	jq -se '[.[] | select(."Lead Source" == null)] | length > 10 and all(.[]; any(.score.reasons[]; .unknown == "missing .\"Lead Source\""))' "$d/out"
	# a lead with every cell filled is certain about these signals
	jq -se 'any(.[]; ."What is your current occupation" != null and .TotalVisits != null and ."Lead Source" != null and .score.unknown == 0)' "$d/out"
}

@test "x-education: Leads.csv through its csv mapping, rules on its own column names: an empty or placeholder cell is unknown, with lower confidence" {
	need_shared x-education-leads
	L="$SHARED/data/x-education-leads/Leads.csv"
	lq-csv -r "$TOP/rules/csv/x-education.yaml" "$L" |
		lq-score -r "$FIX/lq-score/x-education.yaml" > "$BATS_TEST_TMPDIR/scored.ndjson"
	python3 - "$L" "$BATS_TEST_TMPDIR/scored.ndjson" <<'PY'
import csv, json, sys
PLACE = {"", "select", "n/a", "-", "(blank)", "0000-00-00"}
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
leads = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == len(leads) == 9240
cols = {"working_professional": "What is your current occupation",
        "unemployed": "What is your current occupation",
        "reference": "Lead Source", "finance": "Specialization",
        "repeat_visitor": "TotalVisits",
        "time_on_site": "Total Time Spent on Website"}
empty = {k: 0 for k in cols}
for row, lead in zip(rows, leads):
    assert row["Lead Number"] == lead["Lead Number"]
    why = {r["signal"]: r for r in lead["score"]["reasons"]}
    gaps = 0
    for sig, col in cols.items():
        blank = row[col].strip().lower() in PLACE
        unknown = "unknown" in why.get(sig, {})
        assert blank == unknown, (row["Lead Number"], sig, row[col], why.get(sig))
        if blank:
            empty[sig] += 1
            gaps += 1
            assert why[sig]["unknown"].startswith("missing ."), why[sig]
    assert lead["score"]["unknown"] == gaps
    if gaps:
        assert lead["score"]["confidence"] < 1, lead["score"]
# 2,690 empty occupation cells; Specialization has "Select" placeholders too
assert empty["working_professional"] == 2690, empty
assert empty["finance"] > 3000, empty
PY
	# without the mapping, "Select" is a value: the signal says "no"
	lq-csv "$L" | lq-score -r "$FIX/lq-score/x-education.yaml" |
		jq -r 'select(.Specialization == "Select") | [.score.reasons[] | select(.signal == "finance")] | length' |
		sort | uniq -c > "$BATS_TEST_TMPDIR/raw"
	[ "$(awk '{print $2}' "$BATS_TEST_TMPDIR/raw")" = 0 ]
	[ "$(awk '{print $1}' "$BATS_TEST_TMPDIR/raw")" -gt 1000 ]
}
