#include "api/ecs/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace gantry::ecs {
namespace {

using std::chrono::sys_seconds;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

// ---- strings ----

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// Values from the request are quoted in messages; keep a hostile one from filling the log.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 120;
  if (s.size() > kMax) return "'" + std::string(s.substr(0, kMax)) + "...'";
  return "'" + std::string(s) + "'";
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding: '+' is a space (botocore sends query parameters encoded that way and signs
// them as "%20"). A '%' not followed by two hex digits stays as it is (then encoded as "%25").
std::string QueryDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
      continue;
    }
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  std::string result(reinterpret_cast<const char*>(out), size);
  OPENSSL_cleanse(out, sizeof(out));
  return result;
}

void Cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

// Header lookup by lower-case name; falls back to a case-insensitive scan so a transport that
// forgot to lower-case names still verifies.
const std::string* FindHeader(const SignedRequest& r, std::string_view lower_name) {
  auto it = r.headers.find(std::string(lower_name));
  if (it != r.headers.end()) return &it->second;
  for (const auto& [name, value] : r.headers) {
    if (EqualsIgnoreCase(name, lower_name)) return &value;
  }
  return nullptr;
}

// ---- time ----

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int Number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

std::optional<sys_seconds> MakeTime(int year, unsigned month, unsigned day, int hour, int minute,
                                    int second) {
  std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                  std::chrono::day{day}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return sys_seconds{std::chrono::sys_days{ymd}} + std::chrono::hours{hour} +
         std::chrono::minutes{minute} + std::chrono::seconds{second};
}

// "20150830T123600Z"
std::optional<sys_seconds> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !Digits(s.substr(0, 8)) ||
      !Digits(s.substr(9, 6)))
    return std::nullopt;
  return MakeTime(Number(s.substr(0, 4)), Number(s.substr(4, 2)), Number(s.substr(6, 2)),
                  Number(s.substr(9, 2)), Number(s.substr(11, 2)), Number(s.substr(13, 2)));
}

// RFC 7231 IMF-fixdate: "Sun, 30 Aug 2015 12:36:00 GMT"
std::optional<sys_seconds> ParseHttpDate(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  std::string_view day = s.substr(5, 2), year = s.substr(12, 4), hh = s.substr(17, 2),
                   mm = s.substr(20, 2), ss = s.substr(23, 2);
  if (!Digits(day) || !Digits(year) || !Digits(hh) || !Digits(mm) || !Digits(ss))
    return std::nullopt;
  auto month = std::find(std::begin(kMonths), std::end(kMonths), s.substr(8, 3));
  if (month == std::end(kMonths)) return std::nullopt;
  return MakeTime(Number(year), static_cast<unsigned>(month - std::begin(kMonths) + 1), Number(day),
                  Number(hh), Number(mm), Number(ss));
}

std::string FormatAmzDate(sys_seconds t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{t - days};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// ---- errors, worded as AWS words them ----

SigV4Error Incomplete(std::string message) {
  return {400, "IncompleteSignatureException", std::move(message)};
}

SigV4Error Invalid(std::string message) {
  return {403, "InvalidSignatureException", std::move(message)};
}

using sigv4::ParseAuthorization;
using sigv4::ParsedAuthorization;

}  // namespace

namespace sigv4 {

std::variant<ParsedAuthorization, SigV4Error> ParseAuthorization(std::string_view header) {
  size_t space = header.find_first_of(" \t");
  std::string_view algorithm = header.substr(0, space);
  if (algorithm != kAlgorithm)
    return Incomplete("Unsupported Authorization algorithm " + Quote(algorithm) +
                      " (expected AWS4-HMAC-SHA256)");
  std::string_view rest = space == std::string_view::npos ? "" : header.substr(space + 1);

  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view part : Split(rest, ',')) {
    part = Trim(part);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return Incomplete(Quote(part) +
                        " not a valid key=value pair (missing equal-sign) in Authorization header");
    std::string_view key = Trim(part.substr(0, eq)), value = Trim(part.substr(eq + 1));
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr) continue;  // AWS ignores parameters it does not know
    if (slot->has_value())
      return Incomplete("Authorization header has more than one '" + std::string(key) +
                        "' parameter");
    *slot = value;
  }
  std::string missing;
  auto require = [&](const std::optional<std::string_view>& v, std::string_view name) {
    if (v.has_value() && !v->empty()) return;
    if (!missing.empty()) missing += " ";
    missing += "Authorization header requires '" + std::string(name) + "' parameter.";
  };
  require(credential, "Credential");
  require(signature, "Signature");
  require(signed_headers, "SignedHeaders");
  if (!missing.empty()) return Incomplete(missing);

  ParsedAuthorization a;
  std::vector<std::string_view> scope = Split(*credential, '/');
  if (scope.size() != 5 ||
      std::any_of(scope.begin(), scope.end(), [](auto s) { return s.empty(); }))
    return Incomplete("Credential " + Quote(*credential) +
                      " is not of the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request");
  a.access_key_id = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  a.terminator = scope[4];
  for (std::string_view name : Split(*signed_headers, ';')) {
    if (name.empty())
      return Incomplete("SignedHeaders " + Quote(*signed_headers) +
                        " is not a ';'-separated list of header names");
    a.signed_headers.emplace_back(name);
  }
  a.signature = *signature;
  return a;
}

std::string CanonicalUri(std::string_view raw_path) {
  // RFC 3986 dot-segment removal, plus dropping empty segments ("//"), as AWS's SDKs do.
  std::vector<std::string_view> out;
  for (std::string_view segment : Split(raw_path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(segment);
  }
  std::string path = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) path += '/';
    path += out[i];
  }
  if (!out.empty() && raw_path.ends_with('/')) path += '/';
  return UriEncode(path, /*keep_slash=*/true);
}

std::string CanonicalQueryString(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view pair : Split(raw_query, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    params.emplace_back(UriEncode(QueryDecode(key), false), UriEncode(QueryDecode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  value = Trim(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalRequest(const SignedRequest& r, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::string out =
      r.method + "\n" + CanonicalUri(r.path) + "\n" + CanonicalQueryString(r.query) + "\n";
  std::string names;
  for (const std::string& name : signed_headers) {
    const std::string* value = FindHeader(r, ToLower(name));
    out += name + ":" + (value ? CanonicalHeaderValue(*value) : "") + "\n";
    if (!names.empty()) names += ';';
    names += name;
  }
  out += "\n" + names + "\n";
  out += payload_hash;
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  return std::string(date) + "/" + std::string(region) + "/" + std::string(service) + "/" +
         std::string(kTerminator);
}

std::string StringToSign(std::string_view amz_date, std::string_view credential_scope,
                         std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" +
         std::string(credential_scope) + "\n" + HexSha256(canonical_request);
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k_secret = "AWS4" + std::string(secret);
  std::string k_date = HmacSha256(k_secret, date);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  std::string k_signing = HmacSha256(k_service, kTerminator);
  Cleanse(k_secret);
  Cleanse(k_date);
  Cleanse(k_region);
  Cleanse(k_service);
  return k_signing;
}

std::string HexSha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), md, &size, EVP_sha256(), nullptr);
  return Hex(md, size);
}

std::string HexHmacSha256(std::string_view key, std::string_view data) {
  std::string mac = HmacSha256(key, data);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::string PayloadHash(const SignedRequest& r) {
  if (const std::string* h = FindHeader(r, "x-amz-content-sha256")) return std::string(Trim(*h));
  return HexSha256(r.body);
}

std::string ComputeSignature(const SignedRequest& r, const SigningParams& p) {
  std::string date = p.amz_date.substr(0, 8);
  std::string string_to_sign = StringToSign(p.amz_date, CredentialScope(date, p.region, p.service),
                                            CanonicalRequest(r, p.signed_headers, PayloadHash(r)));
  std::string key = SigningKey(p.secret, date, p.region, p.service);
  std::string signature = HexHmacSha256(key, string_to_sign);
  Cleanse(key);
  return signature;
}

std::string AuthorizationHeader(const SignedRequest& r, const SigningParams& p) {
  std::string names;
  for (const std::string& name : p.signed_headers) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return std::string(kAlgorithm) + " Credential=" + p.access_key_id + "/" +
         CredentialScope(p.amz_date.substr(0, 8), p.region, p.service) +
         ", SignedHeaders=" + names + ", Signature=" + ComputeSignature(r, p);
}

}  // namespace sigv4

SigV4Result Verify(const SignedRequest& r, const Credentials& creds,
                   std::chrono::system_clock::time_point now) {
  const std::string* authorization = FindHeader(r, "authorization");
  if (authorization == nullptr || Trim(*authorization).empty())
    return SigV4Error{403, "MissingAuthenticationTokenException", "Missing Authentication Token"};

  auto parsed = ParseAuthorization(Trim(*authorization));
  if (auto* error = std::get_if<SigV4Error>(&parsed)) return std::move(*error);
  ParsedAuthorization& a = std::get<ParsedAuthorization>(parsed);

  if (std::find(a.signed_headers.begin(), a.signed_headers.end(), "host") == a.signed_headers.end())
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

  // The signing time: X-Amz-Date, else Date; it is signed through the string to sign.
  std::string amz_date;
  std::optional<sys_seconds> signed_at;
  if (const std::string* h = FindHeader(r, "x-amz-date")) {
    amz_date = Trim(*h);
    signed_at = ParseAmzDate(amz_date);
    if (!signed_at)
      return Incomplete("Date must be in ISO-8601 'basic format'. Got " + Quote(amz_date) +
                        ". See http://en.wikipedia.org/wiki/ISO_8601");
  } else if (const std::string* d = FindHeader(r, "date")) {
    signed_at = ParseHttpDate(Trim(*d));
    if (!signed_at)
      return Incomplete("Date header " + Quote(Trim(*d)) +
                        " is not an HTTP date (Sun, 30 Aug 2015 12:36:00 GMT)");
    amz_date = FormatAmzDate(*signed_at);
  } else {
    return Incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }

  if (a.terminator != kTerminator)
    return Invalid("Credential should be scoped with a valid terminator: 'aws4_request', not " +
                   Quote(a.terminator) + ".");
  if (a.service != kSigV4Service)
    return Invalid("Credential should be scoped to correct service: '" +
                   std::string(kSigV4Service) + "'.");
  if (a.date != std::string_view(amz_date).substr(0, 8))
    return Invalid(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: " +
        Quote(a.date) + " != " + Quote(amz_date.substr(0, 8)) + ", from " + Quote(amz_date) + ".");

  for (const std::string& name : a.signed_headers) {
    if (FindHeader(r, ToLower(name)) == nullptr)
      return Incomplete("Authorization header lists signed header " + Quote(name) +
                        " but the request does not carry it");
  }

  const std::string* secret = creds.FindSecret(a.access_key_id);
  if (secret == nullptr)
    return SigV4Error{403, "UnrecognizedClientException",
                      "The security token included in the request is invalid."};

  sys_seconds now_s = std::chrono::floor<std::chrono::seconds>(now);
  if (*signed_at < now_s - kSigV4MaxClockSkew)
    return Invalid("Signature expired: " + amz_date + " is now earlier than " +
                   FormatAmzDate(now_s - kSigV4MaxClockSkew) + " (" + FormatAmzDate(now_s) +
                   " - 15 min.)");
  if (*signed_at > now_s + kSigV4MaxClockSkew)
    return Invalid("Signature not yet current: " + amz_date + " is still later than " +
                   FormatAmzDate(now_s + kSigV4MaxClockSkew) + " (" + FormatAmzDate(now_s) +
                   " + 15 min.)");

  // The header is what gets signed; it must also be what was sent, or the body is unsigned.
  if (const std::string* h = FindHeader(r, "x-amz-content-sha256")) {
    if (!EqualsIgnoreCase(Trim(*h), sigv4::HexSha256(r.body)))
      return Invalid(
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  sigv4::SigningParams p{a.access_key_id, *secret,   amz_date,
                         a.region,        a.service, std::move(a.signed_headers)};
  std::string expected = sigv4::ComputeSignature(r, p);
  Cleanse(p.secret);
  if (expected.size() != a.signature.size() ||
      CRYPTO_memcmp(expected.data(), a.signature.data(), expected.size()) != 0)
    return Invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");
  return SigV4Caller{a.access_key_id, a.region, std::move(p.signed_headers)};
}

std::optional<SigV4Error> CheckSignedHeaders(const SignedRequest& r, const SigV4Caller& caller,
                                             const std::vector<std::string>& required) {
  auto signed_header = [&](std::string_view name) {
    for (const std::string& h : caller.signed_headers)
      if (EqualsIgnoreCase(h, name)) return true;
    return false;
  };
  auto missing = [](std::string_view name) {
    return SigV4Error{
        400, "IncompleteSignatureException",
        "'" + std::string(name) + "' must be a 'SignedHeader' in the AWS Authorization."};
  };
  for (const std::string& name : required)
    if (!signed_header(name)) return missing(name);
  for (const auto& [name, value] : r.headers) {
    std::string lower = ToLower(name);
    if (lower.starts_with("x-amz-") && !signed_header(lower)) return missing(lower);
  }
  return std::nullopt;
}

}  // namespace gantry::ecs
