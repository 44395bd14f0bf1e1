#pragma once

// The clock lives in api/clock (a module of its own, so controllers can use it without the service
// layer); these names keep existing code in gantry::api compiling unchanged.

#include "api/clock/clock.h"
#include "api/clock/fake_clock.h"
#include "api/clock/format_time.h"
#include "api/clock/system_clock.h"

namespace gantry::api {

using clock::Clock;
using clock::FakeClock;
using clock::FormatTime;
using clock::SystemClock;

}  // namespace gantry::api
