#include "common/background_loop.h"

#include <algorithm>

namespace signet {

BackgroundLoop::~BackgroundLoop() { Stop(); }

void BackgroundLoop::Start(Step step) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) {
    return;
  }
  stop_ = false;
  thread_ = std::thread([this, step = std::move(step)] { Run(step); });
}

void BackgroundLoop::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void BackgroundLoop::Stop() {
  std::thread running;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    running.swap(thread_);  // one caller joins it; a concurrent Stop finds nothing
  }
  cv_.notify_all();
  if (running.joinable()) {
    if (running.get_id() == std::this_thread::get_id()) {
      running.detach();  // stopped from its own step: it ends when the step returns
    } else {
      running.join();
    }
  }
}

void BackgroundLoop::Run(const Step& step) {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    std::chrono::milliseconds wait = std::max(step(), std::chrono::milliseconds(0));
    lock.lock();
    cv_.wait_for(lock, wait, [this] { return stop_ || wake_; });
    wake_ = false;
  }
}

}  // namespace signet
