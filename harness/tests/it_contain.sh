#!/usr/bin/env bash
# it_contain.sh: nothing outlives a run, and signals stop it cleanly. The command workload's
# processes are killed when the run ends (a setsid child), when a task hangs (a per-task grandchild
# in a session of its own), when the coordinator is SIGKILLed (a per-run command) and when the
# terminal hangs up; SIGHUP, SIGTERM and SIGINT exit 129, 143 and 130 with the summary written; a
# closed output does not stop the measuring (exit 2, said once); --resume repairs meta.json; the
# forkserver is supervised.
set -u
SL=${SPEEDLAB:?}
T=$(mktemp -d)
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
py=/usr/bin/python3
# every pid a command records, killed at the end whatever happens (the old code left them)
trap 'for p in $(cat "$T"/*.pids 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# alive PID MARK: PID is a live (not zombie) process whose command line holds MARK
alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}
# gone FILE MARK: every pid listed in FILE is gone within 3 s
gone() {
	local p
	for _ in $(seq 60); do
		local left=0
		for p in $(cat "$1" 2>/dev/null); do alive "$p" "$2" && left=1; done
		[ $left = 0 ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_file FILE: up to 10 s for FILE to be non-empty
wait_file() {
	for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}
exp() {   # exp NAME SCRIPT [KEY=VALUE]...: a command experiment in $T/NAME.ini running SCRIPT
	local name=$1 cmd=$2 kv
	shift 2
	{
		printf '[experiment]\nname = %s\nquestion = Does it leave nothing behind?\nworkload = command\n' "$name"
		printf 'warmup = 0\n'
		for kv in "$@"; do case $kv in timeout=* | repeats=*) printf '%s\n' "${kv/=/ = }" ;; esac; done
		case " $* " in *" repeats="*) ;; *) printf 'repeats = 1\n' ;; esac
		printf '[workload]\ncmd = "sh %s"\n' "$T/$name.sh"
		for kv in "$@"; do case $kv in timeout=* | repeats=* | start_method=*) ;; *) printf '%s\n' "${kv/=/ = }" ;; esac; done
		printf '[sweep]\n'
		for kv in "$@"; do case $kv in start_method=*) printf '%s\n' "${kv/=/ = }" ;; esac; done
	} >"$T/$name.ini"
	printf '%s\n' "$cmd" >"$T/$name.sh"
}

# --- a setsid child of a per-run command, left running when the command exits
# (setsid forks when its caller leads a group: the child records its own pid)
exp setsid "setsid sh -c 'echo \$\$ >>$T/setsid.pids; exec sleep 31971' </dev/null >/dev/null 2>&1 & until [ -s $T/setsid.pids ]; do sleep 0.01; done"
"$SL" run "$T/setsid.ini" --out "$T/r-setsid" --quiet >/dev/null 2>"$T/setsid.err" || fail "setsid run failed: $(tail -2 "$T/setsid.err")"
wait_file "$T/setsid.pids" || fail "setsid: the command did not run"
gone "$T/setsid.pids" 31971 || fail "setsid: the setsid child outlived the run"

# --- a per-task grandchild in a session of its own, while its task hangs
exp task "setsid sh -c 'echo \$\$ >>$T/task.pids; exec sleep 31972' </dev/null >/dev/null 2>&1 & sleep 31973" per=task tasks=1 timeout=1
"$SL" run "$T/task.ini" --out "$T/r-task" --quiet >/dev/null 2>"$T/task.err"
grep -q ',hang$' "$T/r-task/runs.csv" || fail "task: the hanging task is not a hang: $(tail -1 "$T/r-task/runs.csv")"
gone "$T/task.pids" 31972 || fail "task: the per-task grandchild outlived the run"

# --- a per-run command when the coordinator is SIGKILLed: the keeper kills it, through the run's
# cgroup where the machine has one, and through the environment mark alone
for how in cgroup mark; do
	exp "killed$how" "sleep 31974 & echo \$! >>$T/killed$how.pids; wait"
	if [ $how = mark ]; then export SPEEDLAB_CONTAIN_NO_CGROUP=1; fi
	"$SL" run "$T/killed$how.ini" --out "$T/r-killed$how" --quiet >/dev/null 2>&1 &
	pid=$!
	unset SPEEDLAB_CONTAIN_NO_CGROUP
	wait_file "$T/killed$how.pids" || fail "killed ($how): the command did not start"
	kill -KILL $pid
	wait $pid 2>/dev/null
	gone "$T/killed$how.pids" 31974 || fail "killed ($how): the per-run command outlived the SIGKILLed coordinator"
done

# --- SIGHUP, SIGTERM, SIGINT: a clean stop, 128 + the signal, the summary written, nothing left
for sig in HUP:129 TERM:143 INT:130; do
	name=${sig%%:*} want=${sig#*:}
	exp "sig$name" "sleep 3197$want & echo \$! >>$T/sig$name.pids; wait"
	"$SL" run "$T/sig$name.ini" --out "$T/r-$name" --quiet >/dev/null 2>"$T/sig$name.err" &
	pid=$!
	wait_file "$T/sig$name.pids" || fail "SIG$name: the command did not start"
	kill -"$name" $pid
	wait $pid
	rc=$?
	[ $rc = "$want" ] || fail "SIG$name: exit $rc, want $want"
	grep -q "interrupted by SIG$name.*--resume" "$T/sig$name.err" || fail "SIG$name: no message on how to continue: $(cat "$T/sig$name.err")"
	$py -c 'import json,sys; assert json.load(open(sys.argv[1]))["status"] == "interrupted"' "$T/r-$name/meta.json" ||
		fail "SIG$name: meta.json does not say interrupted"
	[ -e "$T/r-$name/summary.csv" ] || fail "SIG$name: no summary.csv"
	gone "$T/sig$name.pids" "3197$want" || fail "SIG$name: the command outlived the run"
done

# --- a closed output (speedlab run ... | head): measuring goes on, the failure is said in the exit code
# (the command itself gets SIGPIPE as usual: not ignored, or its status is an error)
exp pipe "[ \$((0x\$(awk '/^SigIgn/ { print \$2 }' /proc/self/status) & 0x1000)) = 0 ] || exit 3; echo to-stderr >&2"
$py - "$SL" "$T/pipe.ini" "$T/r-pipe" <<'PY' >"$T/pipe.rc" 2>&1
import os, subprocess, sys
r, w = os.pipe()
os.close(r)                     # nobody reads: every write fails (SIGPIPE, unless ignored)
p = subprocess.run([sys.argv[1], "run", sys.argv[2], "--out", sys.argv[3]], stdout=w, stderr=w)
print(p.returncode)
PY
[ "$(cat "$T/pipe.rc")" = 2 ] || fail "closed output: exit $(cat "$T/pipe.rc"), want 2"
$py -c 'import json,sys; assert json.load(open(sys.argv[1]))["status"] == "complete"' "$T/r-pipe/meta.json" 2>/dev/null ||
	fail "closed output: the run did not complete"
[ "$(tail -n +2 "$T/r-pipe/runs.csv" 2>/dev/null | wc -l)" = 1 ] || fail "closed output: rows missing"
grep -q ',ok$' "$T/r-pipe/runs.csv" || fail "closed output: the command ran with SIGPIPE ignored: $(tail -1 "$T/r-pipe/runs.csv")"

# --- a run killed before its meta.json was whole: --resume describes the machine again (the
# fingerprint that compare and baseline need) and removes the temporary files of killed writers
exp meta "true" repeats=2
"$SL" run "$T/meta.ini" --out "$T/r-meta" --quiet >/dev/null 2>&1 || fail "meta: the run failed"
dead=$(sh -c 'echo $$')                       # a pid that no longer runs
printf '{"speedlab_version": "0", "sta' >"$T/r-meta/meta.json"
rm -f "$T/r-meta/summary.csv"
sed -i '$d' "$T/r-meta/runs.csv"
touch "$T/r-meta/meta.json.tmp.$dead" "$T/r-meta/summary.csv.tmp.$dead"
"$SL" run --resume "$T/r-meta" --quiet >/dev/null 2>"$T/meta.err" || fail "meta: --resume failed: $(tail -2 "$T/meta.err")"
$py - "$T/r-meta" <<'PY' || fail "meta: meta.json not repaired"
import csv, json, sys
m = json.load(open(sys.argv[1] + "/meta.json"))
assert m.get("fingerprint") and m.get("sysinfo") and m.get("meta_repaired") and m["status"] == "complete", m.keys()
assert len(list(csv.DictReader(open(sys.argv[1] + "/runs.csv")))) == 2
PY
ls "$T/r-meta" | grep -q '\.tmp\.' && fail "meta: stale temporary files left: $(ls "$T/r-meta")"

# --- the forkserver is supervised: stopped (SIGSTOP) or killed by a task once, it never blocks the
# exit, is started again for the next run and the restart is recorded
for how in STOP KILL; do
	exp "fs$how" "p=\$PPID
while [ \"\$(cat /proc/\$p/comm)\" = sh ]; do p=\$(cut -d' ' -f4 /proc/\$p/stat); done
[ -e $T/fs$how.once ] || { touch $T/fs$how.once; kill -$how \$(cut -d' ' -f4 /proc/\$p/stat); $([ $how = KILL ] && echo 'sleep 1;') }" \
		per=task tasks=1 repeats=2 start_method=forkserver
	timeout -k 1 30 "$SL" run "$T/fs$how.ini" --out "$T/r-fs$how" --quiet >/dev/null 2>"$T/fs$how.err"
	rc=$?
	[ $rc = 0 ] || fail "forkserver SIG$how: exit $rc: $(tail -2 "$T/fs$how.err")"
	$py - "$T/r-fs$how" <<'PY' || fail "forkserver SIG$how: not restarted or not recorded"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/runs.csv")))
meta = json.load(open(sys.argv[1] + "/meta.json"))
assert [r["status"] == "ok" for r in rows] == [False, True], [r["status"] for r in rows]
assert meta.get("forkserver_restarts") == 1, meta.get("forkserver_restarts")
PY
done

exit $((fails > 0))
