# Shared set-up for the bats suites: load with `load helpers`.
bats_require_minimum_version 1.5.0

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
LQ_BIN="${LQ_BIN:-build/bin}"
case $LQ_BIN in /*) ;; *) LQ_BIN="$TOP/$LQ_BIN" ;; esac
# Debian's programs before any others (a clean machine has only those)
PATH="$LQ_BIN:/usr/bin:/bin:$PATH"
FIX="$TOP/test/fixtures"
SHARED="${LQ_SHARED:-$TOP/../shared}"
export TOP LQ_BIN PATH FIX SHARED

# skip unless ../shared/data/NAME exists (tests must pass without it)
need_shared() {
	[ -e "$SHARED/data/$1" ] || skip "no $SHARED/data/$1"
}

# true when running the sanitizer pass (slow paths may scale down)
sanitized() {
	[ -n "${LQ_SANITIZED:-}" ]
}
