#!/bin/sh
# make-samples.sh - (re)make the sample mail stores of sample-dbs/ and check them.
#
#   sh sample-dbs/make-samples.sh [--check] [BUILD]
#
# Run from the repository root after `make all`; BUILD is the build
# directory (default build).  Makes priv1.edb (healthy) and one logically
# damaged copy per `ese-mailgen --damage` kind, priv1-KIND.edb, all with
# seed 1 (docs/mailstore.md, sample-dbs/README.md), then checks each:
# `eseutil /g` finds no problem (the damage is in the rows' values, which
# /g does not judge), `eseutil /export` and Debian's `esedbexport` (when
# installed) read every table, each file is at most 3 MiB and all of them
# at most 12 MiB together.
#
# --check  makes them in a temporary directory instead and compares them
#          byte for byte with the committed ones (the generator is
#          deterministic): exit 1 if any differs.
#
# Exit: 0 made (or identical), 1 a check failed, 2 usage or not built.
set -eu

check_only=0
if [ "${1:-}" = "--check" ]; then
	check_only=1
	shift
fi
case "${1:-}" in
-*) echo "usage: sh sample-dbs/make-samples.sh [--check] [BUILD]" >&2; exit 2 ;;
esac
BUILD=${1:-build}
GEN=$BUILD/tests/ese-mailgen
ESEUTIL=$BUILD/eseutil
HERE=$(dirname "$0")
SEED=1
KINDS="wrong-folder-counts wrong-mailbox-totals wrong-message-refcount wrong-attachment-refcount orphan-message dangling-link"
MAX_ONE=$((3 * 1024 * 1024))
MAX_ALL=$((16 * 1024 * 1024))
CORRUPT=$BUILD/tests/ese-corrupt
PHYSICAL="bitflip torn"

for tool in "$GEN" "$ESEUTIL" "$CORRUPT"; do
	if [ ! -x "$tool" ]; then
		echo "make-samples: $tool not found: run make all first" >&2
		exit 2
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/make-samples.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
if [ $check_only = 1 ]; then
	OUT=$WORK/made
	mkdir "$OUT"
else
	OUT=$HERE
fi

# The samples: name, then ese-mailgen's arguments (seed and --replace added).
gen() {
	name=$1
	shift
	"$GEN" "$OUT/$name" --seed $SEED --replace "$@" >"$WORK/gen.out"
	chmod 644 "$OUT/$name"
	sed 's/^/  /' "$WORK/gen.out"
}
echo "make-samples: making the samples in $OUT"
gen priv1.edb --size 2500K
for kind in $KINDS; do
	gen "priv1-$kind.edb" --size 1M --damage "$kind"
done
# physical damage for eseutil: a healthy 1 MiB store, then one injector kind
"$GEN" "$WORK/base.edb" --seed $SEED --size 1M >/dev/null
for kind in $PHYSICAL; do
	"$CORRUPT" "$kind" "$WORK/base.edb" "$OUT/priv1-$kind.edb" | sed 's/^/  /'
	chmod 644 "$OUT/priv1-$kind.edb"
done

fail=0
bad() {
	echo "make-samples: $1" >&2
	fail=1
}
total=0
for kind in "" $KINDS $PHYSICAL; do
	name=priv1${kind:+-$kind}.edb
	f=$OUT/$name
	size=$(wc -c <"$f")
	total=$((total + size))
	[ "$size" -le $MAX_ONE ] || bad "$name: $size bytes, more than 3 MiB"
	case " $PHYSICAL " in
	*" $kind "*)
		# physical damage: /g must name it (G202 single-bit, G201 checksum)
		"$ESEUTIL" /g "$f" >"$WORK/g.out" 2>&1 || true
		if ! grep -qE "G20[12] " "$WORK/g.out"; then
			bad "$name: eseutil /g does not report the damage"
		fi
		echo "  $name: $size bytes, eseutil /g reports: $(grep -oE 'G20[12] [a-z -]+' "$WORK/g.out" | head -1)"
		continue ;;
	esac
	if ! "$ESEUTIL" /g "$f" >"$WORK/g.out" 2>&1 || ! grep -q "^Integrity check successful" "$WORK/g.out"; then
		bad "$name: eseutil /g finds a problem:"
		cat "$WORK/g.out" >&2
	fi
	rm -rf "$WORK/export"
	if ! "$ESEUTIL" /export "$f" /o "$WORK/export" >"$WORK/export.out" 2>&1 ||
	   [ "$(ls "$WORK/export" | wc -l)" -ne 10 ]; then
		bad "$name: eseutil /export does not read 10 tables"
	fi
	if command -v esedbexport >/dev/null 2>&1; then
		rm -rf "$WORK/x" "$WORK/x.export"
		if ! esedbexport -t "$WORK/x" "$f" >"$WORK/esedb.out" 2>&1 ||
		   ! grep -q "^Export completed" "$WORK/esedb.out" || [ "$(ls "$WORK/x.export" | wc -l)" -ne 10 ]; then
			bad "$name: esedbexport does not read it:"
			cat "$WORK/esedb.out" >&2
		fi
	fi
	if [ $check_only = 1 ] && ! cmp -s "$f" "$HERE/$name"; then
		bad "$name: differs from the committed sample (remake with sh sample-dbs/make-samples.sh)"
	fi
	echo "  $name: $size bytes, eseutil /g clean"
done
[ "$total" -le $MAX_ALL ] || bad "the samples take $total bytes, more than 16 MiB"
command -v esedbexport >/dev/null 2>&1 || echo "make-samples: esedbexport not installed: that check was skipped"
if [ $fail = 1 ]; then
	exit 1
fi
echo "make-samples: $total bytes in all; every check passed"
