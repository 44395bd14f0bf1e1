#include "controllers/sync/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

namespace gantry::controllers::sync {
namespace {

std::vector<std::string_view> Split(std::string_view text, char by) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = text.find(by);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < line.size()) {
    size_t start = line.find_first_not_of(" \t\r", at);
    if (start == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t\r", start);
    out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    at = end == std::string_view::npos ? line.size() : end;
  }
  return out;
}

// Standard base64; "" for anything that is not.
std::string Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return "";
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

bool HashedMatch(std::string_view pattern, const std::string& name) {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  auto parts = Split(pattern, '|');
  if (parts.size() != 4 || !parts[0].empty() || parts[1] != "1") return false;
  const std::string salt = Base64Decode(parts[2]);
  const std::string want = Base64Decode(parts[3]);
  if (salt.empty() || want.size() != 20) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &size);
  return size == want.size() && CRYPTO_memcmp(mac, want.data(), size) == 0;
}

bool HostsMatch(std::string_view hosts, const std::string& name) {
  for (std::string_view pattern : Split(hosts, ',')) {
    if (pattern.starts_with("|")) {
      if (HashedMatch(pattern, name)) return true;
    } else if (pattern == name) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool KnownHostsTrust(std::string_view known_hosts, std::string_view host, int port,
                     std::string_view key_blob) {
  const std::string name =
      port == 22 ? std::string(host) : "[" + std::string(host) + "]:" + std::to_string(port);
  bool trusted = false;
  for (std::string_view line : Split(known_hosts, '\n')) {
    auto fields = Fields(line);
    if (fields.empty() || fields[0].starts_with("#")) continue;
    bool revoked = false;
    if (fields[0].starts_with("@")) {
      if (fields[0] != "@revoked") continue;  // @cert-authority: certificates are not used
      revoked = true;
      fields.erase(fields.begin());
    }
    if (fields.size() < 3 || !HostsMatch(fields[0], name)) continue;
    if (Base64Decode(fields[2]) != key_blob) continue;
    if (revoked) return false;
    trusted = true;
  }
  return trusted;
}

}  // namespace gantry::controllers::sync
