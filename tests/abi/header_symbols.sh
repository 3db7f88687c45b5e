#!/bin/sh
# Lists the functions the public headers declare with LLMD_API (what the library must export).
#   header_symbols.sh INCLUDE_DIR
set -eu
cat "${1:?include dir}"/llmdata/*.h | tr '\n' ' ' | grep -oE 'LLMD_API[^;{]*\(' |
  sed -E 's/\($//; s/.*[ *]//' | grep -E '^llmd_' | sort -u
