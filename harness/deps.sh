#!/bin/sh
# deps.sh: check for the Debian packages speedlab needs and install only what is missing
# (apt-get when root; otherwise print the exact command and stop).
# usage: deps.sh [test]   (test: also what only the tests need; `make test` passes it)
set -eu

# Package list (DESIGN.md): build tools, OpenBLAS (both threading builds), hwloc, libinih, jansson,
# gnuplot, cmocka, Open MPI, python3-numpy for the Python peers, clang for the fuzz targets,
# time for the cross-checks of the monitor.
PKGS="gcc make pkg-config libopenblas-dev libopenblas0-pthread libopenblas0-openmp
libhwloc-dev hwloc libinih-dev libjansson-dev gnuplot-nox libcmocka-dev openmpi-bin libopenmpi-dev
python3 python3-numpy clang libclang-rt-14-dev time procps"
# For the tests only: a one-node Slurm cluster of its own (it_slurm_cluster.sh), and strace for the
# write count of dispatch = pipe (it_dispatch.sh). `make run-all` and `make` do not install them:
# speedlab needs no Slurm to run, and srun on a cluster is the site's.
if [ "${1:-}" = test ]; then
	PKGS="$PKGS slurm-wlm munge strace"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "speedlab: missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "speedlab: run this, then make again:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 2
fi
