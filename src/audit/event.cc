#include "audit/event.h"

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdio>
#include <span>

#include "common/json.h"

namespace signet::audit {
namespace {

using std::chrono::days;
using std::chrono::seconds;

// The string members in record order; expires_at follows them.
constexpr std::pair<std::string_view, std::string Event::*> kStringMembers[] = {
    {"request_id", &Event::request_id},
    {"client_address", &Event::client_address},
    {"upstream_issuer", &Event::upstream_issuer},
    {"upstream_subject", &Event::upstream_subject},
    {"workload", &Event::workload},
    {"destination", &Event::destination},
    {"policy", &Event::policy},
    {"decision", &Event::decision},
    {"error", &Event::error},
    {"reason", &Event::reason},
    {"detail", &Event::detail},
    {"jti", &Event::jti},
};
// Version 2's members after the version 1 strings, before expires_at.
constexpr std::pair<std::string_view, std::string Event::*> kVersion2Members[] = {
    {"action", &Event::action},
    {"actor", &Event::actor},
    {"target", &Event::target},
    {"config_before", &Event::config_before},
    {"config_after", &Event::config_after},
};
// "v", "time", the strings, "expires_at".
constexpr size_t MemberCount(int version) {
  return std::size(kStringMembers) + (version >= 2 ? std::size(kVersion2Members) : 0) + 3;
}

// Exactly "YYYY-MM-DDTHH:MM:SSZ", a real date and time of day, in 1970..2261.
std::optional<SystemTime> ParseTime(std::string_view text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) {
    return std::nullopt;
  }
  for (size_t i = 0; i < kShape.size(); ++i) {
    bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) {
      return std::nullopt;
    }
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  std::chrono::year_month_day ymd{std::chrono::year(num(0, 4)),
                                  std::chrono::month(static_cast<unsigned>(num(5, 2))),
                                  std::chrono::day(static_cast<unsigned>(num(8, 2)))};
  int h = num(11, 2), m = num(14, 2), s = num(17, 2);
  // SystemTime counts nanoseconds in 64 bits: it ends in April 2262.
  if (!ymd.ok() || ymd.year() < std::chrono::year(1970) || ymd.year() > std::chrono::year(2261) ||
      h > 23 || m > 59 || s > 59) {
    return std::nullopt;
  }
  return SystemTime(std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(m) +
                    seconds(s));
}

// Length of the valid UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) {
      return 0;
    }
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) {
      return 0;  // overlong, or a surrogate
    }
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) {
      return 0;  // overlong, or above U+10FFFF
    }
    return 4;
  }
  return 0;
}

void AppendString(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Printable ASCII other than the quote and backslash is copied a run at a time: most
    // of a record is identifiers and URLs, and a push_back per byte showed in profiles.
    size_t plain = i;
    while (plain < s.size() && s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '"' &&
           s[plain] != '\\') {
      ++plain;
    }
    if (plain > i) {
      out.append(s.substr(i, plain - i));
      i = plain;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x20) {
      static constexpr char kShort[] = "btn\0fr";  // \b \t \n (\v has none) \f \r
      if (c >= 0x08 && c <= 0x0D && kShort[c - 0x08] != '\0') {
        out.push_back('\\');
        out.push_back(kShort[c - 0x08]);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      }
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out.push_back('"');
}

Status Invalid(std::string message) {
  return Status(ErrorCode::kServerError, "audit_record_invalid",
                "audit record is not a valid event: " + std::move(message));
}

Result<std::string> StringMember(const boost::json::object& obj, std::string_view name) {
  const boost::json::value* v = obj.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return Invalid("member \"" + std::string(name) + "\" is missing or not a string");
  }
  return std::string(v->get_string());
}

Result<SystemTime> TimeMember(const boost::json::object& obj, std::string_view name) {
  SIGNET_ASSIGN_OR_RETURN(std::string text, StringMember(obj, name));
  std::optional<SystemTime> t = ParseTime(text);
  if (!t) {
    return Invalid("member \"" + std::string(name) + "\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ");
  }
  return *t;
}

}  // namespace

std::string SerializeEvent(const Event& event) {
  std::string out = "{\"v\":" + std::to_string(event.version);
  out += ",\"time\":";
  AppendString(out, FormatUtcSeconds(event.time));
  auto append_members =
      [&](std::span<const std::pair<std::string_view, std::string Event::*>> members) {
        for (const auto& [name, member] : members) {
          out.push_back(',');
          AppendString(out, name);
          out.push_back(':');
          AppendString(out, event.*member);
        }
      };
  append_members(kStringMembers);
  if (event.version >= 2) {
    append_members(kVersion2Members);
  }
  out += ",\"expires_at\":";
  if (event.expires_at) {
    AppendString(out, FormatUtcSeconds(*event.expires_at));
  } else {
    out += "null";
  }
  out.push_back('}');
  return out;
}

Result<Event> ParseEvent(std::string_view record) {
  auto parsed = ParseJsonObject(record);
  if (!parsed.ok()) {
    return Invalid(parsed.status().message());
  }
  const boost::json::object& obj = *parsed;
  const boost::json::value* version = obj.if_contains("v");
  if (version == nullptr || !version->is_int64() || version->get_int64() < 1 ||
      version->get_int64() > kEventFormatVersion) {
    return Invalid("member \"v\" is missing or not a version from 1 to " +
                   std::to_string(kEventFormatVersion));
  }
  Event event;
  event.version = static_cast<int>(version->get_int64());
  // Duplicates are refused by the parser, so the right count of known members is the
  // exact member set.
  if (obj.size() != MemberCount(event.version)) {
    return Invalid("it has " + std::to_string(obj.size()) + " members, expected " +
                   std::to_string(MemberCount(event.version)));
  }
  SIGNET_ASSIGN_OR_RETURN(event.time, TimeMember(obj, "time"));
  for (const auto& [name, member] : kStringMembers) {
    SIGNET_ASSIGN_OR_RETURN(event.*member, StringMember(obj, name));
  }
  if (event.version >= 2) {
    for (const auto& [name, member] : kVersion2Members) {
      SIGNET_ASSIGN_OR_RETURN(event.*member, StringMember(obj, name));
    }
  } else {
    event.action.clear();  // version 1 has no action member
  }
  const boost::json::value* expires = obj.if_contains("expires_at");
  if (expires == nullptr) {
    return Invalid("member \"expires_at\" is missing");
  }
  if (!expires->is_null()) {
    SIGNET_ASSIGN_OR_RETURN(event.expires_at, TimeMember(obj, "expires_at"));
  }
  return event;
}

}  // namespace signet::audit
