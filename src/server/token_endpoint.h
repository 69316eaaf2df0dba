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

#include <boost/json/value.hpp>
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

// A member of a typed credential request's JSON body other than destination, scope and
// requested_expires_in: stored into the request, or false when the endpoint takes no
// member of that name. Errors refuse the request.
using CredentialsMember = std::function<Result<bool>(
    std::string_view name, const boost::json::value& value, ExchangeRequest* into)>;

// Reads the JSON body of a typed credential request (POST /v1/credentials, POST
// /v1/agents/credentials): `destination` (required, into audiences), `scope` (dropped when
// empty) and `requested_expires_in` (positive seconds), each as the token endpoint
// reads its parameter of that name, and the endpoint's own members through `member`.
// invalid_request: content_type_invalid (not application/json), the strict JSON
// parser's reasons, target_missing, parameter_invalid (a member of the wrong type),
// parameter_unknown (naming `members`, the members the endpoint takes),
// requested_expires_in_invalid.
Result<ExchangeRequest> ParseCredentialsJson(const http::Request& request,
                                             const CredentialsMember& member,
                                             std::string_view members);

// `value` as a string; invalid_request parameter_invalid (naming `name`) otherwise.
Result<std::string> StringMember(std::string_view name, const boost::json::value& value);

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
