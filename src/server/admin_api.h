// The admin API (/v1/...) and the OAuth token-management endpoints (RFC 7662
// introspection, RFC 7009 revocation): what operators and resource servers call, as
// opposed to the token endpoint that workloads call. docs/api.md documents every route;
// a test checks that document against Routes().
//
// Every call needs an admin token (server/admin_auth.h) whose role allows it. Every
// change (suspend, resume, revoke, admin token created or deleted, secret written or
// deleted, signing key rotated, agent join token created) is written to the store, then to the
// audit trail with the token id that made it, and answered once its audit record is committed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/server.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "server/admin_auth.h"
#include "server/config_sync.h"
#include "server/durable_kill_switch.h"
#include "server/signing_key_rotator.h"
#include "store/secrets.h"
#include "store/store.h"

namespace signet::server {

class AdminApi {
 public:
  // `signing_keys` gives the published keys (read per request: they change when keys
  // rotate) for introspection and revocation, and serves /v1/keys.
  // Workload names, and what introspection accepts as Signet's tokens, come from the
  // access configuration in force (`config`), read per request.
  AdminApi(AdminTokens& tokens, DurableKillSwitch& kill, ConfigSync& config, store::Store& store,
           store::SecretVault& vault, audit::AuditLog& audit, SigningKeyRotator& signing_keys,
           const Clock& clock, Random& random);

  void AddRoutes(http::Router& router);

 private:
  // Answers through `respond` once `event` is committed: `ok` on success, an error
  // saying the change was made but not recorded otherwise.
  void RecordChange(audit::Event event, http::Response ok, http::Responder respond);
  audit::Event ChangeEvent(const http::Request& request, const Principal& who, std::string action,
                           std::string target, std::string detail) const;
  // Verifies one of Signet's own access tokens (signature, iss, aud, exp, typ).
  Result<jose::VerifiedJwt> VerifyOwnToken(std::string_view token) const;
  void Revoke(const http::Request& request, const Principal& who, std::string jti,
              SystemTime expires_at, std::string reason, http::Responder respond);

  http::Response Whoami(const http::Request& request) const;
  http::Response ListWorkloads(const http::Request& request) const;
  void Suspend(const http::Request& request, http::Responder respond);
  void Resume(const http::Request& request, http::Responder respond);
  void RevokeByJti(const http::Request& request, http::Responder respond);
  http::Response ListAudit(const http::Request& request) const;
  http::Response ListTokens(const http::Request& request) const;
  void CreateToken(const http::Request& request, http::Responder respond);
  void DeleteToken(const http::Request& request, http::Responder respond);
  http::Response ListSecrets(const http::Request& request) const;
  void PutSecret(const http::Request& request, http::Responder respond);
  void DeleteSecret(const http::Request& request, http::Responder respond);
  http::Response ListKeys(const http::Request& request) const;
  void RotateKeys(const http::Request& request, http::Responder respond);
  http::Response GetConfig(const http::Request& request) const;
  http::Response ListConfigVersions(const http::Request& request) const;
  http::Response DiffConfig(const http::Request& request) const;
  void ApplyConfig(const http::Request& request, http::Responder respond);
  void RollbackConfig(const http::Request& request, http::Responder respond);
  // Records an apply or rollback that changed something, and answers with `result`.
  void RecordConfigChange(const http::Request& request, const Principal& who, std::string action,
                          std::string detail, const ConfigChangeResult& result,
                          http::Responder respond);
  void CreateAgentJoinToken(const http::Request& request, http::Responder respond);
  // Whether `name` is a workload of the configuration in force, or an agent name one of
  // its agent issuers trusts: what may be suspended.
  bool Suspendable(std::string_view name) const;
  http::Response Introspect(const http::Request& request) const;
  void RevokeToken(const http::Request& request, http::Responder respond);

  AdminTokens& tokens_;
  DurableKillSwitch& kill_;
  ConfigSync& config_;
  store::Store& store_;
  store::SecretVault& vault_;
  audit::AuditLog& audit_;
  SigningKeyRotator& signing_keys_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace signet::server
