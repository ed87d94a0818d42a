#!/usr/bin/env bash
# screenshot-report.sh: a report's first screen in headless Chromium: a PNG to look at, and a check that
# the key-results table, the first experiment's Answer line and the start of its key plot are all on
# the first screen (1280 x 900 CSS pixels, a laptop's browser window).
#
#   harness/tests/screenshot-report.sh [INDEX_HTML] [OUT_PNG]
#
# Without INDEX_HTML it renders a combined report of the fixture results (harness/tests/fixtures/report-*)
# into a temporary directory and checks that. OUT_PNG defaults to build/report-first-screen.png.
# Chromium is not a dependency of speedlab: without it (apt-get install chromium) the script says so
# and exits 77 (skipped), as it does where Chromium cannot take a screenshot. Exit 0: the first screen
# holds all three; 1: it does not (what is where is printed); 2: bad usage or the report could not be
# rendered.
#
# The check runs a small script of this file's own (never anything from the report) in a copy of
# index.html and reads the positions it measured from the DOM Chromium dumps.
set -u
cd "$(dirname "$0")/../.." || exit 2
SPEEDLAB=${SPEEDLAB:-$PWD/build/speedlab}
W=1280
H=900
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
	echo "skipped: chromium is not installed (apt-get install chromium)"
	exit 77
fi
html=${1:-}
png=${2:-build/report-first-screen.png}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if [ -z "$html" ]; then
	command -v gnuplot >/dev/null || { echo "skipped: gnuplot is not installed (the fixture report needs it)"; exit 77; }
	cp -r harness/tests/fixtures/report-* "$T/"
	"$SPEEDLAB" report --out "$T/report" "$T"/report-* >/dev/null 2>"$T/err" ||
		{ echo "screenshot-report: the fixture report failed: $(cat "$T/err")" >&2; exit 2; }
	html=$T/report/index.html
fi
[ -f "$html" ] || { echo "screenshot-report: $html: no such file" >&2; exit 2; }
mkdir -p "$(dirname "$png")"
case $png in /*) ;; *) png=$PWD/$png ;; esac
run_chrome() {
	# a private profile, no network, no GPU; --no-sandbox only where it must run as root
	local extra=()
	[ "$(id -u)" -eq 0 ] && extra+=(--no-sandbox)
	timeout 120 "$chrome" --headless --disable-gpu --hide-scrollbars --mute-audio --no-first-run \
		--user-data-dir="$T/profile" --window-size=$W,$H --virtual-time-budget=3000 "${extra[@]}" "$@" 2>>"$T/chrome.err"
}
# the screenshot, of the report as it is
# (a Chromium that cannot start here, e.g. without the user namespaces its sandbox needs, cannot check
# anything: skipped, with its reason)
rm -f "$png"
if ! run_chrome --screenshot="$png" "file://$(realpath "$html")" >/dev/null || [ ! -s "$png" ]; then
	echo "skipped: chromium wrote no screenshot: $(grep -v '^\s*$' "$T/chrome.err" | tail -1)"
	exit 77
fi
echo "$png"
# the positions, measured in a copy with the check's script appended (same directory: same relative links)
probe=$(dirname "$(realpath "$html")")/.screenshot-probe.$$.html
trap 'rm -rf "$T" "$probe"' EXIT
{
	cat "$html"
	cat <<'JS'
<script>
window.addEventListener('load', function () {
	function box(e) { if (!e) return 'none'; var r = e.getBoundingClientRect(); return Math.round(r.top) + '-' + Math.round(r.bottom); }
	var tables = document.querySelectorAll('table'), key = null, answer = null;
	for (var i = 0; i < tables.length && !key; i++)
		if (tables[i].textContent.indexOf('Answer') >= 0) key = tables[i];
	var ps = document.querySelectorAll('p');
	for (var j = 0; j < ps.length && !answer; j++)
		if (ps[j].textContent.indexOf('Answer:') === 0) answer = ps[j];
	var img = null, n = answer;
	while (n && !img) { n = n.nextElementSibling; if (n && n.querySelector) img = n.tagName === 'FIGURE' ? n.querySelector('img') : null; }
	document.body.setAttribute('data-first-screen', 'screen=0-' + window.innerHeight + ' key=' + box(key) +
		' answer=' + box(answer) + ' plot=' + box(img));
});
</script>
JS
} >"$probe"
dom=$(run_chrome --dump-dom "file://$probe") || { echo "screenshot-report: chromium failed on the probe" >&2; exit 2; }
pos=$(printf '%s' "$dom" | grep -o 'data-first-screen="[^"]*"' | head -1 | sed 's/^data-first-screen="//; s/"$//')
[ -n "$pos" ] || { echo "screenshot-report: the probe measured nothing" >&2; exit 2; }
echo "positions (CSS px, top-bottom): $pos"
# on the first screen: the whole key-results table, the whole Answer line, and at least the top half of
# the key plot
/usr/bin/python3 - "$pos" "$H" <<'PY'
import sys
kv = dict(p.split("=", 1) for p in sys.argv[1].split())
screen = int(sys.argv[2])   # the screenshot's height: positions depend on the width only
bad = []
def span(name):
    v = kv.get(name, "none")
    if v == "none":
        bad.append(name + " not found")
        return None
    top, bottom = (int(x) for x in v.split("-", 1)) if not v.startswith("-") else (0, 0)
    return top, bottom
for name in ("key", "answer"):
    s = span(name)
    if s and s[1] > screen:
        bad.append("%s ends at %d px, below the first screen (%d px)" % (name, s[1], screen))
s = span("plot")
if s and s[0] + (s[1] - s[0]) / 2 > screen:
    bad.append("the key plot's top half is not on the first screen (%d-%d px of %d)" % (s[0], s[1], screen))
if bad:
    print("first screen: " + "; ".join(bad))
    sys.exit(1)
print("first screen: the key-results table, the first Answer line and the key plot")
PY
