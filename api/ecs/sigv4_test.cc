#include "api/ecs/sigv4.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

namespace gantry::ecs {
namespace {

using std::chrono::system_clock;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kExampleKeyId[] = "AKIDEXAMPLE";
constexpr char kExampleSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kEmptyBodyHash[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

// "20150830T123600Z" as a time point (test input, never the wall clock).
system_clock::time_point At(std::string_view s) {
  using namespace std::chrono;
  auto n = [&](size_t at, size_t len) { return std::stoi(std::string(s.substr(at, len))); };
  sys_days day = year{n(0, 4)} / month{static_cast<unsigned>(n(4, 2))} /
                 std::chrono::day{static_cast<unsigned>(n(6, 2))};
  return system_clock::time_point{day} + hours{n(9, 2)} + minutes{n(11, 2)} + seconds{n(13, 2)};
}

// What a result says, for comparisons that must not touch error() of an accepted request.
std::string Type(const SigV4Result& r) { return r.ok() ? "(accepted)" : r.error().aws_type; }
std::string Message(const SigV4Result& r) { return r.ok() ? "(accepted)" : r.error().message; }

std::vector<std::string> SortedHeaderNames(const SignedRequest& r) {
  std::vector<std::string> names;
  for (const auto& [name, value] : r.headers) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------------------------------------
// AWS's published SigV4 test suite (docs.aws.amazon.com/general/latest/gr/signature-v4-test-
// suite.html, carried on by awslabs/aws-c-auth as tests/aws-signing-test-suite/v4): credentials
// AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service", host example.amazonaws.com. The
// paths are the raw request-line paths of the suite's .req files, normalized as for every service
// but S3. Every signature below was also reproduced with botocore.

struct SuiteCase {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body;
  const char* signature;
};

constexpr char kUnreserved[] = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::vector<SuiteCase> SuiteCases() {
  const std::string u = kUnreserved;
  static const std::string unreserved_path = "/" + u;
  static const std::string unreserved_query = u + "=" + u;
  return {
      {"get-vanilla",
       "GET",
       "/",
       "",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-unreserved",
       "GET",
       unreserved_path.c_str(),
       "",
       {},
       "",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8",
       "GET",
       "/\xE1\x88\xB4",
       "",
       {},
       "",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space",
       "GET",
       "/example space/",
       "",
       {},
       "",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"normalize-path/get-relative",
       "GET",
       "/example/..",
       "",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-relative-relative",
       "GET",
       "/example1/example2/../..",
       "",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-slash",
       "GET",
       "//",
       "",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-slash-dot-slash",
       "GET",
       "/./",
       "",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-slash-pointless-dot",
       "GET",
       "/./example",
       "",
       {},
       "",
       "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {"normalize-path/get-slashes",
       "GET",
       "//example//",
       "",
       {},
       "",
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"normalize-path/get-special-character",
       "GET",
       "/example/$delete",
       "",
       {},
       "",
       "a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/",
       "Param2=value2&Param1=value1",
       {},
       "",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-encoded",
       "GET",
       "/",
       "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
       {},
       "",
       "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
      {"get-vanilla-query-unreserved",
       "GET",
       "/",
       unreserved_query.c_str(),
       {},
       "",
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query",
       "GET",
       "/",
       "%E1%88%B4=bar",
       {},
       "",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-vanilla-with-session-token",
       "GET",
       "/",
       "",
       {{"x-amz-security-token",
         "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}},
       "",
       "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
      // The suite sends My-Header1 three times; a transport hands the values over joined.
      {"get-header-key-duplicate",
       "GET",
       "/",
       "",
       {{"my-header1", "value2,value2,value1"}},
       "",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order",
       "GET",
       "/",
       "",
       {{"my-header1", "value4,value1,value3,value2"}},
       "",
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim",
       "GET",
       "/",
       "",
       {{"my-header1", " value1"}, {"my-header2", " \"a   b   c\""}},
       "",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla",
       "POST",
       "/",
       "",
       {},
       "",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query",
       "POST",
       "/",
       "Param1=value1",
       {},
       "",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-header-value-case",
       "POST",
       "/",
       "",
       {{"my-header1", "VALUE1"}},
       "",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       "",
       {{"content-type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      // aws-c-auth's variant, which also signs the length and the x-amz-content-sha256 header.
      {"post-x-www-form-urlencoded (aws-c-auth)",
       "POST",
       "/",
       "",
       {{"content-type", "application/x-www-form-urlencoded"},
        {"content-length", "13"},
        {"x-amz-content-sha256",
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
       "Param1=value1",
       "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"},
  };
}

SignedRequest SuiteRequest(const SuiteCase& c) {
  SignedRequest r{c.method, c.path, c.query, {}, c.body};
  r.headers["host"] = "example.amazonaws.com";
  r.headers["x-amz-date"] = "20150830T123600Z";
  for (const auto& [name, value] : c.headers) r.headers[name] = value;
  return r;
}

sigv4::SigningParams SuiteParams(const SignedRequest& r) {
  return {kExampleKeyId, kExampleSecret, "20150830T123600Z",
          "us-east-1",   "service",      SortedHeaderNames(r)};
}

TEST(SigV4SuiteTest, ReproducesEveryPublishedSignature) {
  for (const SuiteCase& c : SuiteCases()) {
    SignedRequest r = SuiteRequest(c);
    EXPECT_EQ(sigv4::ComputeSignature(r, SuiteParams(r)), c.signature) << c.name;
  }
}

TEST(SigV4SuiteTest, CanonicalRequestsAndStringToSign) {
  SignedRequest vanilla = SuiteRequest(SuiteCases()[0]);
  std::string canonical = sigv4::CanonicalRequest(vanilla, {"host", "x-amz-date"}, kEmptyBodyHash);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      sigv4::StringToSign("20150830T123600Z",
                          sigv4::CredentialScope("20150830", "us-east-1", "service"), canonical),
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");

  SignedRequest encoded{"GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", {}, ""};
  encoded.headers = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
  EXPECT_EQ(sigv4::CanonicalRequest(encoded, {"host", "x-amz-date"}, kEmptyBodyHash),
            "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
            "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                std::string(kEmptyBodyHash));

  SignedRequest trim{"GET", "/", "", {}, ""};
  trim.headers = {{"host", "example.amazonaws.com"},
                  {"my-header1", " value1"},
                  {"my-header2", " \"a   b   c\""},
                  {"x-amz-date", "20150830T123600Z"}};
  EXPECT_EQ(sigv4::CanonicalRequest(trim, SortedHeaderNames(trim), kEmptyBodyHash),
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" +
                std::string(kEmptyBodyHash));
}

// The worked example of the SigV4 documentation ("Examples of the complete Signature Version 4
// signing process"): GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08.
TEST(SigV4SuiteTest, DocumentedIamListUsersExample) {
  SignedRequest r{"GET", "/", "Action=ListUsers&Version=2010-05-08", {}, ""};
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"host", "iam.amazonaws.com"},
               {"x-amz-date", "20150830T123600Z"}};
  std::vector<std::string> names = {"content-type", "host", "x-amz-date"};
  std::string canonical = sigv4::CanonicalRequest(r, names, sigv4::HexSha256(""));
  EXPECT_EQ(canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sigv4::HexSha256(canonical),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  std::string key = sigv4::SigningKey(kExampleSecret, "20150830", "us-east-1", "iam");
  std::string key_hex;
  for (unsigned char c : key) {
    static constexpr char kHex[] = "0123456789abcdef";
    key_hex += kHex[c >> 4];
    key_hex += kHex[c & 0xf];
  }
  EXPECT_EQ(key_hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

  sigv4::SigningParams p{kExampleKeyId, kExampleSecret, "20150830T123600Z",
                         "us-east-1",   "iam",          names};
  EXPECT_EQ(sigv4::AuthorizationHeader(r, p),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");

  // A correct signature, but for IAM: the ECS endpoint refuses it.
  r.headers["authorization"] = sigv4::AuthorizationHeader(r, p);
  auto creds = Credentials::FromText("AKIDEXAMPLE,wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "t");
  ASSERT_TRUE(creds.ok());
  SigV4Result result = Verify(r, *creds, At("20150830T123600Z"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(Type(result), "InvalidSignatureException");
  EXPECT_EQ(Message(result), "Credential should be scoped to correct service: 'ecs'.");
}

// ---------------------------------------------------------------------------------------------
// The canonical forms on their own.

TEST(SigV4CanonicalTest, UriIsNormalizedThenEncodedAgain) {
  EXPECT_EQ(sigv4::CanonicalUri(""), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/"), "/");
  EXPECT_EQ(sigv4::CanonicalUri("//"), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/.."), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/a/./b/../c/"), "/a/c/");
  EXPECT_EQ(sigv4::CanonicalUri("//example//"), "/example/");
  EXPECT_EQ(sigv4::CanonicalUri("/a/b/.."), "/a");
  EXPECT_EQ(sigv4::CanonicalUri("/a b"), "/a%20b");
  // Percent-encoded on the wire, so encoded a second time, as SigV4 does for non-S3 services.
  EXPECT_EQ(sigv4::CanonicalUri("/a%20b/%E1%88%B4"), "/a%2520b/%25E1%2588%25B4");
  EXPECT_EQ(sigv4::CanonicalUri("/\xE1\x88\xB4"), "/%E1%88%B4");
  EXPECT_EQ(sigv4::CanonicalUri("/$delete:x@y+z"), "/%24delete%3Ax%40y%2Bz");
}

TEST(SigV4CanonicalTest, QueryIsDecodedReencodedAndSorted) {
  EXPECT_EQ(sigv4::CanonicalQueryString(""), "");
  EXPECT_EQ(sigv4::CanonicalQueryString("b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(sigv4::CanonicalQueryString("a=2&a=1&a=10"), "a=1&a=10&a=2");
  EXPECT_EQ(sigv4::CanonicalQueryString("flag&x="), "flag=&x=");
  EXPECT_EQ(sigv4::CanonicalQueryString("&&a=1&"), "a=1");
  EXPECT_EQ(sigv4::CanonicalQueryString("a=%7e%2f%2F"), "a=~%2F%2F");
  EXPECT_EQ(sigv4::CanonicalQueryString("a=x+y&b=1%2B1"), "a=x%20y&b=1%2B1");
  EXPECT_EQ(sigv4::CanonicalQueryString("a=b=c"), "a=b%3Dc");
  EXPECT_EQ(sigv4::CanonicalQueryString("a=%zz%4"), "a=%25zz%254");
  // Sorted by the encoded key: '%' (0x25) before upper-case letters.
  EXPECT_EQ(sigv4::CanonicalQueryString("Z=1&%C3%9C=2"), "%C3%9C=2&Z=1");
}

TEST(SigV4CanonicalTest, HeaderValuesAreTrimmedAndCollapsed) {
  EXPECT_EQ(sigv4::CanonicalHeaderValue("  a \t  b   c  "), "a b c");
  EXPECT_EQ(sigv4::CanonicalHeaderValue("value"), "value");
  EXPECT_EQ(sigv4::CanonicalHeaderValue(""), "");
}

// ---------------------------------------------------------------------------------------------
// Verify, on ECS requests signed here through the published algorithm.

class SigV4VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto creds = Credentials::FromText(
        "AKIDEXAMPLE,wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\nAKIDTEST,secret\n", "creds.csv");
    ASSERT_TRUE(creds.ok()) << creds.status().ToString();
    creds_ = std::move(*creds);
  }

  static SignedRequest Unsigned() {
    SignedRequest r{"POST", "/", "", {}, R"({"clusters": ["a", "b"]})"};
    r.headers = {{"host", "127.0.0.1:8080"},
                 {"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", "AmazonEC2ContainerServiceV20141113.DescribeClusters"},
                 {"x-amz-date", "20150830T123600Z"},
                 {"user-agent", "aws-cli/1.45.11"}};
    return r;
  }
  static sigv4::SigningParams Params() {
    return {kExampleKeyId, kExampleSecret, "20150830T123600Z",
            "us-east-1",   "ecs",          {"content-type", "host", "x-amz-date", "x-amz-target"}};
  }
  static SignedRequest Sign(SignedRequest r, const sigv4::SigningParams& p) {
    r.headers["authorization"] = sigv4::AuthorizationHeader(r, p);
    return r;
  }
  static SignedRequest Signed() { return Sign(Unsigned(), Params()); }

  SigV4Result Check(const SignedRequest& r, const char* now = "20150830T123900Z") {
    return Verify(r, creds_, At(now));
  }
  // The rejection has the type and status, and no secret leaks into it.
  static void ExpectRejected(const SigV4Result& result, const std::string& aws_type,
                             int http_status) {
    ASSERT_FALSE(result.ok()) << "accepted";
    EXPECT_EQ(result.error().aws_type, aws_type) << result.error().message;
    EXPECT_EQ(result.error().http_status, http_status) << result.error().message;
    EXPECT_THAT(result.error().message, Not(HasSubstr(kExampleSecret)));
    EXPECT_THAT(result.error().message, Not(HasSubstr("EXAMPLEKEY")));
  }

  Credentials creds_;
};

TEST_F(SigV4VerifyTest, AcceptsAGoodSignatureAndReturnsKeyAndRegion) {
  SigV4Result result = Check(Signed());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.caller().access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(result.caller().region, "us-east-1");

  sigv4::SigningParams p = Params();
  p.region = "mars-north-9";  // any region is accepted
  result = Check(Sign(Unsigned(), p));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.caller().region, "mars-north-9");
}

TEST_F(SigV4VerifyTest, UnsignedHeadersMayChange) {
  SignedRequest r = Signed();
  r.headers["user-agent"] = "something else";
  r.headers["amz-sdk-request"] = "attempt=2";
  EXPECT_TRUE(Check(r).ok());
}

TEST_F(SigV4VerifyTest, ToleratesHeaderNamesThatWereNotLowerCased) {
  SignedRequest r = Signed();
  SignedRequest mixed{r.method, r.path, r.query, {}, r.body};
  mixed.headers = {{"Host", r.headers["host"]},
                   {"Content-Type", r.headers["content-type"]},
                   {"X-Amz-Target", r.headers["x-amz-target"]},
                   {"X-Amz-Date", r.headers["x-amz-date"]},
                   {"Authorization", r.headers["authorization"]}};
  EXPECT_TRUE(Check(mixed).ok());
}

TEST_F(SigV4VerifyTest, RejectsAChangedBody) {
  SignedRequest r = Signed();
  r.body = R"({"clusters": ["a", "c"]})";
  SigV4Result result = Check(r);
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result), kMismatch);
}

TEST_F(SigV4VerifyTest, RejectsAChangedSignedHeaderValue) {
  SignedRequest r = Signed();
  r.headers["content-type"] = "application/json";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  r = Signed();
  r.headers["host"] = "127.0.0.1:8081";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
}

TEST_F(SigV4VerifyTest, RejectsAChangedTarget) {
  SignedRequest r = Signed();
  r.headers["x-amz-target"] = "AmazonEC2ContainerServiceV20141113.DeleteCluster";
  SigV4Result result = Check(r);
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result), kMismatch);
}

TEST_F(SigV4VerifyTest, RejectsAChangedMethodPathOrQuery) {
  SignedRequest r = Signed();
  r.method = "PUT";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  r = Signed();
  r.path = "/other";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  r = Signed();
  r.query = "x=1";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
}

TEST_F(SigV4VerifyTest, RejectsTheWrongSecret) {
  sigv4::SigningParams p = Params();
  p.secret = "not-the-secret";
  SigV4Result result = Check(Sign(Unsigned(), p));
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result), kMismatch);

  p = Params();
  p.access_key_id = "AKIDTEST";  // a known key, signed with the other key's secret
  ExpectRejected(Check(Sign(Unsigned(), p)), "InvalidSignatureException", 403);
}

TEST_F(SigV4VerifyTest, RejectsATamperedSignature) {
  SignedRequest r = Signed();
  std::string& auth = r.headers["authorization"];
  std::string good = auth;
  auth.back() = auth.back() == '0' ? '1' : '0';
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  auth = good + "00";  // longer
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  auth = good.substr(0, good.size() - 2);  // shorter
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  auth = good;  // upper-case hex
  for (size_t i = auth.find("Signature=") + 10; i < auth.size(); ++i)
    auth[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(auth[i])));
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
}

TEST_F(SigV4VerifyTest, RejectsAnUnknownAccessKey) {
  sigv4::SigningParams p = Params();
  p.access_key_id = "AKIDUNKNOWN";
  SigV4Result result = Check(Sign(Unsigned(), p));
  ExpectRejected(result, "UnrecognizedClientException", 403);
  EXPECT_EQ(Message(result), "The security token included in the request is invalid.");
}

TEST_F(SigV4VerifyTest, RejectsAnotherService) {
  sigv4::SigningParams p = Params();
  p.service = "ec2";
  SigV4Result result = Check(Sign(Unsigned(), p));
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result), "Credential should be scoped to correct service: 'ecs'.");
}

TEST_F(SigV4VerifyTest, AcceptsFifteenMinutesEitherWayAndNoMore) {
  SignedRequest r = Signed();  // signed at 12:36:00
  EXPECT_TRUE(Check(r, "20150830T123600Z").ok());
  EXPECT_TRUE(Check(r, "20150830T125100Z").ok());
  EXPECT_TRUE(Check(r, "20150830T122100Z").ok());

  SigV4Result result = Check(r, "20150830T125101Z");
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T125101Z - 15 min.)");

  result = Check(r, "20150830T122059Z");
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
            "(20150830T122059Z + 15 min.)");

  // Sub-second parts of `now` do not matter.
  EXPECT_TRUE(Verify(r, creds_, At("20150830T125100Z") + std::chrono::milliseconds(999)).ok());
}

TEST_F(SigV4VerifyTest, ExpiredOnTheRealCliDate) {
  SignedRequest r = Unsigned();
  r.headers["x-amz-date"] = "20261125T093053Z";
  sigv4::SigningParams p = Params();
  p.amz_date = "20261125T093053Z";
  SigV4Result result = Check(Sign(r, p), "20261125T100000Z");
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result),
            "Signature expired: 20261125T093053Z is now earlier than 20261125T094500Z "
            "(20261125T100000Z - 15 min.)");
}

TEST_F(SigV4VerifyTest, RejectsAMissingAuthorizationHeader) {
  SignedRequest r = Unsigned();
  SigV4Result result = Check(r);
  ExpectRejected(result, "MissingAuthenticationTokenException", 403);
  EXPECT_EQ(Message(result), "Missing Authentication Token");
  r.headers["authorization"] = "  ";
  ExpectRejected(Check(r), "MissingAuthenticationTokenException", 403);
}

TEST_F(SigV4VerifyTest, RejectsMalformedAuthorizationHeaders) {
  const std::string cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request";
  const std::string sh = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
  const std::string sig = "Signature=" + std::string(64, '0');
  struct Case {
    std::string authorization;
    std::string message;
  };
  const Case cases[] = {
      {"AWS4-HMAC-SHA256 " + sh + ", " + sig,
       "Authorization header requires 'Credential' parameter."},
      {"AWS4-HMAC-SHA256 " + cred,
       "Authorization header requires 'Signature' parameter. Authorization header requires "
       "'SignedHeaders' parameter."},
      {"AWS4-HMAC-SHA256",
       "Authorization header requires 'Credential' parameter. Authorization header requires "
       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
      {"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=",
       "Authorization header requires 'Signature' parameter."},
      {"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", " + sig,
       "Authorization header has more than one 'Signature' parameter"},
      {"AWS4-HMAC-SHA256 " + cred + ", " + sh + " " + sig,
       "Authorization header requires 'Signature' parameter."},
      {"AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature",
       "'Signature' not a valid key=value pair (missing equal-sign) in Authorization header"},
      {"Bearer abcdefgh",
       "Unsupported Authorization algorithm 'Bearer' (expected AWS4-HMAC-SHA256)"},
      {"AWS4-HMAC-SHA512 " + cred + ", " + sh + ", " + sig,
       "Unsupported Authorization algorithm 'AWS4-HMAC-SHA512' (expected AWS4-HMAC-SHA256)"},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs, " + sh + ", " + sig,
       "Credential 'AKIDEXAMPLE/20150830/us-east-1/ecs' is not of the form "
       "ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request"},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//ecs/aws4_request, " + sh + ", " + sig,
       "Credential 'AKIDEXAMPLE/20150830//ecs/aws4_request' is not of the form "
       "ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request"},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig,
       "SignedHeaders 'host;;x-amz-date' is not a ';'-separated list of header names"},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=content-type;x-amz-date, " + sig,
       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date;x-missing, " + sig,
       "Authorization header lists signed header 'x-missing' but the request does not carry it"},
  };
  for (const Case& c : cases) {
    SignedRequest r = Unsigned();
    r.headers["authorization"] = c.authorization;
    SigV4Result result = Check(r);
    ExpectRejected(result, "IncompleteSignatureException", 400);
    EXPECT_EQ(Message(result), c.message) << c.authorization;
  }
}

TEST_F(SigV4VerifyTest, RejectsAWrongScope) {
  SignedRequest r = Signed();
  std::string good = r.headers["authorization"];
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string a = good;
    a.replace(a.find(from), from.size(), to);
    r.headers["authorization"] = a;
    return Check(r);
  };
  SigV4Result result = replace("/20150830/", "/20150831/");
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result),
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            "HTTP: '20150831' != '20150830', from '20150830T123600Z'.");
  result = replace("/aws4_request", "/aws5_request");
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result),
            "Credential should be scoped with a valid terminator: 'aws4_request', not "
            "'aws5_request'.");
}

TEST_F(SigV4VerifyTest, RejectsAMissingOrMalformedDate) {
  SignedRequest r = Signed();
  r.headers.erase("x-amz-date");
  SigV4Result result = Check(r);
  ExpectRejected(result, "IncompleteSignatureException", 400);
  EXPECT_EQ(Message(result),
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");

  for (const char* bad : {"2015-08-30T12:36:00Z", "20150830T123600", "20150230T123600Z",
                          "20150830T243600Z", "2015083OT123600Z", ""}) {
    r = Signed();
    r.headers["x-amz-date"] = bad;
    result = Check(r);
    ExpectRejected(result, "IncompleteSignatureException", 400);
    EXPECT_EQ(Message(result), "Date must be in ISO-8601 'basic format'. Got '" + std::string(bad) +
                                   "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }

  r = Signed();
  r.headers.erase("x-amz-date");
  r.headers["date"] = "30 Aug 2015 12:36:00";
  result = Check(r);
  ExpectRejected(result, "IncompleteSignatureException", 400);
  EXPECT_EQ(
      Message(result),
      "Date header '30 Aug 2015 12:36:00' is not an HTTP date (Sun, 30 Aug 2015 12:36:00 GMT)");
}

TEST_F(SigV4VerifyTest, TheSignedDateMayComeFromTheDateHeader) {
  SignedRequest r = Unsigned();
  r.headers.erase("x-amz-date");
  r.headers["date"] = "Sun, 30 Aug 2015 12:36:00 GMT";
  sigv4::SigningParams p = Params();
  p.signed_headers = {"content-type", "date", "host", "x-amz-target"};
  r = Sign(r, p);
  SigV4Result result = Check(r);
  ASSERT_TRUE(result.ok()) << result.error().message;

  r.headers["date"] = "Sun, 30 Aug 2015 12:36:01 GMT";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
  // X-Amz-Date wins over Date.
  r.headers["date"] = "Sun, 30 Aug 2015 12:36:00 GMT";
  r.headers["x-amz-date"] = "20150830T123700Z";
  ExpectRejected(Check(r), "InvalidSignatureException", 403);
}

TEST_F(SigV4VerifyTest, ContentSha256HeaderMustMatchTheBody) {
  SignedRequest r = Unsigned();
  r.headers["x-amz-content-sha256"] = sigv4::HexSha256(r.body);
  sigv4::SigningParams p = Params();
  p.signed_headers = {"content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-target"};
  SignedRequest good = Sign(r, p);
  EXPECT_TRUE(Check(good).ok());

  SignedRequest changed = good;
  changed.body = "{}";
  SigV4Result result = Check(changed);
  ExpectRejected(result, "InvalidSignatureException", 403);
  EXPECT_EQ(Message(result),
            "The provided 'x-amz-content-sha256' header does not match what was computed.");

  // No unsigned payloads: the body of an ECS call is the call.
  r.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  ExpectRejected(Check(Sign(r, p)), "InvalidSignatureException", 403);
}

// ---------------------------------------------------------------------------------------------
// Requests as the real AWS CLI sent them (testdata/sigv4_cli_*.txt), and as botocore signs more
// unusual ones (generated at build time when botocore is importable).

struct Vector {
  std::string name, access_key_id, secret, now, region;
  SignedRequest request;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The format: '#' comments; "=== name"; "key: value" lines (access_key_id, secret, now,
// region); "--- request"; then the request line, header lines, a blank line and exactly
// Content-Length bytes of body.
std::vector<Vector> ReadVectors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << "cannot open " << path;
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  auto next_line = [&]() -> std::optional<std::string> {
    if (pos >= text.size()) return std::nullopt;
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };
  std::vector<Vector> out;
  while (auto line = next_line()) {
    if (line->empty() || (*line)[0] == '#') continue;
    if (line->starts_with("=== ")) {
      out.emplace_back().name = line->substr(4);
      continue;
    }
    if (out.empty()) {
      ADD_FAILURE() << path << ": expected '=== name', got " << *line;
      return out;
    }
    Vector& v = out.back();
    if (*line != "--- request") {
      size_t colon = line->find(": ");
      std::string key = line->substr(0, colon), value = line->substr(colon + 2);
      if (key == "access_key_id")
        v.access_key_id = value;
      else if (key == "secret")
        v.secret = value;
      else if (key == "now")
        v.now = value;
      else if (key == "region")
        v.region = value;
      else
        ADD_FAILURE() << path << ": unknown field " << key;
      continue;
    }
    auto request_line = next_line();
    if (!request_line) break;
    size_t sp1 = request_line->find(' '), sp2 = request_line->rfind(' ');
    v.request.method = request_line->substr(0, sp1);
    std::string target = request_line->substr(sp1 + 1, sp2 - sp1 - 1);
    size_t q = target.find('?');
    v.request.path = target.substr(0, q);
    v.request.query = q == std::string::npos ? "" : target.substr(q + 1);
    size_t content_length = 0;
    while (auto header = next_line()) {
      if (header->empty()) break;
      size_t colon = header->find(':');
      std::string name = Lower(header->substr(0, colon));
      std::string value = header->substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      if (name == "content-length") content_length = std::stoul(value);
      auto [it, inserted] = v.request.headers.emplace(name, value);
      if (!inserted) it->second += "," + value;
    }
    v.request.body = text.substr(pos, content_length);
    EXPECT_EQ(v.request.body.size(), content_length) << path << ": " << v.name;
    pos += content_length;
    if (pos < text.size() && text[pos] == '\n') ++pos;
  }
  return out;
}

Credentials CredentialsFor(const Vector& v) {
  auto creds = Credentials::FromText(v.access_key_id + "," + v.secret, v.name);
  EXPECT_TRUE(creds.ok()) << creds.status().ToString();
  return creds.ok() ? *creds : Credentials();
}

std::vector<Vector> CliVectors() {
  std::vector<Vector> all;
  for (const char* file : {"sigv4_cli_list_clusters.txt", "sigv4_cli_describe_clusters.txt",
                           "sigv4_cli_list_services_session_token.txt"}) {
    std::vector<Vector> v = ReadVectors(std::string(GANTRY_SIGV4_TESTDATA) + "/" + file);
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

void ExpectAllVerify(const std::vector<Vector>& vectors) {
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.name);
    Credentials creds = CredentialsFor(v);
    SigV4Result result = Verify(v.request, creds, At(v.now));
    ASSERT_TRUE(result.ok()) << result.error().aws_type << ": " << result.error().message;
    EXPECT_EQ(result.caller().access_key_id, v.access_key_id);
    EXPECT_EQ(result.caller().region, v.region);

    SignedRequest changed = v.request;
    changed.body += " ";
    EXPECT_EQ(Type(Verify(changed, creds, At(v.now))), "InvalidSignatureException");
    auto other = Credentials::FromText(v.access_key_id + ",not-" + v.secret, "other");
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(Message(Verify(v.request, *other, At(v.now))), kMismatch);
  }
}

TEST(SigV4CliTest, VerifiesWhatTheRealAwsCliSent) {
  std::vector<Vector> vectors = CliVectors();
  ASSERT_EQ(vectors.size(), 3u);
  EXPECT_EQ(vectors[1].request.body, R"({"clusters": ["a", "b"]})");
  EXPECT_EQ(vectors[1].region, "eu-west-3");
  EXPECT_EQ(vectors[2].request.headers.count("x-amz-security-token"), 1u);
  ExpectAllVerify(vectors);
}

TEST(SigV4CliTest, RejectsTamperedCliRequests) {
  Vector v = CliVectors()[1];  // describe-clusters --clusters a b
  Credentials creds = CredentialsFor(v);
  auto now = At(v.now);
  ASSERT_TRUE(Verify(v.request, creds, now).ok());

  SignedRequest r = v.request;
  r.body = R"({"clusters": ["a", "c"]})";
  EXPECT_EQ(Message(Verify(r, creds, now)), kMismatch);

  r = v.request;
  r.headers["x-amz-target"] = "AmazonEC2ContainerServiceV20141113.DeleteCluster";
  EXPECT_EQ(Message(Verify(r, creds, now)), kMismatch);

  r = v.request;
  r.headers["content-type"] = "application/json";
  EXPECT_EQ(Message(Verify(r, creds, now)), kMismatch);

  r = v.request;
  r.headers["user-agent"] = "curl/8";  // not signed by the CLI
  EXPECT_TRUE(Verify(r, creds, now).ok());

  SigV4Result late = Verify(v.request, creds, now + std::chrono::minutes(16));
  EXPECT_EQ(Type(late), "InvalidSignatureException");
  EXPECT_THAT(Message(late), HasSubstr("Signature expired: 20261125T093054Z is now earlier"));

  auto unknown = Credentials::FromText("AKIDOTHER,secret", "t");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(Type(Verify(v.request, *unknown, now)), "UnrecognizedClientException");

  r = v.request;
  r.headers.erase("authorization");
  EXPECT_EQ(Type(Verify(r, creds, now)), "MissingAuthenticationTokenException");
}

TEST(SigV4BotocoreTest, VerifiesWhatBotocoreSigns) {
  std::string path = GANTRY_SIGV4_BOTOCORE_VECTORS;
  if (path.empty()) GTEST_SKIP() << "botocore was not importable when the build was configured";
  std::vector<Vector> vectors = ReadVectors(path);
  EXPECT_GE(vectors.size(), 6u);
  ExpectAllVerify(vectors);
}

}  // namespace
}  // namespace gantry::ecs
