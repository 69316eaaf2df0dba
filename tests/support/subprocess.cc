#include "support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace signet::testing {

Subprocess::Subprocess(std::vector<std::string> argv, const std::string& log_path) {
  pid_ = fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (auto& a : argv) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::optional<int> Subprocess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  kill(pid_, signal);
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    poll(&p, 1, static_cast<int>(timeout.count()));
    close(pidfd);
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) {
    return std::nullopt;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ReadyPipe::ReadyPipe() {
  char tmpl[] = "/tmp/signet-ready-XXXXXX";
  dir_ = mkdtemp(tmpl);
  path_ = dir_ + "/ready";
  mkfifo(path_.c_str(), 0600);
  // Non-blocking open for reading succeeds without a writer; poll waits for one.
  fd_ = open(path_.c_str(), O_RDONLY | O_NONBLOCK);
}

ReadyPipe::~ReadyPipe() {
  if (fd_ >= 0) {
    close(fd_);
  }
  std::filesystem::remove_all(dir_);
}

std::optional<std::string> ReadyPipe::ReadLine(std::chrono::milliseconds timeout) {
  // On Linux a FIFO that has never had a writer does not poll as hung up, so each poll
  // waits for the writer's data; a writer that closes ends the line.
  std::string line;
  for (int reads = 0; reads < 1024; ++reads) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return std::nullopt;
    }
    char buf[64];
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) {
      return line.empty() ? std::nullopt : std::optional<std::string>(line);
    }
    line.append(buf, static_cast<size_t>(n));
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      return line.substr(0, nl);
    }
  }
  return std::nullopt;
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("popen failed: " + command);
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) {
    out.append(buf, n);
  }
  int status = pclose(pipe);
  if (exit_code != nullptr) {
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return out;
}

}  // namespace signet::testing
