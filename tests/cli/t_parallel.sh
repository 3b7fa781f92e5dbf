# /g walks large trees in runs on several threads (ese_integrity_opts):
# the report must be the one the one-pass walk (--threads 1) gives, on a
# clean database and after every injector kind, and the parallel walk must
# really have been used on the clean one.
# /g --json as the comparisons read it: (exit status, the report without
# the thread count and the timing), and how many trees were split
cat >"$TMP/parreport.py" <<'PY'
import json, subprocess
def report(eseutil, path, threads):
    r = subprocess.run([eseutil, "/g", path, "--json", "--max-per-code", "0", "--threads", str(threads)],
                       capture_output=True, text=True)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        return (r.returncode, "not JSON: " + r.stdout[:200] + r.stderr[:200]), 0
    split = j.pop("trees_split", 0)
    for k in ("threads", "seconds", "elapsed", "time"):
        j.pop(k, None)
    return (r.returncode, json.dumps(j, sort_keys=True)), split
PY
if ! command -v python3 >/dev/null 2>&1; then
	skip "parallel walk: python3 is missing"
else
	P=$TMP/par
	mkdir -p "$P"
	"$BUILD/tests/ese-gen" "$P/big.edb" --bench --rows 60000 >/dev/null 2>&1
	run "$ESEUTIL" /g "$P/big.edb" /v --threads 4
	expect_rc "parallel /g clean" 0
	expect_out "parallel /g used runs" "^[1-9][0-9]* large tree\(s\) walked in runs on 4 thread"
	python3 - "$CORRUPT" "$ESEUTIL" "$P" "$TMP" >"$TMP/par.log" 2>&1 <<'PY'
import json, subprocess, sys
corrupt, eseutil, d = sys.argv[1:4]
sys.path.insert(0, sys.argv[4])
import parreport
src = d + "/big.edb"
def report(path, threads):
    return parreport.report(eseutil, path, threads)[0]
def ms(path, threads):
    # every figure but the defragmentation estimate (its packing simulation
    # restarts in each run) and the timing
    r = subprocess.run([eseutil, "/ms", path, "--json", "--threads", str(threads)], capture_output=True, text=True)
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if "estimat" not in k and k not in ("seconds", "elapsed")}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o
    return json.dumps(strip(json.loads(r.stdout)), sort_keys=True)
failed = 0
cases = [("clean", src)]
kinds = subprocess.run([corrupt, "--kinds"], capture_output=True, text=True).stdout.split()
for kind in kinds:
    dst = f"{d}/{kind}.edb"
    r = subprocess.run([corrupt, kind, src, dst], capture_output=True, text=True)
    if r.returncode == 0:
        cases.append((kind, dst))
# the same damage in the middle of the big tree, far from the first run
first = subprocess.run([corrupt, "key-order", src, d + "/probe.edb"], capture_output=True, text=True).stdout
mid = int(first.split("page ")[1].split()[0]) + 1700
for kind in ("key-order", "sibling-link", "bitflip-data"):
    dst = f"{d}/{kind}-mid.edb"
    if subprocess.run([corrupt, kind, src, dst, str(mid)], capture_output=True, text=True).returncode == 0:
        cases.append((kind + "@" + str(mid), dst))
for name, path in cases:
    one, two, four = report(path, 1), report(path, 2), report(path, 4)
    if not (one == two == four):
        failed += 1
        print(f"FAIL {name}: /g --threads 1/2/4 differ:\n{one}\n{two}\n{four}")
    else:
        print(f"ok {name}: exit {one[0]}")
a, b = ms(src, 1), ms(src, 4)
if a != b:
    failed += 1
    print(f"FAIL /ms totals differ between --threads 1 and 4: {a} / {b}")
print(f"{len(cases)} cases, {failed} failed")
sys.exit(1 if failed else 0)
PY
	cp "$TMP/par.log" "$BUILD/parallel-walk.log"
	if grep -q " 0 failed$" "$TMP/par.log"; then pass; else fail "parallel /g differs from the one-pass walk: $(grep FAIL "$TMP/par.log" | head -5)"; fi
	grep -q "^ok key-order:" "$TMP/par.log" && pass || fail "parallel /g: the key-order case did not run"
	grep -q "^ok sibling-link@" "$TMP/par.log" && pass || fail "parallel /g: the mid-tree sibling-link case did not run"
	rm -rf "$P"
fi

# Long-value trees carry state from entry to entry (a value's chunks follow
# its root): their runs each keep their own, and a value cut by a run's end
# is followed into the next run's leaves.  A mail store's LV trees, clean
# and damaged at leaves spread over them, must report as the one-pass walk.
if command -v python3 >/dev/null 2>&1 && [ -x "$BUILD/tests/ese-mailgen" ]; then
	P=$TMP/parlv
	mkdir -p "$P"
	"$BUILD/tests/ese-mailgen" "$P/mail.edb" --size 40M --seed 3 >/dev/null 2>&1
	run "$ESEUTIL" /g "$P/mail.edb" /v --threads 4
	expect_rc "parallel /g on a mail store clean" 0
	expect_out "parallel /g split the mail store's trees" "^[4-9] large tree\(s\) walked in runs"
	python3 - "$CORRUPT" "$ESEUTIL" "$P" "$TMP" >"$TMP/parlv.log" 2>&1 <<'PY'
import struct, subprocess, sys
corrupt, eseutil, d = sys.argv[1:4]
sys.path.insert(0, sys.argv[4])
import parreport
src = d + "/mail.edb"
def report(path, threads):
    return parreport.report(eseutil, path, threads)
# the leaves of the long-value trees, from the page headers
data = open(src, "rb").read()
ps = struct.unpack_from("<I", data, 236)[0]
lv, lv2 = [], []             # all LV leaves; those with two nodes or more
for p in range(1, len(data) // ps - 1):
    flags = struct.unpack_from("<I", data, (p + 1) * ps + 36)[0]
    if flags & 0x80 and flags & 0x2:
        lv.append(p)
        if struct.unpack_from("<H", data, (p + 1) * ps + 34)[0] & 0xFFF >= 3:
            lv2.append(p)
def spread(pages):
    return [pages[len(pages) * k // 9] for k in range(1, 9)] if len(pages) >= 9 else []
cases = [("clean", src)]
for kind in ("key-order", "bitflip-data", "sibling-link", "zero"):
    for p in spread(lv2 if kind == "key-order" else lv):
        dst = f"{d}/{kind}-{p}.edb"
        if subprocess.run([corrupt, kind, src, dst, str(p)], capture_output=True, text=True).returncode == 0:
            cases.append((f"{kind}@{p}", dst))
for kind in ("lv-missing", "column-too-long"):
    dst = f"{d}/{kind}.edb"
    if subprocess.run([corrupt, kind, src, dst], capture_output=True, text=True).returncode == 0:
        cases.append((kind, dst))
failed = 0
for name, path in cases:
    (one, _), (two, s2), (four, s4) = report(path, 1), report(path, 2), report(path, 4)
    if not (one == two == four):
        failed += 1
        print(f"FAIL {name}: /g --threads 1/2/4 differ:\n{one}\n{two}\n{four}")
    else:
        print(f"ok {name}: exit {one[0]}, {s4} trees in runs")
print(f"{len(lv)} LV leaves; {len(cases)} cases, {failed} failed")
sys.exit(1 if failed else 0)
PY
	cp "$TMP/parlv.log" "$BUILD/parallel-lv-walk.log"
	if grep -q " 0 failed$" "$TMP/parlv.log"; then pass; else fail "parallel /g on LV trees differs from the one-pass walk: $(grep FAIL "$TMP/parlv.log" | head -3)"; fi
	[ "$(grep -c '^ok key-order@' "$TMP/parlv.log")" -ge 6 ] && pass || fail "parallel /g on LV trees: too few key-order cases ran: $(tail -1 "$TMP/parlv.log")"
	rm -rf "$P"
else
	skip "parallel LV walk: python3 or ese-mailgen is missing"
fi
