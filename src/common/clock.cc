#include "common/clock.h"

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

std::optional<SystemTime> ParseUtcSeconds(std::string_view text) {
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
                    std::chrono::seconds(s));
}

}  // namespace signet
