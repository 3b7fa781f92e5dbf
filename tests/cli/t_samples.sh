# The Windows-made samples: /mh agrees with esedbinfo on format version,
# revision and page size; /k finds no problem; /mm lists the same tables,
# columns and indexes as esedbinfo.  esedbinfo is slow on wide tables, so
# its output is cached under $BUILD/interop-cache by the sample's SHA-256.

esedbinfo_cached() {
	sum=$(sha256sum <"$1" | cut -c1-16)
	mkdir -p "$BUILD/interop-cache"
	c="$BUILD/interop-cache/esedbinfo-$sum.txt"
	[ -s "$c" ] || esedbinfo "$1" >"$c" 2>/dev/null
	echo "$c"
}

if ! have_samples; then
	skip "sample tests: $SAMPLES is absent"
elif ! command -v esedbinfo >/dev/null 2>&1; then
	skip "sample interop tests: esedbinfo (libesedb-utils) is not installed"
else
	for name in basic binary default index multi text large; do
		f=$(sample $name)
		info=$(esedbinfo_cached "$f")

		run "$ESEUTIL" /mh "$f"
		expect_rc "$name /mh" 0
		ver=$(sed -n 's/^[[:space:]]*Current format:[[:space:]]*//p' "$info")
		ours=$(sed -n 's/^ Format ulVersion: \(0x[0-9a-f]*,[0-9]*\),.*/\1/p' "$TMP/out")
		if [ -n "$ver" ] && [ "$ver" = "$ours" ]; then pass; else fail "$name format: esedbinfo '$ver', ours '$ours'"; fi
		cre=$(sed -n 's/^[[:space:]]*Created in format:[[:space:]]*//p' "$info")
		ourc=$(sed -n 's/^Created ulVersion: //p' "$TMP/out")
		if [ "$cre" = "$ourc" ]; then pass; else fail "$name created format: '$cre' vs '$ourc'"; fi
		ps=$(sed -n 's/^[[:space:]]*Page size:[[:space:]]*\([0-9]*\) bytes/\1/p' "$info")
		ourps=$(sed -n 's/^ *cbDbPage: //p' "$TMP/out")
		if [ "$ps" = "$ourps" ]; then pass; else fail "$name page size: '$ps' vs '$ourps'"; fi

		run "$ESEUTIL" /k "$f"
		expect_rc "$name /k" 0
		expect_out "$name /k clean" "^ +0 bad checksums"
		if [ -s "$TMP/err" ]; then fail "$name /k printed problems: $(head -3 "$TMP/err")"; else pass; fi

		# /mm against esedbinfo: table names, then each table's columns
		# (id and name) and index names, compared as sorted lists
		run "$ESEUTIL" /mm "$f" --json
		expect_rc "$name /mm" 0
		python3 - "$TMP/out" "$info" >"$TMP/mmdiff" 2>&1 <<'PY'
import json, re, sys
ours = json.load(open(sys.argv[1]))["catalog"]["tables"]
theirs, cur = [], None
for line in open(sys.argv[2], encoding="utf-8", errors="replace"):
    m = re.match(r"^Table: \d+\t+(.*) \((\d+)\)$", line.rstrip("\n"))
    if m:
        cur = {"name": m.group(1), "objid": int(m.group(2)), "columns": [], "indexes": []}
        theirs.append(cur); continue
    m = re.match(r"^\t(\d+)\t(\d+)\t(.*)\t([^\t]*)$", line.rstrip("\n"))
    if m and cur is not None:
        cur["columns"].append((int(m.group(2)), m.group(3))); continue
    m = re.match(r"^\tIndex: \d+\t+(.*) \((\d+)\)$", line.rstrip("\n"))
    if m and cur is not None:
        cur["indexes"].append((m.group(1), int(m.group(2))))
bad = 0
if [t["name"] for t in ours] != [t["name"] for t in theirs]:
    print("tables differ:", [t["name"] for t in ours], [t["name"] for t in theirs]); bad = 1
for o, t in zip(ours, theirs):
    if o["objid"] != t["objid"]:
        print("objid", o["name"], o["objid"], t["objid"]); bad = 1
    oc = [(c["id"], c["name"]) for c in o["columns"]]
    if oc != t["columns"]:
        print("columns differ in", o["name"], len(oc), len(t["columns"])); bad = 1
    oi = [(i["name"], i["objid"]) for i in o["indexes"]]
    if oi != t["indexes"]:
        print("indexes differ in", o["name"], oi[:5], t["indexes"][:5]); bad = 1
sys.exit(bad)
PY
		if [ $? = 0 ]; then pass; else fail "$name /mm vs esedbinfo: $(head -5 "$TMP/mmdiff")"; fi
	done
fi

# The project's own sample stores: the healthy one and the logically damaged
# ones pass /g (logical damage is isinteg's); the physically damaged ones are
# reported with their code.
for f in sample-dbs/*.edb; do
	name=$(basename "$f" .edb)
	run "$ESEUTIL" /g "$f"
	case $name in
	priv1-bitflip) expect_out "$name /g" "G202 single-bit error" ;;
	priv1-torn) expect_rc "$name /g" 4; expect_out "$name /g" "G201 page checksum mismatch" ;;
	*) expect_rc "$name /g" 0 ;;
	esac
done
