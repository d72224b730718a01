#!/bin/sh
# The side-by-side viewer in a real terminal: `diff --view` of the arena-lifecycle demo under
# cpython-3.8 and cpython-3.10 runs inside a detached tmux session; it must open with both sides
# named, step both with ], mark what differs, and quit with q, exit status 0 and the terminal's
# modes restored.  Then `live --compare` of the same demo under the two profiles.  Prints TAP.
#
# usage: e2e_compare.sh ARENASCOPE TRACES_DIR
set -u
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
traces=$2
a="$traces/demo-arena-lifecycle-3.8.trace"
b="$traces/demo-arena-lifecycle.trace"
base="arenascope-compare-$$"
runs=0
sock="$base-0"
tmp=$(mktemp -d)
trap 'for k in $(seq 0 $runs); do tmux -L "$base-$k" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1))
    echo "not ok $n - $1"
    echo "# screen:"; screen | sed 's/^/#   /'
}
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
screen() { tmux -L "$sock" capture-pane -p -t e2e 2>/dev/null; }
keys() { tmux -L "$sock" send-keys -t e2e "$@"; }

# Waits up to 10 s for a line matching the extended regular expression to be on the screen.
wait_for() {
    i=0
    while [ $i -lt 200 ]; do
        screen | grep -qE -- "$1" && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

wait_exit() {
    i=0
    while [ $i -lt 200 ] && [ ! -s "$tmp/exit" ]; do sleep 0.05; i=$((i + 1)); done
    cat "$tmp/exit" 2>/dev/null
}

start() {
    rm -f "$tmp/exit" "$tmp/stty"
    tmux -L "$sock" kill-server 2>/dev/null
    # each run on a server of its own: the last one may still be going away
    runs=$((runs + 1))
    sock="$base-$runs"
    tmux -L "$sock" new-session -d -s e2e -x 130 -y 40 \
        "cd $tmp && TMPDIR=$tmp $prog $*; s=\$?; stty -a > $tmp/stty; echo \$s > $tmp/exit; sleep 60"
}

modes_restored() { grep -qw icanon "$tmp/stty" && grep -qw echo "$tmp/stty" && ! grep -qw -- -echo "$tmp/stty"; }

echo "1..10"

start diff --view "$a" "$b"
check "diff --view names both sides and their allocator profiles" \
    'wait_for "^ A .*cpython-3\.8, gc .* B .*cpython-3\.10, gc "'
check "both sides open before the first step" 'wait_for "Before the first step.*Before the first step"'
keys ]
check "] steps both sides to step 1" 'wait_for "Step 1 of 6 .*Step 1 of 6 "'
keys ] ] ]
check "three more ] take both to step 4" 'wait_for "Step 4 of 6 .*Step 4 of 6 "'
check "where the arena counts differ, the figures row marks them" 'wait_for "arenas 0(≠|\*)1"'
check "and the Arenas pane says it differs" 'wait_for "(≠|\*) differs"'
keys q
check "q quits with status 0" '[ "$(wait_exit)" = 0 ]'
check "the terminal's modes are restored" 'modes_restored'

start live --compare cpython-3.8,cpython-3.10 demo:arena-lifecycle
check "live --compare records both and shows them side by side" \
    'wait_for "^ A .*cpython-3\.8, gc .* B .*cpython-3\.10, gc "'
keys ] q
check "and quits with status 0" '[ "$(wait_exit)" = 0 ]'
