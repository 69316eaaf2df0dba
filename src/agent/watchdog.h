// Watchdog: the timeouts of one caller connection, with one timer. Private to the local
// server (Asio types).
//
// A connection waits on one thing at a time (its caller, or the upstream it forwards to),
// and each wait has its own bound. Arming an Asio timer per read and write costs a timer
// queue insertion, a cancellation and a handler run for every operation; here a wait only
// records its deadline, and the one timer wakes when the earliest deadline it knows of
// passes: then, if the wait under way is past its deadline, the sockets it may be waiting
// on are cancelled (its operation ends with operation_aborted, and fired() says why).
//
// Not thread-safe: used from its connection's I/O thread only.
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "common/clock.h"

namespace signet::agent {

class Watchdog : public std::enable_shared_from_this<Watchdog> {
 public:
  // `caller` must outlive every call but Stop's.
  Watchdog(boost::asio::any_io_executor executor, const Clock& clock,
           boost::asio::generic::stream_protocol::socket& caller)
      : timer_(std::move(executor)), clock_(clock), caller_(&caller) {}

  // The wait about to start may last `timeout`.
  void Arm(std::chrono::milliseconds timeout) {
    fired_ = false;
    deadline_ = clock_.MonotonicNow() + timeout;
    if (!armed_ || deadline_ < armed_at_) {
      Wake(deadline_);
    }
  }
  // The upstream socket the connection may wait on now; null for none.
  void Watch(boost::asio::ip::tcp::socket* upstream) { upstream_ = upstream; }
  // Whether the last armed wait ran out of time.
  bool fired() const { return fired_; }
  // The connection is over: the timer lets go of it.
  void Stop() {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  void Wake(MonotonicTime at) {
    armed_ = true;
    armed_at_ = at;
    timer_.expires_after(at - clock_.MonotonicNow());
    timer_.async_wait([self = shared_from_this(), at](const boost::system::error_code& error) {
      self->OnTimer(error, at);
    });
  }

  void OnTimer(const boost::system::error_code& error, MonotonicTime at) {
    if (stopped_ || error || at != armed_at_) {
      return;  // stopped, or replaced by an earlier wake
    }
    armed_ = false;
    if (clock_.MonotonicNow() < deadline_) {
      Wake(deadline_);  // the wait under way started after this wake was set
      return;
    }
    fired_ = true;
    boost::system::error_code ignored;
    caller_->cancel(ignored);
    if (upstream_ != nullptr) {
      upstream_->cancel(ignored);
    }
  }

  boost::asio::steady_timer timer_;
  const Clock& clock_;
  boost::asio::generic::stream_protocol::socket* caller_;
  boost::asio::ip::tcp::socket* upstream_ = nullptr;
  MonotonicTime deadline_;
  MonotonicTime armed_at_;
  bool armed_ = false;
  bool fired_ = false;
  bool stopped_ = false;
};

}  // namespace signet::agent
