#!/usr/bin/env bats
# The CLI contract every lq tool shares: --help, --version, usage errors,
# write errors, broken pipes and streaming (lq(7): EXIT STATUS, STREAMING AND PARALLEL RUNS).

load helpers

R="$FIX/lq-score/rules.yaml"

tools() {
	for t in "$LQ_BIN"/lq-*; do basename "$t"; done
}

@test "every tool answers --help on stdout with status 0" {
	for t in $(tools); do
		run "$t" --help
		[ "$status" -eq 0 ] || { echo "$t: status $status"; false; }
		[[ "$output" == *"usage: $t"* ]] || { echo "$t: $output"; false; }
	done
}

@test "every tool answers -h and --version" {
	for t in $(tools); do
		run "$t" -h
		[ "$status" -eq 0 ]
		run "$t" --version
		[ "$status" -eq 0 ]
		[[ "$output" =~ ^$t\ \(lq\)\ [0-9]+\.[0-9]+ ]] || { echo "$t: $output"; false; }
	done
}

# the options a --help lists (short letter, if any, and long name) that
# the man page man does not document (as -l, -name or Fl l), one a line
undocumented() {
	local man=$1 s l
	shift
	"$@" --help | grep -E '^  (-[a-zA-Z], |    )--' |
	    sed -E 's/^  (-([a-zA-Z]), |    )--([A-Za-z0-9-]+).*/\2 \3/' |
	    while read -r s l; do
		[ -n "$l" ] || { l=$s; s=; }
		sed 's/\\-/-/g' "$man" | grep -qE -- "-$l([^a-zA-Z0-9-]|\$)" &&
		    continue
		[ -n "$s" ] && sed 's/\\-/-/g' "$man" |
		    grep -qE "Fl $s([^a-zA-Z]|\$)" && continue
		echo "--$l"
	done
}

@test "every tool: each option --help lists is documented in its man page" {
	for t in $(tools); do
		run undocumented "$TOP/man/$t.1" "$t"
		[ -z "$output" ] || { echo "$t(1) lacks: $output"; false; }
	done
	run undocumented "$TOP/man/lq-train.1" lq-train --reps
	[ -z "$output" ] || { echo "lq-train(1) lacks (--reps): $output"; false; }
	# it finds an option the page lacks
	sed '/owner/d' "$TOP/man/lq-train.1" > "$BATS_TEST_TMPDIR/t.1"
	run undocumented "$BATS_TEST_TMPDIR/t.1" lq-train --reps
	[ "$output" = "--owner" ]
}

@test "lq-csv --help lists --safe, its table's option that the old hand-written help left out" {
	run lq-csv --help
	[[ "$output" == *"      --safe             neutralise them (the default)"* ]]
}

@test "every tool refuses an unknown option with status 2 and a usage line" {
	for t in $(tools); do
		run -2 "$t" --no-such-option < /dev/null
		[[ "$output" == *"usage: $t"* ]] || { echo "$t: $output"; false; }
	done
}

@test "--help and --version to a full disk exit 3" {
	for t in $(tools); do
		run -3 sh -c "$t --version > /dev/full"
		[[ "$output" == *"$t: write error"* ]] || { echo "$t: $output"; false; }
	done
}

@test "writing to a full disk exits 3 with a message" {
	run -3 sh -c "lq-score -r '$R' '$FIX/lq-score/leads.ndjson' > /dev/full"
	[[ "$output" == "lq-score: write error: No space left on device" ]]
}

@test "a closed pipe (| head -1) ends the tool quietly" {
	python3 -c 'import sys
for i in range(200000): sys.stdout.write("{\"id\":%d,\"title\":\"VP\"}\n" % i)' > "$BATS_TEST_TMPDIR/many"
	run bash -c "set -o pipefail; lq-score -r '$R' '$BATS_TEST_TMPDIR/many' 2>'$BATS_TEST_TMPDIR/err' | head -1"
	[ "$status" -eq 141 ]
	[[ "$output" == '{"id":0,"title":"VP","score":'* ]]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "a lead written alone into a pipe comes out before the writer closes it" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	lq-score -r "$R" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	exec 7> "$BATS_TEST_TMPDIR/in"
	echo '{"id":1,"title":"VP"}' >&7
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.1
	done
	# the writer still holds the pipe open: the lead left on its own
	kill -0 "$pid"
	grep -q '^{"id":1,"title":"VP","score":' "$BATS_TEST_TMPDIR/out"
	echo '{"id":2}' >&7
	exec 7>&-
	wait "$pid"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 2 ]
}

@test "file operands and - for standard input, in order" {
	printf '{"f":1}\n' > "$BATS_TEST_TMPDIR/a"
	printf '{"f":3}\n' > "$BATS_TEST_TMPDIR/c"
	run bash -c "printf '{\"f\":2}\n' | lq-score -r '$R' '$BATS_TEST_TMPDIR/a' - '$BATS_TEST_TMPDIR/c' | cut -c1-6"
	[ "$output" = $'{"f":1\n{"f":2\n{"f":3' ]
}

@test "memory stays flat however many leads flow through" {
	sanitized && skip "RSS is not meaningful under ASan"
	python3 -c 'import sys
for i in range(20000): sys.stdout.write("{\"id\":%d,\"title\":\"VP\",\"employees\":%d}\n" % (i, i))' > "$BATS_TEST_TMPDIR/20k"
	for i in 1 2 3 4 5 6 7 8 9 10; do cat "$BATS_TEST_TMPDIR/20k"; done > "$BATS_TEST_TMPDIR/200k"
	small=$( { /usr/bin/time -f %M lq-score -r "$R" "$BATS_TEST_TMPDIR/20k" > /dev/null; } 2>&1 )
	big=$( { /usr/bin/time -f %M lq-score -r "$R" "$BATS_TEST_TMPDIR/200k" > /dev/null; } 2>&1 )
	echo "max RSS: 20k leads ${small} KB, 200k leads ${big} KB"
	[ "$big" -lt $((small + small / 5 + 1024)) ]
}

@test "a non-finite number in a rule, model, route or report file is a load error at file:line:col" {
	d=$BATS_TEST_TMPDIR
	sed 's/^\(      points: \)[0-9-]*/\11e999/' "$FIX/lq-score/rules.yaml" > "$d/score.yaml"
	run -2 lq-score -r "$d/score.yaml" < /dev/null
	[[ "$output" == "lq-score: $d/score.yaml:"*":"*": points: number out of range"* ]]
	sed 's/^intercept: {weight: [0-9.-]*/intercept: {weight: -1e400/' "$FIX/lq-train/model.yaml" > "$d/model.yaml"
	run -2 lq-score -m "$d/model.yaml" < /dev/null
	[[ "$output" == "lq-score: $d/model.yaml:"*": weight: number out of range"* ]]
	sed 's/capacity: { day: 2, week: 10 }/capacity: { day: 2, week: 1e999 }/' "$FIX/lq-route/rules.yaml" > "$d/route.yaml"
	run -2 lq-route -r "$d/route.yaml" < /dev/null
	[[ "$output" == "lq-route: $d/route.yaml:23:"*"number out of range"* ]]
	sed 's/psi_warn: 0.1/psi_warn: 1e999/' "$TOP/rules/report.yaml" > "$d/report.yaml"
	run -2 lq-report -r "$d/report.yaml" < /dev/null
	[[ "$output" == "lq-report: $d/report.yaml:50:"*"number out of range"* ]]
}

# cmd TOOL: a command line of TOOL reading NDJSON (operands follow);
# input TOOL: a good input file for it
cmd() {
	case $1 in
	lq-csv) echo "lq-csv -t" ;;
	lq-enrich) echo "lq-enrich -r $FIX/lq-enrich/enrich.yaml" ;;
	lq-score) echo "lq-score -r $R" ;;
	lq-route) echo "lq-route -r $FIX/lq-route/rules.yaml --now 2026-11-28T12:00:00Z" ;;
	lq-train) echo "lq-train -r $FIX/lq-train/lq.yaml -o /dev/null" ;;	# label: in it
	lq-report) echo "lq-report" ;;
	lq-diff) echo "lq-diff -k before -k score" ;;
	esac
}
input() {
	case $1 in
	lq-train|lq-report|lq-route|lq-enrich|lq-diff) echo "$FIX/$1/leads.ndjson" ;;
	*) echo "$FIX/lq-score/leads.ndjson" ;;
	esac
}

@test "a record nested deeper than jq reads is rejected with a message in every tool, the others go on" {
	python3 -c 'print("{\"id\":\"deep\",\"x\":" + "[" * 300 + "]" * 300 + "}")' > "$BATS_TEST_TMPDIR/deep"
	python3 -c 'print("{\"id\":\"deepobj\",\"x\":" + "{\"a\":" * 200 + "1" + "}" * 200 + "}")' >> "$BATS_TEST_TMPDIR/deep"
	python3 -c 'print("{\"id\":\"ok\",\"x\":" + "[" * 200 + "]" * 200 + "}")' >> "$BATS_TEST_TMPDIR/deep"
	for t in $(tools); do
		in=$(input "$t")
		{ head -n 2 "$in"; cat "$BATS_TEST_TMPDIR/deep"; tail -n +3 "$in"; } > "$BATS_TEST_TMPDIR/in"
		run -1 --separate-stderr $(cmd "$t") "$BATS_TEST_TMPDIR/in"
		echo "$t: $stderr"
		[[ "$stderr" == *"$t: $BATS_TEST_TMPDIR/in:3: nested too deep at byte "*": over jq's depth limit of 256"* ]]
		[[ "$stderr" == *"$t: $BATS_TEST_TMPDIR/in:4: nested too deep at byte "*": over jq's depth limit of 256"* ]]
		[[ "$stderr" != *"in:5:"* ]]
		[[ "$stderr" != *Assertion* ]]
		case $t in lq-train|lq-report|lq-diff) continue ;; esac
		# filters write every other record, in order
		n=$(wc -l < "$in")
		hdr=0
		[ "$t" != lq-csv ] || hdr=1	# lq-csv -t writes a header line
		[ "${#lines[@]}" -eq $((n + 1 + hdr)) ]
	done
}

@test "every tool: a bad record is reported as tool: file:line:, kept by --rejects, the rest processed, exit 1, one summary" {
	for t in $(tools); do
		in=$(input "$t")
		{ head -n 2 "$in"; echo '{"id": 1,'; echo '[1,2]'; tail -n +3 "$in"; } > "$BATS_TEST_TMPDIR/in"
		n=$(wc -l < "$BATS_TEST_TMPDIR/in")
		rm -f "$BATS_TEST_TMPDIR/rej"
		run -1 --separate-stderr $(cmd "$t") --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/in"
		echo "$t: $stderr"
		[[ "$stderr" == *"$t: $BATS_TEST_TMPDIR/in:3: invalid JSON at byte "* ]]
		[[ "$stderr" == *"$t: $BATS_TEST_TMPDIR/in:4: not a JSON object"* ]]
		[[ "$stderr" == *"$t: 2 of $n records rejected (kept in $BATS_TEST_TMPDIR/rej)"* ]]
		[ "$(cat "$BATS_TEST_TMPDIR/rej")" = $'{"id": 1,\n[1,2]' ]
		case $t in
		lq-csv) [ "${#lines[@]}" -eq $((n - 2 + 1)) ] ;;	# + header
		lq-train) [[ "$(head -c 30 /dev/null)" == "" ]] ;;	# model to -o
		lq-report) [[ "$output" == *"$((n - 2)) leads"* ]] ;;
		lq-diff) [[ "$output" == "$((n - 2)) leads scored two ways"* ]] ;;
		*) [ "${#lines[@]}" -eq $((n - 2)) ] ;;
		esac
		# --strict: stop at the first
		run -1 --separate-stderr $(cmd "$t") --strict "$BATS_TEST_TMPDIR/in"
		[[ "$stderr" == *"in:3:"* && "$stderr" != *"in:4:"* ]]
		[[ "$stderr" == *"$t: 1 of 3 records rejected"* ]]
		# -q: no summary
		run -1 --separate-stderr $(cmd "$t") -q "$BATS_TEST_TMPDIR/in"
		[[ "$stderr" != *"records rejected"* ]]
	done
}

@test "every tool: --rejects is not created when nothing is rejected; empty input is status 0" {
	for t in $(tools); do
		rm -f "$BATS_TEST_TMPDIR/rej"
		run -0 $(cmd "$t") --rejects "$BATS_TEST_TMPDIR/rej" "$(input "$t")"
		[ ! -e "$BATS_TEST_TMPDIR/rej" ] || { echo "$t created it"; false; }
		[ "$t" = lq-train ] || run -0 $(cmd "$t") < /dev/null
	done
}

@test "every tool: an input that cannot be read is exit 3 (output incomplete), the other inputs are processed" {
	for t in $(tools); do
		run -3 --separate-stderr $(cmd "$t") "$BATS_TEST_TMPDIR/nope" "$(input "$t")"
		[[ "$stderr" == *"$t: $BATS_TEST_TMPDIR/nope: No such file or directory"* ]] || { echo "$t: $stderr"; false; }
		case $t in
		lq-train|lq-report|lq-csv|lq-diff) ;;
		*) [ "${#lines[@]}" -eq "$(wc -l < "$(input "$t")")" ] ;;
		esac
		run -3 --separate-stderr $(cmd "$t") "$BATS_TEST_TMPDIR"
		[[ "$stderr" == *"$t: $BATS_TEST_TMPDIR: read: Is a directory"* ]]
	done
}

@test "every tool: a full disk is exit 3 with a message" {
	for t in $(tools); do
		case $t in lq-train) continue ;; esac	# writes to -o
		run -3 sh -c "$(cmd "$t") '$(input "$t")' > /dev/full"
		[[ "${lines[-1]}" == "$t: write error: No space left on device" ]] || { echo "$t: $output"; false; }
	done
	run -3 lq-train -r "$FIX/lq-train/lq.yaml" -q -o /dev/full "$FIX/lq-train/leads.ndjson"
	[[ "$output" == "lq-train: /dev/full: No space left on device" ]]
}

@test "every tool: option errors name the tool, not the path it was run by; a missing required option is named" {
	for t in $(tools); do
		run -2 "$LQ_BIN/$t" --no-such-option
		[[ "${lines[0]}" == "$t: unrecognized option '--no-such-option'" ]] || { echo "$t: $output"; false; }
		[[ "$output" != *"$LQ_BIN"* ]]
	done
	run -2 lq-csv -d
	[ "${lines[0]}" = "lq-csv: option requires an argument -- 'd'" ]
	for t in lq-score lq-enrich lq-route; do
		run -2 "$t" < /dev/null
		[[ "${lines[0]}" == "$t: -r RULES"*" is required" ]] || { echo "$t: $output"; false; }
	done
	run -2 lq-route -r "$FIX/lq-route/rules.yaml" --dry-run < /dev/null
	[ "${lines[0]}" = "lq-route: --state FILE (for --dry-run) is required" ]
	run -2 lq-train --reps --outcome .won < /dev/null
	[ "${lines[0]}" = "lq-train: --owner EXPR is required" ]
	run -2 lq-train < /dev/null
	[[ "$output" == "lq-train: no label: give --label EXPR"* ]]
}

@test "every tool: --progress shows a progress line on standard error and clears it; not by default in a pipe, never with --no-progress" {
	for t in $(tools); do
		run --separate-stderr $(cmd "$t") --progress "$(input "$t")"
		[[ "$stderr" == *"$t: "*" records, "*" MB, "*"records/s"*$'\033[K'* ]] || { echo "$t: $stderr"; false; }
		# cleared at the end: nothing of it after the last clear
		[[ "$stderr" == *$'\r\033[K'* ]]
		[[ "${stderr##*$'\r\033[K'}" != *"records/s"* ]]
		run --separate-stderr $(cmd "$t") "$(input "$t")"
		[[ "$stderr" != *"records/s"* ]]
		run --separate-stderr $(cmd "$t") --no-progress "$(input "$t")"
		[[ "$stderr" != *"records/s"* ]]
	done
	# with input of known size, the share done and the time left
	run --separate-stderr lq-score -r "$R" --progress "$FIX/lq-score/leads.ndjson"
	[[ "$stderr" == *"%, ETA "* ]]
}

@test "a line longer than 256 MiB (no newline in sight) is a bad record, not read into memory; the others go on" {
	# what | lq-score does with /dev/zero: before, memory without end
	run -1 --separate-stderr bash -c "{ echo '{\"id\":1}'; head -c 300000000 /dev/zero; printf '\n{\"id\":2}\n'; } | lq-score -r '$R'"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == '{"id":2,"score":'* ]]
	[[ "$stderr" == *"lq-score: -:2: line longer than 256 MiB (300000000 bytes or more): not read, not kept"* ]]
	sanitized && return
	head -c 300000000 /dev/zero | /usr/bin/time -o "$BATS_TEST_TMPDIR/rss" -f %M lq-score -r "$R" > /dev/null 2>&1 || true
	kb=$(tail -n 1 "$BATS_TEST_TMPDIR/rss")
	echo "max RSS $kb KB"
	[ "$kb" -lt 700000 ]
}
