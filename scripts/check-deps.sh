#!/usr/bin/env bash
# Enforces the module edges of docs (design.md "Modules and what each may use"): placement/ and
# store/ include nothing of Gantry's but themselves, and placement/ nothing outside the standard
# library. Fails listing every offending include.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
check() {  # check DIR ALLOWED_REGEX DESCRIPTION
  local dir=$1 allowed=$2 what=$3
  [ -d "$dir" ] || return 0
  while IFS= read -r line; do
    echo "check-deps: $line  ($what)" >&2
    status=1
  done < <(grep -rnE '^\s*#\s*include\s*"' "$dir" --include='*.h' --include='*.cc' \
             | grep -vE "#\s*include\s*\"($allowed)" || true)
}

# Quoted includes in placement/ must be placement's own headers.
check placement 'placement/' 'placement may only include itself and the standard library'
# Angle-bracket includes in placement/ must be standard headers (no third-party libraries).
while IFS= read -r line; do
  echo "check-deps: $line  (placement may use the standard library only)" >&2
  status=1
done < <(grep -rnE '^\s*#\s*include\s*<[^>]*[/.][^>]*>' placement --include='*.h' --include='*.cc' \
           | grep -vE '_test\.cc|_fuzzer\.cc|testing/' || true)
check store 'store/' 'store may only include itself'

if [ $status -eq 0 ]; then echo "check-deps: module edges OK"; fi
exit $status
