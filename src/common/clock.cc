#include "common/clock.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace signet {
namespace {

class RealClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  MonotonicTime MonotonicNow() const override { return std::chrono::steady_clock::now(); }
};

int64_t SinceEpochNs(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

const Clock& Clock::Real() {
  static const RealClock clock;
  return clock;
}

double ToUnixSeconds(SystemTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

int64_t ToUnixSecondsFloor(SystemTime t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

SystemTime FromUnixSeconds(int64_t seconds) { return SystemTime(std::chrono::seconds(seconds)); }

SimulatedClock::SimulatedClock(SystemTime start) : wall_ns_(SinceEpochNs(start)), mono_ns_(0) {}

SystemTime SimulatedClock::Now() const {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::nanoseconds(wall_ns_.load())));
}

MonotonicTime SimulatedClock::MonotonicNow() const {
  return MonotonicTime(std::chrono::duration_cast<MonotonicTime::duration>(
      std::chrono::nanoseconds(mono_ns_.load())));
}

void SimulatedClock::Advance(std::chrono::nanoseconds d) {
  wall_ns_ += d.count();
  mono_ns_ += d.count();
}

void SimulatedClock::SetWallTime(SystemTime t) { wall_ns_ = SinceEpochNs(t); }

std::string FormatUtcSeconds(SystemTime t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto day = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd(day);
  std::chrono::hh_mm_ss hms(secs - day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

namespace {

// The `digits` decimal digits of `text` at `at`, or -1.
int DigitsAt(std::string_view text, size_t at, size_t digits) {
  if (at + digits > text.size()) {
    return -1;
  }
  int value = 0;
  for (size_t i = at; i < at + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<SystemTime> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  int year = DigitsAt(text, 0, 4), month = DigitsAt(text, 5, 2), day = DigitsAt(text, 8, 2);
  int hour = DigitsAt(text, 11, 2), minute = DigitsAt(text, 14, 2), second = DigitsAt(text, 17, 2);
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' || year < 0 ||
      month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year),
                                   std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  size_t at = 19;
  if (text[at] == '.') {
    do {
      ++at;
    } while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])));
    if (at == 20) {
      return std::nullopt;
    }
  }
  std::chrono::seconds offset{0};
  std::string_view zone = text.substr(std::min(at, text.size()));
  if (zone == "Z" || zone == "z") {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
             DigitsAt(zone, 1, 2) >= 0 && DigitsAt(zone, 1, 2) <= 23 && DigitsAt(zone, 4, 2) >= 0 &&
             DigitsAt(zone, 4, 2) <= 59) {
    offset = std::chrono::hours(DigitsAt(zone, 1, 2)) + std::chrono::minutes(DigitsAt(zone, 4, 2));
    offset = zone[0] == '+' ? offset : -offset;
  } else {
    return std::nullopt;
  }
  return SystemTime(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) - offset;
}

std::optional<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  constexpr int64_t kMaxSeconds = int64_t{10} * 365 * 86400;  // beyond any sane lifetime
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > kMaxSeconds / unit) {
    return std::nullopt;
  }
  return std::chrono::seconds(value * unit);
}

}  // namespace signet
