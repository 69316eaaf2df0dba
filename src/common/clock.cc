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

}  // namespace signet
