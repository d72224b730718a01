#!/bin/sh
# A live session left running: `arenascope live --run churn:1000000000` in a detached tmux for
# SECONDS (default 60; BENCH_LIVE_WORKLOAD names another workload, such as a longer churn for a run
# of an hour, which 10^9 rounds do not fill on a fast machine), with --max-trace-size CAP when given (else the default cap).  Every STEP
# seconds (BENCH_LIVE_STEP, default a tenth of the run; and once two seconds in) it prints the
# resident memory of the viewer and of the workload, the live trace's disk usage (its blocks: the
# oldest history is dropped past the cap) and apparent size, where the view is against the
# workload's newest event, and the header's live status; at the end, memory at the first and last
# sample, the largest disk usage, whether the view was at the edge, and how long q takes.
#
# Then the quit alone, QUITS times (BENCH_LIVE_QUITS, default 5) at each of several session
# ages (BENCH_LIVE_AGES, default "1 5 15" seconds): a fresh session each time, q sent at that
# age.  A quit is timed from `tmux send-keys q` to the moment the pane's shell runs its next
# command, the viewer having exited: what a user sees as q returning to the shell, with tmux's
# delivery of the key included (its client's start-up, which a user does not wait for, is a part
# of that, and shown apart for the first quit).  After each quit the workload must be gone within
# 2 s and the session's temporary directory empty.  Median and worst at each age are printed
# beside the goal of 100 ms.
#
# usage: bench_live.sh ARENASCOPE [SECONDS] [CAP]
set -u
prog=$1
secs=${2:-60}
cap=${3:-}
quits=${BENCH_LIVE_QUITS:-5}
ages=${BENCH_LIVE_AGES:-1 5 15}
workload=${BENCH_LIVE_WORKLOAD:-churn:1000000000}
capopt=""
[ -n "$cap" ] && capopt="--max-trace-size $cap"
base="arenascope-bench-live-$$"
sock="$base-0"
runs=0
tmp=$(mktemp -d)
trap 'for k in $(seq 0 $runs); do tmux -L "$base-$k" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
ms() { echo "($2 - $1) * 1000" | bc | cut -d. -f1 | sed 's/^-*$/0/'; }

# A fresh session in a new tmux server; the viewer's pid in $viewer.  The pane's shell writes
# the time it resumes (bash's clock, not a process of its own) once the viewer exits.
start() {
    tmux -L "$sock" kill-server 2>/dev/null
    runs=$((runs + 1))
    sock="$base-$runs"
    rm -rf "$tmp/live" "$tmp/pid" "$tmp/exit"
    mkdir -p "$tmp/live"
    tmux -L "$sock" new-session -d -s b -x 120 -y 40 \
        "bash -c 'sh -c \"echo \\\$\\\$ > $tmp/pid; TMPDIR=$tmp/live exec $prog live --run $capopt $workload\"; echo \$EPOCHREALTIME > $tmp/exit; sleep 60'"
    i=0
    while [ $i -lt 200 ] && [ ! -s "$tmp/pid" ]; do sleep 0.05; i=$((i + 1)); done
    viewer=$(cat "$tmp/pid")
    work=""
    i=0
    while [ $i -lt 200 ] && [ -z "$work" ]; do work=$(pgrep -P "$viewer" | head -1); [ -n "$work" ] || sleep 0.05; i=$((i + 1)); done
}

# Sends q; sets $quit (ms from send-keys to the shell resuming), $client (ms tmux's client took
# to return) and $left (what stayed behind: "" when nothing).
quit() {
    t0=$(date +%s.%N)
    tmux -L "$sock" send-keys -t b q
    t1=$(date +%s.%N)
    i=0
    while [ $i -lt 2500 ] && [ ! -s "$tmp/exit" ]; do sleep 0.002; i=$((i + 1)); done
    t2=$(cat "$tmp/exit" 2>/dev/null || echo "$t1")
    quit=$(ms "$t0" "$t2") client=$(ms "$t0" "$t1")
    left=""
    i=0
    while [ $i -lt 40 ] && kill -0 "$work" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    kill -0 "$work" 2>/dev/null && left="the workload"
    i=0
    while [ $i -lt 40 ] && [ -n "$(ls -A "$tmp/live")" ]; do sleep 0.05; i=$((i + 1)); done
    [ -n "$(ls -A "$tmp/live")" ] && left="$left ${left:+and }$(ls "$tmp/live" | head -1)"
    return 0
}

# median and worst of the numbers on standard input
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "median %4d ms, worst %4d ms", v[int((NR + 1) / 2)], v[NR] }'; }

start
echo "live ${capopt:+$capopt }$workload for $secs s   [goal: memory flat, disk under the cap, q within 100 ms]"
printf '%6s %11s %13s %9s %10s   %-34s %s\n' "time" "viewer RSS" "workload RSS" "disk" "apparent" "view (event of events)" "status"
step=${BENCH_LIVE_STEP:-$((secs / 10))}
[ "$step" -lt 1 ] && step=1
t=0
v0= w0= v1= w1= maxdisk=0 atedge=0 samples=0
began=$(date +%s)
while [ $t -lt "$secs" ]; do
    # the first sample two seconds in, then one every step, on the wall clock
    next=$((t == 0 ? 2 : t + step))
    [ $next -gt "$secs" ] && next=$secs
    while [ $(($(date +%s) - began)) -lt $next ]; do sleep 0.2; done
    t=$next
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
quit
echo "quit after $secs s: $quit ms from the key to the shell (tmux's client returned after $client ms)${left:+; left behind: $left}"

echo
echo "quit at several ages, $quits sessions each   [goal: 100 ms]"
all="$tmp/all"
: > "$all"
for age in $ages; do
    one="$tmp/one"
    : > "$one"
    leftover=0
    for k in $(seq "$quits"); do
        start
        sleep "$age"
        quit
        echo "$quit" >> "$one"
        [ -n "$left" ] && leftover=$((leftover + 1))
    done
    cat "$one" >> "$all"
    printf '  %4s s: %s over %s quits (%s), goal 100 ms%s\n' "$age" "$(stats < "$one")" "$quits" \
        "$(tr '\n' ' ' < "$one" | sed 's/ $//')" "$([ $leftover -gt 0 ] && echo "; $leftover left something behind")"
done
printf '   all: %s, goal 100 ms\n' "$(stats < "$all")"
