#include "placement/placement.h"

#include "placement/cql/evaluator.h"
#include "placement/internal/incremental_selector.h"
#include "placement/internal/request_context.h"
#include "placement/internal/scan_selector.h"

namespace gantry::placement {

Decision Place(const ClusterSnapshot& snapshot, const CompiledRequest& request,
               const PlaceOptions& options) {
  internal::RequestContext ctx(snapshot, request);
  Decision d;
  d.first_task = ctx.initial_counts();
  d.placements.reserve(static_cast<size_t>(request.count));

  auto fail_rest = [&](int64_t placed) {
    StageCounts counts = ctx.CurrentCounts();
    Stage reason = counts.ExhaustedBy().value_or(Stage::kAgent);
    d.failures.assign(static_cast<size_t>(request.count - placed), reason);
    d.at_exhaustion = counts;
  };

  if (request.count == 1) {
    if (auto chosen = internal::SelectByScan(ctx, ctx.candidates())) {
      d.placements.push_back(*chosen);
    } else {
      fail_rest(0);
    }
    return d;
  }
  if (options.rescan_per_task) {
    Bitset candidates = ctx.candidates();
    for (int64_t t = 0; t < request.count; ++t) {
      auto chosen = internal::SelectByScan(ctx, candidates);
      if (!chosen) {
        fail_rest(t);
        break;
      }
      d.placements.push_back(*chosen);
      ctx.Place(*chosen);
      candidates.Assign(*chosen, ctx.StillFeasible(*chosen));
    }
    return d;
  }

  internal::IncrementalSelector selector(ctx);
  for (int64_t t = 0; t < request.count; ++t) {
    auto chosen = selector.PlaceNext();
    if (!chosen) {
      fail_rest(t);
      break;
    }
    d.placements.push_back(*chosen);
  }
  return d;
}

Result<Decision> Place(const ClusterSnapshot& snapshot, const TaskRequest& request,
                       const PlaceOptions& options) {
  auto compiled = CompileRequest(request);
  if (!compiled.ok()) return compiled.error();
  return Place(snapshot, *compiled, options);
}

Result<Explanation> Explain(const ClusterSnapshot& snapshot, const TaskRequest& request) {
  auto compiled = CompileRequest(request);
  if (!compiled.ok()) return compiled.error();
  internal::RequestContext ctx(snapshot, *compiled);
  Explanation e;
  e.counts = ctx.initial_counts();
  for (const Strategy& s : compiled->strategies) e.score_names.push_back(s.name);
  e.score_names.push_back("tie-break");
  auto chosen = internal::SelectByScan(ctx, ctx.candidates());
  e.instances.reserve(snapshot.size());
  for (uint32_t i = 0; i < snapshot.size(); ++i) {
    InstanceExplanation ie;
    ie.instance = i;
    ie.rejected_by = ctx.InitialRejection(i);
    if (!ie.rejected_by) {
      for (size_t level = 0; level < compiled->strategies.size(); ++level) {
        ie.scores.push_back(ctx.Key(level, i));
      }
      ie.scores.push_back(ctx.TieBreak(i));
    }
    ie.chosen = chosen && *chosen == i;
    e.instances.push_back(std::move(ie));
  }
  return e;
}

Result<std::vector<uint32_t>> Filter(const ClusterSnapshot& snapshot, std::string_view expression) {
  auto parsed = cql::Expression::Parse(expression);
  if (!parsed.ok()) return parsed.error();
  cql::BoundExpression bound(*parsed, snapshot);
  std::vector<uint32_t> out;
  bound.result().ForEach([&](uint32_t i) { out.push_back(i); });
  return out;
}

}  // namespace gantry::placement
