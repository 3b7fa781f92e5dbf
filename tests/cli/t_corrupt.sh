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
