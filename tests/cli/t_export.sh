# /export against esedbexport on every shared sample (tests/cli/interop_export.sh,
# which caches esedbexport's output and lists its known exceptions).
if ! have_samples; then
	skip "export interop: $SAMPLES is absent"
else
	BUILD="$BUILD" SAMPLES="$SAMPLES" sh tests/cli/interop_export.sh >"$TMP/interop.log" 2>&1
	rc=$?
	tail -1 "$TMP/interop.log"
	if grep -q "skip" "$TMP/interop.log" && ! grep -Eq "^[0-9]+ passed" "$TMP/interop.log"; then
		skip "export interop: $(grep -i skip "$TMP/interop.log" | head -1)"
	elif [ $rc = 0 ]; then pass; else fail "export interop: $(grep -E 'FAIL|DIFF' "$TMP/interop.log" | head -5)"; fi
fi
