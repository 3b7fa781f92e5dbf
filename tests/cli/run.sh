#!/bin/sh
# End-to-end tests of the command-line tools.  Runs every tests/cli/t_*.sh
# in this shell with a few assertion helpers, and ends with the line
# "N passed, N failed".  Needs $BUILD (default build) to hold the tools.
# Tests that need ../shared/esedb-samples or libesedb-utils skip with a
# message when those are absent.
BUILD=${BUILD:-build}
ESEUTIL=$BUILD/eseutil
ISINTEG=$BUILD/isinteg
CORRUPT=$BUILD/tests/ese-corrupt
SAMPLES=${SAMPLES:-../shared/esedb-samples}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ese-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
PASS=0
FAIL=0
SKIP=0

pass() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
skip() { SKIP=$((SKIP + 1)); echo "SKIP: $*"; }

# run CMD...: runs it, keeping stdout in $TMP/out, stderr in $TMP/err, status in $RC
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

# expect_rc NAME CODE: the last run exited with CODE
expect_rc() {
	if [ "$RC" = "$2" ]; then pass; else fail "$1: exit $RC, expected $2 ($(head -c 300 "$TMP/err"))"; fi
}

# expect_out NAME PATTERN / expect_err NAME PATTERN: grep -E in stdout / stderr
expect_out() {
	if grep -Eq -- "$2" "$TMP/out"; then pass; else fail "$1: stdout lacks /$2/"; fi
}
expect_err() {
	if grep -Eq -- "$2" "$TMP/err"; then pass; else fail "$1: stderr lacks /$2/"; fi
}
# expect_lines NAME FILE N: FILE has exactly N lines
expect_lines() {
	n=$(wc -l <"$2")
	if [ "$n" = "$3" ]; then pass; else fail "$1: $n lines in $(basename "$2"), expected $3"; fi
}

# sample NAME: decompresses a shared sample into $TMP/samples, prints its path
have_samples() { [ -f "$SAMPLES/basic.edb.gz" ]; }
sample() {
	mkdir -p "$TMP/samples"
	[ -f "$TMP/samples/$1.edb" ] || gunzip -c "$SAMPLES/$1.edb.gz" >"$TMP/samples/$1.edb"
	echo "$TMP/samples/$1.edb"
}

# ONLY=t_name runs one test file
for t in tests/cli/t_*.sh; do
	case "$t" in *"${ONLY:-}"*) . "$t" ;; esac
done

echo "cli: $PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ]
