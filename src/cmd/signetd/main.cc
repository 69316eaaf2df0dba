// signetd: the Signet broker. The composition root: it reads the configuration, builds
// the real implementations and wires them to the HTTP front. Nothing else lives here.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/url.h"
#include "http/client.h"
#include "http/server.h"
#include "server/admin_api.h"
#include "server/admin_auth.h"
#include "server/agent_api.h"
#include "server/agent_tokens.h"
#include "server/broker.h"
#include "server/config.h"
#include "server/config_sync.h"
#include "server/discovery.h"
#include "server/durable_kill_switch.h"
#include "server/http_fetcher.h"
#include "server/json_log.h"
#include "server/signing_key_rotator.h"
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

// A new install (or one whose admin tokens all expired or were deleted) gets an admin
// token in <data_dir>/admin.token. It is shown on the terminal when there is one; logs
// only say where the file is, since they are often shipped elsewhere.
signet::Status EnsureBootstrapToken(signet::server::AdminTokens& tokens,
                                    signet::store::Store& store, signet::audit::AuditLog& audit,
                                    const std::string& data_dir, const signet::Clock& clock) {
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
    // A stored admin token nobody holds would stop the next start from making one.
    (void)store.DeleteAdminToken(issued->row.id);
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

// /healthz: the process serves. /readyz: it can also reach its store (signing keys are
// loaded before the server listens, so a listening signetd has them) and serves the
// newest configuration version.
void AddHealthRoutes(signet::http::Router& router, signet::store::Store& store,
                     const signet::server::ConfigSync& access) {
  router.Add("GET", "/healthz", [](const signet::http::Request&) {
    return signet::http::Response::Json(200, R"({"status":"ok"})");
  });
  router.Add("GET", "/readyz", [&store, &access](const signet::http::Request&) {
    auto head = store.LastAudit();
    if (!head.ok()) {
      return signet::http::Response::Json(503, R"({"status":"store unavailable"})");
    }
    if (!access.InForceIsNewest()) {
      return signet::http::Response::Json(
          503, R"({"status":"the newest configuration version cannot be put in force here"})");
    }
    return signet::http::Response::Json(200, R"({"status":"ready"})");
  });
}

// Authorized exchanges for destinations Signet calls out to, running at once: each holds a
// worker while its provider fetches, or waits for another request's fetch of the same
// credential (credentials/credential_cache.h). Up to kOutboundQueue more wait for a
// worker; beyond that a request is refused at once (temporarily_unavailable,
// destinations_busy) rather than left to queue without bound.
constexpr size_t kOutboundWorkers = 16;
constexpr size_t kOutboundQueue = 1024;

// signetd's parts over one store, and the routes that serve them. Built the same way to
// serve and to list the routes (--print-routes), so the listing is the served API.
class Signetd {
 public:
  // `config_source` names the configuration file in messages and in the version it seeds.
  static signet::Result<std::unique_ptr<Signetd>> Create(const signet::server::ServerConfig& config,
                                                         const std::string& config_source,
                                                         signet::store::Store& store,
                                                         const signet::Secret& master_key,
                                                         const signet::Clock& clock,
                                                         signet::Random& random) {
    std::unique_ptr<Signetd> d(new Signetd(config, store, master_key, clock, random));
    signet::audit::AuditLogOptions audit_options;
    audit_options.metrics = &d->metrics_;
    SIGNET_ASSIGN_OR_RETURN(d->audit_, signet::audit::AuditLog::Open(store, audit_options));

    signet::credentials::ProviderContext context;
    context.issuer = config.issuer;
    context.trust_domain = config.trust_domain;
    // Per credential: the key of the moment, as the rotator (created below, before any
    // credential is issued) has it.
    context.signing_key = [self = d.get()] { return self->rotator_->SigningKey(); };
    context.clock = &clock;
    context.random = &random;
    context.http_clients = [](const signet::http::ClientOptions& options) {
      return signet::http::MakeHttpClient(options);
    };
    context.secrets = [self = d.get()](std::string_view name) { return self->vault_.Open(name); };
    signet::server::ConfigSyncOptions sync;
    sync.issuer = config.issuer;
    // Agent tokens live an hour whatever the policies say, and an agent that joined with
    // a one-time token cannot join again: keys stay published as long as they may verify one.
    sync.min_token_lifetime =
        std::max(config.key_rotation.max_token_lifetime, signet::server::kAgentTokenLifetime);
    // The rotator exists before any version but the first is published (Seed, below).
    sync.on_longer_token_lifetime = [self = d.get()](std::chrono::seconds lifetime) {
      if (self->rotator_) {
        self->rotator_->RaiseMaxTokenLifetime(lifetime);
      }
    };
    constexpr std::string_view kKeyCacheHelp =
        "Subject tokens verified with the issuer keys held (hit) or after a fetch was needed "
        "(miss).";
    sync.key_cache.hits = &d->metrics_.GetCounter("signet_issuer_key_cache_total", kKeyCacheHelp,
                                                  {{"result", "hit"}});
    sync.key_cache.misses = &d->metrics_.GetCounter("signet_issuer_key_cache_total", kKeyCacheHelp,
                                                    {{"result", "miss"}});
    sync.on_error = [](const signet::Status& status) {
      spdlog::error("configuration sync: {}", status.ToString());
    };
    sync.on_publish = [](int64_t version, const std::vector<std::string>& warnings) {
      spdlog::info("config version {} in force", version);
      for (const auto& warning : warnings) {
        spdlog::warn("config version {}: {}", version, warning);
      }
    };
    d->access_ = std::make_unique<signet::server::ConfigSync>(sync, store, d->kill_changes_,
                                                              d->fetcher_, context);
    // The kill switch is reloaded here too: a restart keeps every suspension.
    std::vector<std::string> warnings;
    SIGNET_ASSIGN_OR_RETURN(bool seeded, d->access_->Seed(config.access, config_source, &warnings));
    for (const auto& warning : warnings) {
      spdlog::warn("{}", warning);
    }
    if (seeded) {
      signet::audit::Event event;
      event.time = clock.Now();
      event.decision = "allow";
      event.action = "seed_config";
      event.actor = "signetd";
      event.detail = "seeded from " + config_source;
      event.config_after = std::to_string(d->access_->Current()->version);
      SIGNET_RETURN_IF_ERROR(d->audit_->AppendAndWait(std::move(event)));
    }

    signet::server::SigningKeyRotatorOptions rotation;
    rotation.algorithm = config.signing_algorithm;
    rotation.settings = config.key_rotation;
    // The version in force, not the file, says how long tokens may live.
    rotation.settings.max_token_lifetime = d->access_->LongestTokenLifetime();
    rotation.check_every = config.key_check_every;
    rotation.on_error = [](const signet::Status& status) {
      spdlog::error("signing keys: {} (still serving the keys loaded before)", status.ToString());
    };
    SIGNET_ASSIGN_OR_RETURN(d->rotator_, signet::server::SigningKeyRotator::Create(
                                             store, master_key, rotation, random, clock));
    d->admin_ = std::make_unique<signet::server::AdminApi>(d->admin_tokens_, d->kill_changes_,
                                                           *d->access_, store, d->vault_,
                                                           *d->audit_, *d->rotator_, clock, random);
    SIGNET_ASSIGN_OR_RETURN(
        d->agent_tokens_,
        signet::server::AgentTokens::Create(
            config.issuer, [rotator = d->rotator_.get()] { return rotator->SigningKey(); },
            [rotator = d->rotator_.get()] { return rotator->PublishedKeys(); }, clock, random));
    d->agents_ = std::make_unique<signet::server::AgentApi>(
        [access = d->access_.get()] { return access->Current()->broker; }, *d->agent_tokens_, store,
        d->kill_switch_, *d->audit_, clock, random, *d->workers_, &d->metrics_);
    return d;
  }

  // The routes, as signetd serves them.
  signet::http::Router Router() {
    signet::http::Router router;
    signet::server::AddDiscoveryRoutes(
        router, config_.issuer, signet::server::kTokenPath,
        [rotator = rotator_.get()] { return rotator->PublishedKeys(); });
    signet::server::AddTokenRoutes(
        router, [access = access_.get()] { return access->Current()->broker; }, *audit_, clock_,
        random_, *workers_, &metrics_);
    admin_->AddRoutes(router);
    agents_->AddRoutes(router);
    AddHealthRoutes(router, store_, *access_);
    // Unauthenticated, as Prometheus scrapes: counts and latencies only, never a name a
    // request chose.
    router.Add("GET", "/metrics", [this](const signet::http::Request&) {
      signet::http::Response response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = metrics_.RenderPrometheus();
      return response;
    });
    router.SetMetrics(&metrics_);
    return router;
  }

  // After the server's loop returned and before the server is destroyed: stops the
  // background work, finishes the exchanges still queued for destinations, and commits
  // every audit record, so that every answer is handed to the server while its loop
  // still exists (it is no longer run: a client that went away gets nothing).
  void Shutdown() {
    access_->Stop();
    rotator_->Stop();
    workers_.reset();
    audit_.reset();
  }

  signet::server::SigningKeyRotator& rotator() { return *rotator_; }
  signet::server::AdminTokens& admin_tokens() { return admin_tokens_; }
  signet::audit::AuditLog& audit() { return *audit_; }
  signet::server::ConfigSync& access() { return *access_; }

 private:
  Signetd(const signet::server::ServerConfig& config, signet::store::Store& store,
          const signet::Secret& master_key, const signet::Clock& clock, signet::Random& random)
      : config_(config),
        store_(store),
        clock_(clock),
        random_(random),
        admin_tokens_(store, clock, random),
        vault_(store, master_key, random, clock),
        http_client_(signet::http::MakeHttpClient({})),
        fetcher_(*http_client_, &metrics_),
        kill_changes_(store, kill_switch_, clock) {}

  const signet::server::ServerConfig& config_;
  signet::store::Store& store_;
  const signet::Clock& clock_;
  signet::Random& random_;
  // First: every part below may count into it.
  signet::MetricsRegistry metrics_;
  signet::server::AdminTokens admin_tokens_;
  signet::store::SecretVault vault_;
  std::unique_ptr<signet::http::HttpClient> http_client_;
  signet::server::HttpFetcher fetcher_;
  signet::policy::KillSwitch kill_switch_;
  signet::server::DurableKillSwitch kill_changes_;
  std::unique_ptr<signet::server::SigningKeyRotator> rotator_;
  std::unique_ptr<signet::audit::AuditLog> audit_;
  // Exchanges whose destination is called over the network. After audit_, so that it is
  // destroyed first and what it still runs can commit its audit records.
  std::unique_ptr<signet::WorkerPool> workers_ =
      std::make_unique<signet::WorkerPool>(kOutboundWorkers, kOutboundQueue);
  std::unique_ptr<signet::server::ConfigSync> access_;
  std::unique_ptr<signet::server::AdminApi> admin_;
  std::unique_ptr<signet::server::AgentTokens> agent_tokens_;
  std::unique_ptr<signet::server::AgentApi> agents_;
};

// --print-routes: builds signetd as it serves, over a scratch store in a temporary
// directory (the configured data_dir is not touched), and prints "METHOD PATH" per route.
int PrintRoutes(const signet::server::ServerConfig& config, const std::string& source) {
  // stdout is the listing: warnings and errors go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("signetd"));
  std::error_code ec;
  std::filesystem::path scratch = std::filesystem::temp_directory_path(ec) /
                                  ("signetd-routes-" + signet::Random::Secure().Base64UrlId(9));
  if (ec || !std::filesystem::create_directory(scratch, ec) || ec) {
    return Fail(signet::Status(signet::ErrorCode::kServerError, "scratch_dir_unwritable",
                               "cannot create a temporary directory: " + ec.message()));
  }
  int code = 0;
  {
    const signet::Clock& clock = signet::Clock::Real();
    signet::Random& random = signet::Random::Secure();
    std::string key_bytes(32, '\0');
    random.Fill({reinterpret_cast<uint8_t*>(key_bytes.data()), key_bytes.size()});
    signet::Secret master_key(std::move(key_bytes));
    auto store = signet::store::OpenSqliteStore((scratch / "signet.db").string());
    auto signetd = store.ok() ? Signetd::Create(config, source, **store, master_key, clock, random)
                              : signet::Result<std::unique_ptr<Signetd>>(store.status());
    if (!signetd.ok()) {
      code = Fail(signetd.status());
    } else {
      for (const auto& [method, path] : (*signetd)->Router().Routes()) {
        std::cout << method << " " << path << "\n";
      }
      std::cout.flush();
    }
  }
  std::filesystem::remove_all(scratch, ec);
  return code;
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
  bool print_routes = false;
  app.add_option("-c,--config", config_path, "YAML configuration file (see docs/config.md)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen, "host:port to listen on; overrides server.listen");
  app.add_option("--ready-file", ready_file,
                 "write the bound port to this file once listening (for scripts and tests)");
  std::string log_format = "text";
  app.add_option("--log-format", log_format,
                 "text (default) or json: one JSON object per line for log pipelines")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--print-routes", print_routes,
               "print the HTTP routes this configuration serves, one \"METHOD PATH\" a line, "
               "and exit without listening (the data directory is not touched)");
  CLI11_PARSE(app, argc, argv);
  if (log_format == "json") {
    spdlog::set_formatter(std::make_unique<signet::server::JsonLogFormatter>());
  }

  auto config = signet::server::LoadConfigFile(config_path);
  if (!config.ok()) {
    return Fail(config.status());
  }
  if (!listen.empty()) {
    if (auto s = signet::ParseListenAddress(listen, &config->listen_address, &config->listen_port);
        !s.ok()) {
      return Fail(s);
    }
  }
  if (print_routes) {
    return PrintRoutes(*config, config_path);
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
  auto signetd = Signetd::Create(*config, config_path, **store, *master_key, clock, random);
  if (!signetd.ok()) {
    return Fail(signetd.status());
  }
  if (auto s = EnsureBootstrapToken((*signetd)->admin_tokens(), **store, (*signetd)->audit(),
                                    config->data_dir, clock);
      !s.ok()) {
    return Fail(s);
  }
  // An issuer that is down at start-up must not keep the others from being served: its
  // keys are fetched again on its first token.
  if (auto s = (*signetd)->access().Current()->broker->RefreshIssuerKeys(); !s.ok()) {
    spdlog::warn("issuer keys: {}", s.ToString());
  }

  signet::http::ServerOptions options;
  options.address = config->listen_address;
  options.port = config->listen_port;
  options.threads = config->threads;
  options.clock = &clock;
  // A configuration upload may be far larger than a token request.
  for (const char* path : {"/v1/config", "/v1/config/diff"}) {
    options.max_body_bytes_by_path.emplace(path, 4 * 1024 * 1024);
  }
  // So is an agent's report of up to 1000 proxied requests.
  options.max_body_bytes_by_path.emplace("/v1/agents/usage", 2 * 1024 * 1024);
  if (config->tls) {
    options.tls = signet::http::TlsOptions{config->tls->cert_file, config->tls->key_file};
  }
  auto server = signet::http::Server::Start(options, (*signetd)->Router());
  if (!server.ok()) {
    return Fail(server.status());
  }
  // Keys rotate, and other replicas' rotations are picked up, while signetd serves.
  (*signetd)->rotator().Start();
  // Versions applied through other replicas, and their suspensions, are followed.
  (*signetd)->access().Start();
  uint16_t port = (*server)->port();
  std::shared_ptr<const signet::server::AccessSnapshot> in_force = (*signetd)->access().Current();
  const signet::server::AccessConfig& access = in_force->config;
  spdlog::info(
      "signetd listening on {}://{}:{} issuer={} kid={} config_version={} issuers={} "
      "workloads={} destinations={} policies={}",
      config->tls ? "https" : "http", config->listen_address, port, config->issuer,
      (*signetd)->rotator().SigningKey()->kid(), in_force->version, access.issuers.size(),
      access.workloads.size(), access.destinations.size(), access.policies.size());
  if (!ready_file.empty()) {
    std::ofstream(ready_file) << port << "\n";
  }
  (*server)->Run();
  (*signetd)->Shutdown();
  spdlog::info("signetd stopped");
  return 0;
}
