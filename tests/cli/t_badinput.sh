# Bad input: one clear line naming the file and the problem, exit 8, for
# every mode that opens a database; never a crash.

mkdir -p "$TMP/bad/adir"
: >"$TMP/bad/empty.edb"
head -c 100000 /dev/urandom >"$TMP/bad/random.edb" 2>/dev/null || dd if=/dev/urandom of="$TMP/bad/random.edb" bs=1000 count=100 2>/dev/null
printf 'short' >"$TMP/bad/short.edb"
head -c 65536 /dev/zero >"$TMP/bad/zero.edb"

for mode in /mh /k /mm /export; do
	extra=""
	[ "$mode" = /export ] && extra="/o $TMP/bad/out"
	run "$ESEUTIL" $mode "$TMP/bad/missing.edb" $extra
	expect_rc "$mode missing" 8
	expect_err "$mode missing" "missing.edb: no such file"

	run "$ESEUTIL" $mode "$TMP/bad/adir" $extra
	expect_rc "$mode directory" 8
	expect_err "$mode directory" "adir: is a directory"

	run "$ESEUTIL" $mode "$TMP/bad/empty.edb" $extra
	expect_rc "$mode empty" 8
	expect_err "$mode empty" "empty.edb: empty file"

	run "$ESEUTIL" $mode "$TMP/bad/random.edb" $extra
	expect_rc "$mode random" 8
	expect_err "$mode random" "random.edb: not an ESE database"

	run "$ESEUTIL" $mode "$TMP/bad/short.edb" $extra
	expect_rc "$mode short" 8
	expect_err "$mode short" "short.edb: file of 5 bytes is too short"

	run "$ESEUTIL" $mode "$TMP/bad/zero.edb" $extra
	expect_rc "$mode zero" 8
	expect_err "$mode zero" "zero.edb: no database header"
done

run "$ESEUTIL" /mh "$TMP/bad/missing.edb" --json
expect_out "json error" '"ok":false,"jet_error":-1811'

if [ "$(id -u)" != 0 ]; then
	cp "$TMP/bad/short.edb" "$TMP/bad/noperm.edb"
	chmod 000 "$TMP/bad/noperm.edb"
	run "$ESEUTIL" /mh "$TMP/bad/noperm.edb"
	expect_rc "no permission" 8
	expect_err "no permission" "permission denied"
else
	skip "no-permission test (running as root)"
fi

if have_samples; then
	b=$(sample basic)
	# a page size the header claims but the file cannot hold
	head -c 5000 "$b" >"$TMP/bad/trunc.edb"
	run "$ESEUTIL" /mh "$TMP/bad/trunc.edb"
	expect_rc "header page size beyond file" 8
	expect_err "header page size beyond file" "trunc.edb: header declares 4096-byte pages but the file holds only 5000 bytes"

	# a streaming (.stm) file: file type 2 at offset 667 (both headers)
	cp "$b" "$TMP/bad/stream.stm"
	python3 - "$TMP/bad/stream.stm" <<'PY' 2>/dev/null || { skip "stm test (no python3)"; }
import struct, sys
f = open(sys.argv[1], 'r+b')
for base in (0, 4096):
    f.seek(base); page = bytearray(f.read(4096))
    page[667:671] = struct.pack('<I', 2)
    x = 0x89ABCDEF
    for i in range(4, 4096, 4):
        x ^= struct.unpack_from('<I', page, i)[0]
    page[0:4] = struct.pack('<I', x)
    f.seek(base); f.write(page)
PY
	run "$ESEUTIL" /k "$TMP/bad/stream.stm"
	expect_rc "streaming file" 8
	expect_err "streaming file" "stream.stm: this is a streaming"

	# both header copies damaged: no valid header
	"$CORRUPT" header-byte "$b" "$TMP/bad/h1.edb" 100 >/dev/null
	"$CORRUPT" header-byte "$TMP/bad/h1.edb" "$TMP/bad/h2.edb" 4196 >/dev/null
	run "$ESEUTIL" /mm "$TMP/bad/h2.edb"
	expect_rc "both headers bad" 8
	expect_err "both headers bad" "h2.edb: no valid database header"

	# primary damaged, shadow good: /mh shows the shadow and warns
	run "$ESEUTIL" /mh "$TMP/bad/h1.edb"
	expect_out "shadow used" "DATABASE SHADOW HEADER:"
	expect_out "shadow warning" "WARNING: primary header has a checksum error"
	expect_rc "shadow used exit" 4
	run "$ESEUTIL" /mm "$TMP/bad/h1.edb"
	expect_rc "metadata via shadow header" 0

	# an output directory that is a file
	: >"$TMP/bad/afile"
	run "$ESEUTIL" /export "$b" /o "$TMP/bad/afile"
	expect_rc "export into a file" 8

	# diagnostic modes never change the database
	before=$(sha256sum <"$b")
	"$ESEUTIL" /mh "$b" >/dev/null 2>&1
	"$ESEUTIL" /k "$b" >/dev/null 2>&1
	"$ESEUTIL" /mm "$b" >/dev/null 2>&1
	"$ESEUTIL" /export "$b" /o "$TMP/bad/ro-export" >/dev/null 2>&1
	after=$(sha256sum <"$b")
	if [ "$before" = "$after" ]; then pass; else fail "diagnostic modes changed the database"; fi
else
	skip "bad-input tests on samples ($SAMPLES absent)"
fi
