// BackgroundLoop: one thread that runs a step, waits as long as the step asks (or until
// Wake or Stop), and runs it again, until Stop. For the periodic work of long-lived
// parts (signing-key maintenance, following other replicas' changes): the step decides
// with the injected Clock what is due and returns how long to wait; only this wait is in
// real (monotonic) time, so tests drive the step directly and never sleep.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace signet {

class BackgroundLoop {
 public:
  // Runs once, then returns how long to wait before the next run.
  using Step = std::function<std::chrono::milliseconds()>;

  BackgroundLoop() = default;
  ~BackgroundLoop();  // Stop
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  // Starts the thread, which runs `step` at once; does nothing when it runs already.
  void Start(Step step);
  // Ends the current wait early (the step runs again now).
  void Wake();
  // Ends the loop after the step in progress, if any, and joins the thread.
  void Stop();

 private:
  void Run(const Step& step);

  std::mutex mu_;  // guards stop_, wake_
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread thread_;
};

}  // namespace signet
