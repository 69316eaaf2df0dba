// signetd: the Signet broker. The composition root: it reads the configuration, builds
// the real implementations and wires them to the HTTP front. Nothing else lives here.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/client.h"
#include "http/server.h"
#include "server/broker.h"
#include "server/config.h"
#include "server/discovery.h"
#include "server/http_fetcher.h"
#include "server/token_endpoint.h"
#include "store/master_key.h"
#include "store/signing_keys.h"
#include "store/store.h"

namespace {

int Fail(const signet::Status& status) {
  spdlog::critical("{}", status.ToString());
  return 1;
}

// The data directory holds the master key and the database: owner-only.
signet::Status PrepareDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return signet::Status(signet::ErrorCode::kInvalidConfig, "data_dir_invalid",
                          "cannot prepare server.data_dir " + dir + ": " + ec.message());
  }
  return signet::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "signetd: the Signet broker. Workloads exchange the identity token their platform gives "
      "them (Kubernetes, GitHub Actions, SPIFFE, any OIDC issuer) at its token endpoint for a "
      "short-lived credential for a destination, under one policy, with every decision in a "
      "hash-chained audit trail. See docs/config.md."};
  std::string config_path;
  std::string listen;
  std::string ready_file;
  app.add_option("-c,--config", config_path, "YAML configuration file (see docs/config.md)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen, "host:port to listen on; overrides server.listen");
  app.add_option("--ready-file", ready_file,
                 "write the bound port to this file once listening (for scripts and tests)");
  CLI11_PARSE(app, argc, argv);

  auto config = signet::server::LoadConfigFile(config_path);
  if (!config.ok()) {
    return Fail(config.status());
  }
  if (!listen.empty()) {
    if (auto s = signet::server::ParseListenAddress(listen, &config->listen_address,
                                                    &config->listen_port);
        !s.ok()) {
      return Fail(s);
    }
  }
  if (auto s = PrepareDataDir(config->data_dir); !s.ok()) {
    return Fail(s);
  }

  const signet::Clock& clock = signet::Clock::Real();
  signet::Random& random = signet::Random::Secure();
  auto master_key = signet::store::LoadOrCreateMasterKey(config->data_dir + "/master.key", random);
  if (!master_key.ok()) {
    return Fail(master_key.status());
  }
  signet::store::SqliteOptions store_options;
  store_options.durability =
      config->audit_fsync ? signet::store::Durability::kFsync : signet::store::Durability::kProcess;
  auto store = signet::store::OpenSqliteStore(config->data_dir + "/signet.db", store_options);
  if (!store.ok()) {
    return Fail(store.status());
  }
  auto keys = signet::store::LoadOrCreateSigningKeys(**store, *master_key,
                                                     config->signing_algorithm, random, clock);
  if (!keys.ok()) {
    return Fail(keys.status());
  }
  auto audit = signet::audit::AuditLog::Open(**store);
  if (!audit.ok()) {
    return Fail(audit.status());
  }

  auto http_client = signet::http::MakeHttpClient({});
  signet::server::HttpFetcher fetcher(*http_client);
  signet::credentials::ProviderContext context;
  context.issuer = config->issuer;
  context.trust_domain = config->trust_domain;
  context.signing_key = std::make_shared<const signet::jose::SigningKey>(keys->current);
  context.clock = &clock;
  context.random = &random;
  std::vector<std::string> warnings;
  auto broker = signet::server::Broker::Create(*config, fetcher, context, &warnings);
  if (!broker.ok()) {
    return Fail(broker.status());
  }
  for (const auto& warning : warnings) {
    spdlog::warn("{}", warning);
  }
  // An issuer that is down at start-up must not keep the others from being served: its
  // keys are fetched again on its first token.
  if (auto s = (*broker)->RefreshIssuerKeys(); !s.ok()) {
    spdlog::warn("issuer keys: {}", s.ToString());
  }

  signet::http::Router router;
  signet::server::AddDiscoveryRoutes(router, config->issuer, signet::server::kTokenPath,
                                     keys->published);
  signet::server::AddTokenRoutes(router, **broker, **audit, clock, random);
  signet::http::ServerOptions options;
  options.address = config->listen_address;
  options.port = config->listen_port;
  options.threads = config->threads;
  if (config->tls) {
    options.tls = signet::http::TlsOptions{config->tls->cert_file, config->tls->key_file};
  }
  auto server = signet::http::Server::Start(options, std::move(router));
  if (!server.ok()) {
    return Fail(server.status());
  }
  uint16_t port = (*server)->port();
  spdlog::info(
      "signetd listening on {}://{}:{} issuer={} kid={} issuers={} workloads={} "
      "destinations={} policies={}",
      config->tls ? "https" : "http", config->listen_address, port, config->issuer,
      keys->current.kid(), config->issuers.size(), config->workloads.size(),
      config->destinations.size(), config->policies.size());
  if (!ready_file.empty()) {
    std::ofstream(ready_file) << port << "\n";
  }
  (*server)->Run();
  spdlog::info("signetd stopped");
  return 0;
}
