// ProcAttestor: which local process is calling the agent, as the kernel tells it.
//
// A caller on the agent's unix socket is named by its peer credentials (SO_PEERCRED: the
// pid, and the effective uid and gid it had when it connected). A caller on loopback TCP
// is found through its socket: the socket whose local end is the caller's address and
// port and whose remote end is the agent's gives its inode and owner uid, and the process
// holding `socket:[inode]` among its /proc/<pid>/fd is the caller (its gid is the
// effective gid in /proc/<pid>/status). The socket is asked of the kernel by its two ends
// (sock_diag, a hash lookup) and, when that cannot answer (no inet_diag in the kernel) or
// `proc_root` is not "/proc", read from <proc_root>/net/tcp and tcp6, which the kernel
// fills by walking every socket. When no process holds the socket, or more than one does
// (a socket shared across fork, or passed to another process), the caller is refused: the
// agent cannot tell which one is speaking. Finding the holder reads every process's fd
// links, so a TCP attestation costs milliseconds on a host with many processes (a unix
// socket's, a tenth of that): the local server attests once per connection.
//
// From the pid: `exe` is /proc/<pid>/exe's target (the path as the process sees it, inside
// its container); a target ending " (deleted)" means the binary was replaced or removed
// since the process started, and is refused. `sha256` hashes the bytes read through
// /proc/<pid>/exe, which opens the very file the process runs whatever its path names
// now; for a script it is the interpreter's (node, python), not the script's. The hash is
// kept per file (device, inode, size, mtime, ctime; ctime because mtime can be set back
// by the file's owner) in a bounded cache, so a busy caller's binary is read once.
// `container_id` and `pod_uid` come from /proc/<pid>/cgroup (ParseCgroup below); they are
// as trustworthy as the runtime's cgroup isolation (a privileged container may move
// itself to another cgroup).
//
// Pid reuse. The process start time (field 22 of /proc/<pid>/stat) is read before and
// after collecting; a change means the pid now names another process, and the caller is
// refused. For TCP the socket is looked up again in the process's fds before the second
// read, so a process found through the socket still held it while its selectors were
// read. For a unix socket, when the kernel has SO_PEERPIDFD (Linux 6.5), the peer's pidfd
// is checked to still name a live (or unreaped) process after collecting: then its pid
// cannot have been reused, and the selectors are the connecting process's. Without
// SO_PEERPIDFD one window remains: a caller that connects, hands its socket to a child
// and exits before Attest starts, with its pid then taken by another process, is attested
// as that other process (uid and gid stay the connecting process's: SO_PEERCRED fixed them
// at connect time). Cycling pids takes time, Attest runs as the connection is accepted,
// and the uid cannot be borrowed, but a rule matching only exe or container_id is weaker
// on such kernels.
//
// The agent must see its callers: it runs in the host's pid namespace (or the callers'),
// and reading other users' /proc/<pid>/fd and exe needs root or CAP_SYS_PTRACE.
//
// Thread safety: Attest may be called from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "agent/edge.h"
#include "common/status.h"

namespace signet::agent {

// What a /proc/<pid>/cgroup file says of the process's container and pod.
struct CgroupIdentity {
  std::string container_id;  // 64 lowercase hex digits; "" outside a container
  std::string pod_uid;       // the Kubernetes pod UID, dashes restored; "" outside a pod

  bool operator==(const CgroupIdentity&) const = default;
};

// Reads the container id and pod UID from a cgroup file, v1 (`N:controllers:path` lines)
// or v2 (`0::path`). A container id is a 64-hex path segment, bare (docker and containerd
// with the cgroupfs driver: /docker/<id>, /kubepods/burstable/pod<uid>/<id>) or a systemd
// scope of a known runtime: docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
// libpod-<id>.scope (podman), nerdctl-<id>.scope, or the `...slice:cri-containerd:<id>`
// form; conmon's scopes (crio-conmon-, libpod-conmon-) are monitors outside the container
// and are not ids. With nested containers the innermost id counts. A pod UID is read from
// a `pod<uid>` segment under kubepods (kubepods-burstable-pod<uid>.slice, with systemd's
// `_` turned back into `-`), as a UUID or as the 32 hex digits of a static pod.
// Errors: access_denied caller_unattested when lines name different containers or pods.
Result<CgroupIdentity> ParseCgroup(std::string_view cgroup_file);

class ProcAttestor final : public CallerAttestor {
 public:
  // `proc_root`: where procfs is mounted (tests point it at a directory of files shaped
  // like /proc). `max_cached_hashes`: how many executables' hashes are kept.
  explicit ProcAttestor(std::string proc_root = "/proc", size_t max_cached_hashes = 256);

  // Never throws. Errors: access_denied, reason caller_unattested, saying what failed.
  Result<ProcessSelectors> Attest(const CallerConnection& connection) override;

  // How many times an executable was read and hashed (the rest came from the cache).
  uint64_t executables_hashed() const;

 private:
  // A file as fstat sees it: the same key means the same bytes (short of a filesystem
  // that lies about ctime).
  using FileKey = std::tuple<uint64_t, uint64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;
  struct FileKeyHash {
    size_t operator()(const FileKey& key) const;
  };

  Result<ProcessSelectors> AttestUnix(int fd);
  Result<ProcessSelectors> AttestTcp(const CallerConnection& connection);
  // exe, sha256, container_id and pod_uid of `pid`.
  Status Collect(int pid, ProcessSelectors& selectors);
  Result<std::string> ExecutableSha256(int pid);

  const std::string proc_root_;
  const size_t max_cached_hashes_;

  mutable std::mutex mu_;
  std::list<std::pair<FileKey, std::string>> lru_;  // most recently used first
  std::unordered_map<FileKey, std::list<std::pair<FileKey, std::string>>::iterator, FileKeyHash>
      cache_;
  uint64_t executables_hashed_ = 0;
};

}  // namespace signet::agent
