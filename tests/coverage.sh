#!/bin/bash
# Line and branch coverage of lib/ by the test suite, per module (gcovr).
#   tests/coverage.sh [BUILD_DIR]        (default: build-coverage, created beside build/)
# Builds with -Db_coverage=true (debug, no optimisation: branches map to the source) in its own
# build directory, runs the whole `meson test` suite, and prints per-module line and branch
# coverage of lib/<module>/ plus the total; writes BUILD_DIR/coverage.json (gcovr summary) and
# BUILD_DIR/coverage.html.  Needs gcovr (Debian: apt-get install gcovr).  Not part of CI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-coverage}
command -v gcovr >/dev/null || { echo "coverage: gcovr not found (apt-get install gcovr)" >&2; exit 1; }
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" -Db_coverage=true -Dbuildtype=debug -Dbenchmarks=false >/dev/null 2>&1
fi
build=$(cd "$build" && pwd)   # gcovr runs from inside it: a relative path would no longer resolve
ninja -C "$build" -j"${JOBS:-2}" >/dev/null
find "$build" -name '*.gcda' -delete
meson test -C "$build" --num-processes "${JOBS:-2}" --timeout-multiplier 3 >/dev/null ||
  echo "coverage: some tests failed (coverage below is still of what ran): $build/meson-logs/testlog.txt" >&2
# --exclude-unreachable-branches drops branches gcc generates for code that has none in the source
# (e.g. on a line with only a closing brace); shared-library and test objects alike are included,
# the filter keeps lib/ only.
(cd "$build" && gcovr -r "$root" --object-directory "$build" --filter "$root/lib/" --exclude-unreachable-branches \
   --json-summary-pretty -o coverage.json --html-details coverage.html >/dev/null)
/usr/bin/python3 - "$build/coverage.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
mods = collections.OrderedDict()
for f in sorted(d["files"], key=lambda f: f["filename"]):
    parts = f["filename"].split("/")
    mod = parts[1] if parts[0] == "lib" and len(parts) > 2 else "(lib)"
    m = mods.setdefault(mod, [0, 0, 0, 0])
    m[0] += f["line_covered"]; m[1] += f["line_total"]; m[2] += f["branch_covered"]; m[3] += f["branch_total"]
pct = lambda a, b: 100.0 * a / b if b else 100.0
print("%-12s %8s %8s %10s %10s" % ("module", "lines", "line %", "branches", "branch %"))
T = [0, 0, 0, 0]
for mod, m in mods.items():
    print("%-12s %8d %7.1f%% %10d %9.1f%%" % (mod, m[1], pct(m[0], m[1]), m[3], pct(m[2], m[3])))
    T = [a + b for a, b in zip(T, m)]
print("%-12s %8d %7.1f%% %10d %9.1f%%" % ("total", T[1], pct(T[0], T[1]), T[3], pct(T[2], T[3])))
PY
