#include "agent/driver/task_user.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>

namespace gantry::agent {
namespace {

using ::testing::HasSubstr;

TaskUserPolicy RootAgent(bool allow_root = false) {
  TaskUserPolicy policy;
  policy.agent_uid = 0;
  policy.agent_gid = 0;
  policy.allow_root_tasks = allow_root;
  return policy;
}

TaskUserPolicy UnprivilegedAgent() {
  TaskUserPolicy policy;
  policy.agent_uid = 1000;
  policy.agent_gid = 1000;
  return policy;
}

TEST(ParseUserSpecTest, AcceptsTheEcsForms) {
  for (const char* text : {"nobody", "1234", "1234:1234", "www-data:www-data", "1234:staff",
                           "nobody:65534", "svc_1.x$"}) {
    auto spec = ParseUserSpec(text);
    EXPECT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
  }
  auto spec = ParseUserSpec("app:staff");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->user, "app");
  EXPECT_EQ(spec->group, "staff");
  EXPECT_FALSE(ParseUserSpec("app")->group.has_value());
}

TEST(ParseUserSpecTest, NamesTheFieldAndThePosition) {
  auto check = [](const char* text, const char* message) {
    auto spec = ParseUserSpec(text);
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(spec.status().code(), api::Code::kInvalidArgument) << text;
    EXPECT_EQ(spec.status().ToString(), message) << text;
  };
  check("", "user: must not be empty");
  check(":x", "user: the user at position 1 is empty");
  check("app:", "user: the group at position 5 is empty");
  check("a:b:c", "user: a second ':' at position 4 (the form is user, uid, user:group or uid:gid)");
  check("my user",
        "user: character ' ' at position 3 is not allowed in a user name (letters, digits, '_', "
        "'.', '-')");
  check("app:-x",
        "user: character '-' at position 5 is not allowed in a group name (letters, digits, '_', "
        "'.', '-')");
  check("4294967295", "user: the user id at position 1 must be between 0 and 4294967294");
  check("1:99999999999", "user: the group id at position 3 must be between 0 and 4294967294");
}

TEST(ResolveTaskUserTest, RootAgentRunsTasksWithoutUserAsTheDefaultUser) {
  struct passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr) << "this machine has no user nobody";
  auto id = ResolveTaskUser("", RootAgent());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->change);
  EXPECT_EQ(id->uid, nobody->pw_uid);
  EXPECT_EQ(id->gid, nobody->pw_gid);
  EXPECT_THAT(id->description, HasSubstr("(nobody)"));
}

TEST(ResolveTaskUserTest, NumbersNeedNoEntry) {
  auto id = ResolveTaskUser("1234:1234", RootAgent());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->change);
  EXPECT_EQ(id->uid, 1234u);
  EXPECT_EQ(id->gid, 1234u);
  if (getpwuid(4321) == nullptr) {
    // Not group 0, as Docker would pick: the group of the same number.
    auto alone = ResolveTaskUser("4321", RootAgent());
    ASSERT_TRUE(alone.ok()) << alone.status().ToString();
    EXPECT_EQ(alone->gid, 4321u);
  }
}

TEST(ResolveTaskUserTest, RootNeedsAnExplicitUserAndTheAgentsConsent) {
  for (const char* root : {"root", "0", "0:0", "root:root", "1234:0", "nobody:root"}) {
    auto refused = ResolveTaskUser(root, RootAgent());
    ASSERT_FALSE(refused.ok()) << root;
    EXPECT_EQ(refused.status().code(), api::Code::kFailedPrecondition) << root;
    EXPECT_THAT(refused.status().message(), HasSubstr("--allow-root-tasks")) << root;
    EXPECT_THAT(refused.status().message(), HasSubstr(std::string("user \"") + root + "\""));

    auto allowed = ResolveTaskUser(root, RootAgent(/*allow_root=*/true));
    ASSERT_TRUE(allowed.ok()) << root << ": " << allowed.status().ToString();
    EXPECT_TRUE(allowed->change);
  }
  EXPECT_EQ(ResolveTaskUser("root", RootAgent(true))->uid, 0u);

  // A default task user that is root is refused even when root tasks are allowed: only a
  // definition that asks for root gets it.
  TaskUserPolicy root_default = RootAgent(/*allow_root=*/true);
  root_default.default_user = "root";
  auto refused = ResolveTaskUser("", root_default);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), api::Code::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("never run as root"));
}

TEST(ResolveTaskUserTest, UnknownNamesAreRefusedWithAReason) {
  auto user = ResolveTaskUser("gantry-no-such-user", RootAgent());
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), api::Code::kFailedPrecondition);
  EXPECT_EQ(user.status().message(),
            "user \"gantry-no-such-user\": no user \"gantry-no-such-user\" on this machine");
  auto group = ResolveTaskUser("nobody:gantry-no-such-group", RootAgent());
  ASSERT_FALSE(group.ok());
  EXPECT_THAT(group.status().message(), HasSubstr("no group \"gantry-no-such-group\""));
  auto bad = ResolveTaskUser("a b", RootAgent());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), api::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "user");
}

TEST(ResolveTaskUserTest, UnprivilegedAgentRunsTasksOnlyAsItself) {
  auto self = ResolveTaskUser("", UnprivilegedAgent());
  ASSERT_TRUE(self.ok());
  EXPECT_FALSE(self->change);
  EXPECT_EQ(self->uid, 1000u);
  EXPECT_EQ(self->gid, 1000u);

  auto same = ResolveTaskUser("1000:1000", UnprivilegedAgent());
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_FALSE(same->change);

  for (const char* other : {"1234", "1000:1234", "root", "nobody"}) {
    auto refused = ResolveTaskUser(other, UnprivilegedAgent());
    ASSERT_FALSE(refused.ok()) << other;
    EXPECT_EQ(refused.status().code(), api::Code::kFailedPrecondition) << other;
    EXPECT_THAT(refused.status().message(), HasSubstr("can run tasks only as itself")) << other;
  }
}

}  // namespace
}  // namespace gantry::agent
