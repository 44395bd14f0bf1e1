#include "placement/cql/literals.h"

#include <gtest/gtest.h>

namespace gantry::placement::cql {
namespace {

TEST(ParseTimestampTest, TheFourEcsFormatsAgree) {
  // 2018-06-18T22:28:28Z = 1529360908 s since the epoch.
  constexpr int64_t kMs = 1529360908000;
  EXPECT_EQ(ParseTimestamp("2018-06-18T22:28:28+00:00"), kMs);
  EXPECT_EQ(ParseTimestamp("2018-06-18T22:28:28Z"), kMs);
  EXPECT_EQ(ParseTimestamp("2018-06-18T22:28:28"), kMs);  // no offset: UTC
  EXPECT_EQ(ParseTimestamp("2018-06-18"), kMs - (22 * 3600 + 28 * 60 + 28) * 1000);
}

TEST(ParseTimestampTest, OffsetsAndFractions) {
  EXPECT_EQ(ParseTimestamp("2018-06-18T22:28:28+02:00"), ParseTimestamp("2018-06-18T20:28:28Z"));
  EXPECT_EQ(ParseTimestamp("2018-06-18T22:28:28-0130"), ParseTimestamp("2018-06-18T23:58:28Z"));
  EXPECT_EQ(*ParseTimestamp("2018-06-18T22:28:28.250Z") - *ParseTimestamp("2018-06-18T22:28:28Z"),
            250);
  EXPECT_EQ(ParseTimestamp("1970-01-01"), 0);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(ParseTimestamp("2000-02-29"), 951782400000);  // leap year
}

TEST(ParseTimestampTest, RejectsMalformed) {
  for (const char* bad : {"", "2018", "2018-6-18", "2018-13-01", "2018-02-29", "2018-06-31",
                          "2018-06-18T24:00:00", "2018-06-18T22:60:00", "2018-06-18T22:28",
                          "2018-06-18 22:28:28", "2018-06-18T22:28:28ZZ", "2018-06-18T22:28:28+",
                          "2018-06-18T22:28:28.Z", "yesterday", "2018-06-18T22:28:28+25:00"}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

TEST(VersionTest, ComparesNumericallyByComponent) {
  EXPECT_LT(CompareVersions("1.9.0", "1.14.5"), 0);
  EXPECT_GT(CompareVersions("1.14.5", "1.9.0"), 0);
  EXPECT_EQ(CompareVersions("1.14", "1.14.0"), 0);
  EXPECT_EQ(CompareVersions("01.2", "1.2"), 0);
  EXPECT_LT(CompareVersions("1.14.4", "1.14.5"), 0);
  EXPECT_GT(CompareVersions("2", "1.99.99"), 0);
  EXPECT_LT(CompareVersions("1.2.3", "1.2.3.1"), 0);
  EXPECT_GT(CompareVersions("99999999999999999999999", "1"), 0);  // no overflow
  EXPECT_LT(CompareVersions("1.2.3-beta", "1.2.4"), 0);
}

TEST(VersionTest, IsVersion) {
  EXPECT_TRUE(IsVersion("1.14.5"));
  EXPECT_TRUE(IsVersion("2"));
  EXPECT_FALSE(IsVersion(""));
  EXPECT_FALSE(IsVersion("1..2"));
  EXPECT_FALSE(IsVersion(".1"));
  EXPECT_FALSE(IsVersion("1."));
  EXPECT_FALSE(IsVersion("v1.2"));
}

TEST(NumberTest, ParsesFiniteDecimals) {
  EXPECT_EQ(ParseNumber("42"), 42.0);
  EXPECT_EQ(ParseNumber("-1.5"), -1.5);
  EXPECT_EQ(ParseNumber("2e3"), 2000.0);
  for (const char* bad : {"", "abc", "1.2.3", "10a", "inf", "nan", "+1", " 1"}) {
    EXPECT_FALSE(ParseNumber(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseNonNegativeInteger("7"), 7);
  EXPECT_FALSE(ParseNonNegativeInteger("-1").has_value());
  EXPECT_FALSE(ParseNonNegativeInteger("1.0").has_value());
  EXPECT_FALSE(ParseNonNegativeInteger("99999999999999999999").has_value());
}

}  // namespace
}  // namespace gantry::placement::cql
