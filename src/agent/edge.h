// The seams of signet-agent: how its local server (credential API, AWS
// container-credentials endpoint, credential-injecting proxy) learns who is calling,
// gets that caller's credential for a destination, and reports what it forwarded.
//
// The local server (agent/local_server.h) owns connections and HTTP; attestation
// (agent/attestation.h) owns /proc; the signetd client and its cache
// (agent/signetd_client.h) own the conversation with the broker. Each sees the others
// only through these interfaces, so each is tested with the others replaced.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "credentials/provider.h"

namespace signet::agent {

// What the agent saw of a local process, from the connection it called on. These are the
// selectors identity rules of an `agent` issuer match (docs/agent.md); every value is a
// string so rules compare them exactly as they compare token claims.
struct ProcessSelectors {
  int pid = 0;               // not a selector (pids are reused); for logs only
  std::string uid;           // effective uid, decimal (what SO_PEERCRED reports)
  std::string gid;           // effective gid, decimal
  std::string exe;           // the executable's path, as /proc/<pid>/exe names it
  std::string sha256;        // SHA-256 of the executable's bytes, lowercase hex
  std::string container_id;  // from /proc/<pid>/cgroup; "" outside a container
  std::string pod_uid;       // the Kubernetes pod UID from the cgroup; "" outside a pod

  bool operator==(const ProcessSelectors&) const = default;
};

// How a caller reached the agent. For a unix socket the accepted descriptor is enough
// (SO_PEERCRED); for loopback TCP the two ends name the connection in /proc/net/tcp{,6}.
struct CallerConnection {
  int fd = -1;  // the accepted socket, open for the duration of the call
  bool unix_socket = false;
  // TCP only: the addresses as text ("127.0.0.1", "::1") and ports.
  std::string agent_address;
  uint16_t agent_port = 0;
  std::string caller_address;
  uint16_t caller_port = 0;
};

class CallerAttestor {
 public:
  virtual ~CallerAttestor() = default;
  // Blocking (reads /proc and may hash an executable): call it off the I/O threads, once
  // per connection. Errors: access_denied with reason caller_unattested and a message
  // saying what could not be read.
  virtual Result<ProcessSelectors> Attest(const CallerConnection& connection) = 0;
};

// A caller's credential for one destination, as signetd issued it.
struct EdgeCredential {
  std::string workload;     // the workload signetd resolved the caller to
  std::string destination;  // the destination's name
  std::string url;          // the destination's base URL (the proxy's upstream); may be ""
  credentials::Credential credential;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // Never blocks: the cached credential when one is fresh, else null (then call Fetch).
  virtual std::shared_ptr<const EdgeCredential> Cached(const ProcessSelectors& caller,
                                                       std::string_view destination) = 0;
  // May wait on signetd: call it off the I/O threads. Errors are signetd's refusal as it
  // answered it (OAuth code, reason, message), or temporarily_unavailable when signetd
  // cannot be reached.
  virtual Result<std::shared_ptr<const EdgeCredential>> Fetch(const ProcessSelectors& caller,
                                                              std::string_view destination) = 0;
};

// One request the proxy forwarded: what the audit trail records of it. No body, no query
// string, no header values.
struct UsageRecord {
  SystemTime time;  // when the request arrived
  std::string workload;
  std::string destination;
  std::string method;
  std::string host;                      // the upstream's host
  std::string path;                      // without the query
  int status = 0;                        // the upstream's status; 0 when no answer came
  uint64_t bytes_sent = 0;               // request body bytes forwarded upstream
  uint64_t bytes_received = 0;           // response body bytes forwarded to the caller
  std::chrono::microseconds latency{0};  // arrival to the last byte of the answer
};

class UsageSink {
 public:
  virtual ~UsageSink() = default;
  // Never blocks: queues the record for a batched upload.
  virtual void Record(UsageRecord record) = 0;
};

}  // namespace signet::agent
