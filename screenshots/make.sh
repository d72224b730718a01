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
