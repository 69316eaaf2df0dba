// signet: the command-line tool. The composition root of the CLI: each subcommand's work
// lives in src/cli/; this file only declares the commands and wires them up.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "cli/audit_commands.h"
#include "cli/dev_idp.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/server.h"
#include "server/config.h"

namespace {

int RunDevIdp(const std::string& listen, const std::string& issuer, const std::string& ready_file) {
  std::string host;
  uint16_t port = 0;
  if (auto s = signet::server::ParseListenAddress(listen, &host, &port); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  auto key = signet::cli::MakeDevIdpKey();
  if (!key.ok()) {
    std::cerr << key.status().ToString() << "\n";
    return 1;
  }
  auto issuer_url = std::make_shared<std::string>(issuer);
  signet::http::Router router;
  signet::cli::AddDevIdpRoutes(router, issuer_url, *key, signet::Clock::Real(),
                               signet::Random::Secure());
  signet::http::ServerOptions options;
  options.address = host;
  options.port = port;
  auto server = signet::http::Server::Start(options, std::move(router));
  if (!server.ok()) {
    std::cerr << server.status().ToString() << "\n";
    return 1;
  }
  uint16_t bound = (*server)->port();
  if (issuer_url->empty()) {  // named after the bound port; no request is served before Run
    bool v6 = host.find(':') != std::string::npos;
    *issuer_url = "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(bound);
  }
  spdlog::warn(
      "signet dev idp: a DEVELOPMENT issuer that mints any identity it is asked for; "
      "never trust it outside local development");
  spdlog::info("signet dev idp listening on {}:{} issuer={} kid={}", host, bound, *issuer_url,
               (*key)->kid());
  if (!ready_file.empty()) {
    std::ofstream(ready_file) << bound << "\n";
  }
  (*server)->Run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"signet: the Signet command-line tool (audit trail, development issuer)."};
  app.require_subcommand(1);

  CLI::App* dev = app.add_subcommand("dev", "tools for local development");
  dev->require_subcommand(1);
  CLI::App* idp = dev->add_subcommand(
      "idp",
      "run a development OIDC issuer (discovery, JWKS, and POST /mint for Kubernetes, GitHub "
      "Actions or SPIFFE-shaped tokens).\nExample:\n  curl -s -d namespace=billing -d "
      "serviceaccount=api http://127.0.0.1:9000/mint\nForm fields: kind=kubernetes|github|spiffe, "
      "aud, ttl, exp_offset, sub; kubernetes: namespace, serviceaccount, pod; github: "
      "repository, ref, environment, workflow, actor; spiffe: trust_domain, path.");
  std::string listen = "127.0.0.1:9000";
  std::string issuer;
  std::string ready_file;
  idp->add_option("--listen", listen, "host:port to listen on (port 0 picks one)")
      ->capture_default_str();
  idp->add_option("--issuer", issuer, "the iss of minted tokens (default http://<listen>)");
  idp->add_option("--ready-file", ready_file, "write the bound port here once listening");

  CLI::App* audit = app.add_subcommand("audit", "read and verify the audit trail");
  audit->require_subcommand(1);
  signet::cli::AuditListOptions list_options;
  CLI::App* list = audit->add_subcommand("list", "print audit records in order");
  list->add_option("--data-dir", list_options.data_dir, "signetd's data directory")
      ->capture_default_str();
  list->add_option("--after", list_options.after_seq, "only records after this seq");
  list->add_option("--limit", list_options.limit, "at most this many records")
      ->capture_default_str();
  list->add_flag("--json", list_options.json, "one JSON object per line");
  std::string verify_dir = "./data";
  CLI::App* verify = audit->add_subcommand(
      "verify", "check the whole hash chain (exit 0 intact, 1 broken, 2 unreadable)");
  verify->add_option("--data-dir", verify_dir, "signetd's data directory")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (idp->parsed()) {
    return RunDevIdp(listen, issuer, ready_file);
  }
  if (list->parsed()) {
    return signet::cli::AuditList(list_options, std::cout, std::cerr);
  }
  if (verify->parsed()) {
    return signet::cli::AuditVerify(verify_dir, std::cout, std::cerr);
  }
  return 2;
}
