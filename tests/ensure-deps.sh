#!/bin/sh
# Installs the Debian packages the build and the tests need, when they are
# missing and we are root.  Without root it only says what is missing.
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for p in build-essential pkg-config check uuid-dev libssl-dev libesedb-utils clang; do
	have "$p" || need="$need $p"
done
# the CLI tests use python3 (any install will do: pyenv's counts)
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v gunzip >/dev/null 2>&1 || need="$need gzip"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq $need >/dev/null || {
		echo "ensure-deps: apt-get install$need failed" >&2; exit 1; }
else
	echo "ensure-deps: missing packages:$need (run as root, or install them)" >&2
	# libesedb-utils and clang are optional (interop tests and fuzzing skip).
	for p in $need; do case $p in libesedb-utils|clang) ;; *) exit 1;; esac; done
fi
exit 0
