// Configuration as code over real HTTP and SQLite, with the operator's CLI: `signet diff`
// and `signet apply` from files and directories, errors that name file, line and field
// and apply nothing, export that round-trips, history and rollback, a second replica on
// the same store that follows an apply and a suspension within a second, and a restart
// that keeps the applied version instead of reverting to the start-up file.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/json.h"
#include "support/signet_processes.h"

namespace signet {
namespace {

using testing::ReadFile;

// Two workloads exist in the start-up file; only billing-api may reach orders-api.
constexpr std::string_view kAccessSections =
    "workloads:\n"
    "  - name: billing-api\n"
    "    identities:\n"
    "      - issuer: dev\n"
    "        claims: {sub: 'system:serviceaccount:billing:api'}\n"
    "  - name: reports\n"
    "    identities:\n"
    "      - issuer: dev\n"
    "        claims: {sub: 'system:serviceaccount:reports:job'}\n"
    "destinations:\n"
    "  - {name: orders-api, kind: signet-jwt, audience: 'https://orders.test'}\n"
    "policies:\n"
    "  - {name: billing-orders, workloads: [billing-api], destinations: [orders-api], "
    "max_ttl: 5m}\n";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idp_ = testing::StartDevIdp(SIGNET_PATH, dir_.path() + "/idp.log");
    ASSERT_FALSE(idp_->base_url.empty());
    issuers_ =
        "issuers:\n  - name: dev\n    issuer: " + idp_->base_url + "\n    audiences: [signet]\n";
    config_ = dir_.path() + "/signetd.yaml";
    std::ofstream(config_) << "server:\n  issuer: http://127.0.0.1:1\n  data_dir: " << dir_.path()
                           << "/data\n"
                           << issuers_ << kAccessSections;
    signetd_ = Start("signetd.log");
    ASSERT_FALSE(signetd_->base_url.empty()) << ReadFile(dir_.path() + "/signetd.log");
  }

  std::unique_ptr<testing::RunningProcess> Start(const std::string& log) {
    return testing::StartSignetd(SIGNETD_PATH, config_, dir_.path() + "/" + log);
  }

  // Writes `text` to `name` in the test directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }

  // `signet ARGS` against `server` (default: the first replica) with the bootstrap
  // token; stdout and stderr together.
  std::string Signet(const std::string& args, int* code, const std::string& server = "") {
    return testing::RunCommand(std::string(SIGNET_PATH) + " " + args + " --server " +
                                   (server.empty() ? signetd_->base_url : server) +
                                   " --token-file " + dir_.path() + "/data/admin.token 2>&1",
                               code);
  }

  int Exchange(const std::string& server, const std::string& sub) {
    std::string upstream = testing::MintToken(idp_->base_url, "sub=" + sub);
    return testing::ExchangeToken(server, upstream, "-d audience=orders-api").status;
  }

  // Exchanges for `sub` at `server` until the answer is `status` or a second has passed
  // since `since` (when the command that made the change returned); whether it got there
  // in time.
  bool ReachesWithinOneSecond(const std::string& server, const std::string& sub, int status,
                              MonotonicTime since) {
    do {
      if (Exchange(server, sub) == status) {
        return true;
      }
    } while (Clock::Real().MonotonicNow() - since < std::chrono::seconds(1));
    return false;
  }

  std::string History() {
    int code = -1;
    std::string out = Signet("history", &code);
    EXPECT_EQ(code, 0) << out;
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RunningProcess> idp_;
  std::unique_ptr<testing::RunningProcess> signetd_;
  std::string issuers_;
  std::string config_;
};

// The policy for `reports`, as a team would add it in a file of its own.
constexpr std::string_view kReportsPolicy =
    "policies:\n"
    "  - {name: reports-orders, workloads: [reports], destinations: [orders-api], "
    "max_ttl: 2m}\n";

TEST_F(ConfigTest, DiffApplyExportHistoryAndRollback) {
  const std::string reports = "system:serviceaccount:reports:job";
  ASSERT_EQ(Exchange(signetd_->base_url, reports), 400) << "reports has no policy yet";

  // The live configuration is the start-up file's, as version 1; export round-trips.
  int code = -1;
  std::string exported = Signet("export", &code);
  ASSERT_EQ(code, 0) << exported;
  EXPECT_NE(exported.find("version 1"), std::string::npos) << exported;
  std::string export_path = Write("export/live.yaml", exported.substr(exported.find('\n') + 1));
  std::string out = Signet("apply -f " + export_path, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("in force already"), std::string::npos) << out;
  EXPECT_EQ(History().find("  2  "), std::string::npos) << "a no-op apply made a version";

  // A directory: the base configuration plus a team's file beside it.
  Write("repo/00-base.yaml", issuers_ + std::string(kAccessSections));
  Write("repo/10-reports.yaml", std::string(kReportsPolicy));
  out = Signet("diff -f " + dir_.path() + "/repo", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("+ policies/reports-orders"), std::string::npos) << out;
  EXPECT_EQ(Exchange(signetd_->base_url, reports), 400) << "diff changed something";

  out = Signet("apply -f " + dir_.path() + "/repo --comment 'reports reads orders'", &code);
  auto applied_at = Clock::Real().MonotonicNow();
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("applied as config version 2"), std::string::npos) << out;
  EXPECT_TRUE(ReachesWithinOneSecond(signetd_->base_url, reports, 200, applied_at));
  std::string history = History();
  EXPECT_NE(history.find("* 2"), std::string::npos) << history;
  EXPECT_NE(history.find("reports reads orders"), std::string::npos) << history;

  // The change is in the audit trail with the versions before and after.
  std::string audit = testing::RunCommand(std::string(SIGNET_PATH) + " audit list --json" +
                                          " --data-dir " + dir_.path() + "/data");
  EXPECT_NE(audit.find("\"action\":\"apply_config\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"config_before\":\"1\",\"config_after\":\"2\""), std::string::npos)
      << audit;
  EXPECT_NE(audit.find("+policies/reports-orders"), std::string::npos) << audit;

  // Rolling back to an unknown version changes nothing; to version 1 undoes the apply.
  out = Signet("rollback --to 99", &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("99"), std::string::npos) << out;
  EXPECT_EQ(History(), history) << "a failed rollback changed the history";
  out = Signet("rollback --to 1 --comment 'undo'", &code);
  auto rolled_at = Clock::Real().MonotonicNow();
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("- policies/reports-orders"), std::string::npos) << out;
  EXPECT_TRUE(ReachesWithinOneSecond(signetd_->base_url, reports, 400, rolled_at));
  EXPECT_NE(History().find("* 3"), std::string::npos);
  EXPECT_NE(History().find("rollback of 1"), std::string::npos) << History();
}

TEST_F(ConfigTest, AnInvalidDocumentNamesFileLineAndFieldAndAppliesNothing) {
  std::string before = History();
  std::string good = Write("bad/00-base.yaml", issuers_ + std::string(kAccessSections));
  std::string bad = Write("bad/10-team.yaml",
                          "policies:\n"
                          "  - name: team\n"
                          "    workloads: [billing-api]\n"
                          "    destinations: [orders-api]\n"
                          "    max_ttl: forever\n");
  int code = -1;
  std::string out = Signet("apply -f " + good + " -f " + bad, &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find(bad + ":5: policies[0].max_ttl"), std::string::npos) << out;
  EXPECT_NE(out.find("400"), std::string::npos) << out;

  // Server settings do not belong in an applied document.
  std::string server = Write("bad/server.yaml", "server:\n  issuer: https://elsewhere.example\n");
  out = Signet("apply -f " + server, &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find(server + ":1"), std::string::npos) << out;

  // Files with nothing in them would remove everything: refused unless said so.
  std::string empty = Write("bad/empty.yaml", "# nothing yet\n");
  out = Signet("apply -f " + empty, &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("--allow-empty"), std::string::npos) << out;
  // Reviewed against a version that is no longer the newest: refused, 409.
  out = Signet("apply -f " + good + " --expected-version 99", &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("409"), std::string::npos) << out;

  EXPECT_EQ(History(), before) << "a refused apply made a version";
  EXPECT_EQ(Exchange(signetd_->base_url, "system:serviceaccount:billing:api"), 200);
}

// Larger than a token request may be (64 KiB): a configuration upload is allowed 4 MiB,
// and its export applies back as a no-op.
TEST_F(ConfigTest, ALargeConfigurationAppliesAndRoundTrips) {
  std::string large = issuers_ + "workloads:\n";
  for (int i = 0; i < 600; ++i) {
    large += "  - name: team-" + std::to_string(i) +
             "\n    identities:\n      - issuer: dev\n        claims: {sub: "
             "'system:serviceaccount:team:sa-" +
             std::to_string(i) + "'}\n";
  }
  large +=
      "destinations:\n  - {name: orders-api, kind: signet-jwt, audience: "
      "'https://orders.test'}\n";
  ASSERT_GT(large.size(), 64u * 1024);
  int code = -1;
  std::string out = Signet("apply -f " + Write("large/all.yaml", large), &code);
  ASSERT_EQ(code, 0) << out.substr(0, 2000);
  EXPECT_NE(out.find("applied as config version 2"), std::string::npos) << out.substr(0, 2000);
  std::string exported = Signet("export", &code);
  ASSERT_EQ(code, 0);
  out = Signet("apply -f " + Write("large/exported.yaml", exported), &code);
  ASSERT_EQ(code, 0) << out.substr(0, 2000);
  EXPECT_NE(out.find("in force already"), std::string::npos) << out.substr(0, 2000);
}

// A second signetd on the same store, as a second replica: it follows a version applied
// through the first, and a suspension made through the first, within a second.
TEST_F(ConfigTest, AnotherReplicaFollowsWithinOneSecond) {
  auto replica = Start("replica.log");
  ASSERT_FALSE(replica->base_url.empty()) << ReadFile(dir_.path() + "/replica.log");
  const std::string reports = "system:serviceaccount:reports:job";
  ASSERT_EQ(Exchange(replica->base_url, reports), 400);

  Write("team/00-base.yaml", issuers_ + std::string(kAccessSections));
  Write("team/10-reports.yaml", std::string(kReportsPolicy));
  int code = -1;
  std::string out = Signet("apply -f " + dir_.path() + "/team", &code);
  auto applied_at = Clock::Real().MonotonicNow();
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(ReachesWithinOneSecond(replica->base_url, reports, 200, applied_at))
      << "the replica did not pick up version 2 within 1 s";

  out = Signet("suspend workload reports --reason 'incident 7'", &code);
  auto suspended_at = Clock::Real().MonotonicNow();
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(ReachesWithinOneSecond(replica->base_url, reports, 403, suspended_at))
      << "the replica still served a suspended workload after 1 s";
  // Either replica answers for the same state.
  EXPECT_EQ(Exchange(signetd_->base_url, reports), 403);
}

// The file seeds an empty store only: a restart with the old file keeps the applied
// version in force, and says that the file differs.
TEST_F(ConfigTest, RestartKeepsTheAppliedVersion) {
  Write("keep/00-base.yaml", issuers_ + std::string(kAccessSections));
  Write("keep/10-reports.yaml", std::string(kReportsPolicy));
  int code = -1;
  std::string out = Signet("apply -f " + dir_.path() + "/keep", &code);
  ASSERT_EQ(code, 0) << out;

  signetd_.reset();
  signetd_ = Start("restarted.log");
  ASSERT_FALSE(signetd_->base_url.empty()) << ReadFile(dir_.path() + "/restarted.log");
  EXPECT_EQ(Exchange(signetd_->base_url, "system:serviceaccount:reports:job"), 200)
      << "the restart reverted to the start-up file";
  std::string log = ReadFile(dir_.path() + "/restarted.log");
  EXPECT_NE(log.find("differ from stored config version 2"), std::string::npos) << log;
  EXPECT_NE(History().find("* 2"), std::string::npos);
}

}  // namespace
}  // namespace signet
