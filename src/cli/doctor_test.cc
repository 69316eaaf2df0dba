#include "cli/doctor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/json.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::IsOk;
using ::testing::Not;

constexpr char kAnthropicKey[] = "sk-ant-api03-not-a-real-key-0123456789";

std::vector<std::string> Variables(const Diagnosis& diagnosis) {
  std::vector<std::string> names;
  for (const DoctorFinding& finding : diagnosis.findings) {
    names.push_back(finding.variable);
  }
  return names;
}

class DoctorTest : public ::testing::Test {
 protected:
  Diagnosis Run(const Environment& environment) { return Diagnose(environment, LocalFileReader()); }

  std::string KeyFile(const std::string& name, const std::string& json) {
    std::ofstream(dir_.File(name)) << json;
    return dir_.File(name);
  }

  testing::TempDir dir_;
};

TEST_F(DoctorTest, ACleanEnvironmentHasNoFinding) {
  Diagnosis diagnosis = Run({{"PATH", "/usr/bin"},
                             {"HOME", "/home/app"},
                             {"ANTHROPIC_FEDERATION_RULE_ID", "fdrl_1"},
                             {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:7070/aws"},
                             {"SIGNET_API_KEY", "not a vendor's"}});
  EXPECT_THAT(diagnosis.findings, IsEmpty());
  EXPECT_THAT(diagnosis.notes, IsEmpty());
  std::ostringstream out;
  EXPECT_EQ(PrintDiagnosis(diagnosis, "this environment", "text", out), 0);
  EXPECT_THAT(out.str(), HasSubstr("no static credential"));
}

TEST_F(DoctorTest, AnthropicKeyShadowsFederationAndItsValueIsNeverPrinted) {
  Diagnosis diagnosis = Run({{"ANTHROPIC_API_KEY", kAnthropicKey},
                             {"ANTHROPIC_FEDERATION_RULE_ID", "fdrl_1"},
                             {"ANTHROPIC_IDENTITY_TOKEN_FILE", "/var/run/token"}});
  ASSERT_THAT(Variables(diagnosis), ElementsAre("ANTHROPIC_API_KEY"));
  const DoctorFinding& finding = diagnosis.findings[0];
  EXPECT_EQ(finding.state, "set (38 characters), shaped like a real key");
  EXPECT_THAT(finding.shadows, HasSubstr("workload identity federation"));
  EXPECT_THAT(finding.shadows,
              HasSubstr("ANTHROPIC_FEDERATION_RULE_ID, ANTHROPIC_IDENTITY_TOKEN_FILE is set"));
  EXPECT_THAT(finding.remove, HasSubstr("unset ANTHROPIC_API_KEY"));
  EXPECT_THAT(finding.instead, HasSubstr("ANTHROPIC_BASE_URL=http://127.0.0.1:PORT/"));

  for (std::string format : {"text", "json"}) {
    std::ostringstream out;
    EXPECT_EQ(PrintDiagnosis(diagnosis, "process 7", format, out), 1);
    EXPECT_THAT(out.str(), HasSubstr("ANTHROPIC_API_KEY"));
    EXPECT_THAT(out.str(), Not(HasSubstr("not-a-real-key"))) << format;
  }
}

TEST_F(DoctorTest, AnEmptyAuthTokenStillWins) {
  Diagnosis diagnosis = Run({{"ANTHROPIC_AUTH_TOKEN", ""}});
  ASSERT_THAT(Variables(diagnosis), ElementsAre("ANTHROPIC_AUTH_TOKEN"));
  EXPECT_EQ(diagnosis.findings[0].state, "set but empty");
  EXPECT_THAT(diagnosis.findings[0].remove, HasSubstr("an empty value still wins"));
}

TEST_F(DoctorTest, APlaceholderKeyBesideTheAgentsProxyIsANote) {
  Diagnosis diagnosis = Run({{"ANTHROPIC_API_KEY", "placeholder"},
                             {"ANTHROPIC_BASE_URL", "http://127.0.0.1:7070/claude"},
                             {"OPENAI_API_KEY", "dummy"},
                             {"OPENAI_BASE_URL", "http://[::1]:7070/openai"}});
  EXPECT_THAT(diagnosis.findings, IsEmpty());
  ASSERT_EQ(diagnosis.notes.size(), 2u);
  EXPECT_THAT(diagnosis.notes[0], HasSubstr("ANTHROPIC_API_KEY is set (11 characters)"));
  EXPECT_THAT(diagnosis.notes[0], HasSubstr("loopback proxy"));

  // A real key there is still a finding, and so is any key beside a remote base URL.
  diagnosis = Run({{"ANTHROPIC_API_KEY", kAnthropicKey},
                   {"ANTHROPIC_BASE_URL", "http://127.0.0.1:7070/claude"},
                   {"OPENAI_API_KEY", "dummy"},
                   {"OPENAI_BASE_URL", "https://api.openai.com/v1"}});
  EXPECT_THAT(Variables(diagnosis), ElementsAre("ANTHROPIC_API_KEY", "OPENAI_API_KEY"));
  EXPECT_THAT(diagnosis.notes, IsEmpty());
}

TEST_F(DoctorTest, AwsKeysShadowTheContainerEndpoint) {
  Diagnosis diagnosis = Run({{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"},
                             {"AWS_SECRET_ACCESS_KEY", "secret"},
                             {"AWS_SESSION_TOKEN", "session"},
                             {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:7070/aws"}});
  ASSERT_THAT(Variables(diagnosis),
              ElementsAre("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"));
  EXPECT_THAT(diagnosis.findings[0].shadows,
              HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI is set: federation is configured"));
  EXPECT_THAT(diagnosis.findings[0].instead, HasSubstr("/aws/credentials/<destination>"));
}

TEST_F(DoctorTest, GoogleCredentialsAreReadToTellAKeyFromFederation) {
  std::string key = KeyFile("key.json",
                            R"({"type": "service_account", "project_id": "p",
                                "private_key": "-----BEGIN PRIVATE KEY-----\nMII\n"})");
  Diagnosis diagnosis = Run({{"GOOGLE_APPLICATION_CREDENTIALS", key}});
  ASSERT_THAT(Variables(diagnosis), ElementsAre("GOOGLE_APPLICATION_CREDENTIALS"));
  EXPECT_EQ(diagnosis.findings[0].state, "names a service-account key file (" + key + ")");
  EXPECT_THAT(diagnosis.findings[0].instead, HasSubstr("external_account"));

  std::string federation =
      KeyFile("wif.json",
              R"({"type": "external_account", "audience": "//iam.googleapis.com/projects/1/x",
          "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
          "token_url": "https://sts.googleapis.com/v1/token",
          "credential_source": {"file": "/var/run/signet/token"}})");
  EXPECT_THAT(Run({{"GOOGLE_APPLICATION_CREDENTIALS", federation}}).findings, IsEmpty());

  std::string impersonated =
      KeyFile("impersonated.json",
              R"({"type": "impersonated_service_account", "service_account_impersonation_url": "u",
          "source_credentials": {"type": "external_account", "audience": "a"}})");
  EXPECT_THAT(Run({{"GOOGLE_APPLICATION_CREDENTIALS", impersonated}}).findings, IsEmpty());

  std::string user = KeyFile("user.json", R"({"type": "authorized_user", "refresh_token": "r"})");
  diagnosis = Run({{"GOOGLE_APPLICATION_CREDENTIALS", user}});
  ASSERT_THAT(Variables(diagnosis), ElementsAre("GOOGLE_APPLICATION_CREDENTIALS"));
  EXPECT_THAT(diagnosis.findings[0].state, HasSubstr("\"authorized_user\""));

  diagnosis = Run({{"GOOGLE_APPLICATION_CREDENTIALS", dir_.File("missing.json")}});
  ASSERT_THAT(Variables(diagnosis), ElementsAre("GOOGLE_APPLICATION_CREDENTIALS"));
  EXPECT_THAT(diagnosis.findings[0].state, HasSubstr("cannot be read"));
}

TEST_F(DoctorTest, AzureGitHubHuggingFaceAndOtherApiKeys) {
  Diagnosis diagnosis = Run({{"AZURE_CLIENT_SECRET", "s"},
                             {"AZURE_CLIENT_CERTIFICATE_PATH", "/etc/cert.pem"},
                             {"AZURE_FEDERATED_TOKEN_FILE", "/var/run/azure/token"},
                             {"GITHUB_TOKEN", "ghp_personal"},
                             {"GH_TOKEN", "ghs_installation"},
                             {"HF_TOKEN", "hf_x"},
                             {"MISTRAL_API_KEY", "m"}});
  EXPECT_THAT(Variables(diagnosis),
              ElementsAre("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "GITHUB_TOKEN",
                          "HF_TOKEN", "MISTRAL_API_KEY"));
  EXPECT_THAT(diagnosis.findings[0].shadows, HasSubstr("AZURE_FEDERATED_TOKEN_FILE is set"));
  EXPECT_THAT(diagnosis.findings[2].instead, HasSubstr("github-app destination"));
  EXPECT_THAT(diagnosis.findings[4].instead, HasSubstr("static-secret destination"));
  // An installation token (as GitHub Actions gives each job) expires by itself.
  ASSERT_EQ(diagnosis.notes.size(), 1u);
  EXPECT_THAT(diagnosis.notes[0], HasSubstr("GH_TOKEN holds a GitHub App installation token"));
}

TEST_F(DoctorTest, JsonOutputIsParseable) {
  Diagnosis diagnosis = Run({{"HF_TOKEN", "hf_secret_value"}});
  std::ostringstream out;
  EXPECT_EQ(PrintDiagnosis(diagnosis, "process 9", "json", out), 1);
  Result<boost::json::object> json = ParseJsonObject(out.str());
  ASSERT_THAT(json, IsOk()) << out.str();
  EXPECT_EQ(json->at("subject").as_string(), "process 9");
  const boost::json::object& finding = json->at("findings").as_array().at(0).as_object();
  EXPECT_EQ(finding.at("variable").as_string(), "HF_TOKEN");
  EXPECT_EQ(finding.at("state").as_string(), "set (15 characters)");
  EXPECT_TRUE(json->at("notes").as_array().empty());
  EXPECT_THAT(out.str(), Not(HasSubstr("hf_secret_value")));
}

TEST_F(DoctorTest, ProcessEnvironmentAndFilesAreReadAsTheProcessSeesThem) {
  // A directory shaped like /proc/<pid>: environ, root and cwd.
  std::string proc = dir_.File("proc");
  std::filesystem::create_directories(proc + "/42/root/etc");
  std::filesystem::create_directories(proc + "/42/cwd");
  std::ofstream(proc + "/42/environ", std::ios::binary)
      << std::string("A=1\0GOOGLE_APPLICATION_CREDENTIALS=/etc/key.json\0B=x=y\0", 55);
  std::ofstream(proc + "/42/root/etc/key.json") << R"({"type": "service_account"})";
  std::ofstream(proc + "/42/cwd/rel.json") << R"({"type": "external_account"})";

  Result<Environment> environment = ProcessEnvironment(42, proc);
  ASSERT_THAT(environment, IsOk());
  EXPECT_EQ(
      *environment,
      (Environment{{"A", "1"}, {"GOOGLE_APPLICATION_CREDENTIALS", "/etc/key.json"}, {"B", "x=y"}}));
  FileReader read = ProcessFileReader(42, proc);
  EXPECT_THAT(Variables(Diagnose(*environment, read)),
              ElementsAre("GOOGLE_APPLICATION_CREDENTIALS"));
  EXPECT_THAT(Diagnose({{"GOOGLE_APPLICATION_CREDENTIALS", "rel.json"}}, read).findings, IsEmpty());

  Result<Environment> missing = ProcessEnvironment(43, proc);
  EXPECT_THAT(missing, testing::FailsWithCode(ErrorCode::kInvalidRequest, "process_unreadable"));
  EXPECT_THAT(missing.status().message(), HasSubstr("no such process"));
}

TEST_F(DoctorTest, AKeyFileThatNeverEndsIsNotReadWhole) {
  Diagnosis diagnosis = Run({{"GOOGLE_APPLICATION_CREDENTIALS", "/dev/zero"}});
  ASSERT_THAT(Variables(diagnosis), ElementsAre("GOOGLE_APPLICATION_CREDENTIALS"));
  EXPECT_THAT(diagnosis.findings[0].state, HasSubstr("cannot be read"));
}

}  // namespace
}  // namespace signet::cli
