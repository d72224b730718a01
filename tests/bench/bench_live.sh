#!/bin/sh
# A live session left running: `arenascope live --run churn:1000000000` in a detached tmux for
# SECONDS (default 60), with --max-trace-size CAP when given (else the default cap).  Every tenth
# of the run it prints the resident memory of the viewer and of the workload, the live trace's
# disk usage (its blocks: the oldest history is dropped past the cap) and apparent size, where the
# view is against the workload's newest event, and the header's live status; at the end, memory
# at the first and last sample, the largest disk usage, whether the view was at the edge, and how
# long q takes: from the key sent to the viewer's exit, as the terminal sees it (tmux's own
# delivery included).  Flat memory, disk under the cap and a quit within 100 ms are the goals.
#
# usage: bench_live.sh ARENASCOPE [SECONDS] [CAP]
set -u
prog=$1
secs=${2:-60}
cap=${3:-}
capopt=""
[ -n "$cap" ] && capopt="--max-trace-size $cap"
sock="arenascope-bench-live-$$"
tmp=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/live"
tmux -L "$sock" new-session -d -s b -x 120 -y 40 \
    "sh -c 'echo \$\$ > $tmp/pid; TMPDIR=$tmp/live exec $prog live --run $capopt churn:1000000000'; date +%s.%N > $tmp/exit; sleep 60"
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/pid" ]; do sleep 0.05; i=$((i + 1)); done
viewer=$(cat "$tmp/pid")
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
echo "live ${capopt:+$capopt }churn:1000000000 for $secs s   [goal: memory flat, disk under the cap, q within 100 ms]"
printf '%6s %11s %13s %9s %10s   %-34s %s\n' "time" "viewer RSS" "workload RSS" "disk" "apparent" "view (event of events)" "status"
step=$((secs / 10))
[ $step -lt 1 ] && step=1
t=0
v0= w0= v1= w1= maxdisk=0 atedge=0 samples=0
while [ $t -lt "$secs" ]; do
    sleep "$step"
    t=$((t + step))
    work=$(pgrep -P "$viewer" | head -1)
    disk=$(du -sm "$tmp/live" | cut -f1)
    size=$(du -sm --apparent-size "$tmp/live" | cut -f1)
    head=$(tmux -L "$sock" capture-pane -p -t b | head -1)
    where=$(echo "$head" | grep -o 'event [0-9,]* of [0-9,]*[0-9]' ||
            echo "$head" | grep -o '[0-9][0-9,]*/[0-9,]*[0-9]' | head -1 | sed 's|\(.*\)/\(.*\)|event \1 of \2|')
    status=$(echo "$head" | grep -o 'LIVE.*' | sed 's/ *$//')
    vr=$(rss "$viewer") wr=$(rss "${work:-0}")
    [ -z "$v0" ] && v0=$vr w0=$wr
    v1=$vr w1=$wr
    [ "$disk" -gt "$maxdisk" ] && maxdisk=$disk
    # at the edge: the view shows the newest event (or the one before a trailing marker), or jumps there
    pos=$(echo "$where" | sed 's/event \([0-9,]*\) of .*/\1/' | tr -d ,)
    cnt=$(echo "$where" | sed 's/.* of //' | tr -d ,)
    samples=$((samples + 1))
    if [ -n "$pos" ] && [ -n "$cnt" ] && [ $((cnt - pos)) -le 2 ]; then atedge=$((atedge + 1)); fi
    printf '%5ss %8s KB %10s KB %6s MB %7s MB   %-34s %s\n' "$t" "$vr" "$wr" "$disk" "$size" "$where" "$status"
done
echo "viewer RSS $v0 -> $v1 KB, workload RSS $w0 -> $w1 KB, disk at most $maxdisk MB, view at the edge in $atedge of $samples samples"
t0=$(date +%s.%N)
tmux -L "$sock" send-keys -t b q
i=0
while [ $i -lt 1000 ] && [ ! -s "$tmp/exit" ]; do sleep 0.002; i=$((i + 1)); done
t1=$(cat "$tmp/exit" 2>/dev/null || echo "$t0")
echo "quit: $(echo "($t1 - $t0) * 1000" | bc | cut -d. -f1) ms from the key to the viewer's exit"
