# Every injector kind on every shared sample: /g must report the kind's
# problem code at the page the injector names.  Writes the detection table
# to $BUILD/inject-matrix.md (README shows it).
if ! have_samples; then
	skip "injection matrix: $SAMPLES is absent"
elif ! command -v python3 >/dev/null 2>&1; then
	skip "injection matrix: python3 is missing"
else
	for name in basic binary default index multi text large; do sample $name >/dev/null; done
	python3 - "$CORRUPT" "$ESEUTIL" "$TMP/samples" "$BUILD/inject-matrix.md" >"$TMP/matrix.log" 2>&1 <<'PY'
import json, os, re, subprocess, sys
corrupt, eseutil, sdir, out = sys.argv[1:5]
# kind -> problem codes that name its damage (any one of them at the page)
expect = {
    "bitflip": ["G202"], "bitflip-data": ["G202"], "zero": ["G204"], "torn": ["G201"],
    "wrong-pgno": ["G203"], "misplace": ["G203"], "truncate-pages": ["G105"],
    "truncate-bytes": ["G104"], "header-byte": ["G103"], "wrong-objid": ["G206"],
    "sibling-link": ["G305"], "key-order": ["G302", "G304"], "wrong-child": ["G306", "G304"],
    "child-outside": ["G307"], "owned-twice": ["G403"], "leaked": ["G408"],
    "catalog-root": ["G502"], "catalog-shadow": ["G503"], "column-too-long": ["G603"],
    "lv-missing": ["G604"],
}
kinds = subprocess.run([corrupt, "--kinds"], capture_output=True, text=True).stdout.split()
samples = ["basic", "binary", "default", "index", "multi", "text", "large"]
rows, failed, passed = [], 0, 0
for kind in kinds:
    cells = []
    for s in samples:
        src = os.path.join(sdir, s + ".edb")
        dst = os.path.join(sdir, "inj.edb")
        r = subprocess.run([corrupt, kind, src, dst], capture_output=True, text=True)
        if r.returncode == 3:
            cells.append("n/a"); continue
        if r.returncode != 0:
            cells.append("ERROR"); failed += 1
            print(f"FAIL {kind} {s}: injector exit {r.returncode}: {r.stderr.strip()}"); continue
        line = r.stdout.strip()
        m = re.search(r"written at page (\d+)", line) or re.match(r"^[a-z-]+: page (\d+)", line)
        page = int(m.group(1)) if m else None
        g = subprocess.run([eseutil, "/g", dst, "--json", "--max-per-code", "0"], capture_output=True, text=True)
        if g.returncode >= 128 or g.returncode not in (4, 12):
            cells.append("MISSED"); failed += 1
            print(f"FAIL {kind} {s}: /g exit {g.returncode} after '{line}'"); continue
        try:
            rep = json.loads(g.stdout)
        except ValueError:
            cells.append("BAD-JSON"); failed += 1; print(f"FAIL {kind} {s}: /g json"); continue
        want = expect.get(kind, [])
        hits = [p for p in rep["problems"] if p["code"] in want and (page is None or p.get("pgno") == page)]
        if hits:
            cells.append("detected " + hits[0]["code"]); passed += 1
        else:
            cells.append("MISSED"); failed += 1
            got = sorted({(p["code"], p.get("pgno")) for p in rep["problems"]})[:8]
            print(f"FAIL {kind} {s}: want {want} at page {page} after '{line}'; /g reported {got}")
    rows.append((kind, cells))
with open(out, "w") as f:
    f.write("| kind | " + " | ".join(samples) + " |\n|---|" + "---|" * len(samples) + "\n")
    for kind, cells in rows:
        f.write(f"| {kind} | " + " | ".join(cells) + " |\n")
print(f"{passed} passed, {failed} failed")
PY
	tail -1 "$TMP/matrix.log"
	if grep -q "^FAIL" "$TMP/matrix.log"; then fail "injection matrix: $(grep '^FAIL' "$TMP/matrix.log" | head -5)"; else pass; fi
fi
