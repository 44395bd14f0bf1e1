// A Sync's Git fetch over ssh: a real sshd of its own on a loopback port (Debian's
// openssh-server, run as root as CI runs), serving a repository with keys made at test time.
//
// libgit2 1.5's ssh transport leaks a few dozen bytes per connection inside libgit2 and libssh2
// (LeakSanitizer: allocations under git_remote_connect_ext and libssh2_userauth_list, freed by
// neither library). That is theirs, so it is suppressed here, in this binary only, where every
// fetch is an ssh one; every other fetch test runs with full leak checking.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controllers/sync/git_source.h"
#include "tests/testlib/eventually.h"
#include "tests/testlib/git_repo.h"
#include "tests/testlib/testlib.h"

extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libssh2.so\nleak:git_remote_connect_ext\n";
}

namespace gantry::controllers::sync {
namespace {

using api::Code;
using testlib::ReadFile;

void RunOk(const std::vector<std::string>& argv) {
  auto r = testlib::RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " " << argv[1] << ": " << r.out << r.err;
}

class GitOverSshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/sbin/sshd", X_OK) != 0 || ::geteuid() != 0) {
      GTEST_SKIP() << "needs /usr/sbin/sshd and root (scripts/install-deps.sh installs it; CI "
                      "runs as root)";
    }
    const std::string d = dir_.path();
    for (const char* key : {"host", "other-host", "client", "stranger"}) {
      ASSERT_NO_FATAL_FAILURE(
          RunOk({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/" + key}));
    }
    std::ofstream(d + "/authorized_keys") << ReadFile(d + "/client.pub");
    port_ = testlib::FreePort();
    std::ofstream(d + "/sshd_config")
        << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey " << d << "/host\n"
        << "AuthorizedKeysFile " << d << "/authorized_keys\nPasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        << "StrictModes no\nUsePAM no\nPidFile " << d << "/sshd.pid\n";
    std::filesystem::create_directories("/run/sshd");  // sshd's privilege separation directory
    sshd_ = std::make_unique<testlib::Process>(
        std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f", d + "/sshd_config"},
        d + "/sshd.log");
    ASSERT_TRUE(
        testlib::Eventually([&] { return testlib::PortAccepts(port_); }, std::chrono::seconds(5)))
        << ReadFile(d + "/sshd.log");
    repo_.Write("deploy/web.yaml", "kind: Service\n");
    commit_ = repo_.Commit("first");
  }
  // known_hosts naming the server by `[127.0.0.1]:PORT` with the public key in `pub`.
  std::string KnownHosts(const std::string& pub) const {
    std::istringstream in(ReadFile(dir_.path() + "/" + pub));
    std::string type, base64;
    in >> type >> base64;
    return "[127.0.0.1]:" + std::to_string(port_) + " " + type + " " + base64 + "\n";
  }
  api::StatusOr<FetchedTree> Fetch(const std::string& key, const std::string& known_hosts) {
    const std::string url = "ssh://root@127.0.0.1:" + std::to_string(port_) + repo_.url();
    return source_.Fetch(
        {url, "main", "deploy", {"", "", ReadFile(dir_.path() + "/" + key), known_hosts, ""}});
  }

  testlib::TempDir dir_;
  testlib::GitRepo repo_{dir_.path()};
  std::string commit_;
  int port_ = 0;
  std::unique_ptr<testlib::Process> sshd_;
  GitSource source_{dir_.path() + "/cache"};
};

TEST_F(GitOverSshTest, AKeyFetchesFromTheServerKnownHostsNames) {
  auto fetched = Fetch("client", KnownHosts("host.pub"));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString() << "\n"
                            << ReadFile(dir_.path() + "/sshd.log");
  EXPECT_EQ(fetched->commit, commit_);
  ASSERT_EQ(fetched->files.size(), 1u);

  auto impostor = Fetch("client", KnownHosts("other-host.pub"));
  ASSERT_FALSE(impostor.ok());
  EXPECT_EQ(impostor.status().code(), Code::kPermissionDenied) << impostor.status().ToString();
  EXPECT_NE(impostor.status().message().find("is not in the known_hosts"), std::string::npos)
      << impostor.status().ToString();

  auto stranger = Fetch("stranger", KnownHosts("host.pub"));
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.status().code(), Code::kUnauthenticated) << stranger.status().ToString();
  EXPECT_EQ(stranger.status().ToString().find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace gantry::controllers::sync
