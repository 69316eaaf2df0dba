// signetd: the Signet broker. The composition root: it reads the configuration, builds
// the real implementations and wires them to the HTTP front. Nothing else lives here.
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/client.h"
#include "http/server.h"
#include "server/admin_api.h"
#include "server/admin_auth.h"
#include "server/broker.h"
#include "server/config.h"
#include "server/discovery.h"
#include "server/http_fetcher.h"
#include "server/token_endpoint.h"
#include "store/master_key.h"
#include "store/secrets.h"
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

// Suspensions and revocations as the store holds them: a restart keeps every kill switch.
signet::Status LoadKillSwitch(signet::store::Store& store, const signet::Clock& clock,
                              signet::policy::KillSwitch& kill_switch) {
  auto suspensions = store.ListSuspensions();
  if (!suspensions.ok()) {
    return suspensions.status();
  }
  auto revocations = store.ListRevocations(signet::ToUnixSecondsFloor(clock.Now()));
  if (!revocations.ok()) {
    return revocations.status();
  }
  std::map<std::string, signet::policy::Suspension, std::less<>> suspended;
  for (const auto& row : *suspensions) {
    suspended.emplace(
        row.workload,
        signet::policy::Suspension{row.reason, row.actor, signet::FromUnixSeconds(row.created_at)});
  }
  std::vector<signet::policy::KillSwitch::Revocation> revoked;
  for (const auto& row : *revocations) {
    revoked.push_back({row.jti, signet::FromUnixSeconds(row.expires_at)});
  }
  kill_switch.Load(std::move(suspended), revoked);
  return signet::Status::Ok();
}

// A new install (or one whose admin tokens all expired or were deleted) gets an admin
// token in <data_dir>/admin.token. It is shown on the terminal when there is one; logs
// only say where the file is, since they are often shipped elsewhere.
signet::Status EnsureBootstrapToken(signet::server::AdminTokens& tokens,
                                    signet::audit::AuditLog& audit, const std::string& data_dir,
                                    const signet::Clock& clock) {
  auto usable = tokens.HasUsableAdmin();
  if (!usable.ok() || *usable) {
    return usable.status();
  }
  auto issued = tokens.Create(signet::server::Role::kAdmin, signet::server::kBootstrapTokenTtl,
                              "bootstrap token created at first start");
  if (!issued.ok()) {
    return issued.status();
  }
  std::string path = data_dir + "/admin.token";
  if (auto s = signet::server::WriteTokenFile(path, issued->token); !s.ok()) {
    return s;
  }
  signet::audit::Event event;
  event.time = clock.Now();
  event.decision = "allow";
  event.action = "create_bootstrap_token";
  event.actor = "signetd";
  event.target = issued->row.id;
  event.detail = "role admin, written to " + path;
  if (auto s = audit.AppendAndWait(std::move(event)); !s.ok()) {
    return s;
  }
  spdlog::warn(
      "created bootstrap admin token {} in {} (mode 0600, expires in 90 days); "
      "create named tokens with `signet admin token create` and delete this one",
      issued->row.id, path);
  if (::isatty(STDOUT_FILENO)) {
    std::cout << "bootstrap admin token (shown once, also in " << path << "):\n  "
              << issued->token.Reveal(signet::SecretAccess::Grant()) << "\n";
  }
  return signet::Status::Ok();
}

signet::server::AdminApiOptions AdminOptions(const signet::server::ServerConfig& config) {
  signet::server::AdminApiOptions options;
  options.workloads.insert(config.workloads.begin(), config.workloads.end());
  options.issuer = config.issuer;
  for (const auto& destination : config.destinations) {
    options.audiences.insert(destination.audience);
  }
  for (const auto& policy : config.policies) {
    options.max_token_lifetime = std::max(options.max_token_lifetime, policy.max_ttl);
  }
  return options;
}

// /healthz: the process serves. /readyz: it can also reach its store (signing keys are
// loaded before the server listens, so a listening signetd has them).
void AddHealthRoutes(signet::http::Router& router, signet::store::Store& store) {
  router.Add("GET", "/healthz", [](const signet::http::Request&) {
    return signet::http::Response::Json(200, R"({"status":"ok"})");
  });
  router.Add("GET", "/readyz", [&store](const signet::http::Request&) {
    auto head = store.LastAudit();
    if (!head.ok()) {
      return signet::http::Response::Json(503, R"({"status":"store unavailable"})");
    }
    return signet::http::Response::Json(200, R"({"status":"ready"})");
  });
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
  auto master_key =
      signet::store::LoadMasterKeyFromEnvOrFile(config->data_dir + "/master.key", random);
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
  // Before anything is read or written with it: a wrong key must stop start-up here,
  // with a message that says so, not corrupt or half-read anything.
  if (auto s = signet::store::VerifyMasterKey(**store, *master_key, random); !s.ok()) {
    return Fail(s);
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
  signet::policy::KillSwitch kill_switch;
  if (auto s = LoadKillSwitch(**store, clock, kill_switch); !s.ok()) {
    return Fail(s);
  }
  signet::server::AdminTokens admin_tokens(**store, clock, random);
  if (auto s = EnsureBootstrapToken(admin_tokens, **audit, config->data_dir, clock); !s.ok()) {
    return Fail(s);
  }
  signet::store::SecretVault vault(**store, *master_key, random, clock);

  auto http_client = signet::http::MakeHttpClient({});
  signet::server::HttpFetcher fetcher(*http_client);
  signet::credentials::ProviderContext context;
  context.issuer = config->issuer;
  context.trust_domain = config->trust_domain;
  context.signing_key = std::make_shared<const signet::jose::SigningKey>(keys->current);
  context.clock = &clock;
  context.random = &random;
  std::vector<std::string> warnings;
  auto broker = signet::server::Broker::Create(*config, fetcher, context, kill_switch, &warnings);
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
  auto published = std::make_shared<const signet::jose::Jwks>(keys->published);
  signet::server::AdminApi admin(
      AdminOptions(*config), admin_tokens, kill_switch, **store, vault, **audit,
      [published] { return published; }, clock, random);
  admin.AddRoutes(router);
  AddHealthRoutes(router, **store);
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
