// libFuzzer target: arbitrary bytes as a `gantryctl simulate` input file, through reading,
// snapshot building, request compilation, filtering and placement. Must never crash or hang;
// bad input must come back as an error.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/simulate/input.h"
#include "placement/placement.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  gantry::cli::InputError error;
  auto input = gantry::cli::ParseSimulateInput(text, error);
  if (!input) return 0;
  auto snapshot = gantry::placement::ClusterSnapshot::Build(input->instances);
  if (!snapshot.ok()) return 0;
  if (input->filter) (void)gantry::placement::Filter(*snapshot, *input->filter);
  if (input->request) {
    input->request->count = std::min<int64_t>(input->request->count, 1000);  // bound the work
    auto decision = gantry::placement::Place(*snapshot, *input->request);
    auto rescan = gantry::placement::Place(*snapshot, *input->request, {.rescan_per_task = true});
    if (decision.ok() != rescan.ok()) __builtin_trap();
    if (decision.ok() && decision->placements != rescan->placements) __builtin_trap();
  }
  return 0;
}
