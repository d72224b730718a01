#!/bin/sh
# The side-by-side viewer in a real terminal: `diff --view` of the arena-lifecycle demo under
# cpython-3.8 and cpython-3.10 runs inside a detached tmux session; it must open with both sides
# named, step both with ], mark what differs, and quit with q, exit status 0 and the terminal's
# modes restored.  Then `live --compare` of the same demo under the two profiles, and of one
# script under two interpreters (pyenv's python3.8 and its newest of 3.13, 3.12, 3.11, named as a
# user names them): both sides named with the versions the interpreters give, ] stepping both to
# the same line, the one-line errors for names that are no interpreter it can run.  Prints TAP.
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

# --stack-depth alone records both sides' C stacks, that deep, as record and live do
start live --compare cpython-3.8,cpython-3.10 --stack-depth 2 churn:200
wait_for "^ A .*cpython-3\.8, gc .* B .*cpython-3\.10, gc " >/dev/null
for side in A B; do
    depths=$("$prog" dump "$tmp"/arenascope-compare-*/$side.trace 2>&1 |
        sed -n 's/.* stack_def .*depth=\([0-9]*\).*/\1/p' | sort -n | uniq | tr '\n' ' ')
    check "live --compare --stack-depth 2: side $side keeps C stacks of 1 and 2 frames (depths: $depths)" \
        '[ "$depths" = "1 2 " ]'
done
keys q
check "and quits with status 0" '[ "$(wait_exit)" = 0 ]'

# ---- one script under two interpreters ---------------------------------------------------------

root=${PYENV_ROOT:-$HOME/.pyenv}/versions
newest() { ls -d "$root"/"$1".*/bin/python"$1" 2>/dev/null | sort -V | tail -1; }
old=$(newest 3.8)
new=""
for v in 3.13 3.12 3.11; do [ -z "$new" ] && new=$(newest $v); done
if [ -z "$old" ] || [ -z "$new" ]; then
    n=$((n + 1)); echo "ok $n # SKIP no pyenv python3.8 and python3.11 or later under $root"
    echo "1..$n"
    exit 0
fi
oldname=$(basename "$old")
newname=$(basename "$new")
oldv=$("$old" -c 'import platform; print(platform.python_version())')
newv=$("$new" -c 'import platform; print(platform.python_version())')
cat > "$tmp/t.py" <<'EOF'
import sys
data = [
    'a' * 20,
    'b' * 30,
]
with open(sys.argv[0]) as f:
    head = f.readline()
if len(data) > 1 and \
        len(head) > 0:
    size = sys.getsizeof(data)
print(size)
EOF

start live --compare "$oldname,$newname" t.py
check "live --compare $oldname,$newname names each side by its interpreter and version" \
    "wait_for '^ A  $oldname  Python $oldv: .* B  $newname  Python $newv: '"
check "both open where the script's own code begins" 'wait_for "t\.py begins.*│.*t\.py begins"'
# The lines each interpreter runs, as its own tracing says, and the longest run of them both
# share in order (a textbook table, in Python): what ] must show, press by press, on both sides.
cat > "$tmp/tracer.py" <<'EOF'
import sys
path = sys.argv[1]
seen = []
def tr(frame, ev, arg):
    if frame.f_code.co_filename != path:
        return None
    if ev == 'line':
        seen.append(frame.f_lineno)
    return tr
sys.argv = [path]
out, sys.stdout = sys.stdout, open('/dev/null', 'w')
sys.settrace(tr)
exec(compile(open(path).read(), path, 'exec'), {'__name__': '__main__'})
sys.settrace(None)
out.write(' '.join(map(str, seen)))
EOF
a_lines=$(cd "$tmp" && "$old" tracer.py "$tmp/t.py")
b_lines=$(cd "$tmp" && "$new" tracer.py "$tmp/t.py")
common=$(python3 -c '
import sys
a, b = [s.split() for s in sys.argv[1:3]]
t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
for i in range(len(a) - 1, -1, -1):
    for j in range(len(b) - 1, -1, -1):
        t[i][j] = t[i + 1][j + 1] + 1 if a[i] == b[j] else max(t[i + 1][j], t[i][j + 1])
i = j = 0
out = []
while i < len(a) and j < len(b):
    if a[i] == b[j]:
        out.append(a[i]); i += 1; j += 1
    elif t[i + 1][j] >= t[i][j + 1]:
        i += 1
    else:
        j += 1
print(" ".join(out))' "$a_lines" "$b_lines")
check "the two interpreters trace the script's lines differently ($a_lines | $b_lines)" '[ "$a_lines" != "$b_lines" ]'
k=0
for line in $common; do
    k=$((k + 1))
    keys ]
    check "] number $k: both sides ran line $line" "wait_for 'line $line of t\\.py ran.*│.*line $line of t\\.py ran'"
done
keys q
check "q quits with status 0" '[ "$(wait_exit)" = 0 ]'
check "and the temporary traces are gone" '! ls "$tmp" | grep -q arenascope-compare'

# one line on standard error, status 2: what is wrong and with which name
one_line_error() {
    "$prog" live --compare "$1" "$tmp/t.py" > "$tmp/out" 2> "$tmp/err"
    s=$?
    [ $s -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -qF -- "$2" "$tmp/err"
}
check "a name found nowhere is one line naming it" \
    "one_line_error python3.0,$newname 'python3.0: not found on PATH nor among pyenv'"
old7=$(newest 3.7)
if [ -n "$old7" ]; then
    v7=$("$old7" -c 'import platform; print(platform.python_version())')
    check "a version the capture does not run is one line with its version" \
        "one_line_error python3.7,$newname 'python3.7: Python $v7: the capture supports Python 3.8 to 3.13'"
else
    n=$((n + 1)); echo "ok $n # SKIP no pyenv python3.7"
fi
check "an interpreter beside a profile is one line" \
    "one_line_error $oldname,cpython-3.10 \"'$oldname' is an interpreter and 'cpython-3.10' a profile\""
check "a path that is no executable is one line" \
    "one_line_error $tmp/none/python,$newname '$tmp/none/python: no such executable file'"
"$prog" live --compare "$oldname,$newname" demo:refcount 2> "$tmp/err"
st=$?
check "two interpreters with a workload instead of a script is one line, status 2" \
    '[ $st -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "a Python script to run under both" "$tmp/err"'
echo "1..$n"
