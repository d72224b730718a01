#!/bin/sh
# Regenerates the golden screens of tests/ui/golden/ from tests/ui/golden/LIST with
# `arenascope screenshot`, the same rendering test_golden.c compares with.
# usage: update_golden.sh ARENASCOPE SOURCE_ROOT    (meson compile -C build update-golden)
set -eu
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$2"
# paths relative to the source root: the header of each screen names the trace as traces/NAME
grep -v '^#' tests/ui/golden/LIST | grep -v '^$' | while read -r name trace at view size flags; do
    set --
    for flag in ${flags:-}; do
        case $flag in
        ascii) set -- "$@" --ascii ;;
        keys=*) set -- "$@" --keys "${flag#keys=}" ;;
        compare=*) set -- "$@" --compare "traces/${flag#compare=}" ;;
        *) echo "update_golden.sh: $name: unknown flag '$flag'" >&2; exit 1 ;;
        esac
    done
    "$prog" screenshot "traces/$trace" --at "$at" --view "$view" --size "$size" "$@" \
        -o "tests/ui/golden/$name.txt"
    echo "golden: $name"
done
