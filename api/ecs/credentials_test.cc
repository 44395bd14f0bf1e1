#include "api/ecs/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace gantry::ecs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CredentialsTest, ParsesLinesCommentsBlanksAndWhitespace) {
  auto creds = Credentials::FromText(
      "# gantry ECS access keys\n"
      "\n"
      "AKIDEXAMPLE,wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
      "   AKIDTEST ,  secret  \r\n"
      "\t# indented comment\n"
      "AKID3,s3",  // no final newline
      "creds.csv");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->size(), 3u);
  ASSERT_NE(creds->FindSecret("AKIDEXAMPLE"), nullptr);
  EXPECT_EQ(*creds->FindSecret("AKIDEXAMPLE"), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  ASSERT_NE(creds->FindSecret("AKIDTEST"), nullptr);
  EXPECT_EQ(*creds->FindSecret("AKIDTEST"), "secret");
  EXPECT_EQ(*creds->FindSecret("AKID3"), "s3");
  EXPECT_EQ(creds->FindSecret("akidtest"), nullptr);  // ids are case-sensitive, as at AWS
  EXPECT_EQ(creds->FindSecret("NOPE"), nullptr);
}

TEST(CredentialsTest, SkipsAByteOrderMark) {
  auto creds = Credentials::FromText(
      "\xEF\xBB\xBF"
      "AKID,secret\n",
      "creds.csv");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_NE(creds->FindSecret("AKID"), nullptr);
}

struct BadCase {
  const char* text;
  const char* message;
};

TEST(CredentialsTest, ErrorsNameFileAndLineAndNeverTheSecret) {
  const BadCase cases[] = {
      {"A,s1\n# c\nAKID topsecret\n", "creds.csv line 3: expected ACCESS_KEY_ID,SECRET[,ROLE]"},
      {"AKID,topsecret,editor,x\n", "creds.csv line 1: expected ACCESS_KEY_ID,SECRET[,ROLE]"},
      {"AKID,topsecret,root\n",
       "creds.csv line 1: the role must be admin, editor or viewer (agents authenticate with a "
       "token or a client certificate)"},
      {"AKID,topsecret,agent\n",
       "creds.csv line 1: the role must be admin, editor or viewer (agents authenticate with a "
       "token or a client certificate)"},
      {"\n , topsecret\n",
       "creds.csv line 2: expected ACCESS_KEY_ID,SECRET[,ROLE] (the access key id is empty)"},
      {"AKID,  \n", "creds.csv line 1: expected ACCESS_KEY_ID,SECRET[,ROLE] (the secret is empty)"},
      {"AKID topsecret/x,y\n",
       "creds.csv line 1: the access key id may not contain spaces, control characters, '/', "
       "',', ';' or '='"},
      {"AKID/2,topsecret\n",
       "creds.csv line 1: the access key id may not contain spaces, control characters, '/', "
       "',', ';' or '='"},
      {"AKID,topsecret\nB,x\n AKID , othersecret\n",
       "creds.csv line 3: access key id 'AKID' is already listed on line 1"},
      {"", "creds.csv: no credentials (expected ACCESS_KEY_ID,SECRET[,ROLE] lines)"},
      {"# only a comment\n\n",
       "creds.csv: no credentials (expected ACCESS_KEY_ID,SECRET[,ROLE] lines)"},
  };
  for (const BadCase& c : cases) {
    auto creds = Credentials::FromText(c.text, "creds.csv");
    ASSERT_FALSE(creds.ok()) << c.text;
    EXPECT_EQ(creds.status().code(), api::Code::kInvalidArgument) << c.text;
    EXPECT_EQ(creds.status().message(), c.message) << c.text;
    EXPECT_THAT(creds.status().ToString(), Not(HasSubstr("topsecret"))) << c.text;
    EXPECT_THAT(creds.status().ToString(), Not(HasSubstr("othersecret"))) << c.text;
  }
}

TEST(CredentialsTest, RolesDefaultToEditor) {
  auto creds = Credentials::FromText("A1,s1\nA2,s2,viewer\nA3,s3, admin \n", "creds.csv");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->Find("A1")->role, api::Role::kEditor);
  EXPECT_EQ(creds->Find("A2")->role, api::Role::kViewer);
  EXPECT_EQ(creds->Find("A3")->role, api::Role::kAdmin);
  EXPECT_EQ(creds->Find("A3")->secret, "s3");
}

TEST(CredentialsTest, FromFile) {
  std::string path = ::testing::TempDir() + "/gantry_sigv4_creds.csv";
  {
    std::ofstream f(path);
    f << "# test\nAKIDTEST,secret\n";
  }
  auto creds = Credentials::FromFile(path);
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(*creds->FindSecret("AKIDTEST"), "secret");
  {
    std::ofstream f(path);
    f << "AKIDTEST,secret\nAKIDTEST,secret2\n";
  }
  creds = Credentials::FromFile(path);
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().message(),
            path + " line 2: access key id 'AKIDTEST' is already listed on line 1");
  std::remove(path.c_str());

  creds = Credentials::FromFile(path + ".missing");
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), api::Code::kInvalidArgument);
  EXPECT_EQ(creds.status().message(), path + ".missing: cannot open the credentials file");
}

}  // namespace
}  // namespace gantry::ecs
