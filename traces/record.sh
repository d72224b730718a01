#!/bin/sh
# Regenerates traces/: one trace of each built-in demo, recorded with the allocator's default
# profile (cpython-3.10), arenas aligned to their size (every arena has all its pools, so the
# pictures are the same on every machine) and the call stack of every allocation.
#
# usage: traces/record.sh ARENASCOPE SOURCE_ROOT     (meson compile -C build traces)
set -u
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$2/traces" || exit 1
status=0
for name in $("$prog" demo --list | cut -d' ' -f1); do
    if "$prog" record --arena-source aligned --stacks c -o "demo-$name.trace.new" "demo:$name" >/dev/null; then
        mv "demo-$name.trace.new" "demo-$name.trace"
        echo "traces: demo-$name.trace ($("$prog" info "demo-$name.trace" | sed -n 's/^events *\([0-9,]*\).*/\1/p') events)"
    else
        rm -f "demo-$name.trace.new"
        echo "traces: demo:$name failed; demo-$name.trace is not updated" >&2
        status=1
    fi
done
exit $status
