#include "audit/chain.h"

#include <vector>

#include "audit/event.h"
#include "common/sha256.h"

namespace signet::audit {
namespace {

// Rows read per store call while verifying.
constexpr size_t kVerifyPage = 1000;

}  // namespace

std::string ChainHash(std::string_view prev_hash, std::string_view record) {
  std::string input;
  input.reserve(prev_hash.size() + 1 + record.size());
  input.append(prev_hash).append("\n").append(record);
  return Sha256Hex(input);
}

Result<VerifyReport> VerifyChain(store::Store& store) {
  VerifyReport report;
  auto broken = [&report](int64_t seq, std::string problem) {
    report.intact = false;
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };
  int64_t expected_seq = 1;
  std::string prev_hash(store::kGenesisHash);
  for (;;) {
    SIGNET_ASSIGN_OR_RETURN(std::vector<store::AuditRow> rows,
                            store.ListAudit(expected_seq - 1, kVerifyPage));
    if (rows.empty()) {
      return report;
    }
    for (const store::AuditRow& row : rows) {
      std::string n = std::to_string(expected_seq);
      if (row.seq != expected_seq) {
        return broken(expected_seq, "record " + n + " is missing (the next stored record is " +
                                        std::to_string(row.seq) + ")");
      }
      if (row.prev_hash != prev_hash) {
        return broken(row.seq, "record " + n +
                                   " does not link to the record before it "
                                   "(prev_hash differs from its hash)");
      }
      if (ChainHash(row.prev_hash, row.record) != row.hash) {
        return broken(row.seq, "record " + n + " does not match its hash (it was altered)");
      }
      if (auto event = ParseEvent(row.record); !event.ok()) {
        return broken(row.seq, "record " + n + ": " + event.status().message());
      }
      ++report.records;
      ++expected_seq;
      prev_hash = row.hash;
    }
  }
}

}  // namespace signet::audit
