# /g walks large trees in runs on several threads (ese_integrity_opts):
# the report must be the one the one-pass walk (--threads 1) gives, on a
# clean database and after every injector kind, and the parallel walk must
# really have been used on the clean one.
if ! command -v python3 >/dev/null 2>&1; then
	skip "parallel walk: python3 is missing"
else
	P=$TMP/par
	mkdir -p "$P"
	"$BUILD/tests/ese-gen" "$P/big.edb" --bench --rows 60000 >/dev/null 2>&1
	run "$ESEUTIL" /g "$P/big.edb" /v --threads 4
	expect_rc "parallel /g clean" 0
	expect_out "parallel /g used runs" "^[1-9][0-9]* large tree\(s\) walked in runs on 4 thread"
	python3 - "$CORRUPT" "$ESEUTIL" "$P" >"$TMP/par.log" 2>&1 <<'PY'
import json, subprocess, sys
corrupt, eseutil, d = sys.argv[1:4]
src = d + "/big.edb"
def report(path, threads):
    r = subprocess.run([eseutil, "/g", path, "--json", "--max-per-code", "0", "--threads", str(threads)],
                       capture_output=True, text=True)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        return (r.returncode, "not JSON: " + r.stdout[:200] + r.stderr[:200])
    for k in ("threads", "trees_split", "seconds", "elapsed", "time"):
        j.pop(k, None)
    return (r.returncode, json.dumps(j, sort_keys=True))
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
