#pragma once

// AWS Signature Version 4 verification for the ECS-compatible endpoint: the AWS CLI and SDKs sign
// every request with an access key from Credentials, in the `Authorization` header, for service
// `ecs`. Transport-free: the HTTP layer hands over the request exactly as it arrived (the path
// still percent-encoded, the body as bytes) and turns a SigV4Error into AWS's JSON error shape
// ({"__type": aws_type, "message": message} with http_status). Presigned URLs (query-string
// authentication) are not accepted.

#include <cassert>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/ecs/credentials.h"

namespace gantry::ecs {

// A request as received, before any decoding.
struct SignedRequest {
  std::string method;  // "POST"
  std::string path;    // origin-form as on the wire, still percent-encoded, without the query
  std::string query;   // as on the wire, without the '?': "Action=ListUsers&Version=2010-05-08"
  // Names lower-cased; values as received. A header sent more than once is one entry, its values
  // joined with ',' (no space), which is the form SigV4 signs.
  std::map<std::string, std::string> headers;
  std::string body;
};

// A rejection in the shape AWS answers with. The messages are AWS's where AWS has one, so the
// AWS CLI prints what users can search for.
struct SigV4Error {
  int http_status = 403;
  std::string aws_type;  // "InvalidSignatureException"
  std::string message;
};

// Who signed a request that verified.
struct SigV4Caller {
  std::string access_key_id;
  std::string region;                       // from the credential scope; any region is accepted
  std::vector<std::string> signed_headers;  // lower-case names, as the signature lists them
};

// What a signature must cover beyond what SigV4 itself requires, so that no part of a request
// that decides what it does can be changed after signing: every name in `required` (lower case)
// and every x-amz-* header the request carries. IncompleteSignatureException (400) naming the
// first header left out.
std::optional<SigV4Error> CheckSignedHeaders(const SignedRequest& r, const SigV4Caller& caller,
                                             const std::vector<std::string>& required);

class [[nodiscard]] SigV4Result {
 public:
  SigV4Result(SigV4Caller caller) : v_(std::move(caller)) {}  // NOLINT: implicit by design
  SigV4Result(SigV4Error error) : v_(std::move(error)) {}     // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  const SigV4Caller& caller() const {
    assert(ok());
    return std::get<0>(v_);
  }
  const SigV4Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<SigV4Caller, SigV4Error> v_;
};

inline constexpr std::string_view kSigV4Service = "ecs";
// How far the signing time (X-Amz-Date, else Date) may be from `now`, either way, as at AWS.
inline constexpr std::chrono::minutes kSigV4MaxClockSkew{15};

// Verifies `r` was signed for service `ecs` with a key in `creds` within kSigV4MaxClockSkew of
// `now`. Failures, by aws_type:
//   MissingAuthenticationTokenException (403)  no Authorization header
//   IncompleteSignatureException (400)         the Authorization header lacks a part, no usable
//                                              date, a signed header the request does not carry
//   UnrecognizedClientException (403)          unknown access key id
//   InvalidSignatureException (403)            wrong scope (service, date, terminator), expired
//                                              or future time, body hash or signature mismatch
SigV4Result Verify(const SignedRequest& r, const Credentials& creds,
                   std::chrono::system_clock::time_point now);

// The steps of the algorithm, for any service, so each can be checked against AWS's published
// examples and so tests (and clients) can sign.
namespace sigv4 {

struct SigningParams {
  std::string access_key_id;
  std::string secret;
  std::string amz_date;  // "20150830T123600Z"; the scope's date is its first 8 characters
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower-case names, sorted; should include "host"
};

// "/" for an empty path; dot segments and empty segments removed; then every byte but the
// unreserved ones (A-Z a-z 0-9 - _ . ~) and '/' percent-encoded. The path is encoded as it came
// off the wire, so "%20" becomes "%2520": the double encoding SigV4 uses for all services but S3.
std::string CanonicalUri(std::string_view raw_path);
// Parameters decoded ('+' is a space, as in forms), re-encoded strictly (a space is "%20", a
// missing '=' an empty value) and sorted by key, then value.
std::string CanonicalQueryString(std::string_view raw_query);
// A header value with leading and trailing whitespace removed and inner runs of spaces and tabs
// collapsed to one space.
std::string CanonicalHeaderValue(std::string_view value);
// The canonical request; `payload_hash` is the hex SHA-256 of the body.
std::string CanonicalRequest(const SignedRequest& r, const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);
// "20150830/us-east-1/iam/aws4_request"
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view credential_scope,
                         std::string_view canonical_request);
// The raw 32-byte key: HMAC chain of "AWS4"+secret over date, region, service, "aws4_request".
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
// Lower-case hex.
std::string HexSha256(std::string_view data);
std::string HexHmacSha256(std::string_view key, std::string_view data);
// The payload hash Verify signs with: the x-amz-content-sha256 header when present, else the
// hex SHA-256 of the body.
std::string PayloadHash(const SignedRequest& r);

// The parts of an Authorization header, as ParseAuthorization found them.
struct ParsedAuthorization {
  std::string access_key_id, date, region, service, terminator;  // the Credential scope
  std::vector<std::string> signed_headers;                       // as listed, never empty
  std::string signature;
};

// "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/aws4_request,
//  SignedHeaders=host;x-amz-date, Signature=hex", the first step of Verify. Only the form is
// checked: the algorithm, the three parameters present once each and not empty, a Credential of
// five non-empty '/'-separated parts, SignedHeaders a ';'-separated list of non-empty names.
// Unknown parameters are ignored, as AWS does. A failure is IncompleteSignatureException.
std::variant<ParsedAuthorization, SigV4Error> ParseAuthorization(std::string_view header);

// The hex signature of `r` (the payload hash as PayloadHash says).
std::string ComputeSignature(const SignedRequest& r, const SigningParams& p);
// "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=..." (one line). The request must already carry
// the headers to sign, x-amz-date among them.
std::string AuthorizationHeader(const SignedRequest& r, const SigningParams& p);

}  // namespace sigv4
}  // namespace gantry::ecs
