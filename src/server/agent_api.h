// AgentApi: the routes signet-agent calls (docs/api.md, "Agents"; the wire is
// docs/agent.md's).
//
//   POST /v1/agents/join         a join token, or an OIDC token of the agent's platform,
//                                for an agent token (server/agent_tokens.h)
//   POST /v1/agents/renew        an agent token for a fresh one
//   POST /v1/agents/credentials  a destination's credential for a local process the agent
//                                attested, as POST /v1/credentials answers it plus
//                                `workload` and `url`
//   POST /v1/agents/usage        the requests the agent's proxy forwarded, into the audit
//                                trail (action proxy_request), in one commit
//   GET  /v1/agents/suspended    the names suspended now, which the agent purges
//
// Every route but join takes the agent token as `Authorization: Bearer`; a missing or
// bad one is 401 invalid_token. An agent whose name is suspended (`signet suspend
// workload NAME`) is refused everywhere (403 access_denied, agent_suspended), join and
// renew included. Joins and renewals (agent_join, agent_renew) and credential requests
// (token_exchange) are audited, allowed or not, and answered once their record is
// committed. Every answer carries Cache-Control: no-store and an X-Request-Id.
//
// Thread safety: the routes may run on any number of threads.
#pragma once

#include <memory>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/worker_pool.h"
#include "http/server.h"
#include "policy/kill_switch.h"
#include "server/agent_tokens.h"
#include "server/credential_delivery.h"
#include "server/token_endpoint.h"
#include "store/store.h"

namespace signet::server {

inline constexpr size_t kMaxUsageRecords = 1000;

class AgentApi {
 public:
  // Every reference must outlive the router's server; `workers` must be destroyed
  // before `audit` (as for AddTokenRoutes, whose metrics credential requests share).
  AgentApi(BrokerSource broker, const AgentTokens& tokens, store::Store& store,
           const policy::KillSwitch& kill, audit::AuditLog& audit, const Clock& clock,
           Random& random, WorkerPool& workers, MetricsRegistry* metrics = nullptr);

  void AddRoutes(http::Router& router);

 private:
  // Checks the agent token and the agent's suspension; the verified token.
  Result<jose::VerifiedJwt> Authenticate(const http::Request& request) const;
  audit::Event NewEvent(const http::Request& request, std::string_view action) const;
  // Answers a join or renewal: an agent token for `agent` unless it is refused or
  // suspended, once `event` is committed.
  void Admit(Result<std::string> agent, audit::Event event, http::Responder respond) const;

  void Join(const http::Request& request, http::Responder respond) const;
  void Renew(const http::Request& request, http::Responder respond) const;
  void Credentials(const http::Request& request, http::Responder respond) const;
  void Usage(const http::Request& request, http::Responder respond) const;
  http::Response Suspended(const http::Request& request) const;

  BrokerSource broker_;
  const AgentTokens& tokens_;
  store::Store& store_;
  const policy::KillSwitch& kill_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Random& random_;
  std::shared_ptr<CredentialDelivery> delivery_;
};

}  // namespace signet::server
