// `signet token DESTINATION`: a credential for a shell or a CI job, through signetd's
// credentials endpoint (POST /v1/credentials), with the identity the job's platform gave
// it.
//
// The subject token is read from `subject_token_file`, else the file named by
// $SIGNET_SUBJECT_TOKEN_FILE, else $SIGNET_SUBJECT_TOKEN itself (surrounding whitespace
// trimmed, as platforms write these files with a newline). Printed as the endpoint's
// typed JSON answer (`json`), or as shell assignments to source (`env`):
//
//   export SIGNET_ACCESS_TOKEN='...'     a token, or the value of a one-header credential
//                                        such as an API key (the name is `env_name`)
//   export AWS_ACCESS_KEY_ID='...'       AWS keys, in the names AWS SDKs read
//   export AWS_SECRET_ACCESS_KEY='...'
//   export AWS_SESSION_TOKEN='...'
//
// so that `eval "$(signet token claude --format env --env-name ANTHROPIC_AUTH_TOKEN)"`
// hands the token to a tool that reads it from the environment. The credential is
// printed to stdout only; errors go to stderr with the server's error_description.
#pragma once

#include <iosfwd>
#include <string>

#include "http/client.h"

namespace signet::cli {

struct TokenRequest {
  std::string server;  // signetd's URL, without a trailing slash
  std::string destination;
  std::string subject_token_file;
  std::string subject_token_type = "jwt";  // jwt | id_token
  std::string scope;                       // optional
  std::string format = "json";             // json | env
  std::string env_name = "SIGNET_ACCESS_TOKEN";
};

// Exit status: 0 printed; 1 refused or failed; 2 no subject token or a bad option (the
// CLI's parser refuses most bad options before this runs).
int PrintToken(const TokenRequest& request, http::HttpClient& client, std::ostream& out,
               std::ostream& err);

}  // namespace signet::cli
