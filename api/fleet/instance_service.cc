#include "api/fleet/instance_service.h"

#include <algorithm>
#include <set>

#include "api/fleet/ecs_names.h"
#include "api/fleet/observed_write.h"
#include "api/fleet/snapshot_input.h"
#include "api/validation/validate.h"
#include "placement/placement.h"

namespace gantry::fleet {
namespace {

using api::Code;
using api::Status;
using api::StatusOr;

const schema::KindInfo& ClusterKind() { return *schema::FindKind("Cluster"); }

const std::set<std::string>& KnownStatuses() {
  static const std::set<std::string> k = {"ACTIVE",        "DRAINING", "REGISTERING",
                                          "DEREGISTERING", "INACTIVE", "REGISTRATION_FAILED"};
  return k;
}

void SetAttribute(v1::ContainerInstanceSpec& spec, const std::string& name,
                  const std::string& value) {
  for (auto& a : *spec.mutable_attributes()) {
    if (a.name() == name) {
      a.set_value(value);
      return;
    }
  }
  auto* a = spec.add_attributes();
  a->set_name(name);
  a->set_value(value);
}

}  // namespace

bool OwnedBy(const v1::ContainerInstance& instance, const std::string& agent_user) {
  if (agent_user.empty()) return true;
  auto it = instance.metadata().labels().find(kAgentLabel);
  return it != instance.metadata().labels().end() && it->second == agent_user;
}

InstanceService::InstanceService(api::ObjectService& objects, const FleetView& fleet,
                                 TaskService& tasks, const api::Clock& clock)
    : objects_(objects),
      fleet_(fleet),
      tasks_(tasks),
      clock_(clock),
      started_(clock.Now()),
      skips_(objects, clock) {}

Status InstanceService::EnsureCluster(const std::string& cluster) {
  if (objects_.Get(ClusterKind(), cluster).ok()) return {};
  v1::Cluster c;
  c.set_api_version("gantry.dev/v1");
  c.set_kind("Cluster");
  c.mutable_metadata()->set_name(cluster);
  c.mutable_status()->set_status("ACTIVE");
  auto created = objects_.Create(c, {.keep_status = true});
  if (!created.ok() && created.status().code() != Code::kAlreadyExists) return created.status();
  return {};
}

StatusOr<std::vector<InstancePtr>> InstanceService::Register(
    const std::vector<v1::InstanceRegistration>& registrations, const std::string& agent_user) {
  // All checked before any is written: one bad registration registers nothing.
  for (size_t i = 0; i < registrations.size(); ++i) {
    api::Status st = validation::ValidateRegistration(registrations[i]);
    if (!st.ok()) {
      return api::InvalidArgument("instances[" + std::to_string(i) + "]." + st.field(),
                                  st.message());
    }
  }
  std::vector<InstancePtr> out;
  out.reserve(registrations.size());
  std::set<std::string> clusters;
  for (const auto& r : registrations) {
    std::string cluster = r.cluster().empty() ? kDefaultCluster : r.cluster();
    if (clusters.insert(cluster).second) {
      if (auto st = EnsureCluster(cluster); !st.ok()) return st;
    }
    auto registered = RegisterOne(r, agent_user);
    if (!registered.ok()) return registered.status();
    out.push_back(*registered);
  }
  return out;
}

StatusOr<InstancePtr> InstanceService::RegisterOne(const v1::InstanceRegistration& r,
                                                   const std::string& agent_user) {
  const std::string& name = r.container_instance();
  if (name.empty()) return api::InvalidArgument("containerInstance", "is required");
  std::string cluster = r.cluster().empty() ? kDefaultCluster : r.cluster();
  auto now = api::FormatTime(clock_.Now());
  // Heard from only once the registration is accepted (a refused one must not keep someone
  // else's silent instance alive).
  auto heard = [&] {
    std::lock_guard lock(mu_);
    last_heartbeat_[name] = clock_.Now();
  };
  // Registered before (an agent restart): update it; otherwise create it below.
  auto updated = MutateObserved<v1::ContainerInstance>(
      objects_, fleet_, name, [&](v1::ContainerInstance& ci) -> StatusOr<bool> {
        if (!OwnedBy(ci, agent_user)) {
          return Status(Code::kPermissionDenied,
                        "container instance " + name + " belongs to another agent user");
        }
        if (!agent_user.empty())
          (*ci.mutable_metadata()->mutable_labels())[kAgentLabel] = agent_user;
        auto* spec = ci.mutable_spec();
        spec->set_cluster(cluster);
        if (!r.ec2_instance_id().empty()) spec->set_ec2_instance_id(r.ec2_instance_id());
        for (const auto& a : r.attributes()) SetAttribute(*spec, a.name(), a.value());
        *spec->mutable_registered_resources() = r.registered_resources();
        auto* st = ci.mutable_status();
        if (st->status().empty() || st->status() == "INACTIVE") st->set_status("ACTIVE");
        if (!st->agent_connected()) st->set_agent_updated_at(now);
        st->set_agent_connected(true);
        *st->mutable_version_info() = r.version_info();
        st->set_agent_version(r.version_info().agent_version());
        return true;
      });
  if (updated.ok()) {
    heard();
    (void)tasks_.RecountInstance(name);
    InstancePtr recounted = fleet_.Instance(name);
    return recounted ? recounted : *updated;
  }
  if (updated.status().code() != Code::kNotFound) return updated.status();
  v1::ContainerInstance ci;
  ci.set_api_version("gantry.dev/v1");
  ci.set_kind("ContainerInstance");
  ci.mutable_metadata()->set_name(name);
  (*ci.mutable_metadata()->mutable_labels())["gantry.dev/cluster"] = cluster;
  if (!agent_user.empty()) (*ci.mutable_metadata()->mutable_labels())[kAgentLabel] = agent_user;
  auto* spec = ci.mutable_spec();
  spec->set_cluster(cluster);
  spec->set_ec2_instance_id(r.ec2_instance_id());
  *spec->mutable_attributes() = r.attributes();
  *spec->mutable_registered_resources() = r.registered_resources();
  auto* st = ci.mutable_status();
  st->set_status("ACTIVE");
  st->set_agent_connected(true);
  st->set_agent_updated_at(now);
  st->set_registered_at(now);
  *st->mutable_version_info() = r.version_info();
  st->set_agent_version(r.version_info().agent_version());
  st->mutable_remaining_resources()->set_cpu(r.registered_resources().cpu());
  st->mutable_remaining_resources()->set_memory(r.registered_resources().memory());
  *st->mutable_ports_in_use() = r.registered_resources().ports();
  auto created = CreateObserved(objects_, fleet_, ci);
  if (created.ok()) heard();
  return created;
}

std::vector<std::string> InstanceService::Heartbeat(const std::vector<std::string>& names,
                                                    std::vector<std::string>* deregistered) {
  std::vector<std::string> unknown, reconnect;
  auto now = clock_.Now();
  for (const auto& name : names) {
    InstancePtr ci = fleet_.Instance(name);
    if (!ci) {
      unknown.push_back(name);
      continue;
    }
    if (InstanceStatusOf(*ci) == "INACTIVE") {
      if (deregistered) deregistered->push_back(name);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      last_heartbeat_[name] = now;
    }
    if (!ci->status().agent_connected()) reconnect.push_back(name);
  }
  Reconnect(reconnect);
  return unknown;
}

void InstanceService::Reconnect(const std::vector<std::string>& instances) {
  const std::string now = api::FormatTime(clock_.Now());
  for (size_t begin = 0; begin < instances.size(); begin += store::kMaxTxnOps) {
    const size_t end = std::min(instances.size(), begin + store::kMaxTxnOps);
    std::vector<v1::ContainerInstance> next;
    next.reserve(end - begin);  // writes point into it
    std::vector<api::ObjectWrite> writes;
    for (size_t i = begin; i < end; ++i) {
      InstancePtr ci = fleet_.Instance(instances[i]);
      if (!ci || ci->status().agent_connected()) continue;
      v1::ContainerInstance& connected = next.emplace_back(*ci);  // pinned to what the view has
      connected.mutable_status()->set_agent_connected(true);
      connected.mutable_status()->set_agent_updated_at(now);
      writes.push_back(api::ObjectWrite::UpdateStatus(connected));
    }
    if (writes.empty()) continue;
    auto committed = objects_.Commit(writes);
    if (committed.ok()) {
      (void)fleet_.WaitForInstances(committed->revision);
      continue;
    }
    // One of them changed since the view showed it: each on its own, read again.
    for (const auto& ci : next) (void)SetConnected(ci.metadata().name(), true);
  }
}

StatusOr<InstancePtr> InstanceService::SetConnected(const std::string& instance, bool connected) {
  auto now = api::FormatTime(clock_.Now());
  return MutateObserved<v1::ContainerInstance>(
      objects_, fleet_, instance, [&](v1::ContainerInstance& ci) -> StatusOr<bool> {
        if (ci.status().agent_connected() == connected) return false;
        ci.mutable_status()->set_agent_connected(connected);
        ci.mutable_status()->set_agent_updated_at(now);
        return true;
      });
}

StatusOr<InstancePtr> InstanceService::Resolve(const std::string& cluster,
                                               const std::string& instance) const {
  std::string id = ShortName(instance);
  (void)fleet_.AwaitNotedWrites();
  InstancePtr ci = fleet_.Instance(id);
  std::string want = cluster.empty() ? ClusterOfArn(instance) : ShortName(cluster);
  if (!ci || (!want.empty() && ci->spec().cluster() != want)) {
    return Status(Code::kNotFound, "container instance " + instance + " not found",
                  "containerInstance");
  }
  return ci;
}

StatusOr<InstancePtr> InstanceService::Get(const std::string& cluster,
                                           const std::string& instance) const {
  return Resolve(cluster, instance);
}

StatusOr<InstancePtr> InstanceService::Deregister(const std::string& cluster,
                                                  const std::string& instance, bool force) {
  auto ci = Resolve(cluster, instance);
  if (!ci.ok()) return ci.status();
  const std::string name = (*ci)->metadata().name();
  bool busy = false;
  for (const auto& t : fleet_.TasksOn(name)) busy |= HoldsResources(*t);
  if (busy && !force) {
    return Status(
        Code::kFailedPrecondition,
        "container instance " + name + " still has tasks; stop them first or deregister with force",
        "containerInstance");
  }
  if (busy) tasks_.StopTasksOn(name, kReasonInstanceDeregistered);
  auto updated = MutateObserved<v1::ContainerInstance>(
      objects_, fleet_, name, [&](v1::ContainerInstance& c) -> StatusOr<bool> {
        if (c.status().status() == "INACTIVE") return false;
        c.mutable_status()->set_status("INACTIVE");
        return true;
      });
  if (updated.ok()) {
    std::lock_guard lock(mu_);
    last_heartbeat_.erase(name);
  }
  return updated;
}

StatusOr<InstancePtr> InstanceService::SetState(const std::string& cluster,
                                                const std::string& instance,
                                                const std::string& status) {
  if (status != "ACTIVE" && status != "DRAINING") {
    return api::InvalidArgument("status", "must be ACTIVE or DRAINING, got '" + status + "'");
  }
  auto ci = Resolve(cluster, instance);
  if (!ci.ok()) return ci.status();
  return MutateObserved<v1::ContainerInstance>(
      objects_, fleet_, (*ci)->metadata().name(), [&](v1::ContainerInstance& c) -> StatusOr<bool> {
        if (c.status().status() == "INACTIVE") {
          return Status(Code::kFailedPrecondition,
                        "container instance " + c.metadata().name() + " is deregistered",
                        "containerInstances");
        }
        if (c.spec().desired_status() == status && c.status().status() == status) return false;
        c.mutable_spec()->set_desired_status(status);
        c.mutable_status()->set_status(status);
        return true;
      });
}

StatusOr<std::vector<InstancePtr>> InstanceService::List(const std::string& cluster,
                                                         const std::string& filter,
                                                         const std::string& status) const {
  if (!status.empty() && !KnownStatuses().count(status)) {
    return api::InvalidArgument("status",
                                "must be one of ACTIVE, DRAINING, REGISTERING, "
                                "DEREGISTERING, REGISTRATION_FAILED, got '" +
                                    status + "'");
  }
  std::vector<InstancePtr> candidates;
  (void)fleet_.AwaitNotedWrites();
  for (auto& ci : fleet_.InstancesIn(cluster.empty() ? kDefaultCluster : ShortName(cluster))) {
    std::string s = InstanceStatusOf(*ci);
    if (status.empty() ? s == "INACTIVE" : s != status) continue;
    candidates.push_back(std::move(ci));
  }
  if (filter.empty()) return candidates;
  auto input = SnapshotInput(candidates, fleet_);
  skips_.Report(input.skipped);  // matched by no filter until fixed
  auto snapshot = placement::ClusterSnapshot::Build(input.specs);
  if (!snapshot.ok()) return Status(Code::kInternal, snapshot.error().message);
  auto matched = placement::Filter(*snapshot, filter);
  if (!matched.ok()) {
    return api::InvalidArgument("filter", matched.error().message);
  }
  std::vector<InstancePtr> out;
  out.reserve(matched->size());
  for (uint32_t i : *matched) out.push_back(input.instances[i]);
  return out;
}

Status InstanceService::PutAttributes(const std::string& cluster,
                                      const std::vector<AttributeChange>& changes) {
  for (size_t i = 0; i < changes.size(); ++i) {
    auto st = validation::ValidateAttribute(changes[i].name, changes[i].value,
                                            "attributes[" + std::to_string(i) + "]");
    if (!st.ok()) return st;
  }
  return ChangeAttributes(cluster, changes, /*put=*/true);
}

Status InstanceService::DeleteAttributes(const std::string& cluster,
                                         const std::vector<AttributeChange>& changes) {
  return ChangeAttributes(cluster, changes, /*put=*/false);
}

Status InstanceService::ChangeAttributes(const std::string& cluster,
                                         const std::vector<AttributeChange>& changes, bool put) {
  for (const auto& change : changes) {
    auto ci = Resolve(cluster, change.instance);
    if (!ci.ok()) return Status(Code::kNotFound, ci.status().message(), "attributes.targetId");
    auto updated = MutateObserved<v1::ContainerInstance>(
        objects_, fleet_, (*ci)->metadata().name(),
        [&](v1::ContainerInstance& c) -> StatusOr<bool> {
          auto* spec = c.mutable_spec();
          if (put) {
            SetAttribute(*spec, change.name, change.value.value_or(""));
            return true;
          }
          auto* attrs = spec->mutable_attributes();
          auto it = std::find_if(attrs->begin(), attrs->end(),
                                 [&](const v1::Attribute& a) { return a.name() == change.name; });
          if (it == attrs->end()) return false;
          attrs->erase(it);
          return true;
        });
    if (!updated.ok()) return updated.status();
  }
  return {};
}

client::HeartbeatSource::TimePoint InstanceService::LastHeard(std::string_view instance) const {
  std::lock_guard lock(mu_);
  auto it = last_heartbeat_.find(instance);
  return it == last_heartbeat_.end() ? started_ : it->second;
}

}  // namespace gantry::fleet
