// libFuzzer target: arbitrary text as the Authorization header of an ECS request, through
// sigv4::ParseAuthorization and Verify; the same text through the canonicalization steps.
// Must never crash, hang or leak, and:
//   - the parser never accepts a header missing a required part (algorithm, Credential of five
//     non-empty parts, SignedHeaders of non-empty names, Signature), and its refusals are
//     IncompleteSignatureException (400) with a message of bounded size whatever the input;
//   - Verify refuses whatever the parser refuses;
//   - with the right signature put in place of the one given (the fuzzer cannot forge an HMAC),
//     a header Verify accepts names a known key, scope ecs/aws4_request on the signing day and
//     signs host and only headers the request carries; the same request with its body, a signed
//     header value or its time changed is refused;
//   - CanonicalQueryString and CanonicalHeaderValue are idempotent; CanonicalUri is '/'-rooted
//     and strictly percent-encoded.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "api/ecs/credentials.h"
#include "api/ecs/sigv4.h"

namespace {

using gantry::ecs::Credentials;
using gantry::ecs::SignedRequest;
using gantry::ecs::SigV4Error;
using gantry::ecs::SigV4Result;
namespace sigv4 = gantry::ecs::sigv4;

constexpr std::string_view kAmzDate = "20150830T123600Z";

const Credentials& Creds() {
  static const auto* creds = new Credentials(std::move(
      Credentials::FromText(
          "AKIDEXAMPLE,wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\nAKIDTEST,secret\n", "fuzz")
          .value()));
  return *creds;
}

std::chrono::system_clock::time_point Now(std::chrono::minutes after_signing = {}) {
  // 2015-08-30T12:39:00Z, three minutes after kAmzDate.
  return std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + std::chrono::hours{12} +
         std::chrono::minutes{39} + after_signing;
}

SignedRequest Request(std::string authorization) {
  SignedRequest r{"POST", "/", "", {}, R"({"clusters": ["a", "b"]})"};
  r.headers = {{"host", "127.0.0.1:8080"},
               {"content-type", "application/x-amz-json-1.1"},
               {"x-amz-target", "AmazonEC2ContainerServiceV20141113.DescribeClusters"},
               {"x-amz-date", std::string(kAmzDate)},
               {"user-agent", "aws-cli/1.45.11"},
               {"authorization", std::move(authorization)}};
  return r;
}

bool IsHexUpper(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void CheckCanonicalization(std::string_view text) {
  std::string query = sigv4::CanonicalQueryString(text);
  if (sigv4::CanonicalQueryString(query) != query) __builtin_trap();
  std::string value = sigv4::CanonicalHeaderValue(text);
  if (sigv4::CanonicalHeaderValue(value) != value) __builtin_trap();
  std::string uri = sigv4::CanonicalUri(text);
  if (uri.empty() || uri[0] != '/') __builtin_trap();
  for (size_t i = 0; i < uri.size(); ++i) {
    if (IsUnreserved(uri[i]) || uri[i] == '/') continue;
    if (uri[i] != '%' || i + 2 >= uri.size() || !IsHexUpper(uri[i + 1]) || !IsHexUpper(uri[i + 2]))
      __builtin_trap();
    i += 2;
  }
}

void CheckRefusal(const SigV4Error& e) {
  if (e.http_status != 400 || e.aws_type != "IncompleteSignatureException") __builtin_trap();
  // Values are quoted at most 120 characters long: a hostile header cannot fill the log.
  if (e.message.size() > 1024) __builtin_trap();
}

void CheckParsed(const sigv4::ParsedAuthorization& a, std::string_view header) {
  if (!header.starts_with("AWS4-HMAC-SHA256")) __builtin_trap();
  for (std::string_view name : {"Credential", "SignedHeaders", "Signature"}) {
    if (header.find(name) == std::string_view::npos) __builtin_trap();
  }
  for (const std::string* part :
       {&a.access_key_id, &a.date, &a.region, &a.service, &a.terminator}) {
    if (part->empty() || part->find('/') != std::string::npos) __builtin_trap();
  }
  if (a.signed_headers.empty() || a.signature.empty()) __builtin_trap();
  for (const std::string& name : a.signed_headers) {
    if (name.empty() || name.find(';') != std::string::npos) __builtin_trap();
  }
}

void ExpectRefused(const SignedRequest& r, std::chrono::system_clock::time_point now) {
  if (gantry::ecs::Verify(r, Creds(), now).ok()) __builtin_trap();
}

// `r` verified at Now(): what it took, and that it is the signature that made it pass.
void CheckAccepted(const SignedRequest& r, const SigV4Result& result) {
  auto parsed = sigv4::ParseAuthorization(r.headers.at("authorization"));
  if (!std::holds_alternative<sigv4::ParsedAuthorization>(parsed)) __builtin_trap();
  const auto& a = std::get<sigv4::ParsedAuthorization>(parsed);
  if (Creds().FindSecret(a.access_key_id) == nullptr) __builtin_trap();
  if (result.caller().access_key_id != a.access_key_id || result.caller().region != a.region)
    __builtin_trap();
  if (a.service != "ecs" || a.terminator != "aws4_request" || a.date != kAmzDate.substr(0, 8))
    __builtin_trap();
  bool host = false;
  for (const std::string& name : a.signed_headers) {
    host = host || name == "host";
    std::string lower;
    for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    auto it = r.headers.find(lower);
    if (it == r.headers.end()) __builtin_trap();
    if (lower == "authorization") continue;
    SignedRequest changed = r;
    changed.headers[lower] += "x";
    ExpectRefused(changed, Now());
  }
  if (!host) __builtin_trap();
  SignedRequest changed = r;
  changed.body += ' ';
  ExpectRefused(changed, Now());
  changed = r;
  changed.body.clear();
  ExpectRefused(changed, Now());
  ExpectRefused(r, Now(std::chrono::minutes(16)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  CheckCanonicalization(header);

  auto parsed = sigv4::ParseAuthorization(header);
  SignedRequest r = Request(std::string(header));
  SigV4Result as_sent = gantry::ecs::Verify(r, Creds(), Now());
  if (const auto* e = std::get_if<SigV4Error>(&parsed)) {
    CheckRefusal(*e);
    if (as_sent.ok()) __builtin_trap();
    return 0;
  }
  const auto& a = std::get<sigv4::ParsedAuthorization>(parsed);
  CheckParsed(a, header);
  if (as_sent.ok()) CheckAccepted(r, as_sent);

  // Put the right signature in place of the one given, so the accepting path is reached.
  const std::string* secret = Creds().FindSecret(a.access_key_id);
  size_t at = header.rfind(a.signature);
  if (secret == nullptr || at == std::string_view::npos) return 0;
  sigv4::SigningParams p{a.access_key_id, *secret,   std::string(kAmzDate),
                         a.region,        a.service, a.signed_headers};
  r.headers["authorization"] = std::string(header.substr(0, at)) + sigv4::ComputeSignature(r, p) +
                               std::string(header.substr(at + a.signature.size()));
  SigV4Result resigned = gantry::ecs::Verify(r, Creds(), Now());
  if (resigned.ok()) CheckAccepted(r, resigned);
  return 0;
}
