// signet-agent: Signet's edge, one per node or pod. The composition root: it reads the
// configuration, joins signetd, and wires attestation, the broker's credentials and the
// usage uploader to the local server. Nothing else lives here.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "agent/attestation.h"
#include "agent/broker_credentials.h"
#include "agent/config.h"
#include "agent/local_server.h"
#include "agent/signetd_client.h"
#include "agent/usage_uploader.h"
#include "common/background_loop.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/client.h"

namespace {

int Fail(const signet::Status& status) {
  spdlog::critical("{}", status.ToString());
  return 1;
}

// AWS SDKs send this file's content as the Authorization of their container-credentials
// request (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). It proves the request came from a
// process that can read the file, not from a page that tricked some local client into
// fetching the URL: readable by every local user (attestation decides who gets what),
// writable by the agent only.
signet::Result<std::string> WriteAwsToken(const std::string& path, signet::Random& random) {
  std::string token = random.Base64UrlId(32);
  std::error_code ec;
  std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::filesystem::create_directories(file.parent_path(), ec);
  }
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << token;
    if (!out) {
      return signet::Status(signet::ErrorCode::kInvalidConfig, "aws_token_file_invalid",
                            "cannot write aws_token_file " + path);
    }
  }
  ::chmod(temporary.c_str(), 0644);
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    return signet::Status(signet::ErrorCode::kInvalidConfig, "aws_token_file_invalid",
                          "cannot write aws_token_file " + path + ": " + ec.message());
  }
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "signet-agent: Signet's edge. Attests the local processes that call it, fetches their "
      "credentials from signetd, and serves them: a credential API, the AWS "
      "container-credentials endpoint, and a reverse proxy that injects the credential into "
      "requests to the destination, so a workload holds no key. See docs/agent.md."};
  std::string config_path;
  std::string ready_file;
  app.add_option("-c,--config", config_path, "YAML configuration file (see docs/agent.md)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--ready-file", ready_file,
                 "write the bound TCP port (0 without one) to this file once joined and "
                 "listening (for scripts and tests)");
  CLI11_PARSE(app, argc, argv);

  auto config = signet::agent::LoadAgentConfigFile(config_path);
  if (!config.ok()) {
    return Fail(config.status());
  }
  const signet::Clock& clock = signet::Clock::Real();
  signet::Random& random = signet::Random::Secure();

  signet::http::ClientOptions client_options;
  client_options.ca_file = config->signetd_ca_file;
  std::unique_ptr<signet::http::HttpClient> http = signet::http::MakeHttpClient(client_options);
  signet::agent::SignetdClient signetd(
      {config->signetd, config->join_token_file, config->identity_token_file}, *http, clock);
  if (auto s = signetd.Join(); !s.ok()) {
    return Fail(s);
  }
  std::string aws_token;
  if (!config->aws_token_file.empty()) {
    auto written = WriteAwsToken(config->aws_token_file, random);
    if (!written.ok()) {
      return Fail(written.status());
    }
    aws_token = *written;
  }

  signet::agent::ProcAttestor attestor;
  signet::agent::BrokerCredentials credentials(signetd, clock);
  signet::agent::UsageUploader usage(signetd);

  signet::agent::LocalServerOptions options;
  options.socket_path = config->socket_path;
  options.tcp_address = config->tcp_host.value_or("");
  options.tcp_port = config->tcp_port;
  options.io_threads = config->threads;
  options.aws_token = signet::Secret(std::move(aws_token));
  options.upstream_ca_file = config->upstream_ca_file;
  auto server = signet::agent::LocalServer::Start(options, attestor, credentials, usage, clock);
  if (!server.ok()) {
    return Fail(server.status());
  }

  signet::BackgroundLoop token_loop;
  token_loop.Start([&signetd] { return signetd.MaintainToken(); });
  signet::BackgroundLoop suspension_loop;
  const auto poll_every =
      std::chrono::duration_cast<std::chrono::milliseconds>(config->poll_suspensions_every);
  suspension_loop.Start(
      [&credentials, poll_every] { return credentials.PollSuspensions(poll_every); });
  signet::BackgroundLoop usage_loop;
  usage_loop.Start([&usage] { return usage.FlushEvery(std::chrono::seconds(1)); });

  spdlog::info("signet-agent {} joined signetd {}; listening on{}{}", signetd.agent_name(),
               config->signetd, config->socket_path.empty() ? "" : " unix:" + config->socket_path,
               config->tcp_host
                   ? " tcp:" + *config->tcp_host + ":" + std::to_string((*server)->port())
                   : "");
  if (!ready_file.empty()) {
    std::ofstream(ready_file) << (*server)->port() << "\n";
  }
  (*server)->Run();
  suspension_loop.Stop();
  token_loop.Stop();
  usage_loop.Stop();
  // What the proxy forwarded last is still owed to the audit trail.
  usage.Flush();
  spdlog::info("signet-agent stopped");
  return 0;
}
