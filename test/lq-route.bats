#!/usr/bin/env bats
# lq-route: each decision step, time zones and DST, PTO, capacity, the
# ledger (idempotence, dry run, concurrency, crash consistency), errors.

load helpers

R="$FIX/lq-route/rules.yaml"
B="$FIX/lq-route/bulk.yaml"
L="$FIX/lq-route/leads.ndjson"
NOW="--now 2026-11-30T15:00:00Z"	# a Monday: 16:00 in Berlin, 10:00 in New York

# route one lead given as JSON; prints the route member
route1() {
	local lead=$1; shift
	printf '%s\n' "$lead" | lq-route -r "$R" "$@" | jq -c .route
}

# lead with a country code, a tier and optional extra members
lead() {
	printf '{"id":%s,"enrich":{"country":{"code":"%s"}%s},"score":{"tier":"%s","action":"route"}%s}' \
	    "$1" "$2" "${4:-}" "${3:-L1}" "${5:-}"
}

# "id|owner" of each routed line, ids as written (jq 1.6 would round them)
idowner() {
	sed -E 's/^\{"id":([0-9]+),.*"route":\{"owner":("([^"]*)"|null),.*/\1|\3/' "$@"
}

# a test that made a directory read-only must not stop bats removing it
teardown() {
	chmod -R u+w "$BATS_TEST_TMPDIR" 2> /dev/null || true
}

gen() {	# N leads with 19-digit ids for the bulk config
	awk -v n="$1" -v o="${2:-0}" 'BEGIN { for (i = 0; i < n; i++)
	    printf "{\"id\":1000000000%09d,\"score\":{\"tier\":\"L%d\",\"action\":\"route\"}}\n",
	    (i + o) * 7919, i % 4 + 1 }'
}

@test "golden output on the fixture leads" {
	run lq-route -r "$R" $NOW "$L"
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$FIX/lq-route/expected.ndjson"
}

@test "input bytes pass through; running twice gives the bytes of once" {
	lq-route -r "$R" $NOW "$L" > "$BATS_TEST_TMPDIR/once"
	lq-route -r "$R" $NOW "$BATS_TEST_TMPDIR/once" > "$BATS_TEST_TMPDIR/twice"
	cmp "$BATS_TEST_TMPDIR/once" "$BATS_TEST_TMPDIR/twice"
	perl -pe 's/,"route":\{.*\}\}$/}/' "$BATS_TEST_TMPDIR/once" | cmp - "$L"
	grep -q '"id":1000000000000090821,' "$BATS_TEST_TMPDIR/once"
}

@test "step 1: nurture and review leads go to their queues without an owner" {
	run route1 '{"id":1,"score":{"tier":"L4","action":"nurture"}}' $NOW
	[ "$output" = '{"owner":null,"team":null,"queue":"nurture","reason":{"step":"action","action":"nurture"},"contact_by":null}' ]
	run route1 '{"id":2,"score":{"tier":"L2","action":"review"}}' $NOW
	[[ "$output" == *'"queue":"review","reason":{"step":"action"'* ]]
}

@test "step 1: a lead not scored, or with an action or tier lq-score does not write, goes to review, never to a rep" {
	db="$BATS_TEST_TMPDIR/l.db"
	cat > "$BATS_TEST_TMPDIR/in" <<-'EOF'
	{"id":1}
	{"id":2,"score":null}
	{"id":3,"score":"L1"}
	{"id":4,"score":{"tier":"L1"}}
	{"id":5,"score":{"tier":"L1","action":"Route"}}
	{"id":6,"score":{"tier":"L1","action":7}}
	{"id":7,"score":{"tier":"L9","action":"route"}}
	{"id":8,"score":{"action":"route"}}
	{"id":9,"score":{"tier":1,"action":"nurture"}}
	{"id":10,"score":{"tier":"L1","action":"route"}}
	EOF
	run -0 lq-route -r "$B" $NOW --state "$db" "$BATS_TEST_TMPDIR/in"
	[ "${#lines[@]}" -eq 10 ]
	want=(
	    '{"step":"action","action":null,"why":"not scored"}'
	    '{"step":"action","action":null,"why":"not scored"}'
	    '{"step":"action","action":null,"why":"not scored"}'
	    '{"step":"action","action":null,"why":"unknown action"}'
	    '{"step":"action","action":"Route","why":"unknown action"}'
	    '{"step":"action","action":null,"why":"unknown action"}'
	    '{"step":"action","action":"route","tier":"L9","why":"unknown tier"}'
	    '{"step":"action","action":"route","tier":null,"why":"unknown tier"}'
	    '{"step":"action","action":"nurture","tier":null,"why":"unknown tier"}'
	)
	for i in $(seq 0 8); do
		[[ "${lines[$i]}" == *'"route":{"owner":null,"team":null,"queue":"review","reason":'"${want[$i]}"',"contact_by":null,"ledger":"new"}}' ]] ||
		    { echo "line $((i + 1)): ${lines[$i]}"; false; }
	done
	[[ "${lines[9]}" == *'"route":{"owner":"'* ]]
	# in the ledger: held in the review queue, using nobody's capacity
	[ "$(sqlite3 "$db" "select count(*) from assignment where queue = 'review' and rep is null and counts = 0")" -eq 9 ]
	# once scored, the lead is decided again
	run -0 lq-route -r "$B" $NOW --state "$db" <<< '{"id":1,"score":{"tier":"L2","action":"route"}}'
	[[ "$output" == *'"route":{"owner":"'*'"ledger":"updated"}}' ]]
}

@test "step 2: the CRM owner gets the lead; an inactive or unknown owner falls through" {
	run route1 "$(lead 3 US L1 ',"company":{"owner":"Corliss Cosme"}')" $NOW
	[[ "$output" == '{"owner":"Corliss Cosme","team":"na","queue":null,"reason":{"step":"owner","source":"crm"},"contact_by":"2026-11-30T15:05:00Z"}' ]]
	run route1 "$(lead 4 DE L1 ',"company":{"owner":"Moses Frase"}')" $NOW
	[[ "$output" == '{"owner":"Anna Snelling","team":"emea",'*'"owner_skipped":{"rep":"Moses Frase","why":"inactive"},"territory":"dach"'* ]]
	run route1 "$(lead 5 DE L1 ',"company":{"owner":"Nobody Known"}')" $NOW
	[[ "$output" == *'"owner_skipped":{"rep":"Nobody Known","why":"unknown rep"}'* ]]
	# an owner outside working hours keeps the lead; contact_by follows them
	run route1 "$(lead 6 US L1 ',"company":{"owner":"Corliss Cosme"}')" --now 2026-11-30T03:00:00Z
	[[ "$output" == *'"owner":"Corliss Cosme"'*'"available":false,"available_at":"2026-11-30T14:00:00Z"},"contact_by":"2026-11-30T14:05:00Z"}' ]]
}

@test "step 2: an owner that cannot be read (an error, not a string, several) sends the lead to review, not to a territory rep" {
	# the CRM join gave a string where an object was expected: .enrich.company.owner fails
	run route1 "$(lead 60 DE L1 ',"company":"Globex"')" $NOW
	[ "$output" = '{"owner":null,"team":null,"queue":"review","reason":{"step":"owner","source":"crm","why":"owner unknown","error":"Cannot index string with string \"owner\""},"contact_by":null}' ]
	run route1 "$(lead 61 DE L1 ',"company":{"owner":42}')" $NOW
	[[ "$output" == '{"owner":null,"team":null,"queue":"review","reason":{"step":"owner","source":"crm","why":"owner not a string"}'* ]]
	run route1 "$(lead 62 DE L1 ',"company":{"owner":["Anna Snelling"]}')" $NOW
	[[ "$output" == *'"queue":"review","reason":{"step":"owner","source":"crm","why":"owner not a string"}'* ]]
	run route1 "$(lead 63 US L1 ',"email":{"domain":7}')" $NOW
	[[ "$output" == *'"queue":"review","reason":{"step":"owner","source":"accounts","why":"account key not a string"}'* ]]
	# several different owners
	f="$BATS_TEST_TMPDIR/r.yaml"
	printf 'route:\n  owner: .owners[]?\n  territories: [{ team: a }]\n  teams:\n    a: { hours: mon-sun 00:00-24:00, reps: [{ id: x }, { id: y }] }\n' > "$f"
	run -0 lq-route -r "$f" $NOW <<< '{"id":1,"owners":["x","y"],"score":{"tier":"L1","action":"route"}}'
	[[ "$output" == *'"route":{"owner":null,"team":null,"queue":"review","reason":{"step":"owner","source":"crm","why":"several owners"}'* ]]
	# the same owner twice, null and "" are no conflict; no owner at all is no owner
	run -0 lq-route -r "$f" $NOW <<< '{"id":1,"owners":["y",null,"","y"],"score":{"tier":"L1","action":"route"}}'
	[[ "$output" == *'"route":{"owner":"y","team":"a","queue":null,"reason":{"step":"owner","source":"crm"}'* ]]
	run -0 lq-route -r "$f" $NOW <<< '{"id":1,"owners":[""],"score":{"tier":"L1","action":"route"}}'
	[[ "$output" == *'"reason":{"step":"team"'* ]]
}

@test "a routing time that is not a time from 1970 to 8999 is a bad record, not a contact_by in year -219246529" {
	s='"score":{"tier":"L1","action":"route"}'
	run -1 lq-route -r "$B" --time-field t <<< "$(printf '%s\n' "{\"id\":1,\"t\":1e400,$s}" "{\"id\":2,\"t\":-5,$s}" "{\"id\":3,\"t\":\"0001-01-01\",$s}" "{\"id\":4,\"t\":1e300,$s}" "{\"id\":5,\"t\":\"2026-11-30T15:00:00Z\",$s}")"
	[[ "$output" == *"lq-route: -:1: routing time inf is out of range (from 1970 to 8999)"* ]]
	[[ "$output" == *"lq-route: -:2: routing time -5 is out of range (from 1970 to 8999)"* ]]
	[[ "$output" == *"lq-route: -:3: routing time -6.21356e+10 is out of range"* ]]
	[[ "$output" == *"lq-route: -:4: routing time 1e+297 is out of range"* ]]
	[[ "$output" == *'{"id":5,'*'"contact_by":"2026-11-30T15:05:00Z"}}'* ]]
	[ "$(grep -c '"route"' <<< "$output")" -eq 1 ]
	run -2 lq-route -r "$B" --now 1e300 < /dev/null
	[ "$output" = "lq-route: --now: out of range (from 1970 to 8999): '1e300'" ]
}

@test "step 3: territory rules in order choose the team; no match goes to the fallback queue" {
	run route1 "$(lead 7 JP)" --now 2026-12-01T01:00:00Z
	[[ "$output" == '{"owner":"Hayden Neloms","team":"apac",'*'"territory":"japan"'* ]]
	run route1 "$(lead 8 BR L3)" $NOW
	[ "$output" = '{"owner":null,"team":null,"queue":"unassigned","reason":{"step":"fallback","territory":null},"contact_by":"2026-11-30T19:00:00Z"}' ]
	# a condition that fails at run time is unknown, named, and skipped
	run route1 '{"id":9,"enrich":{"country":"DE"},"score":{"tier":"L1","action":"route"}}' $NOW
	[[ "$output" == *'"unknown":["dach","japan","us"],"territory":null'* ]]
}

@test "step 4: best win rate for the segment, shrunk towards the team rate" {
	# software: Violet 27/30 beats Corliss (no software deals: team rate)
	run route1 "$(lead 10 US L1 ',"company":{"industry":"software"}')" $NOW
	[[ "$output" == '{"owner":"Violet Mclelland",'*'"segment":"software","candidates":2,"win_rate":0.8917,"support":30,"team_rate":0.8667'* ]]
	# retail: Corliss 16/20 beats Violet 3/10
	run route1 "$(lead 11 US L1 ',"company":{"industry":"retail"}')" $NOW
	[[ "$output" == '{"owner":"Corliss Cosme",'*'"segment":"retail"'*'"support":20'* ]]
	# the shrunk rate follows from the counts: (won + k*team) / (n + k), k = 10,
	# the team's retail rate itself shrunk towards its overall rate 46/60
	want=$(awk 'BEGIN { t = (19 + 10 * 46/60) / 40; printf "%.4f", (16 + 10*t) / 30 }')
	[[ "$output" == *"\"win_rate\":$want,"* ]]
}

@test "step 4: load balancing weight spreads equal reps; tie-break is deterministic" {
	gen 8 | lq-route -r "$B" $NOW | jq -r .route.owner | sort | uniq -c > "$BATS_TEST_TMPDIR/a"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/a")" -eq 4 ]
	awk '$1 != 2 { exit 1 }' "$BATS_TEST_TMPDIR/a"
	gen 8 | lq-route -r "$B" $NOW > "$BATS_TEST_TMPDIR/1"
	gen 8 | lq-route -r "$B" $NOW > "$BATS_TEST_TMPDIR/2"
	cmp "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2"
}

@test "step 5: nobody available now: first rep available later, contact_by from the tier SLA" {
	# Friday 13:00 in Tokyo: Hayden works fridays until 12:00 -> Monday 09:00 JST
	run route1 "$(lead 12 JP L2)" --now 2026-12-04T04:00:00Z
	[[ "$output" == *'"step":"next_available","territory":"japan","available_at":"2026-12-07T00:00:00Z"'*'"contact_by":"2026-12-07T01:00:00Z"}' ]]
}

@test "paused reps get nothing; PTO moves the rep's next availability past the PTO" {
	gen 40 | sed 's/"score"/"enrich":{"country":{"code":"DE"}},"score"/' |
	    lq-route -r "$R" $NOW | jq -r .route.owner | sort | uniq -c > "$BATS_TEST_TMPDIR/o"
	cat "$BATS_TEST_TMPDIR/o"
	! grep -q "Cecily Lampkin" "$BATS_TEST_TMPDIR/o"
	! grep -q "Moses Frase" "$BATS_TEST_TMPDIR/o"
	# day capacity 2 each, counted at routing time; Versie (PTO to Dec 2
	# inclusive) takes hers for after the PTO
	grep -q " 2 Anna Snelling" "$BATS_TEST_TMPDIR/o"
	grep -q " 2 Versie Hillebrand" "$BATS_TEST_TMPDIR/o"
	grep -q " 36 null" "$BATS_TEST_TMPDIR/o"
	# Anna takes two, then Versie (on PTO) gets the third for Thursday
	run -0 sh -c "{ $(printf "echo '%s';" "$(lead 13 AT L3)" "$(lead 14 AT L3)" "$(lead 15 AT L3)") } | lq-route -r '$R' --now 2026-12-01T10:00:00Z | tail -1 | jq -c .route"
	[[ "$output" == '{"owner":"Versie Hillebrand",'*'"available_at":"2026-12-03T08:00:00Z"'* ]]
	# on the first day after the PTO she is available at once
	run route1 "$(lead 14 AT L3)" --now 2026-12-03T08:00:00Z
	[[ "$output" == *'"step":"team"'* ]]
}

@test "DST: a rep in America/New_York on the mornings clocks change" {
	w='{"id":20,"source":"weekend","score":{"tier":"L1","action":"route"}}'
	# spring forward (2026-03-08): 12:30Z is 08:30 EDT, inside sun 08:00-12:00
	run route1 "$w" --now 2026-03-08T12:30:00Z
	[[ "$output" == '{"owner":"Zane Levy","team":"weekend","queue":null,"reason":{"step":"team"'*'"contact_by":"2026-03-08T12:35:00Z"}' ]]
	# 11:30Z is 07:30 EDT: not yet; 08:00 EDT is 12:00Z (not 13:00Z as in EST)
	run route1 "$w" --now 2026-03-08T06:00:00Z
	[[ "$output" == *'"step":"next_available","territory":"weekend","available_at":"2026-03-08T12:00:00Z"'* ]]
	# fall back (2026-11-01): 12:30Z is 07:30 EST; 08:00 EST is 13:00Z
	run route1 "$w" --now 2026-11-01T12:30:00Z
	[[ "$output" == *'"available_at":"2026-11-01T13:00:00Z"'* ]]
	run route1 "$w" --now 2026-11-01T13:00:00Z
	[[ "$output" == *'"step":"team"'* ]]
	# the day before fall back, 12:30Z is still 08:30 EDT
	run route1 "$w" --now 2026-10-25T12:30:00Z
	[[ "$output" == *'"step":"team"'* ]]
}

@test "capacity exactly reached: in the ledger across runs, within the run without it" {
	db="$BATS_TEST_TMPDIR/l.db"
	for i in 1 2; do
		run route1 "$(lead 10$i DE)" $NOW --state "$db"
		[[ "$output" == '{"owner":"Anna Snelling",'* ]]
	done
	[ "$(sqlite3 "$db" "select count(*) from assignment where rep = 'Anna Snelling'")" -eq 2 ]
	run route1 "$(lead 103 DE)" $NOW --state "$db"
	[[ "$output" != *'"owner":"Anna Snelling"'* ]]
	[[ "$output" == *'"owner":"Versie Hillebrand"'* ]]
	# the next day Anna has room again
	run route1 "$(lead 104 DE)" --now 2026-12-01T09:00:00Z --state "$db"
	[[ "$output" == '{"owner":"Anna Snelling",'*'"load":{"day":0,"week":2}'* ]]
	# without a ledger each run starts from zero
	for i in 1 2 3; do
		run route1 "$(lead 10$i DE)" $NOW
		[[ "$output" == '{"owner":"Anna Snelling",'* ]]
	done
}

@test "ledger: schema, WAL, every assignment recorded with its reason" {
	db="$BATS_TEST_TMPDIR/l.db"
	lq-route -r "$R" $NOW --state "$db" "$L" > /dev/null
	[ "$(sqlite3 "$db" 'pragma user_version')" = 1 ]
	[ "$(sqlite3 "$db" 'pragma journal_mode')" = wal ]
	[ "$(sqlite3 "$db" 'select count(*) from assignment')" -eq "$(wc -l < "$L")" ]
	[ "$(sqlite3 "$db" 'select count(*) from log')" -eq "$(wc -l < "$L")" ]
	run sqlite3 "$db" "select rep, team, queue, tier, step, at from assignment where lead_id = '1000000000000027469'"
	[ "$output" = "Corliss Cosme|na||L1|owner|1796050800" ]
	run sqlite3 "$db" "select json_extract(route, '$.reason.territory') from assignment where lead_id = '1000000000000043307'"
	[ "$output" = dach ]
	# lead ids are exact text: these two are one double but two leads
	printf '%s\n' '{"id":1000000000000000001}' '{"id":1000000000000000002}' '{"id":"lead-\u00e9"}' |
	    lq-route -r "$B" $NOW --state "$db" > /dev/null
	[ "$(sqlite3 "$db" "select count(*) from assignment where lead_id in ('1000000000000000001', '1000000000000000002', 'lead-é')")" -eq 3 ]
}

@test "idempotent: a lead in the ledger keeps its owner; --reassign routes it again" {
	db="$BATS_TEST_TMPDIR/l.db"
	lq-route -r "$R" $NOW --state "$db" "$L" > "$BATS_TEST_TMPDIR/1"
	lq-route -r "$R" --now 2026-12-02T15:00:00Z --state "$db" "$L" > "$BATS_TEST_TMPDIR/2"
	sed 's/"ledger":"new"/"ledger":"existing"/' "$BATS_TEST_TMPDIR/1" | cmp - "$BATS_TEST_TMPDIR/2"
	[ "$(sqlite3 "$db" 'select count(*) from log')" -eq "$(wc -l < "$L")" ]
	lq-route -r "$R" --now 2026-12-01T09:00:00Z --state "$db" --reassign "$L" > "$BATS_TEST_TMPDIR/3"
	[ "$(grep -c '"ledger":"reassigned"' "$BATS_TEST_TMPDIR/3")" -eq "$(wc -l < "$L")" ]
	[ "$(sqlite3 "$db" "select count(*) from log where action = 'reassign'")" -eq "$(wc -l < "$L")" ]
	# a reassigned lead does not count twice against its old rep
	[ "$(sqlite3 "$db" "select count(*) from assignment where rep = 'Anna Snelling'")" -le 2 ]
}

@test "determinism: same input and ledger, same output" {
	db="$BATS_TEST_TMPDIR/l.db"
	gen 50 | lq-route -r "$R" $NOW --state "$db" > /dev/null
	cp "$db" "$BATS_TEST_TMPDIR/copy.db"
	gen 100 | sed 's/"score"/"enrich":{"country":{"code":"US"}},"score"/' > "$BATS_TEST_TMPDIR/in"
	lq-route -r "$R" $NOW --state "$db" "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/1"
	lq-route -r "$R" $NOW --state "$BATS_TEST_TMPDIR/copy.db" "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/2"
	cmp "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2"
}

@test "--dry-run reads the ledger and writes nothing" {
	db="$BATS_TEST_TMPDIR/l.db"
	run -0 lq-route -r "$R" $NOW --state "$BATS_TEST_TMPDIR/none.db" --dry-run "$L"
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
	[[ "$output" == *'"ledger":"dry-run"}}'* ]]
	head -3 "$L" | lq-route -r "$R" $NOW --state "$db" > /dev/null
	sum=$(sqlite3 "$db" 'select count(*), group_concat(lead_id) from log')
	run -0 lq-route -r "$R" $NOW --state "$db" --dry-run "$L"
	[ "$(grep -c '"ledger":"existing"' <<< "$output")" -eq 3 ]
	[ "$(grep -c '"ledger":"dry-run"' <<< "$output")" -eq 8 ]
	[ "$(sqlite3 "$db" 'select count(*), group_concat(lead_id) from log')" = "$sum" ]
}

@test "concurrency: 4 processes, 4000 leads, one ledger: each lead once, no capacity exceeded" {
	db="$BATS_TEST_TMPDIR/l.db"
	gen 4000 > "$BATS_TEST_TMPDIR/in"
	split -n l/4 "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/part."
	# the same leads again from a fifth process racing the others
	for p in "$BATS_TEST_TMPDIR"/part.*; do
		lq-route -r "$B" $NOW --state "$db" --commit 50 "$p" > "$p.out" &
	done
	lq-route -r "$B" $NOW --state "$db" --commit 7 "$BATS_TEST_TMPDIR/part.ab" > "$BATS_TEST_TMPDIR/again" &
	wait
	[ "$(sqlite3 "$db" 'select count(*), count(distinct lead_id) from assignment')" = "4000|4000" ]
	[ "$(sqlite3 "$db" 'select count(*) from log')" -eq 4000 ]
	[ "$(sqlite3 "$db" 'select max(n) from (select count(*) n from assignment where counts = 1 group by rep)')" -eq 250 ]
	[ "$(sqlite3 "$db" 'select count(*) from assignment where rep is not null')" -eq 1000 ]
	# what each process printed is what the ledger holds
	cat "$BATS_TEST_TMPDIR"/part.*.out | idowner | sort > "$BATS_TEST_TMPDIR/printed"
	sqlite3 "$db" "select lead_id || '|' || ifnull(rep, '') from assignment" | sort > "$BATS_TEST_TMPDIR/held"
	cmp "$BATS_TEST_TMPDIR/printed" "$BATS_TEST_TMPDIR/held"
	idowner "$BATS_TEST_TMPDIR/again" | sort | comm -23 - "$BATS_TEST_TMPDIR/held" > "$BATS_TEST_TMPDIR/diff"
	[ ! -s "$BATS_TEST_TMPDIR/diff" ]
}

@test "kill -9 in the middle leaves a consistent ledger holding every lead already written" {
	db="$BATS_TEST_TMPDIR/l.db"
	n=12000; sanitized && n=4000
	gen $n > "$BATS_TEST_TMPDIR/in"
	lq-route -r "$B" $NOW --state "$db" --commit 64 "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	for i in $(seq 200); do
		[ -s "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.02
	done
	kill -9 $pid 2>/dev/null || true
	wait $pid || true
	[ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
	[ "$(sqlite3 "$db" 'select count(*) from log')" -eq "$(sqlite3 "$db" 'select count(*) from assignment')" ]
	[ "$(sqlite3 "$db" 'select ifnull(max(n), 0) from (select count(*) n from assignment where counts = 1 group by rep)')" -le 250 ]
	# every complete line written was committed first, with the same owner
	grep '}$' "$BATS_TEST_TMPDIR/out" | idowner | sort > "$BATS_TEST_TMPDIR/printed"
	sqlite3 "$db" "select lead_id || '|' || ifnull(rep, '') from assignment" | sort > "$BATS_TEST_TMPDIR/held"
	[ "$(comm -23 "$BATS_TEST_TMPDIR/printed" "$BATS_TEST_TMPDIR/held" | wc -l)" -eq 0 ]
	# and a second run completes the job without assigning anything twice
	lq-route -r "$B" $NOW --state "$db" "$BATS_TEST_TMPDIR/in" > /dev/null
	[ "$(sqlite3 "$db" 'select count(*) from assignment')" -eq $n ]
	[ "$(sqlite3 "$db" 'select count(*) from log')" -eq $n ]
}

@test "live: a lead arriving alone is committed, then written at once" {
	db="$BATS_TEST_TMPDIR/l.db"
	mkfifo "$BATS_TEST_TMPDIR/in"
	lq-route -r "$B" $NOW --state "$db" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	exec 8> "$BATS_TEST_TMPDIR/in"
	gen 1 >&8
	for i in $(seq 250); do
		[ -s "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.02
	done
	[ -s "$BATS_TEST_TMPDIR/out" ]
	# the process still runs, and the assignment is already committed
	kill -0 $pid
	[ "$(sqlite3 "$db" 'select count(*) from assignment')" -eq 1 ]
	exec 8>&-
	wait $pid
}

@test "--time-field routes back-fills at each lead's own time" {
	run route1 '{"id":30,"created_at":"2026-03-08T12:30:00Z","source":"weekend","score":{"tier":"L1","action":"route"}}' --time-field created_at
	[[ "$output" == *'"step":"team"'*'"contact_by":"2026-03-08T12:35:00Z"}' ]]
	run -1 lq-route -r "$R" --time-field created_at <<< '{"id":31}'
	[[ "$output" == *'-:1: no time in member '"'created_at'"* ]]
}

@test "bad records: no id with a ledger, invalid JSON; the others are routed" {
	db="$BATS_TEST_TMPDIR/l.db"
	run -1 lq-route -r "$B" $NOW --state "$db" --rejects "$BATS_TEST_TMPDIR/rej" <<< $'{"name":"x"}\n{"id":7}\nnot json\n{"id":[1]}'
	[[ "$output" == *"lq-route: -:1: no lead id (a string or number in member 'id')"* ]]
	[[ "$output" == *"lq-route: -:3: invalid JSON"* ]]
	[[ "$output" == *'"id":7,"route":{"owner":'* ]]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/rej")" -eq 3 ]
	run -0 lq-route -r "$B" $NOW --state "$db" --id-field name <<< '{"name":"x"}'
	[ "$(sqlite3 "$db" "select count(*) from assignment where lead_id in ('x', '7')")" -eq 2 ]
}

@test "rule file errors exit 2 with file:line:col before reading input" {
	f="$BATS_TEST_TMPDIR/r.yaml"
	printf 'route:\n  teams:\n    a:\n      reps:\n        - { id: x, tz: Mars/Olympus }\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:5:24: tz: unknown time zone 'Mars/Olympus'"* ]]
	printf 'route:\n  teams:\n    a:\n      reps:\n        - { id: x, hours: "mon-fri 9-17" }\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:5:"*"hours: expected lines such as 'mon-fri 09:00-17:00'"* ]]
	printf 'route:\n  teams:\n    a:\n      reps: [{ id: x, capacty: 3 }]\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:4:"*"capacty"*"did you mean 'capacity'"* ]]
	printf 'route:\n  territories:\n    - { if: ".a ==", team: a }\n  teams:\n    a: { reps: [{ id: x }] }\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:3:"*"jq: "* ]]
	printf 'route:\n  territories:\n    - { team: b }\n  teams:\n    a: { reps: [{ id: x }] }\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:3:15: territory: no team 'b'"* ]]
	run -2 lq-route -r "$R" --dry-run < /dev/null
	[[ "$output" == *usage:* ]]
	run -2 lq-route -r "$R" --now yesterday < /dev/null
	printf 'version: 1\nreps:\n  by_rep:\n    "a":\n      al: {n: 1}\n' > "$BATS_TEST_TMPDIR/p.yaml"
	run -2 lq-route -r "$R" --performance "$BATS_TEST_TMPDIR/p.yaml" < /dev/null
	[[ "$output" == *"p.yaml:5:7: unknown key 'al' in rep (did you mean 'all'?)"* ]]
}

@test "numbers that make no sense are refused at load, at file:line:col, with the allowed range" {
	f="$BATS_TEST_TMPDIR/r.yaml"
	# $1: a line of the route section, $2: rep settings; $3: the message
	bad() {
		printf 'route:\n  %s\n  teams:\n    a:\n      reps: [{ id: x%s }]\n' "$1" "$2" > "$f"
		run -2 lq-route -r "$f" < /dev/null
		[ "$output" = "lq-route: $f:$3" ] || { echo "got: $output"; echo "want: $3"; false; }
	}
	bad 'id_field: id' ', capacity: { day: -5 }' "5:40: capacity day must be between 0 and 1000000, not -5"
	bad 'id_field: id' ', capacity: { week: 2.5 }' "5:41: capacity week must be a whole number, not 2.5"
	bad 'id_field: id' ', capacity: { day: 1e7 }' "5:40: capacity day must be between 0 and 1000000, not 1e7"
	bad 'defaults: { capacity: { week: -1 } }' '' "2:33: capacity week must be between 0 and 1000000, not -1"
	bad 'sla: { L1: 0 }' '' "2:14: sla L1 must be above 0 and at most 365d, not 0"
	bad 'sla: { default: 400d }' '' "2:19: sla default must be above 0 and at most 365d, not 400d"
	bad 'sla: { L2: -5m }' '' "2:14: sla L2 must be a duration such as 14d, 36h or 90m, not '-5m'"
	bad 'weights: { performance: -1 }' '' "2:27: weights performance must be >= 0, not -1"
	bad 'weights: { load: -0.5 }' '' "2:20: weights load must be >= 0, not -0.5"
	bad 'weights: { load_scale: 0 }' '' "2:26: load_scale must be above 0 (leads a day that make a full load), not 0"
	bad 'prior: -3' '' "2:10: prior must be >= 0, not -3"
	bad 'id_field: ""' '' "2:3: id_field and score_key must not be null or empty"
	bad 'id_field: id' ', pto: [{ from: 2026-02-30, to: 2026-03-02 }]' "5:37: pto: no such date: '2026-02-30' (a date from 1970-01-01 to 9999-12-31)"
	bad 'id_field: id' ', pto: [{ from: "1e300", to: 2026-03-02 }]' "5:37: pto: time out of range: '1e300' (from 1970 to 9999)"
	bad 'id_field: id' ', hours: "mon-fri -0:30-17:00"' "5:30: hours: expected lines such as 'mon-fri 09:00-17:00', not 'mon-fri -0:30-17:00'"
	# limits themselves are fine: no cap, 0, a leap day, 24:00
	printf 'route:\n  sla: { L1: 365d }\n  teams:\n    a:\n      reps: [{ id: x, capacity: { day: 0, week: ~ }, hours: "mon-sun 0:00-24:00", pto: [{ from: 2028-02-29, to: 2028-02-29 }] }]\n' > "$f"
	run -0 lq-route -r "$f" < /dev/null
	# the performance file: a prior and counts, won within n
	printf 'route:\n  territories: [{ team: a }]\n  teams:\n    a:\n      reps: [{ id: x }]\n' > "$f"
	p="$BATS_TEST_TMPDIR/p.yaml"
	printf 'reps:\n  prior: -1\n  by_rep: {}\n' > "$p"
	run -2 lq-route -r "$f" --performance "$p" < /dev/null
	[ "$output" = "lq-route: $p:2:10: prior must be >= 0, not -1" ]
	printf 'reps:\n  by_rep:\n    x: { all: { n: 3, won: 5 } }\n' > "$p"
	run -2 lq-route -r "$f" --performance "$p" < /dev/null
	[ "$output" = "lq-route: $p:3:28: won (5) must not be above n (3)" ]
	printf 'reps:\n  by_rep:\n    x: { all: { n: 3.5, won: 1 } }\n' > "$p"
	run -2 lq-route -r "$f" --performance "$p" < /dev/null
	[ "$output" = "lq-route: $p:3:20: n must be a whole number, not 3.5" ]
}

# names and sizes of the files in a directory, and the bytes of each
snapshot() {
	(cd "$1" && ls -a && find . -type f ! -name '*.orig' -exec md5sum {} + | sort)
}

@test "a ledger of another schema version is refused with exit 2, before anything is written" {
	db="$BATS_TEST_TMPDIR/d/l.db"
	mkdir "$BATS_TEST_TMPDIR/d"
	# a ledger of a later lq-route: in rollback-journal mode, then in WAL mode
	for mode in delete wal; do
		rm -f "$db"
		lq-route -r "$R" $NOW --state "$db" < "$L" > /dev/null
		sqlite3 "$db" "pragma journal_mode = $mode; pragma user_version = 7" > /dev/null
		before=$(snapshot "$BATS_TEST_TMPDIR/d")
		run -2 lq-route -r "$R" --state "$db" < "$L"
		[ "$output" = "lq-route: $db: ledger schema version 7 is not supported (this lq-route knows 1)" ]
		# not even switched to WAL: the same bytes, no -wal or -shm file
		[ "$(snapshot "$BATS_TEST_TMPDIR/d")" = "$before" ]
		run -2 lq-route -r "$R" --state "$db" --dry-run < "$L"
		[ "$output" = "lq-route: $db: ledger schema version 7 is not supported (this lq-route knows 1)" ]
		[ "$(snapshot "$BATS_TEST_TMPDIR/d")" = "$before" ]
		[ "$(sqlite3 "$db" 'pragma journal_mode')" = "$mode" ]
	done
}

@test "--state on a database lq-route did not create is refused, byte for byte unchanged; an empty file becomes a ledger" {
	d="$BATS_TEST_TMPDIR/d"
	mkdir "$d"
	sqlite3 "$d/crm.db" 'create table accounts(domain, owner); insert into accounts values ("globex.com", "ann")'
	sqlite3 "$d/app.db" 'pragma journal_mode = wal; create table t(x); insert into t values (1)' > /dev/null
	sqlite3 "$d/other.db" 'pragma application_id = 42'
	sqlite3 "$d/seven.db" 'pragma user_version = 7; create table t(x)'
	printf 'not a database\n' > "$d/notes.db"
	before=$(snapshot "$d")
	for f in crm app other seven notes; do
		for dry in "" --dry-run; do
			run -2 lq-route -r "$R" $NOW --state "$d/$f.db" $dry < "$L"
			[[ "$output" == "lq-route: $d/$f.db: not an lq-route ledger ("*"); lq-route changes no "*" it did not create" ]] ||
			    { echo "$f $dry: $output"; false; }
		done
	done
	[ "$(snapshot "$d")" = "$before" ]
	[ "$(sqlite3 "$d/crm.db" 'pragma journal_mode; select count(*) from sqlite_master')" = "$(printf 'delete\n1')" ]
	# a new path or an empty file (touch) is the ledger's to make
	: > "$d/empty.db"
	run -0 lq-route -r "$R" $NOW --state "$d/empty.db" --dry-run < "$L"
	[ ! -s "$d/empty.db" ]
	run -0 lq-route -r "$R" $NOW --state "$d/empty.db" < "$L"
	[ "$(sqlite3 "$d/empty.db" 'pragma application_id; pragma user_version; select count(*) from assignment')" = "$(printf '1819374196\n1\n%d' "$(wc -l < "$L")")" ]
	# a ledger of version 1 made before the application_id is still one
	sqlite3 "$d/empty.db" 'pragma application_id = 0'
	run -0 lq-route -r "$R" $NOW --state "$d/empty.db" --dry-run < "$L"
	[ "$(grep -c '"ledger":"existing"' <<< "$output")" -eq "$(wc -l < "$L")" ]
	run -0 lq-route -r "$R" $NOW --state "$d/empty.db" < "$L"
	[ "$(sqlite3 "$d/empty.db" 'pragma application_id')" = 1819374196 ]
}

@test "--dry-run creates and changes nothing, also in a read-only directory, and sees a running writer's commits" {
	d="$BATS_TEST_TMPDIR/d"
	mkdir "$d"
	head -3 "$L" | lq-route -r "$R" $NOW --state "$d/l.db" > /dev/null
	before=$(snapshot "$d")
	chmod a-w "$d" "$d/l.db"
	# as root chmod stops nothing: then the snapshot alone proves it
	if [ "$(id -u)" -ne 0 ]; then
		! touch "$d/x" 2> /dev/null
	fi
	run -0 lq-route -r "$R" $NOW --state "$d/l.db" --dry-run "$L"
	chmod u+w "$d" "$d/l.db"
	[ "$(grep -c '"ledger":"existing"' <<< "$output")" -eq 3 ]
	[ "$(grep -c '"ledger":"dry-run"' <<< "$output")" -eq "$(($(wc -l < "$L") - 3))" ]
	[ "$(snapshot "$d")" = "$before" ]
	# while a writer has the ledger open, its commits are in the -wal file
	mkfifo "$BATS_TEST_TMPDIR/in"
	lq-route -r "$B" $NOW --state "$d/l.db" < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	exec 8> "$BATS_TEST_TMPDIR/in"
	echo '{"id":"live-1"}' >&8
	for i in $(seq 250); do
		[ -s "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.02
	done
	[ -s "$BATS_TEST_TMPDIR/out" ]
	[ -e "$d/l.db-wal" ]
	run -0 lq-route -r "$B" $NOW --state "$d/l.db" --dry-run <<< '{"id":"live-1"}'
	exec 8>&-
	wait $pid
	[[ "$output" == *'"ledger":"existing"}}' ]]
}

@test "man page examples run as written" {
	cd "$TOP"
	sed -n '/^\.Bd -literal/,/^\.Ed/p' man/lq-route.1 | grep '^\$ ' | sed 's/^\$ //' > "$BATS_TEST_TMPDIR/ex"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/ex")" -ge 4 ]
	for d in rules test examples; do ln -s "$TOP/$d" "$BATS_TEST_TMPDIR/$d"; done
	while IFS= read -r cmd; do
		echo "example: $cmd"
		(cd "$BATS_TEST_TMPDIR" && bash -ec "set -o pipefail; $cmd") > "$BATS_TEST_TMPDIR/exout"
		[ -s "$BATS_TEST_TMPDIR/exout" ] || [[ "$cmd" == *'> '* ]]
	done < "$BATS_TEST_TMPDIR/ex"
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/route.db" 'select count(*) from assignment')" -eq "$(wc -l < "$FIX/lq-route/leads.ndjson")" ]
	grep -q '"Violet Mclelland":' "$BATS_TEST_TMPDIR/reps.yaml"
	mandoc -Tlint -Wwarning man/lq-route.1
}

@test "lq-train --reps: win rates with support, shrunk; the fixture perf.yaml is its output" {
	run -0 lq-train -q --reps --owner .rep --segment .segment --outcome .won --prior 10 "$FIX/lq-route/history.ndjson"
	diff <(echo "$output") "$FIX/lq-route/perf.yaml"
	[[ "$output" == *'  rows: 60'*'  skipped: 5'*'"retail": {n: 30, won: 19, rate: 0.6333, shrunk: 0.6667}'* ]]
	[[ "$output" == *'"Corliss Cosme":'*'all: {n: 20, won: 16, rate: 0.8, shrunk: 0.7889}'* ]]
	# shrunk = (won + k * base) / (n + k), base = overall 46/60
	want=$(awk 'BEGIN { printf "%.4f", (16 + 10 * 46/60) / 30 }')
	[ "$want" = 0.7889 ]
	run -2 lq-train --reps --owner '.rep |' --outcome .won < /dev/null
	[[ "$output" == *"--owner:1:"*"jq: "* ]]
	run -2 lq-train --reps --owner .rep < /dev/null
	[[ "$output" == *usage:* ]]
	run -1 lq-train -q --reps --owner .rep --outcome .won <<< $'{"rep":"a","won":true}\n[1]'
	[[ "$output" == *"lq-train: -:2: not a JSON object"* ]]
	[[ "$output" == *'"a":'* ]]
}

@test "maven: 35 agents, 6 managers, 3 offices; agents without deals get the team rate and leads" {
	need_shared maven-crm-sales-opportunities
	M="$SHARED/data/maven-crm-sales-opportunities"
	cd "$BATS_TEST_TMPDIR"
	sh "$TOP/tools/gen-route-maven.sh" "$M/sales_teams.csv" | diff - "$TOP/rules/route-maven.yaml"
	[ "$(grep -c '        - { id: ' "$TOP/rules/route-maven.yaml")" -eq 35 ]
	[ "$(grep -c '# manager' "$TOP/rules/route-maven.yaml")" -eq 6 ]
	[ "$(grep -o '# manager .*office' "$TOP/rules/route-maven.yaml" | awk '{ print $(NF-1) }' | sort -u | wc -l)" -eq 3 ]
	# closed deals with the account's sector as the segment
	mlr --icsv --ojsonl join --ur -j account -f "$M/accounts.csv" "$M/sales_pipeline.csv" > hist.ndjson
	lq-train -q --reps --owner .sales_agent --segment '.sector // "unknown"' \
	    --outcome 'if .deal_stage == "Won" then true elif .deal_stage == "Lost" then false else null end' \
	    hist.ndjson > reps.yaml
	grep -q '  rows: 6711' reps.yaml
	grep -q '  overall: {n: 6711, won: 4238, rate: 0.6315}' reps.yaml
	[ "$(grep -c '^    "[^"]*":$' reps.yaml)" -eq 30 ]
	# leads: the 85 accounts, US ones spread over states of the three offices
	mlr --icsv --ojsonl cat "$M/accounts.csv" | jq -c --slurp '
	    {"Belgium":"BE","Brazil":"BR","China":"CN","Germany":"DE","Italy":"IT",
	     "Japan":"JP","Jordan":"JO","Kenya":"KE","Korea":"KR","Norway":"NO",
	     "Panama":"PA","Philipines":"PH","Poland":"PL","Romania":"RO",
	     "United States":"US"} as $cc
	    | ["NY","IL","CA","MA","TX","WA","GA","MN","OR"] as $st
	    | to_entries[] | .key as $i | .value as $a
	    | {id: "acct-\($i)",
	       region: (if $a.office_location == "United States" then $st[$i % 9] else null end),
	       enrich: {country: {code: $cc[$a.office_location]},
	                company: {name: $a.account, industry: $a.sector, employees: $a.employees}},
	       score: {tier: (["L1","L2","L3"][$i % 3]), action: "route"}}' > leads.ndjson
	[ "$(wc -l < leads.ndjson)" -eq 85 ]
	lq-route -r "$TOP/rules/route-maven.yaml" --performance reps.yaml --now 2026-11-30T17:00:00Z \
	    --state maven.db leads.ndjson > out.ndjson
	# every lead owned, by a rep of the team its territory chose
	[ "$(jq -r .route.owner out.ndjson | grep -vc null)" -eq 85 ]
	[ "$(sqlite3 maven.db 'select count(distinct team) from assignment')" -eq 6 ]
	# the five agents without deals: support 0 and exactly the team's rate
	for a in "Mei-Mei Johns" "Elizabeth Anderson" "Natalya Ivanova" "Carol Thompson" "Carl Lin"; do
		! grep -q "\"$a\":" reps.yaml
		jq -c --arg a "$a" 'select(.route.owner == $a) | .route.reason' out.ndjson > new.json
		if [ -s new.json ]; then
			jq -e 'select(.support != 0 or .win_rate != .team_rate)' new.json && false
		fi
	done
	# not starved: together they get leads; not flooded: none above the busiest rep with history
	new=$(jq -r '.route.owner' out.ndjson | grep -cE '^(Mei-Mei Johns|Elizabeth Anderson|Natalya Ivanova|Carol Thompson|Carl Lin)$')
	[ "$new" -ge 5 ]
	most_new=$(jq -r .route.owner out.ndjson | grep -E '^(Mei-Mei Johns|Elizabeth Anderson|Natalya Ivanova|Carol Thompson|Carl Lin)$' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
	most_old=$(jq -r .route.owner out.ndjson | grep -vE '^(Mei-Mei Johns|Elizabeth Anderson|Natalya Ivanova|Carol Thompson|Carl Lin)$' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
	[ "$most_new" -le "$most_old" ]
}

@test "a lead held in a queue is decided again when its score changes; an owned lead keeps its owner" {
	db="$BATS_TEST_TMPDIR/l.db"
	nurture='{"id":40,"enrich":{"country":{"code":"DE"}},"score":{"tier":"L4","action":"nurture"}}'
	hot='{"id":40,"enrich":{"country":{"code":"DE"}},"score":{"tier":"L1","action":"route"}}'
	run route1 "$nurture" $NOW --state "$db"
	[[ "$output" == '{"owner":null,"team":null,"queue":"nurture",'*'"ledger":"new"}' ]]
	run route1 "$nurture" --now 2026-12-01T15:00:00Z --state "$db"
	[[ "$output" == *'"contact_by":null,"ledger":"existing"}' ]]
	run route1 "$hot" $NOW --state "$db"
	[[ "$output" == '{"owner":"Anna Snelling",'*'"ledger":"updated"}' ]]
	run route1 "$nurture" $NOW --state "$db"
	[[ "$output" == '{"owner":"Anna Snelling",'*'"ledger":"existing"}' ]]
	[ "$(sqlite3 "$db" "select group_concat(action || ':' || ifnull(rep, queue)) from log where lead_id = '40'")" = "assign:nurture,reassign:Anna Snelling" ]
}

@test "with a ledger: a full disk exits 3, a closed pipe ends quietly, the ledger stays sound" {
	db="$BATS_TEST_TMPDIR/l.db"
	run -3 sh -c "lq-route -r '$R' $NOW --state '$db' '$L' > /dev/full"
	[ "$output" = "lq-route: write error: No space left on device" ]
	gen 3000 > "$BATS_TEST_TMPDIR/in"
	run bash -c "set -o pipefail; lq-route -r '$B' $NOW --state '$db' '$BATS_TEST_TMPDIR/in' 2> '$BATS_TEST_TMPDIR/err' | head -1"
	[ "$status" -eq 141 ]
	[[ "$output" == '{"id":1000000000000000000,"score":'* ]]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
	[ "$(sqlite3 "$db" "select count(*) from assignment where lead_id = '1000000000000000000'")" -eq 1 ]
}

@test "step 2 from an accounts table named in the route config" {
	run route1 "$(lead 50 US L1 ',"email":{"domain":"globex.com"}')" $NOW
	[[ "$output" == '{"owner":"Corliss Cosme","team":"na","queue":null,"reason":{"step":"owner","source":"accounts"},'* ]]
	# the owner expression (the join done by lq-enrich) comes first
	run route1 "$(lead 51 US L1 ',"email":{"domain":"globex.com"},"company":{"owner":"Violet Mclelland"}')" $NOW
	[[ "$output" == '{"owner":"Violet Mclelland",'*'"source":"crm"'* ]]
	run route1 "$(lead 52 DE L1 ',"email":{"domain":"left.example"}')" $NOW
	[[ "$output" == *'"owner_skipped":{"rep":"Moses Frase","why":"inactive"}'* ]]
	f="$BATS_TEST_TMPDIR/r.yaml"
	printf 'route:\n  accounts: { path: nope.csv, key: domain, match: .d }\n  teams: { a: { reps: [{ id: x }] } }\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:2:21: accounts: cannot read"* ]]
	printf 'domain,rep\nx.com,x\n' > "$BATS_TEST_TMPDIR/a.csv"
	printf 'route:\n  accounts: { path: a.csv, key: domain, match: .d }\n  teams: { a: { reps: [{ id: x }] } }\n' > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"accounts: "*"a.csv has no column 'owner'"* ]]
}

@test "accounts: a misquoted or ragged row of the accounts table is a load error at its line, not an owner lost or merged" {
	d=$BATS_TEST_TMPDIR
	cp "$FIX/lq-route/rules.yaml" "$FIX/lq-route/perf.yaml" "$d/"
	printf 'domain,owner\na.com,Ann\nb.com,"B\nc.com,C\n' > "$d/accounts.csv"
	run -2 lq-route -r "$d/rules.yaml" < /dev/null
	[[ "$output" == "lq-route: $d/accounts.csv:3: unterminated quoted field"* ]]
	printf 'domain,owner\na.com,Ann\nb.com\nc.com,C\n' > "$d/accounts.csv"
	run -2 lq-route -r "$d/rules.yaml" < /dev/null
	[ "$output" = "lq-route: $d/accounts.csv:3: expected 2 fields, found 1" ]
}

# --- issue 15: a backlog, one owner per person and account, SLAs that act ---

P="$FIX/lq-route/prio.yaml"
S="$FIX/lq-route/sweep.yaml"

# N leads of tier T with points P from id O on ("id" numbers)
tiered() {
	awk -v n="$1" -v t="$2" -v p="$3" -v o="$4" 'BEGIN { for (i = 0; i < n; i++)
	    printf "{\"id\":%d,\"score\":{\"tier\":\"%s\",\"action\":\"route\",\"points\":%s}}\n", o + i, t, p }'
}

# "tier placed?" counts of routed lines
placed() {
	jq -r '[.score.tier, (.route.owner != null)] | @tsv' "$@" | sort | uniq -c | awk '{ printf "%s:%s:%s ", $2, $3, $1 }'
}

@test "priority: 200 L4 before 50 L1, capacity 60: the 50 L1 go to reps first; output in input order" {
	{ tiered 200 L4 20 1; tiered 50 L1 90 201; } > "$BATS_TEST_TMPDIR/in"
	run -0 lq-route -r "$P" $NOW "$BATS_TEST_TMPDIR/in"
	echo "$output" > "$BATS_TEST_TMPDIR/out"
	[ "$(placed "$BATS_TEST_TMPDIR/out")" = "L1:true:50 L4:false:190 L4:true:10 " ]
	# byte for byte the input, in its order, with the member added
	perl -pe 's/,"route":\{.*\}\}$/}/' "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/in"
	# standard input: a regular file, a pipe that ends at once, --batch
	lq-route -r "$P" $NOW < "$BATS_TEST_TMPDIR/in" | cmp - "$BATS_TEST_TMPDIR/out"
	cat "$BATS_TEST_TMPDIR/in" | lq-route -r "$P" $NOW --batch | cmp - "$BATS_TEST_TMPDIR/out"
	# --stream decides in arrival order: the L4 leads take the capacity
	run -0 lq-route -r "$P" $NOW --stream "$BATS_TEST_TMPDIR/in"
	[ "$(placed <<< "$output")" = "L1:false:50 L4:false:140 L4:true:60 " ]
}

@test "priority: within a tier the higher probability or points first, then arrival" {
	{ tiered 40 L2 10 1; tiered 40 L2 70 41; } > "$BATS_TEST_TMPDIR/in"
	run -0 lq-route -r "$P" $NOW "$BATS_TEST_TMPDIR/in"
	# 60 places: the 40 at 70 points, then ids 1-20 in arrival order
	[ "$(jq -r 'select(.route.owner != null) | .id' <<< "$output" | tr '\n' ' ')" = "$(seq 1 20 | tr '\n' ' ')$(seq 41 80 | tr '\n' ' ')" ]
	# a model's probability, when the score has one, before points
	{ tiered 59 L1 90 1; printf '{"id":%d,"score":{"tier":"L2","action":"route","probability":%s,"points":50}}\n' 60 0.2 61 0.9 62 0.5; } > "$BATS_TEST_TMPDIR/in"
	run -0 lq-route -r "$P" $NOW "$BATS_TEST_TMPDIR/in"
	[ "$(jq -r 'select(.route.owner == null) | .id' <<< "$output" | tr '\n' ' ')" = "60 62 " ]
	# nurture and review leads take no capacity, whatever their order
	printf '%s\n' '{"id":1,"score":{"tier":"L4","action":"nurture"}}' '{"id":2,"score":{"tier":"L1","action":"review"}}' '{"id":3,"score":{"tier":"L2","action":"route"}}' > "$BATS_TEST_TMPDIR/q"
	run -0 lq-route -r "$P" $NOW "$BATS_TEST_TMPDIR/q"
	[ "$(jq -r '.route.queue // .route.owner' <<< "$output" | tr '\n' ' ')" = "nurture review Cecily Lampkin " ]
}

@test "priority across days with --state: yesterday's unplaced L1 go before today's L3 and L4" {
	db="$BATS_TEST_TMPDIR/l.db"
	tiered 80 L1 90 1 > "$BATS_TEST_TMPDIR/mon"
	{ tiered 200 L4 20 101; tiered 30 L3 40 301; } > "$BATS_TEST_TMPDIR/tue"
	run -0 lq-route -r "$P" --now 2026-11-30T10:00:00Z --state "$db" "$BATS_TEST_TMPDIR/mon"
	[ "$(placed <<< "$output")" = "L1:false:20 L1:true:60 " ]
	[ "$(sqlite3 "$db" "select count(*), min(tier), max(tier) from pending")" = "20|L1|L1" ]
	run -0 --separate-stderr lq-route -r "$P" --now 2026-12-01T10:00:00Z --state "$db" --pending "$BATS_TEST_TMPDIR/placed" "$BATS_TEST_TMPDIR/tue"
	echo "$output" > "$BATS_TEST_TMPDIR/out"
	[ "$stderr" = "lq-route: 20 leads pending from earlier runs: 20 placed" ]
	[ "$(placed "$BATS_TEST_TMPDIR/out")" = "L3:true:30 L4:false:190 L4:true:10 " ]
	perl -pe 's/,"route":\{.*\}\}$/}/' "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/tue"
	# the 20 L1 of Monday were placed on Tuesday, before any L3
	[ "$(wc -l < "$BATS_TEST_TMPDIR/placed")" -eq 20 ]
	[ "$(jq -r '.route.ledger' "$BATS_TEST_TMPDIR/placed" | sort -u)" = updated ]
	[ "$(sqlite3 "$db" "select count(*) from assignment where tier = 'L1' and rep is not null and at = strftime('%s', '2026-12-01T10:00:00Z')")" -eq 20 ]
	[ "$(sqlite3 "$db" "select count(*) from pending where tier = 'L1'")" -eq 0 ]
	[ "$(sqlite3 "$db" "select count(*) from pending")" -eq 190 ]
	# Tuesday's capacity: 60 in all, 20 L1 + 30 L3 + 10 L4
	[ "$(sqlite3 "$db" "select count(*) from assignment where counts = 1 and at = strftime('%s', '2026-12-01T10:00:00Z')")" -eq 60 ]
}

@test "duplicates: the same person by normalised e-mail goes to the rep who has them, recorded in the ledger" {
	db="$BATS_TEST_TMPDIR/l.db"
	cat > "$BATS_TEST_TMPDIR/in" <<-'EOF'
	{"id":1,"email":"Jane.Doe+news@Acme.example","score":{"tier":"L2","action":"route"}}
	{"id":2,"email":" jane.doe@ACME.example ","score":{"tier":"L3","action":"route"}}
	{"id":3,"email":"j.o.e@gmail.com","score":{"tier":"L3","action":"route"}}
	{"id":4,"email":"JOE+x@googlemail.com","score":{"tier":"L3","action":"route"}}
	{"id":5,"email":"jo.e@yahoo.example","score":{"tier":"L3","action":"route"}}
	{"id":6,"email":"joe@yahoo.example","score":{"tier":"L3","action":"route"}}
	{"id":7,"email":"not an address","score":{"tier":"L3","action":"route"}}
	{"id":8,"email":"not an address","score":{"tier":"L3","action":"route"}}
	EOF
	run -0 lq-route -r "$P" $NOW --state "$db" --stream "$BATS_TEST_TMPDIR/in"
	[ "${#lines[@]}" -eq 8 ]
	[ "$(sqlite3 "$db" "select lead_id, step, duplicate_of, counts from assignment where step = 'duplicate' order by 1")" = "$(printf '2|duplicate|1|0\n4|duplicate|3|0')" ]
	[ "$(sqlite3 "$db" "select group_concat(email_key, ' ') from (select email_key from assignment order by lead_id)")" = "jane.doe@acme.example jane.doe@acme.example joe@gmail.com joe@gmail.com jo.e@yahoo.example joe@yahoo.example" ]
	# same rep, same reason in the record as in the ledger
	[ "$(jq -c 'select(.id == 2) | .route.reason' <<< "$output")" = '{"step":"duplicate","duplicate_of":"1","match":"email"}' ]
	[ "$(sqlite3 "$db" "select count(distinct rep) from assignment where lead_id in ('1', '2')")" -eq 1 ]
	[ "$(sqlite3 "$db" "select count(distinct rep) from assignment where lead_id in ('3', '4')")" -eq 1 ]
	[ "$(sqlite3 "$db" "select duplicate_of from log where lead_id = '4'")" = 3 ]
	# the same id again is the existing assignment, not a duplicate
	run -0 lq-route -r "$P" $NOW --state "$db" "$BATS_TEST_TMPDIR/in"
	[ "$(jq -r .route.ledger <<< "$output" | sort -u)" = existing ]
	# a paused rep does not get the duplicate: it is routed, the skip said
	sed 's/{ id: Anna Snelling }/{ id: Anna Snelling, paused: true }/; s/{ id: Cecily Lampkin }/{ id: Cecily Lampkin, paused: true }\n        - { id: Versie Hillebrand }/' "$P" > "$BATS_TEST_TMPDIR/p.yaml"
	printf '%s\n' '{"id":9,"email":"JANE.DOE@acme.example","score":{"tier":"L1","action":"route"}}' > "$BATS_TEST_TMPDIR/nine"
	run -0 lq-route -r "$BATS_TEST_TMPDIR/p.yaml" $NOW --state "$db" "$BATS_TEST_TMPDIR/nine"
	[[ "$output" == *'"owner":"Versie Hillebrand"'*'"duplicate_skipped":{"lead":"1","rep":"'*'","why":"paused"}'* ]]
}

@test "accounts: a colleague at the same company goes to the account's rep within the window; free mail is no company" {
	db="$BATS_TEST_TMPDIR/l.db"
	cat > "$BATS_TEST_TMPDIR/in" <<-'EOF'
	{"id":1,"email":"ann@globex.example","enrich":{"email":{"domain":"globex.example","free":false}},"score":{"tier":"L1","action":"route"}}
	{"id":2,"email":"bob@globex.example","enrich":{"email":{"domain":"globex.example","free":false}},"score":{"tier":"L3","action":"route"}}
	{"id":3,"email":"cy@gmail.com","enrich":{"email":{"domain":"gmail.com","free":true}},"score":{"tier":"L3","action":"route"}}
	{"id":4,"email":"di@gmail.com","enrich":{"email":{"domain":"gmail.com","free":true}},"score":{"tier":"L3","action":"route"}}
	{"id":5,"email":"ed@globex.co.example","enrich":{"account":{"domain":"globex.example","account_id":"A-1"},"email":{"domain":"globex.co.example","free":false}},"score":{"tier":"L4","action":"route"}}
	EOF
	run -0 lq-route -r "$P" $NOW --state "$db" "$BATS_TEST_TMPDIR/in"
	[ "$(sqlite3 "$db" "select lead_id || ':' || step || ':' || ifnull(account_key, '-') from assignment order by lead_id" | tr '\n' ' ')" = "1:team:globex.example 2:account:globex.example 3:team:- 4:team:- 5:account:globex.example " ]
	[ "$(sqlite3 "$db" "select count(distinct rep) from assignment where lead_id in ('1', '2', '5')")" -eq 1 ]
	[ "$(jq -c 'select(.id == 2) | .route.reason' <<< "$output")" = '{"step":"account","account":"globex.example","account_lead":"1"}' ]
	[ "$(sqlite3 "$db" "select counts from assignment where lead_id = '2'")" -eq 1 ]
	# 91 days later the account has gone cold (window 90d): a team decision
	printf '%s\n' '{"id":6,"email":"fay@globex.example","enrich":{"email":{"domain":"globex.example","free":false}},"score":{"tier":"L3","action":"route"}}' > "$BATS_TEST_TMPDIR/six"
	run -0 lq-route -r "$P" --now 2027-03-01T15:00:00Z --state "$db" "$BATS_TEST_TMPDIR/six"
	[[ "$output" == *'"reason":{"step":"team"'* ]]
	# a window of 100d keeps it warm; duplicates: false turns both rules off
	{ cat "$P"; printf '  duplicates: { window: 100d }\n'; } > "$BATS_TEST_TMPDIR/w.yaml"
	run -0 lq-route -r "$BATS_TEST_TMPDIR/w.yaml" --now 2027-03-01T15:00:00Z --state "$db" --dry-run "$BATS_TEST_TMPDIR/six"
	[[ "$output" == *'"reason":{"step":"team"'* ]]	# 6 is in the ledger now: existing
	printf '%s\n' '{"id":7,"email":"gus@globex.example","enrich":{"email":{"domain":"globex.example","free":false}},"score":{"tier":"L3","action":"route"}}' > "$BATS_TEST_TMPDIR/seven"
	run -0 lq-route -r "$BATS_TEST_TMPDIR/w.yaml" --now 2027-03-01T15:00:00Z --state "$db" --dry-run "$BATS_TEST_TMPDIR/seven"
	[[ "$output" == *'"reason":{"step":"account","account":"globex.example","account_lead":"6"}'* ]]
	{ cat "$P"; printf '  duplicates: false\n'; } > "$BATS_TEST_TMPDIR/off.yaml"
	run -0 lq-route -r "$BATS_TEST_TMPDIR/off.yaml" $NOW --state "$BATS_TEST_TMPDIR/off.db" "$BATS_TEST_TMPDIR/in"
	[ "$(jq -r .route.reason.step <<< "$output" | sort -u)" = team ]
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/off.db" "select count(*) from assignment where email_key is null and account_key is null")" -eq 5 ]
}

@test "contact_by counts the rep's working time: hours, weekends, holidays (list and .ics), PTO; queues have their own SLA" {
	lead() { printf '{"id":1,"score":{"tier":"%s","action":"%s"}}\n' "$1" "${2:-route}"; }
	by() { lead "$@" | lq-route -r "$S" --now "$T" | jq -r .route.contact_by; }
	T=2026-11-30T15:30:00Z	# Monday
	[ "$(by L1)" = 2026-11-30T16:30:00Z ]
	[ "$(by L2)" = 2026-12-01T11:30:00Z ]	# 1.5h today, 2.5h on Tuesday
	[ "$(by L3)" = 2026-12-01T15:30:00Z ]	# one working day
	[ "$(by L4)" = 2026-12-04T15:30:00Z ]	# Thursday is a holiday
	[ "$(by L1 review)" = 2026-11-30T19:30:00Z ]	# the review queue: 4h
	[ "$(by L4 nurture)" = null ]
	T=2026-12-04T16:30:00Z	# Friday evening: Monday
	[ "$(by L1)" = 2026-12-07T09:30:00Z ]
	[ "$(by L3)" = 2026-12-07T16:30:00Z ]
	T=2026-12-05T12:00:00Z	# Saturday: from Monday 09:00
	[ "$(by L3)" = 2026-12-08T09:00:00Z ]
	# an .ics calendar of all-day events on top (events with a time are not days off)
	sed 's|holidays: \["2026-12-03"\]|holidays: ["2026-12-03", ../../../test/fixtures/lq-route/holidays.ics]|' "$S" > "$BATS_TEST_TMPDIR/s.yaml"
	sed -i "s|\.\./\.\./\.\./test/fixtures|$FIX|" "$BATS_TEST_TMPDIR/s.yaml"
	T=2026-12-23T15:30:00Z	# Wednesday before Christmas: 24-26 off
	[ "$(lead L3 | lq-route -r "$BATS_TEST_TMPDIR/s.yaml" --now $T | jq -r .route.contact_by)" = 2026-12-28T15:30:00Z ]
	T=2026-12-21T15:30:00Z
	[ "$(lead L3 | lq-route -r "$BATS_TEST_TMPDIR/s.yaml" --now $T | jq -r .route.contact_by)" = 2026-12-22T15:30:00Z ]
	# a rep's own holiday and a team's add to the company's
	sed 's|- { id: Anna Snelling }|- { id: Anna Snelling, holidays: ["2026-12-01"] }|; s|- { id: Cecily Lampkin }|- { id: Cecily Lampkin, paused: true }|; s|- { id: Versie Hillebrand }|- { id: Versie Hillebrand, paused: true }|' "$S" > "$BATS_TEST_TMPDIR/r.yaml"
	T=2026-11-30T15:30:00Z
	[ "$(lead L3 | lq-route -r "$BATS_TEST_TMPDIR/r.yaml" --now $T | jq -r .route.contact_by)" = 2026-12-02T15:30:00Z ]
	# a holiday that is not a date is a load error at its place
	sed 's|"2026-12-03"|"2026-12-32"|' "$S" > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 lq-route -r "$BATS_TEST_TMPDIR/bad.yaml" --now $T /dev/null
	[ "$output" = "lq-route: $BATS_TEST_TMPDIR/bad.yaml:10:16: holidays: not a date (YYYY-MM-DD, from 1970) or an .ics file: '2026-12-32'" ]
}

@test "SLAs: --contacts then --sweep over a simulated week: reassigns exactly the leads past their deadline, never to the same rep, escalates after 2; a second sweep changes nothing" {
	db="$BATS_TEST_TMPDIR/l.db"
	cat > "$BATS_TEST_TMPDIR/mon" <<-'EOF'
	{"id":1,"score":{"tier":"L1","action":"route"}}
	{"id":2,"score":{"tier":"L2","action":"route"}}
	{"id":3,"score":{"tier":"L3","action":"route"}}
	{"id":4,"score":{"tier":"L4","action":"route"}}
	{"id":5,"score":{"tier":"L1","action":"review"}}
	EOF
	run -0 lq-route -r "$S" --now 2026-11-30T15:30:00Z --state "$db" "$BATS_TEST_TMPDIR/mon"
	# lead 1 is called in time; lead 3 is called, but after its deadline
	printf '%s\n' '{"lead_id":"1","at":"2026-11-30T15:50:00Z","rep":"x","outcome":"connected"}' \
	    '{"id":3,"at":"2026-12-01T16:30:00Z"}' '{"id":9}' > "$BATS_TEST_TMPDIR/contacts"
	run -1 lq-route --state "$db" --contacts "$BATS_TEST_TMPDIR/contacts"
	[[ "$output" == *"contacts:3: no contact time"* ]]
	[ "$(sqlite3 "$db" "select lead_id, datetime(at, 'unixepoch'), rep, outcome from contact order by seq")" = "$(printf '1|2026-11-30 15:50:00|x|connected\n3|2026-12-01 16:30:00||')" ]
	sweep() { lq-route -r "$S" --state "$db" --sweep --now "$1" 2> /dev/null | jq -r '[.id, .route.reason.previous, .route.owner // .route.queue, .route.reason.step, .route.reason.misses] | join(":")' | tr '\n' ' '; }
	[ "$(sweep 2026-11-30T17:00:00Z)" = "" ]
	[ "$(sweep 2026-12-01T11:29:00Z)" = "" ]
	# Tuesday 16:00: lead 2 (11:30) and 3 (15:30, called at 16:30: too late)
	out=$(sweep 2026-12-01T16:00:00Z)
	[[ "$out" == "2:"*":"*":sweep:1 3:"*":"*":sweep:1 " ]]
	[ "$(sweep 2026-12-01T16:00:00Z)" = "" ]	# the same time again: nothing
	# never the same rep
	[ "$(sqlite3 "$db" "select count(*) from log a join log b on a.lead_id = b.lead_id and b.seq < a.seq and a.rep = b.rep where a.action = 'sweep'")" -eq 0 ]
	# lead 3's contact came before its new deadline (Wednesday 16:00)
	had=$(sqlite3 "$db" "select rep from assignment where lead_id = '2'")
	[ "$(sweep 2026-12-02T16:00:00Z)" = "2:$had:Mia Manager:escalate:2 " ]
	[ "$(sweep 2026-12-02T16:00:00Z)" = "" ]
	# lead 4 (three working days, Thursday off): Friday 15:30
	[ "$(sweep 2026-12-04T15:29:00Z)" = "" ]
	out=$(sweep 2026-12-04T15:30:00Z)
	[[ "$out" == "4:Anna Snelling:"*":sweep:1 " || "$out" == "4:"*":sweep:1 " ]]
	[ "$(sweep 2026-12-04T15:30:00Z)" = "" ]
	# the ledger: each sweep logged, each escalation once, misses counted
	[ "$(sqlite3 "$db" "select action, count(*) from log group by 1 order by 1" | tr '\n' ' ')" = "assign|5 escalate|1 sweep|3 " ]
	[ "$(sqlite3 "$db" "select misses, step, ifnull(rep, queue) from assignment where lead_id = '2'")" = "2|escalate|Mia Manager" ]
	[ "$(sqlite3 "$db" "select count(*) from assignment where contact_by is null and rep is not null")" -eq 0 ]
}

@test "SLAs: escalation goes to the escalation queue without a manager, and when nobody else is left" {
	db="$BATS_TEST_TMPDIR/l.db"
	sed '/manager:/d; s/after: 2/after: 5/' "$S" > "$BATS_TEST_TMPDIR/s.yaml"
	printf '%s\n' '{"id":1,"score":{"tier":"L1","action":"route"}}' > "$BATS_TEST_TMPDIR/in"
	lq-route -r "$BATS_TEST_TMPDIR/s.yaml" --now 2026-11-30T10:00:00Z --state "$db" "$BATS_TEST_TMPDIR/in" > /dev/null
	for t in 11:00 12:00 13:00; do
		lq-route -r "$BATS_TEST_TMPDIR/s.yaml" --state "$db" --sweep --now 2026-11-30T$t:00Z > "$BATS_TEST_TMPDIR/$t" 2> /dev/null
	done
	# three reps: two reassignments, then nobody who has not held it
	[ "$(jq -r .route.reason.step "$BATS_TEST_TMPDIR/11:00" "$BATS_TEST_TMPDIR/12:00" "$BATS_TEST_TMPDIR/13:00" | tr '\n' ' ')" = "sweep sweep escalate " ]
	[ "$(jq -r '[.route.queue, .route.reason.why, .route.contact_by] | join(" ")' "$BATS_TEST_TMPDIR/13:00")" = "escalation nobody else available 2026-11-30T15:00:00Z" ]
	[ "$(sqlite3 "$db" "select count(distinct rep) from log where lead_id = '1'")" -eq 3 ]
}

@test "SLAs: a sweep running beside 2 routers loses and doubles nothing (4000 leads)" {
	db="$BATS_TEST_TMPDIR/l.db"
	gen 4000 > "$BATS_TEST_TMPDIR/in"
	split -n l/2 "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/part."
	for p in "$BATS_TEST_TMPDIR"/part.*; do
		lq-route -r "$B" --now 2026-11-30T10:00:00Z --state "$db" --commit 50 "$p" > "$p.out" &
	done
	: > "$BATS_TEST_TMPDIR/swept"
	for i in $(seq 20); do
		lq-route -q -r "$B" --state "$db" --sweep --now 2026-11-30T11:00:00Z >> "$BATS_TEST_TMPDIR/swept"
	done
	wait
	lq-route -q -r "$B" --state "$db" --sweep --now 2026-11-30T11:00:00Z >> "$BATS_TEST_TMPDIR/swept"
	[ "$(cat "$BATS_TEST_TMPDIR"/part.*.out | wc -l)" -eq 4000 ]
	[ "$(sqlite3 "$db" 'select count(*), count(distinct lead_id) from assignment')" = "4000|4000" ]
	[ "$(sqlite3 "$db" "select count(*), count(distinct lead_id) from log where action = 'assign'")" = "4000|4000" ]
	# every L1 lead with a rep (5 minutes) was swept exactly once at 11:00
	want=$(cat "$BATS_TEST_TMPDIR"/part.*.out | jq -r 'select(.route.owner != null and .score.tier == "L1") | .id' | sort)
	[ -n "$want" ]
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/swept" | sort)" = "$(jq -r .id "$BATS_TEST_TMPDIR/swept" | sort -u)" ]
	[ "$(sqlite3 "$db" "select lead_id from log where action in ('sweep', 'escalate') and rep is not null or action = 'escalate' order by 1" | sort)" = "$(jq -r .id "$BATS_TEST_TMPDIR/swept" | sort)" ]
	[ "$(sqlite3 "$db" "select lead_id from log where action = 'sweep' and tier = 'L1'" | sort)" = "$(sqlite3 "$db" "select lead_id from log where action = 'sweep' and tier = 'L1'" | sort -u)" ]
	[ "$(sqlite3 "$db" "select count(*) from log a join log b on a.lead_id = b.lead_id and b.seq < a.seq and a.rep = b.rep where a.action = 'sweep'")" -eq 0 ]
	# no capacity exceeded by the reassignments
	[ "$(sqlite3 "$db" 'select max(n) from (select count(*) n from assignment where counts = 1 group by rep)')" -le 250 ]
}

# --- issue 15, item 5: the account roll-up ---

U="$FIX/lq-route/rollup.yaml"

# a lead of an account: ID E-MAIL DEPARTMENT SENIORITY TIER [ACTION]
alead() {
	local dom=${2#*@}
	printf '{"id":%s,"email":"%s","enrich":{"email":{"domain":"%s","free":false},"title":{"department":"%s","seniority":"%s"}},"score":{"tier":"%s","action":"%s"}}\n' \
	    "$1" "$2" "$dom" "$3" "$4" "$5" "${6:-route}"
}

@test "roll-up: each lead carries its account's state from the ledger and the batch so far; one row of aggregates per account, checked in SQL" {
	db="$BATS_TEST_TMPDIR/l.db"
	{ alead 1 ann@globex.example marketing manager L3
	  alead 2 bob@globex.example it unknown L4
	  alead 3 raj@initech.example it director L3
	  alead 4 Ann+news@Globex.example marketing manager L4 nurture
	  alead 5 cy@globex.example unknown unknown L4 review; } > "$BATS_TEST_TMPDIR/in"
	run -0 lq-route -r "$U" $NOW --state "$db" --stream "$BATS_TEST_TMPDIR/in"
	echo "$output" > "$BATS_TEST_TMPDIR/out"
	# the state after each lead, in arrival order: 10 a contact, 10 a
	# department, 5 a seniority, the best tier's points; "unknown" is no
	# department, the same person (normalised e-mail) no second contact,
	# queue leads count
	[ "$(jq -r '[.id, .route.account.key, .route.account.contacts, .route.account.best_tier, (.route.account.departments | join(",")), (.route.account.seniorities | join(",")), .route.account.score] | @tsv' "$BATS_TEST_TMPDIR/out")" = "$(printf '1\tglobex.example\t1\tL3\tmarketing\tmanager\t35\n2\tglobex.example\t2\tL3\tit,marketing\tmanager\t55\n3\tinitech.example\t1\tL3\tit\tdirector\t35\n4\tglobex.example\t2\tL3\tit,marketing\tmanager\t55\n5\tglobex.example\t3\tL3\tit,marketing\tmanager\t65')" ]
	[ "$(jq -c '.route.account' <<< "$(sed -n 2p "$BATS_TEST_TMPDIR/out")")" = '{"key":"globex.example","contacts":2,"engaged":0,"best_tier":"L3","departments":["it","marketing"],"seniorities":["manager"],"score":55,"threshold":80,"owner":null}' ]
	# the input's bytes, then lq's member
	perl -pe 's/,"route":\{.*\}\}$/}/' "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/in"
	# the ledger: one row per account, never the leads themselves
	[ "$(sqlite3 "$db" "select account_key, contacts, engaged, best_tier, departments, seniorities, score, ifnull(owner, '-') from account order by 1")" = "$(printf 'globex.example|3|0|L3|["it","marketing"]|["manager"]|65.0|-\ninitech.example|1|0|L3|["it"]|["director"]|35.0|-')" ]
	[ "$(sqlite3 "$db" "select count(*) from pragma_table_info('account') where name in ('line', 'route', 'email', 'lead_id')")" -eq 0 ]
	# engaged: a contact on a lead of the account (--contacts), each person
	# once (4 is ann again), a lead of no account changes nothing
	printf '%s\n' '{"lead_id":"1","at":"2026-11-30T15:10:00Z","outcome":"connected"}' '{"lead_id":"4","at":"2026-11-30T15:20:00Z"}' '{"lead_id":"1","at":"2026-11-30T15:30:00Z"}' '{"lead_id":"2","at":"2026-11-30T15:40:00Z"}' '{"lead_id":"99","at":"2026-11-30T15:40:00Z"}' > "$BATS_TEST_TMPDIR/c"
	run -0 lq-route --state "$db" --contacts "$BATS_TEST_TMPDIR/c"
	[ "$(sqlite3 "$db" "select account_key || ':' || engaged from account order by 1" | tr '\n' ' ')" = "globex.example:2 initech.example:0 " ]
	# the next lead sees them: 4 contacts + 2 engaged + 2 departments +
	# 1 seniority + L3 = 40 + 40 + 20 + 5 + 10; initech: 2 contacts, 2
	# departments, 2 seniorities, L1 = 20 + 20 + 10 + 30
	{ alead 6 dee@globex.example unknown unknown L4; alead 7 eve@initech.example sales vp L1; } > "$BATS_TEST_TMPDIR/in2"
	run -0 lq-route -r "$U" $NOW --state "$db" "$BATS_TEST_TMPDIR/in2"
	[ "$(jq -r '[.id, .route.account.contacts, .route.account.engaged, .route.account.score] | @tsv' <<< "$output")" = "$(printf '6\t4\t2\t115\n7\t2\t0\t80')" ]
	# a lead already in the ledger is not counted again; it shows the
	# account as it is now
	run -0 lq-route -r "$U" $NOW --state "$db" "$BATS_TEST_TMPDIR/in"
	[ "$(jq -r '[.id, .route.ledger, .route.account.contacts] | @tsv' <<< "$output" | sed -n 1p)" = "$(printf '1\texisting\t4')" ]
	[ "$(sqlite3 "$db" "select contacts from account where account_key = 'globex.example'")" -eq 4 ]
	# --dry-run shows the state with the lead and writes nothing
	alead 8 fay@globex.example legal unknown L4 > "$BATS_TEST_TMPDIR/eight"
	sum=$(sqlite3 "$db" "select group_concat(account_key || contacts || departments || score || ifnull(owner, '')) from account")
	run -0 lq-route -r "$U" $NOW --state "$db" --dry-run "$BATS_TEST_TMPDIR/eight"
	[ "$(jq -r '[.route.account.contacts, (.route.account.departments | length)] | @tsv' <<< "$output")" = "$(printf '5\t3')" ]
	[ "$(sqlite3 "$db" "select group_concat(account_key || contacts || departments || score || ifnull(owner, '')) from account")" = "$sum" ]
	# without rollup: no account member, no account row
	run -0 lq-route -r "$P" $NOW --state "$BATS_TEST_TMPDIR/p.db" "$BATS_TEST_TMPDIR/in"
	[ "$(jq -r '.route | has("account")' <<< "$output" | sort -u)" = false ]
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/p.db" "select count(*) from account")" -eq 0 ]
}

@test "roll-up: at the threshold the whole account goes to one rep, from that lead on, in this batch and the next runs" {
	db="$BATS_TEST_TMPDIR/l.db"
	# globex crosses 80 at its 4th lead: 4 contacts + 4 departments + 1
	# seniority + L3 = 40 + 40 + 5 + 10; its rep (the account step's) owns it
	{ alead 1 ann@globex.example marketing manager L3
	  alead 2 bob@globex.example it unknown L3
	  alead 3 raj@initech.example it director L3
	  alead 4 cy@globex.example finance unknown L3
	  alead 5 dee@globex.example sales unknown L3
	  alead 6 eve@globex.example legal unknown L4; } > "$BATS_TEST_TMPDIR/in"
	run -0 lq-route -r "$U" $NOW --state "$db" --stream "$BATS_TEST_TMPDIR/in"
	echo "$output" > "$BATS_TEST_TMPDIR/out"
	o1=$(jq -r 'select(.id == 1) | .route.owner' "$BATS_TEST_TMPDIR/out")
	[ "$(jq -r '[.id, .route.reason.step, .route.account.score, (.route.account.owner // "-"), (.route.account.crossed // false)] | @tsv' "$BATS_TEST_TMPDIR/out")" = "$(printf '1\tteam\t35\t-\tfalse\n2\taccount\t55\t-\tfalse\n3\tteam\t35\t-\tfalse\n4\taccount\t75\t-\tfalse\n5\taccount\t95\t%s\ttrue\n6\trollup\t115\t%s\tfalse' "$o1" "$o1")" ]
	owner=$(sqlite3 "$db" "select owner from account where account_key = 'globex.example'")
	[ -n "$owner" ]
	[ "$(sqlite3 "$db" "select count(distinct rep) || ':' || min(rep) from assignment where account_key = 'globex.example'")" = "1:$owner" ]
	[ "$(sqlite3 "$db" "select owner_at from account where account_key = 'globex.example'")" = "$(date -d 2026-11-30T15:00:00Z +%s)" ]
	[ "$(sqlite3 "$db" "select lead_id from assignment where step = 'rollup' order by 1" | tr '\n' ' ')" = "6 " ]
	[ "$(jq -c 'select(.id == 6) | .route.reason' "$BATS_TEST_TMPDIR/out")" = '{"step":"rollup","account":"globex.example","owner_since":"2026-11-30T15:00:00Z"}' ]
	# 200 days later (past the 90d account window), both reps full (61 leads
	# of other accounts, 60 places): still the owner, beyond capacity
	for i in $(seq 100 160); do alead $i p$i@other$i.example it unknown L1; done > "$BATS_TEST_TMPDIR/fill"
	alead 7 fay@globex.example it unknown L4 >> "$BATS_TEST_TMPDIR/fill"
	run -0 lq-route -r "$U" --now 2027-06-18T15:00:00Z --state "$db" "$BATS_TEST_TMPDIR/fill"
	[ "$(jq -r 'select(.id == 7) | [.route.owner, .route.reason.step] | @tsv' <<< "$output")" = "$(printf '%s\trollup' "$owner")" ]
	[ "$(sqlite3 "$db" "select count(*) from assignment where rep = '$owner' and counts = 1 and at = strftime('%s', '2027-06-18T15:00:00Z')")" -eq 31 ]
	# an owner who is paused is skipped, said; the lead's new rep owns the account
	sed "s/{ id: $owner }/{ id: $owner, paused: true }/" "$U" > "$BATS_TEST_TMPDIR/u.yaml"
	alead 8 gus@globex.example it unknown L4 > "$BATS_TEST_TMPDIR/eight"
	run -0 --separate-stderr lq-route -r "$BATS_TEST_TMPDIR/u.yaml" --now 2027-06-19T15:00:00Z --state "$db" "$BATS_TEST_TMPDIR/eight"
	[[ "$output" == *"\"rollup_skipped\":{\"rep\":\"$owner\",\"why\":\"paused\"}"* ]]
	new=$(jq -r .route.owner <<< "$output")
	[ "$new" != "$owner" ]
	[ "$(jq -r '[.route.account.owner, .route.account.crossed] | @tsv' <<< "$output")" = "$(printf '%s\ttrue' "$new")" ]
	[ "$(sqlite3 "$db" "select owner from account where account_key = 'globex.example'")" = "$new" ]
}

@test "roll-up: rollup.team: a hot account goes to that team's best rep; in a batch the score grows in priority order" {
	db="$BATS_TEST_TMPDIR/l.db"
	x="$TOP/examples"
	run -0 lq-route -r "$x/route-rollup.yaml" --state "$db" --now 2026-11-30T15:00:00Z "$x/account-monday.ndjson"
	[ "$(jq -r '[.id, .route.team, .route.reason.step, .route.account.score] | @tsv' <<< "$output")" = "$(printf '101\tsdr\tteam\t35\n102\tsdr\tteam\t35\n103\tsdr\taccount\t55')" ]
	printf '%s\n' '{"lead_id":101,"at":"2026-11-30T16:00:00Z","outcome":"meeting booked"}' > "$BATS_TEST_TMPDIR/c"
	run -0 lq-route --state "$db" --contacts "$BATS_TEST_TMPDIR/c"
	# Tuesday: the L2 (104) is decided first and crosses (110): the
	# enterprise rep; 105 follows; the nurture lead stays in its queue
	run -0 lq-route -r "$x/route-rollup.yaml" --state "$db" --now 2026-12-01T15:00:00Z "$x/account-tuesday.ndjson"
	[ "$(jq -r '[.id, .route.owner // .route.queue, .route.reason.step, .route.account.score, (.route.account.crossed // false)] | @tsv' <<< "$output")" = "$(printf '104\tDora Aldana\trollup\t110\ttrue\n105\tDora Aldana\trollup\t135\tfalse\n106\tnurture\taction\t55\tfalse')" ]
	[ "$(sqlite3 "$db" "select account_key, contacts, engaged, best_tier, score, ifnull(owner, '-') from account order by 1")" = "$(printf 'globex.example|4|1|L2|135.0|Dora Aldana\ninitech.example|2|0|L3|55.0|-')" ]
	[ "$(sqlite3 "$db" "select group_concat(lead_id) from (select lead_id from assignment where rep = 'Dora Aldana' and team = 'enterprise' order by 1)")" = "104,105" ]
	# nobody in the enterprise team: the usual steps decide, the account
	# waits for a rep of that team
	sed 's/{ id: Dora Aldana }/{ id: Dora Aldana, paused: true }/' "$x/route-rollup.yaml" > "$BATS_TEST_TMPDIR/p.yaml"
	run -0 lq-route -r "$BATS_TEST_TMPDIR/p.yaml" --state "$BATS_TEST_TMPDIR/w.db" --now 2026-12-01T15:00:00Z "$x/account-monday.ndjson" "$x/account-tuesday.ndjson"
	[ "$(jq -r 'select(.route.account.key == "globex.example") | [.route.team, .route.account.owner] | @tsv' <<< "$output" | sort | uniq -c | tr -s ' ')" = " 4 sdr	" ]
	[ "$(jq -s 'map(.route.account.score) | max' <<< "$output")" -ge 80 ]
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/w.db" "select count(*) from account where owner is not null")" -eq 0 ]
	# in arrival order (--stream) the L3 105 would have crossed first
	run -0 lq-route -r "$x/route-rollup.yaml" --state "$BATS_TEST_TMPDIR/s.db" --stream --now 2026-12-01T15:00:00Z "$x/account-monday.ndjson" "$x/account-tuesday.ndjson"
	[ "$(jq -r 'select(.route.account.crossed) | .id' <<< "$output")" = 104 ]
}

@test "roll-up: rule errors at file:line:col before input is read" {
	f="$BATS_TEST_TMPDIR/r.yaml"
	bad() {
		{ sed '/rollup:/,$d' "$U"; printf '  rollup: %s\n' "$1"; } > "$f"
		run -2 lq-route -r "$f" < /dev/null
		[[ "$output" == *"$2"* ]] || { echo "$output"; return 1; }
	}
	bad '{ threshold: -3 }' "r.yaml:14:24: rollup threshold must be"
	bad '{ team: nobody }' "r.yaml:14:19: rollup: no team 'nobody' under 'teams:'"
	bad '{ points: { tier: { L5: 3 } } }' "r.yaml:14:"
	bad '{ points: { contact: many } }' "r.yaml:14:"
	bad '{ sizes: 3 }' "r.yaml:14:"
	bad '{ department: ".title | ascii(" }' "r.yaml:14:"
	{ sed '/rollup:/,$d' "$U"; printf '  duplicates: { account: null }\n  rollup: { threshold: 10 }\n'; } > "$f"
	run -2 lq-route -r "$f" < /dev/null
	[[ "$output" == *"r.yaml:15:11: rollup: needs the account key (duplicates.account is off)"* ]]
}
