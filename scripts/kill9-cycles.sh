#!/usr/bin/env bash
# Many kill -9 cycles under concurrent write load (make test runs 3 in the integration tests):
#   scripts/kill9-cycles.sh [CYCLES] [BUILD_DIR]
# Each cycle: 8 clients update their own services through REST, remembering the last
# acknowledged value; gantryd is killed with SIGKILL at a random moment; the database must pass
# PRAGMA integrity_check; after a restart every service holds its acknowledged value or the one
# that was in flight. Stops at the first violation.
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${1:-100}
BUILD_DIR=${2:-build}
exec "$BUILD_DIR/tests/gantryd_integration_test" --gtest_filter='GantrydTest.KillDashNineLosesNoAcknowledgedWrite' \
  --gtest_repeat="$CYCLES" --gtest_break_on_failure
