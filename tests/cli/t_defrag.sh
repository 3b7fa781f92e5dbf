# eseutil /d: every shared sample and a generated database are defragmented;
# the content is unchanged (our export and esedbexport's, except the catalog's
# root-page column, which defragmentation changes by design), /g and /k are
# clean, the file is no larger.  Then the failure paths: the original must
# always survive byte for byte, and no temporary file may be left behind.

sha() { sha256sum <"$1" | cut -c1-64; }

# compare two export folders; MSysObjects*: only column 4 (ColtypOrPgnoFDP)
# of table/index/long-value rows may differ.  $3: extra allowed "file:column" cells.
cmp_exports() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import os, sys
a, b, allow = sys.argv[1], sys.argv[2], set(filter(None, sys.argv[3].split(",")))
bad = []
for f in sorted(os.listdir(a)):
    x = open(os.path.join(a, f), "rb").read().split(b"\n")
    y = open(os.path.join(b, f), "rb").read().split(b"\n") if os.path.exists(os.path.join(b, f)) else []
    if len(x) != len(y):
        bad.append(f + ": row count"); continue
    hdr = x[0].split(b"\t")
    for r, (u, v) in enumerate(zip(x, y)):
        cu, cv = u.split(b"\t"), v.split(b"\t")
        for i, (p, q) in enumerate(zip(cu, cv)):
            if p == q: continue
            if f.startswith("MSysObjects") and i == 3 and cu[1] in (b"1", b"3", b"4"): continue
            if f"{f}:{hdr[i].decode()}" in allow: continue
            bad.append(f"{f} row {r} column {hdr[i].decode()}")
if bad:
    print("; ".join(bad[:5])); sys.exit(1)
PY
}

D="$TMP/defrag"
mkdir -p "$D"
if have_samples; then
	for name in basic binary default index multi text large; do
		src=$(sample $name)
		cp "$src" "$D/$name.edb"
		run "$ESEUTIL" /d "$D/$name.edb"
		expect_rc "$name /d" 0
		expect_out "$name /d summary" "^Pages: [0-9]+ before, [0-9]+ after"
		run "$ESEUTIL" /g "$D/$name.edb"
		expect_rc "$name /g after /d" 0
		run "$ESEUTIL" /k "$D/$name.edb"
		expect_rc "$name /k after /d" 0
		if [ "$(stat -c %s "$D/$name.edb")" -le "$(stat -c %s "$src")" ]; then pass; else fail "$name grew"; fi
		"$ESEUTIL" /export "$src" /o "$D/$name.before" >/dev/null 2>&1
		"$ESEUTIL" /export "$D/$name.edb" /o "$D/$name.after" >/dev/null 2>&1
		if out=$(cmp_exports "$D/$name.before" "$D/$name.after"); then pass; else fail "$name: our export changed: $out"; fi
		if command -v esedbexport >/dev/null 2>&1 && [ $name != large ]; then
			esedbexport -t "$D/$name.eb" "$src" >/dev/null 2>&1
			esedbexport -t "$D/$name.ea" "$D/$name.edb" >/dev/null 2>&1
			# text.edb: esedbexport (libesedb 20181229) no longer resolves two
			# separated long values in the compacted long-value tree, which our
			# reader, /g and the digest verify (see README, known exceptions)
			allow=""
			[ $name = text ] && allow="text.4:LongASCII,text.4:MaxLongUnicode"
			if out=$(cmp_exports "$D/$name.eb.export" "$D/$name.ea.export" "$allow"); then pass; else fail "$name: esedbexport output changed: $out"; fi
		fi
	done
else
	skip "/d on the shared samples: $SAMPLES is absent"
fi

# a generated database with long values, multi-values, secondary indexes
GEN=$BUILD/tests/ese-gen
"$GEN" "$D/gen.edb" --rows 4000 --seed 3 >/dev/null
"$ESEUTIL" /export "$D/gen.edb" /o "$D/gen.before" >/dev/null
cp "$D/gen.edb" "$D/gen-orig.edb"
run "$ESEUTIL" /d "$D/gen.edb" /b "$D/gen-backup.edb" --json
expect_rc "generated /d /b" 0
expect_out "generated /d json" '"swapped":true'
if [ "$(sha "$D/gen-backup.edb")" = "$(sha "$D/gen-orig.edb")" ]; then pass; else fail "/b backup differs from the original"; fi
"$ESEUTIL" /export "$D/gen.edb" /o "$D/gen.after" >/dev/null
if out=$(cmp_exports "$D/gen.before" "$D/gen.after"); then pass; else fail "generated: export changed: $out"; fi
run "$ESEUTIL" /g "$D/gen.edb"
expect_rc "generated /g after /d" 0
ls "$D"/TEMPDFRG* "$D"/*.tmp* >/dev/null 2>&1 && fail "temporary files left after /d" || pass

# /p: the original stays, the copy is where /t says
cp "$D/gen-orig.edb" "$D/p.edb"
run "$ESEUTIL" /d "$D/p.edb" /p /t "$D/p-copy.edb"
expect_rc "/p" 0
if [ "$(sha "$D/p.edb")" = "$(sha "$D/gen-orig.edb")" ] && [ -f "$D/p-copy.edb" ]; then pass; else fail "/p changed the original or lost the copy"; fi
if [ "$(stat -c %a "$D/p-copy.edb")" = 600 ]; then pass; else fail "copy mode $(stat -c %a "$D/p-copy.edb"), want 600"; fi

# refusals: nothing changes, nothing is left behind
refuse() {   # NAME RC PATTERN FILE ARGS...
	name=$1 want=$2 pat=$3 f=$4
	shift 4
	before=$(sha "$f")
	run "$ESEUTIL" /d "$f" "$@"
	expect_rc "$name" "$want"
	expect_err "$name message" "$pat"
	if [ "$(sha "$f")" = "$before" ]; then pass; else fail "$name changed the database"; fi
	ls "$D"/TEMPDFRG* >/dev/null 2>&1 && fail "$name left a temporary file" || pass
}
cp "$D/gen-orig.edb" "$D/r.edb"
: >"$D/exists.edb"
refuse "temp path exists" 8 "temporary path already exists" "$D/r.edb" /t "$D/exists.edb"
refuse "backup path exists" 8 "backup path already exists" "$D/r.edb" /b "$D/exists.edb"
ln -sf "$D/r.edb" "$D/link.edb"
run "$ESEUTIL" /d "$D/link.edb"
expect_rc "symlink" 8
expect_err "symlink message" "symbolic link"
run "$ESEUTIL" /d "$D/missing.edb"
expect_rc "missing" 8
# dirty shutdown: state 2 in both header copies
cp "$D/gen-orig.edb" "$D/dirty.edb"
python3 - "$D/dirty.edb" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
ps = struct.unpack_from("<I", f.read(240), 236)[0] or 4096
for base in (0, ps):
    f.seek(base); p = bytearray(f.read(ps))
    struct.pack_into("<I", p, 52, 2)
    struct.pack_into("<i", p, 296, 7); struct.pack_into("<i", p, 300, 9)
    x = 0x89ABCDEF
    for i in range(4, ps, 4): x ^= struct.unpack_from("<I", p, i)[0]
    struct.pack_into("<I", p, 0, x); f.seek(base); f.write(p)
PY
refuse "dirty shutdown" 8 "Dirty Shutdown state; soft recovery must replay log generations 7-9" "$D/dirty.edb"
run "$ESEUTIL" /d "$D/dirty.edb" --json
expect_out "dirty json" '"jet_error":-550'
# a damaged source page: refused before the swap, pointing at /p
"$CORRUPT" bitflip "$D/gen-orig.edb" "$D/b1.edb" 40 9000 >/dev/null
"$CORRUPT" bitflip "$D/b1.edb" "$D/bad.edb" 40 9100 >/dev/null
refuse "bad checksum in source" 8 "eseutil /p" "$D/bad.edb"
# locked by another run of this toolkit
cp "$D/gen-orig.edb" "$D/locked.edb"
if command -v flock >/dev/null 2>&1; then
	flock -x "$D/locked.edb" sleep 3 &
	sleep 0.5
	refuse "locked database" 8 "in use by another process" "$D/locked.edb"
	wait
else
	skip "lock test: flock(1) missing"
fi
# full disk: a file-size limit far below the copy's size
cp "$D/gen-orig.edb" "$D/full.edb"
before=$(sha "$D/full.edb")
(ulimit -f 200; "$ESEUTIL" /d "$D/full.edb" >"$TMP/out" 2>"$TMP/err"); RC=$?
expect_rc "full disk" 8
expect_err "full disk message" "No space|too large|DiskFull|not enough|File too large"
if [ "$(sha "$D/full.edb")" = "$before" ]; then pass; else fail "full disk changed the database"; fi
ls "$D"/TEMPDFRG* "$D"/*.tmp* >/dev/null 2>&1 && fail "full disk left a temporary file" || pass
# a read-only directory (root bypasses permissions: only as a normal user)
if [ "$(id -u)" != 0 ]; then
	mkdir -p "$D/ro" && cp "$D/gen-orig.edb" "$D/ro/db.edb" && chmod 555 "$D/ro"
	run "$ESEUTIL" /d "$D/ro/db.edb"
	expect_rc "read-only directory" 8
	chmod 755 "$D/ro"
else
	skip "read-only directory test (running as root)"
fi

# SIGKILL at 50 random points of the copy, the verification and the swap:
# the database name always holds the original or a complete copy that /g passes
"$GEN" "$D/kill-orig.edb" --rows 30000 --seed 9 >/dev/null
orig=$(sha "$D/kill-orig.edb")
t0=$(date +%s%N); "$ESEUTIL" /d "$D/kill-orig.edb" /p /t "$D/kill-time.edb" >/dev/null 2>&1; t1=$(date +%s%N)
span=$(( (t1 - t0) / 1000000 + 20 ))
rm -f "$D/kill-time.edb"
killed_ok=0
for i in $(seq 1 50); do
	rm -f "$D"/TEMPDFRG* "$D"/kill.edb.tmp* "$D"/kill.edb.dfrg*
	cp "$D/kill-orig.edb" "$D/kill.edb"
	"$ESEUTIL" /d "$D/kill.edb" >/dev/null 2>&1 &
	pid=$!
	ms=$(( (i * 7919) % span ))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ ! -f "$D/kill.edb" ]; then
		fail "kill $i at ${ms}ms: the database is missing"
	elif [ "$(sha "$D/kill.edb")" = "$orig" ]; then
		killed_ok=$((killed_ok + 1))
	elif "$ESEUTIL" /g "$D/kill.edb" >/dev/null 2>&1; then
		killed_ok=$((killed_ok + 1))
	else
		fail "kill $i at ${ms}ms: the database is neither the original nor a clean copy"
	fi
done
if [ $killed_ok = 50 ]; then pass; else fail "SIGKILL: only $killed_ok of 50 runs left a good database"; fi

# A fragmented mail store of several hundred MiB (a simulated life, then a
# retention purge of half the messages, deleted in place) shrinks under /d
# to about its live data: within 10% of what /ms predicted.  The tables'
# content is unchanged and the store passes /g and isinteg afterwards.
MG=$BUILD/tests/ese-mailgen
run "$MG" "$D/lived.edb" --size 300M --purge 50 --seed 5
expect_rc "ese-mailgen --size 300M --purge 50" 0
run "$ESEUTIL" /ms "$D/lived.edb" --json
predicted=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["estimated_bytes_after_defrag"], j["pages_available"] * 100 // j["pages_owned"])' "$TMP/out")
rm -rf "$D/lived.x"
"$ESEUTIL" /export "$D/lived.edb" /o "$D/lived.x" >/dev/null 2>&1
before_content=$(cat "$D"/lived.x/[!M]* "$D"/lived.x/M[!S]* | sha256sum)   # not the catalog: roots move
before=$(stat -c %s "$D/lived.edb")
run "$ESEUTIL" /d "$D/lived.edb"
expect_rc "lived store: /d" 0
after=$(stat -c %s "$D/lived.edb")
python3 - "$before" "$after" $predicted <<'PY' >"$TMP/lived" 2>&1
import sys
before, after, pred, free = map(int, sys.argv[1:])
print(f"{before} -> {after} bytes, /ms predicted {pred}, {free}% of the owned pages free before")
sys.exit(0 if free >= 35 and abs(after - pred) <= pred // 10 and after < before * 7 // 10 else 1)
PY
if [ $? = 0 ]; then pass; else fail "lived store: $(cat "$TMP/lived")"; fi
rm -rf "$D/lived.x"
"$ESEUTIL" /export "$D/lived.edb" /o "$D/lived.x" >/dev/null 2>&1
if [ "$(cat "$D"/lived.x/[!M]* "$D"/lived.x/M[!S]* | sha256sum)" = "$before_content" ]; then pass; else fail "lived store: /d changed the tables' content"; fi
run "$ESEUTIL" /g "$D/lived.edb"
expect_rc "lived store after /d: /g" 0
run "$ISINTEG" -s "$D/lived.edb" -test alltests
expect_rc "lived store after /d: isinteg" 0
cat "$TMP/lived" >>"$TMP/log" 2>/dev/null
