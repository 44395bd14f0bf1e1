#include "cli/help/verb_help.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/help/completion.h"

namespace gantry::cli {
namespace {

TEST(VerbHelpTest, EveryVerbHasUsageASummaryAndAnExample) {
  for (const char* verb : {"apply",
                           "get",
                           "describe",
                           "delete",
                           "diff",
                           "wait",
                           "plan",
                           "scale",
                           "rollout",
                           "events",
                           "logs",
                           "run-task",
                           "list-container-instances",
                           "drain",
                           "undrain",
                           "stop-task",
                           "describe-tasks",
                           "status",
                           "simulate",
                           "completion",
                           "version",
                           "help"}) {
    const VerbHelp* help = FindVerbHelp(verb);
    ASSERT_NE(help, nullptr) << verb;
    const std::string text = HelpText(*help);
    EXPECT_NE(text.find("usage: gantryctl " + std::string(verb)), std::string::npos) << text;
    EXPECT_NE(text.find("examples:\n  "), std::string::npos) << text;
    // The example runs the verb itself.
    EXPECT_NE(std::string(help->examples).find("gantryctl " + std::string(verb)), std::string::npos)
        << text;
  }
  EXPECT_EQ(FindVerbHelp("nope"), nullptr);
  EXPECT_TRUE(AsksForHelp({"svc", "-h"}));
  EXPECT_TRUE(AsksForHelp({"--help"}));
  EXPECT_FALSE(AsksForHelp({"svc", "web"}));
}

TEST(VerbHelpTest, CompletionOffersEveryVerbKindAndFlag) {
  for (const char* shell : {"bash", "zsh"}) {
    std::ostringstream out, err;
    ASSERT_EQ(RunCompletion({shell}, out, err), 0) << err.str();
    const std::string script = out.str();
    for (const auto& v : AllVerbHelp())
      EXPECT_NE(script.find(v.verb), std::string::npos) << shell << " lacks " << v.verb;
    for (const char* word :
         {"services", "svc", "environments", "--placement-strategy", "--dry-run", "--timeout"})
      EXPECT_NE(script.find(word), std::string::npos) << shell << " lacks " << word;
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunCompletion({"fish"}, out, err), 2);
  EXPECT_NE(err.str().find("bash|zsh"), std::string::npos);
}

}  // namespace
}  // namespace gantry::cli
