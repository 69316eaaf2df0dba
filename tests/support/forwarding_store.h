// ForwardingStore: a Store that passes every call to another one. Test doubles derive
// from it and override only the calls they intercept (to inject a failure, hold a
// commit), so a new Store method needs one forwarder here, not one per double.
#pragma once

#include "store/store.h"

namespace signet::testing {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& base) : base_(base) {}

  Result<std::vector<store::SigningKeyRow>> ListSigningKeys() override {
    return base_.ListSigningKeys();
  }
  Status InsertSigningKey(const store::SigningKeyRow& row) override {
    return base_.InsertSigningKey(row);
  }
  Status ChangeSigningKeys(const store::SigningKeyChange& change) override {
    return base_.ChangeSigningKeys(change);
  }
  Status AppendAudit(const std::vector<store::AuditRow>& rows) override {
    return base_.AppendAudit(rows);
  }
  Result<std::optional<store::AuditRow>> LastAudit() override { return base_.LastAudit(); }
  Result<std::vector<store::AuditRow>> ListAudit(int64_t after_seq, size_t limit) override {
    return base_.ListAudit(after_seq, limit);
  }
  Status InsertAdminToken(const store::AdminTokenRow& row) override {
    return base_.InsertAdminToken(row);
  }
  Result<std::optional<store::AdminTokenRow>> FindAdminToken(
      std::string_view secret_hash) override {
    return base_.FindAdminToken(secret_hash);
  }
  Result<std::vector<store::AdminTokenRow>> ListAdminTokens() override {
    return base_.ListAdminTokens();
  }
  Result<bool> DeleteAdminToken(std::string_view id) override { return base_.DeleteAdminToken(id); }
  Status PutSuspension(const store::SuspensionRow& row) override {
    return base_.PutSuspension(row);
  }
  Result<bool> DeleteSuspension(std::string_view workload) override {
    return base_.DeleteSuspension(workload);
  }
  Result<std::vector<store::SuspensionRow>> ListSuspensions() override {
    return base_.ListSuspensions();
  }
  Status PutRevocation(const store::RevocationRow& row) override {
    return base_.PutRevocation(row);
  }
  Result<std::vector<store::RevocationRow>> ListRevocations(int64_t now) override {
    return base_.ListRevocations(now);
  }
  Status PutSecret(const store::SecretRow& row) override { return base_.PutSecret(row); }
  Result<std::optional<store::SecretRow>> GetSecret(std::string_view name) override {
    return base_.GetSecret(name);
  }
  Result<std::vector<store::SecretMeta>> ListSecrets() override { return base_.ListSecrets(); }
  Result<bool> DeleteSecret(std::string_view name) override { return base_.DeleteSecret(name); }
  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    return base_.GetMeta(key);
  }
  Status PutMeta(std::string_view key, std::string_view value) override {
    return base_.PutMeta(key, value);
  }
  Result<bool> InsertMetaIfAbsent(std::string_view key, std::string_view value) override {
    return base_.InsertMetaIfAbsent(key, value);
  }
  Status RewrapAll(const store::MasterKeyRewrap& rewrap) override {
    return base_.RewrapAll(rewrap);
  }
  Result<int64_t> LatestConfigVersion() override { return base_.LatestConfigVersion(); }
  Result<store::ConfigVersionRow> GetConfigVersion(int64_t version) override {
    return base_.GetConfigVersion(version);
  }
  Result<std::vector<store::ConfigVersionRow>> ListConfigVersions() override {
    return base_.ListConfigVersions();
  }
  Result<int64_t> AppendConfigVersion(int64_t expected_latest,
                                      const store::ConfigVersionRow& row) override {
    return base_.AppendConfigVersion(expected_latest, row);
  }
  Status InsertJoinToken(const store::JoinTokenRow& row) override {
    return base_.InsertJoinToken(row);
  }
  Result<store::JoinTokenRow> RedeemJoinToken(std::string_view token_hash, int64_t now) override {
    return base_.RedeemJoinToken(token_hash, now);
  }

 protected:
  store::Store& base() { return base_; }

 private:
  store::Store& base_;
};

}  // namespace signet::testing
