#pragma once

// ClusterSnapshot: a compact view of the cluster that placement decides over.
//
// Instances are stored column-wise (struct of arrays) and every string that repeats (attribute
// names and values, task groups, agent versions) is interned, so a filter compares integers and
// combines bitsets instead of comparing strings per instance. Built once per set of instances
// and shared by any number of concurrent Place() calls. Tasks starting and stopping change it in
// place (AddTask, RemoveTask: remaining resources, ports, group counts), so a caller that keeps
// one snapshot per cluster (the launcher) does not rebuild it per placement; changes to the
// instances themselves (added, removed, attributes, status) need a rebuild.

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "placement/bitset.h"
#include "placement/member_set.h"
#include "placement/status.h"
#include "placement/types.h"

namespace gantry::placement {

inline constexpr uint32_t kNoValue = UINT32_MAX;

// The distinct values of one attribute and the instances holding each.
class ValueIndex {
 public:
  ValueIndex() = default;
  ValueIndex(ValueIndex&&) = default;
  ValueIndex& operator=(ValueIndex&&) = default;
  ValueIndex(const ValueIndex&) = delete;
  ValueIndex& operator=(const ValueIndex&) = delete;

  uint32_t size() const { return static_cast<uint32_t>(values_.size()); }
  const std::string& value(uint32_t id) const { return values_[id]; }
  const MemberSet& members(uint32_t id) const { return members_[id]; }
  // Instances that have the attribute at all.
  const MemberSet& present() const { return present_; }
  std::optional<uint32_t> Find(std::string_view value) const;
  size_t MemoryBytes() const;

 private:
  friend class SnapshotBuilder;
  std::vector<std::string> values_;
  std::unordered_map<std::string_view, uint32_t> ids_;  // views into values_
  std::vector<MemberSet> members_;
  MemberSet present_;
};

struct AttributeRef {
  uint32_t attribute;  // attribute id
  uint32_t value;      // value id within that attribute's ValueIndex
};

struct GroupCount {
  uint32_t key;    // a group id (per instance) or an instance index (per group)
  uint32_t count;  // non-stopped tasks of that group
};

// Whether ClusterSnapshot::Build accepts `instance` as far as it alone decides (everything but
// ids unique across instances), with field paths relative to it: `ec2InstanceId`,
// `tasks[0].cpu`, `attributes`. Callers whose objects may predate their own validation check
// each instance and leave out the ones placement would refuse.
Status ValidateInstance(const InstanceSpec& instance);

// Checks one task's values (group, cpu, memory, ports); errors name `path`.<field>.
Status ValidateTask(const TaskSpec& task, const std::string& path);

class ClusterSnapshot {
 public:
  // Movable, not copyable: the intern tables hold views into the snapshot's own strings.
  ClusterSnapshot(ClusterSnapshot&&) = default;
  ClusterSnapshot& operator=(ClusterSnapshot&&) = default;
  ClusterSnapshot(const ClusterSnapshot&) = delete;
  ClusterSnapshot& operator=(const ClusterSnapshot&) = delete;

  // Validates and interns `instances`. Errors name the field: `instances[3].tasks[0].cpu`.
  static Result<ClusterSnapshot> Build(const std::vector<InstanceSpec>& instances);
  // The same over specs the caller keeps elsewhere (no copies): a server that remembers each
  // instance's spec between placements.
  static Result<ClusterSnapshot> BuildFrom(std::span<const InstanceSpec* const> instances);

  uint32_t size() const { return static_cast<uint32_t>(cpu_remaining_.size()); }

  std::string_view id(uint32_t i) const { return Str(id_offsets_, i); }
  std::string_view ec2_instance_id(uint32_t i) const { return Str(ec2_offsets_, i); }
  InstanceStatus status(uint32_t i) const { return static_cast<InstanceStatus>(status_[i]); }
  bool agent_connected(uint32_t i) const { return connected_.Test(i); }
  const Bitset& connected() const { return connected_; }
  // ACTIVE and agent connected: the only instances that may receive tasks.
  const Bitset& eligible() const { return eligible_; }

  // Resources fit in 32 bits (validation caps them), which halves the bytes a scan reads.
  int32_t cpu_registered(uint32_t i) const { return cpu_registered_[i]; }
  int32_t memory_registered(uint32_t i) const { return memory_registered_[i]; }
  // Registered minus the tasks already there; negative when the tasks over-commit it.
  const std::vector<int32_t>& cpu_remaining() const { return cpu_remaining_; }
  const std::vector<int32_t>& memory_remaining() const { return memory_remaining_; }
  const std::vector<int32_t>& running_tasks_count() const { return running_tasks_; }
  std::optional<int64_t> registered_at_ms(uint32_t i) const {
    return registered_at_[i] == kNoTime ? std::nullopt : std::optional(registered_at_[i]);
  }
  const std::vector<int64_t>& registered_at_column() const { return registered_at_; }
  static constexpr int64_t kNoTime = INT64_MIN;

  // The instances using a host port; nullptr when none does.
  const MemberSet* port_users(int32_t port) const;

  // Attributes. Ids are dense; Attribute() is nullptr when no instance has the name.
  std::optional<uint32_t> attribute_id(std::string_view name) const;
  const ValueIndex& attribute(uint32_t id) const { return attributes_[id]; }
  const std::string& attribute_name(uint32_t id) const { return attribute_names_[id]; }
  std::span<const AttributeRef> attributes(uint32_t i) const {
    return {attribute_refs_.data() + attribute_offsets_[i],
            attribute_refs_.data() + attribute_offsets_[i + 1]};
  }
  // The value id of attribute `id` on instance i, or kNoValue.
  uint32_t AttributeValue(uint32_t i, uint32_t id) const;

  // agentVersion, interned like an attribute (few distinct values across a fleet).
  const ValueIndex& agent_versions() const { return agent_versions_; }

  // Task groups of the non-stopped tasks.
  std::optional<uint32_t> group_id(std::string_view name) const;
  uint32_t group_count() const { return static_cast<uint32_t>(group_names_.size()); }
  const std::string& group_name(uint32_t g) const { return group_names_[g]; }
  // (instance, count) for every instance hosting group g, by instance index. A group whose
  // tasks all went keeps its id with no members.
  std::span<const GroupCount> group_members(uint32_t g) const { return group_members_[g]; }

  // A task starts on instance i (it holds resources from now on) or is gone from it (`task`
  // as it was added, at build or by AddTask). Equal to rebuilding from the changed instances
  // (placement_property_test checks so), except that remaining resources clamp at INT32_MIN.
  // The caller serialises these with Place() calls on the same snapshot. Errors name the
  // task's field: invalid values, an instance index out of range, removing a task whose group
  // is not on the instance.
  Status AddTask(uint32_t i, const TaskSpec& task);
  Status RemoveTask(uint32_t i, const TaskSpec& task);

  // Bytes held by the snapshot, for the memory benchmark.
  size_t MemoryBytes() const;

 private:
  static uint64_t PortKey(uint32_t i, int32_t port) {
    return (uint64_t{i} << 32) | static_cast<uint32_t>(port);
  }

  friend class SnapshotBuilder;
  ClusterSnapshot() = default;
  std::string_view Str(const std::vector<uint32_t>& offsets, uint32_t i) const {
    return std::string_view(strings_).substr(offsets[2 * i], offsets[2 * i + 1]);
  }

  std::string strings_;               // ids and ec2 ids, back to back
  std::vector<uint32_t> id_offsets_;  // (offset, length) pairs
  std::vector<uint32_t> ec2_offsets_;
  std::vector<uint8_t> status_;
  Bitset connected_;
  Bitset eligible_;
  std::vector<int32_t> cpu_registered_, memory_registered_;
  std::vector<int32_t> cpu_remaining_, memory_remaining_;
  std::vector<int32_t> running_tasks_;
  std::vector<int64_t> registered_at_;

  std::unordered_map<int32_t, MemberSet> port_users_;
  // (instance << 32 | port) -> holders beyond the first (the instance's own reservation and a
  // task, or tasks, naming the same port), so removing one holder keeps the port in use.
  std::unordered_map<uint64_t, uint32_t> port_extra_holders_;

  std::vector<std::string> attribute_names_;
  std::unordered_map<std::string_view, uint32_t> attribute_ids_;  // views into attribute_names_
  std::vector<ValueIndex> attributes_;
  std::vector<uint32_t> attribute_offsets_;  // size N+1
  std::vector<AttributeRef> attribute_refs_;
  ValueIndex agent_versions_;

  std::deque<std::string> group_names_;  // a deque: group_ids_ views stay valid as it grows
  std::unordered_map<std::string_view, uint32_t> group_ids_;
  std::vector<std::vector<GroupCount>> group_members_;  // per group, by instance index
};

}  // namespace gantry::placement
