#!/usr/bin/env bash
# it_files.sh: result files are data and a result directory has one writer. Readers refuse a FIFO,
# a link to /dev/zero and a torn or doubled runs.csv at once (exit 2, no blocking); links inside a
# result directory are never written through; an output path that is a FIFO or a device is never
# replaced; a second writer of a directory is refused (exit 2) and two runs started together get
# two directories; saved experiments with long lines resume; no value holds a newline.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
command -v gnuplot >/dev/null || { echo "gnuplot not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
fixture=harness/tests/fixtures/report-scaling
# a reader that regresses into reading /dev/zero must not take the machine with it
case $SPEEDLAB in *asan*) ;; *) ulimit -v 4194304 ;; esac

# expect_refused WHAT CMD...: exit 2 within 20 s (a FIFO never blocks), with a message
expect_refused() {
	local what=$1 rc
	shift
	timeout 20 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	[ $rc -eq 2 ] || fail "$what: exit $rc, not 2 ($(head -c 300 "$tmp/err"))"
	[ -s "$tmp/err" ] || fail "$what: no message"
}

# --- readers: a FIFO or a link to /dev/zero is refused at once, a torn or doubled runs.csv too
for file in runs.csv summary.csv meta.json; do
	for kind in fifo zero; do
		d=$tmp/r-$file-$kind
		cp -r $fixture "$d"
		rm "$d/$file"
		if [ $kind = fifo ]; then mkfifo "$d/$file"; else ln -s /dev/zero "$d/$file"; fi
		expect_refused "table with $file a $kind" "$SPEEDLAB" table "$d"
		expect_refused "plot with $file a $kind" "$SPEEDLAB" plot --quiet "$d"
		expect_refused "report with $file a $kind" "$SPEEDLAB" report "$d"
	done
done
grep -q "not a regular file\|symbolic link" "$tmp/err" || fail "the message does not say why: $(cat "$tmp/err")"
d=$tmp/torn
cp -r $fixture "$d"
rm "$d/summary.csv"
head -c -40 $fixture/runs.csv >"$d/runs.csv"
expect_refused "table on a torn runs.csv" "$SPEEDLAB" table "$d"
expect_refused "plot on a torn runs.csv" "$SPEEDLAB" plot --quiet "$d"
d=$tmp/twice
cp -r $fixture "$d"
rm "$d/summary.csv"
sed -n 2p $fixture/runs.csv >>"$d/runs.csv"
expect_refused "table on a runs.csv with a (config, rep) pair twice" "$SPEEDLAB" table "$d"
grep -q "also on line 2" "$tmp/err" || fail "the doubled pair is not named: $(cat "$tmp/err")"
d=$tmp/corrupt
cp -r $fixture "$d"
printf 'config,rep\n"1' >>"$d/runs.csv"
expect_refused "report on a corrupt runs.csv" "$SPEEDLAB" report "$d"
grep -q "runs.csv" "$tmp/err" || fail "report does not name the corrupt file: $(cat "$tmp/err")"
d=$tmp/oversized
cp -r $fixture "$d"
rm "$d/summary.csv"
head -c 70000 /dev/zero | tr '\0' x | sed 's/^/0,1,/' >>"$d/runs.csv"
expect_refused "table on a runs.csv with a 70 kB cell" "$SPEEDLAB" table "$d"
printf '[experiment]\nname = x\n' >"$tmp/exp.ini" && mkfifo "$tmp/fifo.ini"
expect_refused "run on a FIFO experiment" "$SPEEDLAB" run "$tmp/fifo.ini" --out "$tmp/fifo-run"

# --- links inside a result directory are not written through
d=$tmp/links
cp -r $fixture "$d"
mkdir "$d/plots"
echo "victim" >"$tmp/victim-dat" && echo "victim" >"$tmp/victim-log" && echo "victim" >"$tmp/victim-index"
ln -s "$tmp/victim-dat" "$d/plots/speedup.dat"
ln -s "$tmp/victim-log" "$d/plots/speedup.log"
ln -s "$tmp/victim-index" "$d/plots/index.tsv.tmp"
"$SPEEDLAB" plot --quiet "$d" >/dev/null 2>"$tmp/err" || fail "plot with links in plots/: $(cat "$tmp/err")"
for v in dat log index; do
	[ "$(cat "$tmp/victim-$v")" = victim ] || fail "plot wrote through the plots/ link to victim-$v"
done
[ -f "$d/plots/speedup.dat" ] && [ ! -L "$d/plots/speedup.dat" ] || fail "plots/speedup.dat is not a new file"
cat >"$tmp/sleep.ini" <<'INI'
[experiment]
name = files-sleep
question = Does a result directory keep one writer?
workload = sleep
repeats = 2
warmup = 0
[workload]
ms = 700
tasks = 1
[sweep]
processes = 1
INI
mkdir "$tmp/dangling"
ln -s "$tmp/nowhere.csv" "$tmp/dangling/runs.csv"
expect_refused "run --out with a dangling runs.csv link" "$SPEEDLAB" run "$tmp/sleep.ini" --out "$tmp/dangling" --quiet
[ ! -e "$tmp/nowhere.csv" ] || fail "run wrote through a dangling runs.csv link"

# --- an output path that is a FIFO or a device is never replaced
mkfifo "$tmp/out.fifo"
expect_refused "slurm -o FIFO" "$SPEEDLAB" slurm "$tmp/sleep.ini" -o "$tmp/out.fifo"
[ -p "$tmp/out.fifo" ] || fail "slurm replaced the FIFO"
if mknod "$tmp/null" c 1 3 2>/dev/null; then
	chmod 0666 "$tmp/null"
	ln -s "$tmp/null" "$tmp/null-link"
	for o in null null-link; do
		"$SPEEDLAB" slurm "$tmp/sleep.ini" -o "$tmp/$o" >/dev/null 2>"$tmp/err" || fail "slurm -o a device: $(cat "$tmp/err")"
	done
	[ -c "$tmp/null" ] && [ "$(stat -c %a "$tmp/null")" = 666 ] || fail "slurm replaced the device (or its mode)"
	[ -L "$tmp/null-link" ] || fail "slurm replaced the link to a device"
else
	echo "(no device node test: mknod is not allowed here)"
fi

# --- one writer per result directory
"$SPEEDLAB" run "$tmp/sleep.ini" --out "$tmp/one" --quiet >"$tmp/first.out" 2>&1 &
first=$!
for _ in $(seq 200); do [ -s "$tmp/one/meta.json" ] && break; sleep 0.05; done
expect_refused "run --resume of a directory being written" "$SPEEDLAB" run --resume "$tmp/one" --quiet
grep -q "another speedlab run is writing here" "$tmp/err" || fail "the second writer is not told why: $(cat "$tmp/err")"
expect_refused "run --out of a directory being written" "$SPEEDLAB" run "$tmp/sleep.ini" --out "$tmp/one" --quiet
wait $first || fail "the first run failed: $(cat "$tmp/first.out")"
[ "$(tail -n +2 "$tmp/one/runs.csv" | wc -l)" -eq 2 ] || fail "runs.csv does not hold the first run's 2 rows"
"$SPEEDLAB" run --resume "$tmp/one" --quiet >/dev/null 2>&1 || fail "--resume after the writer ended is refused"
# a resumed run does not append through a samples.csv link
cp -r "$tmp/one" "$tmp/res"
head -n 2 "$tmp/one/runs.csv" >"$tmp/res/runs.csv"
echo victim >"$tmp/victim-samples"
rm "$tmp/res/samples.csv" && ln -s "$tmp/victim-samples" "$tmp/res/samples.csv"
"$SPEEDLAB" run --resume "$tmp/res" --quiet >/dev/null 2>"$tmp/err" || fail "--resume with a samples.csv link: $(cat "$tmp/err")"
[ "$(cat "$tmp/victim-samples")" = victim ] || fail "--resume appended through a samples.csv link"
# two runs started together (same second, same name) get a directory each
mkdir "$tmp/cwd" && cd "$tmp/cwd" || exit 2
sed 's/^ms = 700/ms = 1/' "$tmp/sleep.ini" >"$tmp/fast.ini"
"$SPEEDLAB" run "$tmp/fast.ini" --quiet >/dev/null 2>"$tmp/a.err" &
a=$!
"$SPEEDLAB" run "$tmp/fast.ini" --quiet >/dev/null 2>"$tmp/b.err" &
b=$!
wait $a || fail "run A of two together failed: $(cat "$tmp/a.err")"
wait $b || fail "run B of two together failed: $(cat "$tmp/b.err")"
n=$(ls -d results/runs/*/*-files-sleep* | wc -l)
[ "$n" -eq 2 ] || fail "two runs started together share a directory ($n directories)"
for r in results/runs/*/*-files-sleep*; do
	[ "$(tail -n +2 "$r/runs.csv" | wc -l)" -eq 2 ] || fail "$r does not hold one run's 2 rows"
done
cd - >/dev/null || exit 2

# --- saved experiments read back: a shipped experiment resumes, also when its experiment.ini is
# written as older versions did (each value on one line, here one longer than the INI reader takes)
"$SPEEDLAB" run experiments/seeds/s6-start.ini --profile quick --out "$tmp/s6" --quiet >/dev/null 2>"$tmp/err" ||
	fail "s6-start: $(cat "$tmp/err")"
rows=$(wc -l <"$tmp/s6/runs.csv")
awk 'NR > 1 && /^[ \t]/ { sub(/^[ \t]+/, ""); line = line " " $0; next }
	NR > 1 { print line } { line = $0 } END { print line }' "$tmp/s6/experiment.ini" |
	sed 's/^question = .*/& Asked again at length, as an older speedlab wrote a long question: on one line./' \
		>"$tmp/s6/experiment.ini.old"
awk 'length > 198' "$tmp/s6/experiment.ini.old" | grep -q '^question' || fail "the old-style question is not long"
mv "$tmp/s6/experiment.ini.old" "$tmp/s6/experiment.ini"
head -n $((rows - 1)) "$tmp/s6/runs.csv" >"$tmp/s6/runs.tmp" && mv "$tmp/s6/runs.tmp" "$tmp/s6/runs.csv"
"$SPEEDLAB" run --resume "$tmp/s6" --quiet >/dev/null 2>"$tmp/err" || fail "--resume s6-start: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/s6/runs.csv")" -eq "$rows" ] || fail "--resume s6-start did not run the missing repetition"
expect_refused "run --set with a newline" "$SPEEDLAB" run "$tmp/sleep.ini" --out "$tmp/nl" --set "$(printf 'question=a\nb')"
expect_refused "slurm --set with a newline" "$SPEEDLAB" slurm "$tmp/sleep.ini" --set "$(printf 'question=q\ntouch %s' "$tmp/pwned")"
[ ! -e "$tmp/nl/experiment.ini" ] || fail "a --set newline reached experiment.ini"

[ $fails -eq 0 ] || exit 1
echo "files: all checks passed"
