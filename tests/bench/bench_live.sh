#!/bin/sh
# A live session left running: `arenascope live --run churn:1000000000` in a detached tmux for
# SECONDS (default 60).  Every tenth of the run it prints the resident memory of the viewer and
# of the workload, the live trace's size, and how far the view is behind the workload's newest
# event; at the end, how long q takes: from the key sent to the viewer's exit, as the terminal
# sees it (tmux's own delivery included).  Flat memory and a quit within 100 ms are the goals.
#
# usage: bench_live.sh ARENASCOPE [SECONDS]
set -u
prog=$1
secs=${2:-60}
sock="arenascope-bench-live-$$"
tmp=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/live"
tmux -L "$sock" new-session -d -s b -x 120 -y 40 \
    "sh -c 'echo \$\$ > $tmp/pid; TMPDIR=$tmp/live exec $prog live --run churn:1000000000'; date +%s.%N > $tmp/exit; sleep 60"
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/pid" ]; do sleep 0.05; i=$((i + 1)); done
viewer=$(cat "$tmp/pid")
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
echo "live churn:1000000000 for $secs s   [goal: memory flat, q within 100 ms]"
printf '%8s %12s %14s %12s   %s\n' "time" "viewer RSS" "workload RSS" "trace" "view (event of events)"
step=$((secs / 10))
[ $step -lt 1 ] && step=1
t=0
while [ $t -lt "$secs" ]; do
    sleep "$step"
    t=$((t + step))
    work=$(pgrep -P "$viewer" | head -1)
    size=$(du -sm "$tmp/live" | cut -f1)
    where=$(tmux -L "$sock" capture-pane -p -t b | head -1 | grep -o 'event [0-9,]* of [0-9,]*')
    printf '%7ss %9s KB %11s KB %9s MB   %s\n' "$t" "$(rss "$viewer")" "$(rss "${work:-0}")" "$size" "$where"
done
t0=$(date +%s.%N)
tmux -L "$sock" send-keys -t b q
i=0
while [ $i -lt 1000 ] && [ ! -s "$tmp/exit" ]; do sleep 0.002; i=$((i + 1)); done
t1=$(cat "$tmp/exit" 2>/dev/null || echo "$t0")
echo "quit: $(echo "($t1 - $t0) * 1000" | bc | cut -d. -f1) ms from the key to the viewer's exit"
