#include "cli/audit_commands.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <ostream>

#include "audit/chain.h"
#include "audit/event.h"
#include "store/store.h"

namespace signet::cli {
namespace {

// Opens the data directory's database, refusing to create one: a typo in --data-dir
// must not look like an empty, intact trail.
Result<std::unique_ptr<store::Store>> OpenExisting(const std::string& data_dir) {
  std::string path = data_dir + "/signet.db";
  if (!std::filesystem::exists(path)) {
    return Status(ErrorCode::kInvalidRequest, "store_missing",
                  "no Signet database at " + path + " (check --data-dir)");
  }
  return store::OpenSqliteStore(path);
}

std::string OneLine(const audit::Event& e) {
  if (!e.action.empty() && e.action != audit::kActionTokenExchange) {
    // An admin change: who did what to what, and why.
    std::string line = e.action + " " + (e.target.empty() ? "-" : e.target) + "  by=" + e.actor;
    if (!e.config_after.empty()) {
      line += " config " + e.config_before + " -> " + e.config_after;
    }
    if (!e.detail.empty()) {
      line += "  \"" + e.detail + "\"";
    }
    return line;
  }
  std::string who = e.workload.empty() ? "-" : e.workload;
  std::string where = e.destination.empty() ? "-" : e.destination;
  std::string line = who + " -> " + where + "  " + e.decision;
  if (e.decision == "allow") {
    line += "  policy=" + e.policy + " jti=" + e.jti;
  } else {
    line += "  " + e.error + " (" + e.reason + ")";
  }
  return line;
}

}  // namespace

int AuditList(const AuditListOptions& options, std::ostream& out, std::ostream& err) {
  auto store = OpenExisting(options.data_dir);
  if (!store.ok()) {
    err << store.status().message() << "\n";
    return 1;
  }
  auto rows = (*store)->ListAudit(options.after_seq, options.limit);
  if (!rows.ok()) {
    err << rows.status().ToString() << "\n";
    return 1;
  }
  for (const store::AuditRow& row : *rows) {
    boost::system::error_code ec;
    boost::json::value record = boost::json::parse(row.record, ec);
    auto event = audit::ParseEvent(row.record);
    if (options.json) {
      // An unreadable record is shown as stored; `audit verify` says what is wrong.
      boost::json::object line{{"seq", row.seq}, {"hash", row.hash}};
      line["record"] = ec ? boost::json::value(row.record) : record;
      out << boost::json::serialize(line) << "\n";
    } else if (!event.ok()) {
      out << row.seq << "  (unreadable record: run signet audit verify)\n";
    } else {
      out << row.seq << "  " << record.at("time").as_string().c_str() << "  " << event->request_id
          << "  " << OneLine(*event) << "\n";
    }
  }
  return 0;
}

int AuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  auto store = OpenExisting(data_dir);
  if (!store.ok()) {
    err << store.status().message() << "\n";
    return 2;
  }
  auto report = audit::VerifyChain(**store);
  if (!report.ok()) {
    err << report.status().ToString() << "\n";
    return 2;
  }
  if (!report->intact) {
    out << "audit trail BROKEN at record " << report->first_bad_seq.value_or(0) << ": "
        << report->problem << " (" << report->records << " records verified before it)\n";
    return 1;
  }
  out << "audit trail intact: " << report->records << " records\n";
  return 0;
}

}  // namespace signet::cli
