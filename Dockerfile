# syntax=docker/dockerfile:1
# Gantry's image: gantryd, gantry-agent and gantryctl on Debian 12, as the Helm chart in
# charts/gantry runs them (gantryd as uid 10001; the agent as root, running tasks as nobody).
#
#   docker build -t gantry:0.1.0 .
#
# The build stage installs the Debian packages scripts/install-deps.sh lists for building the
# binaries (not those only the tests, benchmarks, fuzzers or formatting need) and builds the
# three binaries without tests or benchmarks. The runtime stage holds only the shared
# libraries the binaries link (checked with ldd on a RelWithDebInfo build).

FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libyaml-cpp-dev libsqlite3-dev nlohmann-json3-dev \
      libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc \
      libboost-system-dev libssl-dev prometheus-cpp-dev \
      libgoogle-perftools-dev libre2-dev libgit2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only the sources CMake reads (tests/ and bench/ are add_subdirectory'd even when their targets
# are off), so a developer's build*/ trees and .git are neither sent nor copied.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY placement/ placement/
COPY store/ store/
COPY api/ api/
COPY controllers/ controllers/
COPY agent/ agent/
COPY cli/ cli/
COPY cmd/ cmd/
COPY tests/ tests/
COPY bench/ bench/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DGANTRY_BUILD_TESTS=OFF -DGANTRY_BUILD_BENCHMARKS=OFF \
 && ninja -C build gantryd gantry-agent gantryctl \
 && strip --strip-debug build/bin/gantryd build/bin/gantry-agent build/bin/gantryctl

FROM debian:12-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries of the three binaries (ldd: gRPC, protobuf, abseil via gRPC, SQLite,
# OpenSSL, yaml-cpp, RE2, prometheus-cpp core, tcmalloc_minimal, libgit2 for Syncs). curl and
# ca-certificates: the chart's node-attributes init container reads the Node object with curl,
# and `gantry-agent --tls` and the Syncs' https fetches trust the system's CAs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libsqlite3-0 libssl3 libyaml-cpp0.7 libre2-9 \
      libprometheus-cpp-core1.0 libtcmalloc-minimal4 libgit2-1.5 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 gantry \
 && useradd --system --uid 10001 --gid gantry --home-dir /var/lib/gantry --no-create-home \
      --shell /usr/sbin/nologin gantry \
 && install -d -o gantry -g gantry -m 0700 /var/lib/gantry
COPY --from=build /src/build/bin/gantryd /src/build/bin/gantry-agent /src/build/bin/gantryctl \
     /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/gantry
EXPOSE 7700 7701
# The chart passes its own flags; these defaults serve loopback only (unauthenticated).
ENTRYPOINT ["/usr/local/bin/gantryd"]
CMD ["--data-dir", "/var/lib/gantry/data"]
