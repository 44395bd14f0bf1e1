#include "api/ecs/credentials.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace gantry::ecs {
namespace {

using api::Code;
using api::Status;

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The id travels in `Credential=ID/date/region/ecs/aws4_request, ...`, so the characters that
// delimit that header may not be in it.
bool ValidAccessKeyId(std::string_view id) {
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',' || c == '=' || c == ';') return false;
  }
  return true;
}

}  // namespace

api::StatusOr<Credentials> Credentials::FromFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(Code::kInvalidArgument, path + ": cannot open the credentials file");
  std::stringstream text;
  text << f.rdbuf();
  return FromText(text.str(), path);
}

api::StatusOr<Credentials> Credentials::FromText(std::string_view text, const std::string& source) {
  // Editors on Windows save CSV files with a byte order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Credentials creds;
  std::map<std::string, int, std::less<>> first_line;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line[0] == '#') continue;

    // Messages never quote the line: it holds a secret.
    std::string where = source + " line " + std::to_string(number) + ": ";
    std::vector<std::string_view> fields;
    for (std::string_view rest = line;;) {
      size_t comma = rest.find(',');
      fields.push_back(Trim(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (fields.size() < 2 || fields.size() > 3)
      return Status(Code::kInvalidArgument, where + "expected ACCESS_KEY_ID,SECRET[,ROLE]");
    std::string_view id = fields[0];
    std::string_view secret = fields[1];
    if (id.empty())
      return Status(Code::kInvalidArgument,
                    where + "expected ACCESS_KEY_ID,SECRET[,ROLE] (the access key id is empty)");
    if (secret.empty())
      return Status(Code::kInvalidArgument,
                    where + "expected ACCESS_KEY_ID,SECRET[,ROLE] (the secret is empty)");
    if (!ValidAccessKeyId(id))
      return Status(Code::kInvalidArgument,
                    where +
                        "the access key id may not contain spaces, control characters, "
                        "'/', ',', ';' or '='");
    api::Role role = api::Role::kEditor;
    if (fields.size() == 3) {
      auto parsed = api::ParseRole(fields[2]);
      if (!parsed || *parsed == api::Role::kAgent)
        return Status(Code::kInvalidArgument,
                      where +
                          "the role must be admin, editor or viewer (agents authenticate "
                          "with a token or a client certificate)");
      role = *parsed;
    }
    auto [it, inserted] = first_line.emplace(std::string(id), number);
    if (!inserted)
      return Status(Code::kInvalidArgument, where + "access key id '" + std::string(id) +
                                                "' is already listed on line " +
                                                std::to_string(it->second));
    creds.keys_.emplace(std::string(id), Key{std::string(secret), role});
  }
  if (creds.keys_.empty())
    return Status(Code::kInvalidArgument,
                  source + ": no credentials (expected ACCESS_KEY_ID,SECRET[,ROLE] lines)");
  return creds;
}

const Credentials::Key* Credentials::Find(std::string_view access_key_id) const {
  auto it = keys_.find(access_key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace gantry::ecs
