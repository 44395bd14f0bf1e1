#include "cli/services/service_plans.h"

#include <google/protobuf/util/json_util.h>

#include <map>
#include <tuple>

#include "api/codec/object_codec.h"
#include "api/schema/kinds.h"
#include "cli/objects/printers.h"

namespace gantry::cli {

api::StatusOr<v1::ServicePlanPreview> RequestServicePlan(const client::GantryClient& client,
                                                         const google::protobuf::Message& service) {
  const std::string& name = schema::MetaOf(service).name();
  auto result = client.http().Request("POST", "/apis/gantry.dev/v1/services/" + name + "/plan",
                                      codec::ToJson(service));
  if (!result.ok()) return result.status();
  if (result->status != 200) return client::StatusFromResponse(*result);
  v1::ServicePlanPreview plan;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer server may say more
  if (auto st = google::protobuf::util::JsonStringToMessage(result->body, &plan, options);
      !st.ok()) {
    return api::Status(api::Code::kInternal,
                       "the server's plan is not readable: " + std::string(st.message()));
  }
  return plan;
}

void PrintServicePlan(const v1::ServicePlanPreview& plan, std::ostream& out) {
  out << "service/" << plan.service() << ": " << (plan.new_deployment() ? "new " : "")
      << "deployment " << plan.deployment() << " of " << plan.task_definition() << "; desired "
      << plan.desired_count() << ", running " << plan.running_count() << ", pending "
      << plan.pending_count() << "; " << plan.state() << "\n";
  // Tasks by action, zone and instance, in that order.
  std::map<std::tuple<std::string, std::string, std::string>, int> counts;
  for (const auto& t : plan.start())
    counts[{"start", t.availability_zone(), t.container_instance()}] += 1;
  for (const auto& t : plan.stop())
    counts[{"stop", t.availability_zone(), t.container_instance()}] += 1;
  if (!counts.empty()) {
    std::vector<std::vector<std::string>> rows{{"  ACTION", "ZONE", "INSTANCE", "TASKS"}};
    for (const auto& [key, n] : counts) {
      const auto& [action, zone, instance] = key;
      rows.push_back({"  " + action, zone.empty() ? "-" : zone, instance, std::to_string(n)});
    }
    PrintRows(rows, out);
  } else {
    out << "  nothing to start or stop\n";
  }
  if (plan.unplaced() > 0) {
    out << "  " << plan.unplaced() << (plan.unplaced() == 1 ? " task" : " tasks")
        << " would not place:";
    for (const auto& f : plan.failures()) {
      out << " " << f.reason();
      if (!f.detail().empty()) out << " (" << f.detail() << ")";
      break;  // one per task, all alike: the first says why
    }
    out << "\n";
  }
  if (!plan.message().empty()) out << "  " << plan.message() << "\n";
}

}  // namespace gantry::cli
