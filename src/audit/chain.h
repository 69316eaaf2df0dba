// The hash chain that makes the audit trail tamper-evident.
//
// Row n stores its record, the hash of row n-1 (prev_hash; 64 '0' for row 1) and
//   hash = lowercase hex SHA-256(prev_hash || "\n" || record).
// Editing a record breaks its row's hash; rewriting the hash too breaks the next row's
// prev_hash link; deleting a row leaves a gap in seq. Rewriting every row from some
// point to the end is not caught: that needs the head hash kept somewhere the attacker
// cannot write (a later issue anchors it outside the store).
//
// Truncation is not detectable from the chain alone either: deleting the newest records
// leaves a shorter chain that is still intact. Compare the head (seq, hash) with a copy
// kept outside the store to catch it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/store.h"

namespace signet::audit {

// hex(SHA-256(prev_hash "\n" record)).
std::string ChainHash(std::string_view prev_hash, std::string_view record);

struct VerifyReport {
  int64_t records = 0;  // records that verified before the first problem (all when intact)
  bool intact = true;
  std::optional<int64_t> first_bad_seq;  // the first seq that is missing or wrong
  std::string problem;                   // what is wrong with it, for a human
};

// Walks the whole chain in seq order from seq 1: checks that no seq is missing, that
// each prev_hash is the previous row's hash, that each hash matches its record, and that
// each record parses as an Event. Stops at the first problem. A store error is returned
// as the error; a broken chain is an OK result with intact == false.
Result<VerifyReport> VerifyChain(store::Store& store);

}  // namespace signet::audit
