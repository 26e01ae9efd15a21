#!/usr/bin/env bats
# lq-csv: CSV to NDJSON and back, exactly; bad rows; conformance suites.

load helpers

F="$FIX/lq-csv"
CONF="$SHARED/data/csv-conformance"
# Debian's python3 starts in a tenth of the time of a pyenv shim
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# the cells of a CSV file as JSON lines, read by Python's csv module
cells() {
	"$PY" -c 'import csv, json, sys
d = sys.argv[2] if len(sys.argv) > 2 else ","
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    for row in csv.reader(f, delimiter=d):
        print(json.dumps(row, ensure_ascii=False))' "$@"
}

@test "golden: a CRM export (BOM, CRLF, quotes, newlines, unicode) to NDJSON" {
	run lq-csv "$F/export.csv"
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$F/export.ndjson"
}

@test "golden: --nest -e omit" {
	run lq-csv --nest -e omit "$F/export.csv"
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$F/export-nest.ndjson"
}

@test "types: numbers kept as written, leading zeros and phones stay strings" {
	printf 'id,zip,phone,n,neg,e,t,f,nul,big,plus,sp\n1000000000000011631,01067,0912345678,1.50,-3,6.02E+23,true,false,null,123456789012345678901234567890,+1, 7\n' > "$BATS_TEST_TMPDIR/t.csv"
	run lq-csv "$BATS_TEST_TMPDIR/t.csv"
	[ "$status" -eq 0 ]
	[ "$output" = '{"id":1000000000000011631,"zip":"01067","phone":"0912345678","n":1.50,"neg":-3,"e":6.02E+23,"t":true,"f":false,"nul":"null","big":123456789012345678901234567890,"plus":"+1","sp":" 7"}' ]
}

@test "--strings: every cell a string, empty cells \"\"; -e changes that" {
	run lq-csv --strings "$F/export.csv"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e -s 'all(.[]; all(.[]; type == "string"))'
	[[ "${lines[2]}" == *'"Phone":"","ZIP":"",'* ]]
	run lq-csv -s -e null "$F/export.csv"
	[[ "${lines[2]}" == *'"Phone":null,"ZIP":null,'* ]]
	run lq-csv -e string "$F/export.csv"
	[[ "${lines[2]}" == *'"Phone":"","ZIP":"","Employees":"",'* ]]
	[[ "${lines[0]}" == *'"Employees":250,'* ]]
}

@test "header names: kept exactly; empty and duplicate names renamed with a warning" {
	printf ' Lead ID ,a.b,,Email,Email,\n1,2,3,4,5,6\n' > "$BATS_TEST_TMPDIR/h.csv"
	run --separate-stderr lq-csv "$BATS_TEST_TMPDIR/h.csv"
	[ "$status" -eq 0 ]
	[ "$output" = '{" Lead ID ":1,"a.b":2,"column_3":3,"Email":4,"Email_2":5,"column_6":6}' ]
	[[ "$stderr" == *"h.csv:1: column 3: empty header name, named 'column_3'"* ]]
	[[ "$stderr" == *"h.csv:1: column 5: duplicate header name 'Email', named 'Email_2'"* ]]
	[[ "$stderr" == *"h.csv:1: column 6: empty header name, named 'column_6'"* ]]
	run --separate-stderr lq-csv -q "$BATS_TEST_TMPDIR/h.csv"
	[ -z "$stderr" ]
}

@test "--nest: a name whose prefix is a column stays flat, with a warning" {
	printf 'a,a.b,c.d,c.e,x..y\n1,2,3,4,5\n' > "$BATS_TEST_TMPDIR/n.csv"
	run --separate-stderr lq-csv --nest "$BATS_TEST_TMPDIR/n.csv"
	[ "$status" -eq 0 ]
	[ "$output" = '{"a":1,"a.b":2,"c":{"d":3,"e":4},"x..y":5}' ]
	[[ "$stderr" == *"column 2: 'a.b' not nested"* ]]
}

@test "separator detected from the header line: , ; tab; -d overrides" {
	printf 'a;b,c;d\n1;2,3;4\n' > "$BATS_TEST_TMPDIR/s.csv"
	run lq-csv "$BATS_TEST_TMPDIR/s.csv"
	[ "$output" = '{"a":1,"b,c":"2,3","d":4}' ]
	run lq-csv -d , "$BATS_TEST_TMPDIR/s.csv"
	[ "$output" = '{"a;b":"1;2","c;d":"3;4"}' ]
	printf 'a\tb c\n1\t"2\t3"\n' > "$BATS_TEST_TMPDIR/t.tsv"
	run lq-csv "$BATS_TEST_TMPDIR/t.tsv"
	[ "$output" = '{"a":1,"b c":"2\t3"}' ]
	run lq-csv -d tab -s "$BATS_TEST_TMPDIR/t.tsv"
	[ "$output" = '{"a":"1","b c":"2\t3"}' ]
	run -2 lq-csv -d ab "$BATS_TEST_TMPDIR/t.tsv"
	[[ "$output" == *"-d: not a separator: 'ab'"* ]]
}

@test "Excel's sep= line names the separator; UTF-16 input is refused clearly" {
	run lq-csv < <(printf 'sep=;\r\na;b\r\n1;"x,y"\r\n')
	[ "$status" -eq 0 ]
	[ "$output" = '{"a":1,"b":"x,y"}' ]
	run -3 lq-csv < <(printf '\377\376a\000,\000b\000\n\000')
	[[ "$output" == *"lq-csv: -: UTF-16 input (convert it first: iconv -f UTF-16 -t UTF-8)"* ]]
}

@test "line endings LF, CRLF and CR, a BOM and no final newline read alike" {
	for t in 'a,b\n1,2\n' 'a,b\r\n1,2\r\n' 'a,b\r1,2\r' '\357\273\277a,b\n1,2'; do
		run lq-csv < <(printf "$t")
		[ "$status" -eq 0 ]
		[ "$output" = '{"a":1,"b":2}' ] || { echo "$t: $output"; false; }
	done
}

@test "bad rows: reported at the line where they start, kept with --rejects, others converted, exit 1" {
	printf 'a,b,c\n1,"two\nlines",3\n4,5\n6,7,8\n9,"x\377",10\n\n11,12,13\n14,"open,15\n16,17,18\n' > "$BATS_TEST_TMPDIR/bad.csv"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr -1 lq-csv --rejects rej.csv bad.csv
	[ "$output" = $'{"a":1,"b":"two\\nlines","c":3}\n{"a":6,"b":7,"c":8}\n{"a":11,"b":12,"c":13}' ]
	[[ "$stderr" == *"lq-csv: bad.csv:4: expected 3 fields, found 2"* ]]
	[[ "$stderr" == *"lq-csv: bad.csv:6: invalid UTF-8 in field 2 (b)"* ]]
	[[ "$stderr" == *"lq-csv: bad.csv:9: unterminated quoted field"* ]]
	[[ "$stderr" == *"3 of 6 records rejected (kept in rej.csv)"* ]]
	# an empty rejects file gets the header row first: it is CSV again
	printf 'a,b,c\n4,5\n9,"x\377",10\n14,"open,15\n16,17,18\n' | cmp - rej.csv
	run -1 lq-csv --rejects rej.csv bad.csv
	[ "$(grep -c '^a,b,c$' rej.csv)" -eq 1 ]
	[ "$(grep -c '^4,5$' rej.csv)" -eq 2 ]
}

@test "unterminated quote: reported where it opened with the lines it swallowed; rows before kept, the rest rejected whole, exit 1" {
	cd "$BATS_TEST_TMPDIR"
	{
		echo 'id,company,note'
		for i in $(seq 2 16); do echo "$i,Co $i,ok"; done
		echo '17,"Acme, Inc,open'
		for i in $(seq 18 41); do echo "$i,Co $i,inside"; done
	} > export.csv
	run --separate-stderr -1 lq-csv --rejects rej.csv export.csv
	[ "${#lines[@]}" -eq 15 ]
	[ "${lines[14]}" = '{"id":16,"company":"Co 16","note":"ok"}' ]
	[[ "$stderr" == *"lq-csv: export.csv:17: unterminated quoted field: the quote opened here in field 2 (company) runs to the end of the input and swallows the 24 lines after it; lines 17-41 rejected as one row"* ]]
	[[ "$stderr" == *"1 of 16 records rejected (kept in rej.csv)"* ]]
	# the rejects file is the header and lines 17-41, byte for byte
	{ head -1 export.csv; sed -n '17,41p' export.csv; } | cmp - rej.csv
	# the quote opens on the last line, which has no line break
	printf 'a,b\n1,2\n3,"x' > last.csv
	run --separate-stderr -1 lq-csv last.csv
	[ "$output" = '{"a":1,"b":2}' ]
	[[ "$stderr" == *"last.csv:3: unterminated quoted field: the quote opened here in field 2 (b) is still open at the end of the input"* ]]
}

@test "a quote closed lines later: text after it, or the wrong number of fields, rejects the row with its line range" {
	cd "$BATS_TEST_TMPDIR"
	# RFC 4180 allows no text after a closing quote; Python keeps it, and
	# so does lq-csv on one line, but after a field over several lines it
	# means the quotes pair up wrongly: "x<LF>4," would be one cell
	printf 'a,b\n1,"x\n4,"5"\n6,7\n8,"ab"c\n' > text.csv
	run --separate-stderr -1 lq-csv --rejects rej.csv text.csv
	[ "$output" = $'{"a":6,"b":7}\n{"a":8,"b":"abc"}' ]
	[[ "$stderr" == *"lq-csv: text.csv:2: the quote opened here in field 2 (b) closes on line 3 and text follows it, not a separator: a stray quote? lines 2-3 rejected as one row"* ]]
	printf 'a,b\n1,"x\n4,"5"\n' | cmp - rej.csv
	# closed at the end of a field, but the row has the wrong width
	printf 'a,b,c\n1,"x\n4,5,6\n7,8",9,10\n11,12,13\n' > wide.csv
	run --separate-stderr -1 lq-csv wide.csv
	[ "$output" = '{"a":11,"b":12,"c":13}' ]
	[[ "$stderr" == *"lq-csv: wide.csv:2: expected 3 fields, found 4 in lines 2-4 (the quote opened on line 2 in field 2 (b) closes on line 4: a stray quote?)"* ]]
	# a field over two lines with the right width is a valid CSV row
	printf 'a,b\n1,"two\nlines"\n2,x\n' > ok.csv
	run -0 lq-csv ok.csv
	[ "$output" = $'{"a":1,"b":"two\\nlines"}\n{"a":2,"b":"x"}' ]
}

@test "a quote closed hundreds of lines later is rejected with the range; --max-lines sets how many lines a field may span" {
	cd "$BATS_TEST_TMPDIR"
	# a stray quote on line 5 closed by another one on line 900, in the
	# same column: one valid-looking field of 896 lines
	"$PY" -c 'print("id,company")
for i in range(2, 1001):
    print("%d,%s" % (i, {5: "\"Acme", 900: "Foo\""}.get(i, "Co %d" % i)))' > long.csv
	run --separate-stderr -1 lq-csv --rejects rej.csv long.csv
	[ "${#lines[@]}" -eq 103 ]
	[ "${lines[3]}" = '{"id":901,"company":"Co 901"}' ]
	[[ "$stderr" == *"lq-csv: long.csv:5: the quote opened here in field 2 (company) spans 896 lines, to line 900, more than 100: a stray quote? lines 5-900 rejected as one row (--max-lines raises the limit)"* ]]
	{ head -1 long.csv; sed -n '5,900p' long.csv; } | cmp - rej.csv
	# a note of that many lines is meant: --max-lines lets it through
	run --separate-stderr -0 lq-csv --max-lines 896 long.csv
	[ "${#lines[@]}" -eq 104 ]
	run -0 lq-csv --max-lines 0 long.csv
	run -1 lq-csv --max-lines 895 long.csv
	run -2 lq-csv --max-lines x long.csv
	[[ "$output" == *"--max-lines: not a number of lines: 'x'"* ]]
}

@test "a bad header row: no row has keys, so the file goes whole to --rejects and its rows count as rejected" {
	cd "$BATS_TEST_TMPDIR"
	printf 'id,na\377me\n1,Ann\n2,Bob\n' > h.csv
	printf 'a,b\n1,2\n' > ok.csv
	run --separate-stderr -1 lq-csv --rejects rej.csv h.csv ok.csv
	[ "$output" = '{"a":1,"b":2}' ]
	[[ "$stderr" == *"lq-csv: h.csv:1: header: invalid UTF-8 in field 2"* ]]
	[[ "$stderr" == *"lq-csv: h.csv: 2 rows after the header not converted (kept in rej.csv)"* ]]
	[[ "$stderr" == *"2 of 3 records rejected (kept in rej.csv)"* ]]
	cmp h.csv rej.csv
}

@test "--strict stops at the first bad row" {
	printf 'a,b\n1,2\n3\n4,5\n' > "$BATS_TEST_TMPDIR/b.csv"
	run --separate-stderr -1 lq-csv --strict "$BATS_TEST_TMPDIR/b.csv"
	[ "${lines[0]}" = '{"a":1,"b":2}' ]
	[[ "$output" != *'"a":4'* ]]
}

@test "--arrays, --no-header, --comment, --trim" {
	printf '# x\n a ,"b" \n1\n' > "$BATS_TEST_TMPDIR/a.csv"
	run lq-csv -a --comment '#' "$BATS_TEST_TMPDIR/a.csv"
	[ "$output" = $'[" a ","b"]\n[1]' ]
	run lq-csv -a -s --trim --comment '#' "$BATS_TEST_TMPDIR/a.csv"
	[ "$output" = $'["a","b"]\n["1"]' ]
	printf '1,x\n2,y\n' > "$BATS_TEST_TMPDIR/nh.csv"
	run lq-csv --no-header "$BATS_TEST_TMPDIR/nh.csv"
	[ "$output" = $'{"column_1":1,"column_2":"x"}\n{"column_1":2,"column_2":"y"}' ]
}

@test "--to-csv golden: every key flattened, arrays as JSON, formulas neutralised" {
	run lq-csv -t "$F/scored.ndjson"
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$F/scored.csv"
	run lq-csv -t -f 'Lead ID,Email,score.tier,route.owner' "$F/scored.ndjson"
	diff <(echo "$output") "$F/scored-fields.csv"
}

@test "--to-csv: -f paths, quoted keys, a leading dot, repeated -f" {
	printf '{"a.b":1,"a":{"b":2},"x,y":3,"s":{"t":{"u":"deep"}}}\n' > "$BATS_TEST_TMPDIR/k.ndjson"
	run lq-csv -t -f '."a.b",.a.b' -f '"x,y",s.t.u,missing' "$BATS_TEST_TMPDIR/k.ndjson"
	[ "$status" -eq 0 ]
	[ "$output" = $'a.b,a.b,"x,y",s.t.u,missing\n1,2,3,deep,' ]
	run -2 lq-csv -t -f 'a,,b' "$BATS_TEST_TMPDIR/k.ndjson"
	[[ "$output" == *"empty field name"* ]]
	run -2 lq-csv -f a "$BATS_TEST_TMPDIR/k.ndjson"
	[[ "$output" == *"-f needs --to-csv"* ]]
}

@test "--to-csv: spreadsheet safety on by default, --no-safe, numbers untouched" {
	printf '{"a":"=1+2","b":"+1 415","c":"-x","d":"@SUM(A1)","e":"\\tx","f":"\\rx","g":-12.5,"h":"-7","i":"ok"}\n' > "$BATS_TEST_TMPDIR/f.ndjson"
	run lq-csv -t "$BATS_TEST_TMPDIR/f.ndjson"
	[ "${lines[1]}" = "'=1+2,'+1 415,'-x,'@SUM(A1),'"$'\t'"x,\"'"$'\r'"x\",-12.5,-7,ok" ]
	run lq-csv -t --no-safe "$BATS_TEST_TMPDIR/f.ndjson"
	[ "${lines[1]}" = "=1+2,+1 415,-x,@SUM(A1),"$'\t'"x,\""$'\r'"x\",-12.5,-7,ok" ]
}

@test "--to-csv: RFC 4180 quoting, --crlf, -d, --no-header" {
	printf '{"a":"x,y","b":"say \\"hi\\"","c":"l1\\nl2","d":null,"e":true}\n' > "$BATS_TEST_TMPDIR/q.ndjson"
	lq-csv -t --crlf "$BATS_TEST_TMPDIR/q.ndjson" > "$BATS_TEST_TMPDIR/q.csv"
	printf 'a,b,c,d,e\r\n"x,y","say ""hi""","l1\nl2",,true\r\n' | cmp - "$BATS_TEST_TMPDIR/q.csv"
	run lq-csv -t -d ';' --no-header "$BATS_TEST_TMPDIR/q.ndjson"
	[ "$output" = $'x,y;"say ""hi""";"l1\nl2";;true' ]
}

@test "--to-csv: an empty key is a column; a row of one empty cell is written as \"\", not as a blank line" {
	# records with an empty key: lib/csv_json.c passed NULL to memcmp (UBSan)
	printf '{"":1}\n{"":2}\n{"":null}\n{"x":1}\n' > "$BATS_TEST_TMPDIR/e.ndjson"
	run --separate-stderr -1 lq-csv -t --sample 3 "$BATS_TEST_TMPDIR/e.ndjson"
	[ "$output" = $'""\n1\n2\n""' ]
	[[ "$stderr" == *"e.ndjson:4: key 'x' is not a column"* ]]
	# read back: no row lost to a blank line (the header is column_1)
	printf '{"":1}\n{"":2}\n{"":null}\n{"":null}\n' > "$BATS_TEST_TMPDIR/e1.ndjson"
	lq-csv -t -q "$BATS_TEST_TMPDIR/e1.ndjson" | lq-csv -q > "$BATS_TEST_TMPDIR/back"
	printf '{"column_1":1}\n{"column_1":2}\n{"column_1":null}\n{"column_1":null}\n' | diff - "$BATS_TEST_TMPDIR/back"
	run lq-csv -t -f a,a.b "$BATS_TEST_TMPDIR/e.ndjson"
	[ "${lines[1]}" = , ]
}

@test "--to-csv: bad lines reported as file:line, kept with --rejects, exit 1" {
	printf '{"a":1}\n\n[1]\n{"a":\n{"a":2}\n' > "$BATS_TEST_TMPDIR/in.ndjson"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr -1 lq-csv -t --rejects rej in.ndjson
	[ "$output" = $'a\n1\n2' ]
	[[ "$stderr" == *"lq-csv: in.ndjson:3: not a JSON object"* ]]
	[[ "$stderr" == *"lq-csv: in.ndjson:4: invalid JSON"* ]]
	[[ "$stderr" == *"2 of 4 records rejected (kept in rej)"* ]]
	printf '[1]\n{"a":\n' | cmp - rej
}

@test "--to-csv: columns from the whole input by default; --sample N rejects a record with a key past the sample" {
	printf '{"a":1}\n{"a":2,"b":3}\n' > "$BATS_TEST_TMPDIR/s.ndjson"
	run --separate-stderr -1 lq-csv -t --sample 1 "$BATS_TEST_TMPDIR/s.ndjson"
	[ "$output" = $'a\n1' ]
	[[ "$stderr" == *"s.ndjson:2: key 'b' is not a column: the columns came from the first 1 records (--sample); name them with -f, or leave out --sample"* ]]
	run --separate-stderr lq-csv -t -f a "$BATS_TEST_TMPDIR/s.ndjson"
	[ -z "$stderr" ]
	run lq-csv -t "$BATS_TEST_TMPDIR/s.ndjson"
	[ "$output" = $'a,b\n1,\n2,3' ]
	# from a pipe too (spooled, not held in memory)
	run lq-csv -t < "$BATS_TEST_TMPDIR/s.ndjson"
	[ "$output" = $'a,b\n1,\n2,3' ]
}

@test "--to-csv: a nested key first seen late sits with its siblings; never an object and its leaves both; --sample rejects what it cannot write" {
	printf '%s\n' '{"a":1,"s":{"t":"x"},"o":"v","e":{}}' \
		'{"a":2,"s":{"t":"y","u":"lost"},"o":{"deep":1},"e":{"f":2}}' \
		'{"a":3,"s":"flat"}' '{"a":4,"s":null,"n":null}' '{"a":5,"s":{"u":"again"}}' > "$BATS_TEST_TMPDIR/n.ndjson"
	run --separate-stderr lq-csv -t "$BATS_TEST_TMPDIR/n.ndjson"
	[ "$status" -eq 0 ]
	[ "$output" = $'a,s,s.t,s.u,o,o.deep,e,e.f,n\n1,,x,,v,,{},,\n2,,y,lost,,1,,2,\n3,flat,,,,,,,\n4,,,,,,,,\n5,,,again,,,,,' ]
	[ -z "$stderr" ]
	run --separate-stderr -1 lq-csv -t --sample 1 "$BATS_TEST_TMPDIR/n.ndjson"
	[ "$output" = $'a,s.t,o,e\n1,x,v,{}\n4,,,' ]
	[[ "$stderr" == *"n.ndjson:2: key 's.u' is not a column"* ]]
	[[ "$stderr" == *"n.ndjson:3: key 's' is not a column"* ]]
	[[ "$stderr" == *"n.ndjson:5: key 's.u' is not a column"* ]]
	[[ "$stderr" == *"3 of 5 records rejected"* ]]
}

@test "--to-csv: the input's columns first, then enrich, score, route; -f +LIST adds to the input's columns" {
	printf '%s\n' '{"route":{"owner":"a"},"id":1,"score":{"tier":"L2","points":40,"reasons":[{"signal":"big","points":50},{"signal":"tiny","points":-10},{"signal":"x","unknown":"missing .x"}]},"enrich":{"country":null},"name":"n"}' \
		'{"id":2,"enrich":{"country":{"code":"DE"},"title":"t"},"late":true}' > "$BATS_TEST_TMPDIR/o.ndjson"
	run lq-csv -t "$BATS_TEST_TMPDIR/o.ndjson"
	[ "${lines[0]}" = 'id,name,late,enrich.country.code,enrich.title,score.summary,score.tier,score.points,score.reasons,route.owner' ]
	[ "${lines[1]}" = '1,n,,,,"L2, 40 points: big +50; tiny -10; 1 unknown",L2,40,big +50; tiny -10; x ? (missing .x),a' ]
	[ "${lines[2]}" = '2,,true,DE,t,,,,,' ]
	run lq-csv -t -f +score.tier,route.owner "$BATS_TEST_TMPDIR/o.ndjson"
	[ "$output" = $'id,name,late,score.tier,route.owner\n1,n,,L2,a\n2,,true,,' ]
}

@test "round trip CSV -> NDJSON -> CSV gives the same cells and exact numbers" {
	lq-csv "$F/export.csv" | lq-csv -t --no-safe > "$BATS_TEST_TMPDIR/back.csv"
	diff <(cells "$F/export.csv") <(cells "$BATS_TEST_TMPDIR/back.csv")
	grep -q '^1000000000000011631,' "$BATS_TEST_TMPDIR/back.csv"
	# with --safe (the default) only the phone that starts with + changes
	lq-csv "$F/export.csv" | lq-csv -t > "$BATS_TEST_TMPDIR/safe.csv"
	diff <(cells "$F/export.csv") <(cells "$BATS_TEST_TMPDIR/safe.csv") | grep -c '^>' | grep -qx 1
	grep -q "'+49 30 1234567" "$BATS_TEST_TMPDIR/safe.csv"
	# --strings and --nest round trip too
	lq-csv -s --nest "$F/export.csv" | lq-csv -t --no-safe > "$BATS_TEST_TMPDIR/nest.csv"
	diff <(cells "$F/export.csv") <(cells "$BATS_TEST_TMPDIR/nest.csv")
}

@test "generated rows: reading and writing agree with Python's csv module" {
	cd "$BATS_TEST_TMPDIR"
	"$PY" - <<'PY'
import csv, json, random
r = random.Random(42)
# no lone CR: Python writes it unquoted after LF rows, and readers
# (Python's too) end a row there
alpha = ['a', 'b', ' ', ',', '"', '\n', '\r\n', ';', '\u00e9', '\u738b',
         '\U0001f600', '1', '0', '-', '\t', "'", '#', '\\']
cell = lambda a=alpha: ''.join(r.choice(a) for _ in range(r.randint(0, 8)))
for term, name in (('\n', 'lf'), ('\r\n', 'crlf')):
    rows = [[cell() for _ in range(r.randint(1, 6))] for _ in range(500)]
    rows = [row if row != [''] else ['x'] for row in rows]
    with open(name + '.csv', 'w', newline='', encoding='utf-8') as f:
        csv.writer(f, lineterminator=term).writerows(rows)
    with open(name + '.want', 'w', encoding='utf-8') as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + '\n')
with open('obj.ndjson', 'w', encoding='utf-8') as f:
    for i in range(500):
        f.write(json.dumps({'c%d' % k: cell(alpha + ['\r'])
                            for k in range(6)}) + '\n')
PY
	for t in lf crlf; do
		lq-csv -a -s -d , $t.csv | jq -c . > $t.got
		jq -c . $t.want | diff - $t.got
	done
	lq-csv -t --no-safe obj.ndjson > obj.csv
	"$PY" -c 'import csv, json
rows = list(csv.reader(open("obj.csv", newline="", encoding="utf-8")))
want = [json.loads(l) for l in open("obj.ndjson", encoding="utf-8")]
assert rows[0] == list(want[0]), rows[0]
assert [dict(zip(rows[0], r)) for r in rows[1:]] == want'
}

@test "csv-spectrum: every case matches its expected JSON (location_coordinates corrected)" {
	need_shared csv-conformance
	n=0
	for csv in "$CONF"/csv-spectrum/csvs/*.csv; do
		name=$(basename "$csv" .csv)
		exp="$CONF/csv-spectrum/json/$name.json"
		if [ "$name" = location_coordinates ]; then
			# upstream's file is one object with a wrong phone (SOURCE.md)
			want=$(jq -S -c '[. + {"Contact Phone Number": "2095257564"}]' "$exp")
		else
			want=$(jq -S -c . "$exp")
		fi
		got=$(lq-csv --strings "$csv" | jq -S -c -s .)
		[ "$got" = "$want" ] || { echo "$name: $got"; echo "want: $want"; false; }
		n=$((n + 1))
	done
	[ "$n" -eq 12 ]
}

@test "csv-spectrum typed: the ZIP with a leading zero stays a string" {
	need_shared csv-conformance
	run lq-csv "$CONF/csv-spectrum/csvs/comma_in_quotes.csv"
	[ "$output" = '{"first":"John","last":"Doe","address":"120 any st.","city":"Anytown, WW","zip":"08123"}' ]
}

@test "Apache Commons CSV control files: every record matches" {
	need_shared csv-conformance
	cd "$CONF/apache-commons-csv-fileparser"
	n=0
	for ctl in test*.txt; do
		set -- $(head -1 "$ctl")
		csv=$1
		shift
		args=
		for o in "$@"; do
			case $o in
			CommentStart=*) args="$args --comment ${o#CommentStart=}" ;;
			IgnoreSpaces=true) args="$args --trim" ;;
			esac
		done
		# lq-csv skips blank lines: drop the 1:[] records Commons reports
		# for them without IgnoreEmpty; CheckComments text is not checked
		tail -n +3 "$ctl" | grep -v '^#' | sed 's/\]#.*$/]/' |
			grep -vx '1:\[\]' > "$BATS_TEST_TMPDIR/want"
		lq-csv -a -s $args "$csv" | jq -r '"\(length):[\(join(", "))]"' > "$BATS_TEST_TMPDIR/got"
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" || { echo "$ctl"; false; }
		n=$((n + 1))
	done
	[ "$n" -eq 7 ]
}

@test "Apache Commons CSV: BOM file and regression inputs convert consistently" {
	need_shared csv-conformance
	A="$CONF/apache-commons-csv-fileparser"
	run lq-csv "$A/bom.csv"
	[ "$status" -eq 0 ]
	echo "$output" | head -1 | jq -e 'keys_unsorted == ["Date", " Open", " High", " Low", " Close", " Volume"] and ." Volume" == 79448141'
	[ "${#lines[@]}" -eq "$(($(wc -l < "$A/bom.csv") - 1))" ]
	run lq-csv -s "$A/extra/CSV-196/japanese.csv"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e -s 'length == 3 and .[0].id == "00000000000001"'
	run lq-csv "$A/extra/CSV-196/emoji.csv"
	[ "$status" -eq 0 ]
	run lq-csv --comment '#' "$A/extra/csv-167/sample1.csv"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"author":"Dan Simmons","title":"Hyperion","publishDate":1989}' ]
	[[ "${lines[1]}" == *'"title":"The Hitchhiker'"'"'s \\\"Guide\\\" to the Galaxy"'* ]]
	for f in CSV-254/csv-254.csv CSV-290/psql.csv; do
		run lq-csv -a "$A/extra/$f"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | jq -c length | sort -u | wc -l)" -eq 1 ]
	done
	run lq-csv -a -d tab "$A/extra/CSV-290/psql.tsv"
	[ "$status" -eq 0 ]
	# a backslash before a quote is not an escape in RFC 4180: the third
	# row's quote stays open to the end, which is reported
	run -1 lq-csv -a "$A/extra/CSV-141/csv-141.csv"
	[[ "$output" == *"csv-141.csv:3: unterminated quoted field"* ]]
}

@test "Leads.csv: 9,240 rows of 37 keys, quoted commas kept, round trip identical" {
	need_shared x-education-leads
	L="$SHARED/data/x-education-leads/Leads.csv"
	lq-csv "$L" > "$BATS_TEST_TMPDIR/leads.ndjson"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/leads.ndjson")" -eq 9240 ]
	jq -c 'keys | length' "$BATS_TEST_TMPDIR/leads.ndjson" | sort -u | grep -qx 37
	grep -q '"Specialization":"Banking, Investment And Insurance"' "$BATS_TEST_TMPDIR/leads.ndjson"
	lq-csv -t "$BATS_TEST_TMPDIR/leads.ndjson" > "$BATS_TEST_TMPDIR/back.csv"
	diff <(cells "$L") <(cells "$BATS_TEST_TMPDIR/back.csv")
}

@test "bank-full.csv: ; detected, 45,211 rows, round trip identical" {
	need_shared uci-bank-marketing
	B="$SHARED/data/uci-bank-marketing/bank-full.csv"
	lq-csv "$B" > "$BATS_TEST_TMPDIR/bank.ndjson"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/bank.ndjson")" -eq 45211 ]
	head -1 "$BATS_TEST_TMPDIR/bank.ndjson" | jq -e '.age == 58 and .job == "management" and .pdays == -1'
	lq-csv -t -d ';' "$BATS_TEST_TMPDIR/bank.ndjson" > "$BATS_TEST_TMPDIR/back.csv"
	diff <(cells "$B" ';') <(cells "$BATS_TEST_TMPDIR/back.csv" ';')
}

@test "memory stays flat on a large CSV (both directions)" {
	sanitized && skip "RSS is not meaningful under ASan"
	"$PY" -c 'import sys
w = sys.stdout.write
w("id,name,note,n\n")
for i in range(20000): w("%d,Lead %d,\"a, \"\"b\"\"\nc\",%d.5\n" % (10**18 + i, i, i))' > "$BATS_TEST_TMPDIR/20k.csv"
	{ cat "$BATS_TEST_TMPDIR/20k.csv"; for i in 1 2 3 4 5 6 7 8 9; do tail -n +2 "$BATS_TEST_TMPDIR/20k.csv"; done; } > "$BATS_TEST_TMPDIR/200k.csv"
	small=$( { /usr/bin/time -f %M lq-csv "$BATS_TEST_TMPDIR/20k.csv" > "$BATS_TEST_TMPDIR/20k.ndjson"; } 2>&1 )
	big=$( { /usr/bin/time -f %M lq-csv "$BATS_TEST_TMPDIR/200k.csv" > "$BATS_TEST_TMPDIR/200k.ndjson"; } 2>&1 )
	echo "max RSS: 20k rows ${small} KB, 200k rows ${big} KB"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/200k.ndjson")" -eq 200000 ]
	[ "$big" -lt $((small + small / 5 + 1024)) ]
	small=$( { /usr/bin/time -f %M lq-csv -t "$BATS_TEST_TMPDIR/20k.ndjson" > /dev/null; } 2>&1 )
	big=$( { /usr/bin/time -f %M lq-csv -t "$BATS_TEST_TMPDIR/200k.ndjson" > /dev/null; } 2>&1 )
	echo "max RSS to CSV: ${small} KB, ${big} KB"
	[ "$big" -lt $((small + small / 5 + 1024)) ]
}

@test "a row written alone into a pipe comes out before the writer closes it" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	lq-csv < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	exec 7> "$BATS_TEST_TMPDIR/in"
	printf 'id,name\n1,Ann\n' >&7
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.1
	done
	kill -0 "$pid"
	grep -qx '{"id":1,"name":"Ann"}' "$BATS_TEST_TMPDIR/out"
	exec 7>&-
	wait "$pid"
}

@test "write errors exit 3; a closed pipe ends quietly" {
	run -3 sh -c "lq-csv '$F/export.csv' > /dev/full"
	[[ "$output" == *"lq-csv: write error"* ]]
	run -3 sh -c "lq-csv -t '$F/scored.ndjson' > /dev/full"
	[[ "$output" == *"lq-csv: write error"* ]]
	"$PY" -c 'import sys
sys.stdout.write("a,b\n")
for i in range(200000): sys.stdout.write("%d,x\n" % i)' > "$BATS_TEST_TMPDIR/many.csv"
	run bash -c "set -o pipefail; lq-csv '$BATS_TEST_TMPDIR/many.csv' 2>'$BATS_TEST_TMPDIR/err' | head -1"
	[ "$status" -eq 141 ]
	[ "$output" = '{"a":0,"b":"x"}' ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "usage errors exit 2 before reading input; a missing file exits 3" {
	run -2 lq-csv -e maybe
	[[ "$output" == *"-e: expected null, omit or string"* ]]
	run -2 lq-csv --sample 0 -t
	run -2 lq-csv --bogus
	[[ "$output" == *"usage: lq-csv"* ]]
	run -3 lq-csv "$BATS_TEST_TMPDIR/nope.csv"
	[[ "$output" == *"nope.csv: No such file or directory"* ]]
}

@test "man page: lint clean, and every EXAMPLES command runs with the output shown" {
	mandoc -Tlint -Wwarning "$TOP/man/lq-csv.1"
	cd "$BATS_TEST_TMPDIR"
	cp "$F"/export.csv "$F"/scored.ndjson "$F"/bank.csv "$F"/crm/salesforce.csv .
	cp -R "$TOP/rules" .
	cp "$FIX/lq-score/rules.yaml" lq.yaml
	# every command succeeds and prints what the page shows
	run python3 "$TOP/test/run-examples.py" --status "$TOP/man/lq-csv.1" .
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"11 examples, 0 failed" ]]
	[ "$(wc -l < scored.csv)" -eq 5 ]
	head -1 scored.csv | grep -qx 'Lead ID,Email,score.tier'
}

# ---- the csv: section (lq-csv -r) ----

@test "-r: renames, nesting, null values (global and per column), types, drop" {
	cat > "$BATS_TEST_TMPDIR/m.yaml" <<'YAML'
csv:
  null: [N/A, "-", Select]
  columns:
    Company: company
    Job Title: {name: title}
    Country: {name: address.country}
    City: {name: address.city, null: [Unknown]}
    Created: {name: created_at, type: date, format: ["%m/%d/%Y %I:%M %p", "%m/%d/%Y"], tz: America/New_York}
    Born: {type: date}
    Visits: {type: integer}
    Revenue: {type: number, thousands: ","}
    Zip: {type: string}
    Opt In: {name: opt_in, type: boolean}
    Paid: {type: boolean, true: [Ja], false: [Nein]}
    Notes: ~
  drop: [Secret]
YAML
	printf '\xef\xbb\xbfCompany,Job Title,Country,City,Created,Born,Visits,Revenue,Zip,Opt In,Paid,Notes,Secret,Other\r\n' > "$BATS_TEST_TMPDIR/e.csv"
	printf 'Acme,CEO,US,Unknown,3/5/2024 2:30 PM,2024-02-29,007,"1,234,567.50",01067,Yes,ja,x,y,0012\r\n' >> "$BATS_TEST_TMPDIR/e.csv"
	printf '"Beta, Inc",n/a, - ,Select,7/5/2024,,+12.0,-3,,no,NEIN,,,\r\n' >> "$BATS_TEST_TMPDIR/e.csv"
	run lq-csv -r "$BATS_TEST_TMPDIR/m.yaml" "$BATS_TEST_TMPDIR/e.csv"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"company":"Acme","title":"CEO","address":{"country":"US","city":null},"created_at":"2024-03-05T19:30:00Z","Born":"2024-02-29","Visits":7,"Revenue":1234567.50,"Zip":"01067","opt_in":true,"Paid":true,"Other":"0012"}' ]
	[ "${lines[1]}" = '{"company":"Beta, Inc","title":null,"address":{"country":null,"city":null},"created_at":"2024-07-05","Born":null,"Visits":12,"Revenue":-3,"Zip":null,"opt_in":false,"Paid":false,"Other":null}' ]
	# -e omit leaves out null members
	run lq-csv -r "$BATS_TEST_TMPDIR/m.yaml" -e omit "$BATS_TEST_TMPDIR/e.csv"
	[ "${lines[1]}" = '{"company":"Beta, Inc","created_at":"2024-07-05","Visits":12,"Revenue":-3,"opt_in":false,"Paid":false}' ]
}

@test "-r: a cell that is not of its column's type rejects the row, file:line and the cell; invalid: null keeps it as null with a warning" {
	printf 'csv:\n  columns:\n    n: {type: number}\n    d: {type: date, format: "%%m/%%d/%%Y"}\n    b: {type: boolean}\n    i: {type: integer}\n' > "$BATS_TEST_TMPDIR/m.yaml"
	printf 'n,d,b,i\n1,1/2/2024,yes,3\nlots,1/2/2024,yes,3\n1,2/30/2024,yes,3\n1,1/2/2024,maybe,3\n1,1/2/2024,yes,3.5\n1e999,1/2/2024,yes,3\n' > "$BATS_TEST_TMPDIR/t.csv"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr -1 lq-csv -r m.yaml --rejects rej t.csv
	[ "$output" = '{"n":1,"d":"2024-01-02","b":true,"i":3}' ]
	[[ "$stderr" == *"t.csv:3: column 'n': \"lots\" is not a number"* ]]
	[[ "$stderr" == *"t.csv:4: column 'd': \"2/30/2024\" is not a date in the column's format (%m/%d/%Y)"* ]]
	[[ "$stderr" == *"t.csv:5: column 'b': \"maybe\" is not a true or false word"* ]]
	[[ "$stderr" == *"t.csv:6: column 'i': \"3.5\" is not a whole number"* ]]
	[[ "$stderr" == *"t.csv:7: column 'n': \"1e999\" is not a number"* ]]
	[[ "$stderr" == *"5 of 6 records rejected"* ]]
	printf 'n,d,b,i\nlots,1/2/2024,yes,3\n1,2/30/2024,yes,3\n1,1/2/2024,maybe,3\n1,1/2/2024,yes,3.5\n1e999,1/2/2024,yes,3\n' | cmp - rej
	printf 'csv:\n  invalid: null\n  columns:\n    n: {type: number}\n' > m2.yaml
	run --separate-stderr lq-csv -r m2.yaml t.csv
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = '{"n":null,"d":"1/2/2024","b":"yes","i":3}' ]
	[[ "$stderr" == *"t.csv:3: column 'n': \"lots\" is not a number; made null"* ]]
}

@test "-r: a bad csv: section fails before any input is read, at file:line:col" {
	bad() {
		printf '%s\n' "$@" > "$BATS_TEST_TMPDIR/b.yaml"
		run -2 lq-csv -r "$BATS_TEST_TMPDIR/b.yaml" /nonexistent.csv
	}
	bad 'csv:' '  columns:' '    n: {type: float}'
	[[ "$output" == *"b.yaml:3:"*"unknown type 'float'"* ]]
	bad 'csv:' '  columns:' '    n: {format: "%Y"}'
	[[ "$output" == *"b.yaml:3:"*"format needs type: date"* ]]
	bad 'csv:' '  columns:' '    d: {type: date, tz: Mars/Olympus}'
	[[ "$output" == *"b.yaml:3:"*"unknown time zone 'Mars/Olympus'"* ]]
	bad 'csv:' '  columns:' '    A: x' '    B: x'
	[[ "$output" == *"columns 'A' and 'B' both map to 'x'"* ]]
	bad 'csv:' '  colums: {}'
	[[ "$output" == *"b.yaml:2:3:"*"did you mean 'columns'"* ]]
	bad 'csv:' '  columns:' '    b: {type: boolean, true: [y], false: [Y]}'
	[[ "$output" == *"'y' is both a true and a false word"* ]]
	[[ "$output" != *"nonexistent"* ]]
}

@test "-r: required columns; the wrong mapping is named; others: drop" {
	printf 'csv:\n  columns:\n    Email: {name: email, required: true}\n    Company: company\n' > "$BATS_TEST_TMPDIR/m.yaml"
	printf 'Name,Mail\na,b\n' > "$BATS_TEST_TMPDIR/x.csv"
	run --separate-stderr -1 lq-csv -r "$BATS_TEST_TMPDIR/m.yaml" "$BATS_TEST_TMPDIR/x.csv"
	[[ "$stderr" == *"x.csv:1: header: column 'Email' is required by the csv mapping and not in the header"* ]]
	printf 'csv:\n  columns:\n    Company: company\n' > "$BATS_TEST_TMPDIR/m.yaml"
	run --separate-stderr lq-csv -r "$BATS_TEST_TMPDIR/m.yaml" "$BATS_TEST_TMPDIR/x.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"none of the columns of the csv mapping"*"such as 'Company'"* ]]
	printf 'csv:\n  others: drop\n  columns:\n    Mail: email\n' > "$BATS_TEST_TMPDIR/m.yaml"
	run lq-csv -r "$BATS_TEST_TMPDIR/m.yaml" "$BATS_TEST_TMPDIR/x.csv"
	[ "$output" = '{"email":"b"}' ]
}

@test "--to-csv -r: the export's own header names and cell words come back" {
	R="$TOP/rules/csv/salesforce.yaml"
	lq-csv -r "$R" "$F/crm/salesforce.csv" > "$BATS_TEST_TMPDIR/sf.ndjson"
	run lq-csv -t --no-safe -r "$R" "$BATS_TEST_TMPDIR/sf.ndjson"
	[ "$status" -eq 0 ]
	# the header as Salesforce wrote it, dates and checkboxes as it wrote
	# them; thousands separators and placeholders are not written back
	diff <(cells "$F/crm/salesforce.csv" | sed 's/"2,088"/"2088"/; s/"8,234"/"8234"/; s/"\[not provided\]"/""/') <(cells /dev/stdin <<< "$output")
}

# a CRM export scored through its shipped mapping gives what the same
# leads written by hand as NDJSON give
crm_same_as_hand() {
	local vendor=$1 E="$TOP/rules/enrich.yaml" S="$TOP/rules/score.yaml"
	lq-csv -r "$TOP/rules/csv/$vendor.yaml" "$F/crm/$vendor.csv" > "$BATS_TEST_TMPDIR/$vendor.ndjson"
	lq-enrich -q -r "$E" "$BATS_TEST_TMPDIR/$vendor.ndjson" | lq-score -q -r "$S" |
		jq -c '[.email, .company, .title, .country, .created_at, .score.tier, .score.points]' > "$BATS_TEST_TMPDIR/got"
	lq-enrich -q -r "$E" "$F/crm/leads.ndjson" | lq-score -q -r "$S" |
		jq -c '[.email, .company, .title, .country, .created_at, .score.tier, .score.points]' > "$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	[ "$(jq -r '.[5]' "$BATS_TEST_TMPDIR/got" | sort -u | wc -l)" -ge 2 ]
}

@test "rules/csv/salesforce.yaml: a Leads report export scores as the same leads by hand; without it, every lead is L4" {
	crm_same_as_hand salesforce
	run sh -c 'lq-csv "$1/crm/salesforce.csv" | lq-enrich -q -r "$2/rules/enrich.yaml" | lq-score -q -r "$2/rules/score.yaml" | jq -r .score.tier | sort -u' _ "$F" "$TOP"
	[ "$output" = L4 ]
}

@test "rules/csv/hubspot.yaml: a contacts export scores as the same leads by hand" {
	crm_same_as_hand hubspot
}

@test "rules/csv/odoo.yaml: a CRM leads export scores as the same leads by hand" {
	crm_same_as_hand odoo
}

@test "x-education Leads.csv: placeholders become null, Converted a boolean, the ids strings" {
	need_shared x-education-leads
	run --separate-stderr lq-csv -r "$TOP/rules/csv/x-education.yaml" "$SHARED/data/x-education-leads/Leads.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 9240 ]
	! grep -q '"Select"' <<< "$output"
	[ "$(jq -r '.Converted | type' <<< "$output" | sort -u)" = boolean ]
	[ "$(jq -r '."Lead Number" | type' <<< "$output" | sort -u)" = string ]
	# the export has 2,690 empty occupation cells and no "Select" in it
	[ "$(jq -r 'select(."What is your current occupation" == null) | 1' <<< "$output" | wc -l)" -eq 2690 ]
	# Specialization: "Select" and empty cells are both null now
	[ "$(jq -r 'select(.Specialization == null) | 1' <<< "$output" | wc -l)" -eq "$(awk -F, 'NR > 1 && ($13 == "" || $13 == "Select")' "$SHARED/data/x-education-leads/Leads.csv" | wc -l)" ]
}

@test "x-education: --to-csv keeps every input column and every leaf of the tools' output; the cells round-trip" {
	need_shared x-education-leads
	L="$SHARED/data/x-education-leads/Leads.csv"
	lq-csv "$L" | lq-enrich -q -r "$TOP/rules/enrich.yaml" | lq-score -q -r "$TOP/rules/score.yaml" |
		lq-route -q -r "$TOP/rules/route.yaml" > "$BATS_TEST_TMPDIR/routed.ndjson"
	lq-csv -t --no-safe < "$BATS_TEST_TMPDIR/routed.ndjson" > "$BATS_TEST_TMPDIR/routed.csv"
	# the leaves of the NDJSON (objects walked, arrays and scalars leaves)
	"$PY" - "$BATS_TEST_TMPDIR/routed.ndjson" "$BATS_TEST_TMPDIR/routed.csv" <<'PY'
import csv, json, sys
leaves, objs = [], set()
def walk(v, p):
    if isinstance(v, dict) and v:
        objs.add(tuple(p))
        for k, x in v.items():
            walk(x, p + [k])
    elif ".".join(p) not in leaves:
        leaves.append(".".join(p))
for line in open(sys.argv[1]):
    walk(json.loads(line), [])
# a key seen null and as an object is written by its members' columns
want = set(l for l in leaves if tuple(l.split(".")) not in objs) | {"score.summary"}
with open(sys.argv[2], newline="") as f:
    header = next(csv.reader(f))
assert len(header) == len(set(header)), "a column twice"
missing, extra = want - set(header), set(header) - want
assert not missing and not extra, (sorted(missing), sorted(extra))
PY
	n=$(head -1 "$L" | "$PY" -c 'import csv,sys; print(len(next(csv.reader(sys.stdin))))')
	diff <(cells "$L" | jq -c .) <(cells "$BATS_TEST_TMPDIR/routed.csv" | jq -c ".[:$n]")
}
