#!/bin/sh
# Run one libFuzzer harness for a while (make fuzz).
#   usage: run.sh BUILDDIR NAME SECONDS
# The working corpus grows in BUILDDIR/corpus/NAME (not committed); the
# seeds in test/fuzz/corpus/NAME are read, never written.  Crashes,
# timeouts, out-of-memory inputs and broken invariants are written to
# test/fuzz/regress/NAME/ (the regression corpus `make check` replays).
# Fork mode goes on after a finding, so a run lasts SECONDS whatever it
# finds.  Prints executions and findings; exits 1 when it found something.
set -u
build=$1 name=$2 secs=$3
bin=$build/fuzzer/fuzz_$name
regress=test/fuzz/regress/$name
work=$build/corpus/$name
log=$build/fuzz_$name.log

# per harness: longest input, and the dictionary
case $name in
json) maxlen=4096 dict=test/fuzz/json.dict ;;
csv) maxlen=4096 dict= ;;
yaml) maxlen=4096 dict=test/fuzz/yaml.dict ;;
score_rules|route_rules) maxlen=16384 dict=test/fuzz/yaml.dict ;;
jqn) maxlen=1024 dict=test/fuzz/jq.dict ;;
*) echo "run.sh: no harness '$name'" >&2; exit 2 ;;
esac

mkdir -p "$regress" "$work"
ls "$regress" | sort > "$build/.before.$name"
mkdir -p "$build/jqn-diffs"
echo "fuzz: $name for $secs s (log: $log)"
LQ_FUZZ_DIFF_DIR=$build/jqn-diffs \
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1 \
"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
	-rss_limit_mb=2048 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
	-ignore_ooms=1 -print_final_stats=1 -artifact_prefix="$regress/" \
	${dict:+-dict="$dict"} "$work" "test/fuzz/corpus/$name" > "$log" 2>&1
st=$?

# the last status line: "#N: cov: C ... time: Ts ..." (fork mode; its
# exec/s is the last job's)
last=$(grep -E '^#[0-9]+:? ' "$log" | tail -n 1)
execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
time=$(echo "$last" | sed -n 's/.* time: \([0-9]*\)s.*/\1/p')
rate=$([ -n "$execs" ] && [ "${time:-0}" -gt 0 ] && echo $((execs / time)))
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
new=$(ls "$regress" | sort | comm -13 "$build/.before.$name" -)
rm -f "$build/.before.$name"
n=$(echo "$new" | grep -c . || true)
echo "fuzz: $name: ${execs:-?} executions in ${time:-?} s (${rate:-?}/s), coverage ${cov:-?}, $n new finding(s)"
for f in $new; do
	echo "  $regress/$f"
done
if [ "$name" = jqn ] && [ -n "$(ls "$build/jqn-diffs")" ]; then
	echo "fuzz: jqn: $(ls "$build/jqn-diffs" | wc -l) inputs where native and libjq differ in $build/jqn-diffs"
fi
[ "$st" -eq 0 ] || echo "fuzz: $name: libFuzzer exited $st (see $log)"
[ "$n" -eq 0 ] && [ "$st" -eq 0 ]
