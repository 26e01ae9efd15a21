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
	[[ "$output" == "usage: lq-score "* ]]
	run -2 lq-score -r "$R" --now yesterday
	[[ "$output" == *"--now: not a time: 'yesterday'" ]]
}

@test "a missing input file is reported, the others are processed, exit 1" {
	run -1 lq-score -r "$R" "$BATS_TEST_TMPDIR/nope" "$FIX/lq-score/leads.ndjson"
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
	[[ "$output" == *"min_confidence within 0..1" ]]
}

@test "a // inside a regex string does not hide the default required path" {
	printf 'score:\n  groups: {fit: {}}\n  tiers: {L1: 3, L2: 2, L3: 1}\n  signals:\n    - name: site\n      group: fit\n      points: 1\n      when: .website | test("^https?://")\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run lq-score -r "$BATS_TEST_TMPDIR/t.yaml" <<< '{"a":1}'
	[[ "$output" == *'"unknown":"missing .website"'* ]]
}

@test "--explain lists each rule and its evaluator" {
	run lq-score -r "$R" --explain
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "signal big                          native" ]
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
	[[ "$output" == *"$d/cut.yaml:99:1: model: the checksum line must be the last line"* ]]
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
	bad 's/^model: logistic/model: forest/' "model must be logistic, not 'forest'"
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
			run -0 lq-score -m "$m" <<-EOF
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
	run -0 lq-score -m "$d/std.yaml" <<< '{"source":"referral","employees":1e300}'
	jq -e '.score | (.log_odds | type) == "number" and .log_odds > 1e290 and
	    .action == "review" and
	    ((.baseline + (.reasons | map(.log_odds) | add)) / .log_odds - 1 | fabs) < 1e-9' <<< "$output"
	# a scale so small that the value overflows once scaled: unknown too
	sed 's/^    scale: .*/    scale: 1e-300/' "$d/std.yaml" > "$d/tiny.yaml"
	lq-train --reseal "$d/tiny.yaml"
	run -0 lq-score -m "$d/tiny.yaml" <<< '{"source":"referral","employees":1e300}'
	jq -e '.score | .unknown >= 1 and (.log_odds | type) == "number" and
	    (.reasons[] | select(.feature == "employees") | .unknown == "number out of range" and .value == 1e300)' <<< "$output"
}
