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

 protected:
  store::Store& base() { return base_; }

 private:
  store::Store& base_;
};

}  // namespace signet::testing
