// Clock: the only door to time.
//
// Two kinds of time, as in Envoy's TimeSource: wall time (Now) for `exp`, `iat` and
// audit timestamps; monotonic time (MonotonicNow) for caches, rate limits and timeouts.
// Production code takes a `const Clock&` and never reads std::chrono clocks itself;
// RealClock (clock.cc) is the only place that does. Tests use SimulatedClock.
//
// Thread safety: all methods of both implementations may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace signet {

using SystemTime = std::chrono::system_clock::time_point;
using MonotonicTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
  virtual MonotonicTime MonotonicNow() const = 0;

  // The process-wide real clock. Never null; lives for the whole program.
  static const Clock& Real();
};

// Seconds since the Unix epoch, with the sub-second part, as JWT NumericDate uses.
double ToUnixSeconds(SystemTime t);
// Whole seconds since the epoch, rounded down: a JWT NumericDate as issuers write it.
int64_t ToUnixSecondsFloor(SystemTime t);
SystemTime FromUnixSeconds(int64_t seconds);
// "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, whole seconds: sub-second parts are dropped).
std::string FormatUtcSeconds(SystemTime t);
// An RFC 3339 date-time ("2026-11-29T14:38:00Z", "2026-11-29T14:38:00.045Z",
// "2026-11-29T15:38:00+01:00"), as destinations state expiries, in whole seconds (a
// fraction is dropped, so the expiry is never later than stated); nullopt when `text` is
// not one.
std::optional<SystemTime> ParseRfc3339(std::string_view text);

// Parses "90", "90s", "15m", "2h" or "1d" (at most ten years) into seconds, as
// configuration files write durations; nullopt when malformed.
std::optional<std::chrono::seconds> ParseDuration(std::string_view text);

// A clock that moves only when told to. Both times start at the given wall time and
// advance together.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(SystemTime start = FromUnixSeconds(1'700'000'000));

  SystemTime Now() const override;
  MonotonicTime MonotonicNow() const override;

  void Advance(std::chrono::nanoseconds d);
  // Moves wall time only (an NTP step); monotonic time is unchanged.
  void SetWallTime(SystemTime t);

 private:
  std::atomic<int64_t> wall_ns_;
  std::atomic<int64_t> mono_ns_;
};

}  // namespace signet
