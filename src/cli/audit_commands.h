// `signet audit list` and `signet audit verify`: the audit trail as an auditor reads it,
// straight from the store in a data directory (signetd may be running: SQLite's WAL
// lets readers in beside the writer).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace signet::cli {

struct AuditListOptions {
  std::string data_dir = "./data";
  int64_t after_seq = 0;  // list records after this one
  size_t limit = 100;
  bool json = false;  // one JSON object per line: {"seq","hash","record"}
};

// Prints records in seq order; returns the process exit status (0, or 1 on an error,
// which goes to `err`).
int AuditList(const AuditListOptions& options, std::ostream& out, std::ostream& err);

// Walks the whole chain. Exit 0 and "intact" when every record verifies; 1 and the first
// bad record's seq and problem when not; 2 when the store cannot be read.
int AuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err);

}  // namespace signet::cli
