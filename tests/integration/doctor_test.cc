// `signet doctor` as a user runs it: on the environment it was started with, and on
// another process's (--pid), never printing a value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/json.h"
#include "support/status_matchers.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace signet {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

// `signet doctor ARGS` with exactly the environment `environment` ("A=1 B=2", shell
// words); stdout and stderr together.
std::string Doctor(const std::string& environment, const std::string& args, int* code) {
  return testing::RunCommand(
      "env -i " + environment + " " + SIGNET_PATH + " doctor " + args + " 2>&1", code);
}

TEST(DoctorCliTest, ACleanEnvironmentExitsZero) {
  int code = -1;
  std::string out = Doctor("PATH=/usr/bin:/bin HOME=/tmp", "", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("this environment: no static credential shadows federation"));
}

TEST(DoctorCliTest, StaticCredentialsAreNamedAndTheirValuesAreNot) {
  int code = -1;
  std::string out = Doctor(
      "ANTHROPIC_API_KEY=sk-ant-api03-SECRETVALUE AWS_ACCESS_KEY_ID=AKIASECRETVALUE "
      "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:7070/aws/credentials/aws",
      "", &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("2 static credentials would be used before federation"));
  EXPECT_THAT(out, HasSubstr("ANTHROPIC_API_KEY: set (24 characters), shaped like a real key"));
  EXPECT_THAT(out, HasSubstr("AWS_ACCESS_KEY_ID: set (15 characters)"));
  EXPECT_THAT(out, HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI is set"));
  EXPECT_THAT(out, Not(HasSubstr("SECRETVALUE")));

  out = Doctor("HF_TOKEN=hf_SECRETVALUE", "--format json", &code);
  EXPECT_EQ(code, 1) << out;
  Result<boost::json::object> json = ParseJsonObject(out);
  ASSERT_THAT(json, IsOk()) << out;
  EXPECT_EQ(json->at("findings").as_array().size(), 1u);
  EXPECT_THAT(out, Not(HasSubstr("SECRETVALUE")));
}

TEST(DoctorCliTest, AnotherProcessByPid) {
  testing::TempDir dir;
  std::ofstream(dir.File("key.json")) << R"({"type": "service_account", "private_key": "k"})";
  testing::ReadyPipe ready;
  // A process whose whole environment is crafted, in `dir`, naming its key file relatively;
  // it says when it runs, then waits to be killed.
  testing::Subprocess child(
      {"/bin/sh", "-c",
       "cd '" + dir.path() +
           "' && exec env -i OPENAI_API_KEY=sk-proj-SECRETVALUE "
           "GOOGLE_APPLICATION_CREDENTIALS=key.json /bin/sh -c 'echo ready > " +
           ready.path() + "; exec sleep 600'"},
      dir.File("child.log"));
  ASSERT_EQ(ready.ReadLine(std::chrono::seconds(10)), "ready");

  int code = -1;
  std::string out = Doctor("PATH=/usr/bin:/bin", "--pid " + std::to_string(child.pid()), &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("process " + std::to_string(child.pid()) + ": 2 static credentials"));
  EXPECT_THAT(out, HasSubstr("OPENAI_API_KEY: set (19 characters), shaped like a real key"));
  EXPECT_THAT(
      out,
      HasSubstr("GOOGLE_APPLICATION_CREDENTIALS: names a service-account key file (key.json)"));
  EXPECT_THAT(out, Not(HasSubstr("SECRETVALUE")));

  out = Doctor("", "--pid 999999999", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("no such process"));
}

}  // namespace
}  // namespace signet
