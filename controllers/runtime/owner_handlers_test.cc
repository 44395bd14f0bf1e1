#include "controllers/runtime/owner_handlers.h"

#include <gtest/gtest.h>

namespace gantry::controllers::runtime {
namespace {

TEST(OwnerHandlersTest, FamilyOfEveryWayAReferenceIsWritten) {
  EXPECT_EQ(FamilyOf("web"), "web");
  EXPECT_EQ(FamilyOf("web:3"), "web");
  EXPECT_EQ(FamilyOf("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3"), "web");
  EXPECT_EQ(FamilyOf("arn:aws:ecs:us-east-1:000000000000:task-definition/web"), "web");
  EXPECT_EQ(FamilyOf(""), "");
}

}  // namespace
}  // namespace gantry::controllers::runtime
