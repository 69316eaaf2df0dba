// Audit events and their canonical JSON record.
//
// One Event per token request and per admin change. SerializeEvent writes the record
// that is hash-chained and stored (audit/chain.h); its bytes are what the chain
// protects, so the format is fixed:
//
//   {"v":2,"time":"2023-11-14T22:13:20Z","request_id":"...","client_address":"...",
//    "upstream_issuer":"...","upstream_subject":"...","workload":"...",
//    "destination":"...","policy":"...","decision":"allow","error":"","reason":"",
//    "detail":"","jti":"...","action":"token_exchange","actor":"","target":"",
//    "config_before":"","config_after":"","expires_at":"2023-11-14T22:18:20Z"}
//
// - members always in this order, every one present: an unset string is "", an absent
//   expires_at is null; no whitespace;
// - version 1 (written before admin changes were audited) lacks the five members from
//   "action" to "config_after"; such records still parse, and serialize back to the
//   same bytes, so a trail that spans both versions verifies;
// - times in UTC, RFC 3339 with whole seconds (sub-second parts are dropped);
// - strings escaped minimally: '"', '\\' and control characters (as \n, \t, ... or
//   \u00XX); other characters are written as UTF-8, and a byte sequence that is not
//   valid UTF-8 (say, a request header) is written as U+FFFD, so every record is JSON;
// - "v" is the format version; a new member means a new version.
// Records name secret ids, never secret values or whole tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace signet::audit {

// What an event records (Event::action).
inline constexpr std::string_view kActionTokenExchange = "token_exchange";

struct Event {
  int version = 2;  // the record format; 1 only for records read from an older trail
  SystemTime time;
  std::string request_id;
  std::string client_address;
  std::string upstream_issuer;
  std::string upstream_subject;
  std::string workload;
  std::string destination;
  std::string policy;
  std::string decision;  // "allow" | "deny"
  std::string error;     // the OAuth error code on deny; empty on allow
  std::string reason;    // the stable reason on deny
  std::string detail;    // a short human message on deny
  std::string jti;       // the issued credential's id on allow
  // "token_exchange", or the admin operation ("suspend_workload", "create_admin_token", ...)
  std::string action = std::string(kActionTokenExchange);
  std::string actor;          // admin changes: the admin token id that made it
  std::string target;         // admin changes: what it changed (a workload, a token id)
  std::string config_before;  // config changes: the version before, as a decimal
  std::string config_after;   // config changes: the version after
  std::optional<SystemTime> expires_at;
};

inline constexpr int kEventFormatVersion = 2;

std::string SerializeEvent(const Event& event);

// Parses a record written by SerializeEvent; SerializeEvent(*ParseEvent(r)) == r for
// every record it wrote. Refuses any other shape (a missing, extra or mistyped member,
// a non-canonical time, a version other than 1 or 2): server_error audit_record_invalid.
Result<Event> ParseEvent(std::string_view record);

}  // namespace signet::audit
