#pragma once

// Fluent fixtures for placement tests:
//   MakeInstance("i-1").Cpu(2048).Memory(4096).Attr("ecs.availability-zone", "us-east-1a")
//   MakeRequest().Count(3).Memory(512).Spread("attribute:ecs.availability-zone")

#include <string>
#include <utility>
#include <vector>

#include "placement/cql/literals.h"
#include "placement/types.h"

namespace gantry::placement::testing {

class InstanceBuilder {
 public:
  explicit InstanceBuilder(std::string id) {
    spec_.id = std::move(id);
    spec_.cpu = 2048;
    spec_.memory = 4096;
  }
  InstanceBuilder& Cpu(int64_t v) { return Set(spec_.cpu, v); }
  InstanceBuilder& Memory(int64_t v) { return Set(spec_.memory, v); }
  InstanceBuilder& Attr(std::string name, std::string value) {
    spec_.attributes.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  InstanceBuilder& Zone(std::string az) { return Attr("ecs.availability-zone", std::move(az)); }
  InstanceBuilder& Type(std::string t) { return Attr("ecs.instance-type", std::move(t)); }
  InstanceBuilder& Status(InstanceStatus s) { return Set(spec_.status, s); }
  InstanceBuilder& Draining() { return Status(InstanceStatus::kDraining); }
  InstanceBuilder& Inactive() { return Status(InstanceStatus::kInactive); }
  InstanceBuilder& Disconnected() { return Set(spec_.agent_connected, false); }
  InstanceBuilder& AgentVersion(std::string v) {
    spec_.agent_version = std::move(v);
    return *this;
  }
  InstanceBuilder& RegisteredAt(const std::string& t) {
    spec_.registered_at_ms = cql::ParseTimestamp(t);
    return *this;
  }
  InstanceBuilder& Ec2(std::string id) { return Set(spec_.ec2_instance_id, std::move(id)); }
  InstanceBuilder& Ports(std::vector<int32_t> p) { return Set(spec_.ports, std::move(p)); }
  InstanceBuilder& Task(std::string group, int64_t cpu = 0, int64_t memory = 0,
                        std::vector<int32_t> ports = {}) {
    spec_.tasks.push_back({std::move(group), cpu, memory, std::move(ports)});
    return *this;
  }
  InstanceSpec Build() const { return spec_; }
  operator InstanceSpec() const { return spec_; }  // NOLINT: builders convert implicitly

 private:
  template <typename T, typename V>
  InstanceBuilder& Set(T& field, V&& v) {
    field = std::forward<V>(v);
    return *this;
  }
  InstanceSpec spec_;
};

inline InstanceBuilder MakeInstance(std::string id) { return InstanceBuilder(std::move(id)); }

class RequestBuilder {
 public:
  RequestBuilder() { request_.group = "family:web"; }
  RequestBuilder& Count(int64_t n) { return Set(request_.count, n); }
  RequestBuilder& Group(std::string g) { return Set(request_.group, std::move(g)); }
  RequestBuilder& Cpu(int64_t v) { return Set(request_.cpu, v); }
  RequestBuilder& Memory(int64_t v) { return Set(request_.memory, v); }
  RequestBuilder& Ports(std::vector<int32_t> p) { return Set(request_.ports, std::move(p)); }
  RequestBuilder& MemberOf(std::string expression) {
    request_.constraints.push_back({"memberOf", std::move(expression)});
    return *this;
  }
  RequestBuilder& TaskDefinitionMemberOf(std::string expression) {
    request_.task_definition_constraints.push_back({"memberOf", std::move(expression)});
    return *this;
  }
  RequestBuilder& DistinctInstance() {
    request_.constraints.push_back({"distinctInstance", std::nullopt});
    return *this;
  }
  RequestBuilder& Strategy(std::string type, std::optional<std::string> field = std::nullopt) {
    request_.strategies.push_back({std::move(type), std::move(field)});
    return *this;
  }
  RequestBuilder& Spread(std::string field) { return Strategy("spread", std::move(field)); }
  RequestBuilder& Binpack(std::string field) { return Strategy("binpack", std::move(field)); }
  RequestBuilder& Random() { return Strategy("random"); }
  RequestBuilder& Seed(uint64_t s) { return Set(request_.seed, s); }
  TaskRequest Build() const { return request_; }
  operator TaskRequest() const { return request_; }  // NOLINT

 private:
  template <typename T, typename V>
  RequestBuilder& Set(T& field, V&& v) {
    field = std::forward<V>(v);
    return *this;
  }
  TaskRequest request_;
};

inline RequestBuilder MakeRequest() { return RequestBuilder(); }

}  // namespace gantry::placement::testing
