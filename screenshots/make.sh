#!/bin/sh
# Renders the screenshots named in screenshots/LIST from the traces of traces/, to SVG (with
# colours) and to text, with `arenascope screenshot`.  These files are never edited by hand.
# usage: screenshots/make.sh ARENASCOPE SOURCE_ROOT     (meson compile -C build screenshots)
set -eu
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
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
    echo "screenshots: handout not rendered: no chromium on PATH (apt-get install chromium)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$prog" export --format html --size 120x40 -o "$work/tour.html" traces/demo-tour.trace
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1060,900 --screenshot="$work/handout.png" "file://$work/tour.html" >/dev/null 2>&1
mv "$work/handout.png" screenshots/handout.png
echo "screenshots: handout"
