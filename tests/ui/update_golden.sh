#!/bin/sh
# Regenerates the golden screens of tests/ui/golden/ from tests/ui/golden/LIST with
# `arenascope screenshot`, the same rendering test_golden.c compares with.
# usage: update_golden.sh ARENASCOPE SOURCE_ROOT    (meson compile -C build update-golden)
set -eu
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$2"
# paths relative to the source root: the header of each screen names the trace as traces/NAME
grep -v '^#' tests/ui/golden/LIST | grep -v '^$' | while read -r name trace at view size flag; do
    extra=""
    [ "${flag:-}" = ascii ] && extra="--ascii"
    # shellcheck disable=SC2086
    "$prog" screenshot "traces/$trace" --at "$at" --view "$view" --size "$size" $extra \
        -o "tests/ui/golden/$name.txt"
    echo "golden: $name"
done
