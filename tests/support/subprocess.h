// Runs one of Signet's programs as a child process for integration tests, and waits for
// it on conditions with a bound (a FIFO it writes when ready, a pidfd when it exits),
// never by sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace signet::testing {

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr go to `log_path`.
  Subprocess(std::vector<std::string> argv, const std::string& log_path);
  ~Subprocess();  // SIGKILLs the child if it still runs
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` and waits up to `timeout` for exit; the exit status, or nullopt.
  std::optional<int> Stop(int signal, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
};

// A named pipe in a fresh temporary directory; ReadLine waits (bounded) for a writer.
class ReadyPipe {
 public:
  ReadyPipe();
  ~ReadyPipe();
  const std::string& path() const { return path_; }
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

// Runs a shell command and returns its stdout (for real third-party clients: curl).
std::string RunCommand(const std::string& command, int* exit_code = nullptr);

}  // namespace signet::testing
