// signetd: the Signet broker. The composition root: it reads the configuration, builds
// the real implementations and wires them to the HTTP front. Nothing else lives here.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "http/server.h"
#include "jose/signing_key.h"
#include "server/config.h"
#include "server/discovery.h"

namespace {

int Fail(const signet::Status& status) {
  spdlog::critical("{}", status.ToString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "signetd: the Signet broker. Serves Signet's OIDC discovery document and signing keys "
      "(JWKS); later releases add the token exchange. See docs/configuration.md."};
  std::string config_path;
  std::string listen;
  std::string ready_file;
  app.add_option("-c,--config", config_path, "YAML configuration file")
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

  // The signing key lives in memory until the store lands (issue 3): a restart rotates
  // it, which relying parties handle through the JWKS like any rotation.
  auto key = signet::jose::SigningKey::Generate(config->signing_algorithm, "pending");
  if (!key.ok()) {
    return Fail(key.status());
  }
  std::string kid = key->public_jwk().Thumbprint();
  key = signet::jose::SigningKey::FromPkcs8Pem(key->ToPkcs8Pem(), config->signing_algorithm, kid);
  if (!key.ok()) {
    return Fail(key.status());
  }

  signet::http::Router router;
  signet::server::AddDiscoveryRoutes(router, config->issuer,
                                     signet::jose::Jwks({key->public_jwk()}));
  signet::http::ServerOptions options;
  options.address = config->listen_address;
  options.port = config->listen_port;
  auto server = signet::http::Server::Start(options, std::move(router));
  if (!server.ok()) {
    return Fail(server.status());
  }
  uint16_t port = (*server)->port();
  spdlog::info("signetd listening on {}:{} issuer={} signing_alg={} kid={}", config->listen_address,
               port, config->issuer, signet::jose::AlgorithmName(config->signing_algorithm), kid);
  if (!ready_file.empty()) {
    std::ofstream(ready_file) << port << "\n";
  }
  (*server)->Run();
  spdlog::info("signetd stopped");
  return 0;
}
