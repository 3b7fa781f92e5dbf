# The repair path of Microsoft KB328671, end to end, on the damaged sample
# stores: eseutil /d, then isinteg -fix -test alltests (its passes run until
# stable), then eseutil /g clean and esedbexport reads the result.  Then
# crash safety of isinteg -fix: SIGKILL at 50 points; the next run rolls
# back or completes, the database passes /g, and its content is that of a
# pass boundary (the damaged store or the repaired one), never half a pass.
K="$TMP/kb"
mkdir -p "$K"
for f in sample-dbs/priv1-*.edb; do
	name=$(basename "$f" .edb)
	case $name in priv1-bitflip|priv1-torn) continue ;; esac
	db="$K/$name.edb"
	cp "$f" "$db"
	run "$ESEUTIL" /d "$db"
	expect_rc "$name: eseutil /d" 0
	run "$ISINTEG" -s "$db" -fix -test alltests
	expect_rc "$name: isinteg -fix" 1
	expect_out "$name: pass lines" "^pass 1: [1-9][0-9]* errors, [1-9][0-9]* fixed"
	expect_out "$name: converged" "^pass [0-9]+: 0 errors, 0 fixed"
	run "$ISINTEG" -s "$db" -test alltests
	expect_rc "$name: isinteg again finds nothing" 0
	run "$ESEUTIL" /g "$db"
	expect_rc "$name: eseutil /g after the repair path" 0
	if command -v esedbexport >/dev/null 2>&1; then
		rm -rf "$K/$name.x" "$K/$name.x.export"
		if esedbexport -t "$K/$name.x" "$db" >/dev/null 2>&1 && [ "$(ls "$K/$name.x.export" | wc -l)" = 10 ]; then
			pass
		else
			fail "$name: esedbexport cannot read the repaired store"
		fi
	fi
done

# SIGKILL during isinteg -fix
GENM=$BUILD/tests/ese-mailgen
"$GENM" "$K/crash.edb" --size 20M --seed 3 --damage wrong-folder-counts >/dev/null
content() {   # the tables' content (export), whatever the header says
	rm -rf "$K/c"
	"$ESEUTIL" /export "$1" /o "$K/c" >/dev/null 2>&1
	cat "$K/c"/* | sha256sum | cut -c1-64
}
damaged=$(content "$K/crash.edb")
cp "$K/crash.edb" "$K/ref.edb"
"$ISINTEG" -s "$K/ref.edb" -fix >/dev/null 2>&1
repaired=$(content "$K/ref.edb")
if [ "$damaged" != "$repaired" ]; then pass; else fail "the reference repair changed nothing"; fi
t0=$(date +%s%N)
cp "$K/crash.edb" "$K/t.edb"
"$ISINTEG" -s "$K/t.edb" -fix >/dev/null 2>&1
t1=$(date +%s%N)
span=$(( (t1 - t0) / 1000000 + 10 ))
good=0
for i in $(seq 1 50); do
	cp "$K/crash.edb" "$K/k.edb"
	rm -f "$K/k.edb.isinteg-journal"
	"$ISINTEG" -s "$K/k.edb" -fix >/dev/null 2>&1 &
	pid=$!
	ms=$(( (i * 6007) % span ))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	# the next run (eseutil) rolls back an unfinished pass first
	if ! "$ESEUTIL" /g "$K/k.edb" >/dev/null 2>&1; then
		fail "kill $i at ${ms}ms: /g fails after the next run"
		continue
	fi
	c=$(content "$K/k.edb")
	if [ "$c" != "$damaged" ] && [ "$c" != "$repaired" ]; then
		fail "kill $i at ${ms}ms: the content is neither before nor after a pass"
		continue
	fi
	"$ISINTEG" -s "$K/k.edb" -fix >/dev/null 2>&1
	if [ "$(content "$K/k.edb")" = "$repaired" ]; then good=$((good + 1)); else fail "kill $i: isinteg did not complete the repair afterwards"; fi
done
if [ $good = 50 ]; then pass; else fail "SIGKILL during isinteg -fix: $good of 50 runs recovered"; fi
