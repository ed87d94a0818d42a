#!/usr/bin/env bash
# it_readme.sh: README.md tells the truth where a test can tell: every repository path it names
# exists (globs match something; result files exist after a tiny run), its links resolve, its
# excerpts of the committed reference results match those files, the output shape it shows is the
# one speedlab prints, and it points nowhere outside the repository.
set -u
: "${SPEEDLAB:?SPEEDLAB must name the speedlab binary}"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

# a tiny run in an empty directory: what README says a run writes, there
(cd "$tmp" && "$SPEEDLAB" run --cmd true --set repeats=2 --set warmup=0 >"$tmp/out" 2>"$tmp/err") ||
	fail "tiny run exited $?: $(cat "$tmp/err")"

/usr/bin/python3 - "$root" "$tmp" <<'PY' || exit 1
import glob, os, re, sys

root, tmp = sys.argv[1], sys.argv[2]
text = open(os.path.join(root, "README.md"), encoding="utf-8").read()
problems = []

def bad(msg):
    problems.append(msg)

# nothing outside the repository, and not the report path that never existed
for pat, why in ((r"\.\./shared", "a path outside the repository"), (r"DESIGN\.md", "DESIGN.md is not in the repository"),
                 (r"runall/report/index\.html", "run-all's report is <stamp>-runall/index.html")):
    if re.search(pat, text):
        bad(f"README mentions {pat!r}: {why}")

# every path in backquotes or a link: repository paths exist, globs match, run outputs after the tiny run
latest = os.path.join(tmp, "results/runs/latest")
generated = {"results/history.csv"}            # written by ci/regress, not committed
# bare .ini names that are files speedlab writes, not experiments: a run's, a baseline's calibration
optional_build = ("build/libspeedlab-cuda.so", "build/speedlab-mpi", "build/test-logs/", "build/tests/")
tokens = []
for span in re.findall(r"`([^`\n]+)`", text):
    tokens += span.split()
tokens += [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
checked = 0
for t in tokens:
    t = t.strip(",;:.()'\"")
    if not re.match(r"(harness|experiments|results|plots|ci|build)/|Makefile$|README\.md$", t):
        if re.fullmatch(r"[a-z0-9-]+\.ini", t) and t not in ("experiment.ini", "calibration.ini") and \
                not glob.glob(f"{root}/experiments/**/{t}", recursive=True):
            bad(f"experiment {t} is nowhere under experiments/")
        continue
    if any(c in t for c in "<>$…") or "..." in t or t in generated or t.startswith(optional_build):
        continue
    checked += 1
    if t.startswith("results/runs/"):
        rel = t[len("results/runs/"):]
        if rel.startswith("latest") and not os.path.exists(os.path.join(tmp, "results/runs", rel)):
            bad(f"{t}: not there after a run")
        continue
    if "*" in t:
        if not glob.glob(os.path.join(root, t)):
            bad(f"{t}: matches nothing")
    elif not os.path.exists(os.path.join(root, t)):
        bad(f"{t}: no such path")
if checked < 20:
    bad(f"only {checked} paths found in README.md: the extraction is broken")

# the result directory's files, as the README's table lists them, are what a run writes
files = re.findall(r"^\| `([a-z_.]+\.(?:ini|json|csv|md))` \|", text, re.M)
if len(files) < 6:
    bad(f"the table of result files lists {files}")
for f in files:
    if not os.path.exists(os.path.join(latest, f)):
        bad(f"a run writes no {f}")

# the excerpts quote the reference files: table rows verbatim, cells cut at " …" as prefixes
ref = os.path.join(root, "results/reference/vm-xeon-2cpu-full")
tables = open(os.path.join(ref, "speedup/tables.md"), encoding="utf-8").read().splitlines()
rows = [l for l in text.splitlines() if re.match(r"\| \d+( ⚠ oversubscribed)? \| \d", l)]
if len(rows) < 2:
    bad("no speedup table rows in README.md")
for l in rows:
    if l not in tables:
        bad(f"speedup row not in {ref}/speedup/tables.md: {l}")
cells = lambda l: [c.strip() for c in l.strip().strip("|").split(" | ")]
seeds = {cells(l)[0]: cells(l) for l in open(os.path.join(ref, "seeds.md"), encoding="utf-8") if l.startswith("| ")}
quoted = 0
for l in text.splitlines():
    c = cells(l) if l.startswith("| ") else []
    if c and c[0] in seeds and c[0] != "Claim":
        quoted += 1
        real = seeds[c[0]]
        for mine, theirs in zip(c[1:], (real[1], real[2], real[4])):
            cut = mine[:-2] if mine.endswith(" …") else mine
            if not (theirs.startswith(cut) if mine.endswith(" …") else theirs == mine):
                bad(f"seeds excerpt '{mine}' is not '{theirs}'")
if quoted < 3:
    bad(f"only {quoted} rows of seeds.md quoted")

# the output README shows has the shape speedlab prints
out = open(os.path.join(tmp, "out"), encoding="utf-8").read()
for line in ("| Time (mean ± σ) | Median | Range (min … max) | User | System | Cores busy | Runs |",):
    if line not in out:
        bad(f"speedlab no longer prints {line}")
    if line not in text:
        bad(f"README does not show {line}")

for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
echo "ok"
