// `signet doctor [--pid PID] [--format text|json]`: finds the static credentials in a
// process's environment that SDKs would use before federation, so that a workload moved
// to Signet does not keep working, unnoticed, on the key it was meant to lose.
//
// For each it says what the variable is (never its value: whether it is set, and its
// length), what it silently shadows, what to remove, and what replaces it: signet-agent's
// proxy as the SDK's base URL, the agent's AWS container-credentials endpoint, or
// `signet token`. GOOGLE_APPLICATION_CREDENTIALS is read: a service-account key (or any
// file that is not an `external_account` federation config) is a finding. An API key
// beside a base URL on loopback (the agent's proxy, which drops the key and injects the
// credential) is a note, not a finding, unless it is shaped like a real key.
//
// The environment is this process's, or /proc/<pid>/environ: what the process was started
// with (later setenv calls are not seen); files it names are read as it would (its root
// and working directory).
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace signet::cli {

using Environment = std::map<std::string, std::string>;

// Reads a file the inspected process names; nullopt when it cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

struct DoctorFinding {
  std::string variable;  // "ANTHROPIC_API_KEY"
  std::string state;     // "set (108 characters)", "set but empty", "a service-account key ..."
  std::string shadows;   // what it takes precedence over
  std::string remove;    // what to do about it
  std::string instead;   // what replaces it
};

struct Diagnosis {
  std::vector<DoctorFinding> findings;
  std::vector<std::string> notes;  // set, but harmless as things are
};

Diagnosis Diagnose(const Environment& environment, const FileReader& read_file);

// This process's environment.
Environment OwnEnvironment();
// /proc/<pid>/environ. Errors: invalid_request process_unreadable, saying why.
Result<Environment> ProcessEnvironment(int pid, const std::string& proc_root = "/proc");
// Reads paths as process `pid` sees them: absolute ones under /proc/<pid>/root, relative
// ones under /proc/<pid>/cwd.
FileReader ProcessFileReader(int pid, const std::string& proc_root = "/proc");
// Reads paths as they are.
FileReader LocalFileReader();

// Prints `diagnosis` of `subject` ("this process", "process 1234") as text or JSON;
// returns the exit status: 0 when there is no finding, 1 when there are findings.
int PrintDiagnosis(const Diagnosis& diagnosis, const std::string& subject,
                   const std::string& format, std::ostream& out);

struct DoctorOptions {
  std::optional<int> pid;       // the process to inspect; this one when unset
  std::string format = "text";  // text | json
};

// Exit status: 0 clean, 1 findings, 2 the environment could not be read (on `err`).
int RunDoctor(const DoctorOptions& options, std::ostream& out, std::ostream& err);

}  // namespace signet::cli
