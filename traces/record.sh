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
# each trace is recorded under its own name in a scratch folder, then moved here: the command it
# keeps names the file as it is, and a failed recording leaves the old one
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for name in $("$prog" demo --list | cut -d' ' -f1); do
    if (cd "$scratch" && "$prog" record --arena-source aligned --stacks c -o "demo-$name.trace" "demo:$name" >/dev/null); then
        mv "$scratch/demo-$name.trace" "demo-$name.trace"
        echo "traces: demo-$name.trace ($("$prog" info "demo-$name.trace" | sed -n 's/^events *\([0-9,]*\).*/\1/p') events)"
    else
        rm -f "$scratch/demo-$name.trace"
        echo "traces: demo:$name failed; demo-$name.trace is not updated" >&2
        status=1
    fi
done
# The same demo under 3.8's allocator, where the last free arena goes back to the system: the
# left side of the side-by-side screens (`diff --view`), the default trace the right.
if (cd "$scratch" && "$prog" record -p cpython-3.8 --arena-source aligned --stacks c -o demo-arena-lifecycle-3.8.trace demo:arena-lifecycle >/dev/null); then
    mv "$scratch/demo-arena-lifecycle-3.8.trace" demo-arena-lifecycle-3.8.trace
    echo "traces: demo-arena-lifecycle-3.8.trace"
else
    echo "traces: demo:arena-lifecycle under cpython-3.8 failed; demo-arena-lifecycle-3.8.trace is not updated" >&2
    status=1
fi
# A real program: the slide of traces/slide.py on Debian's python3.11, recorded without address
# randomisation and with a fixed hash seed, so that recording it again gives the same screens.
py=/usr/bin/python3.11
if [ ! -x "$py" ]; then
    echo "traces: $py is missing; program-slide.trace is not updated" >&2
elif cp slide.py "$scratch/" &&
    (cd "$scratch" && PYTHONHASHSEED=0 setarch "$(uname -m)" -R "$prog" record -o program-slide.trace -- "$py" slide.py >/dev/null); then
    mv "$scratch/program-slide.trace" program-slide.trace
    echo "traces: program-slide.trace ($("$prog" info program-slide.trace | sed -n 's/^events *\([0-9,]*\).*/\1/p') events)"
else
    rm -f "$scratch/program-slide.trace"
    echo "traces: slide.py failed; program-slide.trace is not updated" >&2
    status=1
fi
# The same slide on pyenv's python3.8: the left side of the side-by-side screens of one script
# under two interpreters, program-slide.trace the right.
py38=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.8.*/bin/python3.8 2>/dev/null | sort -V | tail -1)
if [ -z "$py38" ]; then
    echo "traces: no pyenv python3.8; program-slide-3.8.trace is not updated" >&2
elif cp slide.py "$scratch/" &&
    (cd "$scratch" && PYTHONHASHSEED=0 setarch "$(uname -m)" -R "$prog" record -o program-slide-3.8.trace -- "$py38" slide.py >/dev/null); then
    mv "$scratch/program-slide-3.8.trace" program-slide-3.8.trace
    echo "traces: program-slide-3.8.trace"
else
    rm -f "$scratch/program-slide-3.8.trace"
    echo "traces: slide.py on python3.8 failed; program-slide-3.8.trace is not updated" >&2
    status=1
fi
exit $status
