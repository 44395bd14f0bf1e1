#include "placement/snapshot.h"

#include <algorithm>
#include <climits>
#include <limits>
#include <string_view>

#include "placement/limits.h"

namespace gantry::placement {
namespace {

std::string Index(const std::string& field, size_t i) {
  return field + "[" + std::to_string(i) + "]";
}

// `path.name`, or `name` at the top (ValidateInstance's paths are relative to the instance).
std::string Join(const std::string& path, const char* name) {
  return path.empty() ? name : path + "." + name;
}

Status CheckPorts(const std::vector<int32_t>& ports, const std::string& field) {
  for (size_t k = 0; k < ports.size(); ++k) {
    if (ports[k] < kMinPort || ports[k] > kMaxPort) {
      return InvalidArgument(Index(field, k),
                             "port " + std::to_string(ports[k]) + " is outside 1-65535");
    }
  }
  return {};
}

Status CheckResource(int64_t v, const std::string& field) {
  if (v < 0 || v > kMaxResource) {
    return InvalidArgument(field, "must be between 0 and " + std::to_string(kMaxResource) +
                                      ", got " + std::to_string(v));
  }
  return {};
}

}  // namespace

Status ValidateTask(const TaskSpec& task, const std::string& path) {
  if (task.group.empty()) return InvalidArgument(path + ".group", "is required");
  if (task.group.size() > kMaxGroupLength) {
    return InvalidArgument(path + ".group", "is longer than 255 characters");
  }
  if (auto st = CheckResource(task.cpu, path + ".cpu"); !st.ok()) return st;
  if (auto st = CheckResource(task.memory, path + ".memory"); !st.ok()) return st;
  return CheckPorts(task.ports, path + ".ports");
}

namespace {

Status Validate(const InstanceSpec& in, const std::string& path) {
  if (in.id.empty()) return InvalidArgument(Join(path, "id"), "is required");
  if (in.id.size() > kMaxIdLength) {
    return InvalidArgument(Join(path, "id"), "is longer than 255 characters");
  }
  if (in.ec2_instance_id.size() > kMaxIdLength) {
    return InvalidArgument(Join(path, "ec2InstanceId"), "is longer than 255 characters");
  }
  if (auto st = CheckResource(in.cpu, Join(path, "cpu")); !st.ok()) return st;
  if (auto st = CheckResource(in.memory, Join(path, "memory")); !st.ok()) return st;
  if (auto st = CheckPorts(in.ports, Join(path, "ports")); !st.ok()) return st;
  for (size_t k = 0; k < in.attributes.size(); ++k) {
    const auto& [name, value] = in.attributes[k];
    std::string f = Join(path, "attributes") + "." + name;
    if (name.empty()) return InvalidArgument(Join(path, "attributes"), "attribute name is empty");
    if (name.size() > kMaxAttributeNameLength) {
      return InvalidArgument(f, "attribute name is longer than 128 characters");
    }
    if (value.size() > kMaxAttributeValueLength) {
      return InvalidArgument(f, "value is longer than 1024 characters");
    }
  }
  for (size_t t = 0; t < in.tasks.size(); ++t) {
    if (auto st = ValidateTask(in.tasks[t], Index(Join(path, "tasks"), t)); !st.ok()) return st;
  }
  return {};
}

}  // namespace

// Interns strings into dense ids while the snapshot is built; the final tables are laid out once
// every string is known, so views into them stay valid.
class SnapshotBuilder {
 public:
  struct Interner {
    std::unordered_map<std::string, uint32_t> ids;
    std::vector<const std::string*> order;
    uint32_t Intern(const std::string& s) {
      auto [it, inserted] = ids.try_emplace(s, static_cast<uint32_t>(order.size()));
      if (inserted) order.push_back(&it->first);
      return it->second;
    }
  };

  // Moves interned strings into `names` and points `index` at them.
  template <typename Names>
  static void Freeze(Interner& in, Names& names,
                     std::unordered_map<std::string_view, uint32_t>& index) {
    for (const std::string* s : in.order) names.push_back(*s);
    index.reserve(names.size());
    for (uint32_t k = 0; k < names.size(); ++k) index.emplace(names[k], k);
  }

  // Builds a ValueIndex from (instance, value id) pairs given in instance order.
  static ValueIndex MakeIndex(Interner& values,
                              const std::vector<std::pair<uint32_t, uint32_t>>& pairs, uint32_t n) {
    ValueIndex vi;
    Freeze(values, vi.values_, vi.ids_);
    std::vector<std::vector<uint32_t>> members(vi.values_.size());
    std::vector<uint32_t> present;
    present.reserve(pairs.size());
    for (auto [instance, value] : pairs) {
      members[value].push_back(instance);
      if (present.empty() || present.back() != instance) present.push_back(instance);
    }
    vi.members_.reserve(members.size());
    for (auto& m : members) vi.members_.emplace_back(std::move(m), n);
    vi.present_ = MemberSet(std::move(present), n);
    return vi;
  }

  // `Instances` is anything with size() and operator[] giving const InstanceSpec&.
  template <typename Instances>
  static Result<ClusterSnapshot> Build(const Instances& instances) {
    if (instances.size() >= std::numeric_limits<uint32_t>::max() / 2) {
      return InvalidArgument("instances", "too many instances");
    }
    const uint32_t n = static_cast<uint32_t>(instances.size());
    ClusterSnapshot s;
    std::unordered_map<std::string_view, uint32_t> seen_ids;
    seen_ids.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      std::string path = Index("instances", i);
      if (auto st = Validate(instances[i], path); !st.ok()) return st.error();
      auto [it, inserted] = seen_ids.emplace(instances[i].id, i);
      if (!inserted) {
        return InvalidArgument(path + ".id", "duplicate id '" + instances[i].id +
                                                 "' (also instances[" + std::to_string(it->second) +
                                                 "])");
      }
    }

    s.id_offsets_.reserve(2 * n);
    s.ec2_offsets_.reserve(2 * n);
    s.status_.reserve(n);
    s.connected_ = Bitset(n);
    s.eligible_ = Bitset(n);
    s.cpu_registered_.reserve(n);
    s.memory_registered_.reserve(n);
    s.cpu_remaining_.reserve(n);
    s.memory_remaining_.reserve(n);
    s.running_tasks_.reserve(n);
    s.registered_at_.reserve(n);
    s.attribute_offsets_.reserve(n + 1);

    Interner attribute_names, groups, versions;
    std::vector<Interner> attribute_values;
    std::vector<std::vector<std::pair<uint32_t, uint32_t>>> attribute_pairs;  // per attribute
    std::vector<std::pair<uint32_t, uint32_t>> version_pairs;
    std::unordered_map<int32_t, std::vector<uint32_t>> port_users;
    std::vector<std::pair<uint32_t, uint32_t>> group_pairs;  // (group, instance), one per task

    s.attribute_offsets_.push_back(0);
    std::vector<int32_t> ports;
    for (uint32_t i = 0; i < n; ++i) {
      const InstanceSpec& in = instances[i];
      auto put = [&s](const std::string& str, std::vector<uint32_t>& offsets) {
        offsets.push_back(static_cast<uint32_t>(s.strings_.size()));
        offsets.push_back(static_cast<uint32_t>(str.size()));
        s.strings_ += str;
      };
      put(in.id, s.id_offsets_);
      if (in.ec2_instance_id.empty() || in.ec2_instance_id == in.id) {
        s.ec2_offsets_.push_back(s.id_offsets_[2 * i]);
        s.ec2_offsets_.push_back(s.id_offsets_[2 * i + 1]);
      } else {
        put(in.ec2_instance_id, s.ec2_offsets_);
      }
      s.status_.push_back(static_cast<uint8_t>(in.status));
      if (in.agent_connected) s.connected_.Set(i);
      if (in.agent_connected && in.status == InstanceStatus::kActive) s.eligible_.Set(i);
      s.cpu_registered_.push_back(static_cast<int32_t>(in.cpu));
      s.memory_registered_.push_back(static_cast<int32_t>(in.memory));
      s.registered_at_.push_back(in.registered_at_ms.value_or(ClusterSnapshot::kNoTime));
      if (in.agent_version) version_pairs.emplace_back(i, versions.Intern(*in.agent_version));

      // Resources and ports used by the tasks already here.
      int64_t cpu = in.cpu, memory = in.memory;
      ports.assign(in.ports.begin(), in.ports.end());
      for (const TaskSpec& t : in.tasks) {
        cpu -= t.cpu;
        memory -= t.memory;
        ports.insert(ports.end(), t.ports.begin(), t.ports.end());
        group_pairs.emplace_back(groups.Intern(t.group), i);
      }
      // Tasks can over-commit an instance; clamp so a huge deficit still fits in 32 bits.
      s.cpu_remaining_.push_back(static_cast<int32_t>(std::max<int64_t>(cpu, INT32_MIN)));
      s.memory_remaining_.push_back(static_cast<int32_t>(std::max<int64_t>(memory, INT32_MIN)));
      s.running_tasks_.push_back(static_cast<int32_t>(in.tasks.size()));

      std::sort(ports.begin(), ports.end());
      for (size_t k = 0; k < ports.size(); ++k) {
        if (k > 0 && ports[k] == ports[k - 1]) {
          ++s.port_extra_holders_[ClusterSnapshot::PortKey(i, ports[k])];
        } else {
          port_users[ports[k]].push_back(i);
        }
      }

      // Attributes, sorted by attribute id so lookups can binary-search.
      size_t first = s.attribute_refs_.size();
      for (size_t k = 0; k < in.attributes.size(); ++k) {
        const auto& [name, value] = in.attributes[k];
        uint32_t a = attribute_names.Intern(name);
        if (a == attribute_values.size()) {
          attribute_values.emplace_back();
          attribute_pairs.emplace_back();
        }
        uint32_t v = attribute_values[a].Intern(value);
        s.attribute_refs_.push_back({a, v});
      }
      std::sort(
          s.attribute_refs_.begin() + first, s.attribute_refs_.end(),
          [](const AttributeRef& x, const AttributeRef& y) { return x.attribute < y.attribute; });
      for (size_t k = first + 1; k < s.attribute_refs_.size(); ++k) {
        if (s.attribute_refs_[k].attribute == s.attribute_refs_[k - 1].attribute) {
          return InvalidArgument(Index("instances", i) + ".attributes",
                                 "attribute '" +
                                     *attribute_names.order[s.attribute_refs_[k].attribute] +
                                     "' is given more than once");
        }
      }
      for (size_t k = first; k < s.attribute_refs_.size(); ++k) {
        attribute_pairs[s.attribute_refs_[k].attribute].emplace_back(i, s.attribute_refs_[k].value);
      }
      s.attribute_offsets_.push_back(static_cast<uint32_t>(s.attribute_refs_.size()));
    }

    // Attribute and agent-version indices.
    Freeze(attribute_names, s.attribute_names_, s.attribute_ids_);
    s.attributes_.reserve(attribute_values.size());
    for (size_t a = 0; a < attribute_values.size(); ++a) {
      s.attributes_.push_back(MakeIndex(attribute_values[a], attribute_pairs[a], n));
    }
    s.agent_versions_ = MakeIndex(versions, version_pairs, n);

    for (auto& [port, users] : port_users)
      s.port_users_.emplace(port, MemberSet(std::move(users), n));

    // Group -> (instance, count), by instance.
    Freeze(groups, s.group_names_, s.group_ids_);
    std::sort(group_pairs.begin(), group_pairs.end());
    s.group_members_.resize(s.group_names_.size());
    for (size_t k = 0; k < group_pairs.size(); ++k) {
      auto [g, i] = group_pairs[k];
      if (k > 0 && group_pairs[k - 1] == group_pairs[k]) {
        ++s.group_members_[g].back().count;
      } else {
        s.group_members_[g].push_back({i, 1});
      }
    }
    for (auto& members : s.group_members_) members.shrink_to_fit();
    s.attribute_refs_.shrink_to_fit();
    s.strings_.shrink_to_fit();
    return s;
  }
};

Status ValidateInstance(const InstanceSpec& instance) {
  if (auto st = Validate(instance, ""); !st.ok()) return st;
  // Build finds a repeated attribute name while it interns; on its own, sort a copy of the names.
  std::vector<std::string_view> names;
  names.reserve(instance.attributes.size());
  for (const auto& [name, value] : instance.attributes) names.push_back(name);
  std::sort(names.begin(), names.end());
  auto twice = std::adjacent_find(names.begin(), names.end());
  if (twice != names.end()) {
    return InvalidArgument("attributes",
                           "attribute '" + std::string(*twice) + "' is given more than once");
  }
  return {};
}

Result<ClusterSnapshot> ClusterSnapshot::Build(const std::vector<InstanceSpec>& instances) {
  return SnapshotBuilder::Build(instances);
}

Result<ClusterSnapshot> ClusterSnapshot::BuildFrom(std::span<const InstanceSpec* const> instances) {
  struct Pointed {
    std::span<const InstanceSpec* const> p;
    size_t size() const { return p.size(); }
    const InstanceSpec& operator[](size_t i) const { return *p[i]; }
  };
  return SnapshotBuilder::Build(Pointed{instances});
}

std::optional<uint32_t> ValueIndex::Find(std::string_view value) const {
  auto it = ids_.find(value);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

size_t ValueIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + present_.MemoryBytes();
  for (const auto& v : values_) bytes += sizeof(v) + (v.capacity() > 15 ? v.capacity() : 0);
  bytes += ids_.size() * (sizeof(std::string_view) + sizeof(uint32_t) + 2 * sizeof(void*));
  for (const auto& m : members_) bytes += sizeof(m) + m.MemoryBytes();
  return bytes;
}

const MemberSet* ClusterSnapshot::port_users(int32_t port) const {
  auto it = port_users_.find(port);
  return it == port_users_.end() ? nullptr : &it->second;
}

std::optional<uint32_t> ClusterSnapshot::attribute_id(std::string_view name) const {
  auto it = attribute_ids_.find(name);
  if (it == attribute_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> ClusterSnapshot::group_id(std::string_view name) const {
  auto it = group_ids_.find(name);
  if (it == group_ids_.end()) return std::nullopt;
  return it->second;
}

uint32_t ClusterSnapshot::AttributeValue(uint32_t i, uint32_t id) const {
  auto refs = attributes(i);
  auto it = std::lower_bound(refs.begin(), refs.end(), id,
                             [](const AttributeRef& r, uint32_t a) { return r.attribute < a; });
  return it != refs.end() && it->attribute == id ? it->value : kNoValue;
}

Status ClusterSnapshot::AddTask(uint32_t i, const TaskSpec& task) {
  if (i >= size())
    return InvalidArgument("instance", "index " + std::to_string(i) + " is out of range");
  if (auto st = ValidateTask(task, "task"); !st.ok()) return st;
  cpu_remaining_[i] =
      static_cast<int32_t>(std::max<int64_t>(cpu_remaining_[i] - task.cpu, INT32_MIN));
  memory_remaining_[i] =
      static_cast<int32_t>(std::max<int64_t>(memory_remaining_[i] - task.memory, INT32_MIN));
  ++running_tasks_[i];
  for (int32_t p : task.ports) {
    auto [users, created] = port_users_.try_emplace(p);
    if (created) users->second = MemberSet({}, size());
    if (!users->second.Insert(i)) ++port_extra_holders_[PortKey(i, p)];
  }
  auto [it, inserted] =
      group_ids_.try_emplace(task.group, static_cast<uint32_t>(group_names_.size()));
  if (inserted) {
    // Re-key the new entry on the stored name: the map must not view the caller's string.
    group_ids_.erase(it);
    group_names_.push_back(task.group);
    group_ids_.emplace(group_names_.back(), static_cast<uint32_t>(group_names_.size() - 1));
    group_members_.emplace_back();
    it = group_ids_.find(group_names_.back());
  }
  auto& members = group_members_[it->second];
  auto at = std::lower_bound(members.begin(), members.end(), i,
                             [](const GroupCount& gc, uint32_t key) { return gc.key < key; });
  if (at != members.end() && at->key == i) {
    ++at->count;
  } else {
    members.insert(at, GroupCount{i, 1});
  }
  return {};
}

Status ClusterSnapshot::RemoveTask(uint32_t i, const TaskSpec& task) {
  if (i >= size())
    return InvalidArgument("instance", "index " + std::to_string(i) + " is out of range");
  if (auto st = ValidateTask(task, "task"); !st.ok()) return st;
  auto g = group_id(task.group);
  if (!g) return InvalidArgument("task.group", "no task of group '" + task.group + "' is here");
  auto& members = group_members_[*g];
  auto at = std::lower_bound(members.begin(), members.end(), i,
                             [](const GroupCount& gc, uint32_t key) { return gc.key < key; });
  if (at == members.end() || at->key != i) {
    return InvalidArgument("task.group",
                           "no task of group '" + task.group + "' is on " + std::string(id(i)));
  }
  if (--at->count == 0) members.erase(at);
  cpu_remaining_[i] = static_cast<int32_t>(
      std::min<int64_t>(int64_t{cpu_remaining_[i]} + task.cpu, cpu_registered_[i]));
  memory_remaining_[i] = static_cast<int32_t>(
      std::min<int64_t>(int64_t{memory_remaining_[i]} + task.memory, memory_registered_[i]));
  --running_tasks_[i];
  for (int32_t p : task.ports) {
    if (auto extra = port_extra_holders_.find(PortKey(i, p)); extra != port_extra_holders_.end()) {
      if (--extra->second == 0) port_extra_holders_.erase(extra);
      continue;
    }
    if (auto users = port_users_.find(p); users != port_users_.end()) {
      users->second.Erase(i);
      if (users->second.count() == 0) port_users_.erase(users);
    }
  }
  return {};
}

size_t ClusterSnapshot::MemoryBytes() const {
  auto vec = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  size_t bytes = sizeof(*this) + strings_.capacity() + vec(id_offsets_) + vec(ec2_offsets_) +
                 vec(status_) + connected_.MemoryBytes() + eligible_.MemoryBytes() +
                 vec(cpu_registered_) + vec(memory_registered_) + vec(cpu_remaining_) +
                 vec(memory_remaining_) + vec(running_tasks_) + vec(registered_at_) +
                 vec(attribute_offsets_) + vec(attribute_refs_) + vec(group_members_);
  for (const auto& members : group_members_) bytes += vec(members);
  bytes += port_extra_holders_.size() * (8 + 4 + 2 * sizeof(void*));
  for (const auto& [port, users] : port_users_)
    bytes += sizeof(port) + sizeof(users) + users.MemoryBytes() + 2 * sizeof(void*);
  for (const auto& a : attributes_) bytes += a.MemoryBytes();
  for (const auto& nm : attribute_names_) bytes += sizeof(nm) + nm.capacity();
  bytes += agent_versions_.MemoryBytes();
  for (const auto& g : group_names_) bytes += sizeof(g) + g.capacity();
  bytes += (attribute_ids_.size() + group_ids_.size()) *
           (sizeof(std::string_view) + 4 + 2 * sizeof(void*));
  return bytes;
}

}  // namespace gantry::placement
