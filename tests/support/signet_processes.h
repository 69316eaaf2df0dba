// Signet's programs as end-to-end tests run them: `signet dev idp` and `signetd` as real
// processes on loopback ports, spoken to with curl.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace signet::testing {

// A program listening on 127.0.0.1 at a port it picked and reported through its
// --ready-file; stopped (SIGKILL) when this object dies.
struct RunningProcess {
  ReadyPipe ready;
  std::unique_ptr<Subprocess> process;
  std::string base_url;  // "http://127.0.0.1:<port>"; empty when it never became ready
};

// Starts `argv` plus `--ready-file <pipe>`; output goes to `log_path`.
std::unique_ptr<RunningProcess> StartListening(std::vector<std::string> argv,
                                               const std::string& log_path);

// `signet dev idp --listen 127.0.0.1:0`.
std::unique_ptr<RunningProcess> StartDevIdp(const std::string& signet_path,
                                            const std::string& log_path);

// `signetd --config <config_path> --listen <listen>`.
std::unique_ptr<RunningProcess> StartSignetd(const std::string& signetd_path,
                                             const std::string& config_path,
                                             const std::string& log_path,
                                             const std::string& listen = "127.0.0.1:0");

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// Runs curl with `args` (shell words: URL, -d ...) and returns status, headers and body.
HttpAnswer Curl(const std::string& args);

// A token from the dev IdP at `idp_url` (its /mint, with form `fields`); empty on failure.
std::string MintToken(const std::string& idp_url, const std::string& fields);

// POSTs an RFC 8693 exchange of `subject_token` (sent byte for byte, whatever it holds)
// to `signetd_url`/oauth2/token with the extra curl `args` (e.g. "-d audience=orders").
HttpAnswer ExchangeToken(const std::string& signetd_url, const std::string& subject_token,
                         const std::string& args);

// POSTs `json_body` (sent byte for byte) to `signetd_url`/v1/credentials.
HttpAnswer RequestCredential(const std::string& signetd_url, const std::string& json_body);

// The whole file at `path` ("" when it cannot be read): logs and files the programs wrote.
std::string ReadFile(const std::string& path);

// A loopback TCP port that was free a moment ago (for programs whose own URL must be in
// their config before they start).
int FreeLoopbackPort();

}  // namespace signet::testing
