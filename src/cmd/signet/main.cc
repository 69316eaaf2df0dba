// signet: the command-line tool. The composition root of the CLI: each subcommand's work
// lives in src/cli/; this file only declares the commands and wires them up.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/admin_commands.h"
#include "cli/audit_commands.h"
#include "cli/dev_idp.h"
#include "cli/doctor.h"
#include "cli/token_command.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/url.h"
#include "http/client.h"
#include "http/server.h"
#include "server/config.h"

namespace {

int RunDevIdp(const std::string& listen, const std::string& issuer, const std::string& ready_file) {
  std::string host;
  uint16_t port = 0;
  if (auto s = signet::ParseListenAddress(listen, &host, &port); !s.ok()) {
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

// The admin API's location and token, shared by every command that calls it.
struct ConnectionFlags {
  std::string server;
  std::string token_file;

  void AddTo(CLI::App* command) {
    command->add_option("--server", server,
                        "signetd's URL (default $SIGNET_SERVER, else http://127.0.0.1:8080)");
    command->add_option("--token-file", token_file,
                        "file holding an admin token (default $SIGNET_ADMIN_TOKEN, else "
                        "$SIGNET_ADMIN_TOKEN_FILE, else ./data/admin.token)");
  }
};

// Runs `command` with an AdminCommands connected as `flags` say.
template <typename Command>
int WithAdmin(const ConnectionFlags& flags, Command command) {
  auto connection = signet::cli::ResolveAdminConnection(flags.server, flags.token_file);
  if (!connection.ok()) {
    std::cerr << "signet: " << connection.status().message() << "\n";
    return 2;
  }
  auto client = signet::http::MakeHttpClient({});
  signet::cli::AdminCommands admin(std::move(connection).value(), *client, std::cout, std::cerr);
  return command(admin);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "signet: the Signet command-line tool: apply, diff, export and roll back the access "
      "configuration, suspend and resume workloads, revoke tokens, rotate signing keys, "
      "manage admin tokens and vaulted secrets (through signetd's admin API), read and "
      "verify the audit trail, run a development issuer, get a credential for a job "
      "(signet token), and find static credentials that shadow federation (signet doctor). "
      "See docs/cli.md."};
  app.require_subcommand(1);

  // signet token DESTINATION
  signet::cli::TokenRequest token_request;
  std::string token_server;
  std::string token_ca_file;
  CLI::App* get_token = app.add_subcommand(
      "token",
      "get a credential for DESTINATION with the identity this job's platform gave it "
      "(signetd's POST /v1/credentials), for a shell or a CI job");
  get_token->add_option("destination", token_request.destination, "the destination's name")
      ->required();
  get_token->add_option("--server", token_server,
                        "signetd's URL (default $SIGNET_SERVER, else http://127.0.0.1:8080)");
  get_token->add_option("--ca-file", token_ca_file,
                        "PEM bundle to trust for an https signetd (default: the system's CAs)");
  get_token->add_option("--subject-token-file", token_request.subject_token_file,
                        "file holding the job's identity token, e.g. a Kubernetes "
                        "service-account token (default $SIGNET_SUBJECT_TOKEN_FILE, else the "
                        "token in $SIGNET_SUBJECT_TOKEN)");
  get_token->add_option("--subject-token-type", token_request.subject_token_type)
      ->check(CLI::IsMember({"jwt", "id_token"}))
      ->capture_default_str();
  get_token->add_option("--scope", token_request.scope, "scopes to ask for, space-separated");
  get_token
      ->add_option("--format", token_request.format,
                   "json: signetd's typed answer; env: `export` lines for eval (NAME='token', "
                   "or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN)")
      ->check(CLI::IsMember({"json", "env"}))
      ->capture_default_str();
  get_token
      ->add_option("--env-name", token_request.env_name,
                   "the variable --format env sets to a token or an API key (e.g. "
                   "ANTHROPIC_AUTH_TOKEN)")
      ->capture_default_str();
  int token_timeout_seconds = 30;
  get_token
      ->add_option("--timeout", token_timeout_seconds,
                   "seconds to wait for signetd, which may itself wait on the destination")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();

  // signet doctor [--pid PID] [--format text|json]
  signet::cli::DoctorOptions doctor_options;
  int doctor_pid = 0;
  CLI::App* doctor = app.add_subcommand(
      "doctor",
      "find static credentials in a process's environment (API keys, AWS keys, key files) that "
      "SDKs would use before federation, and say what replaces each; values are never printed "
      "(exit 0 none, 1 some, 2 the environment cannot be read)");
  doctor->add_option("--pid", doctor_pid, "the process to inspect (default: this environment)")
      ->check(CLI::PositiveNumber);
  doctor->add_option("--format", doctor_options.format, "text | json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

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

  ConnectionFlags connection;
  // signet admin token create|list|delete
  CLI::App* admin = app.add_subcommand("admin", "manage admin API tokens");
  admin->require_subcommand(1);
  CLI::App* token = admin->add_subcommand("token", "admin tokens (role admin required)");
  token->require_subcommand(1);
  std::string role;
  std::string ttl = "24h";
  std::string description;
  CLI::App* token_create = token->add_subcommand(
      "create", "create a token; it is printed once, on stdout, and stored only as a hash");
  token_create->add_option("--role", role, "admin | operator | auditor")
      ->required()
      ->check(CLI::IsMember({"admin", "operator", "auditor"}));
  token_create->add_option("--ttl", ttl, "lifetime: 90s, 15m, 8h, 30d (at most 365d)")
      ->capture_default_str();
  token_create->add_option("--description", description, "what the token is for");
  CLI::App* token_list = token->add_subcommand("list", "list tokens (never their secrets)");
  std::string token_id;
  CLI::App* token_delete = token->add_subcommand("delete", "delete a token by id");
  token_delete->add_option("ID", token_id, "the token's id")->required();
  for (CLI::App* command : {token_create, token_list, token_delete}) {
    connection.AddTo(command);
  }

  // signet workloads | suspend workload | resume workload | revoke
  CLI::App* workloads = app.add_subcommand("workloads", "list workloads and whether suspended");
  connection.AddTo(workloads);
  std::string workload;
  std::string reason;
  CLI::App* suspend = app.add_subcommand(
      "suspend", "cut a workload off everywhere: exchanges refused, its tokens inactive");
  suspend->require_subcommand(1);
  CLI::App* suspend_workload = suspend->add_subcommand("workload", "suspend a workload");
  suspend_workload->add_option("NAME", workload, "the workload")->required();
  suspend_workload->add_option("--reason", reason, "why (goes into the audit trail)")->required();
  CLI::App* resume = app.add_subcommand("resume", "undo a suspension");
  resume->require_subcommand(1);
  CLI::App* resume_workload = resume->add_subcommand("workload", "resume a workload");
  resume_workload->add_option("NAME", workload, "the workload")->required();
  resume_workload->add_option("--reason", reason, "why (goes into the audit trail)");
  std::string jti;
  CLI::App* revoke = app.add_subcommand("revoke", "revoke one issued token by its jti");
  revoke->add_option("--jti", jti, "the token's jti (see signet audit list)")->required();
  revoke->add_option("--reason", reason, "why (goes into the audit trail)")->required();
  for (CLI::App* command : {suspend_workload, resume_workload, revoke}) {
    connection.AddTo(command);
  }

  // signet secret put|list|delete|rotate-master
  CLI::App* secret = app.add_subcommand(
      "secret", "the secrets vault: values go in and are only ever read by signetd itself");
  secret->require_subcommand(1);
  std::string secret_name;
  std::string secret_file;
  CLI::App* secret_put =
      secret->add_subcommand("put", "store a secret (a new version if it exists) from stdin");
  secret_put->add_option("NAME", secret_name, "[a-z0-9._-], up to 128 characters")->required();
  secret_put->add_option("--from-file", secret_file, "read the value from this file");
  CLI::App* secret_list = secret->add_subcommand("list", "names and versions, never values");
  CLI::App* secret_delete = secret->add_subcommand("delete", "delete a secret");
  secret_delete->add_option("NAME", secret_name, "the secret")->required();
  for (CLI::App* command : {secret_put, secret_list, secret_delete}) {
    connection.AddTo(command);
  }
  // signet apply | diff | export | history | rollback
  std::vector<std::string> config_paths;
  std::string comment;
  CLI::App* apply = app.add_subcommand(
      "apply",
      "apply the access configuration (issuers, workloads, destinations, policies) in YAML "
      "files as one new version: validates, prints the difference from the version in force, "
      "and puts it in force on every replica within a second");
  CLI::App* diff = app.add_subcommand(
      "diff", "print what `signet apply` with these files would change, and change nothing");
  for (CLI::App* command : {apply, diff}) {
    command
        ->add_option("-f,--file", config_paths,
                     "a YAML file, or a directory whose *.yaml and *.yml files are read; "
                     "repeatable")
        ->required();
  }
  apply->add_option("--comment", comment, "why (goes into the history and the audit trail)");
  int64_t expected_version = 0;
  apply->add_option("--expected-version", expected_version,
                    "apply only if this is still the newest version (the one `signet diff` "
                    "compared against); otherwise change nothing");
  bool allow_empty = false;
  apply->add_flag("--allow-empty", allow_empty,
                  "allow files with no issuers, workloads, destinations or policies, which "
                  "remove every one");
  CLI::App* export_config = app.add_subcommand(
      "export", "print the access configuration in force as YAML (apply takes it back as is)");
  CLI::App* history =
      app.add_subcommand("history", "list the configuration versions, newest first (* in force)");
  int64_t rollback_to = 0;
  CLI::App* rollback = app.add_subcommand(
      "rollback", "put an earlier configuration version back in force, as a new version");
  rollback->add_option("--to", rollback_to, "the version to restore (see signet history)")
      ->required();
  rollback->add_option("--comment", comment, "why (goes into the history and the audit trail)");
  for (CLI::App* command : {apply, diff, export_config, history, rollback}) {
    connection.AddTo(command);
  }

  // signet keys list | rotate
  CLI::App* keys = app.add_subcommand("keys", "Signet's signing keys");
  keys->require_subcommand(1);
  CLI::App* keys_list = keys->add_subcommand("list", "the published keys and which one signs");
  CLI::App* keys_rotate = keys->add_subcommand(
      "rotate",
      "make a new signing key: published at once, signing after signing.prepublish, the old "
      "key kept published until its tokens have expired (role admin)");
  std::string keys_reason;
  keys_rotate->add_option("--reason", keys_reason, "why (goes into the audit trail)");
  for (CLI::App* command : {keys_list, keys_rotate}) {
    connection.AddTo(command);
  }

  // signet agent join-token create
  CLI::App* agent = app.add_subcommand("agent", "signet-agent enrolment");
  agent->require_subcommand(1);
  CLI::App* join_token = agent->add_subcommand("join-token", "one-time tokens agents join with");
  join_token->require_subcommand(1);
  std::string agent_name;
  std::string join_ttl;
  CLI::App* join_token_create = join_token->add_subcommand(
      "create",
      "create a token with which one signet-agent joins as NAME, once; printed on stdout, "
      "stored only as a hash (role admin)");
  join_token_create->add_option("--agent", agent_name, "the name the agent joins under")
      ->required();
  join_token_create->add_option("--ttl", join_ttl,
                                "how long it may wait to be used: 15m, 1h (default 1h, at "
                                "most 24h)");
  connection.AddTo(join_token_create);

  std::string rotate_dir = "./data";
  CLI::App* rotate_master = secret->add_subcommand(
      "rotate-master",
      "make a new master key and re-seal every signing key and secret under it, in one "
      "transaction; stop signetd first");
  rotate_master->add_option("--data-dir", rotate_dir, "signetd's data directory")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (get_token->parsed()) {
    token_request.server = signet::cli::ResolveServer(token_server);
    signet::http::ClientOptions client_options;
    client_options.ca_file = token_ca_file;
    client_options.timeout = std::chrono::seconds(token_timeout_seconds);
    auto client = signet::http::MakeHttpClient(client_options);
    return signet::cli::PrintToken(token_request, *client, std::cout, std::cerr);
  }

  if (token_create->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.CreateToken(role, ttl, description); });
  }
  if (token_list->parsed()) {
    return WithAdmin(connection, [](auto& a) { return a.ListTokens(); });
  }
  if (token_delete->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.DeleteToken(token_id); });
  }
  if (workloads->parsed()) {
    return WithAdmin(connection, [](auto& a) { return a.ListWorkloads(); });
  }
  if (suspend_workload->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.Suspend(workload, reason); });
  }
  if (resume_workload->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.Resume(workload, reason); });
  }
  if (revoke->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.Revoke(jti, reason); });
  }
  if (secret_put->parsed()) {
    return WithAdmin(connection,
                     [&](auto& a) { return a.PutSecret(secret_name, secret_file, std::cin); });
  }
  if (secret_list->parsed()) {
    return WithAdmin(connection, [](auto& a) { return a.ListSecrets(); });
  }
  if (secret_delete->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.DeleteSecret(secret_name); });
  }
  if (apply->parsed() || diff->parsed()) {
    signet::cli::AdminCommands::ApplyOptions options;
    options.comment = comment;
    if (apply->count("--expected-version") > 0) {
      options.expected_version = expected_version;
    }
    options.allow_empty = allow_empty;
    options.dry_run = diff->parsed();
    return WithAdmin(connection, [&](auto& a) { return a.ApplyConfig(config_paths, options); });
  }
  if (export_config->parsed()) {
    return WithAdmin(connection, [](auto& a) { return a.ExportConfig(); });
  }
  if (history->parsed()) {
    return WithAdmin(connection, [](auto& a) { return a.ConfigHistory(); });
  }
  if (rollback->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.Rollback(rollback_to, comment); });
  }
  if (keys_list->parsed()) {
    return WithAdmin(connection, [](auto& a) { return a.ListKeys(); });
  }
  if (keys_rotate->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.RotateKeys(keys_reason); });
  }
  if (join_token_create->parsed()) {
    return WithAdmin(connection, [&](auto& a) { return a.CreateJoinToken(agent_name, join_ttl); });
  }
  if (rotate_master->parsed()) {
    return signet::cli::RotateMasterKey(rotate_dir, std::cout, std::cerr);
  }
  if (doctor->parsed()) {
    if (doctor->count("--pid") > 0) {
      doctor_options.pid = doctor_pid;
    }
    return signet::cli::RunDoctor(doctor_options, std::cout, std::cerr);
  }
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
