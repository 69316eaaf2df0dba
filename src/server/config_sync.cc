#include "server/config_sync.h"

#include <algorithm>

#include "common/sha256.h"

namespace signet::server {
namespace {

// A stored version's document, named in errors as what it is.
std::vector<ConfigDocument> StoredDocument(const store::ConfigVersionRow& row) {
  return {ConfigDocument{"config version " + std::to_string(row.version), row.document}};
}

Result<std::shared_ptr<const jose::JwtVerifier>> OwnTokenVerifier(
    const std::string& issuer, const AccessConfig& config, std::chrono::seconds max_lifetime) {
  jose::JwtValidator::Builder builder;
  builder.ExpectIssuer(issuer)
      .ExpectType("at+jwt")
      .AllowAlgorithms({jose::Algorithm::kES256, jose::Algorithm::kEdDSA, jose::Algorithm::kRS256})
      .SetMaxLifetime(max_lifetime);
  // A destination without an audience of its own (the kind's default applies, as for
  // anthropic-wif) gets no Signet access token to introspect.
  bool any_audience = false;
  for (const auto& destination : config.destinations) {
    if (!destination.audience.empty()) {
      builder.ExpectAudience(destination.audience);
      any_audience = true;
    }
  }
  // With no audience, a placeholder no token carries keeps the builder (which requires
  // one) satisfied and every token inactive.
  if (!any_audience) {
    builder.ExpectAudience("urn:signet:no-destination");
  }
  SIGNET_ASSIGN_OR_RETURN(jose::JwtValidator validator, builder.Build());
  return std::make_shared<const jose::JwtVerifier>(std::move(validator));
}

}  // namespace

ConfigSync::ConfigSync(ConfigSyncOptions options, store::Store& store, DurableKillSwitch& kill,
                       trust::Fetcher& fetcher, credentials::ProviderContext context)
    : options_(std::move(options)),
      store_(store),
      kill_(kill),
      fetcher_(fetcher),
      context_(std::move(context)),
      longest_token_lifetime_(options_.min_token_lifetime.count()) {}

ConfigSync::~ConfigSync() { Stop(); }

Result<std::shared_ptr<const AccessSnapshot>> ConfigSync::Compile(
    int64_t version, AccessConfig config, std::vector<std::string>* warnings) const {
  std::shared_ptr<const AccessSnapshot> previous = Current();
  auto snapshot = std::make_shared<AccessSnapshot>();
  snapshot->version = version;
  SIGNET_ASSIGN_OR_RETURN(
      std::unique_ptr<Broker> broker,
      Broker::Create(config, fetcher_, context_, kill_.state(), warnings,
                     previous ? previous->broker.get() : nullptr, options_.key_cache));
  snapshot->broker = std::move(broker);
  snapshot->workloads.insert(config.workloads.begin(), config.workloads.end());
  std::chrono::seconds longest = std::max(LongestTokenLifetime(), LongestAllowedTtl(config));
  SIGNET_ASSIGN_OR_RETURN(snapshot->own_tokens, OwnTokenVerifier(options_.issuer, config, longest));
  snapshot->config = std::move(config);
  return std::shared_ptr<const AccessSnapshot>(std::move(snapshot));
}

void ConfigSync::RaiseLongestLocked(std::chrono::seconds ttl) {
  // Publishers are serialised (mu_), so a plain store suffices.
  if (ttl > LongestTokenLifetime()) {
    longest_token_lifetime_.store(ttl.count(), std::memory_order_relaxed);
    if (options_.on_longer_token_lifetime) {
      options_.on_longer_token_lifetime(ttl);
    }
  }
}

Status ConfigSync::ConsiderStoredLifetimesLocked(int64_t from, int64_t to) {
  for (int64_t version = from; version < to; ++version) {
    SIGNET_ASSIGN_OR_RETURN(store::ConfigVersionRow row, store_.GetConfigVersion(version));
    // A version that does not parse here granted nothing this replica must honour.
    if (Result<AccessConfig> config = ParseAccessDocuments(StoredDocument(row)); config.ok()) {
      RaiseLongestLocked(LongestAllowedTtl(*config));
    }
  }
  return Status::Ok();
}

void ConfigSync::Publish(std::shared_ptr<const AccessSnapshot> snapshot) {
  // Before the swap: no token with a longer lifetime is issued until the signing keys
  // stay published for it.
  RaiseLongestLocked(LongestAllowedTtl(snapshot->config));
  snapshot_.store(std::move(snapshot), std::memory_order_release);
}

Result<store::ConfigVersionRow> ConfigSync::NewestVersion() {
  SIGNET_ASSIGN_OR_RETURN(int64_t newest, store_.LatestConfigVersion());
  if (newest == 0) {
    return store::ConfigVersionRow{};
  }
  return store_.GetConfigVersion(newest);
}

Result<bool> ConfigSync::Seed(const AccessConfig& file_access, const std::string& file_source,
                              std::vector<std::string>* warnings) {
  std::lock_guard lock(mu_);
  SIGNET_ASSIGN_OR_RETURN(int64_t newest, store_.LatestConfigVersion());
  bool seeded = false;
  if (newest == 0) {
    store::ConfigVersionRow row;
    row.created_at = ToUnixSecondsFloor(context_.clock->Now());
    row.actor = "signetd";
    row.origin = "seed";
    row.comment = "seeded from " + file_source;
    row.digest = Sha256Hex(file_access.canonical);
    row.document = file_access.canonical;
    Result<int64_t> appended = store_.AppendConfigVersion(0, row);
    // Another replica starting at the same time may have seeded first: follow it.
    if (!appended.ok() && appended.status().reason() != "config_version_conflict") {
      return appended.status();
    }
    seeded = appended.ok();
  }
  SIGNET_RETURN_IF_ERROR(kill_.Reload());
  SIGNET_RETURN_IF_ERROR(SyncLocked(warnings));
  std::shared_ptr<const AccessSnapshot> current = Current();
  // Tokens issued under any earlier version may still be alive, whoever issued them.
  SIGNET_RETURN_IF_ERROR(ConsiderStoredLifetimesLocked(1, current->version));
  // Compared object by object, not byte by byte: a different emitter version must not
  // turn an identical file into a warning.
  if (!seeded && !file_access.canonical.empty() &&
      !DiffAccessConfig(current->config.canonical, file_access.canonical).empty()) {
    warnings->push_back(
        file_source + ": its issuers, workloads, destinations and policies differ from stored " +
        "config version " + std::to_string(current->version) +
        ", which is in force; the file only seeds an empty store. `signet export` prints the "
        "version in force; change it with `signet apply`, and drop those sections from the "
        "file or keep them in step");
  }
  return seeded;
}

Status ConfigSync::Sync() {
  // Outside mu_: a suspension reaches this replica however long an apply compiles.
  SIGNET_RETURN_IF_ERROR(kill_.Reload());
  std::lock_guard lock(mu_);
  std::vector<std::string> warnings;
  std::shared_ptr<const AccessSnapshot> before = Current();
  Status status = SyncLocked(&warnings);
  std::shared_ptr<const AccessSnapshot> after = Current();
  if (status.ok() && after != before && options_.on_publish) {
    options_.on_publish(after->version, warnings);
  }
  return status;
}

Status ConfigSync::SyncLocked(std::vector<std::string>* warnings) {
  SIGNET_ASSIGN_OR_RETURN(int64_t newest, store_.LatestConfigVersion());
  std::shared_ptr<const AccessSnapshot> current = Current();
  if ((current && current->version == newest) || newest == failed_version_.load()) {
    return Status::Ok();
  }
  // Versions other replicas put in force and replaced between two syncs issued tokens too.
  SIGNET_RETURN_IF_ERROR(
      ConsiderStoredLifetimesLocked(current ? current->version + 1 : newest, newest));
  SIGNET_ASSIGN_OR_RETURN(store::ConfigVersionRow row, store_.GetConfigVersion(newest));
  Result<AccessConfig> config = ParseAccessDocuments(StoredDocument(row));
  Result<std::shared_ptr<const AccessSnapshot>> compiled =
      config.ok() ? Compile(newest, std::move(config).value(), warnings)
                  : Result<std::shared_ptr<const AccessSnapshot>>(config.status());
  if (!compiled.ok()) {
    // Reported once, not every interval; the version in force keeps serving. Replicas
    // that can compile it may issue tokens under it.
    failed_version_ = newest;
    SIGNET_RETURN_IF_ERROR(ConsiderStoredLifetimesLocked(newest, newest + 1));
    return Status(compiled.status().code(), compiled.status().reason(),
                  "config version " + std::to_string(newest) +
                      " cannot be put in force here, keeping version " +
                      std::to_string(current ? current->version : 0) + ": " +
                      compiled.status().message());
  }
  Publish(std::move(compiled).value());
  return Status::Ok();
}

Result<ConfigChangeResult> ConfigSync::Apply(const std::vector<ConfigDocument>& documents,
                                             const std::string& actor, const std::string& comment,
                                             std::optional<int64_t> expected_version, bool dry_run,
                                             bool allow_empty) {
  SIGNET_ASSIGN_OR_RETURN(AccessConfig config, ParseAccessDocuments(documents));
  if (config.canonical.empty() && !allow_empty) {
    return Status(ErrorCode::kInvalidRequest, "config_empty",
                  "the documents hold no issuers, workloads, destinations or policies: applying "
                  "them would remove every one; say so explicitly (allow_empty, signet apply "
                  "--allow-empty) if that is what you mean");
  }
  // What is stored is the canonical text, and every other replica and every restart
  // compiles that: so does this one, and a canonical form that does not reproduce itself
  // is refused rather than let replicas disagree.
  Result<AccessConfig> stored = ParseAccessDocuments({{"the canonical form", config.canonical}});
  if (!stored.ok() || stored->canonical != config.canonical) {
    return Status(ErrorCode::kServerError, "config_canonical_unstable",
                  "these documents do not survive their canonical form unchanged; nothing was "
                  "applied (please report this as a bug, with the documents)");
  }
  config = std::move(stored).value();
  // A dry run writes nothing: it needs no compare and set, so it does not hold up
  // changes and syncs while it compiles and diffs.
  std::unique_lock lock(mu_, std::defer_lock);
  if (!dry_run) {
    lock.lock();
  }
  SIGNET_ASSIGN_OR_RETURN(store::ConfigVersionRow base, NewestVersion());
  if (expected_version && *expected_version != base.version) {
    return Status(ErrorCode::kInvalidRequest, "config_version_conflict",
                  "the configuration changed since version " + std::to_string(*expected_version) +
                      " (now version " + std::to_string(base.version) +
                      "): review the new difference and apply again");
  }
  std::vector<std::string> warnings;
  std::string document = config.canonical;
  SIGNET_ASSIGN_OR_RETURN(std::shared_ptr<const AccessSnapshot> compiled,
                          Compile(base.version + 1, std::move(config), &warnings));
  ConfigChangeResult result{base.version, base.version, DiffAccessConfig(base.document, document)};
  if (result.changes.empty() || dry_run) {
    return result;
  }
  store::ConfigVersionRow row;
  row.actor = actor;
  row.origin = "apply";
  row.comment = comment;
  row.document = std::move(document);
  return AppendLocked(std::move(result), std::move(compiled), std::move(row));
}

Result<ConfigChangeResult> ConfigSync::Rollback(int64_t to, const std::string& actor,
                                                const std::string& comment) {
  std::lock_guard lock(mu_);
  SIGNET_ASSIGN_OR_RETURN(store::ConfigVersionRow base, NewestVersion());
  SIGNET_ASSIGN_OR_RETURN(store::ConfigVersionRow target, store_.GetConfigVersion(to));
  ConfigChangeResult result{base.version, base.version,
                            DiffAccessConfig(base.document, target.document)};
  if (result.changes.empty()) {
    return result;
  }
  SIGNET_ASSIGN_OR_RETURN(AccessConfig config, ParseAccessDocuments(StoredDocument(target)));
  std::vector<std::string> warnings;
  SIGNET_ASSIGN_OR_RETURN(std::shared_ptr<const AccessSnapshot> compiled,
                          Compile(base.version + 1, std::move(config), &warnings));
  store::ConfigVersionRow row;
  row.actor = actor;
  row.origin = "rollback";
  row.rollback_of = to;
  row.comment = comment;
  row.document = std::move(target.document);
  return AppendLocked(std::move(result), std::move(compiled), std::move(row));
}

Result<ConfigChangeResult> ConfigSync::AppendLocked(ConfigChangeResult result,
                                                    std::shared_ptr<const AccessSnapshot> compiled,
                                                    store::ConfigVersionRow row) {
  row.created_at = ToUnixSecondsFloor(context_.clock->Now());
  row.digest = Sha256Hex(row.document);
  Result<int64_t> appended = store_.AppendConfigVersion(result.version_before, row);
  if (!appended.ok()) {
    // Another replica's apply landed first: the caller's to resolve, not an outage.
    const Status& s = appended.status();
    return s.reason() == "config_version_conflict"
               ? Status(ErrorCode::kInvalidRequest, s.reason(), s.message())
               : s;
  }
  result.version_after = *appended;
  // Compiled as base + 1, which the compare and set just made true.
  Publish(std::move(compiled));
  return result;
}

void ConfigSync::Start() {
  loop_.Start([this] {
    if (Status s = Sync(); !s.ok() && options_.on_error) {
      options_.on_error(s);
    }
    return options_.sync_every;
  });
}

void ConfigSync::Stop() { loop_.Stop(); }

}  // namespace signet::server
