// The CLI's admin commands: `signet admin token ...`, `signet suspend|resume workload`,
// `signet revoke`, `signet workloads`, `signet secret ...`, `signet apply|diff|export|
// history|rollback`, `signet keys list|rotate`, `signet agent join-token create`. Each is one call
// to signetd's admin API (docs/api.md) with an admin token, printed for a human; errors print the
// server's error_description. `signet secret rotate-master` works on the data directory
// instead, with signetd stopped.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "common/secret.h"
#include "common/status.h"
#include "http/client.h"

namespace signet::cli {

// Where the admin API is and the token to call it with.
struct AdminConnection {
  std::string server;  // "http://127.0.0.1:8080"
  Secret token;
};

// signetd's URL without a trailing slash: `server_flag`, else $SIGNET_SERVER, else
// http://127.0.0.1:8080.
std::string ResolveServer(const std::string& server_flag);

// The server as ResolveServer finds it. The token:
// the file `token_file_flag`, else $SIGNET_ADMIN_TOKEN, else the file
// $SIGNET_ADMIN_TOKEN_FILE, else ./data/admin.token (the bootstrap token of a signetd
// started in this directory). invalid_request admin_token_missing says which were tried.
Result<AdminConnection> ResolveAdminConnection(const std::string& server_flag,
                                               const std::string& token_file_flag);

class AdminCommands {
 public:
  AdminCommands(AdminConnection connection, http::HttpClient& client, std::ostream& out,
                std::ostream& err);

  // Each returns the exit status: 0 done, 1 refused or failed (message on `err`).
  int CreateToken(const std::string& role, const std::string& ttl, const std::string& description);
  int ListTokens();
  int DeleteToken(const std::string& id);
  int ListWorkloads();
  int Suspend(const std::string& workload, const std::string& reason);
  int Resume(const std::string& workload, const std::string& reason);
  int Revoke(const std::string& jti, const std::string& reason);
  // The value from `file`, or stdin when `file` is empty or "-"; a trailing newline is
  // kept, as the bytes are the secret.
  int PutSecret(const std::string& name, const std::string& file, std::istream& in);
  int ListSecrets();
  int DeleteSecret(const std::string& name);
  // `signet apply -f PATH...` and `signet diff -f PATH...`: the YAML files named, and the
  // *.yaml and *.yml files of directories named (in name order), sent as one
  // configuration; prints the difference from the version in force and, unless
  // `dry_run`, applies it as a new version.
  struct ApplyOptions {
    std::string comment;
    std::optional<int64_t> expected_version;  // refuse unless this version is the newest
    bool allow_empty = false;                 // allow removing everything
    bool dry_run = false;                     // signet diff
  };
  int ApplyConfig(const std::vector<std::string>& paths, const ApplyOptions& options);
  // `signet export`: the version in force as YAML, which `signet apply` takes back as is.
  int ExportConfig();
  int ConfigHistory();
  int Rollback(int64_t to, const std::string& comment);
  // `signet keys list` and `signet keys rotate`: Signet's signing keys.
  int ListKeys();
  int RotateKeys(const std::string& reason);
  // `signet agent join-token create`: a one-time token for signet-agent `agent` to join
  // with, printed alone on `out` (details on `err`); `ttl` "" for signetd's default.
  int CreateJoinToken(const std::string& agent, const std::string& ttl);

 private:
  // The answer's JSON object, or nullopt after printing the error.
  std::optional<std::string> Call(const std::string& method, const std::string& path,
                                  std::string body, const std::string& content_type);

  AdminConnection connection_;
  http::HttpClient& client_;
  std::ostream& out_;
  std::ostream& err_;
};

// `signet secret rotate-master`: a new master key for the data directory, every sealed
// key re-sealed in one transaction (store/master_key.h, RotateMasterKeyFile). signetd
// must be stopped: a running one keeps the old key in memory.
int RotateMasterKey(const std::string& data_dir, std::ostream& out, std::ostream& err);

}  // namespace signet::cli
