# Usage errors, help, /err, and isinteg's usage.

run "$ESEUTIL"
expect_rc "no arguments" 16
expect_err "no arguments" "usage error: no mode"

run "$ESEUTIL" /zz x
expect_rc "unknown mode" 16
expect_err "unknown mode" "unknown mode '/zz'"

run "$ESEUTIL" --help
expect_rc "--help" 0
expect_out "--help" "Exit status"

run "$ESEUTIL" /mh
expect_rc "mode without file" 16

run "$ESEUTIL" /export x.edb
expect_rc "export without /o" 16
expect_err "export without /o" "output directory"

run "$ESEUTIL" /k x.edb --bogus
expect_rc "unknown long option" 16

run "$ESEUTIL" /err -1017
expect_rc "/err -1017" 0
expect_out "/err -1017" "JET_errRecordDeleted"
expect_out "/err -1017 desc" "Record has been deleted"

run "$ESEUTIL" /err -1310
expect_out "/err -1310" "JET_errInvalidTableId"

run "$ESEUTIL" /err 0xfffffc07
expect_out "/err hex" "^-1017 .*JET_errRecordDeleted"

run "$ESEUTIL" --error jet_errdatabasecorrupted
expect_out "/err by name" "^-1206 "

run "$ESEUTIL" /err 595
expect_out "/err warning" "JET_wrnDatabaseRepaired"

run "$ESEUTIL" /err -98765
expect_rc "/err unknown" 8
expect_err "/err unknown" "not a JET error"

run "$ESEUTIL" /err -1017 --json
expect_out "/err json" '"name":"JET_errRecordDeleted"'

run "$ISINTEG"
expect_rc "isinteg usage" 16
run "$ISINTEG" --help
expect_rc "isinteg --help" 0

# docs/problem-codes.md is generated from the catalogue: it must be current
run "$ESEUTIL" --problem-codes
expect_rc "--problem-codes" 0
if tail -n +5 docs/problem-codes.md | cmp -s - "$TMP/out"; then pass; else fail "docs/problem-codes.md is stale: regenerate it with eseutil --problem-codes"; fi
