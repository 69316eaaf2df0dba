#include "server/admin_api.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "common/json.h"
#include "http/form.h"
#include "server/agent_tokens.h"
#include "server/config.h"

namespace signet::server {
namespace {

constexpr size_t kMaxReasonBytes = 1024;
constexpr size_t kAuditPageMax = 1000;

http::Response Fail(const Status& status) {
  http::Response response = http::Response::Error(status);
  if (status.code() == ErrorCode::kInvalidToken) {
    // RFC 6750 §3: a 401 names the scheme it wants.
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"signet-admin\"");
  }
  return response;
}

http::Response Ok(int status, const boost::json::value& body) {
  http::Response response = http::Response::Json(status, boost::json::serialize(body));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

std::string Rfc3339(int64_t unix_seconds) {
  return FormatUtcSeconds(FromUnixSeconds(unix_seconds));
}

// The form parameter `token` (introspection, revocation), required.
Result<std::string> FormToken(const http::Request& request, std::string_view purpose) {
  SIGNET_ASSIGN_OR_RETURN(auto form, http::ParseForm(request.body));
  for (auto& [key, value] : form) {
    if (key == "token" && !value.empty()) {
      return std::move(value);
    }
  }
  return Status(ErrorCode::kInvalidRequest, "token_missing",
                "send the token to " + std::string(purpose) + " as the form parameter token");
}

// The request's JSON object body; an empty body is an empty object.
Result<boost::json::object> JsonBody(const http::Request& request) {
  if (request.body.empty()) {
    return boost::json::object();
  }
  auto body = ParseJsonObject(request.body);
  if (!body.ok()) {
    return Status(ErrorCode::kInvalidRequest, "body_invalid",
                  "the body must be a JSON object: " + body.status().message());
  }
  return body;
}

// An optional string member; invalid_request when present and not a string.
Result<std::optional<std::string>> StringField(const boost::json::object& body,
                                               std::string_view name) {
  const boost::json::value* value = body.if_contains(name);
  if (value == nullptr) {
    return std::optional<std::string>();
  }
  if (!value->is_string()) {
    return Status(ErrorCode::kInvalidRequest, "body_invalid",
                  "\"" + std::string(name) + "\" must be a string");
  }
  return std::optional<std::string>(std::string(value->get_string()));
}

// A note for the audit trail ("reason", "comment"): empty when absent, at most
// kMaxReasonBytes.
Result<std::string> OptionalReason(const boost::json::object& body,
                                   std::string_view name = "reason") {
  SIGNET_ASSIGN_OR_RETURN(std::optional<std::string> reason, StringField(body, name));
  if (reason && reason->size() > kMaxReasonBytes) {
    return Status(ErrorCode::kInvalidRequest, "reason_too_long",
                  "\"" + std::string(name) + "\" is limited to 1024 bytes");
  }
  return reason.value_or("");
}

Result<std::string> RequiredReason(const boost::json::object& body) {
  SIGNET_ASSIGN_OR_RETURN(std::string reason, OptionalReason(body));
  if (reason.empty()) {
    return Status(ErrorCode::kInvalidRequest, "reason_missing",
                  "say why in \"reason\": it goes into the audit trail");
  }
  return reason;
}

// A query parameter as a non-negative integer, `fallback` when absent.
Result<int64_t> QueryNumber(const http::Request& request, std::string_view name, int64_t fallback) {
  SIGNET_ASSIGN_OR_RETURN(auto form, http::ParseForm(request.query));
  for (const auto& [key, value] : form) {
    if (key != name) {
      continue;
    }
    int64_t number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size() || number < 0) {
      return Status(ErrorCode::kInvalidRequest, "query_invalid",
                    std::string(name) + " must be a non-negative integer");
    }
    return number;
  }
  return fallback;
}

boost::json::object TokenJson(const store::AdminTokenRow& row) {
  return {{"id", row.id},
          {"role", row.role},
          {"description", row.description},
          {"created_at", Rfc3339(row.created_at)},
          {"expires_at", Rfc3339(row.expires_at)}};
}

// A signing key as /v1/keys lists it. `state`: pending (published, signs from
// activates_at), active (within its signing time), retired (published until
// unpublish_at, signs no more). Unset times are null.
boost::json::object KeyJson(const store::SigningKeyRow& row, int64_t now, bool signing) {
  std::string_view state = row.activates_at > now        ? "pending"
                           : store::IsActiveAt(row, now) ? "active"
                                                         : "retired";
  auto time = [](int64_t t) {
    return t == 0 ? boost::json::value() : boost::json::value(Rfc3339(t));
  };
  return {{"kid", row.kid},
          {"algorithm", row.algorithm},
          {"state", state},
          {"signing", signing},
          {"created_at", Rfc3339(row.created_at)},
          {"activates_at", time(row.activates_at)},
          {"retires_at", time(row.retires_at)},
          {"unpublish_at", time(row.unpublish_at)}};
}

// {"documents": [{"source": "team-a.yaml", "text": "<YAML>"}, ...]}: what `signet apply`
// and `signet diff` send, one entry per file, so that errors name the file.
Result<std::vector<ConfigDocument>> ConfigDocuments(const boost::json::object& body) {
  const boost::json::value* documents = body.if_contains("documents");
  if (documents == nullptr || !documents->is_array()) {
    return Status(ErrorCode::kInvalidRequest, "body_invalid",
                  "send the configuration as \"documents\": [{\"source\", \"text\"}, ...]");
  }
  std::vector<ConfigDocument> out;
  for (const boost::json::value& entry : documents->get_array()) {
    const boost::json::object* document = entry.if_object();
    const boost::json::value* source = document ? document->if_contains("source") : nullptr;
    const boost::json::value* text = document ? document->if_contains("text") : nullptr;
    if (source == nullptr || !source->is_string() || source->get_string().empty() ||
        source->get_string().size() > 1024 || text == nullptr || !text->is_string()) {
      return Status(ErrorCode::kInvalidRequest, "body_invalid",
                    "each document needs a \"source\" (a file name, up to 1024 bytes) and a "
                    "\"text\" (its YAML)");
    }
    out.push_back({std::string(source->get_string()), std::string(text->get_string())});
  }
  return out;
}

// A configuration refused at apply time is the caller's mistake: 400, not 500; a version
// that landed meanwhile is 409, so automation can tell "re-plan" from "fix the file".
http::Response ConfigFailure(const Status& status) {
  http::Response response =
      Fail(status.code() == ErrorCode::kInvalidConfig
               ? Status(ErrorCode::kInvalidRequest, status.reason(), status.message())
               : status);
  if (status.reason() == "config_version_conflict") {
    response.status = 409;
  }
  return response;
}

boost::json::object ChangeJson(const ConfigChangeResult& result) {
  boost::json::array changes;
  for (const ConfigChange& change : result.changes) {
    boost::json::array lines;
    for (const auto& line : change.lines) {
      lines.emplace_back(line);
    }
    std::string_view kind = change.kind == ConfigChange::Kind::kAdded     ? "added"
                            : change.kind == ConfigChange::Kind::kRemoved ? "removed"
                                                                          : "changed";
    changes.push_back(
        boost::json::object{{"object", change.object}, {"change", kind}, {"lines", lines}});
  }
  return {{"version_before", result.version_before},
          {"version_after", result.version_after},
          {"changed", !result.changes.empty()},
          {"changes", std::move(changes)},
          {"diff", FormatConfigDiff(result.changes)}};
}

boost::json::object VersionJson(const store::ConfigVersionRow& row) {
  boost::json::object out{{"version", row.version}, {"created_at", Rfc3339(row.created_at)},
                          {"actor", row.actor},     {"origin", row.origin},
                          {"comment", row.comment}, {"digest", row.digest}};
  if (row.origin == "rollback") {
    out["rollback_of"] = row.rollback_of;
  }
  return out;
}

}  // namespace

AdminApi::AdminApi(AdminTokens& tokens, DurableKillSwitch& kill, ConfigSync& config,
                   store::Store& store, store::SecretVault& vault, audit::AuditLog& audit,
                   SigningKeyRotator& signing_keys, const Clock& clock, Random& random)
    : tokens_(tokens),
      kill_(kill),
      config_(config),
      store_(store),
      vault_(vault),
      audit_(audit),
      signing_keys_(signing_keys),
      clock_(clock),
      random_(random) {}

void AdminApi::AddRoutes(http::Router& router) {
  auto sync = [this](http::Response (AdminApi::*handler)(const http::Request&) const) {
    return [this, handler](const http::Request& request) { return (this->*handler)(request); };
  };
  auto async = [this](void (AdminApi::*handler)(const http::Request&, http::Responder)) {
    return [this, handler](const http::Request& request, http::Responder respond) {
      (this->*handler)(request, std::move(respond));
    };
  };
  router.Add("GET", "/v1/whoami", sync(&AdminApi::Whoami));
  router.Add("GET", "/v1/workloads", sync(&AdminApi::ListWorkloads));
  router.AddAsync("POST", "/v1/workloads/{name}/suspend", async(&AdminApi::Suspend));
  router.AddAsync("POST", "/v1/workloads/{name}/resume", async(&AdminApi::Resume));
  router.AddAsync("POST", "/v1/revocations", async(&AdminApi::RevokeByJti));
  router.Add("GET", "/v1/audit", sync(&AdminApi::ListAudit));
  router.Add("GET", "/v1/admin-tokens", sync(&AdminApi::ListTokens));
  router.AddAsync("POST", "/v1/admin-tokens", async(&AdminApi::CreateToken));
  router.AddAsync("DELETE", "/v1/admin-tokens/{id}", async(&AdminApi::DeleteToken));
  router.Add("GET", "/v1/secrets", sync(&AdminApi::ListSecrets));
  router.AddAsync("PUT", "/v1/secrets/{name}", async(&AdminApi::PutSecret));
  router.AddAsync("DELETE", "/v1/secrets/{name}", async(&AdminApi::DeleteSecret));
  router.Add("GET", "/v1/keys", sync(&AdminApi::ListKeys));
  router.AddAsync("POST", "/v1/keys/rotate", async(&AdminApi::RotateKeys));
  router.Add("GET", "/v1/config", sync(&AdminApi::GetConfig));
  router.AddAsync("POST", "/v1/config", async(&AdminApi::ApplyConfig));
  router.Add("POST", "/v1/config/diff", sync(&AdminApi::DiffConfig));
  router.Add("GET", "/v1/config/versions", sync(&AdminApi::ListConfigVersions));
  router.AddAsync("POST", "/v1/config/rollback", async(&AdminApi::RollbackConfig));
  router.Add("POST", "/oauth2/introspect", sync(&AdminApi::Introspect));
  router.AddAsync("POST", "/oauth2/revoke", async(&AdminApi::RevokeToken));
  router.AddAsync("POST", "/v1/agents/join-tokens", async(&AdminApi::CreateAgentJoinToken));
}

audit::Event AdminApi::ChangeEvent(const http::Request& request, const Principal& who,
                                   std::string action, std::string target,
                                   std::string detail) const {
  audit::Event event;
  event.time = clock_.Now();
  event.request_id = random_.Base64UrlId(12);
  event.client_address = request.remote_address;
  event.decision = "allow";
  event.action = std::move(action);
  event.actor = who.token_id;
  event.target = std::move(target);
  event.detail = std::move(detail);
  // The configuration the change was made under; a configuration change overrides both.
  event.config_before = event.config_after = std::to_string(config_.Current()->version);
  return event;
}

void AdminApi::RecordChange(audit::Event event, http::Response ok, http::Responder respond) {
  std::string request_id = event.request_id;
  audit_.Append(std::move(event), [ok = std::move(ok), respond = std::move(respond),
                                   request_id](const Status& committed) mutable {
    http::Response response =
        committed.ok()
            ? std::move(ok)
            : Fail(Status(ErrorCode::kServerError, "audit_unavailable",
                          "the change was made but the audit trail could not record it: " +
                              committed.message()));
    response.headers.emplace_back("X-Request-Id", request_id);
    respond(std::move(response));
  });
}

http::Response AdminApi::Whoami(const http::Request& request) const {
  auto who = tokens_.Authenticate(request.Header("Authorization"));
  if (!who.ok()) {
    return Fail(who.status());
  }
  return Ok(200, boost::json::object{{"id", who->token_id}, {"role", RoleName(who->role)}});
}

http::Response AdminApi::ListWorkloads(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kReadConfig);
  if (!who.ok()) {
    return Fail(who.status());
  }
  boost::json::array workloads;
  for (const auto& name : config_.Current()->workloads) {
    boost::json::object entry{{"name", name}, {"suspended", false}};
    if (std::optional<policy::Suspension> s = kill_.state().SuspensionOf(name)) {
      entry["suspended"] = true;
      entry["reason"] = s->reason;
      entry["suspended_by"] = s->actor;
      entry["suspended_at"] = Rfc3339(ToUnixSecondsFloor(s->since));
    }
    workloads.push_back(std::move(entry));
  }
  return Ok(200, boost::json::object{{"workloads", std::move(workloads)}});
}

void AdminApi::Suspend(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kSuspend);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  std::string workload(request.PathParam("name"));
  if (!Suspendable(workload)) {
    return respond(Fail(Status(ErrorCode::kInvalidRequest, "workload_unknown",
                               "no workload is named \"" + workload.substr(0, 100) + "\"")));
  }
  auto body = JsonBody(request);
  Result<std::string> reason =
      body.ok() ? RequiredReason(*body) : Result<std::string>(body.status());
  if (!reason.ok()) {
    return respond(Fail(reason.status()));
  }
  SystemTime now = clock_.Now();
  if (Status s = kill_.Suspend({workload, *reason, who->token_id, ToUnixSecondsFloor(now)});
      !s.ok()) {
    return respond(Fail(s));
  }
  RecordChange(ChangeEvent(request, *who, "suspend_workload", workload, *reason),
               Ok(200, boost::json::object{{"workload", workload}, {"suspended", true}}),
               std::move(respond));
}

bool AdminApi::Suspendable(std::string_view name) const {
  std::shared_ptr<const AccessSnapshot> current = config_.Current();
  const std::vector<AgentIssuerConfig>& agent_issuers = current->config.agent_issuers;
  return current->workloads.contains(name) ||
         std::any_of(agent_issuers.begin(), agent_issuers.end(),
                     [name](const AgentIssuerConfig& issuer) { return issuer.Trusts(name); });
}

void AdminApi::Resume(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kSuspend);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  std::string workload(request.PathParam("name"));
  if (!Suspendable(workload)) {
    return respond(Fail(Status(ErrorCode::kInvalidRequest, "workload_unknown",
                               "no workload is named \"" + workload.substr(0, 100) + "\"")));
  }
  auto body = JsonBody(request);
  if (!body.ok()) {
    return respond(Fail(body.status()));
  }
  auto reason = OptionalReason(*body);
  if (!reason.ok()) {
    return respond(Fail(reason.status()));
  }
  auto removed = kill_.Resume(workload);
  if (!removed.ok()) {
    return respond(Fail(removed.status()));
  }
  if (!*removed) {
    // Nothing changed: nothing to record.
    return respond(Ok(200, boost::json::object{{"workload", workload}, {"suspended", false}}));
  }
  RecordChange(ChangeEvent(request, *who, "resume_workload", workload, *reason),
               Ok(200, boost::json::object{{"workload", workload}, {"suspended", false}}),
               std::move(respond));
}

void AdminApi::Revoke(const http::Request& request, const Principal& who, std::string jti,
                      SystemTime expires_at, std::string reason, http::Responder respond) {
  SystemTime now = clock_.Now();
  store::RevocationRow row{jti, reason, who.token_id, ToUnixSecondsFloor(now),
                           ToUnixSecondsFloor(expires_at)};
  if (Status s = kill_.Revoke(row); !s.ok()) {
    return respond(Fail(s));
  }
  RecordChange(ChangeEvent(request, who, "revoke_token", jti, std::move(reason)),
               Ok(200, boost::json::object{{"jti", jti}, {"revoked", true}}), std::move(respond));
}

void AdminApi::RevokeByJti(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kRevoke);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto body = JsonBody(request);
  if (!body.ok()) {
    return respond(Fail(body.status()));
  }
  auto jti = StringField(*body, "jti");
  if (!jti.ok() || !jti->has_value() || (*jti)->empty() || (*jti)->size() > 256) {
    return respond(Fail(jti.ok() ? Status(ErrorCode::kInvalidRequest, "jti_missing",
                                          "name the token to revoke by its \"jti\" (1 to 256 "
                                          "characters)")
                                 : jti.status()));
  }
  auto reason = RequiredReason(*body);
  if (!reason.ok()) {
    return respond(Fail(reason.status()));
  }
  // The token's own exp is not known from its jti: keep the row as long as any token
  // Signet issues can live.
  Revoke(request, *who, **jti, clock_.Now() + config_.LongestTokenLifetime(), *reason,
         std::move(respond));
}

http::Response AdminApi::ListAudit(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kReadAudit);
  if (!who.ok()) {
    return Fail(who.status());
  }
  auto after = QueryNumber(request, "after", 0);
  auto limit = QueryNumber(request, "limit", 100);
  if (!after.ok() || !limit.ok()) {
    return Fail(after.ok() ? limit.status() : after.status());
  }
  auto rows = store_.ListAudit(*after, std::min<size_t>(*limit, kAuditPageMax));
  if (!rows.ok()) {
    return Fail(rows.status());
  }
  boost::json::array records;
  for (const auto& row : *rows) {
    auto record = ParseJson(row.record);
    records.push_back(boost::json::object{
        {"seq", row.seq},
        {"hash", row.hash},
        {"record", record.ok() ? std::move(*record) : boost::json::value(row.record)}});
  }
  int64_t next = rows->empty() ? *after : rows->back().seq;
  return Ok(200, boost::json::object{{"records", std::move(records)}, {"next_after", next}});
}

http::Response AdminApi::ListTokens(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageTokens);
  if (!who.ok()) {
    return Fail(who.status());
  }
  auto rows = store_.ListAdminTokens();
  if (!rows.ok()) {
    return Fail(rows.status());
  }
  boost::json::array tokens;
  for (const auto& row : *rows) {
    tokens.push_back(TokenJson(row));
  }
  return Ok(200, boost::json::object{{"tokens", std::move(tokens)}});
}

void AdminApi::CreateToken(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageTokens);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto body = JsonBody(request);
  if (!body.ok()) {
    return respond(Fail(body.status()));
  }
  auto role_name = StringField(*body, "role");
  auto ttl_text = StringField(*body, "ttl");
  auto description = StringField(*body, "description");
  for (const auto* field : {&role_name, &ttl_text, &description}) {
    if (!field->ok()) {
      return respond(Fail(field->status()));
    }
  }
  if (!role_name->has_value()) {
    return respond(Fail(Status(ErrorCode::kInvalidRequest, "role_invalid",
                               "\"role\" is required: admin, operator or auditor")));
  }
  auto role = ParseRole(**role_name);
  if (!role.ok()) {
    return respond(Fail(role.status()));
  }
  std::chrono::seconds ttl = kDefaultAdminTokenTtl;
  if (ttl_text->has_value()) {
    std::optional<std::chrono::seconds> parsed = ParseDuration(**ttl_text);
    if (!parsed) {
      return respond(Fail(Status(ErrorCode::kInvalidRequest, "admin_token_ttl_invalid",
                                 "\"ttl\" is a duration such as 90s, 15m, 8h or 30d")));
    }
    ttl = *parsed;
  }
  auto issued = tokens_.Create(*role, ttl, description->value_or(""));
  if (!issued.ok()) {
    return respond(Fail(issued.status()));
  }
  boost::json::object answer = TokenJson(issued->row);
  // The only time the token is shown: it is stored by hash.
  answer["token"] = std::string(issued->token.Reveal(SecretAccess::Grant()));
  RecordChange(
      ChangeEvent(request, *who, "create_admin_token", issued->row.id, "role " + issued->row.role),
      Ok(201, answer), std::move(respond));
}

void AdminApi::DeleteToken(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageTokens);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  std::string id(request.PathParam("id"));
  auto deleted = store_.DeleteAdminToken(id);
  if (!deleted.ok()) {
    return respond(Fail(deleted.status()));
  }
  if (!*deleted) {
    http::Response missing = Fail(
        Status(ErrorCode::kInvalidRequest, "admin_token_unknown", "no admin token has this id"));
    missing.status = 404;
    return respond(std::move(missing));
  }
  RecordChange(ChangeEvent(request, *who, "delete_admin_token", id, ""),
               Ok(200, boost::json::object{{"id", id}, {"deleted", true}}), std::move(respond));
}

http::Response AdminApi::ListSecrets(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageSecrets);
  if (!who.ok()) {
    return Fail(who.status());
  }
  auto infos = vault_.List();
  if (!infos.ok()) {
    return Fail(infos.status());
  }
  boost::json::array secrets;
  for (const auto& info : *infos) {
    secrets.push_back(boost::json::object{{"name", info.name},
                                          {"version", info.version},
                                          {"created_at", Rfc3339(info.created_at)},
                                          {"updated_at", Rfc3339(info.updated_at)}});
  }
  return Ok(200, boost::json::object{{"secrets", std::move(secrets)}});
}

void AdminApi::PutSecret(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageSecrets);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  std::string name(request.PathParam("name"));
  // The body is the value itself, as bytes: no JSON escaping to get wrong, and nothing
  // else in the request could be mistaken for it.
  auto info = vault_.Put(name, Secret(request.body));
  if (!info.ok()) {
    return respond(Fail(info.status()));
  }
  RecordChange(
      ChangeEvent(request, *who, "put_secret", name, "version " + std::to_string(info->version)),
      Ok(200, boost::json::object{{"name", info->name}, {"version", info->version}}),
      std::move(respond));
}

void AdminApi::DeleteSecret(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageSecrets);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  std::string name(request.PathParam("name"));
  if (Status s = vault_.Delete(name); !s.ok()) {
    http::Response response = Fail(s);
    if (s.reason() == "secret_not_found") {
      response.status = 404;
    }
    return respond(std::move(response));
  }
  RecordChange(ChangeEvent(request, *who, "delete_secret", name, ""),
               Ok(200, boost::json::object{{"name", name}, {"deleted", true}}), std::move(respond));
}

http::Response AdminApi::ListKeys(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kReadConfig);
  if (!who.ok()) {
    return Fail(who.status());
  }
  std::shared_ptr<const SigningKeySnapshot> snapshot = signing_keys_.Current();
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  boost::json::array keys;
  for (const auto& row : snapshot->rows) {
    if (store::IsPublishedAt(row, now)) {
      keys.push_back(KeyJson(row, now, row.kid == snapshot->keys.current.kid()));
    }
  }
  return Ok(200, boost::json::object{{"keys", std::move(keys)}});
}

void AdminApi::RotateKeys(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kManageKeys);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto body = JsonBody(request);
  if (!body.ok()) {
    return respond(Fail(body.status()));
  }
  auto reason = OptionalReason(*body);
  if (!reason.ok()) {
    return respond(Fail(reason.status()));
  }
  auto created = signing_keys_.RotateNow();
  if (!created.ok()) {
    http::Response response = Fail(created.status());
    if (created.status().reason() == "signing_key_pending") {
      response.status = 409;  // one rotation at a time: wait for the pending key to activate
    }
    return respond(std::move(response));
  }
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  std::string detail = "activates at " + Rfc3339(created->activates_at);
  if (!reason->empty()) {
    detail += ": " + *reason;
  }
  RecordChange(ChangeEvent(request, *who, "rotate_signing_key", created->kid, std::move(detail)),
               Ok(200, KeyJson(*created, now, created->activates_at <= now)), std::move(respond));
}

Result<jose::VerifiedJwt> AdminApi::VerifyOwnToken(std::string_view token) const {
  std::shared_ptr<const jose::Jwks> keys = signing_keys_.PublishedKeys();
  return config_.Current()->own_tokens->Verify(token, *keys, clock_.Now());
}

http::Response AdminApi::GetConfig(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kReadConfig);
  if (!who.ok()) {
    return Fail(who.status());
  }
  std::shared_ptr<const AccessSnapshot> current = config_.Current();
  return Ok(200, boost::json::object{{"version", current->version},
                                     {"document", current->config.canonical}});
}

http::Response AdminApi::ListConfigVersions(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kReadConfig);
  if (!who.ok()) {
    return Fail(who.status());
  }
  auto rows = store_.ListConfigVersions();
  if (!rows.ok()) {
    return Fail(rows.status());
  }
  boost::json::array versions;
  for (const auto& row : *rows) {
    versions.push_back(VersionJson(row));
  }
  return Ok(200, boost::json::object{{"in_force", config_.Current()->version},
                                     {"versions", std::move(versions)}});
}

http::Response AdminApi::DiffConfig(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kReadConfig);
  if (!who.ok()) {
    return Fail(who.status());
  }
  auto body = JsonBody(request);
  auto documents =
      body.ok() ? ConfigDocuments(*body) : Result<std::vector<ConfigDocument>>(body.status());
  if (!documents.ok()) {
    return Fail(documents.status());
  }
  // What an apply would change, an empty configuration included: a diff warns, it does
  // not refuse.
  auto result = config_.Apply(*documents, who->token_id, "", std::nullopt, /*dry_run=*/true,
                              /*allow_empty=*/true);
  if (!result.ok()) {
    return ConfigFailure(result.status());
  }
  return Ok(200, ChangeJson(*result));
}

void AdminApi::ApplyConfig(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kApplyConfig);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto body = JsonBody(request);
  auto documents =
      body.ok() ? ConfigDocuments(*body) : Result<std::vector<ConfigDocument>>(body.status());
  if (!documents.ok()) {
    return respond(Fail(documents.status()));
  }
  auto comment = OptionalReason(*body, "comment");
  if (!comment.ok()) {
    return respond(Fail(comment.status()));
  }
  std::optional<int64_t> expected;
  if (const boost::json::value* v = body->if_contains("expected_version")) {
    if (!v->is_int64() || v->get_int64() < 0) {
      return respond(Fail(Status(ErrorCode::kInvalidRequest, "body_invalid",
                                 "\"expected_version\" must be a version number")));
    }
    expected = v->get_int64();
  }
  const boost::json::value* allow_empty = body->if_contains("allow_empty");
  if (allow_empty != nullptr && !allow_empty->is_bool()) {
    return respond(Fail(Status(ErrorCode::kInvalidRequest, "body_invalid",
                               "\"allow_empty\" must be true or false")));
  }
  auto result = config_.Apply(*documents, who->token_id, *comment, expected, /*dry_run=*/false,
                              allow_empty != nullptr && allow_empty->get_bool());
  if (!result.ok()) {
    return respond(ConfigFailure(result.status()));
  }
  if (result->changes.empty()) {
    return respond(Ok(200, ChangeJson(*result)));  // nothing changed: nothing to record
  }
  std::string detail = SummarizeConfigDiff(result->changes);
  if (!comment->empty()) {
    detail += ": " + *comment;
  }
  RecordConfigChange(request, *who, "apply_config", std::move(detail), *result, std::move(respond));
}

void AdminApi::RollbackConfig(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kApplyConfig);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto body = JsonBody(request);
  if (!body.ok()) {
    return respond(Fail(body.status()));
  }
  const boost::json::value* to = body->if_contains("to");
  if (to == nullptr || !to->is_int64() || to->get_int64() < 1) {
    return respond(Fail(Status(ErrorCode::kInvalidRequest, "body_invalid",
                               "name the version to roll back to as \"to\": a number from 1")));
  }
  auto comment = OptionalReason(*body, "comment");
  if (!comment.ok()) {
    return respond(Fail(comment.status()));
  }
  auto result = config_.Rollback(to->get_int64(), who->token_id, *comment);
  if (!result.ok()) {
    return respond(ConfigFailure(result.status()));
  }
  if (result->changes.empty()) {
    return respond(Ok(200, ChangeJson(*result)));
  }
  std::string detail =
      "to version " + std::to_string(to->get_int64()) + ": " + SummarizeConfigDiff(result->changes);
  if (!comment->empty()) {
    detail += ": " + *comment;
  }
  RecordConfigChange(request, *who, "rollback_config", std::move(detail), *result,
                     std::move(respond));
}

void AdminApi::RecordConfigChange(const http::Request& request, const Principal& who,
                                  std::string action, std::string detail,
                                  const ConfigChangeResult& result, http::Responder respond) {
  audit::Event event = ChangeEvent(request, who, std::move(action), "", std::move(detail));
  event.config_before = std::to_string(result.version_before);
  event.config_after = std::to_string(result.version_after);
  RecordChange(std::move(event), Ok(200, ChangeJson(result)), std::move(respond));
}

void AdminApi::CreateAgentJoinToken(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kEnrollAgents);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto body = JsonBody(request);
  if (!body.ok()) {
    return respond(Fail(body.status()));
  }
  auto agent = StringField(*body, "agent");
  auto ttl_text = StringField(*body, "ttl");
  for (const auto* field : {&agent, &ttl_text}) {
    if (!field->ok()) {
      return respond(Fail(field->status()));
    }
  }
  if (!agent->has_value()) {
    return respond(Fail(Status(ErrorCode::kInvalidRequest, "agent_name_invalid",
                               "\"agent\" is required: the name the agent joins under")));
  }
  std::chrono::seconds ttl = kDefaultJoinTokenTtl;
  if (ttl_text->has_value()) {
    std::optional<std::chrono::seconds> parsed = ParseDuration(**ttl_text);
    if (!parsed) {
      return respond(Fail(Status(ErrorCode::kInvalidRequest, "join_token_ttl_invalid",
                                 "\"ttl\" is a duration such as 15m or 1h (at most 24h)")));
    }
    ttl = *parsed;
  }
  auto issued = CreateJoinToken(store_, random_, clock_, **agent, ttl, who->token_id);
  if (!issued.ok()) {
    return respond(Fail(issued.status()));
  }
  // The only time the token is shown: it is stored by hash, and audited by id.
  boost::json::object answer{{"id", issued->row.id},
                             {"agent", issued->row.agent},
                             {"token", issued->token.Reveal(SecretAccess::Grant())},
                             {"expires_at", Rfc3339(issued->row.expires_at)}};
  RecordChange(
      ChangeEvent(request, *who, "create_join_token", issued->row.agent,
                  "join token " + issued->row.id + ", expires " + Rfc3339(issued->row.expires_at)),
      Ok(201, answer), std::move(respond));
}

http::Response AdminApi::Introspect(const http::Request& request) const {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kIntrospect);
  if (!who.ok()) {
    return Fail(who.status());
  }
  auto token = FormToken(request, "introspect");
  if (!token.ok()) {
    return Fail(token.status());
  }
  // RFC 7662 §2.2: whatever is wrong with the token, the answer is just inactive.
  boost::json::object inactive{{"active", false}};
  auto jwt = VerifyOwnToken(*token);
  // Strictly at exp, without the verifier's leeway: the kill switch forgets a revocation
  // once its token expires, and a revoked token must not come back to life.
  if (!jwt.ok() || !jwt->jwt_id() || jwt->expires_at() <= clock_.Now() ||
      kill_.state().IsRevoked(*jwt->jwt_id())) {
    return Ok(200, inactive);
  }
  const boost::json::value* client = jwt->claims().if_contains("client_id");
  if (client == nullptr || !client->is_string() ||
      kill_.state().IsSuspended(std::string_view(client->get_string()))) {
    return Ok(200, inactive);
  }
  boost::json::object active{{"active", true},
                             {"iss", jwt->issuer()},
                             {"sub", jwt->subject()},
                             {"client_id", client->get_string()},
                             {"jti", *jwt->jwt_id()},
                             {"token_type", "Bearer"},
                             {"exp", ToUnixSecondsFloor(jwt->expires_at())}};
  boost::json::array aud;
  for (const auto& a : jwt->audiences()) {
    aud.push_back(boost::json::string(a));
  }
  active["aud"] = std::move(aud);
  if (jwt->issued_at()) {
    active["iat"] = ToUnixSecondsFloor(*jwt->issued_at());
  }
  if (const boost::json::value* scope = jwt->claims().if_contains("scope")) {
    active["scope"] = *scope;
  }
  return Ok(200, active);
}

void AdminApi::RevokeToken(const http::Request& request, http::Responder respond) {
  auto who = tokens_.Authorize(request.Header("Authorization"), Permission::kRevoke);
  if (!who.ok()) {
    return respond(Fail(who.status()));
  }
  auto token = FormToken(request, "revoke");
  if (!token.ok()) {
    return respond(Fail(token.status()));
  }
  auto jwt = VerifyOwnToken(*token);
  if (!jwt.ok() || !jwt->jwt_id()) {
    // RFC 7009 §2.2: an invalid or unknown token is answered 200 all the same.
    return respond(Ok(200, boost::json::object{}));
  }
  Revoke(request, *who, *jwt->jwt_id(), jwt->expires_at(), "revoked at /oauth2/revoke",
         std::move(respond));
}

}  // namespace signet::server
