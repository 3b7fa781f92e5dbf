#!/bin/sh
# interop_export.sh - `eseutil /export` against Debian's `esedbexport -t`
# (libesedb-utils 20181229) on the Windows-made samples.
#
# For every sample in ../shared/esedb-samples: decompress it, run
# esedbexport once (its output is cached under $BUILD/interop-cache by the
# sample's SHA-256: large.edb takes about a minute), run
# `$BUILD/eseutil /export FILE /o DIR`, and compare the two directories
# file by file and, where files differ, cell by cell.  Every cell that may
# differ is listed below in EXCEPTIONS with its reason: they are the cells
# esedbexport prints empty (or never reaches) although a value exists, and
# for each our cell must equal what the sample's authors wrote, as
# dissect.esedb's tests/test_esedb.py and tests/test_index.py state it
# (written in the notation docs/esedbexport-format.md gives: text with
# esedbexport's own code-page rules, binary in hex, DateTime as FILETIME
# notation, multi-values joined by "; ").  Any other difference fails, and
# so does an exception whose cell no longer differs.
#
# Usage: sh tests/cli/interop_export.sh   (from the repository root;
#        BUILD=dir to use another build, SAMPLES=dir for the samples)
# Ends with "N passed, N failed"; exits 1 when anything failed.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAMPLES=${SAMPLES:-../shared/esedb-samples}
ESEUTIL=$BUILD/eseutil

skip_all() {
	echo "SKIP: interop export tests: $*"
	echo "0 passed, 0 failed"
	exit 0
}
[ -d "$SAMPLES" ] && ls "$SAMPLES"/*.edb.gz >/dev/null 2>&1 || skip_all "$SAMPLES holds no samples (*.edb.gz)"
command -v esedbexport >/dev/null 2>&1 || skip_all "esedbexport (Debian package libesedb-utils) is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed (it compares the cells)"
[ -x "$ESEUTIL" ] || { echo "FAIL: $ESEUTIL is missing: run make first"; echo "0 passed, 1 failed"; exit 1; }

# the cache is keyed by the sample and by the esedbexport that made it
REFVER=$(esedbexport -V 2>/dev/null | sed -n '1s/[^0-9]*\([0-9][0-9]*\).*/\1/p')
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ese-interop.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
PASS=0
FAIL=0

for gz in "$SAMPLES"/*.edb.gz; do
	name=$(basename "$gz" .edb.gz)
	f="$TMP/$name.edb"
	gunzip -c "$gz" >"$f" || { echo "FAIL: $name: cannot decompress $gz"; FAIL=$((FAIL + 1)); continue; }
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	cache="$BUILD/interop-cache/esedbexport${REFVER:+-$REFVER}-$sum"
	if [ ! -f "$cache/done" ]; then
		# esedbexport writes <target>.export; it exits 1 on large.edb
		# after the header of table "large", which is what we compare
		rm -rf "$cache"
		mkdir -p "$cache"
		(cd "$cache" && esedbexport -t ref "$f" >log 2>&1; echo $? >rc)
		if [ -d "$cache/ref.export" ]; then
			touch "$cache/done"
		else
			echo "FAIL: $name: esedbexport produced nothing ($(tail -2 "$cache/log"))"
			FAIL=$((FAIL + 1))
			continue
		fi
	fi
	ours="$TMP/ours-$name"
	"$ESEUTIL" /export "$f" /o "$ours" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "FAIL: $name: eseutil /export exited $rc: $(head -c 300 "$TMP/err")"
		FAIL=$((FAIL + 1))
		continue
	fi
	PASS=$((PASS + 1))
	# what diff -r would show, then the verdict cell by cell
	diff -rq "$cache/ref.export" "$ours" | sed "s|$TMP/||; s|^|  $name: |"
	python3 - "$name" "$cache/ref.export" "$ours" >"$TMP/cmp" 2>&1 <<'PY'
import datetime, os, struct, sys

sample, refdir, ourdir = sys.argv[1:4]

def hexs(b):
    return b.hex()

def guid(s):
    """A GUID as dissect writes it, as its 16 stored bytes in hex."""
    p = s.split("-")
    raw = (bytes.fromhex(p[0])[::-1] + bytes.fromhex(p[1])[::-1] + bytes.fromhex(p[2])[::-1]
           + bytes.fromhex(p[3]) + bytes.fromhex(p[4]))
    return raw.hex()

def oadate(dt):
    """An OLE date (dissect.util.ts.oatimestamp's inverse) in esedbexport's
    DateTime notation: the double's bits read as a FILETIME, far past 9999."""
    v = (dt - datetime.datetime(1899, 12, 30)) / datetime.timedelta(days=1)
    q = struct.unpack("<Q", struct.pack("<d", v))[0]
    return "(0x%08x 0x%08x)" % (q >> 32, q & 0xFFFFFFFF)

def mv(*cells):
    return "; ".join(cells)

FOX = "\U0001F98A"       # what the authors wrote
# esedbexport's text rules join UTF-16 surrogate pairs 0x3FF too low
# (libuna), so a fox is printed as U+1F58B wherever its rules apply
FOXL = "\U0001F58B"
A = "a"
DT = datetime.datetime
LV_MISS = ("separated long value that libesedb_record_get_long_value does not"
           " return (esedbexport -v: 'unable to retrieve long value of record"
           " entry'), so esedbexport prints nothing; of the samples' LVs it"
           " reads only text.edb's LIDs 1 and 5, the first entries of the two"
           " leaf pages of that LV tree")
LV_MISS_Z = LV_MISS + "; its chunks are Xpress-compressed, which libesedb would not undo"
MULTI = ("multi-valued column of a non-text type: esedbexport's non-text"
         " branch never sets the size it allocates, so it prints nothing")
TWO = "two-value column (TAGFLD header 0x18): esedbexport prints nothing"
DEFAULT = ("column with a default value the record does not store (tagged):"
           " libesedb does not apply catalog DefaultValue; we print the default")

# (sample, file, row, column, expected cell, reason)
EXCEPTIONS = [
    ("binary", "binary.4", 1, "LongCompressedBinary",
     hexs(b"test long compressed binary data " + b"a" * 1000), LV_MISS_Z),
    ("default", "default.4", 1, "LongBinary", hexs(b"Long default binary " + b"a" * 200), DEFAULT),
    ("default", "default.4", 1, "LongASCII", "Long default ASCII " + A * 200, DEFAULT),
    ("default", "default.4", 1, "LongUnicode", "Long default Unicode " + FOX + " " + A * 64,
     DEFAULT + " (decoded exactly: a true U+1F98A)"),
    ("index", "index.4", 1, "LongASCII", "Long ASCII text " + A * 1024, LV_MISS),
    ("index", "index.4", 1, "LongUnicode", "Long Unicode text " + FOXL + " " + A * 1024, LV_MISS),
    ("text", "text.4", 1, "LongUnicode", "Long Unicode text " + FOXL + " " + A * 1024, LV_MISS),
    ("text", "text.4", 1, "LongCompressedASCII", "Long compressed ASCII text " + A * 1024, LV_MISS_Z),
    ("text", "text.4", 1, "LongCompressedUnicode",
     "Long compressed Unicode text " + FOXL + " " + A * 1024, LV_MISS_Z),
    ("text", "text.4", 1, "MaxLongCompressedUnicode",
     "Max long compressed Unicode text that can be a bit longer " + FOXL + " " + A * 900, LV_MISS_Z),
    ("multi", "multi.4", 1, "Bit", mv("false", "true"), TWO),
    ("multi", "multi.4", 1, "UnsignedByte", mv("0", "127", "255"), MULTI),
    ("multi", "multi.4", 1, "Short", mv("0", "-32767", "32767"), MULTI),
    ("multi", "multi.4", 1, "Long", mv("0", "-2147483647", "2147483647"), MULTI),
    ("multi", "multi.4", 1, "Currency", mv("0", "-9223372036854775807", "9223372036854775807"), MULTI),
    ("multi", "multi.4", 1, "IEEESingle", mv("%f" % 0.0, "%f" % -1.0, "%f" % 1.0), MULTI),
    ("multi", "multi.4", 1, "IEEEDouble", mv("%f" % 0.0, "%f" % -1.0, "%f" % 1.0), MULTI),
    ("multi", "multi.4", 1, "DateTime",
     mv(oadate(DT(1661, 4, 17, 11, 30)), oadate(DT(2077, 4, 1)), oadate(DT(2517, 9, 24, 5, 30))), MULTI),
    ("multi", "multi.4", 1, "Binary",
     mv(*[hexs(b"Some binary data that has multiple values, this is value %d" % i) for i in (1, 2, 3)]), MULTI),
    ("multi", "multi.4", 1, "LongBinary",
     mv(*[hexs(b"Some very long binary data that has multiple values, this is value %d " % i + b"a" * 1024)
          for i in (1, 2, 3)]), MULTI + "; its instances are separated long values"),
    ("multi", "multi.4", 1, "LongCompressedBinary",
     mv(*[hexs(b"Some very long compressed binary data that has multiple values, this is value %d " % i
               + b"a" * 1024) for i in (1, 2, 3)]), MULTI + "; its instances are compressed long values"),
    ("multi", "multi.4", 1, "UnsignedLong", mv("0", "4294967295"), TWO),
    ("multi", "multi.4", 1, "LongLong", mv("0", "-9223372036854775807", "9223372036854775807"), MULTI),
    ("multi", "multi.4", 1, "GUID",
     mv(guid("03402861-fad3-4ce5-986e-d31df852f2a7"), guid("09b589e3-a92b-4936-bbc4-bb9dff334bf3"),
        guid("2212ff6a-6712-4fe4-bb4a-21e6d0e043d1")), MULTI),
    ("multi", "multi.4", 1, "UnsignedShort", mv("0", "65535"), TWO),
    ("multi", "multi.4", 2, "LongBinary", mv(*[hexs(b"Tiny binary %d" % i) for i in (1, 2, 3)]), MULTI),
    ("multi", "multi.4", 2, "LongCompressedBinary",
     mv(*[hexs(b"Tiny c binary %d" % i) for i in (1, 2, 3)]), MULTI + "; compressed"),
]

# Tables esedbexport stops in before their first record: only the header
# line is compared, and our rows are checked by a function of the rows.
def check_large(hdr, rows, say):
    """dissect: 16 records; Column{i} == i in record i // 4096."""
    ok = len(rows) == 16
    if not ok:
        say("large.4: %d records, dissect counts 16" % len(rows))
    for r, row in enumerate(rows):
        if len(row) != len(hdr):
            say("large.4 row %d: %d cells for %d columns" % (r + 1, len(row), len(hdr)))
            ok = False
            continue
        if not row[0]:
            say("large.4 row %d: empty Id" % (r + 1))
            ok = False
        for i in range(1, len(hdr)):
            want = str(i - 1).encode() if (i - 1) // 4096 == r else b""
            if hdr[i] != ("Column%d" % (i - 1)).encode() or row[i] != want:
                say("large.4 row %d column %s: %r, expected %r" % (r + 1, hdr[i].decode(), row[i][:40], want))
                ok = False
                break
    return ok

TABLE_EXCEPTIONS = {
    ("large", "large.4"): (check_large,
        "every record: libesedb 20181229 masks the first tagged offset of a 32 KiB-page record"
        " with 0x3fff and stops at record 0 ('invalid tagged data type offset value exceeds next"
        " tagged data type offset'); esedbexport writes the header line only and exits 1"),
}

passed = failed = 0
def ok():
    global passed
    passed += 1
def bad(msg):
    global failed
    failed += 1
    print("FAIL: %s: %s" % (sample, msg))

exc = {(f, r, c): (want, why) for (s, f, r, c, want, why) in EXCEPTIONS if s == sample}
seen = set()
files = sorted(set(os.listdir(refdir)) | set(os.listdir(ourdir)))
for fn in files:
    rp, op = os.path.join(refdir, fn), os.path.join(ourdir, fn)
    if not os.path.exists(rp) or not os.path.exists(op):
        bad("%s exists only in %s" % (fn, "esedbexport's export" if os.path.exists(rp) else "ours"))
        continue
    ref, our = open(rp, "rb").read(), open(op, "rb").read()
    tex = TABLE_EXCEPTIONS.get((sample, fn))
    if ref == our and not tex:
        ok()
        continue
    rl, ol = ref.split(b"\n"), our.split(b"\n")
    if rl[-1] != b"" or ol[-1] != b"":
        bad("%s: does not end with a newline" % fn)
        continue
    rl, ol = rl[:-1], ol[:-1]
    if not rl or not ol or rl[0] != ol[0]:
        bad("%s: header lines differ" % fn)
        continue
    hdr = rl[0].split(b"\t")
    if tex:
        check, why = tex
        if len(rl) != 1:
            bad("%s: esedbexport now writes %d records (table exception is stale: %s)" % (fn, len(rl) - 1, why))
            continue
        if check(hdr, [l.split(b"\t") for l in ol[1:]], lambda m: bad(m)):
            ok()
        continue
    if len(rl) != len(ol):
        bad("%s: %d lines, esedbexport wrote %d" % (fn, len(ol), len(rl)))
        continue
    good = True
    for r in range(1, len(rl)):
        if rl[r] == ol[r]:
            continue
        rc, oc = rl[r].split(b"\t"), ol[r].split(b"\t")
        if len(rc) != len(hdr) or len(oc) != len(hdr):
            bad("%s row %d: %d cells, esedbexport %d" % (fn, r, len(oc), len(rc)))
            good = False
            continue
        for i, col in enumerate(hdr):
            if rc[i] == oc[i]:
                continue
            key = (fn, r, col.decode("utf-8", "replace"))
            if key not in exc:
                bad("%s row %d column %s: ours %r, esedbexport %r" % (fn, r, key[2], oc[i][:80], rc[i][:80]))
                good = False
                continue
            seen.add(key)
            want, why = exc[key]
            if oc[i] == want.encode("utf-8"):
                ok()
            else:
                bad("%s row %d column %s (%s): ours %r, expected %r" % (fn, r, key[2], why, oc[i][:80],
                                                                        want.encode("utf-8")[:80]))
    if good:
        ok()
for key in sorted(set(exc) - seen):
    bad("exception %s row %d column %s is stale: the cell does not differ" % key)
print("counts %d %d" % (passed, failed))
PY
	cat "$TMP/cmp" | grep -v '^counts ' || true
	set -- $(sed -n 's/^counts //p' "$TMP/cmp")
	if [ $# -ne 2 ]; then
		echo "FAIL: $name: the cell comparison did not finish"
		FAIL=$((FAIL + 1))
		continue
	fi
	PASS=$((PASS + $1))
	FAIL=$((FAIL + $2))
	[ "$2" = 0 ] && echo "ok: $name ($1 checks)"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
