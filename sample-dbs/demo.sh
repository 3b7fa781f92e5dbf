#!/bin/sh
# make demo: runs the toolkit's diagnostics on the sample databases.
# sample-dbs/ will hold databases made by this project's own writer
# (issue 4); until then the demo uses the Windows-made samples in
# ../shared/esedb-samples when they are present.
BUILD=${1:-build}
E="$BUILD/eseutil"
W="$BUILD/demo"
rm -rf "$W"
mkdir -p "$W"
set -- sample-dbs/*.edb
if [ ! -f "$1" ]; then
	S=../shared/esedb-samples
	if [ ! -f "$S/basic.edb.gz" ]; then
		echo "demo: no databases in sample-dbs/ and no $S: nothing to run on" >&2
		exit 1
	fi
	for f in "$S"/*.edb.gz; do gunzip -c "$f" >"$W/$(basename "$f" .gz)"; done
	set -- "$W"/*.edb
	echo "demo: sample-dbs/ has no databases yet; using the Windows-made samples from $S"
fi
for db in "$@"; do
	echo
	echo "######## $db"
	"$E" /mh "$db" | sed -n '/Fields:/,/Log Signature/p' | grep -E "Format ulVersion|cbDbPage|State|Last Objid"
	"$E" /k "$db" | sed -n '/Checksum Statistics/,/highest dbtime/p'
	"$E" /mm "$db" | sed -n '/META-DATA DUMP/,/^=.*=$/p' | sed -n '1,3p;/^[A-Za-z]/p' | head -20
	out="$W/export-$(basename "$db" .edb)"
	"$E" /export "$db" /o "$out" | tail -1
	echo "exported: $(ls "$out" | tr '\n' ' ')"
done
echo
echo "demo: done.  Try: $E /mh FILE, $E /k FILE, $E /mm FILE, $E /export FILE /o DIR, $E /err -1017"
