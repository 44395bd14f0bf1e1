// Private repositories: a token over https (Basic auth, the CA from the Secret), and the ssh
// host-key check against known_hosts (the ssh transport itself is in git_ssh_test.cc). The https
// server is git's own http-backend behind a test server with a certificate from a CA made at test
// time.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "controllers/sync/git_source.h"
#include "controllers/sync/known_hosts.h"
#include "tests/testlib/eventually.h"
#include "tests/testlib/git_repo.h"
#include "tests/testlib/test_pki.h"
#include "tests/testlib/testlib.h"

namespace gantry::controllers::sync {
namespace {

using api::Code;

using testlib::ReadFile;

void RunOk(const std::vector<std::string>& argv) {
  auto r = testlib::RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " " << argv[1] << ": " << r.out << r.err;
}

// Until the server listens; false after 5 s.
bool Listening(int port) {
  return testlib::Eventually([&] { return testlib::PortAccepts(port); }, std::chrono::seconds(5));
}

class GitCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A CA, a certificate for 127.0.0.1 from it, and a second CA that signed nothing here.
    testlib::TestPki pki(dir_.path());
    pki.MakeCa("ca");
    pki.MakeCa("other-ca");
    pki.MakeLeaf("server", "ca", "/CN=127.0.0.1",
                 "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    ASSERT_TRUE(pki.ok()) << pki.error();
    repo_.Write("deploy/web.yaml", "kind: Service\n");
    commit_ = repo_.Commit("first");
    port_ = testlib::FreePort();
    server_ = std::make_unique<testlib::Process>(
        std::vector<std::string>{"python3", "tests/testlib/git_http_server.py", "--root",
                                 dir_.path(), "--port", std::to_string(port_), "--user", "ci-bot",
                                 "--password", kToken, "--cert", dir_.path() + "/server.crt",
                                 "--key", dir_.path() + "/server.key"},
        dir_.path() + "/server.log");
    ASSERT_TRUE(Listening(port_)) << ReadFile(dir_.path() + "/server.log");
  }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/remote.git"; }
  GitCredentials Token(const std::string& password) const {
    return {"ci-bot", password, "", "", ReadFile(dir_.path() + "/ca.crt")};
  }
  api::StatusOr<FetchedTree> Fetch(const GitCredentials& credentials) {
    auto fetched = source_.Fetch({Url(), "main", "deploy", credentials});
    if (!fetched.ok()) {
      EXPECT_EQ(fetched.status().ToString().find(kToken), std::string::npos)
          << "a secret in a message: " << fetched.status().ToString();
    }
    return fetched;
  }

  static constexpr const char* kToken = "glpat-s3cr3t-token";
  testlib::TempDir dir_;
  testlib::GitRepo repo_{dir_.path()};
  std::string commit_;
  int port_ = 0;
  std::unique_ptr<testlib::Process> server_;
  GitSource source_{dir_.path() + "/cache"};
};

TEST_F(GitCredentialsTest, ATokenOverHttpsFromAPrivateCaFetches) {
  auto fetched = Fetch(Token(kToken));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString() << "\n"
                            << ReadFile(dir_.path() + "/server.log");
  EXPECT_EQ(fetched->commit, commit_);
  ASSERT_EQ(fetched->files.size(), 1u);
  EXPECT_EQ(fetched->files[0].text, "kind: Service\n");
  EXPECT_NE(ReadFile(dir_.path() + "/server.log").find("user=ci-bot"), std::string::npos);
}

TEST_F(GitCredentialsTest, MissingOrWrongCredentialsAreRefusedOnceAndNamed) {
  auto none = Fetch({"", "", "", "", ReadFile(dir_.path() + "/ca.crt")});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kUnauthenticated) << none.status().ToString();
  EXPECT_NE(none.status().message().find("asks for a username and password"), std::string::npos)
      << none.status().ToString();

  auto wrong = Fetch(Token("not-the-token"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kUnauthenticated) << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find("refused the credentials"), std::string::npos)
      << wrong.status().ToString();
  // Offered once, not again and again: the 401s are the first ask and the one try.
  std::string log = ReadFile(dir_.path() + "/server.log");
  size_t refusals = 0;
  for (size_t at = log.find(" 401 "); at != std::string::npos; at = log.find(" 401 ", at + 1))
    ++refusals;
  EXPECT_LE(refusals, 4u) << log;
}

TEST_F(GitCredentialsTest, TheServerMustBeOneTheSecretTrusts) {
  GitCredentials no_ca = Token(kToken);
  no_ca.ca_pem.clear();
  auto untrusted = Fetch(no_ca);
  ASSERT_FALSE(untrusted.ok()) << "a certificate no CA vouches for was accepted";

  GitCredentials other = Token(kToken);
  other.ca_pem = ReadFile(dir_.path() + "/other-ca.crt");
  auto wrong_ca = Fetch(other);
  ASSERT_FALSE(wrong_ca.ok());
  EXPECT_EQ(wrong_ca.status().code(), Code::kPermissionDenied) << wrong_ca.status().ToString();
  EXPECT_NE(wrong_ca.status().message().find("not trusted by the Secret's ca.crt"),
            std::string::npos)
      << wrong_ca.status().ToString();
  EXPECT_EQ(ReadFile(dir_.path() + "/server.log").find("user=ci-bot"), std::string::npos)
      << "the token reached a server the Secret does not trust";
}

TEST_F(GitCredentialsTest, CredentialsNeverGoOverPlainHttpAndSshNeedsKnownHosts) {
  auto plain = source_.Fetch(
      {"http://127.0.0.1:" + std::to_string(port_) + "/remote.git", "main", "", Token(kToken)});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(plain.status().field(), "spec.git.url");
  for (const char* url :
       {"ssh://git@127.0.0.1:2222/remote.git", "git@example.com:ops/deploy.git"}) {
    auto ssh =
        source_.Fetch({url, "main", "", {"", "", "-----BEGIN OPENSSH PRIVATE KEY-----", "", ""}});
    ASSERT_FALSE(ssh.ok()) << url;
    EXPECT_EQ(ssh.status().field(), "spec.git.secretRef") << ssh.status().ToString();
  }
}

// known_hosts against keys made by ssh-keygen, plain and hashed (ssh-keygen -H).
TEST(KnownHostsTest, TrustsTheListedKeyForItsHostAndPortOnly) {
  testlib::TempDir dir;
  const std::string key = dir.path() + "/host";
  ASSERT_NO_FATAL_FAILURE(RunOk({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key}));
  ASSERT_NO_FATAL_FAILURE(RunOk({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key + "2"}));
  auto fields = [](const std::string& pub) {
    std::istringstream in(pub);
    std::string type, base64;
    in >> type >> base64;
    return std::make_pair(type, base64);
  };
  const auto [type, base64] = fields(ReadFile(key + ".pub"));
  const auto [type2, base64_2] = fields(ReadFile(key + "2.pub"));
  // The raw key blob the handshake sends is the decoded base64 field; decode it with openssl.
  std::ofstream(dir.path() + "/b64") << base64 << "\n";
  auto blob = testlib::RunCommand({"openssl", "base64", "-d", "-A", "-in", dir.path() + "/b64"});
  ASSERT_EQ(blob.exit_code, 0);
  std::ofstream(dir.path() + "/b64_2") << base64_2 << "\n";
  auto blob2 = testlib::RunCommand({"openssl", "base64", "-d", "-A", "-in", dir.path() + "/b64_2"});

  const std::string plain = "# ours\ngit.example.com," + std::string("10.0.0.1 ") + type + " " +
                            base64 + " comment\r\n[git.example.com]:2222 " + type + " " + base64 +
                            "\n";
  EXPECT_TRUE(KnownHostsTrust(plain, "git.example.com", 22, blob.out));
  EXPECT_TRUE(KnownHostsTrust(plain, "10.0.0.1", 22, blob.out));
  EXPECT_TRUE(KnownHostsTrust(plain, "git.example.com", 2222, blob.out));
  EXPECT_FALSE(KnownHostsTrust(plain, "git.example.com", 2200, blob.out)) << "another port";
  EXPECT_FALSE(KnownHostsTrust(plain, "evil.example.com", 22, blob.out)) << "another host";
  EXPECT_FALSE(KnownHostsTrust(plain, "git.example.com", 22, blob2.out)) << "another key";
  EXPECT_FALSE(KnownHostsTrust("", "git.example.com", 22, blob.out));
  EXPECT_FALSE(
      KnownHostsTrust("*.example.com " + type + " " + base64, "git.example.com", 22, blob.out))
      << "wildcards never trust";
  EXPECT_FALSE(KnownHostsTrust(plain + "@revoked git.example.com " + type + " " + base64 + "\n",
                               "git.example.com", 22, blob.out))
      << "a revoked key";
  EXPECT_FALSE(KnownHostsTrust("git.example.com " + type + " !!notbase64!!", "git.example.com", 22,
                               blob.out));

  // Hashed names, as ssh-keygen -H writes them.
  const std::string file = dir.path() + "/known_hosts";
  std::ofstream(file) << "git.example.com " << type << " " << base64 << "\n[git.example.com]:2222 "
                      << type << " " << base64 << "\n";
  ASSERT_NO_FATAL_FAILURE(RunOk({"ssh-keygen", "-q", "-H", "-f", file}));
  const std::string hashed = ReadFile(file);
  ASSERT_EQ(hashed.find("git.example.com"), std::string::npos) << hashed;
  EXPECT_TRUE(KnownHostsTrust(hashed, "git.example.com", 22, blob.out)) << hashed;
  EXPECT_TRUE(KnownHostsTrust(hashed, "git.example.com", 2222, blob.out)) << hashed;
  EXPECT_FALSE(KnownHostsTrust(hashed, "other.example.com", 22, blob.out));
}

}  // namespace
}  // namespace gantry::controllers::sync
