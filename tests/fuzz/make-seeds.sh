#!/bin/sh
# Builds fuzz seeds in $1 from the shared Windows-made samples (when
# present): for fuzz_decoders, single pages prefixed with the page-size
# selector byte; for fuzz_database and fuzz_repair, each 4 KiB sample cut
# to its first 40 pages.  Seeds are made at fuzz time and never committed (the samples
# must not be), see tests/fuzz/README.md.
out=$1
S=${SAMPLES:-../shared/esedb-samples}
mkdir -p "$out/fuzz_decoders" "$out/fuzz_database" "$out/fuzz_repair"
[ -f "$S/basic.edb.gz" ] || { echo "make-seeds: $S absent; fuzzing from the committed corpus only"; exit 0; }
for f in basic binary index multi text; do
	gunzip -c "$S/$f.edb.gz" >"$out/$f.edb"
	head -c $((42 * 4096)) "$out/$f.edb" >"$out/fuzz_database/$f"
	cp "$out/fuzz_database/$f" "$out/fuzz_repair/$f"
	for p in 1 4 7 24 29 31 32 33; do
		# selector: page kind (1 << 5) | page size index 1 (4096)
		{ printf '\041'; dd if="$out/$f.edb" bs=4096 skip=$((p + 1)) count=1 2>/dev/null; } >"$out/fuzz_decoders/$f-p$p"
	done
	{ printf '\001'; head -c 4096 "$out/$f.edb"; } >"$out/fuzz_decoders/$f-hdr"
	rm -f "$out/$f.edb"
done
