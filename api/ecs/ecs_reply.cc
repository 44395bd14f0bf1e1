#include "api/ecs/ecs_reply.h"

#include <algorithm>

namespace gantry::ecs {

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  out += ']';
  return out;
}

EcsResponse Ok(std::string body) { return EcsResponse{200, std::move(body)}; }
EcsResponse Ok(const OutJson& body) { return Ok(Dump(body)); }

PageRange Paginate(const std::vector<std::string>& keys, const std::string& token, size_t max,
                   bool descending) {
  PageRange page;
  if (!token.empty()) {
    while (page.begin < keys.size() &&
           (descending ? keys[page.begin] >= token : keys[page.begin] <= token)) {
      ++page.begin;
    }
  }
  page.end = std::min(keys.size(), page.begin + max);
  if (page.end < keys.size() && page.end > page.begin) page.next_token = keys[page.end - 1];
  return page;
}

OutJson NamePage(const char* member, std::vector<std::string> keys, const std::string& token,
                 size_t max, const std::function<std::string(const std::string&)>& item) {
  std::sort(keys.begin(), keys.end());
  PageRange page = Paginate(keys, token, max);
  OutJson out = {{member, OutJson::array()}};
  for (size_t i = page.begin; i < page.end; ++i) out[member].push_back(item(keys[i]));
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

OutJson Failures(const std::vector<Failure>& failures) {
  OutJson out = OutJson::array();
  for (const auto& f : failures) {
    OutJson item = {{"arn", f.arn}, {"reason", f.reason}};
    if (!f.detail.empty()) item["detail"] = f.detail;
    out.push_back(std::move(item));
  }
  return out;
}

std::string WithFailures(std::string_view list_name, const std::vector<std::string>& objects,
                         const std::vector<Failure>& failures) {
  return "{\"" + std::string(list_name) + "\":" + JsonArray(objects) +
         ",\"failures\":" + Dump(Failures(failures)) + "}";
}

}  // namespace gantry::ecs
