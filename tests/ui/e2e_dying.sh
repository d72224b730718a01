#!/bin/sh
# A viewer that dies: by the signals a terminal sends (SIGQUIT from Ctrl-\) and by a crash
# (SIGSEGV, SIGABRT), the terminal must be left as it was found: main screen, cursor shown,
# keypad-transmit and mouse reporting off, and the line discipline back.  tmux tells the pane's
# modes (#{alternate_on} and friends); stty tells the rest.  And a live viewer killed with
# SIGKILL, which can do nothing about it, must not leave its workload running: neither a built-in
# workload nor a real Python program.  Prints TAP.
#
# usage: e2e_dying.sh ARENASCOPE TRACE
set -u
prog=$1
trace=$2
base="arenascope-dying-$$"
sock="$base-0"
runs=0
tmp=$(mktemp -d)
trap 'for k in $(seq 0 $runs); do tmux -L "$base-$k" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; screen | sed "s/^/#   /"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

screen() { tmux -L "$sock" capture-pane -p -t d 2>/dev/null; }
modes() { tmux -L "$sock" display -p -t d '#{alternate_on} #{cursor_flag} #{keypad_flag} #{keypad_cursor_flag} #{mouse_any_flag}'; }

wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

wait_exit() {
    i=0
    while [ $i -lt 100 ] && [ ! -s "$tmp/exit" ]; do sleep 0.05; i=$((i + 1)); done
    cat "$tmp/exit" 2>/dev/null
}

# Waits up to 2 s for a process to be gone.
gone() {
    i=0
    while [ $i -lt 40 ] && kill -0 "$1" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    ! kill -0 "$1" 2>/dev/null
}

start() {
    rm -f "$tmp/exit" "$tmp/stty" "$tmp/pid"
    tmux -L "$sock" kill-server 2>/dev/null
    runs=$((runs + 1))
    sock="$base-$runs"
    tmux -L "$sock" new-session -d -s d -x "${cols:-100}" -y "${rows:-30}" \
        "sh -c 'echo \$\$ > $tmp/pid; TMPDIR=$tmp/live exec $prog $*'; s=\$?; stty -a > $tmp/stty; echo \$s > $tmp/exit; sleep 60"
    i=0
    while [ $i -lt 100 ] && [ ! -s "$tmp/pid" ]; do sleep 0.05; i=$((i + 1)); done
}

sane() { grep -qw icanon "$tmp/stty" && grep -qw echo "$tmp/stty" && [ "$(modes)" = "0 1 0 0 0" ]; }

mkdir -p "$tmp/live"
echo "1..12"

for sig in QUIT SEGV ABRT; do
    start replay "$trace"
    wait_for "arenascope" >/dev/null
    kill -s "$sig" "$(cat "$tmp/pid")"
    status=$(wait_exit)
    check "SIG$sig ends the viewer by that signal" '[ "$status" -gt 128 ] || { echo "# status $status"; false; }'
    check "and leaves the terminal as it found it (alternate, cursor, keypad, mouse: $(modes))" 'sane'
done

# A real program that prints what a terminal acts on: a window title (OSC), a clear screen and
# colours (CSI), a bell, a C1 control.  The viewer shows the text a terminal would show and passes
# none of it on: the pane's title stays, the frame stays.
cat > "$tmp/controls.py" <<'PY'
import sys
print("\x1b]0;PWNED\x07titled")
print("\x1b[2Jcleared \x1b[31mred\x1b[0m")
sys.stdout.write("bell\x07 and \x9b2J c1\n")
print("done printing")
PY
cols=120 rows=40 start live --run "$tmp/controls.py"
wait_for "done printing" >/dev/null
check "a program's control sequences do not reach the terminal (title: $(tmux -L "$sock" display -p -t d '#{pane_title}'))" \
    '! tmux -L "$sock" display -p -t d "#{pane_title}" | grep -q PWNED && screen | grep -q "arenascope"'
check "the Output pane shows the text a terminal would" \
    'screen | grep -q "titled" && screen | grep -q "cleared red" && screen | grep -q "bell and 2J c1" && ! screen | grep -q "PWNEDtitled"'
tmux -L "$sock" send-keys -t d q

# A built-in workload that never stops: the viewer is killed outright.
start live --run churn:1000000000
wait_for "LIVE running" >/dev/null
viewer=$(cat "$tmp/pid")
child=$(pgrep -P "$viewer" | head -1)
check "a live workload runs in a child of the viewer" '[ -n "$child" ]'
kill -KILL "$viewer"
check "SIGKILL of the viewer ends its workload" 'gone "${child:-0}"'

# A real Python program that never stops.
cat > "$tmp/forever.py" <<'PY'
rows = []
while True:
    rows.append([0] * 8)
    if len(rows) > 1000:
        rows.clear()
PY
start live --run "$tmp/forever.py"
wait_for "LIVE running" >/dev/null
viewer=$(cat "$tmp/pid")
py=$(pgrep -f "python.*$tmp/forever.py" | head -1)
check "a live script runs in a real python process" '[ -n "$py" ]'
kill -KILL "$viewer"
check "SIGKILL of the viewer ends the program" 'gone "${py:-0}"'

[ $fails -eq 0 ]
