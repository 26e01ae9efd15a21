#!/usr/bin/env bats
# deps: every command the tests and the demo run is installed by
# tools/deps.sh, so a clean machine passes what this one passes.

load helpers

@test "every command and Python module the tests use is in deps.sh build/test" {
	sanitized && skip "checked in the first pass"
	cd "$TOP"
	# docs.bats runs the man pages' EXAMPLES
	run sh tools/check-deps.sh "build test" test/*.bats test/*.bash test/run-one man/*.[157]
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "every command the demo runs is in deps.sh build/demo" {
	sanitized && skip "checked in the first pass"
	cd "$TOP"
	run sh tools/check-deps.sh "build demo" tools/demo.sh
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the check finds a command and a module that are not declared" {
	sanitized && skip "checked in the first pass"
	command -v dpkg-query > /dev/null || skip "no dpkg"
	command -v /usr/bin/jq > /dev/null || skip "no jq"
	printf 'run jq -r .x in.json | sort\nimport yaml\n' > "$BATS_TEST_TMPDIR/t.bats"
	run -1 sh "$TOP/tools/check-deps.sh" build "$BATS_TEST_TMPDIR/t.bats"
	[[ "$output" == *"command jq (/usr/bin/jq) is in package jq"* ]]
	[[ "$output" == *"python module yaml"* ]]
	[[ "$output" != *"command sort"* ]]
}

@test "the check sees what a man page runs: here-documents that are scripts, continued commands, scripts shown whole" {
	sanitized && skip "checked in the first pass"
	command -v dpkg-query > /dev/null || skip "no dpkg"
	command -v /usr/bin/curl > /dev/null || skip "no curl"
	command -v /usr/bin/sqlite3 > /dev/null || skip "no sqlite3"
	command -v /usr/bin/jq > /dev/null || skip "no jq"
	cat > "$BATS_TEST_TMPDIR/t.1" <<-'MAN'
	.Sh EXAMPLES
	.Bd -literal -offset indent
	$ sh <<'EOF'
	curl -s http://127.0.0.1/x | sort
	EOF
	$ cat > notes.txt <<'EOF'
	jq is data here, not a command
	EOF
	$ echo x |
	    sqlite3 :memory:
	.Ed
	.Bd -literal
	#!/usr/bin/python3
	import yaml
	.Ed
	MAN
	run -1 sh "$TOP/tools/check-deps.sh" build "$BATS_TEST_TMPDIR/t.1"
	echo "$output"
	[[ "$output" == *"command curl (/usr/bin/curl) is in package curl"* ]]
	[[ "$output" == *"command sqlite3 (/usr/bin/sqlite3) is in package sqlite3"* ]]
	[[ "$output" == *"python module yaml"* ]]
	[[ "$output" != *"command jq"* ]]
	[[ "$output" != *"command sort"* ]]
}
