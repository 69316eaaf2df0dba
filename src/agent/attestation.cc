#include "agent/attestation.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "common/base64url.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5; glibc 2.36's headers predate it
#endif

namespace signet::agent {
namespace {

Status Unattested(std::string message) {
  return Status(ErrorCode::kAccessDenied, "caller_unattested", std::move(message));
}

// Closes the descriptor it owns.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// std::strerror may share a buffer between threads; this does not.
std::string ErrnoText(int error) { return std::generic_category().message(error); }

// Why /proc/<pid>/... may not be readable, for messages.
std::string ProcErrorText(int error) {
  if (error == EACCES || error == EPERM) {
    return ErrnoText(error) + " (reading another user's process needs root or CAP_SYS_PTRACE)";
  }
  if (error == ENOENT || error == ESRCH) {
    return ErrnoText(error) + " (the process has exited)";
  }
  return ErrnoText(error);
}

// The whole of a small file (procfs files report size 0, so read until EOF).
Result<std::string> ReadSmallFile(const std::string& path, size_t limit) {
  OwnedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int error = errno;
    return Unattested("cannot read " + path + ": " + ProcErrorText(error));
  }
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      int error = errno;
      if (error == EINTR) {
        continue;
      }
      return Unattested("cannot read " + path + ": " + ProcErrorText(error));
    }
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > limit) {
      return Unattested(path + " is larger than " + std::to_string(limit) + " bytes");
    }
  }
}

std::optional<std::string> ReadLinkAt(int dir_fd, const char* name, int* error = nullptr) {
  char buffer[4096];
  ssize_t n = ::readlinkat(dir_fd, name, buffer, sizeof(buffer));
  if (n < 0 || static_cast<size_t>(n) == sizeof(buffer)) {
    if (error != nullptr) {
      *error = n < 0 ? errno : ENAMETOOLONG;
    }
    return std::nullopt;
  }
  return std::string(buffer, static_cast<size_t>(n));
}

template <typename Integer>
std::optional<Integer> ParseInteger(std::string_view text, int base = 10) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) {
      ++i;
    }
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') {
      ++i;
    }
    if (i > start) {
      fields.push_back(text.substr(start, i - start));
    }
  }
  return fields;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

// The start time of `pid` (field 22 of its stat, in clock ticks since boot). The command
// name (field 2) is in parentheses and may hold spaces and ')', so fields are counted
// from the last ')'.
Result<uint64_t> StartTime(const std::string& proc_root, int pid) {
  std::string path = proc_root + "/" + std::to_string(pid) + "/stat";
  SIGNET_ASSIGN_OR_RETURN(std::string stat, ReadSmallFile(path, 4096));
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return Unattested(path + " is not a stat file");
  }
  std::vector<std::string_view> fields = SplitWhitespace(std::string_view(stat).substr(paren + 1));
  constexpr size_t kStartTime = 22 - 3;  // fields after ')' begin with field 3 (state)
  std::optional<uint64_t> start =
      fields.size() > kStartTime ? ParseInteger<uint64_t>(fields[kStartTime]) : std::nullopt;
  if (!start) {
    return Unattested(path + " has no start time (field 22)");
  }
  return *start;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool IsContainerId(std::string_view text) { return text.size() == 64 && IsLowerHex(text); }

// The container id a cgroup path segment names, or "".
std::string_view ContainerIdOf(std::string_view segment) {
  if (IsContainerId(segment)) {
    return segment;
  }
  // `kubepods-...-pod<uid>.slice:cri-containerd:<id>`: a systemd cgroupsPath as given to
  // runc, which containerd with systemd cgroups on cgroup v1 leaves verbatim.
  if (std::vector<std::string_view> parts = Split(segment, ':');
      parts.size() == 3 && IsContainerId(parts[2])) {
    return parts[2];
  }
  constexpr std::string_view kScope = ".scope";
  if (segment.ends_with(kScope)) {
    segment.remove_suffix(kScope.size());
  }
  for (std::string_view prefix : {"docker-", "cri-containerd-", "crio-", "libpod-", "nerdctl-"}) {
    if (segment.starts_with(prefix) && IsContainerId(segment.substr(prefix.size()))) {
      return segment.substr(prefix.size());
    }
  }
  return {};
}

// The pod UID a cgroup path segment names (dashes restored), or "". Kubernetes writes it
// as `pod<uid>` (cgroupfs) or `kubepods[-qos]-pod<uid>.slice` (systemd, with the UID's
// dashes escaped to '_'); a static pod's UID is 32 hex digits without dashes.
std::string PodUidOf(std::string_view segment) {
  if (std::vector<std::string_view> parts = Split(segment, ':'); parts.size() == 3) {
    segment = parts[0];
  }
  constexpr std::string_view kSlice = ".slice";
  if (segment.ends_with(kSlice)) {
    segment.remove_suffix(kSlice.size());
  }
  size_t pod = segment.rfind("pod");
  if (pod == std::string_view::npos || (pod != 0 && segment[pod - 1] != '-')) {
    return "";
  }
  std::string uid(segment.substr(pod + 3));
  for (char& c : uid) {
    if (c == '_') {
      c = '-';
    }
  }
  bool uuid =
      uid.size() == 36 && uid[8] == '-' && uid[13] == '-' && uid[18] == '-' && uid[23] == '-';
  std::string digits = uid;
  std::erase(digits, '-');
  if ((uuid && digits.size() == 32 && IsLowerHex(digits)) ||
      (uid.size() == 32 && IsLowerHex(uid))) {
    return uid;
  }
  return "";
}

// One of the two answers ParseCgroup gives, from one line; lines must agree.
Status Agree(std::string& kept, std::string_view found, std::string_view what) {
  if (found.empty() || kept == found) {
    return Status::Ok();
  }
  if (!kept.empty()) {
    return Unattested("the cgroup file names two " + std::string(what) + "s (" + kept + " and " +
                      std::string(found) + ")");
  }
  kept = std::string(found);
  return Status::Ok();
}

using Address = std::array<uint8_t, 16>;  // IPv4 as IPv4-mapped IPv6

std::optional<Address> ParseTextAddress(const std::string& text) {
  Address address{};
  if (inet_pton(AF_INET6, text.c_str(), address.data()) == 1) {
    return address;
  }
  if (inet_pton(AF_INET, text.c_str(), address.data() + 12) == 1) {
    address[10] = address[11] = 0xff;
    return address;
  }
  return std::nullopt;
}

// "0100007F:1F90" or the IPv6 form with 32 hex digits. The kernel prints each 32-bit word
// of the address as a number in host byte order, so copying the number's bytes back out
// in host order restores the address's bytes; the port is a plain number.
std::optional<std::pair<Address, uint16_t>> ParseProcEndpoint(std::string_view field) {
  size_t colon = field.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view hex = field.substr(0, colon);
  std::optional<uint16_t> port = ParseInteger<uint16_t>(field.substr(colon + 1), 16);
  if (!port || (hex.size() != 8 && hex.size() != 32)) {
    return std::nullopt;
  }
  Address address{};
  size_t offset = hex.size() == 8 ? 12 : 0;
  if (hex.size() == 8) {
    address[10] = address[11] = 0xff;
  }
  for (size_t word = 0; word * 8 < hex.size(); ++word) {
    std::optional<uint32_t> value = ParseInteger<uint32_t>(hex.substr(word * 8, 8), 16);
    if (!value) {
      return std::nullopt;
    }
    std::memcpy(address.data() + offset + word * 4, &*value, 4);
  }
  return std::make_pair(address, *port);
}

struct TcpSocket {
  uint64_t inode = 0;
  std::string uid;
};

// The open socket (inode not 0: a socket in TIME_WAIT or orphaned has none) whose local
// end is `local` and remote end `remote`, from one /proc/net/tcp{,6} table.
std::optional<TcpSocket> FindTcpSocket(const std::string& table,
                                       const std::pair<Address, uint16_t>& local,
                                       const std::pair<Address, uint16_t>& remote) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::vector<std::string_view> fields = SplitWhitespace(line);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (fields.size() < 10) {
      continue;
    }
    if (ParseProcEndpoint(fields[1]) != local || ParseProcEndpoint(fields[2]) != remote) {
      continue;
    }
    std::optional<uint64_t> inode = ParseInteger<uint64_t>(fields[9]);
    if (inode && *inode != 0 && ParseInteger<uint32_t>(fields[7])) {
      return TcpSocket{*inode, std::string(fields[7])};
    }
  }
  return std::nullopt;
}

bool IsIpv4Mapped(const Address& address) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(address.data(), kPrefix, sizeof(kPrefix)) == 0;
}

// The kernel's answer for the socket from `local` to `remote`, asked with sock_diag's
// exact lookup: a hash lookup, where reading /proc/net/tcp walks every socket (4 to 14 ms
// per table on the 2-core host it was measured on). nullopt when the kernel has no such
// open socket or cannot answer (no inet_diag), so the tables are read instead.
std::optional<TcpSocket> LookUpTcpSocket(const std::pair<Address, uint16_t>& local,
                                         const std::pair<Address, uint16_t>& remote) {
  OwnedFd netlink(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (netlink.get() < 0) {
    return std::nullopt;
  }
  bool v4 = IsIpv4Mapped(local.first) && IsIpv4Mapped(remote.first);
  size_t skip = v4 ? 12 : 0;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof(message);
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;  // no NLM_F_DUMP: one socket, by its ends
  message.request.sdiag_family = v4 ? AF_INET : AF_INET6;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = ~0u;
  message.request.id.idiag_sport = htons(local.second);
  message.request.id.idiag_dport = htons(remote.second);
  std::memcpy(message.request.id.idiag_src, local.first.data() + skip, 16 - skip);
  std::memcpy(message.request.id.idiag_dst, remote.first.data() + skip, 16 - skip);
  message.request.id.idiag_cookie[0] = message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(netlink.get(), &message, sizeof(message), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) != static_cast<ssize_t>(sizeof(message))) {
    return std::nullopt;
  }
  // The kernel answers while handling the request: the reply is already queued.
  alignas(nlmsghdr) char reply[8192];
  ssize_t n = ::recv(netlink.get(), reply, sizeof(reply), MSG_DONTWAIT);
  const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
  if (n < 0 || !NLMSG_OK(header, static_cast<size_t>(n)) ||
      header->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
      header->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) {
    return std::nullopt;
  }
  const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
  // A lookup that finds no connection may return a listener on the caller's port (its
  // remote end is empty), or a TIME_WAIT socket (no inode): neither is the caller.
  if (socket->idiag_state == TCP_LISTEN || socket->idiag_inode == 0 ||
      socket->id.idiag_dport != htons(remote.second)) {
    return std::nullopt;
  }
  return TcpSocket{socket->idiag_inode, std::to_string(socket->idiag_uid)};
}

int PidOf(const char* name) { return ParseInteger<int>(name).value_or(0); }

// Whether `fd_dir` (an open /proc/<pid>/fd) has `link` as the target of `fd_name`.
bool LinksTo(int fd_dir, const char* fd_name, const std::string& link) {
  return ReadLinkAt(fd_dir, fd_name) == link;
}

// Whether the open directory `fds` (a /proc/<pid>/fd) has an entry linking to `link`;
// its name in `fd_name`.
bool FindLink(DIR* fds, const std::string& link, std::string* fd_name) {
  while (const dirent* fd = ::readdir(fds)) {
    if (fd->d_name[0] != '.' && LinksTo(::dirfd(fds), fd->d_name, link)) {
      *fd_name = fd->d_name;
      return true;
    }
  }
  return false;
}

struct Holder {
  int pid = 0;
};

struct SocketHolders {
  std::vector<Holder> holders;  // one per process
  int unreadable = 0;           // processes whose fds could not be listed
};

// Every process with `link` ("socket:[inode]") among its open files.
SocketHolders FindHolders(const std::string& proc_root, const std::string& link) {
  SocketHolders found;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir(proc_root.c_str()), ::closedir);
  if (proc == nullptr) {
    return found;
  }
  while (const dirent* process = ::readdir(proc.get())) {
    int pid = PidOf(process->d_name);
    if (pid <= 0) {
      continue;
    }
    std::string fd_path = proc_root + "/" + process->d_name + "/fd";
    std::unique_ptr<DIR, int (*)(DIR*)> fds(::opendir(fd_path.c_str()), ::closedir);
    if (fds == nullptr) {
      found.unreadable += errno == ENOENT ? 0 : 1;  // ENOENT: it exited meanwhile
      continue;
    }
    if (std::string fd; FindLink(fds.get(), link, &fd)) {
      found.holders.push_back({pid});
    }
  }
  return found;
}

// The effective gid in a /proc/<pid>/status ("Gid:\treal\teffective\tsaved\tfs"): the one
// SO_PEERCRED reports for a unix socket, so both transports agree.
Result<std::string> EffectiveGid(const std::string& proc_root, int pid) {
  std::string path = proc_root + "/" + std::to_string(pid) + "/status";
  SIGNET_ASSIGN_OR_RETURN(std::string status, ReadSmallFile(path, 64 * 1024));
  for (std::string_view line : Split(status, '\n')) {
    if (line.starts_with("Gid:")) {
      std::vector<std::string_view> fields = SplitWhitespace(line.substr(4));
      if (fields.size() >= 2 && ParseInteger<uint32_t>(fields[1])) {
        return std::string(fields[1]);
      }
    }
  }
  return Unattested(path + " has no Gid line");
}

std::string Endpoint(const std::string& address, uint16_t port) {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace

Result<CgroupIdentity> ParseCgroup(std::string_view cgroup_file) {
  CgroupIdentity identity;
  for (std::string_view line : Split(cgroup_file, '\n')) {
    // hierarchy-ID:controller-list:cgroup-path; the path may itself hold ':'.
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      continue;
    }
    std::string_view path = line.substr(second + 1);
    std::string_view container_id;
    std::string pod_uid;
    bool kubepods = path.find("kubepods") != std::string_view::npos;
    for (std::string_view segment : Split(path, '/')) {
      if (std::string_view id = ContainerIdOf(segment); !id.empty()) {
        container_id = id;  // the innermost wins
      }
      if (std::string uid = PodUidOf(segment); kubepods && !uid.empty()) {
        pod_uid = uid;
      }
    }
    SIGNET_RETURN_IF_ERROR(Agree(identity.container_id, container_id, "container"));
    SIGNET_RETURN_IF_ERROR(Agree(identity.pod_uid, pod_uid, "pod"));
  }
  return identity;
}

ProcAttestor::ProcAttestor(std::string proc_root, size_t max_cached_hashes)
    : proc_root_(std::move(proc_root)), max_cached_hashes_(max_cached_hashes) {}

size_t ProcAttestor::FileKeyHash::operator()(const FileKey& key) const {
  size_t seed = 0;
  std::apply(
      [&seed](auto... part) {
        ((seed ^= std::hash<int64_t>()(static_cast<int64_t>(part)) + 0x9e3779b97f4a7c15ULL +
                  (seed << 6) + (seed >> 2)),
         ...);
      },
      key);
  return seed;
}

uint64_t ProcAttestor::executables_hashed() const {
  std::lock_guard lock(mu_);
  return executables_hashed_;
}

Result<ProcessSelectors> ProcAttestor::Attest(const CallerConnection& connection) {
  try {
    return connection.unix_socket ? AttestUnix(connection.fd) : AttestTcp(connection);
  } catch (const std::exception& e) {  // allocation failure: refuse, never crash the agent
    return Unattested(std::string("attestation failed: ") + e.what());
  }
}

Result<ProcessSelectors> ProcAttestor::AttestUnix(int fd) {
  ucred peer{};
  socklen_t size = sizeof(peer);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    int error = errno;
    return Unattested("cannot read the caller's credentials (SO_PEERCRED): " + ErrnoText(error));
  }
  if (peer.pid <= 0) {
    return Unattested(
        "the caller's process is not visible in the agent's pid namespace: run the agent in "
        "the host's pid namespace");
  }
  int pidfd = -1;
  size = sizeof(pidfd);
  bool has_pidfd = ::getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &size) == 0;
  OwnedFd owned_pidfd(has_pidfd ? pidfd : -1);

  ProcessSelectors selectors;
  selectors.pid = peer.pid;
  selectors.uid = std::to_string(peer.uid);
  selectors.gid = std::to_string(peer.gid);
  SIGNET_ASSIGN_OR_RETURN(uint64_t started, StartTime(proc_root_, peer.pid));
  SIGNET_RETURN_IF_ERROR(Collect(peer.pid, selectors));
  SIGNET_ASSIGN_OR_RETURN(uint64_t started_after, StartTime(proc_root_, peer.pid));
  if (started_after != started) {
    return Unattested("process " + std::to_string(peer.pid) +
                      " exited while it was attested and its pid was reused");
  }
  if (has_pidfd && ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0) {
    return Unattested("the caller's process " + std::to_string(peer.pid) +
                      " exited before it was attested");
  }
  return selectors;
}

Result<ProcessSelectors> ProcAttestor::AttestTcp(const CallerConnection& connection) {
  std::string caller = Endpoint(connection.caller_address, connection.caller_port);
  std::string agent = Endpoint(connection.agent_address, connection.agent_port);
  std::optional<Address> caller_address = ParseTextAddress(connection.caller_address);
  std::optional<Address> agent_address = ParseTextAddress(connection.agent_address);
  if (!caller_address || !agent_address) {
    return Unattested("not an IP address: " + (caller_address ? agent : caller));
  }
  std::pair<Address, uint16_t> local{*caller_address, connection.caller_port};
  std::pair<Address, uint16_t> remote{*agent_address, connection.agent_port};
  // An IPv4 caller may also use an IPv6 socket (then with IPv4-mapped addresses): both
  // tables are searched either way. A proc_root of test files has no kernel behind it.
  std::optional<TcpSocket> socket =
      proc_root_ == "/proc" ? LookUpTcpSocket(local, remote) : std::nullopt;
  if (!socket) {
    socket = FindTcpSocket(proc_root_ + "/net/tcp", local, remote);
  }
  if (!socket) {
    socket = FindTcpSocket(proc_root_ + "/net/tcp6", local, remote);
  }
  if (!socket) {
    return Unattested("no open socket from " + caller + " to " + agent +
                      " in /proc/net/tcp or tcp6: the caller closed it, or it is in another "
                      "network namespace");
  }
  std::string link = "socket:[" + std::to_string(socket->inode) + "]";
  SocketHolders found = FindHolders(proc_root_, link);
  if (found.holders.empty()) {
    std::string why = found.unreadable > 0
                          ? " (" + std::to_string(found.unreadable) +
                                " processes' files could not be listed: run the agent as root "
                                "or with CAP_SYS_PTRACE)"
                          : "";
    return Unattested("no process holds the caller's socket " + caller + " " + link + why);
  }
  if (found.holders.size() > 1) {
    std::string pids;
    for (const Holder& holder : found.holders) {
      pids += (pids.empty() ? "" : ", ") + std::to_string(holder.pid);
    }
    return Unattested("the caller's socket " + caller + " is open in several processes (" + pids +
                      "), shared across fork or passed on, so which one is calling cannot be "
                      "told; open the connection after forking, or with SOCK_CLOEXEC before an "
                      "exec");
  }
  const Holder& holder = found.holders.front();
  std::string pid_dir = proc_root_ + "/" + std::to_string(holder.pid);

  ProcessSelectors selectors;
  selectors.pid = holder.pid;
  selectors.uid = socket->uid;
  SIGNET_ASSIGN_OR_RETURN(uint64_t started, StartTime(proc_root_, holder.pid));
  SIGNET_ASSIGN_OR_RETURN(selectors.gid, EffectiveGid(proc_root_, holder.pid));
  SIGNET_RETURN_IF_ERROR(Collect(holder.pid, selectors));
  // Under any descriptor: a process may move its socket to another one, as bash's
  // `exec 3<>/dev/tcp/...` does while it connects.
  std::unique_ptr<DIR, int (*)(DIR*)> fds(::opendir((pid_dir + "/fd").c_str()), ::closedir);
  std::string still_held;
  if (fds == nullptr || !FindLink(fds.get(), link, &still_held)) {
    return Unattested("process " + std::to_string(holder.pid) +
                      " closed the caller's socket while it was attested");
  }
  SIGNET_ASSIGN_OR_RETURN(uint64_t started_after, StartTime(proc_root_, holder.pid));
  if (started_after != started) {
    return Unattested("process " + std::to_string(holder.pid) +
                      " exited while it was attested and its pid was reused");
  }
  return selectors;
}

Status ProcAttestor::Collect(int pid, ProcessSelectors& selectors) {
  std::string pid_dir = proc_root_ + "/" + std::to_string(pid);
  int error = 0;
  std::optional<std::string> exe = ReadLinkAt(AT_FDCWD, (pid_dir + "/exe").c_str(), &error);
  if (!exe) {
    return Unattested("cannot read the executable of process " + std::to_string(pid) + ": " +
                      ProcErrorText(error));
  }
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe->ends_with(kDeleted)) {
    return Unattested("the executable of process " + std::to_string(pid) + " (" +
                      exe->substr(0, exe->size() - kDeleted.size()) +
                      ") was deleted or replaced since it started: restart it");
  }
  selectors.exe = std::move(*exe);
  SIGNET_ASSIGN_OR_RETURN(selectors.sha256, ExecutableSha256(pid));
  SIGNET_ASSIGN_OR_RETURN(std::string cgroup, ReadSmallFile(pid_dir + "/cgroup", 64 * 1024));
  Result<CgroupIdentity> identity = ParseCgroup(cgroup);
  if (!identity.ok()) {
    return identity.status().WithContext("process " + std::to_string(pid));
  }
  selectors.container_id = std::move(identity->container_id);
  selectors.pod_uid = std::move(identity->pod_uid);
  return Status::Ok();
}

Result<std::string> ProcAttestor::ExecutableSha256(int pid) {
  std::string path = proc_root_ + "/" + std::to_string(pid) + "/exe";
  OwnedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
    int error = errno;
    return Unattested("cannot open the executable of process " + std::to_string(pid) + ": " +
                      ProcErrorText(error));
  }
  if (!S_ISREG(st.st_mode)) {
    return Unattested("the executable of process " + std::to_string(pid) +
                      " is not a regular file");
  }
  FileKey key{st.st_dev,          st.st_ino,         st.st_size,        st.st_mtim.tv_sec,
              st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
  {
    std::lock_guard lock(mu_);
    if (auto found = cache_.find(key); found != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      return found->second->second;
    }
  }
  // Hashed outside the lock: two callers of one new binary may both read it, which costs
  // less than making every caller wait behind one large read.
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (context == nullptr || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return Unattested("cannot hash the executable: OpenSSL failed");
  }
  std::vector<char> buffer(256 * 1024);
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    int error = errno;
    if (n < 0 && error == EINTR) {
      continue;
    }
    if (n < 0) {
      return Unattested("cannot read the executable of process " + std::to_string(pid) + ": " +
                        ErrnoText(error));
    }
    if (n == 0) {
      break;
    }
    total += static_cast<uint64_t>(n);
    if (EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(n)) != 1) {
      return Unattested("cannot hash the executable: OpenSSL failed");
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &digest_size) != 1) {
    return Unattested("cannot hash the executable: OpenSSL failed");
  }
  if (total != static_cast<uint64_t>(st.st_size)) {
    return Unattested("the executable of process " + std::to_string(pid) +
                      " changed size while it was hashed");
  }
  std::string hex = HexEncode(std::span<const uint8_t>(digest, digest_size));
  std::lock_guard lock(mu_);
  ++executables_hashed_;
  if (max_cached_hashes_ > 0 && !cache_.contains(key)) {
    lru_.emplace_front(key, hex);
    cache_.emplace(key, lru_.begin());
    if (lru_.size() > max_cached_hashes_) {
      cache_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  return hex;
}

}  // namespace signet::agent
