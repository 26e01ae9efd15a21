#!/usr/bin/env bats
# docs: the EXAMPLES of lq(7), lq-rules(5) and lq-score(1) run as printed,
# every man page is mandoc -Tlint clean and renders in groff (man -l) without
# a warning or a misplaced quote, and rules/score.yaml scores the
# bundled examples into every tier and every action.

load helpers

NOW=2026-11-28T12:00:00Z

# run_examples PAGE: run the transcripts in PAGE's EXAMPLES section.
# A transcript is a .Bd -literal display; a line starting with "$ " is a
# command (continued by here-documents and by lines ending in | or \),
# the lines up to the next command are its expected output (stdout and
# stderr).  A command without output lines must succeed and print nothing.
# Displays without "$ " lines are illustrations and are not run.  The
# commands run in order in one scratch directory holding copies of
# examples/, rules/ and data/.  run_examples PAGE SUBSECTION runs only the
# displays under that .Ss of EXAMPLES.
run_examples() {
	local dir="$BATS_TEST_TMPDIR/run"
	mkdir -p "$dir"
	cp -R "$TOP/examples" "$TOP/rules" "$dir/"
	[ ! -d "$TOP/data" ] || cp -R "$TOP/data" "$dir/"
	python3 "$TOP/test/run-examples.py" "$1" "$dir" "${2:-}"
}

@test "lq-rules.5: EXAMPLES run as printed" {
	run run_examples "$TOP/man/lq-rules.5"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "lq-score.1: EXAMPLES run as printed" {
	run run_examples "$TOP/man/lq-score.1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "lq.7: EXAMPLES run as printed" {
	command -v parallel >/dev/null || skip "no GNU parallel"
	run run_examples "$TOP/man/lq.7"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "lq-diff.1: EXAMPLES run as printed, in a git repository whose lq.yaml changed in the last commit" {
	command -v git > /dev/null || skip "no git"
	local dir="$BATS_TEST_TMPDIR/run"
	mkdir -p "$dir"
	git -C "$dir" init -q .
	git -C "$dir" config user.email t@example.com
	git -C "$dir" config user.name t
	cp "$TOP/rules/score.yaml" "$dir/lq.yaml"
	cp "$TOP/examples/outcomes.ndjson" "$dir/"
	git -C "$dir" add lq.yaml
	git -C "$dir" commit -qm old
	# the change the page describes: budget_confirmed 8 -> 30
	awk '/name: budget_confirmed/{f=1} f && /points: 8/{sub(/points: 8/, "points: 30"); f=0} {print}' \
	    "$TOP/rules/score.yaml" > "$dir/lq.yaml"
	git -C "$dir" commit -qam new
	[ "$(git -C "$dir" diff HEAD~1 | grep -c '^+ ')" -eq 1 ]
	run run_examples "$TOP/man/lq-diff.1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "5 examples, 0 failed" ]]
	rsvg-convert "$dir/diff.svg" > /dev/null
}

@test "lq-route.1: the account roll-up EXAMPLE (a hot account to one rep) runs as printed" {
	run run_examples "$TOP/man/lq-route.1" "A hot account"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"5 examples, 0 failed"* ]]
}

@test "every man page is mandoc -Tlint clean (warnings)" {
	local n=0
	for m in "$TOP"/man/*.[157]; do
		run mandoc -Tlint -Wwarning "$m"
		echo "$output"
		[ "$status" -eq 0 ]
		[ -z "$output" ] || [[ "$output" != *"$m"* ]]
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

# quotes_balanced FILE...: each rendered page's running text opens and
# closes its quotes in turn (a quoting macro that swallowed the rest of
# its line shows as "domain, "parent-domain or "name""" or as ‘a then ‘b’’).
# Transcripts, shell displays and JSON quote as their languages do and
# are left out; a jq path's quoted key (."Lead Source") opens after its dot.
quotes_balanced() {
	python3 - "$@" <<-'PY'
	import re, sys

	bad = 0
	for path in sys.argv[1:]:
	    text = re.sub(".\b", "", open(path, encoding="utf-8").read())
	    for p in re.split(r"\n\s*\n", text):
	        lines = [l for l in p.split("\n") if l.strip()]
	        if any(re.match(r"\s*(\$ |[\[{]|lq-|jq |  \S+:)", l) or l.endswith(" \\")
	               for l in lines):
	            continue
	        t = " " + re.sub(r"\s+", " ", p) + " "
	        while re.search(r"\{[^{}]*\}", t):
	            t = re.sub(r"\{[^{}]*\}", "JSON", t)
	        single, double, why = 0, False, None
	        for i in range(1, len(t) - 1):
	            c, a, b = t[i], t[i - 1], t[i + 1]
	            if c == "\u2018":
	                if single:
	                    why = "\u2018 inside \u2018\u2019"
	                single += 1
	            elif c == "\u2019" and not b.isalpha():
	                if not single:
	                    why = "\u2019 without \u2018"
	                single = max(0, single - 1)
	            elif c == '"':
	                if not double and a in " ([/.\u2018" and b != " ":
	                    double = True
	                elif double and a != " " and b in " ,.;:)]!?\u2019/":
	                    double = False
	                else:
	                    why = 'a " that neither opens nor closes'
	            if why:
	                break
	        if not why and (single or double):
	            why = "a quote left open"
	        if why:
	            bad += 1
	            print("%s: %s in:\n%s\n" % (path, why, p))
	sys.exit(1 if bad else 0)
	PY
}

@test "every man page renders as man -l shows it: groff -ww clean, quotes balanced in groff and mandoc" {
	# man -l runs the page (UTF-8) through preconv and groff -mandoc
	local n=0
	for m in "$TOP"/man/*.[157]; do
		b=${m##*/}
		run groff -K utf8 -mandoc -Tutf8 -ww -z "$m"
		echo "$output"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		groff -K utf8 -mandoc -Tutf8 "$m" > "$BATS_TEST_TMPDIR/groff.$b"
		mandoc -Tutf8 "$m" > "$BATS_TEST_TMPDIR/mandoc.$b"
		# both give the page's words (hyphenation aside) ...
		[ "$(wc -w < "$BATS_TEST_TMPDIR/groff.$b")" -ge 100 ]
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
	# ... with their quotes in place
	quotes_balanced "$BATS_TEST_TMPDIR"/groff.* "$BATS_TEST_TMPDIR"/mandoc.*
}

@test "the rendering checks catch a table groff cannot fill and a quote macro that swallows its line" {
	cat > "$BATS_TEST_TMPDIR/bad.7" <<-'EOF'
	.Dd November 28, 2026
	.Dt BAD 7
	.Os
	.Sh NAME
	.Nm bad
	.Nd a page with the two faults
	.Sh DESCRIPTION
	.Bl -column "lq-enrich(1)" "enrich" "points, tier (L1..L4), confidence (0..1)"
	.It Sy tool Ta Sy key Ta Sy fields others rely on
	.It Xr lq-enrich 1 Ta Ql enrich Ta
	email.domain, email.free, email.disposable, email.role, title.seniority,
	title.department, country.code, company (the matched row, with source
	and match)
	.El
	.Pp
	.Ql match
	.Pq Qq domain , Qq parent-domain or Qq name
	and no more.
	EOF
	run groff -K utf8 -mandoc -Tutf8 -ww -z "$BATS_TEST_TMPDIR/bad.7"
	[[ "$output" == *"can't break line"* ]]
	groff -K utf8 -mandoc -Tutf8 "$BATS_TEST_TMPDIR/bad.7" > "$BATS_TEST_TMPDIR/groff.bad"
	run quotes_balanced "$BATS_TEST_TMPDIR/groff.bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *'neither opens nor closes'* ]]
}

@test "lq.7, lq-rules.5, lq-score.1 are mandoc -Tlint clean (style)" {
	# references to the other lq pages cannot resolve before install
	for m in lq.7 lq-rules.5 lq-score.1; do
		[ -f "$TOP/man/$m" ]
		run mandoc -Tlint "$TOP/man/$m"
		echo "$output"
		[ -z "$(grep ": STYLE\|: WARNING\|: ERROR" <<< "$output" |
		    grep -v "referenced manual not found")" ]
	done
}

# count TIER ACTION pairs of scored leads on stdin
tiers_and_actions() {
	jq -r '.score.tier, .score.action' | sort -u | tr '\n' ' '
}

@test "rules/score.yaml scores examples/leads.ndjson into every tier and every action" {
	run lq-score -r "$TOP/rules/score.yaml" --now "$NOW" "$TOP/examples/leads.ndjson"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 300 ]
	got=$(printf '%s\n' "$output" | tiers_and_actions)
	echo "$got"
	[ "$got" = "L1 L2 L3 L4 nurture review route " ]
	# a disqualifier fires and its reason is given
	printf '%s\n' "$output" | grep -q '"disqualifier":"student"'
	printf '%s\n' "$output" | grep -q '"disqualifier":"competitor"'
	# no tier takes more than half of the leads
	[ -z "$(printf '%s\n' "$output" | jq -r .score.tier | sort | uniq -c |
	    awk '$1 > 150')" ]
}

@test "rules/score.yaml after lq-enrich: every tier and every action" {
	[ -x "$LQ_BIN/lq-enrich" ] || skip "lq-enrich not built"
	[ -f "$TOP/rules/enrich.yaml" ] || skip "no rules/enrich.yaml"
	lq-enrich -q -r "$TOP/rules/enrich.yaml" "$TOP/examples/leads.ndjson" > "$BATS_TEST_TMPDIR/e"
	run lq-score -r "$TOP/rules/score.yaml" --now "$NOW" "$BATS_TEST_TMPDIR/e"
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "$output" | tiers_and_actions)
	echo "$got"
	[ "$got" = "L1 L2 L3 L4 nurture review route " ]
}

@test "gen-leads.py is deterministic and writes the schema's company header" {
	# the committed examples are what the generator makes, byte for byte
	python3 "$TOP/tools/gen-leads.py" -n 300 --companies "$BATS_TEST_TMPDIR/c.csv" > "$BATS_TEST_TMPDIR/a"
	cmp "$BATS_TEST_TMPDIR/a" "$TOP/examples/leads.ndjson"
	cmp "$BATS_TEST_TMPDIR/c.csv" "$TOP/examples/companies.csv"
	[ "$(head -1 "$BATS_TEST_TMPDIR/c.csv")" = "domain,name,employees,industry,revenue_usd,funding_stage,tech,country,hq_region" ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/c.csv")" -eq 201 ]
	# 19-digit ids stepping by 7919; another seed gives other leads
	head -2 "$BATS_TEST_TMPDIR/a" | grep -c '^{"id":10000000000000\(11631\|19550\),' | grep -qx 2
	python3 "$TOP/tools/gen-leads.py" -n 20 --seed 2 > "$BATS_TEST_TMPDIR/b"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/b")" -eq 20 ]
	if head -20 "$BATS_TEST_TMPDIR/a" | cmp -s - "$BATS_TEST_TMPDIR/b"; then false; fi
}
