// The two endpoints where a workload trades the identity its platform gave it for a
// destination's credential:
//
// POST /oauth2/token: the RFC 8693 token exchange. Parses the form (RFC 6749 §3.2: a
// parameter at most once, except the repeatable `audience` and `resource`; parameters
// without a value count as omitted). Serves only destinations whose credentials are
// tokens; any other is refused (invalid_request, credential_not_a_token) before its
// provider runs.
//
// POST /v1/credentials: any destination's credential, typed. A JSON object {destination,
// subject_token, subject_token_type (default ...:token-type:jwt), scope,
// requested_expires_in} is answered with {destination, type, expires_at, expires_in,
// scope} and, by type: "token" {token, token_type, issued_token_type, headers},
// "headers" {headers}, "aws" {aws: {access_key_id, secret_access_key, session_token}};
// `headers` are what a request to the destination carries. Errors are the token
// endpoint's.
//
// Both run the Broker and answer only after the request's audit record is committed: a
// credential whose issuance was not recorded is never handed out (the answer is then 503
// temporarily_unavailable). Every answer, success or error, carries
// `Cache-Control: no-store` and `Pragma: no-cache`, and an `X-Request-Id` that names its
// audit record.
#pragma once

#include <functional>
#include <memory>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/worker_pool.h"
#include "http/server.h"
#include "server/broker.h"

namespace signet::server {

inline constexpr std::string_view kTokenPath = "/oauth2/token";
inline constexpr std::string_view kCredentialsPath = "/v1/credentials";

// The broker in force, per request: the configuration can change while signetd serves,
// and a request finishes on the broker it started with (server/config_sync.h).
using BrokerSource = std::function<std::shared_ptr<const Broker>()>;

// `audit`, `clock`, `random`, `workers` and `metrics` must outlive the router's server,
// and `workers` must be destroyed (running what is queued) before `audit`. Every request
// is decided (Broker::Authorize) on the I/O thread; for a destination whose provider calls
// out, the provider then runs on `workers`, and a request finding their queue full is
// refused (temporarily_unavailable, destinations_busy).
// With `metrics`, each exchange counts in signet_exchanges_total{decision,error,reason}
// and its time, from the request to the committed answer, in
// signet_exchange_duration_seconds.
void AddTokenRoutes(http::Router& router, BrokerSource broker, audit::AuditLog& audit,
                    const Clock& clock, Random& random, WorkerPool& workers,
                    MetricsRegistry* metrics = nullptr);

}  // namespace signet::server
