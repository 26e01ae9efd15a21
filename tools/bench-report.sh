#!/bin/sh
# bench-report.sh: lq-report throughput and memory on generated outcomes.
# usage: tools/bench-report.sh [BINDIR]   (N=50000 leads by default)
# Prints records/s (CPU and wall) and the peak RSS for the example report:
# section grouped by owner and week, with drift split and the SVG.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$TOP/build/bin}" && pwd)
N=${N:-50000}
W=${BENCH_DIR:-$(mktemp -d)}
python3 "$TOP/tools/gen-leads.py" -n "$N" > "$W/leads.ndjson"
python3 "$TOP/tools/gen-outcomes.py" "$W/leads.ndjson" > "$W/outcomes.ndjson"
/usr/bin/time -f '%U %e %M' -o "$W/time" "$BIN/lq-report" \
    -r "$TOP/rules/report.yaml" --by owner,week --split 2026-11-01 \
    --svg "$W/impact.svg" "$W/outcomes.ndjson" > /dev/null
read -r user wall rss < "$W/time"
echo "lq-report: $N records, $(echo "$N / $user" | bc) rec/s CPU," \
    "$(echo "$N / $wall" | bc) rec/s wall, peak RSS $rss KB"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
