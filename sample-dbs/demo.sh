#!/bin/sh
# make demo: the main job on the sample mail store.  A copy of
# sample-dbs/priv1.edb (made by this project's writer: a fragmented
# Exchange-style private store) is checked (/mh, /k, /g), measured (/ms),
# defragmented (/d: copy, verify, swap) and checked again.  The committed
# samples are never modified.
BUILD=${1:-build}
E="$BUILD/eseutil"
W="$BUILD/demo"
rm -rf "$W"
mkdir -p "$W"
src=sample-dbs/priv1.edb
if [ ! -f "$src" ]; then
	echo "demo: $src is missing (make samples rebuilds it)" >&2
	exit 1
fi
db="$W/priv1.edb"
cp "$src" "$db"
step() { echo; echo "################ $*"; }
step "eseutil /mh (header)"
"$E" /mh "$db" | sed -n '/Fields:/,/Last Objid/p' | grep -E "Format ulVersion|cbDbPage|dbtime|State|Last Objid"
step "eseutil /k (page checksums)"
"$E" /k "$db" | sed -n '/Checksum Statistics/,/highest dbtime/p'
step "eseutil /g (structural integrity)"
"$E" /g "$db" | sed -n '/trees,/,/Integrity/p'
step "eseutil /ms (space)"
"$E" /ms "$db" | sed -n '/^Name/,/Estimated/p'
step "eseutil /d (defragmentation: copy, verify, swap)"
"$E" /d "$db" --progress || exit 1
step "after /d: eseutil /g and /ms"
"$E" /g "$db" | sed -n '/trees,/,/Integrity/p'
"$E" /ms "$db" | grep -E "^File|owned by|Estimated"
echo
echo "demo: $(stat -c %s "$src") bytes before, $(stat -c %s "$db") bytes after /d; the copy is $db"
echo "Try also: $E /mm $db, $E /export $db /o DIR, $E /err -1017"
