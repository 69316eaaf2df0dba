// SignetdClient: the agent's side of the conversation with the broker (docs/agent.md):
// join, keep the agent token fresh, ask for attested callers' credentials, report the
// proxy's traffic, and learn which workloads are suspended.
//
// The agent token is a bearer secret: it is kept in memory only, and never logged or put
// in an error. Calls block (the HTTP client's timeout bounds them): callers are the
// agent's worker threads and background loops, never an I/O thread.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "agent/edge.h"
#include "common/clock.h"
#include "common/status.h"
#include "http/client.h"

namespace signet::agent {

struct SignetdClientOptions {
  std::string base_url;  // without a trailing slash
  // One of the two (AgentConfig): the one-time join token, or an OIDC token re-read at
  // every join.
  std::string join_token_file;
  std::string identity_token_file;
};

class SignetdClient {
 public:
  // `http` and `clock` must outlive the client.
  SignetdClient(SignetdClientOptions options, http::HttpClient& http, const Clock& clock);

  // Trades the join token or the identity token for an agent token. A refusal says what
  // to do (a spent join token needs a new one from `signet agent join-token create`).
  Status Join();

  // Renews the agent token once half its life has passed (or joins again with the
  // identity token when it could not be renewed in time); returns how long to wait
  // before calling again. For a BackgroundLoop.
  std::chrono::milliseconds MaintainToken();

  // The name signetd knows this agent by; "" before Join.
  std::string agent_name() const;

  // The credential signetd issues `caller` (as this agent attested it) for `destination`.
  Result<EdgeCredential> RequestCredential(const ProcessSelectors& caller,
                                           std::string_view destination);
  // Reports proxied requests (at most 1000 a call) to the audit trail.
  Status SendUsage(const std::vector<UsageRecord>& records);
  // The workloads suspended now.
  Result<std::vector<std::string>> SuspendedWorkloads();

 private:
  // Sends a JSON request (an empty body: none) with the agent token when `authorized`,
  // and answers the 2xx body as a JSON object; signetd's OAuth error as a Status.
  Result<boost::json::object> Call(std::string_view method, std::string_view path,
                                   const boost::json::object* body, bool authorized);
  // Installs an agent-token answer of join or renew.
  Status TakeAgentToken(const boost::json::object& answer);
  // How long until the agent token is half spent (negative once it is).
  std::chrono::milliseconds UntilRenewal() const;
  Result<boost::json::object> JoinRequest() const;

  const SignetdClientOptions options_;
  http::HttpClient& http_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::string agent_name_;   // guarded by mu_
  std::string agent_token_;  // guarded by mu_
  SystemTime issued_at_;     // guarded by mu_
  SystemTime expires_at_;    // guarded by mu_
};

// The typed credential answer of signetd (POST /v1/credentials and
// /v1/agents/credentials) as an EdgeCredential; server_error
// (credential_answer_malformed) for an answer that is not one.
Result<EdgeCredential> ParseCredentialAnswer(const boost::json::object& answer);

}  // namespace signet::agent
