#include "api/status/status.h"

#include <gtest/gtest.h>

namespace gantry::api {
namespace {

TEST(StatusTest, HttpMapping) {
  EXPECT_EQ(HttpStatus(Code::kOk), 200);
  EXPECT_EQ(HttpStatus(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(Code::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(Code::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatus(Code::kAborted), 409);
  EXPECT_EQ(HttpStatus(Code::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(Code::kOutOfRange), 410);
  EXPECT_EQ(HttpStatus(Code::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatus(Code::kUnavailable), 503);
  EXPECT_STREQ(HttpReason(Code::kAborted), "Conflict");
  EXPECT_STREQ(HttpReason(Code::kOutOfRange), "Gone");
}

TEST(StatusTest, ValuesAndFields) {
  Status s = InvalidArgument("spec.desiredCount", "must not be negative");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "spec.desiredCount: must not be negative");
  StatusOr<int> v = 3;
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  StatusOr<int> e = Status(Code::kNotFound, "service web not found");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().ToString(), "service web not found");
}

}  // namespace
}  // namespace gantry::api
