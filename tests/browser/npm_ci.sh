#!/bin/sh
# npm_ci.sh SRCDIR DIR STAMP: installs the packages SRCDIR/package-lock.json pins into DIR
# (DIR/node_modules) with `npm ci`, then touches STAMP.  Run by meson before the tests that
# open them.
set -eu
src=$1 dir=$2
stamp=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
mkdir -p "$dir"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
cd "$dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
touch "$stamp"
