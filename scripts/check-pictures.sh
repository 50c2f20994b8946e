#!/usr/bin/env bash
# Draws every committed counterexample (SVG, HTML, and the index page) and
# checks them in a real browser, headless Chromium: each SVG parses and
# shows its failing property, each page holds the picture, the trace and the
# property, every picture renders to a non-blank screenshot, and the index
# lists every file. A file that cannot be read (its model not found, as
# `show` finds models: built-in, or the model file the counterexample
# records) counts as a failure. Not part of `npm test` (CI has no Chromium).
#
# Usage: scripts/check-pictures.sh [OUT_DIR] [COUNTEREXAMPLE_DIR]
# Screenshots are left in OUT_DIR (default: a fresh temporary folder).
# Needs Debian's chromium (apt-get install -y chromium); CHROMIUM=... picks another.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-chromium}
OUT=${1:-$(mktemp -d /tmp/krh-pictures.XXXXXX)}
DIR=${2:-counterexamples}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # absolute, for file:// addresses

# The flags headless Chromium needs on a machine with a closed network, and a fresh profile each time.
browser() {
  local profile status=0
  profile=$(mktemp -d)
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars "$@" 2>/dev/null || status=$?
  rm -rf "$profile"
  return $status
}

# The width and height an SVG declares on its root element.
svg_size() { grep -o -m1 '<svg [^>]*>' "$1" | sed -E 's/.* width="([0-9]+)" height="([0-9]+)".*/\1,\2/'; }

# A PNG's width and height, from its IHDR chunk.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d,%d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'; }

failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# render-pictures.ts exits 1 when some file cannot be read (it lists those), anything else but 0 is a crash.
render=0
listing=$(npx tsx scripts/render-pictures.ts "$OUT" "$DIR" 2>"$OUT/render.log") || render=$?
if [ "$render" -ne 0 ] && [ "$render" -ne 1 ]; then
  fail "render-pictures.ts exited with $render: $(grep -v '^npm warn' "$OUT/render.log" | tail -5)"
fi
count=0
unreadable=0
while IFS=$'\t' read -r svg html property; do
  [ -n "$svg" ] || continue
  if [ "$svg" = unreadable ]; then
    unreadable=$((unreadable + 1))
    fail "$html: cannot be read: $property"
    continue
  fi
  count=$((count + 1))
  before=$failures
  name=${svg%.svg}
  # The SVG alone: parsed by the browser as XML (a parse error shows as <parsererror>), the property in it.
  browser --dump-dom "file://$svg" >"$name.svg.dom" || fail "$svg: chromium exited with an error"
  grep -q "parsererror" "$name.svg.dom" && fail "$svg: the browser cannot parse it"
  grep -q "krh-fail" "$name.svg.dom" || fail "$svg: no failing action marked"
  grep -qF "$property" "$name.svg.dom" || fail "$svg: the property $property is missing"
  # Its screenshot, at the SVG's own size: the right size, and far from blank (a blank page compresses to a few KB).
  size=$(svg_size "$svg")
  browser --window-size="$size" --screenshot="$name.png" "file://$svg" >/dev/null || fail "$svg: no screenshot"
  [ -s "$name.png" ] || fail "$svg: empty screenshot"
  [ "$(png_size "$name.png")" = "$size" ] || fail "$svg: screenshot is $(png_size "$name.png"), not $size"
  [ "$(stat -c %s "$name.png")" -gt 15000 ] || fail "$svg: screenshot looks blank ($(stat -c %s "$name.png") bytes)"
  # The page: the picture inline, the text trace, the property.
  browser --dump-dom "file://$html" >"$name.html.dom" || fail "$html: chromium exited with an error"
  grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$name.html.dom" || fail "$html: no picture in the page"
  grep -q '<pre class="trace">' "$name.html.dom" || fail "$html: no text trace"
  grep -qF "$property" "$name.html.dom" || fail "$html: the property $property is missing"
  [ "$failures" -eq "$before" ] && echo "ok   $svg ($size, $(stat -c %s "$name.png") bytes of screenshot)"
done <<<"$listing"

# The index: one row and one picture per file.
browser --dump-dom "file://$OUT/index.html" >"$OUT/index.dom" || fail "index: chromium exited with an error"
browser --window-size=1400,2000 --screenshot="$OUT/index.png" "file://$OUT/index.html" >/dev/null || fail "index: no screenshot"
files=$(find "$DIR" -name '*.json' | wc -l)
[ "$render" -eq 1 ] && [ "$unreadable" -eq 0 ] && fail "render-pictures.ts says a file cannot be read, but lists none"
[ "$((count + unreadable))" -eq "$files" ] || fail "$files file(s) under $DIR, but $count drawn and $unreadable unreadable"
for f in $(find "$DIR" -name '*.json' | sort); do grep -qF "$f" "$OUT/index.dom" || fail "index: $f is not listed"; done
[ "$(grep -o '<details id=' "$OUT/index.dom" | wc -l)" -eq "$count" ] || fail "index: not one section per readable file"
[ "$(grep -o '<svg xmlns' "$OUT/index.dom" | wc -l)" -eq "$count" ] || fail "index: not one picture per readable file"
echo "index: $files file(s) listed, $count picture(s), $unreadable unreadable"

[ "$count" -gt 0 ] || fail "nothing was drawn"
echo "$count counterexample(s) drawn and checked in $OUT; $failures failure(s)"
[ "$failures" -eq 0 ]
