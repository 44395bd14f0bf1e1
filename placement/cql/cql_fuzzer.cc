// libFuzzer target: parse arbitrary text as a CQL expression and, when it parses, evaluate it on
// a small fixed cluster, both in bulk and per instance. Must never crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "placement/cql/evaluator.h"
#include "placement/cql/expression.h"
#include "placement/snapshot.h"

namespace {

const gantry::placement::ClusterSnapshot& Cluster() {
  using gantry::placement::InstanceSpec;
  static const auto* snapshot = [] {
    std::vector<InstanceSpec> in(4);
    const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c", ""};
    for (int i = 0; i < 4; ++i) {
      in[i].id = "i-" + std::to_string(i);
      in[i].attributes = {{"ecs.availability-zone", zones[i]},
                          {"stack", i % 2 ? "prod" : "dev"},
                          {"cores", std::to_string(i * 4)}};
      if (i != 2) in[i].agent_version = "1.1" + std::to_string(i) + ".0";
      if (i != 3) in[i].registered_at_ms = 1515542400000 + i * 86400000LL;
      in[i].agent_connected = i != 1;
      if (i < 2) in[i].tasks.push_back({"family:web", 0, 0, {}});
    }
    return new gantry::placement::ClusterSnapshot(
        std::move(gantry::placement::ClusterSnapshot::Build(in)).value());
  }();
  return *snapshot;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = gantry::placement::cql::Expression::Parse(text);
  if (!expr.ok()) return 0;
  gantry::placement::cql::BoundExpression bound(*expr, Cluster(), "family:web");
  for (uint32_t i = 0; i < Cluster().size(); ++i) {
    bool now = bound.result().Test(i);
    bool with_task = bound.EvaluateAt(i, 1);
    if (!expr->is_dynamic() && now != with_task) __builtin_trap();
  }
  return 0;
}
