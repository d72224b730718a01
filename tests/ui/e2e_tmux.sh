#!/bin/sh
# The real program in a real terminal: arenascope runs inside a detached tmux session; keys are
# sent with send-keys and the screen is read back with capture-pane.  It opens a trace, steps
# with keys, reads the screen, resizes (below the minimum and back), quits, and checks the exit
# status and that the terminal's modes were restored; then the same after SIGTERM, and a storm
# of random keys.  Prints TAP.
#
# usage: e2e_tmux.sh ARENASCOPE TRACES_DIR
set -u
prog=$1
traces=$2
trace="$traces/demo-pool-lifecycle.trace"
base="arenascope-e2e-$$"
sock="$base-0"
runs=0
tmp=$(mktemp -d)
trap 'for k in $(seq 0 $runs); do tmux -L "$base-$k" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); fails=$((fails + 1))
    echo "not ok $n - $1"
    echo "# screen:"; screen | sed 's/^/#   /'
}
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

screen() { tmux -L "$sock" capture-pane -p -t e2e 2>/dev/null; }
keys() { tmux -L "$sock" send-keys -t e2e "$@"; }

# Waits up to 10 s for text to appear on the screen (or, with -v, to leave it): a sanitized
# build on a busy machine can take seconds for a frame.
wait_for() {
    want=yes
    if [ "$1" = -v ]; then want=no; shift; fi
    i=0
    while [ $i -lt 200 ]; do
        if screen | grep -qF -- "$1"; then [ $want = yes ] && return 0
        else [ $want = no ] && return 0; fi
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

# Waits for the program to end; its exit status and the terminal's modes land in files.
wait_exit() {
    i=0
    while [ $i -lt 100 ] && [ ! -s "$tmp/exit" ]; do sleep 0.05; i=$((i + 1)); done
    cat "$tmp/exit" 2>/dev/null
}

start() {
    rm -f "$tmp/exit" "$tmp/stty" "$tmp/pid"
    tmux -L "$sock" kill-server 2>/dev/null
    runs=$((runs + 1))
    sock="$base-$runs"
    # The shell records the program's pid, its exit status, and the terminal's modes after it.
    tmux -L "$sock" new-session -d -s e2e -x 120 -y 40 \
        "TMPDIR=$tmp/live ${env_prefix:-} $prog $* & echo \$! > $tmp/pid; wait \$!; s=\$?; stty -a > $tmp/stty; echo \$s > $tmp/exit; sleep 60"
    i=0
    while [ $i -lt 100 ] && [ ! -s "$tmp/pid" ]; do sleep 0.05; i=$((i + 1)); done
}

modes_restored() { grep -qw icanon "$tmp/stty" && grep -qw echo "$tmp/stty" && ! grep -qw -- -echo "$tmp/stty"; }

echo "1..72"

# --- open, step, read -----------------------------------------------------------------------
start replay "$trace"
check "replay opens a trace before its first step, the setup done" 'wait_for "Before the first step"'
keys ]
check "and the first ] runs step 1" 'wait_for "Step 1 of"'
start replay --at start "$trace"
check "replay --at start opens the trace at its start" 'wait_for "start (before event 0)"'
keys l l l
check "three steps with l reach event 2" 'wait_for "event 2 of"'
keys Left
check "Left steps back" 'wait_for "event 1 of"'
keys ]
check "] stops at the end of a step, and the banner says which" 'wait_for "Step" || wait_for "Before the first step"'
check "the event log narrates the current event" 'screen | grep -q "▶"'
keys '?'
check "? shows the help" 'wait_for "key closes this help"'
keys x
check "a key closes the help" 'wait_for -v "key closes this help"'

# --- resize ---------------------------------------------------------------------------------
tmux -L "$sock" resize-window -t e2e -x 70 -y 20
check "below 80 x 24 the screen says it is too small" 'wait_for "terminal too small"'
check "and what size is needed" 'wait_for "needs 80 x 24"'
tmux -L "$sock" resize-window -t e2e -x 100 -y 30
check "back to 100 x 30, the panes return" 'wait_for "Timeline"'
tmux -L "$sock" resize-window -t e2e -x 80 -y 24
wait_for " Tab: " # one pane above the timeline: the viewer has seen the new size
keys '?'
check "at 80 x 24 the help is one column that scrolls" 'wait_for "j/k or PgUp/PgDn scroll"'
keys PageDown
keys PageDown
check "PgDn pages it to its end" 'wait_for "bar jumps."'
keys x
check "another key closes it" 'wait_for -v "j/k or PgUp/PgDn scroll"'

# --- quit -----------------------------------------------------------------------------------
keys q
check "q exits with status 0" '[ "$(wait_exit)" = 0 ]'
check "the terminal's modes are restored after q" 'modes_restored'

# --- SIGTERM ---------------------------------------------------------------------------------
start replay "$trace"
wait_for "arenascope" >/dev/null
kill -TERM "$(cat "$tmp/pid")"
check "SIGTERM ends it with status 143" '[ "$(wait_exit)" = 143 ] || { echo "# exit: $(cat $tmp/exit)"; false; }'
check "the terminal's modes are restored after SIGTERM" 'modes_restored'

# --- a crash of the viewer --------------------------------------------------------------------
start replay "$trace"
wait_for "arenascope" >/dev/null
kill -SEGV "$(cat "$tmp/pid")"
check "a crash still dies by its signal (status 139)" '[ "$(wait_exit)" = 139 ]'
check "the terminal's modes are restored after a crash" 'modes_restored'

# --- a storm of random keys -----------------------------------------------------------------
start replay "$trace"
wait_for "arenascope" >/dev/null
# 2000 keys from the bound set and beyond, in batches, never q (which would end the storm)
awk 'BEGIN { srand(42); s = "lhjkHL[]{}gG+-nNbzfFcakxd?/:0123456789 \t";
             for (i = 0; i < 2000; i++) printf "%s", substr(s, int(rand() * length(s)) + 1, 1) }' > "$tmp/storm"
i=0
while [ $i -lt 2000 ]; do
    keys -l -- "$(cut -c$((i + 1))-$((i + 100)) "$tmp/storm")"
    keys Escape Escape Right Down Up Left Tab BTab Home End PageUp PageDown Enter
    i=$((i + 100))
done
keys Escape Escape
check "after 2000 random keys the program still runs" '[ ! -s "$tmp/exit" ] && kill -0 "$(cat "$tmp/pid")"'
check "and still draws its screen" 'wait_for "arenascope"'
keys Escape q
check "and quits with status 0" '[ "$(wait_exit)" = 0 ]'

# --- live: a demo held at each step ---------------------------------------------------------
mkdir -p "$tmp/live"
start demo pool-lifecycle
check "demo starts live, holding before its first step" 'wait_for "LIVE holding"'
keys ]
check "] lets the workload run its first step" 'wait_for "Step 1"'
keys ]
check "and the next" 'wait_for "Step 2"'
keys q
check "q ends the demo with status 0" '[ "$(wait_exit)" = 0 ]'
# (unlinked by the viewer's keeper once the viewer is gone: wait a moment for it)
i=0
while [ $i -lt 40 ] && [ -n "$(ls "$tmp/live")" ]; do sleep 0.05; i=$((i + 1)); done
check "the temporary trace is gone" '[ -z "$(ls "$tmp/live")" ]'

# --- live: a workload's call stacks, as record takes them ---------------------------------------
# --stack-depth alone records C stacks of at most that many frames, as in record; the stack_def
# events of the kept trace say how deep they are.
start live --run --record "$tmp/depth.trace" --stack-depth 3 churn:300
check "live --stack-depth runs a workload to its end" 'wait_for "workload finished"'
keys q
wait_exit >/dev/null
depths=$("$prog" dump "$tmp/depth.trace" | sed -n 's/.* stack_def .*depth=\([0-9]*\).*/\1/p' | sort -n | uniq | tr '\n' ' ')
check "its trace keeps C stacks of 1 to 3 frames, the deepest 3 (depths: $depths)" \
    '[ "$depths" = "1 2 3 " ]'
for bad in "--stack-depth 65 churn" "--stdin /dev/null churn" "--stdin - $tmp/none.py"; do
    # shellcheck disable=SC2086
    "$prog" live $bad > "$tmp/out" 2> "$tmp/err"
    st=$?
    check "live $bad is refused in one line, status 2: $(cat "$tmp/err")" \
        '[ "$st" = 2 ] && [ "$(wc -l < "$tmp/err")" = 1 ]'
done

# --- the demo menu: q in a demo comes back to it, on the demo it opened ------------------------
start demo
check "demo with no name opens the menu" 'wait_for "a short walk through the main ideas"'
keys j j Enter
check "Enter opens the selected demo" 'wait_for "demo:size-classes"'
keys q
check "q in that demo comes back to the menu" 'wait_for "▶ size-classes"'
check "and the program is still running" '[ ! -s "$tmp/exit" ]'
keys q
check "q in the menu ends the program with status 0" '[ "$(wait_exit)" = 0 ]'

# --- live: a real Python program -------------------------------------------------------------
# It prints a line every 0.2 s and allocates little in between: the view must follow it anyway.
cat > "$tmp/slide.py" <<'PY'
import time
rows = []
for i in range(1000):
    rows.append([i] * 8)
    print("row", i, flush=True)
    time.sleep(0.2)
PY
start live --run "$tmp/slide.py"
check "a script runs live under python3 (--run)" 'wait_for "LIVE running"'
check "its own lines are the steps in the banner" 'wait_for "slide.py:6  time.sleep(0.2)"'
check "what it prints is in the Output pane" 'wait_for "row 3"'
check "and the view follows it while it sleeps" 'wait_for "row 8"'
pypid=$(pgrep -f "python.* $tmp/slide.py" | head -1)
check "the program is a real python process" '[ -n "$pypid" ]'
keys q
check "q ends the viewer with status 0" '[ "$(wait_exit)" = 0 ]'
i=0
while [ $i -lt 40 ] && kill -0 "$pypid" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
check "and the program with it" '! kill -0 "$pypid" 2>/dev/null'

# --- live: the same script a line at a time ---------------------------------------------------
start live "$tmp/slide.py"
check "step mode holds the interpreter before the script's first lines" 'wait_for "LIVE holding"'
keys ]
check "] runs one line: the banner shows it and the next one" 'wait_for "slide.py:2  rows = []"'
keys ] ] ] ]
check "a loop's lines are steps too, and what they print shows" 'wait_for "row 0"'
keys q
check "q ends the viewer and the held program with status 0" '[ "$(wait_exit)" = 0 ]'

# --- live: a line breakpoint holds a running program before its line --------------------------
# Run as fast as it goes, the program would be thousands of lines on before the view, which reads
# the trace behind it, found the breakpoint; it must be held at the line itself.
printf '%s\n' 'import sys' 'for i in range(1000000):' '    print("row", i, flush=True)' '    x = [i]' \
    > "$tmp/brk.py"
start live "$tmp/brk.py"
check "a program held at its first line in step mode" 'wait_for "▶   1  import sys"'
keys j j j j b
check "b in the Code pane sets a breakpoint on line 4" 'wait_for "breakpoint 1: before line 4 of brk.py runs"'
keys + + + + + +
check "+ sets the pace to as fast as it runs" 'wait_for "pace: as fast as it runs"'
keys Space
check "Space runs it, and it stops at the breakpoint" 'wait_for "stopped at breakpoint 1"'
check "before line 4, with i = 0" 'wait_for "▶   4      x = [i]" && screen | grep -Eq "│i +int +0 "'
sleep 1
check "the program itself holds there: the view is at the live edge" 'screen | grep -q "LIVE holding" && ! screen | grep -q "viewing history"'
keys G
check "and the trace ends there: nothing after its first row was printed" 'sleep 0.5; wait_for "row 0" && ! screen | grep -q "row 1"'
keys Space
check "Space runs it on, to the same line of the next turn" 'wait_for "row 1" && wait_for "stopped at breakpoint 1" && screen | grep -Eq "│i +int +1 "'
keys q
check "q ends the viewer and the held program with status 0" '[ "$(wait_exit)" = 0 ]'

# --- live: a slide in the Code pane, and its names -------------------------------------------
printf '%s\n' 'nums = [1, 2, 3]' 'alias = nums' 'del alias' 'word = "memory" * 3' 'print(len(nums), word)' \
    > "$tmp/names.py"
start live "$tmp/names.py"
check "the Code pane shows the script, ▶ on its first line" 'wait_for "▶   1  nums = [1, 2, 3]"'
keys ]
check "] runs a line: ✓ on it, ▶ on the next" 'wait_for "✓   1  nums = [1, 2, 3]" && wait_for "▶   2  alias = nums"'
check "the names after the line appear" 'wait_for "Names after line 1"'
check "with their type, value and true count" 'screen | grep -Eq "nums +list +\[1, 2, 3\] +88 +1 g0 +a[0-9]+ p[0-9]+ b[0-9]+"'
keys ]
check "an alias is one more reference" 'wait_for "Names after line 2" && screen | grep -Eq "alias +list +\[1, 2, 3\] +88 +2 "'
keys ]
check "the line that unbound a name says so" 'wait_for "unbound by line 3: alias"'
keys 2 ]
check "2] runs two lines: the last one prints" 'wait_for "3 memorymemorymemory"'
pypid=$(pgrep -f "python.* $tmp/names.py" | head -1)
check "the held program is a real python process" '[ -n "$pypid" ]'
keys q
check "q ends the viewer with status 0" '[ "$(wait_exit)" = 0 ]'
i=0
while [ $i -lt 40 ] && kill -0 "$pypid" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
check "and the held program with it" '! kill -0 "$pypid" 2>/dev/null'

# --- a terminal that cannot move its cursor ---------------------------------------------------
out=$(printf 'l\n]\nq\n' | TERM=dumb COLUMNS=90 LINES=24 "$prog" replay "$trace"; echo "status $?")
check "TERM=dumb prints whole frames" 'echo "$out" | grep -q "keys, then Enter>"'
check "in ASCII" '! echo "$out" | grep -q "│"'
check "and quits on q with status 0" 'echo "$out" | tail -1 | grep -q "status 0"'

[ $fails -eq 0 ]
