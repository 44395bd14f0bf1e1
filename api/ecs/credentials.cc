#include "api/ecs/credentials.h"

#include <fstream>
#include <sstream>

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
    size_t comma = line.find(',');
    if (comma == std::string_view::npos || line.find(',', comma + 1) != std::string_view::npos)
      return Status(Code::kInvalidArgument, where + "expected ACCESS_KEY_ID,SECRET");
    std::string_view id = Trim(line.substr(0, comma));
    std::string_view secret = Trim(line.substr(comma + 1));
    if (id.empty())
      return Status(Code::kInvalidArgument,
                    where + "expected ACCESS_KEY_ID,SECRET (the access key id is empty)");
    if (secret.empty())
      return Status(Code::kInvalidArgument,
                    where + "expected ACCESS_KEY_ID,SECRET (the secret is empty)");
    if (!ValidAccessKeyId(id))
      return Status(Code::kInvalidArgument,
                    where +
                        "the access key id may not contain spaces, control characters, "
                        "'/', ',', ';' or '='");
    auto [it, inserted] = first_line.emplace(std::string(id), number);
    if (!inserted)
      return Status(Code::kInvalidArgument, where + "access key id '" + std::string(id) +
                                                "' is already listed on line " +
                                                std::to_string(it->second));
    creds.secrets_.emplace(std::string(id), std::string(secret));
  }
  if (creds.secrets_.empty())
    return Status(Code::kInvalidArgument,
                  source + ": no credentials (expected ACCESS_KEY_ID,SECRET lines)");
  return creds;
}

const std::string* Credentials::FindSecret(std::string_view access_key_id) const {
  auto it = secrets_.find(access_key_id);
  return it == secrets_.end() ? nullptr : &it->second;
}

}  // namespace gantry::ecs
