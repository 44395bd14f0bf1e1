// libFuzzer target: the ECS JSON protocol reader. Each input is up to kMaxCalls lines of
// `Operation {json body}` (the X-Amz-Target operation and the POST body the AWS CLI sends), run
// in order through EcsHandler::Handle over the real services, a memory store and a fake clock,
// starting from the fleet the handler tests use (cluster `demo` with the talk's nine instances,
// task definition `myapp`). Must never crash, hang or leak, and every answer is AWS's shape:
// a JSON object; 200 without `__type`, otherwise a 4xx with string `__type` and `message`.
// A 5xx (ServerException: a library exception or an internal error) is a bug too: input alone
// must never cause one.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/ecs/ecs_handler.h"
#include "api/fleet/ecs_names.h"
#include "api/fleet/fleet_view.h"
#include "api/fleet/instance_service.h"
#include "api/fleet/task_service.h"
#include "api/service/clock.h"
#include "api/service/local_client.h"
#include "api/service/object_service.h"
#include "controllers/runtime/informer_factory.h"
#include "store/memory/memory_store.h"

namespace {

namespace v1 = gantry::v1;
constexpr size_t kMaxCalls = 8;

// The services of api/fleet/testing/fleet_harness.h, fresh for every input so a finding
// reproduces from its input alone.
struct Fleet {
  gantry::store::MemoryStore store;
  gantry::api::FakeClock clock;
  gantry::api::ObjectService objects{store, clock};
  gantry::api::LocalClient client{objects};
  gantry::controllers::runtime::InformerFactory informers{client, clock};
  gantry::fleet::FleetView fleet{informers};
  gantry::fleet::EcsNames names;
  gantry::fleet::TaskService tasks{objects, fleet, clock, names, 42};
  gantry::fleet::InstanceService instances{objects, fleet, tasks, clock};
  gantry::ecs::EcsHandler handler{objects, tasks, instances, fleet, names};

  Fleet() {
    handler.service_observe_wait = std::chrono::milliseconds(0);  // no controller runs here
    informers.Start();
    if (!informers.WaitForCacheSync(std::chrono::seconds(10))) __builtin_trap();
    v1::TaskDefinition td;
    td.set_api_version("gantry.dev/v1");
    td.set_kind("TaskDefinition");
    td.mutable_metadata()->set_name("myapp");
    auto* c = td.mutable_spec()->add_containers();
    c->set_name("app");
    c->add_command("/bin/true");
    c->set_cpu(256);
    c->set_memory(512);
    if (!objects.Apply(td).ok()) __builtin_trap();
    const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    const char* types[] = {"t2.small", "t2.medium", "g2.2xlarge"};
    std::vector<v1::InstanceRegistration> regs;
    for (int z = 0; z < 3; ++z) {
      for (int t = 0; t < 3; ++t) {
        v1::InstanceRegistration r;
        r.set_container_instance("i-" + std::to_string(z) + std::to_string(t));
        r.set_cluster("demo");
        r.set_ec2_instance_id("i-0abc" + std::to_string(z) + std::to_string(t));
        auto* a = r.add_attributes();
        a->set_name("ecs.availability-zone");
        a->set_value(zones[z]);
        a = r.add_attributes();
        a->set_name("ecs.instance-type");
        a->set_value(types[t]);
        r.mutable_registered_resources()->set_cpu(2048);
        r.mutable_registered_resources()->set_memory(4096);
        r.mutable_registered_resources()->add_ports(22);
        r.mutable_version_info()->set_agent_version("1.0.0");
        regs.push_back(r);
      }
    }
    if (!instances.Register(regs).ok()) __builtin_trap();
  }
  ~Fleet() { informers.Stop(); }  // the informers call into the services
};

void CheckAnswer(const gantry::ecs::EcsResponse& r) {
  if (r.content_type != gantry::ecs::kEcsContentType) __builtin_trap();
  auto body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) __builtin_trap();
  if (r.status == 200) {
    if (body.contains("__type")) __builtin_trap();
    return;
  }
  if (r.status < 400 || r.status >= 500) __builtin_trap();
  auto type = body.find("__type");
  auto message = body.find("message");
  if (type == body.end() || !type->is_string() || type->get<std::string>().empty())
    __builtin_trap();
  if (message == body.end() || !message->is_string()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Fleet fleet;
  for (size_t call = 0; call < kMaxCalls && !input.empty(); ++call) {
    size_t eol = input.find('\n');
    std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    size_t space = line.find(' ');
    std::string_view operation = line.substr(0, space);
    std::string_view body = space == std::string_view::npos ? "" : line.substr(space + 1);
    CheckAnswer(fleet.handler.Handle(operation, body));
    fleet.clock.Advance(std::chrono::seconds(1));
  }
  return 0;
}
