#include "agent/driver/internal/records.h"

#include <charconv>
#include <map>
#include <vector>

namespace gantry::agent::internal {
namespace {

using api::Code;
using api::Status;

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "key: value" lines into a map; the line number of each key for error messages.
struct Lines {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, int, std::less<>> line_of;
};

api::StatusOr<Lines> SplitLines(std::string_view text, std::string_view what) {
  Lines lines;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) {
      return Status(Code::kInternal, std::string(what) + " line " + std::to_string(number) +
                                         ": expected \"key: value\"");
    }
    std::string key(line.substr(0, colon));
    lines.line_of[key] = number;
    lines.values[key] = UnescapeValue(line.substr(colon + 2));
  }
  return lines;
}

class Reader {
 public:
  Reader(const Lines& lines, std::string_view what) : lines_(lines), what_(what) {}

  bool Has(std::string_view key) const { return lines_.values.count(key) != 0; }

  std::string String(std::string_view key) const {
    auto it = lines_.values.find(key);
    return it == lines_.values.end() ? std::string() : it->second;
  }

  template <typename T>
  void Number(std::string_view key, T& out, bool required = true) {
    auto it = lines_.values.find(key);
    if (it == lines_.values.end()) {
      if (required && error_.ok()) {
        error_ = Status(Code::kInternal, what_ + ": missing \"" + std::string(key) + "\"");
      }
      return;
    }
    if (!ParseNumber(it->second, out) && error_.ok()) {
      error_ = Status(Code::kInternal, what_ + " line " +
                                           std::to_string(lines_.line_of.find(key)->second) +
                                           ": \"" + std::string(key) + "\" is not a number");
    }
  }

  const Status& error() const { return error_; }

 private:
  const Lines& lines_;
  std::string what_;
  Status error_;
};

void Put(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.append(": ");
  out.append(EscapeValue(value));
  out.push_back('\n');
}

}  // namespace

std::string EscapeValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UnescapeValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      ++i;
      out.push_back(value[i] == 'n' ? '\n' : value[i]);
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

std::string FormatState(const StateRecord& r) {
  std::string out;
  Put(out, "format", std::to_string(r.format));
  Put(out, "boot-id", r.boot_id);
  Put(out, "shim-pid", std::to_string(r.shim_pid));
  Put(out, "shim-start-time", std::to_string(r.shim_start_time));
  Put(out, "session-id", std::to_string(r.session_id));
  Put(out, "pid", std::to_string(r.pid));
  Put(out, "launched-unix-ms", std::to_string(r.launched_unix_ms));
  Put(out, "control-signal", std::to_string(r.control_signal));
  Put(out, "limits", r.limits);
  Put(out, "cgroup", r.cgroup);
  Put(out, "command", r.command);
  return out;
}

api::StatusOr<StateRecord> ParseState(std::string_view text) {
  auto lines = SplitLines(text, "state");
  if (!lines.ok()) return lines.status();
  Reader in(*lines, "state");
  StateRecord r;
  in.Number("format", r.format);
  in.Number("shim-pid", r.shim_pid);
  in.Number("shim-start-time", r.shim_start_time);
  in.Number("session-id", r.session_id);
  in.Number("pid", r.pid);
  in.Number("launched-unix-ms", r.launched_unix_ms, /*required=*/false);
  in.Number("control-signal", r.control_signal);
  if (!in.error().ok()) return in.error();
  if (r.format != 1) {
    return Status(Code::kFailedPrecondition,
                  "state: format " + std::to_string(r.format) + " is newer than this agent");
  }
  if (r.shim_pid <= 0 || r.pid <= 0) return Status(Code::kInternal, "state: pids must be > 0");
  r.boot_id = in.String("boot-id");
  r.limits = in.String("limits");
  r.cgroup = in.String("cgroup");
  r.command = in.String("command");
  return r;
}

api::StatusOr<ExitRecord> ParseExit(std::string_view text) {
  auto lines = SplitLines(text, "exit");
  if (!lines.ok()) return lines.status();
  Reader in(*lines, "exit");
  ExitRecord r;
  if (in.Has("exec-error")) {
    r.kind = ExitRecord::Kind::kExecError;
    r.error = in.String("exec-error");
    r.during = in.String("during");
    in.Number("errno", r.error_number, /*required=*/false);
  } else if (in.Has("signal")) {
    r.kind = ExitRecord::Kind::kSignaled;
    in.Number("signal", r.signal);
  } else if (in.Has("exit-code")) {
    r.kind = ExitRecord::Kind::kExited;
    in.Number("exit-code", r.exit_code);
  } else {
    return Status(Code::kInternal, "exit: none of exit-code, signal, exec-error");
  }
  in.Number("finished-unix-ms", r.finished_unix_ms, /*required=*/false);
  if (!in.error().ok()) return in.error();
  return r;
}

std::string FormatLogIndex(const std::vector<LogSegment>& segments) {
  std::string out;
  for (const LogSegment& s : segments) {
    out += s.name + ": inode=" + std::to_string(s.inode) + " offset=" + std::to_string(s.offset) +
           "\n";
  }
  return out;
}

api::StatusOr<std::vector<LogSegment>> ParseLogIndex(std::string_view text) {
  std::vector<LogSegment> out;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return Status(Code::kInternal,
                    "log index line " + std::to_string(number) + ": " + std::string(why));
    };
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) return bad("expected \"name: ...\"");
    LogSegment segment;
    segment.name = std::string(line.substr(0, colon));
    std::string_view rest = line.substr(colon + 2);
    constexpr std::string_view kInode = "inode=", kOffset = " offset=";
    size_t offset_at = rest.find(kOffset);
    if (!rest.starts_with(kInode) || offset_at == std::string_view::npos) {
      return bad("expected \"inode=N offset=N\"");
    }
    if (!ParseNumber(rest.substr(kInode.size(), offset_at - kInode.size()), segment.inode) ||
        !ParseNumber(rest.substr(offset_at + kOffset.size()), segment.offset) ||
        segment.offset < 0) {
      return bad("inode and offset must be numbers");
    }
    out.push_back(std::move(segment));
  }
  return out;
}

std::string ExecFailureMessage(std::string_view during, std::string_view error) {
  if (during.empty()) return std::string(error);
  return std::string(during) + ": " + std::string(error);
}

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields from 3 (state) on, separated by single spaces.
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest = rest.substr(start);
    size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (fields.size() == 20) break;  // field 22 is the 20th after the name
  }
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  ProcStat stat;
  stat.state = fields[0][0];
  if (!ParseNumber(fields[1], stat.ppid) || !ParseNumber(fields[2], stat.pgrp) ||
      !ParseNumber(fields[3], stat.session) || !ParseNumber(fields[19], stat.start_time)) {
    return std::nullopt;
  }
  return stat;
}

}  // namespace gantry::agent::internal
