#!/usr/bin/env bash
# it_runall.sh: harness/run-all over a small experiments directory: every experiment is run, one that
# fails does not stop the others and is reported (and sets exit 1), one whose runs were all skipped
# is listed with its reason, then the combined report is written and its index.html printed.
# `speedlab run` is stood in for by a script that copies fixture result directories (or fails), so
# this tests run-all itself; plot and report are the real binary.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

fixtures=$PWD/harness/tests/fixtures
mkdir -p "$tmp/exp/seeds"
for n in scaling broken; do printf '[experiment]\nname = %s\n' "$n" >"$tmp/exp/$n.ini"; done
printf '[experiment]\nname = gpu\n' >"$tmp/exp/seeds/gpu.ini"
cat >"$tmp/fake-speedlab" <<EOF
#!/usr/bin/env bash
# stands in for 'speedlab run'; everything else goes to the real binary
if [ "\$1" = run ]; then
	exp=\$2 out= profile=
	shift 2
	while [ \$# -gt 0 ]; do
		case \$1 in --out) out=\$2; shift 2 ;; --profile) profile=\$2; shift 2 ;; *) shift ;; esac
	done
	[ "\$profile" = quick ] || { echo "speedlab: wrong profile '\$profile'" >&2; exit 2; }
	case \$(basename "\$exp" .ini) in
	scaling) cp -r "$fixtures/report-scaling" "\$out" ;;
	gpu) cp -r "$fixtures/report-skipped" "\$out" ;;
	broken) echo "speedlab: \$exp:3: unknown key 'procs' (did you mean 'processes'?)" >&2; exit 2 ;;
	esac
	exit 0
fi
exec "$SPEEDLAB" "\$@"
EOF
chmod +x "$tmp/fake-speedlab"

out=$tmp/out
SPEEDLAB=$tmp/fake-speedlab SPEEDLAB_EXPERIMENTS=$tmp/exp SPEEDLAB_RUNALL_OUT=$out \
	bash harness/run-all quick >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/stdout" "$tmp/stderr"; fail "run-all exited $rc with a failed experiment, expected 1"; }
# non-terminal output: one line per experiment, then the report's path last
grep -q '^\[1/3\] broken: FAILED (exit 2, .*unknown key .procs.' "$tmp/stdout" || fail "failure line: $(cat "$tmp/stdout")"
grep -q '^\[2/3\] scaling: ok' "$tmp/stdout" || fail "ok line"
grep -q '^\[3/3\] seeds-gpu: skipped: no CUDA device$' "$tmp/stdout" || fail "skipped line"
[ "$(tail -n 1 "$tmp/stdout")" = "$out/index.html" ] || fail "last line is not the report: $(tail -n 1 "$tmp/stdout")"
grep -q $'\r' "$tmp/stdout" && fail "progress bar drawn on a non-terminal"
[ -f "$out/index.html" ] && [ -f "$out/report.md" ] || fail "no combined report"
grep -q '^- \*\*broken:\*\* speedlab run exited 2: speedlab: .*unknown key' "$out/report.md" || fail "failed experiment not in the report"
grep -q '^- \*\*gpu-skipped:\*\* skipped: no CUDA device$' "$out/report.md" || fail "skipped experiment not in the report"
grep -q '^## oversubscription$' "$out/report.md" || fail "ran experiment not in the report"
[ -f "$out/scaling/plots/speedup.png" ] || fail "plots not rendered"
[ -f "$out/logs/broken.log" ] || fail "no log of the failed experiment"

# all experiments ok: exit 0
rm "$tmp/exp/broken.ini"
SPEEDLAB=$tmp/fake-speedlab SPEEDLAB_EXPERIMENTS=$tmp/exp SPEEDLAB_RUNALL_OUT=$tmp/out2 \
	bash harness/run-all quick >"$tmp/stdout" 2>"$tmp/stderr" || fail "run-all without failures exited $?"
grep -q "^run-all: 2 of 2 experiments ran$" "$tmp/stdout" || fail "summary line: $(cat "$tmp/stdout")"

# stopped (SIGTERM) in its first experiment: the summary says how many never started, not "ran"
mkdir -p "$tmp/exp-int"
for n in a-slow b-never c-never; do printf '[experiment]\nname = %s\n' "$n" >"$tmp/exp-int/$n.ini"; done
printf '#!/usr/bin/env bash\n[ "$1" = run ] || exec "%s" "$@"\ntouch "%s"\nexec sleep 30\n' \
	"$SPEEDLAB" "$tmp/started" >"$tmp/slow-speedlab"
chmod +x "$tmp/slow-speedlab"
SPEEDLAB=$tmp/slow-speedlab SPEEDLAB_EXPERIMENTS=$tmp/exp-int SPEEDLAB_RUNALL_OUT=$tmp/out-int \
	bash harness/run-all quick >"$tmp/stdout" 2>"$tmp/stderr" &
ra=$!
for _ in $(seq 100); do [ -f "$tmp/started" ] && break; sleep 0.1; done
kill -TERM $ra
wait $ra
grep -q '^\[1/3\] a-slow: interrupted after' "$tmp/stdout" || fail "interrupt line: $(cat "$tmp/stdout")"
grep -q '^run-all: 0 of 3 experiments ran; 1 failed (listed in the report); interrupted: 2 not started$' "$tmp/stdout" ||
	fail "summary after an interrupt: $(grep '^run-all:' "$tmp/stdout")"

# bad usage
bash harness/run-all fast >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown profile accepted"
mkdir "$tmp/empty"
SPEEDLAB=$tmp/fake-speedlab SPEEDLAB_EXPERIMENTS=$tmp/empty SPEEDLAB_RUNALL_OUT=$tmp/out3 bash harness/run-all quick \
	>/dev/null 2>"$tmp/stderr"
[ $? -eq 2 ] || fail "no experiments: exit status"
grep -q "no experiments" "$tmp/stderr" || fail "no experiments message"
echo "ok"
