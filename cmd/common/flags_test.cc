#include "cmd/common/flags.h"

#include <gtest/gtest.h>

namespace gantry::cmd {
namespace {

using namespace std::chrono_literals;

TEST(FlagsTest, NextFlagForms) {
  std::vector<std::string> args = {"--a=1", "--b", "2", "-h", "--c"};
  size_t i = 0;
  std::string name, value;
  EXPECT_EQ(NextFlag(args, i, name, value), FlagResult::kFlag);
  EXPECT_EQ(name, "--a");
  EXPECT_EQ(value, "1");
  ++i;
  EXPECT_EQ(NextFlag(args, i, name, value), FlagResult::kFlag);
  EXPECT_EQ(name, "--b");
  EXPECT_EQ(value, "2");
  ++i;
  EXPECT_EQ(NextFlag(args, i, name, value), FlagResult::kHelp);
  ++i;
  EXPECT_EQ(NextFlag(args, i, name, value), FlagResult::kMissingValue);
}

TEST(FlagsTest, Durations) {
  std::chrono::milliseconds ms;
  ASSERT_TRUE(ParseDuration("500ms", ms));
  EXPECT_EQ(ms, 500ms);
  ASSERT_TRUE(ParseDuration("90s", ms));
  EXPECT_EQ(ms, 90s);
  ASSERT_TRUE(ParseDuration("30", ms));
  EXPECT_EQ(ms, 30s);
  ASSERT_TRUE(ParseDuration("10m", ms));
  EXPECT_EQ(ms, 10min);
  ASSERT_TRUE(ParseDuration("1h", ms));
  EXPECT_EQ(ms, 1h);
  for (const char* bad : {"", "0s", "s", "-1s", "5d", "1.5s", "10000000000s"})
    EXPECT_FALSE(ParseDuration(bad, ms)) << bad;
  std::chrono::seconds s;
  ASSERT_TRUE(ParseSeconds("2m", s));
  EXPECT_EQ(s, 120s);
  EXPECT_FALSE(ParseSeconds("500ms", s));
}

TEST(FlagsTest, LoopbackIsDecidedFromTheAddress) {
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"})
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  for (const char* host :
       {"127.example.com", "127.0.0.1.nip.io", "0.0.0.0", "::", "10.0.0.1", "128.0.0.1",
        "localhost.", "LOCALHOST2", "", "::ffff:10.0.0.1", "[::1]", "127.0.0.1 "})
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
}

TEST(FlagsTest, SplitHostPort) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:7700", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 7700);
  ASSERT_TRUE(SplitHostPort("[::1]:80", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("::1:80", host, port));
  EXPECT_FALSE(SplitHostPort("host:0", host, port));
  EXPECT_TRUE(SplitHostPort("host:0", host, port, true));
  EXPECT_FALSE(SplitHostPort("host:65536", host, port));
  EXPECT_FALSE(SplitHostPort("host:+80", host, port));
  EXPECT_FALSE(SplitHostPort(":80", host, port));
  EXPECT_FALSE(SplitHostPort("host", host, port));
}

}  // namespace
}  // namespace gantry::cmd
