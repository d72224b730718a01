#!/bin/sh
# Renders the screenshots named in screenshots/LIST from the traces of traces/, to SVG (with
# colours) and to text, with `arenascope screenshot`.  These files are never edited by hand.
# usage: screenshots/make.sh ARENASCOPE SOURCE_ROOT [SPEEDSCOPE]   (meson compile -C build screenshots)
# SPEEDSCOPE is the speedscope npm package's folder, for the pictures of the exports in it; by
# default the one meson's browser-npm target installs beside ARENASCOPE's build directory
# (BUILD/tests/browser/npm/node_modules/speedscope).
set -eu
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
package=${3:-$(dirname "$prog")/../tests/browser/npm/node_modules/speedscope}
cd "$2"
grep -v '^#' screenshots/LIST | grep -v '^$' | while read -r name trace at view size other; do
    set --
    if [ -n "$other" ]; then set -- --compare "traces/$other"; fi
    for ext in svg txt; do
        "$prog" screenshot "traces/$trace" --at "$at" --view "$view" --size "$size" "$@" -o "screenshots/$name.$ext"
    done
    echo "screenshots: $name"
done

# The handout of `export --format html` as a browser shows it (screenshots/handout.png): its first
# step, rendered by headless Chromium when the machine has it.
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "screenshots: handout and exports in speedscope not rendered: no chromium on PATH (apt-get install chromium)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$prog" export --format html --size 120x40 -o "$work/tour.html" traces/demo-tour.trace
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1060,900 --screenshot="$work/handout.png" "file://$work/tour.html" >/dev/null 2>&1
mv "$work/handout.png" screenshots/handout.png
echo "screenshots: handout"

# The Perfetto and collapsed exports as speedscope shows them (screenshots/export-*.png), drawn
# by screenshots/exports.py when the speedscope package is installed.
if [ ! -f "$package/dist/release/index.html" ]; then
    echo "screenshots: exports in speedscope not rendered: no speedscope package at $package" \
         "(ninja -C BUILD tests/browser/npm.stamp installs it)"
    exit 0
fi
CHROMIUM=$browser python3 screenshots/exports.py "$prog" "$package"
echo "screenshots: export-perfetto export-collapsed"
