# Damaged copies of the samples: /k names the right pages and kinds, and
# every mode ends with a clear error or a report, never a crash.

crash_check() {   # NAME: the last run must not have died of a signal
	if [ "$RC" -ge 128 ] 2>/dev/null; then fail "$1: killed by signal $((RC - 128))"; else pass; fi
}

all_modes() {     # NAME FILE: every mode runs to an orderly end
	for mode in /mh /k /mm; do
		run "$ESEUTIL" $mode "$2"
		crash_check "$1 $mode"
	done
	rm -rf "$TMP/cx"
	run "$ESEUTIL" /export "$2" /o "$TMP/cx"
	crash_check "$1 /export"
}

if ! have_samples; then
	skip "corruption tests: $SAMPLES is absent"
else
	b=$(sample basic)
	L=$(sample large)
	C="$TMP/corrupt"
	mkdir -p "$C"

	# single bit flip in a data page: correctable, located
	"$CORRUPT" bitflip "$b" "$C/flip.edb" 4 5000 >/dev/null
	run "$ESEUTIL" /k "$C/flip.edb"
	expect_rc "bitflip /k exit" 4
	expect_err "bitflip located" "^WARNING: page 4 checksum verification failed but the corruption \( bit 5000 \) can be corrected$"
	expect_out "bitflip counted" "^ +1 correctable checksums"
	run "$ESEUTIL" /k "$C/flip.edb" --json
	expect_out "bitflip json" '"pgno":4,"kind":"correctable","bit":5000'
	# readers correct it in memory: the catalog still loads
	run "$ESEUTIL" /mm "$C/flip.edb"
	expect_rc "bitflip /mm reads through ECC" 0
	all_modes bitflip "$C/flip.edb"

	# on a 32 KiB page, in the third ECC block
	"$CORRUPT" bitflip "$L" "$C/lflip.edb" 31 150001 >/dev/null
	run "$ESEUTIL" /k "$C/lflip.edb"
	expect_err "32K bitflip located" "page 31 checksum verification failed but the corruption \( bit 150001 \)"

	# two flipped bits: not correctable
	"$CORRUPT" bitflip "$C/flip.edb" "$C/flip2.edb" 4 9000 >/dev/null
	run "$ESEUTIL" /k "$C/flip2.edb"
	expect_rc "two bits /k exit" 4
	expect_err "two bits bad" "^ERROR: page 4 checksum failed"
	expect_out "two bits counted" "^ +1 bad checksums"
	run "$ESEUTIL" /mm "$C/flip2.edb"
	expect_rc "two bits /mm" 8
	expect_err "two bits /mm names the page" "page 4"
	all_modes twobits "$C/flip2.edb"

	# zeroed in-use page
	"$CORRUPT" zero "$b" "$C/zero.edb" 31 >/dev/null
	run "$ESEUTIL" /k "$C/zero.edb"
	expect_rc "zeroed page /k exit" 4
	expect_err "zeroed page named" "^ERROR: page 31 is uninitialized \(all zero\) but"
	all_modes zero "$C/zero.edb"

	# a page written at the wrong offset
	"$CORRUPT" misplace "$b" "$C/misplace.edb" 5 20 >/dev/null
	run "$ESEUTIL" /k "$C/misplace.edb"
	expect_rc "misplaced /k exit" 4
	expect_err "misplaced named" "^ERROR: page 20 checksum failed: it holds page 5"
	expect_out "misplaced counted" "^ +1 wrong page numbers"
	all_modes misplace "$C/misplace.edb"

	# truncated tail: at a page boundary, and mid-page
	"$CORRUPT" truncate-pages "$b" "$C/trunc.edb" 100 >/dev/null
	run "$ESEUTIL" /k "$C/trunc.edb"
	expect_rc "truncated /k exit" 4
	expect_err "truncated named" "^ERROR: page 101 is missing: the file ends before it \(the database owns pages up to 254\)"
	all_modes truncated "$C/trunc.edb"
	"$CORRUPT" truncate-bytes "$b" "$C/trunc2.edb" 500000 >/dev/null
	run "$ESEUTIL" /k "$C/trunc2.edb"
	expect_err "partial page named" "^ERROR: page 121 is truncated: the file ends 288 bytes into it"
	all_modes partial "$C/trunc2.edb"

	# the catalog root zeroed: /mm and /export fail with a clear line
	"$CORRUPT" zero "$b" "$C/nocat.edb" 4 >/dev/null
	run "$ESEUTIL" /mm "$C/nocat.edb"
	expect_rc "no catalog /mm" 8
	expect_err "no catalog /mm names file and page" "page 4"
	run "$ESEUTIL" /k "$C/nocat.edb"
	expect_err "no catalog /k" "^ERROR: page 4 is uninitialized"
	all_modes nocatalog "$C/nocat.edb"
fi

# A space header naming page 0xFFFFFFFF as its owned-extent tree (found by
# fuzzing: page + 1 overflowed a bounds check): reported, no crash.  Made on
# a database of our own writer, so it runs without the shared samples.
"$BUILD/tests/ese-gen" "$TMP/oe.edb" --rows 50 --seed 5 >/dev/null
python3 - "$TMP/oe.edb" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); ps = 4096
pg = 35                                  # first user table root of this layout
f.seek((pg + 1) * ps); p = bytearray(f.read(ps))
cb, ib = struct.unpack_from("<HH", p, ps - 4)
off = 40 + (ib & 0x1FFF)
assert cb == 16 and struct.unpack_from("<I", p, 36)[0] & 1
struct.pack_into("<I", p, off + 12, 0xFFFFFFFF)
# checksum (ECC format, one block): recompute like ese_checksum_set_page
def block(b, pgno):
    acc_a = acc_b = 0; pp = 0
    for r in range(len(b) // 16):
        a = int.from_bytes(b[r*16:r*16+8], "little"); bb = int.from_bytes(b[r*16+8:r*16+16], "little")
        if r == 0: a = 0
        acc_a ^= a; acc_b ^= bb
        if bin(a ^ bb).count("1") & 1:
            rr = r << 7; pp ^= (((~rr) & 0xFF80) << 16) | rr
    p0, p1, p2, p3 = acc_a & 0xFFFFFFFF, acc_a >> 32, acc_b & 0xFFFFFFFF, acc_b >> 32
    par = lambda v: bin(v).count("1") & 1
    if par(p0 ^ p1): pp |= 1 << 22
    if par(p2 ^ p3): pp |= 1 << 6
    if par(p0 ^ p2): pp |= 1 << 21
    if par(p1 ^ p3): pp |= 1 << 5
    x = p0 ^ p1 ^ p2 ^ p3; rb = 0
    for i in range(32):
        if x >> i & 1: rb ^= ((0xFFFF - i) << 16) | i
    mask = ((len(b) << 19) - 1) & 0xFFFFFFFF
    ecc = (pp & 0xFFE0FFE0 & mask) | (rb & 0x001F001F)
    return (ecc << 32) | (x ^ pgno)
struct.pack_into("<Q", p, 0, block(p, pg))
f.seek((pg + 1) * ps); f.write(p)
PY
run "$ESEUTIL" /k "$TMP/oe.edb"
expect_rc "overflowing OE pointer: checksums still valid" 0
run "$ESEUTIL" /g "$TMP/oe.edb"
crash_check "overflowing OE pointer /g"
expect_rc "overflowing OE pointer /g" 4
expect_out "overflowing OE pointer reported" "G401 root page space header invalid"

# An isinteg pass killed half-way: the next eseutil run rolls it back first,
# says so, and the database is byte-identical to before the pass.
"$BUILD/tests/ese-gen" "$TMP/jr.edb" --rows 200 --seed 6 >/dev/null
before=$(sha256sum <"$TMP/jr.edb")
"$BUILD/tests/ese-crashpass" "$TMP/jr.edb" 36 >/dev/null
if [ "$(sha256sum <"$TMP/jr.edb")" != "$before" ]; then pass; else fail "ese-crashpass changed nothing"; fi
run "$ESEUTIL" /g "$TMP/jr.edb"
expect_rc "rolled back, then clean" 0
expect_err "roll-back announced" "rolled back an unfinished isinteg pass \(.* pages restored\)"
if [ "$(sha256sum <"$TMP/jr.edb")" = "$before" ]; then pass; else fail "roll-back did not restore the database"; fi
[ -e "$TMP/jr.edb.isinteg-journal" ] && fail "journal left behind" || pass
