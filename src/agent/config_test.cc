#include "agent/config.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::agent {
namespace {

using testing::FailsWith;
using testing::IsOk;

TEST(AgentConfigTest, ParsesACompleteConfiguration) {
  auto config = ParseAgentConfig(R"(
signetd: https://signet.example.com/
signetd_ca_file: /etc/signet/ca.pem
join_token_file: /etc/signet/join
listen:
  socket: /run/signet/agent.sock
  tcp: 127.0.0.1:7070
upstream_ca_file: /etc/ssl/extra.pem
aws_token_file: /run/signet/aws-token
threads: 2
poll_suspensions_every: 5s
)");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->signetd, "https://signet.example.com");  // the trailing slash dropped
  EXPECT_EQ(config->signetd_ca_file, "/etc/signet/ca.pem");
  EXPECT_EQ(config->join_token_file, "/etc/signet/join");
  EXPECT_EQ(config->socket_path, "/run/signet/agent.sock");
  ASSERT_TRUE(config->tcp_host.has_value());
  EXPECT_EQ(*config->tcp_host, "127.0.0.1");
  EXPECT_EQ(config->tcp_port, 7070);
  EXPECT_EQ(config->upstream_ca_file, "/etc/ssl/extra.pem");
  EXPECT_EQ(config->aws_token_file, "/run/signet/aws-token");
  EXPECT_EQ(config->threads, 2);
  EXPECT_EQ(config->poll_suspensions_every, std::chrono::seconds(5));
}

TEST(AgentConfigTest, DefaultsLeaveOnlyTheBrokerTheCredentialAndOneListenerToSay) {
  auto config = ParseAgentConfig(
      "signetd: http://127.0.0.1:8080\nidentity_token_file: /var/run/token\n"
      "listen: {socket: /tmp/a.sock}\n");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->identity_token_file, "/var/run/token");
  EXPECT_FALSE(config->tcp_host.has_value());
  EXPECT_EQ(config->threads, 1);
  EXPECT_EQ(config->poll_suspensions_every, std::chrono::seconds(1));
}

struct Refusal {
  const char* yaml;
  const char* message;  // a part of the error message
};

TEST(AgentConfigTest, RefusesWhatWouldMisbehaveNamingTheLineAndField) {
  const Refusal refusals[] = {
      {"signetd: http://signet.example.com\njoin_token_file: /j\nlisten: {tcp: 127.0.0.1:1}\n",
       "agent.yaml:1: signetd: \"http://signet.example.com\" must be https"},
      {"signetd: http://127.0.0.1:8080\nlisten: {tcp: 127.0.0.1:1}\n",
       "set exactly one of join_token_file"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nidentity_token_file: /i\n"
       "listen: {tcp: 127.0.0.1:1}\n",
       "set exactly one of join_token_file"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\n", "listen: is required"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nlisten: {}\n",
       "needs a socket, a tcp address, or both"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nlisten: {tcp: 0.0.0.0:7070}\n",
       "agent.yaml:3: listen.tcp: must be a loopback address"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nlisten: {tcp: 127.0.0.1}\n",
       "listen.tcp: listen address must be host:port"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nlisten: {socket: /s}\nthreads: 0\n",
       "agent.yaml:4: threads: must be a whole number from 1 to 256"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nlisten: {socket: /s}\n"
       "poll_suspensions_every: soon\n",
       "poll_suspensions_every: must be a positive duration"},
      {"signetd: http://127.0.0.1:8080\njoin_token_file: /j\nlisten: {socket: /s}\nproxy: {}\n",
       "agent.yaml:4: proxy: unknown setting (known: aws_token_file"},
      {"", "signetd: is required"},
  };
  for (const Refusal& refusal : refusals) {
    auto config = ParseAgentConfig(refusal.yaml, "agent.yaml");
    ASSERT_THAT(config, FailsWith("config_invalid")) << refusal.yaml;
    EXPECT_NE(config.status().message().find(refusal.message), std::string::npos)
        << refusal.yaml << "\n=> " << config.status().message();
  }
}

TEST(AgentConfigTest, AFileThatCannotBeReadIsNamed) {
  auto config = LoadAgentConfigFile("/nonexistent/agent.yaml");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("/nonexistent/agent.yaml"), std::string::npos);
}

}  // namespace
}  // namespace signet::agent
