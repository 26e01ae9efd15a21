#!/usr/bin/env bats
# lq-train: exact models on small fixtures, determinism, evaluation
# options, model scoring with lq-score -m, and the reference comparison
# with scikit-learn on ../shared data (skipped when absent).

load helpers

F="$FIX/lq-train"
LABEL='.stage | if . == "open" then null else . == "won" end'

# a python3 with scikit-learn, or nothing
sk_python() {
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import sklearn' 2>/dev/null; then echo "$p"; return; fi
	done
}

@test "the fixture gives exactly the expected model" {
	run lq-train -q -l "$LABEL" --exclude id --min-count 5 "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	diff -u "$F/model.yaml" <(printf '%s\n' "$output")
}

@test "same input and options give a byte-identical model; stdin too" {
	lq-train -q -l "$LABEL" "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/a"
	lq-train -q -l "$LABEL" "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/b"
	lq-train -q -l "$LABEL" < "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/c"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
}

@test "rows whose label is null are skipped and counted" {
	run lq-train -l "$LABEL" -o "$BATS_TEST_TMPDIR/m" "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rows 132 (positive 76, 57.6%), skipped 18 (label null)"* ]]
	grep -q '^  skipped: 18$' "$BATS_TEST_TMPDIR/m"
	grep -q '^  rows: 132$' "$BATS_TEST_TMPDIR/m"
}

@test "the label's own field, score and route are never features" {
	jq -c '. + {score: {points: 1}, route: {owner: "x"}}' "$F/leads.ndjson" |
	    lq-train -q -l '.stage == "won"' > "$BATS_TEST_TMPDIR/m"
	! grep -E '^  - name: "(stage|score|route)' "$BATS_TEST_TMPDIR/m"
	grep -q '^  - name: "source"' "$BATS_TEST_TMPDIR/m"
}

@test "a label that is not true, false or null is a bad record" {
	{ head -20 "$F/leads.ndjson"; echo '{"stage":"won","x":1}'; echo '[1]';
	  tail -n +21 "$F/leads.ndjson"; } > "$BATS_TEST_TMPDIR/in"
	run -1 lq-train -q -l '.stage | if . == "won" then true elif . == "lost" then false elif . == "open" then null else . end' \
	    --rejects "$BATS_TEST_TMPDIR/rej" -o "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/in"
	[[ "$output" == *"lq-train: $BATS_TEST_TMPDIR/in:22: not a JSON object"* ]]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/rej")" -eq 1 ]
	grep -q '^  rows: 133$' "$BATS_TEST_TMPDIR/m"
	echo '{"stage":"maybe"}' >> "$BATS_TEST_TMPDIR/in"
	run -1 lq-train -q -l '.stage | if . == "won" then true elif . == "lost" then false elif . == "open" then null else . end' \
	    --strict -o "$BATS_TEST_TMPDIR/m2" "$BATS_TEST_TMPDIR/in"
	[[ "$output" == *":22: not a JSON object"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/m2" ]
	# every row bad: no model can be trained (2, not 1: nothing written)
	run -2 lq-train -q -l '.stage' -o "$BATS_TEST_TMPDIR/m3" "$F/leads.ndjson"
	[[ "$output" == *"leads.ndjson:1: label is string, not true, false or null"* ]]
	[[ "$output" == *"too few training rows (0)"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/m3" ]
}

@test "usage and expression errors exit 2 before reading input" {
	run -2 lq-train "$F/leads.ndjson"
	[[ "$output" == *"no label"* ]]
	run -2 lq-train -l '.stage ==' /nonexistent
	[[ "$output" == "lq-train: --label:"*"jq:"* ]]
	run -2 lq-train -l '$ENV' /nonexistent
	run -2 lq-train -l .x --cv 1 /nonexistent
	run -2 lq-train -l .x --numeric odd /nonexistent
	# counts are whole numbers: --cv 2.5 was taken as 2
	run -2 lq-train -l .x --cv 2.5 /nonexistent
	[ "$output" = "lq-train: --cv: not a whole number: '2.5'" ]
	run -2 lq-train -l .x --min-count 2.5 /nonexistent
	run -2 lq-train -l .x --max-levels 0.5 /nonexistent
	printf 'train:\n  labl: .x\n' > "$BATS_TEST_TMPDIR/r.yaml"
	run -2 lq-train -r "$BATS_TEST_TMPDIR/r.yaml" /nonexistent
	[[ "$output" == *"r.yaml:2:3: "*"labl"*"label"* ]]
}

@test "too few rows or a constant label: exit 2 (no usable model) with a reason, no model" {
	run -2 lq-train -q -l '.stage == "won"' <(head -5 "$F/leads.ndjson")
	[[ "$output" == *"too few training rows"* ]]
	run -2 lq-train -q -l 'true' "$F/leads.ndjson"
	[[ "$output" == *"always true"* ]]
}

@test "one row with a huge number does not ruin the model; 1e400 is a bad record" {
	d=$BATS_TEST_TMPDIR
	lq-train -q -l "$LABEL" --exclude id --report "$d/r0" -o "$d/m0" "$F/leads.ndjson"
	for v in 1e200 -1e200 1e39; do
		sed "1s/\"employees\":[0-9]*/\"employees\":$v/" "$F/leads.ndjson" > "$d/in"
		for mode in robust standard; do
			run -0 lq-train -q -l "$LABEL" --exclude id --numeric $mode --report "$d/r" -o "$d/m" "$d/in"
			# lambda from the grid, finite figures, the AUC of the clean data
			jq -se --slurpfile r0 "$d/r0" '.[] | select(.type == "summary") |
			    (.lambda | IN(1000, 100, 10, 1, 0.1, 0.01)) and .auc > 0.78 and
			    (.auc - ($r0[] | select(.type == "summary") | .auc) | fabs) < 0.02 and
			    .log_loss > 0.4 and .log_loss < 0.6' "$d/r"
			! grep -qiE 'nan|inf' "$d/m"
			run -0 lq-score -m "$d/m" "$d/in"
		done
	done
	# beyond a double: the row is a bad record, the others make the model
	for v in 1e400 -1e400 1.7976931348623157e308; do
		sed "1s/\"employees\":[0-9]*/\"employees\":$v/" "$F/leads.ndjson" > "$d/in"
		run -1 lq-train -q -l "$LABEL" --exclude id --rejects "$d/rej" -o "$d/m" "$d/in"
		[ "$output" = "lq-train: $d/in:1: employees: number out of range: $v" ]
		tail -n +2 "$F/leads.ndjson" | lq-train -q -l "$LABEL" --exclude id > "$d/m1"
		cmp "$d/m" "$d/m1"
	done
	[ "$(wc -l < "$d/rej")" -eq 3 ]
	# a field left out is not looked at
	run -0 lq-train -q -l "$LABEL" --exclude id --exclude employees -o "$d/m" "$d/in"
	# an expression feature that overflows
	sed "1s/\"employees\":[0-9]*/\"employees\":1e300/" "$F/leads.ndjson" > "$d/in"
	printf 'train:\n  features:\n    - name: big\n      expr: ".employees * 1e10"\n' > "$d/r.yaml"
	run -1 lq-train -q -r "$d/r.yaml" -l "$LABEL" --exclude id -o "$d/m" "$d/in"
	[ "$output" = "lq-train: $d/in:1: big: number out of range: inf" ]
}

@test "a fit lq-score could not trust is an error and writes no model" {
	d=$BATS_TEST_TMPDIR/out
	mkdir "$d"
	# the holdout rows are all lost: AUC is undefined (it was written as 0)
	run -2 lq-train -q -l "$LABEL" --exclude id --holdout '.stage == "lost" and .created_at[5:7] == "03"' \
	    -o "$d/m" "$F/leads.ndjson"
	[ "$output" = "lq-train: the holdout rows (6) are all negative: AUC and the tiers' precision are undefined; give test rows with both outcomes; no model written" ]
	[ ! -e "$d/m" ]
	[ -z "$(ls "$d")" ]
	# labels that nothing predicts: out of fold the model ranks leads
	# worse than chance, and Platt scaling would reverse its order (a < 0)
	python3 -c '
import json, random
random.seed(1)
for i in range(300):
    print(json.dumps({"won": random.random() < 0.5, "src": random.choice("abcdef"), "n": random.randint(0, 50)}))' > "$BATS_TEST_TMPDIR/noise"
	run -2 lq-train -q -l .won -o "$d/m" "$BATS_TEST_TMPDIR/noise"
	[[ "$output" == "lq-train: the calibration failed: a -"*"(out of fold, the model ranks leads no better than chance); no model written" ]]
	[ ! -e "$d/m" ]
	# an existing model is left as it was, and so is standard output
	echo keep > "$d/m"
	run -2 lq-train -q -l "$LABEL" --exclude id --holdout '.stage == "lost" and .created_at[5:7] == "03"' \
	    -o "$d/m" "$F/leads.ndjson"
	[ "$(cat "$d/m")" = keep ]
	run -2 --separate-stderr lq-train -q -l "$LABEL" --exclude id --holdout '.stage == "lost" and .created_at[5:7] == "03"' \
	    "$F/leads.ndjson"
	[ -z "$output" ]
	# a good run replaces it, leaves no temporary file, keeps its mode
	chmod 640 "$d/m"
	lq-train -q -l "$LABEL" --exclude id --min-count 5 -o "$d/m" "$F/leads.ndjson"
	cmp "$d/m" "$F/model.yaml"
	[ "$(ls "$d")" = m ]
	[ "$(stat -c %a "$d/m")" = 640 ]
}

@test "rule signals and train: features become features (exact model)" {
	cd "$F"
	run lq-train -q -r lq.yaml leads.ndjson
	[ "$status" -eq 0 ]
	diff -u "$F/model-rules.yaml" <(printf '%s\n' "$output")
}

@test "a key with a dot is not the nested field of that name; a train: feature replaces a field of its name" {
	d=$BATS_TEST_TMPDIR
	# "a.b" says won on some rows, a -> b on others, in opposite ways
	python3 -c '
import json, random
random.seed(1)
for i in range(200):
    y = random.random() < 0.5
    r = {"won": y}
    if i % 2: r["a.b"] = (5 if y else 1) + random.random()
    else: r["a"] = {"b": (1 if y else 5) + random.random()}
    print(json.dumps(r))' > "$d/in"
	# (each separates the label perfectly by construction: no guards)
	run -0 lq-train -q --no-guards -l .won -o "$d/m" "$d/in"
	[ "$(grep '^  - name:' "$d/m")" = "$(printf '  - name: "a.b"\n  - name: "\\"a.b\\""')" ]
	grep -q '^    field: \["a.b"\]$' "$d/m"
	grep -q '^    field: \["a", "b"\]$' "$d/m"
	lq-score -m "$d/m" "$d/in" | jq -se 'map(.score.probability > 0.5) == map(.won)'
	# the quoted name is what --exclude matches
	lq-train -q --no-guards -l .won --exclude '"a.b"' -o "$d/m" "$d/in"
	[ "$(grep '^  - name:' "$d/m")" = '  - name: "a.b"' ]
	# a train: feature named like a field: the feature, not a duplicate
	# name that lq-score refuses
	printf 'train:\n  features:\n    - name: source\n      expr: ".source | ascii_downcase"\n' > "$d/r.yaml"
	run -0 lq-train -q -r "$d/r.yaml" -l "$LABEL" --exclude id -o "$d/m" "$F/leads.ndjson"
	[ "$(grep -c '^  - name: "source"' "$d/m")" -eq 1 ]
	grep -A1 '^  - name: "source"' "$d/m" | grep -q 'expr: ".source | ascii_downcase"'
	run -0 lq-score -m "$d/m" "$F/leads.ndjson"
}

@test "strings in a numeric field count as missing, and the report says so" {
	d=$BATS_TEST_TMPDIR
	sed -E '1,12s/"employees":([0-9]+)/"employees":"\1"/' "$F/leads.ndjson" > "$d/in"
	n=$(head -12 "$d/in" | jq -c 'select(.stage != "open" and (.employees | type) == "string")' | wc -l)
	[ "$n" -gt 1 ]
	run -0 lq-train -l "$LABEL" --exclude id -o "$d/m" "$d/in"
	[[ "$output" == *"note: numeric feature 'employees': $n values not a number (a string, true or false) count as missing, here and in lq-score"* ]]
	run -0 lq-train -l "$LABEL" --exclude id -o "$d/m" "$F/leads.ndjson"
	[[ "$output" != *"note: numeric feature"* ]]
}

@test "--exclude and --include take globs" {
	lq-train -q -l "$LABEL" --exclude 'form.*' --exclude id "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/m"
	! grep -q '"form.timeline"' "$BATS_TEST_TMPDIR/m"
	grep -q '^  - name: "source"' "$BATS_TEST_TMPDIR/m"
	lq-train -q -l "$LABEL" --include 'so*' --include employees "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/m"
	[ "$(grep -c '^  - name:' "$BATS_TEST_TMPDIR/m")" -eq 2 ]
}

@test "--report writes the evaluation as NDJSON; the table goes to stderr" {
	run lq-train -l "$LABEL" --report "$BATS_TEST_TMPDIR/r" -o /dev/null "$F/leads.ndjson"
	[[ "$output" == *"AUC 0.8"* ]]
	[[ "$output" == *"calibration   predicted  observed"* ]]
	r="$BATS_TEST_TMPDIR/r"
	[ "$(jq -s 'map(select(.type == "calibration")) | length' "$r")" -eq 10 ]
	[ "$(jq -s 'map(select(.type == "tier")) | map(.rows) | add' "$r")" -eq 132 ]
	jq -se '.[] | select(.type == "summary") | .auc > 0.75 and .ece < 0.1 and .eval_rows == 132' "$r"
	# the calibration bins add up to the rows; ECE agrees with the bins
	jq -se '((map(select(.type == "calibration") | select(.rows > 0) |
	    .rows * ((.predicted - .observed) | fabs)) | add) / 132) as $e |
	    (map(select(.type == "summary"))[0].ece - $e | fabs) < 1e-4' "$r"
}

@test "--lambda and --C: the report names the lambda that was cross-validated" {
	for o in "--lambda 0.5" "--C 2"; do
		run -0 lq-train -l "$LABEL" $o --report "$BATS_TEST_TMPDIR/r" -o /dev/null "$F/leads.ndjson"
		[[ "$output" == *"lambda 0.5 (C 2)  cv log loss 0.5:0."* ]]
		[ "$(jq -c 'select(.type == "lambda") | .lambda' "$BATS_TEST_TMPDIR/r")" = 0.5 ]
	done
}

@test "tier cut-offs are rounded, but never past a row (a tiny L1 cut-off became 0: every lead L1)" {
	d=$BATS_TEST_TMPDIR
	# a feature that separates won from lost, no regularisation: the lost
	# leads get p of about 1e-16, the L1 edge lies among them
	jq -c '. + {sep: (if .stage == "won" then 100.001 + (.employees // 7) / 100
	    elif .stage == "lost" then 100 - (.employees // 7) / 100 else null end)}' \
	    "$F/leads.ndjson" > "$d/in"
	run -0 lq-train -q -l "$LABEL" --include sep --lambda 0 --report "$d/r" -o "$d/m" "$d/in"
	jq -se 'map(select(.type == "tier")) | (.[0].precision >= 0.8) and .[3].rows > 0 and
	    (map(.rows) | add) == 132' "$d/r"
	l1=$(sed -n 's/^  L1: //p' "$d/m")
	jq -en "$l1 > 0"
	# scored with it, the lost leads are not all L1 any more
	lq-score -m "$d/m" "$d/in" | jq -se 'map(select(.stage != "open")) |
	    (map(select(.score.tier == "L4")) | length > 0) and
	    (map(select(.score.tier == "L1") | .stage == "won") | (map(select(.)) | length) / length >= 0.8)'
}

@test "--holdout evaluates on the marked rows only" {
	run lq-train -q -l "$LABEL" --holdout '.created_at[5:7] == "03"' --report "$BATS_TEST_TMPDIR/r" -o "$BATS_TEST_TMPDIR/m" "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	n=$(jq -c 'select(.stage != "open" and .created_at[5:7] == "03")' "$F/leads.ndjson" | wc -l)
	jq -se --argjson n "$n" '.[] | select(.type == "summary") | .evaluation == "holdout" and .eval_rows == $n' "$BATS_TEST_TMPDIR/r"
	grep -q "^  rows: $((132 - n))$" "$BATS_TEST_TMPDIR/m"
}

@test "--time-field gives the date span and a time-ordered split" {
	run lq-train -q -l "$LABEL" --time-field created_at --report "$BATS_TEST_TMPDIR/r" -o "$BATS_TEST_TMPDIR/m" "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	grep -q '^  first: "2026-01-01T10:00:00Z"$' "$BATS_TEST_TMPDIR/m"
	grep -q '^  last: "2026-11-10T10:00:00Z"$' "$BATS_TEST_TMPDIR/m"
	jq -se '.[] | select(.type == "summary") | .evaluation == "time" and .eval_rows == 26' "$BATS_TEST_TMPDIR/r"
	! grep -q '^  - name: "created_at"' "$BATS_TEST_TMPDIR/m"
	grep -q '^  time_field: "created_at"$' "$BATS_TEST_TMPDIR/m"
}

@test "--time-field: a value that is no time is a bad record, not a date that never was" {
	d=$BATS_TEST_TMPDIR
	for v in 1e300 1e400 -5e20 '"yesterday"' '"2026-02-30T10:00:00Z"' true '{"a":1}' '[1]'; do
		sed "1s/\"created_at\":\"[^\"]*\"/\"created_at\":$v/" "$F/leads.ndjson" > "$d/in"
		for tf in created_at .created_at; do
			run -1 lq-train -q -l "$LABEL" --time-field $tf --report "$d/r" -o "$d/m" "$d/in"
			echo "$v $tf: $output"
			[[ "$output" == "lq-train: $d/in:1: $tf: not a time: "* ]]
			# the span and the split are those of the other rows
			grep -q '^  first: "2026-01-03T10:00:00Z"$' "$d/m"
			grep -q '^  last: "2026-11-10T10:00:00Z"$' "$d/m"
			jq -se '.[] | select(.type == "summary") | .eval_rows == 26' "$d/r"
		done
	done
	# null or no time: the row is kept, untimed
	sed '1s/"created_at":"[^"]*"/"created_at":null/' "$F/leads.ndjson" > "$d/in"
	run -0 lq-train -q -l "$LABEL" --time-field created_at -o "$d/m" "$d/in"
	lq-train -q -l "$LABEL" --time-field created_at -o "$d/m0" "$F/leads.ndjson"
	[ "$(grep '^  rows:' "$d/m")" = "$(grep '^  rows:' "$d/m0")" ]
	grep -q '^  first: "2026-01-03T10:00:00Z"$' "$d/m"
}

@test "lq-score -m: exactly the expected scores" {
	run lq-score -m "$F/model.yaml" "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	diff -u "$F/scored.ndjson" <(printf '%s\n' "$output")
}

@test "lq-score -m --reasons all: reasons sum to the log-odds, sorted, one per feature" {
	lq-score -m "$F/model.yaml" --reasons all "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/s"
	nf=$(grep -c '^  - name:' "$F/model.yaml")
	jq -e --argjson nf "$nf" '.score | (.reasons | length) == $nf and
	    ((.baseline + (.reasons | map(.log_odds) | add)) - .log_odds | fabs) < 0.001 and
	    (.reasons | map(.log_odds | fabs)) == (.reasons | map(.log_odds | fabs) | sort | reverse) and
	    .probability > 0 and .probability < 1 and .confidence >= 0 and .confidence <= 1 and
	    (.tier | IN("L1","L2","L3","L4"))' "$BATS_TEST_TMPDIR/s" > /dev/null
	# the tier follows the model's cut-offs
	l1=$(sed -n 's/^  L1: //p' "$F/model.yaml")
	jq -se --argjson c "$l1" 'map(select(.score.probability >= $c + 0.0001)) |
	    length > 0 and all(.score.tier == "L1")' "$BATS_TEST_TMPDIR/s"
}

@test "lq-score -m: unseen values and out-of-range numbers are flagged" {
	run lq-score -m "$F/model.yaml" --reasons all <<< '{"source":"carrier pigeon","employees":1e9,"form":{"timeline":"this quarter"},"visits":[]}'
	[ "$status" -eq 0 ]
	jq -e '.score.unseen == 2 and
	    (.score.reasons[] | select(.feature == "source") | .unseen) and
	    (.score.reasons[] | select(.feature == "employees") | .outside_training_range)' <<< "$output"
	run lq-score -m "$F/model.yaml" <<< '{"source":"referral","employees":100,"form":{"timeline":"this quarter"},"visits":[1,2]}'
	jq -e '.score.unseen == 0' <<< "$output"
}

@test "lq-score -m: model file errors exit 2 with file:line:col" {
	sed 's/^  L2:/  L2x:/' "$F/model.yaml" > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 lq-score -m "$BATS_TEST_TMPDIR/bad.yaml" < /dev/null
	[[ "$output" == "lq-score: $BATS_TEST_TMPDIR/bad.yaml:"*"L2"* ]]
	sed 's/    type: numeric/    type: numbers/' "$F/model.yaml" > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 lq-score -m "$BATS_TEST_TMPDIR/bad.yaml" < /dev/null
	[[ "$output" == *"bad.yaml:"*":"*": type must be category or numeric"* ]]
	# a model with signals needs the rule file
	run -2 lq-score -m "$F/model-rules.yaml" < /dev/null
	[[ "$output" == *"give the rule file with -r"* ]]
	run lq-score -r "$F/lq.yaml" -m "$F/model-rules.yaml" "$F/leads.ndjson"
	[ "$status" -eq 0 ]
}

@test "--reseal: the model's signals are checked against -r when it is given" {
	d=$BATS_TEST_TMPDIR
	sed 's/^    signal: "\(.*\)"/    signal: "no_such_\1"/' "$F/model-rules.yaml" > "$d/m.yaml"
	! cmp -s "$F/model-rules.yaml" "$d/m.yaml"
	run -2 lq-train --reseal "$d/m.yaml" -r "$F/lq.yaml"
	[[ "$output" == "lq-train: $d/m.yaml:"*": signal 'no_such_"*"' is not in the rule file" ]]
	# without the rule file the names are taken on trust: lq-score checks them
	run -0 lq-train --reseal "$d/m.yaml"
	run -2 lq-score -r "$F/lq.yaml" -m "$d/m.yaml" < /dev/null
	[[ "$output" == *"is not in the rule file"* ]]
	run -0 lq-train --reseal "$F/model-rules.yaml" -r "$F/lq.yaml" -o "$d/m2.yaml"
	cmp "$F/model-rules.yaml" "$d/m2.yaml"
	# no input with --reseal
	run -2 lq-train --reseal "$d/m.yaml" "$F/leads.ndjson"
	run -2 lq-train --reseal /nonexistent/model.yaml
	[[ "$output" == "lq-train: /nonexistent/model.yaml: No such file or directory" ]]
}

@test "lq-score without -m is unchanged: no probability" {
	run lq-score -r "$F/lq.yaml" <<< '{"source":"referral"}'
	[ "$status" -eq 0 ]
	jq -e '.score | has("probability") | not' <<< "$output"
	jq -e '.score.points == 20' <<< "$output"
}

@test "x-education-leads: AUC matches scikit-learn within 0.005, ECE < 0.03" {
	need_shared x-education-leads
	sanitized && skip "slow under the sanitizers"
	py=$(sk_python)
	[ -n "$py" ] || skip "no scikit-learn"
	d="$BATS_TEST_TMPDIR"
	"$py" "$TOP/tools/sklearn-ref.py" csv "$SHARED/data/x-education-leads/Leads.csv" |
	    jq -c 'select(.["Lead Number"] % 5 != 0)' > "$d/train.ndjson"
	ex=(--exclude Tags --exclude 'Lead Quality' --exclude 'Lead Profile'
	    --exclude 'Asymmetrique*' --exclude 'Last Notable Activity'
	    --exclude 'Prospect ID' --exclude 'Lead Number')
	sk=$("$py" "$TOP/tools/sklearn-ref.py" cv --label 'Converted=1' "${ex[@]}" "$d/train.ndjson" | jq .auc)
	lq-train -q -l '.Converted == 1' --C 1 --numeric standard --min-count 1 --max-levels 0 \
	    "${ex[@]}" --report "$d/r1" "$d/train.ndjson" > /dev/null
	lq-train -q -l '.Converted == 1' "${ex[@]}" --report "$d/r2" "$d/train.ndjson" > /dev/null
	a1=$(jq 'select(.type == "summary") | .auc' "$d/r1")
	a2=$(jq 'select(.type == "summary") | .auc' "$d/r2")
	echo "sklearn $sk, lq-train (same encoding) $a1, lq-train defaults $a2"
	jq -en "($sk - $a1 | fabs) < 0.005 and $a2 >= $sk - 0.005"
	jq -se 'map(select(.type == "summary") | .ece < 0.03) | all' "$d/r1" "$d/r2"
}

@test "uci-bank-marketing: AUC matches scikit-learn within 0.005, ECE < 0.03" {
	need_shared uci-bank-marketing
	sanitized && skip "slow under the sanitizers"
	py=$(sk_python)
	[ -n "$py" ] || skip "no scikit-learn"
	d="$BATS_TEST_TMPDIR"
	"$py" "$TOP/tools/sklearn-ref.py" csv "$SHARED/data/uci-bank-marketing/bank-full.csv" ';' > "$d/bank.ndjson"
	sk=$("$py" "$TOP/tools/sklearn-ref.py" cv --label 'y="yes"' --exclude duration "$d/bank.ndjson" | jq .auc)
	lq-train -q -l '.y == "yes"' --C 1 --numeric standard --min-count 1 --max-levels 0 \
	    --exclude duration --report "$d/r1" "$d/bank.ndjson" > /dev/null
	lq-train -q -l '.y == "yes"' --exclude duration --report "$d/r2" "$d/bank.ndjson" > /dev/null
	a1=$(jq 'select(.type == "summary") | .auc' "$d/r1")
	a2=$(jq 'select(.type == "summary") | .auc' "$d/r2")
	echo "sklearn $sk, lq-train (same encoding) $a1, lq-train defaults $a2"
	jq -en "($sk - $a1 | fabs) < 0.005 and $a2 >= $sk - 0.005"
	jq -se 'map(select(.type == "summary") | .ece < 0.03) | all' "$d/r1" "$d/r2"
}

@test "lq-train.1: mandoc -Tlint clean and EXAMPLES run as printed" {
	run mandoc -Tlint -Wwarning "$TOP/man/lq-train.1"
	[ -z "$(grep -v 'referenced manual not found' <<< "$output")" ]
	# the page's commands run in a copy of examples/, rules/ and the
	# lq-train fixtures (as train/)
	mkdir -p "$BATS_TEST_TMPDIR/ex"
	cp -R "$TOP/examples" "$TOP/rules" "$BATS_TEST_TMPDIR/ex/"
	cp -R "$F" "$BATS_TEST_TMPDIR/ex/train"
	run python3 "$TOP/test/run-examples.py" "$TOP/man/lq-train.1" "$BATS_TEST_TMPDIR/ex"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the L-BFGS path (large models) agrees with Newton's method" {
	lq-train -q -l "$LABEL" --exclude id --report "$BATS_TEST_TMPDIR/n" -o "$BATS_TEST_TMPDIR/mn" "$F/leads.ndjson"
	LQ_TRAIN_LBFGS=1 lq-train -q -l "$LABEL" --exclude id --report "$BATS_TEST_TMPDIR/l" -o "$BATS_TEST_TMPDIR/ml" "$F/leads.ndjson"
	jq -ne '[inputs | select(.type == "summary")] | (.[0].auc - .[1].auc | fabs) < 1e-4 and
	    (.[0].log_loss - .[1].log_loss | fabs) < 1e-5' "$BATS_TEST_TMPDIR/n" "$BATS_TEST_TMPDIR/l"
	# every weight within 1e-3
	paste <(grep -o 'weight: [-0-9.e]*' "$BATS_TEST_TMPDIR/mn") <(grep -o 'weight: [-0-9.e]*' "$BATS_TEST_TMPDIR/ml") |
	    awk '{ d = $2 - $4; if (d < 0) d = -d; if (d > 1e-3) bad++ } END { exit bad > 0 || NR < 10 }'
}

@test "guards: identifiers and suspected leakage are left out with the evidence; --keep keeps one; --null-value" {
	d=$BATS_TEST_TMPDIR
	# id rises with the row order, ref is a string per row, verdict is
	# written by sales after the outcome, source is an honest feature
	python3 -c '
import json, random
random.seed(3)
for i in range(400):
    src = random.choice(["web", "event", "referral", "Select"])
    y = random.random() < {"web": 0.3, "event": 0.4, "referral": 0.7, "Select": 0.35}[src]
    v = ("hot" if random.random() < 0.97 else "cold") if y else ("cold" if random.random() < 0.97 else "hot")
    # a small level that never converts is a disqualifier, not a leak
    t = "student" if not y and i % 16 == 0 else ("cto", "dev", "ops")[i % 3]
    print(json.dumps({"id": 5000 + i, "ref": "R%06d" % (i * 7919 % 999983), "source": src,
                      "verdict": v, "visits": random.randint(0, 9), "title": t, "won": y}))' > "$d/in"
	run -0 lq-train -l .won --report "$d/r" -o "$d/m" "$d/in"
	echo "$output"
	[[ "$output" == *"note: left out 'id': an identifier, not a feature (400 distinct whole numbers in 400 rows, rising with the row order)"* ]]
	[[ "$output" == *"note: left out 'ref': an identifier, not a feature"* ]]
	[[ "$output" == *"note: left out 'verdict': suspected leakage"*"converts"*"base rate"* ]]
	[ "$(grep '^  - name:' "$d/m")" = "$(printf '  - name: "source"\n  - name: "visits"\n  - name: "title"')" ]
	grep -q '^      - {value: "student", weight: -' "$d/m"
	jq -se 'map(select(.type == "left_out")) | map([.feature, .guard]) ==
	    [["id","identifier"],["ref","identifier"],["verdict","leakage"]]' "$d/r"
	grep -q "^  - \"left out 'verdict': suspected leakage" "$d/m"
	# --keep: used, and the note says it looks like leakage
	run -0 lq-train -l .won --keep verdict -o "$d/m2" "$d/in"
	grep -q '^  - name: "verdict"' "$d/m2"
	[[ "$output" == *"note: kept 'verdict' (--include or --keep) though it looks like leakage"* ]]
	# --null-value: the placeholder is missing, in training and in scoring
	run -0 lq-train -q -l .won --null-value Select -o "$d/m3" "$d/in"
	grep -q '^null_values: \["Select"\]$' "$d/m3"
	! grep -q '"Select"' <(sed -n '/^features:/,/^profile:/p' "$d/m3")
	lq-score -m "$d/m3" --reasons all <<< '{"source":"Select","visits":3}' |
	    jq -e '.score.reasons[] | select(.feature == "source") | .value == null and (.text | startswith("source not given: "))'
	lq-score -m "$d/m3" --reasons all <<< '{"source":"web","visits":3}' |
	    jq -e '.score.reasons[] | select(.feature == "source") | .value == "web" and (.text | startswith("source is web: "))'
}

@test "x-education-leads with no --exclude: no id, no leakage field; hold-out AUC within 0.01 of the hand-excluded model's" {
	need_shared x-education-leads
	sanitized && skip "slow under the sanitizers"
	d="$BATS_TEST_TMPDIR"
	lq-csv "$SHARED/data/x-education-leads/Leads.csv" > "$d/leads.ndjson"
	H='.["Lead Number"] % 5 == 0'
	id=(--exclude 'Prospect ID' --exclude 'Lead Number')
	lq-train -q -l '.Converted == 1' --holdout "$H" --report "$d/r0" -o "$d/m0" "$d/leads.ndjson"
	! grep -E '^  - name: "(Prospect ID|Lead Number|Tags|Lead Quality)"$' "$d/m0"
	jq -se 'map(select(.type == "left_out") | .feature) | index("Prospect ID") and
	    index("Lead Number") and index("Tags") and index("Lead Quality")' "$d/r0"
	# The comparison: the identifiers and the fields the data dictionary
	# says the sales team writes about the outcome, Tags ("the current
	# status of the lead": "Closed by Horizzon", "Lost to EINS") and Lead
	# Quality ("the intuition of the employee who has been assigned to the
	# lead").  Guards off, so this model keeps Lead Profile, which the
	# guard leaves out for its pure levels: the two models differ.
	lq-train -q --no-guards -l '.Converted == 1' --holdout "$H" --report "$d/r1" -o "$d/m1" \
	    "${id[@]}" --exclude Tags --exclude 'Lead Quality' "$d/leads.ndjson"
	# The list an analyst wrote before the guards (SOURCE.md) also leaves
	# out the Asymmetrique scores and Last Notable Activity: nothing in the
	# data marks them (their missing rows convert as the others do, 38.9%
	# and 38.1%; no level separates the outcome; alone the best ranks with
	# AUC 0.66, as Lead Source), the dictionary only says "assigned ...
	# based on their activity and their profile", and Last Notable
	# Activity is the same activity stream as Last Activity, which that
	# list keeps.  Against it the guarded model is better, not worse; the
	# whole difference is those five fields (the guard finds the rest).
	lq-train -q -l '.Converted == 1' --holdout "$H" --report "$d/r2" -o "$d/m2" \
	    "${id[@]}" --exclude Tags --exclude 'Lead Quality' --exclude 'Lead Profile' \
	    --exclude 'Asymmetrique*' --exclude 'Last Notable Activity' "$d/leads.ndjson"
	lq-train -q -l '.Converted == 1' --holdout "$H" --report "$d/r3" -o "$d/m3" \
	    --exclude 'Asymmetrique*' --exclude 'Last Notable Activity' "$d/leads.ndjson"
	a0=$(jq 'select(.type == "summary") | .auc' "$d/r0")
	a1=$(jq 'select(.type == "summary") | .auc' "$d/r1")
	a2=$(jq 'select(.type == "summary") | .auc' "$d/r2")
	a3=$(jq 'select(.type == "summary") | .auc' "$d/r3")
	echo "guarded $a0, ids/Tags/Lead Quality excluded $a1, analyst's list $a2, guarded without Asymmetrique*/Last Notable Activity $a3"
	jq -en "($a0 - $a1 | fabs) < 0.01"
	# not fooled (0.98 with everything in), no worse than the analyst's list
	jq -en "$a0 < 0.95 and $a0 >= $a2"
	cmp <(grep '^  - name:' "$d/m2") <(grep '^  - name:' "$d/m3")
	jq -en "$a2 == $a3"
	# the tiers: strictly falling cut-offs, L1 above the base rate
	l1=$(sed -n 's/^  L1: //p' "$d/m0"); l2=$(sed -n 's/^  L2: //p' "$d/m0"); l3=$(sed -n 's/^  L3: //p' "$d/m0")
	rate=$(sed -n 's/^  positive_rate: //p' "$d/m0")
	jq -en "$l1 > $l2 and $l2 > $l3 and $l1 > $rate"
	jq -se 'map(select(.type == "tier") | .rows > 0) | all' "$d/r0"
}

@test "lq-score -m: worded reasons, 3 up and 3 down; baseline, rest and reasons add up to the log-odds" {
	lq-score -m "$F/model.yaml" "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/s"
	# the first lead, in words
	head -1 "$BATS_TEST_TMPDIR/s" | jq -c '.score.reasons | map(.text)'
	[ "$(head -1 "$BATS_TEST_TMPDIR/s" | jq -c '.score.reasons | map(.text)')" = \
	  '["form.timeline is this quarter: +1.2","source is paid_search: -0.9","visits.length is 0 (below the usual 3): -0.6","not opted_in: +0.2"]' ]
	jq -e '.score | ((.baseline + .rest + (.reasons | map(.log_odds) | add // 0)) - .log_odds | fabs) < 0.001 and
	    ([.reasons[] | select(.log_odds > 0)] | length) <= 3 and
	    ([.reasons[] | select(.log_odds < 0)] | length) <= 3 and
	    all(.reasons[]; (.log_odds | fabs) >= 0.1 and (.text | test(": [+-][0-9]"))) and
	    all(.reasons[]; .value != null or (.log_odds | fabs) >= 0.5)' "$BATS_TEST_TMPDIR/s" > /dev/null
	# a rule signal that did not fire reads "not NAME"
	lq-score -r "$F/lq.yaml" -m "$F/model-rules.yaml" --reasons all <<< '{"source":"event","form":{"timeline":"next year"},"visits":[]}' |
	    jq -e '.score.reasons | map(.text) | any(startswith("not referred: ")) and any(startswith("not soon: "))'
	run -2 lq-score -m "$F/model.yaml" --reasons some < /dev/null
}

@test "lq-score -r -m: the rules' disqualifiers decide over the model, and the reasons say so" {
	d=$BATS_TEST_TMPDIR
	cp "$F/lq.yaml" "$d/r.yaml"
	cat >> "$d/r.yaml" <<-'EOF'
	score_extra: ignored
	EOF
	sed -i '/^score_extra/d' "$d/r.yaml"
	# disqualifiers go in the score: section, before train:
	python3 - "$d/r.yaml" <<-'EOF'
	import sys
	p = sys.argv[1]; s = open(p).read()
	s = s.replace("train:\n", "  disqualify:\n    - name: student\n      when: .title == \"student\"\n      reason: students do not buy\n    - name: vip\n      when: .vip == true\n      tier: L1\n      action: route\n      reason: board member asked\ntrain:\n", 1)
	open(p, "w").write(s)
	EOF
	lq-train -q -r "$d/r.yaml" -o "$d/m" "$F/leads.ndjson"
	# a lead the model likes, but a student: L4 by the rules
	run -0 lq-score -r "$d/r.yaml" -m "$d/m" <<-'EOF'
	{"source":"referral","form":{"timeline":"this quarter"},"visits":[1,2,3,4,5],"employees":500,"title":"student"}
	{"source":"referral","form":{"timeline":"this quarter"},"visits":[1,2,3,4,5],"employees":500}
	{"source":"event","form":{"timeline":"just researching"},"visits":[],"employees":2,"vip":true}
	{"source":"event","form":{"timeline":"just researching"},"visits":[],"employees":2,"vip":true,"title":"student"}
	EOF
	echo "$output"
	jq -se '.[0].score | .tier == "L4" and .action == "nurture" and .decided_by == "rules" and
	    .probability > 0.5 and .reasons[0].disqualifier == "student" and
	    .reasons[0].text == "disqualified by the rules: student (students do not buy)"' <<< "$output"
	jq -se '.[1].score | .tier == "L1" and .decided_by == "model" and all(.reasons[]; has("disqualifier") | not)' <<< "$output"
	jq -se '.[2].score | .tier == "L1" and .action == "route" and .decided_by == "rules" and .probability < 0.5' <<< "$output"
	# the first in file order decides; the other is listed, overridden
	jq -se '.[3].score | .tier == "L4" and .reasons[0].disqualifier == "student" and .reasons[1].overridden' <<< "$output"
	# -m alone: no decided_by
	lq-score -m "$d/m" <<< '{"title":"student"}' | jq -e '.score | has("decided_by") | not'
}

@test "calibration is kept only where it helps out of fold, and the model says which" {
	d=$BATS_TEST_TMPDIR
	# the fixture: Platt scaling would raise the out-of-fold log loss
	grep -q '^  method: none$' "$F/model.yaml"
	grep -q '^  - "calibration: none: out of fold Platt scaling would take the log loss' "$F/model.yaml"
	# an overconfident fit (next to no regularisation, many noisy
	# levels): Platt scaling pulls it in and is kept
	python3 -c '
import json, random
random.seed(5)
for i in range(600):
    x = random.gauss(0, 1)
    r = {"x": x, "won": random.random() < 1 / (1 + 2.718 ** (-x))}
    for k in range(12): r["n%d" % k] = random.choice("abcdefgh")
    print(json.dumps(r))' > "$d/in"
	run -0 lq-train -l .won --lambda 0.0001 --min-count 1 --report "$d/r" -o "$d/m" "$d/in"
	echo "$output"
	grep -q '^  method: platt$' "$d/m"
	grep -q '^  - "calibration: Platt scaling kept: out of fold it lowers the log loss' "$d/m"
	jq -se 'map(select(.type == "note") | .text) | any(startswith("calibration: Platt scaling kept"))' "$d/r"
}

@test "--model gbdt: the same model bytes twice (-j1), one YAML file with the trees embedded; lq-score -m scores it" {
	lq-train -q -l "$LABEL" --exclude id --min-count 5 --model gbdt -j1 "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/a"
	lq-train -q -l "$LABEL" --exclude id --min-count 5 --model gbdt -j1 "$F/leads.ndjson" > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	# the threads do not change the model
	lq-train -q -l "$LABEL" --exclude id --min-count 5 --model gbdt -j2 "$F/leads.ndjson" | cmp - "$BATS_TEST_TMPDIR/a"
	python3 -c 'import sys, yaml; m = yaml.safe_load(open(sys.argv[1]));
assert m["model"] == "gbdt" and m["booster"]["format"] == "xgboost-json";
assert m["booster"]["columns"] == sum(len(f.get("levels", [])) + 2 for f in m["features"])
' "$BATS_TEST_TMPDIR/a"
	grep -q 'boosted trees (--model gbdt): max_depth' "$BATS_TEST_TMPDIR/a"
	run lq-score -m "$BATS_TEST_TMPDIR/a" "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<< "$output")" -eq 150 ]
	# probability, tier, confidence; worded reasons, 3 up and 3 down at most;
	# baseline (the trees' bias), rest and the reasons add up to the margin
	jq -e '.score | (.probability | . > 0 and . < 1) and (.tier | test("^L[1-4]$")) and
	    (.confidence | . > 0 and . <= 1) and
	    ([.reasons[] | select(.log_odds > 0)] | length) <= 3 and
	    ([.reasons[] | select(.log_odds < 0)] | length) <= 3 and
	    all(.reasons[]; .text | type == "string" and test(": [+-][0-9]")) and
	    ((.baseline + .rest + (.reasons | map(.log_odds) | add // 0)) - .log_odds | fabs) < 0.001' <<< "$output" | sort -u | grep -qx true
	[ "$(jq -e '.score | ((.baseline + .rest + (.reasons | map(.log_odds) | add // 0)) - .log_odds | fabs) < 0.001' <<< "$output" | sort -u)" = true ]
	run lq-score -m "$BATS_TEST_TMPDIR/a" --reasons all "$F/leads.ndjson"
	[ "$status" -eq 0 ]
	# every feature once (one-hot levels summed back into their field)
	[ "$(jq -c '[.score.reasons[].feature] | sort' <<< "$output" | sort -u)" = \
	    "$(python3 -c 'import sys, yaml, json; print(json.dumps(sorted(f["name"] for f in yaml.safe_load(open(sys.argv[1]))["features"]), separators=(",", ":")))' "$BATS_TEST_TMPDIR/a")" ]
	[ "$(jq -e '.score | ((.baseline + (.reasons | map(.log_odds) | add)) - .log_odds | fabs) < 0.001' <<< "$output" | sort -u)" = true ]
	# a lead's worded reason
	run lq-score -m "$BATS_TEST_TMPDIR/a" <<< '{"source":"paid_search","employees":63,"form":{"timeline":"this quarter"},"visits":[],"opted_in":false}'
	jq -e '.score.reasons | any(.text | test("^form.timeline is this quarter: [+]"))' <<< "$output"
}

@test "--model gbdt: a damaged embedded model is a clean load error (exit 2, file:line)" {
	lq-train -q -l "$LABEL" --exclude id --min-count 5 --model gbdt -j1 -o "$BATS_TEST_TMPDIR/m" "$F/leads.ndjson"
	# changed bytes: the checksum
	sed '/^  model: |/{n;s/^    e/    f/}' "$BATS_TEST_TMPDIR/m" > "$BATS_TEST_TMPDIR/bad"
	! cmp -s "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/bad"
	run -2 lq-score -m "$BATS_TEST_TMPDIR/bad" < /dev/null
	[[ "$output" == "lq-score: $BATS_TEST_TMPDIR/bad:"* ]]
	# resealing a damaged booster is refused by the booster's own check
	run -2 lq-train --reseal "$BATS_TEST_TMPDIR/bad" -o "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"$BATS_TEST_TMPDIR/bad:"*": model: booster: not an xgboost JSON model"* ]]
	# damaged inside xgboost's JSON (a line of the base64 turned to A's)
	awk '/^  model: \|/ { m = 1 } m && ++n == 6 { gsub(/./, "A"); $0 = "    " substr($0, 5) } { print }' \
	    "$BATS_TEST_TMPDIR/m" > "$BATS_TEST_TMPDIR/bad1"
	run -2 lq-train --reseal "$BATS_TEST_TMPDIR/bad1" -o "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"$BATS_TEST_TMPDIR/bad1:"*": model: xgboost: booster: damaged model"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
	# cut short inside the base64, resealed by hand: not base64 / cut short
	awk '/^  model: \|/ { print; getline; print substr($0, 1, 40); getline; print "    ****"; next } { print }' \
	    "$BATS_TEST_TMPDIR/m" > "$BATS_TEST_TMPDIR/bad2"
	run -2 lq-train --reseal "$BATS_TEST_TMPDIR/bad2" -o "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"bad2:"*"booster: not base64"* ]]
	# a booster for other columns
	sed 's/^  columns: .*/  columns: 3/' "$BATS_TEST_TMPDIR/m" > "$BATS_TEST_TMPDIR/bad3"
	run -2 lq-train --reseal "$BATS_TEST_TMPDIR/bad3" -o "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"bad3:"*": booster: columns must be"* ]]
	# a logistic model with a booster
	lq-train -q -l "$LABEL" --exclude id --min-count 5 -o "$BATS_TEST_TMPDIR/lr" "$F/leads.ndjson"
	sed -n '/^booster:/,/^checksum/p' "$BATS_TEST_TMPDIR/m" | grep -v '^checksum\|^# end\|^# lq-train --reseal' > "$BATS_TEST_TMPDIR/bst"
	{ grep -v '^checksum' "$BATS_TEST_TMPDIR/lr"; cat "$BATS_TEST_TMPDIR/bst"; } > "$BATS_TEST_TMPDIR/bad4"
	run -2 lq-train --reseal "$BATS_TEST_TMPDIR/bad4" -o "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"bad4:"*"a logistic model has no booster"* ]]
}

@test "--model gbdt on degenerate data: one class, 3 rows: exit 2 with a reason, no model" {
	printf '{"a":%d,"won":true}\n' 1 2 3 4 5 6 7 8 9 10 11 12 > "$BATS_TEST_TMPDIR/one"
	run -2 lq-train -q -l .won --model gbdt -o "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/one"
	[[ "$output" == *"the label is always true in the training rows: nothing to learn"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/m" ]
	printf '{"a":1,"won":true}\n{"a":2,"won":false}\n{"a":3,"won":true}\n' > "$BATS_TEST_TMPDIR/three"
	run -2 lq-train -q -l .won --model gbdt -o "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/three"
	[[ "$output" == *"too few training rows (3) for 5-fold cross validation"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/m" ]
	run -2 lq-train -q -l .won --model trees "$BATS_TEST_TMPDIR/three"
	[[ "$output" == *"--model: logistic, gbdt or auto, not 'trees'"* ]]
}

@test "--model auto keeps the logistic model unless the trees are clearly better, and says why" {
	lq-train -q -l "$LABEL" --exclude id --min-count 5 --model auto -j1 -o "$BATS_TEST_TMPDIR/m" "$F/leads.ndjson"
	grep -q '^model: logistic' "$BATS_TEST_TMPDIR/m"
	grep -q 'logistic kept (--model auto needs a gain above 0.005 and twice the fold noise)' "$BATS_TEST_TMPDIR/m"
	# trees win where the outcome is an interaction (xor) a linear model cannot see
	python3 -c '
import json, random
r = random.Random(7)
for i in range(600):
    a, b = r.random(), r.random()
    print(json.dumps({"a": round(a, 3), "b": round(b, 3), "won": (a > .5) != (b > .5) if r.random() < .9 else r.random() < .5}))
' > "$BATS_TEST_TMPDIR/xor"
	lq-train -q -l .won --model auto -j1 -o "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/xor"
	grep -q '^model: gbdt' "$BATS_TEST_TMPDIR/x"
	grep -q 'trees chosen (--model auto' "$BATS_TEST_TMPDIR/x"
}
