#!/bin/sh
# `meson install` into a staging directory, then the installed tree used as a user would: the
# program runs and records a real Python program with the preload library it finds beside itself
# (not the build tree's), the manual page renders without a warning and names every command, the
# bash completion completes every command, the zsh one parses and names them, and the demos'
# sources are those `demo --source` prints.  Prints TAP.
#
# usage: install.sh BUILD_DIR
set -u
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..9"
if ! meson install -C "$build" --destdir "$dest" --no-rebuild >"$dest/install.log" 2>&1; then
    sed 's/^/# /' "$dest/install.log"
    not_ok "meson install"
    exit 1
fi
ok "meson install puts the files in place"
prog=$(find "$dest" -path '*/bin/arenascope' -type f | head -1)
man=$(find "$dest" -path '*/man1/arenascope.1' -type f | head -1)
bash_c=$(find "$dest" -path '*/bash-completion/completions/arenascope' -type f | head -1)
zsh_c=$(find "$dest" -path '*/zsh/site-functions/_arenascope' -type f | head -1)
demos=$(find "$dest" -path '*/share/arenascope/demos' -type d | head -1)
check "the program, its manual, both completions and the demos' sources are installed" \
    '[ -x "$prog" ] && [ -s "$man" ] && [ -s "$bash_c" ] && [ -s "$zsh_c" ] && [ -d "$demos" ]'
[ -x "$prog" ] || exit 1
commands=$("$prog" --help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 && $1 != "commands:" {print $1}')

# the installed program finds the installed preload library, with nothing pointing at it
cat >"$dest/slide.py" <<'PY'
rows = [[i] * 4 for i in range(50)]
print(len(rows))
PY
out=$(cd "$dest" && env -u ARENASCOPE_CAPTURE_LIBRARY "$prog" record -o "$dest/t.trace" -- python3 "$dest/slide.py" 2>&1)
check "the installed program records a Python program ($out)" '[ -s "$dest/t.trace" ] && "$prog" check -q "$dest/t.trace"'

warnings=$(LC_ALL=C groff -man -Tutf8 -ww -z "$man" 2>&1)
check "the manual page renders without a warning${warnings:+: $warnings}" '[ -z "$warnings" ]'
page=$(MANWIDTH=100 man -l "$man" 2>/dev/null)
missing=""
for c in $commands; do
    echo "$page" | grep -q "^   $c\$" || missing="$missing $c"
done
check "the manual has a section for every command${missing:+ (missing:$missing)}" '[ -n "$commands" ] && [ -z "$missing" ]'

got=$(bash -c ". '$bash_c'; COMP_WORDS=(arenascope ''); COMP_CWORD=1; _arenascope; printf '%s\n' \"\${COMPREPLY[@]}\"" | sort)
want=$(printf '%s\n' $commands --help --version --man --completion | sort)
check "bash completes every command" '[ "$got" = "$want" ]'
got=$(bash -c ". '$bash_c'; COMP_WORDS=(arenascope record --pro); COMP_CWORD=2; _arenascope; echo \"\${COMPREPLY[@]}\"")
check "and a command's options ($got)" '[ "$got" = "--profile" ]'

if command -v zsh >/dev/null; then
    missing=""
    for c in $commands; do grep -q "^        '$c:" "$zsh_c" || missing="$missing $c"; done
    check "the zsh completion parses and names every command${missing:+ (missing:$missing)}" \
        'zsh -n "$zsh_c" && [ -z "$missing" ]'
else
    not_ok "zsh is not installed (.ci/setup installs it)"
fi

differ=""
for f in "$demos"/demo_*.py; do
    name=$(basename "$f" .py | sed 's/^demo_//; s/_/-/g')
    "$prog" demo --source "$name" | cmp -s - "$f" || differ="$differ $name"
done
check "each installed demo source is what demo --source prints${differ:+ (differ:$differ)}" '[ -z "$differ" ]'
[ $fails -eq 0 ]
