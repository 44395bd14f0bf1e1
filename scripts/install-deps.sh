#!/usr/bin/env bash
# Installs every Debian package Gantry's build, tests and benchmarks need. Idempotent: packages
# already present are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  clang libclang-rt-14-dev clang-format   # libFuzzer target, sanitizer runtimes, formatting
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev                       # JSON for the ECS-compatible endpoint (api/ecs)
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc       # protobuf-compiler-grpc: gRPCConfig.cmake needs its plugins
  libboost-system-dev                      # Boost.Asio/Beast: the REST/ECS HTTP(S) server (api/rest)
  libssl-dev                               # TLS for REST, ECS and gantryctl; token hashes
  libcpprest-dev                           # an independent HTTPS client in tests/security/tls_test
  prometheus-cpp-dev
  libgoogle-perftools-dev                  # tcmalloc for gantryd
  libre2-dev                               # linear-time regular expressions (placement)
  libgit2-dev git                          # the Sync controller fetches with libgit2; tests push with git
  openssh-server                           # tests fetch over ssh from a throwaway sshd on a loopback port
  openssl                                  # tests make their TLS certificates at run time
  python3                                  # benchmark input generator
  prometheus                               # promtool lints /metrics in the integration tests
  python3-yaml python3-jsonschema yamllint # the chart, dashboard and alert checks (make charts-check)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
