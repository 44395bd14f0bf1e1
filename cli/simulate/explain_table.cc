#include "cli/simulate/explain_table.h"

#include <algorithm>
#include <map>

namespace gantry::cli {
namespace {

const char* StatusName(placement::InstanceStatus s) {
  switch (s) {
    case placement::InstanceStatus::kActive:
      return "ACTIVE";
    case placement::InstanceStatus::kDraining:
      return "DRAINING";
    case placement::InstanceStatus::kInactive:
      return "INACTIVE";
  }
  return "?";
}

// Prints rows as columns aligned on the widest cell, two spaces apart (kubectl style).
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

void PrintCounts(const placement::StageCounts& c, std::ostream& out) {
  out << "evaluated " << c.evaluated << " instances; rejected by";
  for (size_t s = 0; s < placement::kNumStages; ++s) {
    out << (s ? ", " : " ") << placement::StageName(static_cast<placement::Stage>(s)) << " "
        << c.rejected[s];
  }
  out << "; feasible " << c.feasible << "\n";
}

}  // namespace

void WriteFilterTable(const placement::ClusterSnapshot& snapshot, const std::string& expression,
                      const std::vector<uint32_t>& matched, std::ostream& out) {
  out << "filter: " << expression << "\n";
  std::vector<bool> hit(snapshot.size());
  for (uint32_t i : matched) hit[i] = true;
  std::vector<std::vector<std::string>> rows{{"INSTANCE", "STATUS", "MATCH"}};
  for (uint32_t i = 0; i < snapshot.size(); ++i) {
    rows.push_back(
        {std::string(snapshot.id(i)), StatusName(snapshot.status(i)), hit[i] ? "yes" : "no"});
  }
  PrintTable(rows, out);
  out << matched.size() << " of " << snapshot.size() << " instances match\n\n";
}

void WriteExplainTable(const placement::ClusterSnapshot& snapshot, const placement::Explanation& e,
                       const placement::Decision& d, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"INSTANCE", "STATUS", "CPU-LEFT", "MEMORY-LEFT", "FIRST-TASK"};
  for (const auto& name : e.score_names) header.push_back(name);
  rows.push_back(header);
  for (const auto& ie : e.instances) {
    uint32_t i = ie.instance;
    std::vector<std::string> row{std::string(snapshot.id(i)), StatusName(snapshot.status(i)),
                                 std::to_string(snapshot.cpu_remaining()[i]),
                                 std::to_string(snapshot.memory_remaining()[i])};
    if (ie.rejected_by) {
      row.push_back(std::string("rejected: ") + placement::ReasonText(*ie.rejected_by));
      for (size_t k = 0; k < e.score_names.size(); ++k) row.push_back("-");
    } else {
      row.push_back(ie.chosen ? "chosen" : "feasible");
      for (int64_t s : ie.scores) row.push_back(std::to_string(s));
    }
    rows.push_back(std::move(row));
  }
  PrintTable(rows, out);
  out << "\nscores: lower is better; each strategy breaks the ties of the one before it\n";
  out << "first task: ";
  PrintCounts(d.first_task, out);

  // Placements summarised per instance, in first-use order.
  std::vector<std::pair<uint32_t, size_t>> per_instance;
  std::map<uint32_t, size_t> index;
  for (uint32_t i : d.placements) {
    auto [it, inserted] = index.try_emplace(i, per_instance.size());
    if (inserted) per_instance.emplace_back(i, 0);
    ++per_instance[it->second].second;
  }
  out << "placed " << d.placements.size() << " task(s)";
  for (size_t k = 0; k < per_instance.size(); ++k) {
    out << (k ? ", " : ": ") << snapshot.id(per_instance[k].first) << " x"
        << per_instance[k].second;
  }
  out << "\n";
  if (!d.failures.empty()) {
    out << "failed " << d.failures.size() << " task(s): " << placement::ReasonText(d.failures[0])
        << "\n";
    if (d.at_exhaustion) {
      out << "when candidates ran out: ";
      PrintCounts(*d.at_exhaustion, out);
    }
  }
}

}  // namespace gantry::cli
