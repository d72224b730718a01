#!/bin/sh
# The dependency rules of docs/design.md and docs/style.md that the compiler cannot see:
#  - exactly one file includes <curses.h> (or ncurses), and it is under ui/;
#  - nothing under allocator/ includes a tracer/ or ui/ header;
#  - tracer/ uses only allocator/'s value headers (event.h, stats.h, gc_profile.h, errmsg.h) and its
#    hash map (map.h), but for tracer/capture/, which runs real programs on the allocator (it may
#    use the allocator, never the object runtime nor the ui);
#  - ui/ sees the allocator only through tracer/ (the event and value headers and the map at most);
#  - no #ifdef/#ifndef/#if defined in .c files (optional features are headers).
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
fail=0
complain() { echo "layering: $*"; fail=1; }

curses=$(grep -rlE '#[[:space:]]*include[[:space:]]*<n?curses(w/)?(curses)?\.h>' \
         allocator tracer ui src 2>/dev/null | sort)
n=$(printf '%s\n' "$curses" | grep -c . || true)
[ "$n" -le 1 ] || complain "more than one file includes curses: $(echo $curses)"
for f in $curses; do
    case "$f" in ui/*) ;; *) complain "$f includes curses outside ui/" ;; esac
done

for f in $(find allocator -name '*.[ch]'); do
    grep -nE '#[[:space:]]*include[[:space:]]*[<"](tracer|ui)/' "$f" &&
        complain "$f (allocator/) includes a tracer/ or ui/ header"
done
for f in $(find tracer -name '*.[ch]' -not -path 'tracer/capture/*'); do
    grep -nE '#[[:space:]]*include[[:space:]]*[<"]allocator/' "$f" |
        grep -vE 'allocator/(event|stats|gc_profile|errmsg|map)\.h' &&
        complain "$f (tracer/) includes an allocator/ header other than the value headers and the map"
    grep -nE '#[[:space:]]*include[[:space:]]*[<"]ui/' "$f" && complain "$f (tracer/) includes a ui/ header"
done
for f in $(find tracer/capture -name '*.[ch]' 2>/dev/null); do
    grep -nE '#[[:space:]]*include[[:space:]]*[<"]allocator/(runtime|gc)\.h' "$f" &&
        complain "$f (tracer/capture/) includes the object runtime: a real program has its own"
done
for f in $(find ui -name '*.[ch]'); do
    grep -nE '#[[:space:]]*include[[:space:]]*[<"]allocator/' "$f" |
        grep -vE 'allocator/(event|stats|gc_profile|errmsg|map)\.h' &&
        complain "$f (ui/) includes an allocator/ header other than the value headers and the map"
done
for f in $(find allocator tracer ui src tests -name '*.c'); do
    grep -nE '^[[:space:]]*#[[:space:]]*(ifdef|ifndef|if[[:space:]]+!?[[:space:]]*defined)' "$f" &&
        complain "$f: #ifdef in a .c file (make the feature a header with a stub)"
done
[ "$fail" -eq 0 ] && echo "layering: ok"
exit "$fail"
