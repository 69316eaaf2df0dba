// CredentialDelivery: how every endpoint that hands out a destination's credential
// (POST /oauth2/token, /v1/credentials, /v1/agents/credentials) finishes a request once
// the Broker has decided it.
//
// A refusal is recorded as such. An authorization is issued by the destination's
// provider: at once when the provider does not call out, else on the worker pool (a
// request finding its queue full is refused: temporarily_unavailable,
// destinations_busy). A credential whose granted lifetime ran out meanwhile is not handed
// out (lifetime_exhausted). Then the request's audit record is committed, and only then
// is the answer written: the endpoint's body for a credential, the token endpoint's
// {error, error_description} otherwise (a server_error says no more than which audit
// record explains it), and a 503 audit_unavailable, never the credential, when the
// record cannot be committed. Every answer carries `Cache-Control: no-store`,
// `Pragma: no-cache` and the `X-Request-Id` of its audit record.
//
// Thread safety: Deliver may be called from any thread. Work queued for later holds the
// delivery itself, so a shutdown that destroys the router first leaves none dangling.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/worker_pool.h"
#include "credentials/credential_answer.h"
#include "credentials/provider.h"
#include "http/server.h"
#include "server/broker.h"

namespace signet::server {

// RFC 6749 §5.1: answers about tokens, errors alike, must not be cached.
void AddNoStore(http::Response* response);

class CredentialDelivery : public std::enable_shared_from_this<CredentialDelivery> {
 public:
  // The body of the answer for an issued credential; `expires_in` counts from the answer.
  using AnswerBody = std::function<boost::json::object(const credentials::Credential& credential,
                                                       std::chrono::seconds expires_in)>;

  // `audit`, `clock`, `workers` and `metrics` must outlive every request delivered, and
  // `workers` must be destroyed (running what is queued) before `audit`. With `metrics`,
  // each request counts in signet_exchanges_total{decision,error,reason} and its time,
  // from `started` to the committed answer, in signet_exchange_duration_seconds.
  static std::shared_ptr<CredentialDelivery> Create(audit::AuditLog& audit, const Clock& clock,
                                                    WorkerPool& workers, MetricsRegistry* metrics);

  // Issues what `authorized` allows (or records its refusal) into `event`, commits
  // `event`, and answers through `respond`. `broker` made the authorization and owns its
  // provider: it is kept until the provider is done.
  void Deliver(std::shared_ptr<const Broker> broker, Result<Broker::Authorization> authorized,
               audit::Event event, AnswerBody body, http::Responder respond,
               MonotonicTime started) const;

 private:
  CredentialDelivery(audit::AuditLog& audit, const Clock& clock, WorkerPool& workers,
                     MetricsRegistry* metrics);

  // Counts the request, and answers once its audit record is committed.
  void Finish(Result<credentials::Credential> credential, audit::Event event, AnswerBody body,
              http::Responder respond, MonotonicTime started) const;

  audit::AuditLog& audit_;
  const Clock& clock_;
  WorkerPool& workers_;
  MetricsRegistry* metrics_;
  Histogram* duration_;
};

}  // namespace signet::server
