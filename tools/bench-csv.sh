#!/bin/sh
# lq-csv throughput in both directions next to Miller and csvkit, as ratios
# measured in the same run.  Called by tools/bench.sh; runs in about a minute.
# usage: sh tools/bench-csv.sh BINDIR WORKDIR   (CSV_MB=10 RUNS=3)
set -eu
BIN=$(cd "$1" && pwd)
W=$2
TOP=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${LQ_SHARED:-$TOP/../shared}
MB=${CSV_MB:-10}
RUNS=${RUNS:-3}
mkdir -p "$W"
PATH="$BIN:$PATH"

now() { date +%s.%N; }

# best wall time of N runs of a shell command, in seconds
best() {
	n=$1
	b=
	i=0
	while [ $i -lt "$n" ]; do
		s=$(now)
		sh -c "$2" > /dev/null 2>&1
		e=$(now)
		b=$(awk -v s="$s" -v e="$e" -v b="$b" \
		    'BEGIN { t = e - s; if (b == "" || t < b) b = t; print b }')
		i=$((i + 1))
	done
	echo "$b"
}

mbs() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", n / 1048576 / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# input: x-education Leads.csv replicated to about CSV_MB MB, else generated
CSV="$W/csv-bench-$MB.csv"
if [ ! -s "$CSV" ]; then
	L="$SHARED/data/x-education-leads/Leads.csv"
	if [ -r "$L" ]; then
		python3 - "$L" "$MB" > "$CSV" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
head, _, body = data.partition(b"\n")
out = sys.stdout.buffer
out.write(head + b"\n")
n = 0
while n < int(sys.argv[2]) << 20:
    out.write(body)
    n += len(body)
EOF
	else
		python3 - "$MB" > "$CSV" <<'EOF'
import random, sys
r = random.Random(7)
w = sys.stdout.write
w("id,first_name,company,country,employees,score,opted_in,note\n")
n, i = 0, 0
while n < int(sys.argv[1]) << 20:
    line = '%d,Lead %d,"Acme %d, Inc.",DE,%d,%.2f,%s,"said ""hi"" at %d"\n' % (
        1000000000000011631 + i * 7919, i, i % 97, r.randint(1, 5000),
        r.random() * 100, "true" if i % 2 else "false", i)
    w(line)
    n += len(line)
    i += 1
EOF
	fi
fi
ND="$W/csv-bench-$MB.ndjson"
lq-csv "$CSV" > "$ND"
CB=$(wc -c < "$CSV")
NB=$(wc -c < "$ND")
ROWS=$(wc -l < "$ND")

echo "== lq-csv: $ROWS rows, CSV $(mbs "$CB" 1) MB, NDJSON $(mbs "$NB" 1) MB (MB/s of input; best of $RUNS for lq-csv, 1 run for the others)"
printf '%-40s %9s %9s %8s\n' "command" "seconds" "MB/s" "lq-csv x"
row() { printf '%-40s %9.3f %9s %8s\n' "$1" "$2" "$3" "$4"; }

t_in=$(best "$RUNS" "lq-csv '$CSV'")
m_in=$(mbs "$CB" "$t_in")
row "lq-csv (CSV -> NDJSON)" "$t_in" "$m_in" "1.0"
if command -v mlr > /dev/null; then
	t=$(best 1 "mlr --icsv --ojson cat '$CSV'")
	row "mlr --icsv --ojson cat" "$t" "$(mbs "$CB" "$t")" "$(ratio "$m_in" "$(mbs "$CB" "$t")")"
fi
if command -v csvjson > /dev/null; then
	# csvkit is slow: time it on a slice and compare MB/s
	head -c 2000000 "$CSV" | sed '$d' > "$W/csv-bench-slice.csv"
	SB=$(wc -c < "$W/csv-bench-slice.csv")
	t=$(best 1 "csvjson --stream '$W/csv-bench-slice.csv'")
	row "csvjson --stream (2 MB slice)" "$t" "$(mbs "$SB" "$t")" "$(ratio "$m_in" "$(mbs "$SB" "$t")")"
fi

t_out=$(best "$RUNS" "lq-csv -t '$ND'")
m_out=$(mbs "$NB" "$t_out")
row "lq-csv -t (NDJSON -> CSV)" "$t_out" "$m_out" "1.0"
if command -v mlr > /dev/null; then
	t=$(best 1 "mlr --ijsonl --ocsv cat '$ND'")
	row "mlr --ijsonl --ocsv cat" "$t" "$(mbs "$NB" "$t")" "$(ratio "$m_out" "$(mbs "$NB" "$t")")"
fi
if command -v in2csv > /dev/null; then
	head -c 8000000 "$ND" | sed '$d' > "$W/csv-bench-slice.ndjson"
	SB=$(wc -c < "$W/csv-bench-slice.ndjson")
	t=$(best 1 "in2csv -f ndjson '$W/csv-bench-slice.ndjson'")
	row "in2csv -f ndjson (8 MB slice)" "$t" "$(mbs "$SB" "$t")" "$(ratio "$m_out" "$(mbs "$SB" "$t")")"
fi
echo "lq-csv x = lq-csv MB/s / command MB/s, same input"
