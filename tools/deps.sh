#!/bin/sh
# Install the Debian packages lq needs, when they are missing.
# usage: deps.sh GROUP...   (groups: build test demo fuzz bench)
# Every command a test runs must be in build or test, every command the demo
# runs in build or demo: tools/check-deps.sh (test/deps.bats) checks it.
set -e
pkgs=
for g in "$@"; do
	case $g in
	build) pkgs="$pkgs gcc make libc6-dev libjq-dev libonig-dev libyaml-dev libsqlite3-dev libcsv-dev libcurl4-openssl-dev libxgboost-dev" ;;
	test) pkgs="$pkgs bats jq mandoc librsvg2-bin chromium fonts-dejavu-core git parallel python3 python3-yaml sqlite3 perl time miller groff-base iso-codes tzdata python3-phonenumbers curl" ;;
	demo) pkgs="$pkgs jq python3" ;;
	fuzz) pkgs="$pkgs clang libclang-rt-14-dev llvm" ;;
	bench) pkgs="$pkgs bc miller python3-sklearn python3-numpy hyperfine valgrind csvkit" ;;
	esac
done
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else
	echo "deps: missing Debian packages:$missing (run as root: apt-get install$missing)" >&2
	exit 1
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
	{ $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null; }
