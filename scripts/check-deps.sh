#!/usr/bin/env bash
# Enforces the module edges of design.md ("Modules and what each may use"): placement/, store/ and
# api/clock include nothing of Gantry's but themselves, placement/ nothing outside the standard
# library, controllers/ only the client, schema, status, clock, protos and placement, and heavy
# headers (Asio/Beast, cpprest, grpcpp, sqlite3, prometheus-cpp) stay in their one folder or file.
# Fails listing every offending include.
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
# Angle-bracket includes in placement/ must be standard headers or RE2 (linear-time regexes, in
# .cc files only), no other third-party library.
while IFS= read -r line; do
  echo "check-deps: $line  (placement may use the standard library and RE2 only)" >&2
  status=1
done < <(grep -rnE '^\s*#\s*include\s*<[^>]*[/.][^>]*>' placement --include='*.h' --include='*.cc' \
           | grep -vE '_test\.cc|_fuzzer\.cc|testing/' \
           | grep -vE '^[^:]*\.cc:[0-9]+:\s*#\s*include\s*<re2/re2\.h>' || true)
check store 'store/' 'store may only include itself'
check api/clock 'api/clock/' 'api/clock may only include itself'
# Controllers see the cluster through the client interface and decide with placement, so they can
# run in gantryd or in a process of their own.
check controllers 'controllers/|api/clock/|api/client/|api/codec/|api/schema/|api/status/|api/uid/|gantry/v1/|placement/|api/service/local_client\.h|store/memory/|tests/testlib/(eventually|testlib|git_repo|test_pki)\.h' \
  'controllers may use api/clock, api/client, api/codec, api/schema, api/status, api/uid, the protos and placement'
# Their tests may also build the in-process client on a memory store (the fake), wait with
# testlib's bounded Eventually, run commands in temporary directories (git, openssl), and only
# tests.
while IFS= read -r line; do
  echo "check-deps: $line  (only controller tests may use api/service/local_client.h, store/memory and tests/testlib)" >&2
  status=1
done < <(grep -rnE '^\s*#\s*include\s*"(api/service/local_client\.h|store/memory/|tests/testlib/(eventually|testlib|git_repo|test_pki)\.h)' controllers \
           --include='*.h' --include='*.cc' 2>/dev/null | grep -vE '^[^:]*_test\.cc:' || true)

# Transports carry requests to the services and answers back; deciding placement is the
# services' (the launcher's), so no transport names placement.
while IFS= read -r line; do
  echo "check-deps: $line  (transports (api/rest, api/grpc, api/ecs, api/client) do not use placement)" >&2
  status=1
done < <(grep -rnE '#\s*include\s*"placement/|placement::' api/rest api/grpc api/ecs api/client \
           --include='*.h' --include='*.cc' 2>/dev/null || true)

# Heavy headers live in one place each, so the build stays fast and a library can be swapped.
confine() {  # confine PATTERN ALLOWED_PATH_REGEX WHAT
  local pattern=$1 allowed=$2 what=$3
  while IFS= read -r line; do
    echo "check-deps: $line  ($what)" >&2
    status=1
  done < <(grep -rnE "^\s*#\s*include\s*<$pattern" --include='*.h' --include='*.cc' \
             agent api cli cmd controllers placement store tests bench 2>/dev/null | grep -vE "^($allowed)" || true)
}
confine 'boost/(asio|beast)' 'api/rest/rest_server\.cc' 'Asio/Beast only in api/rest/rest_server.cc'
confine 'cpprest/|pplx/' 'tests/security/tls_test\.cc' 'cpprest only as the independent client of tests/security/tls_test.cc'
confine 'grpcpp/' 'api/grpc/grpc_server\.cc|api/grpc/grpc_client\.cc|api/grpc/channel\.cc|api/grpc/agent_client\.cc|api/grpc/grpc_server_test\.cc|tests/(integration|security)/' \
  'grpcpp only in api/grpc (and tests)'
confine 'sqlite3\.h' 'store/sqlite/' 'sqlite3.h only in store/sqlite'
confine 'nlohmann/' 'api/ecs/[a-z_0-9]+\.cc|api/ecs/ecs_(input|reply)\.h|api/blox/[a-z_0-9]+\.cc|cli/fleet/|tests/' \
  'nlohmann/json only in api/ecs and api/blox .cc files, the ECS handler internal request and answer headers, the ECS verbs of gantryctl, and tests'
# The ECS handler's internal headers (they carry nlohmann/json) stay inside api/ecs.
while IFS= read -r line; do
  echo "check-deps: $line  (api/ecs/ecs_{input,reply,operations}.h are api/ecs's own)" >&2
  status=1
done < <(grep -rnE '^\s*#\s*include\s*"api/ecs/ecs_(input|reply|operations)\.h"' \
           api cli cmd controllers placement store tests bench --include='*.h' --include='*.cc' \
           2>/dev/null | grep -vE '^api/ecs/' || true)
confine 'prometheus/' 'cmd/gantryd/gantryd_metrics\.cc' 'prometheus-cpp only in gantryd_metrics.cc'

if [ $status -eq 0 ]; then echo "check-deps: module edges OK"; fi
exit $status
