#!/bin/sh
# lq-enrich throughput with a 1,000,000-row company table, and the table's
# load time on a first run (SQLite index built) and a second run (reused).
# usage: bench-enrich.sh BINDIR WORKDIR   (N=100000 leads, M=1000000 rows,
# RUNS=3; the generated files are kept in WORKDIR for the next run)
set -eu
BIN=$(cd "$1" && pwd)
mkdir -p "$2"
W=$(cd "$2" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
M=${M:-1000000}
RUNS=${RUNS:-3}
PATH="$BIN:$PATH"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | awk '{ printf "%.3f", $1 }'; }

# best wall time of RUNS runs of a shell command, in seconds
best() {
	b=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		s=$(now)
		sh -c "$1" > /dev/null
		t=$(secs "$s" "$(now)")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}

# best CPU time (user + sys) of RUNS runs, in seconds: on a shared machine
# the wall time also counts the other processes' turns
bestcpu() {
	b=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -f '%U %S' -o "$W/cpu.time" sh -c "$1" > /dev/null
		t=$(awk '{ printf "%.2f", $1 + $2 }' "$W/cpu.time")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}

T="$W/companies-$M.csv"
L="$W/leads-$N-$M.ndjson"
if [ ! -s "$T" ] || [ ! -s "$L" ]; then
	echo "generating $M companies and $N leads ..." >&2
	if [ -f "$TOP/tools/gen-leads.py" ]; then
		python3 "$TOP/tools/gen-leads.py" -n "$N" --companies "$T" \
		    --ncompanies "$M" > "$L"
	else
		echo "bench-enrich: no tools/gen-leads.py" >&2
		exit 1
	fi
fi
cat > "$W/enrich-bench.yaml" <<Y
enrich:
  data: $TOP/data
  tables:
    - name: companies
      as: company
      path: $T
      name_column: name
      split: [tech]
      index: sqlite
      cache: $W/companies-$M.sqlite
Y
rm -f "$W/companies-$M.sqlite"

echo "== lq-enrich bench: $N leads, $M-row company table ($(wc -c < "$T") bytes), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
s=$(now)
lq-enrich -q -r "$W/enrich-bench.yaml" < /dev/null
first=$(secs "$s" "$(now)")
second=$(best "lq-enrich -q -r '$W/enrich-bench.yaml' < /dev/null")
echo "table load, first run (index built):   ${first} s   (index $(wc -c < "$W/companies-$M.sqlite") bytes)"
echo "table load, second run (index reused): ${second} s"

t=$(best "lq-enrich -q -r '$W/enrich-bench.yaml' '$L'")
j=$(best "jq -c . '$L'")
echo "lq-enrich:  ${t} s  $(echo "$N / $t" | bc) leads/s"
echo "jq -c .:    ${j} s  $(echo "$N / $j" | bc) leads/s"
echo "ratio lq-enrich / jq -c . (leads/s): $(echo "scale=2; $j / $t" | bc -l)"
lq-enrich -q -r "$W/enrich-bench.yaml" "$L" |
	jq -r '.enrich.company.match // "none"' | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : "matches: "), $2, $1 } END { print "" }'

# ---- live sources: a warm cache against jq -c . ----------------------------
# A co-process source (python3) answers every key; the first run fills the
# SQLite cache, the next ones answer from it.  Keyed by the email domain
# (few distinct keys: a run remembers them) and by the lead id (every lead
# a distinct key: one SQLite lookup each).
cat > "$W/bench-source.py" <<'P'
#!/usr/bin/python3
import json, sys
for line in sys.stdin:
    k = line.rstrip("\n")
    print(json.dumps({"domain": k, "employees": 10 * len(k), "industry": "software",
                      "hq": {"city": "Berlin", "country": "DE"}}), flush=True)
P
chmod +x "$W/bench-source.py"
jcpu=$(bestcpu "jq -c . '$L'")
echo "jq -c .: ${jcpu} s CPU"
for keyed in domain id; do
	case $keyed in
	domain) kx=.enrich.email.domain ;;
	id) kx=.id ;;
	esac
	cat > "$W/enrich-source-$keyed.yaml" <<Y
enrich:
  data: $TOP/data
  cache: $W/source-cache-$keyed.sqlite
  sources:
    - name: firmo
      key: $kx
      command: [$W/bench-source.py]
      budget: 3600s
      fields:
        employees: .employees
        industry: .industry
        city: .hq.city
Y
	rm -f "$W/source-cache-$keyed.sqlite"*
	s=$(now)
	lq-enrich -q -r "$W/enrich-source-$keyed.yaml" "$L" > /dev/null
	cold=$(secs "$s" "$(now)")
	warm=$(best "lq-enrich -q -r '$W/enrich-source-$keyed.yaml' '$L'")
	keys=$(lq-enrich -q --offline -r "$W/enrich-source-$keyed.yaml" "$L" | jq -r .enrich.firmo.key | sort -u | wc -l)
	echo "source keyed by $keyed ($keys distinct keys): cold cache ${cold} s; warm cache ${warm} s  $(echo "$N / $warm" | bc) leads/s"
	echo "ratio lq-enrich (warm cache, by $keyed) / jq -c . (leads/s): $(echo "scale=2; $j / $warm" | bc -l)"
	wcpu=$(bestcpu "lq-enrich -q -r '$W/enrich-source-$keyed.yaml' '$L'")
	echo "ratio lq-enrich (warm cache, by $keyed) / jq -c . (CPU time): $(echo "scale=2; $jcpu / $wcpu" | bc -l)  (${wcpu} s CPU)"
done

# ---- fuzzy names: a free-mail lead's company name against the M names ------
# Leads from free-mail addresses, their company names with one letter
# dropped (a typo: the exact name misses, the fuzzy index must find it).
F="$W/leads-fuzzy-$N-$M.ndjson"
[ -s "$F" ] || jq -c '.email = "x@gmail.com" | .company |= (if type == "string" and length > 6 then .[0:3] + .[4:] else . end)' "$L" > "$F"
cat > "$W/enrich-fuzzy.yaml" <<Y
enrich:
  data: $TOP/data
  tables:
    - name: companies
      as: company
      path: $T
      name_column: name
      index: sqlite
      cache: $W/companies-$M.sqlite
Y
head -1 "$F" > "$W/lead-fuzzy-1.ndjson"
one=$(best "lq-enrich -q -r '$W/enrich-fuzzy.yaml' '$W/lead-fuzzy-1.ndjson'")
t=$(best "lq-enrich -q -r '$W/enrich-fuzzy.yaml' '$F'")
echo "fuzzy names over $M companies: one lead (table load and index build) ${one} s; $N leads ${t} s: $(echo "($N - 1) / ($t - $one)" | bc) leads/s after the build"
lq-enrich -q -r "$W/enrich-fuzzy.yaml" "$F" |
	jq -r '.enrich.company.match // "none"' | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : "fuzzy run matches: "), $2, $1 } END { print "" }'
