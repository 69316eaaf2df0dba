// ProcAttestor against a directory shaped like /proc (the cases a live system cannot be
// made to show on demand: pid reuse, a socket closed mid-way, cgroup layouts of every
// runtime), and against the real /proc with real callers: this process and child
// processes (perl, bash) on a unix socket and on loopback TCP over IPv4 and IPv6.
#include "agent/attestation.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "common/sha256.h"
#include "support/status_matchers.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace signet::agent {
namespace {

namespace fs = std::filesystem;
using testing::FailsWithCode;
using ::testing::HasSubstr;
using testing::IsOk;

// Real cgroup files, as docker, containerd, cri-o and podman leave them (ids from
// captured systems).
constexpr char kDockerId[] = "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970";

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

void ExpectRefused(const Result<ProcessSelectors>& caller, const std::string& why) {
  EXPECT_THAT(caller, FailsWithCode(ErrorCode::kAccessDenied, "caller_unattested"));
  EXPECT_THAT(caller.status().message(), HasSubstr(why));
}

void ExpectCgroup(const std::string& file, const std::string& container_id,
                  const std::string& pod_uid) {
  Result<CgroupIdentity> identity = ParseCgroup(file);
  ASSERT_THAT(identity, IsOk()) << file;
  EXPECT_EQ(identity->container_id, container_id) << file;
  EXPECT_EQ(identity->pod_uid, pod_uid) << file;
}

TEST(ParseCgroupTest, DockerCgroupfsV1) {
  ExpectCgroup(std::string("10:net_prio:/") + kDockerId + "\n9:perf_event:/" + kDockerId +
                   "\n4:memory:/" + kDockerId + "\n",
               kDockerId, "");
  ExpectCgroup(
      "12:name=systemd:/docker/31cb02944da7a12196a193cf0e0f6c226d7c453a1db62e65ba98287593a2ee30\n"
      "11:hugetlb:/docker/31cb02944da7a12196a193cf0e0f6c226d7c453a1db62e65ba98287593a2ee30\n",
      "31cb02944da7a12196a193cf0e0f6c226d7c453a1db62e65ba98287593a2ee30", "");
}

TEST(ParseCgroupTest, DockerSystemdV1AndV2) {
  std::string id = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d";
  ExpectCgroup("10:devices:/system.slice/docker-" + id +
                   ".scope\n2:cpuacct,cpu:/system.slice/docker-" + id +
                   ".scope\n1:name=systemd:/system.slice/docker-" + id + ".scope\n",
               id, "");
  ExpectCgroup("0::/system.slice/docker-" + id + ".scope\n", id, "");
}

TEST(ParseCgroupTest, NestedDockerTakesTheInnermost) {
  ExpectCgroup(
      "9:name=systemd:/docker/a9a5ad238e59234193ee7ec3fcff5e735b3708ea1068826952255b69e3cfa413/"
      "docker/ec08435e04266c5ba381fccbb829f626d11d8ddf5f8f547263c7a2d79ab4787a\n",
      "ec08435e04266c5ba381fccbb829f626d11d8ddf5f8f547263c7a2d79ab4787a", "");
}

TEST(ParseCgroupTest, KubernetesCgroupfsKeepsTheUidsDashes) {
  ExpectCgroup(
      "11:devices:/kubepods/besteffort/pod74ba62da-1a3d-11e7-bb11-080027cb0e22/"
      "cb1eadb7abe3a6545e9856411207073277838e1bdc003337c2f8685faeedc32c\n"
      "1:name=systemd:/kubepods/besteffort/pod74ba62da-1a3d-11e7-bb11-080027cb0e22/"
      "cb1eadb7abe3a6545e9856411207073277838e1bdc003337c2f8685faeedc32c",
      "cb1eadb7abe3a6545e9856411207073277838e1bdc003337c2f8685faeedc32c",
      "74ba62da-1a3d-11e7-bb11-080027cb0e22");
  // kube-proxy runs in a cgroup below its container's.
  ExpectCgroup(
      "11:freezer:/kubepods/besteffort/podf8a694f2-7c08-11e9-98da-000c29077430/"
      "c04e0a88a1de067f25bece337d4dbb897396e0b623c2a65330850fc9823f1903/kube-proxy\n",
      "c04e0a88a1de067f25bece337d4dbb897396e0b623c2a65330850fc9823f1903",
      "f8a694f2-7c08-11e9-98da-000c29077430");
}

TEST(ParseCgroupTest, KubernetesSystemdTurnsUnderscoresBackIntoDashes) {
  // Docker as the runtime (dockershim, cri-dockerd).
  ExpectCgroup(
      "11:cpuset:/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod045b1e35_7f13_11e7_ac42_0050568ffca0.slice/"
      "docker-b5b6f2da8008be266864f896f93789762b2ce50792114a5c5f2cc3315af0bc70.scope\n",
      "b5b6f2da8008be266864f896f93789762b2ce50792114a5c5f2cc3315af0bc70",
      "045b1e35-7f13-11e7-ac42-0050568ffca0");
}

TEST(ParseCgroupTest, Containerd) {
  std::string id = "f45298cd514d1930c4fe3afc4412e59547f7e3148fddd22ca33cefce046eb830";
  std::string path =
      "/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-poddd1bf9d1_241d_47f5_8e25_12de83135812.slice/cri-containerd-" +
      id + ".scope";
  ExpectCgroup("11:cpuset:" + path + "\n1:name=systemd:" + path + "\n0::" + path + "\n", id,
               "dd1bf9d1-241d-47f5-8e25-12de83135812");
  // A guaranteed pod has no QoS slice.
  ExpectCgroup(
      "0::/kubepods.slice/kubepods-pod2f0f6e3b_9b8c_4bd7_a3f0_7e1c0b6f1a2d.slice/cri-containerd-" +
          id + ".scope\n",
      id, "2f0f6e3b-9b8c-4bd7-a3f0-7e1c0b6f1a2d");
  // containerd 1.4 with systemd cgroups on cgroup v1 leaves runc's slice:prefix:name form.
  ExpectCgroup(
      "11:pids:/system.slice/containerd.service/"
      "kubepods-besteffort-pod2105e389_7471_476e_a50f_6074cef29bbd.slice:cri-containerd:"
      "d3d8ccf5cca91931c6285c1d7472c413dd5a7700fddc0aa9f89a9ac7008b003e\n"
      "10:freezer:/kubepods-besteffort-pod2105e389_7471_476e_a50f_6074cef29bbd.slice:"
      "cri-containerd:d3d8ccf5cca91931c6285c1d7472c413dd5a7700fddc0aa9f89a9ac7008b003e\n",
      "d3d8ccf5cca91931c6285c1d7472c413dd5a7700fddc0aa9f89a9ac7008b003e",
      "2105e389-7471-476e-a50f-6074cef29bbd");
  // kind: a Kubernetes node that is itself a docker container.
  ExpectCgroup(std::string("0::/system.slice/docker-") + kDockerId +
                   ".scope/kubelet.slice/kubelet-kubepods.slice/"
                   "kubelet-kubepods-besteffort.slice/"
                   "kubelet-kubepods-besteffort-poddd1bf9d1_241d_47f5_8e25_12de83135812.slice/"
                   "cri-containerd-" +
                   id + ".scope\n",
               id, "dd1bf9d1-241d-47f5-8e25-12de83135812");
}

TEST(ParseCgroupTest, CriO) {
  ExpectCgroup(
      "12:devices:/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod8ca306fa_3c03_47fa_97dd_19979c345572.slice/"
      "crio-d6d725b909f37c3e232aadfbafa950a58bfe7baa579ba8c47a12be88bb921607.scope\n6:rdma:/\n",
      "d6d725b909f37c3e232aadfbafa950a58bfe7baa579ba8c47a12be88bb921607",
      "8ca306fa-3c03-47fa-97dd-19979c345572");
  // A static pod's UID is a 32-hex-digit hash of its manifest.
  ExpectCgroup(
      "12:hugetlb:/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod487a0dc6dccaeefbcfedba7a7ce1ca18.slice/"
      "crio-7a1fd6fe8cdfbd44dc78c4cc85dad7031eaab4365801684cad0aabdeaf863f9e.scope\n",
      "7a1fd6fe8cdfbd44dc78c4cc85dad7031eaab4365801684cad0aabdeaf863f9e",
      "487a0dc6dccaeefbcfedba7a7ce1ca18");
  // conmon, cri-o's monitor, runs beside the container, not in it.
  ExpectCgroup(
      "0::/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod8ca306fa_3c03_47fa_97dd_19979c345572.slice/"
      "crio-conmon-d6d725b909f37c3e232aadfbafa950a58bfe7baa579ba8c47a12be88bb921607.scope\n",
      "", "8ca306fa-3c03-47fa-97dd-19979c345572");
}

TEST(ParseCgroupTest, Podman) {
  std::string id = "6dd05e91f00f99281f70b1fd90a29e5cc30b0dab243cb7cfb6153d8017872394";
  ExpectCgroup("0::/machine.slice/libpod-" + id + ".scope\n", id, "");
  // Rootless, with the container's own init below the scope.
  ExpectCgroup("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id +
                   ".scope/container\n",
               id, "");
  ExpectCgroup("0::/machine.slice/libpod-conmon-" + id + ".scope\n", "", "");
  // A podman pod's slice is not a Kubernetes pod.
  ExpectCgroup("0::/machine.slice/machine-libpod_pod_" + std::string(kDockerId) + ".slice/libpod-" +
                   id + ".scope\n",
               id, "");
}

TEST(ParseCgroupTest, HostProcessesHaveNeither) {
  ExpectCgroup("0::/user.slice/user-1000.slice/session-3.scope\n", "", "");
  ExpectCgroup("13:name=systemd:/user/1000.user/c2.session\n12:pids:/\n1:cpuset:/", "", "");
  ExpectCgroup("4:memory:/process_api/8951dffe5f8de4c169ab5aa1172ff435\n0::/\n", "", "");
  ExpectCgroup("", "", "");
}

TEST(ParseCgroupTest, LinesNamingTwoContainersAreRefused) {
  std::string other = "ec08435e04266c5ba381fccbb829f626d11d8ddf5f8f547263c7a2d79ab4787a";
  EXPECT_THAT(
      ParseCgroup(std::string("4:memory:/docker/") + kDockerId + "\n2:cpu:/docker/" + other + "\n"),
      FailsWithCode(ErrorCode::kAccessDenied, "caller_unattested"));
  EXPECT_THAT(ParseCgroup("2:cpu:/kubepods/pod74ba62da-1a3d-11e7-bb11-080027cb0e22/x\n"
                          "1:memory:/kubepods/podf8a694f2-7c08-11e9-98da-000c29077430/x\n"),
              FailsWithCode(ErrorCode::kAccessDenied, "caller_unattested"));
}

// A directory shaped like /proc with one TCP caller, process 77, whose socket is inode
// 4242 from 127.0.0.1:40000 to the agent at 127.0.0.1:7070 (the tables are as a
// little-endian host prints them).
class FakeProcTest : public ::testing::Test {
 protected:
  static constexpr char kTcpHeader[] =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n";
  // 127.0.0.1:40000 -> 127.0.0.1:7070, uid 1000, inode 4242; and the agent's own end.
  static constexpr char kCallerLine[] =
      "   3: 0100007F:9C40 0100007F:1B9E 01 00000000:00000000 00:00000000 00000000  1000        "
      "0 4242 1 0000000000000000 20 4 30 10 -1\n";
  static constexpr char kAgentLine[] =
      "   4: 0100007F:1B9E 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        "
      "0 5151 1 0000000000000000 20 4 30 10 -1\n";

  void SetUp() override {
    root_ = dir_.File("proc");
    WriteFile(root_ + "/net/tcp", std::string(kTcpHeader) + kAgentLine + kCallerLine);
    WriteFile(root_ + "/net/tcp6", kTcpHeader);
    AddProcess(77, "tool", "tool v1");
    fs::create_directories(root_ + "/77/fd");
    fs::create_symlink("socket:[4242]", root_ + "/77/fd/5");
    // The agent itself, holding its end of the connection.
    AddProcess(1, "agent", "agent binary");
    fs::create_directories(root_ + "/1/fd");
    fs::create_symlink("socket:[5151]", root_ + "/1/fd/9");
  }

  // Process `pid` running `dir_/bin/<name>` (which holds `content`), started at tick
  // 123456, in a containerd container of a Kubernetes pod.
  void AddProcess(int pid, const std::string& name, const std::string& content) {
    std::string base = root_ + "/" + std::to_string(pid);
    WriteFile(dir_.File("bin/" + name), content);
    WriteFile(base + "/stat", Stat(pid, 123456));
    WriteFile(base + "/status",
              "Name:\t" + name + "\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t101\t101\t101\n");
    WriteFile(base + "/cgroup", "0::" + std::string(kPodPath) + "\n");
    fs::create_symlink(dir_.File("bin/" + name), base + "/exe");
  }

  static std::string Stat(int pid, uint64_t start_time) {
    // The command name may hold spaces and parentheses.
    return std::to_string(pid) +
           " (my (odd) tool) S 1 77 77 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 " +
           std::to_string(start_time) +
           " 1000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1\n";
  }

  static CallerConnection Tcp(const std::string& caller = "127.0.0.1",
                              const std::string& agent = "127.0.0.1") {
    CallerConnection connection;
    connection.caller_address = caller;
    connection.caller_port = 40000;
    connection.agent_address = agent;
    connection.agent_port = 7070;
    return connection;
  }

  // Makes `path` a FIFO whose writer runs `on_open` once Attest opens it for reading,
  // then writes `content`: a way to change the files Attest reads while it runs.
  void FifoWithHook(const std::string& path, const std::string& content,
                    std::function<void()> on_open) {
    fs::remove(path);
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    hook_ = std::thread([path, content, on_open] {
      int fd = open(path.c_str(), O_WRONLY);  // waits for the reader
      on_open();
      ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
      close(fd);
    });
    fifo_ = path;
  }

  void TearDown() override {
    if (hook_.joinable()) {
      // Releases a writer still waiting (Attest failed before it reached the FIFO).
      int fd = open(fifo_.c_str(), O_RDONLY | O_NONBLOCK);
      hook_.join();
      if (fd >= 0) {
        close(fd);
      }
    }
  }

  static constexpr char kPodPath[] =
      "/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-poddd1bf9d1_241d_47f5_8e25_12de83135812.slice/"
      "cri-containerd-f45298cd514d1930c4fe3afc4412e59547f7e3148fddd22ca33cefce046eb830.scope";

  testing::TempDir dir_;
  std::string root_;
  std::thread hook_;
  std::string fifo_;
};

TEST_F(FakeProcTest, TcpCallerIsFoundThroughItsSocket) {
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->pid, 77);
  EXPECT_EQ(caller->uid, "1000");  // the socket's owner, from the tcp table
  EXPECT_EQ(caller->gid, "101");   // the effective gid
  EXPECT_EQ(caller->exe, dir_.File("bin/tool"));
  EXPECT_EQ(caller->sha256, Sha256Hex("tool v1"));
  EXPECT_EQ(caller->container_id,
            "f45298cd514d1930c4fe3afc4412e59547f7e3148fddd22ca33cefce046eb830");
  EXPECT_EQ(caller->pod_uid, "dd1bf9d1-241d-47f5-8e25-12de83135812");
}

TEST_F(FakeProcTest, Ipv6AndIpv4MappedSocketsAreFound) {
  // ::1 port 40000 -> ::1 port 7070.
  WriteFile(root_ + "/net/tcp", kTcpHeader);
  WriteFile(
      root_ + "/net/tcp6",
      std::string(kTcpHeader) +
          "   0: 00000000000000000000000001000000:9C40 00000000000000000000000001000000:1B9E "
          "01 00000000:00000000 00:00000000 00000000  1001        0 4242 1 0 20 4 30 10 -1\n");
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp("::1", "::1"));
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->pid, 77);
  EXPECT_EQ(caller->uid, "1001");

  // An IPv6 socket speaking to 127.0.0.1 shows IPv4-mapped addresses.
  WriteFile(
      root_ + "/net/tcp6",
      std::string(kTcpHeader) +
          "   0: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000100007F:1B9E "
          "01 00000000:00000000 00:00000000 00000000  1002        0 4242 1 0 20 4 30 10 -1\n");
  caller = attestor.Attest(Tcp());
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->uid, "1002");
}

TEST_F(FakeProcTest, ASocketNoProcessHoldsIsRefused) {
  // TIME_WAIT: the entry stays, with inode 0.
  WriteFile(root_ + "/net/tcp",
            std::string(kTcpHeader) +
                "   3: 0100007F:9C40 0100007F:1B9E 06 00000000:00000000 03:00000000 00000000     0 "
                "       0 0 3 0000000000000000\n");
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "no open socket from 127.0.0.1:40000");

  WriteFile(root_ + "/net/tcp", std::string(kTcpHeader) + kCallerLine);
  fs::remove(root_ + "/77/fd/5");
  caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "no process holds the caller's socket");
}

TEST_F(FakeProcTest, ASocketSharedByTwoProcessesIsRefused) {
  AddProcess(78, "child", "child binary");
  fs::create_directories(root_ + "/78/fd");
  fs::create_symlink("socket:[4242]", root_ + "/78/fd/5");
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "several processes");
  EXPECT_THAT(caller.status().message(), HasSubstr("77"));
  EXPECT_THAT(caller.status().message(), HasSubstr("78"));
}

TEST_F(FakeProcTest, ADeletedExecutableIsRefused) {
  fs::remove(root_ + "/77/exe");
  fs::create_symlink(dir_.File("bin/tool") + " (deleted)", root_ + "/77/exe");
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "deleted or replaced");
}

TEST_F(FakeProcTest, APidReusedWhileAttestedIsRefused) {
  // While Attest reads the cgroup, process 77 exits and another process takes its pid.
  std::string stat = root_ + "/77/stat";
  FifoWithHook(root_ + "/77/cgroup", "0::/\n", [stat] { WriteFile(stat, Stat(77, 999999)); });
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "pid was reused");
}

TEST_F(FakeProcTest, ASocketClosedWhileAttestedIsRefused) {
  std::string fd = root_ + "/77/fd/5";
  FifoWithHook(root_ + "/77/cgroup", "0::/\n", [fd] {
    fs::remove(fd);
    fs::create_symlink("/dev/null", fd);
  });
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "closed the caller's socket");
}

TEST_F(FakeProcTest, UnreadableProcessFilesAreRefusedWithTheReason) {
  fs::remove(root_ + "/77/status");
  ProcAttestor attestor(root_);
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ExpectRefused(caller, "77/status");

  ExpectRefused(attestor.Attest(Tcp("localhost")), "not an IP address: localhost:40000");
}

TEST_F(FakeProcTest, HashesAreCachedPerFileAndBounded) {
  ProcAttestor attestor(root_, /*max_cached_hashes=*/1);
  ASSERT_THAT(attestor.Attest(Tcp()), IsOk());
  ASSERT_THAT(attestor.Attest(Tcp()), IsOk());
  EXPECT_EQ(attestor.executables_hashed(), 1u);

  // A new binary at the same path is a new file: hashed again, with its own hash.
  std::string binary = dir_.File("bin/tool");
  fs::remove(binary);
  WriteFile(binary, "tool v2");
  Result<ProcessSelectors> caller = attestor.Attest(Tcp());
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->sha256, Sha256Hex("tool v2"));
  EXPECT_EQ(attestor.executables_hashed(), 2u);

  // Another caller's binary pushes the first out of a one-entry cache.
  WriteFile(root_ + "/net/tcp",
            std::string(kTcpHeader) +
                "   3: 0100007F:9C41 0100007F:1B9E 01 00000000:00000000 00:00000000 00000000  "
                "1000        0 4343 1 0 20 4 30 10 -1\n" +
                kCallerLine);
  AddProcess(80, "other", "other binary");
  fs::create_directories(root_ + "/80/fd");
  fs::create_symlink("socket:[4343]", root_ + "/80/fd/3");
  CallerConnection other = Tcp();
  other.caller_port = 40001;
  ASSERT_THAT(attestor.Attest(other), IsOk());
  ASSERT_THAT(attestor.Attest(Tcp()), IsOk());
  EXPECT_EQ(attestor.executables_hashed(), 4u);
}

// --- The real /proc, with real callers. ---

std::string Sha256Sum(const std::string& path) {
  int code = -1;
  std::string out = testing::RunCommand("sha256sum '" + path + "'", &code);
  EXPECT_EQ(code, 0) << out;
  return out.substr(0, out.find(' '));
}

// An accepted connection on a real listening socket.
class Listener {
 public:
  explicit Listener(int family, const std::string& unix_path = "") {
    fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (family == AF_UNIX) {
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", unix_path.c_str());
      EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    } else if (family == AF_INET) {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    } else {
      sockaddr_in6 address{};
      address.sin6_family = AF_INET6;
      address.sin6_addr = in6addr_loopback;
      EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    }
    EXPECT_EQ(listen(fd_, 8), 0);
  }
  ~Listener() {
    if (accepted_ >= 0) {
      close(accepted_);
    }
    close(fd_);
  }

  uint16_t port() const {
    sockaddr_storage address{};
    socklen_t size = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    return ntohs(address.ss_family == AF_INET
                     ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                     : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }

  // Waits (at most 10 s) for a caller and describes its connection as the agent would.
  CallerConnection Accept() {
    pollfd p{fd_, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 10'000), 1) << "no caller connected";
    sockaddr_storage peer{};
    socklen_t size = sizeof(peer);
    accepted_ = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_CLOEXEC);
    CallerConnection connection;
    connection.fd = accepted_;
    connection.unix_socket = peer.ss_family == AF_UNIX;
    if (!connection.unix_socket) {
      sockaddr_storage local{};
      socklen_t local_size = sizeof(local);
      getsockname(accepted_, reinterpret_cast<sockaddr*>(&local), &local_size);
      Describe(peer, connection.caller_address, connection.caller_port);
      Describe(local, connection.agent_address, connection.agent_port);
    }
    return connection;
  }

 private:
  static void Describe(const sockaddr_storage& address, std::string& text, uint16_t& port) {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
      inet_ntop(AF_INET, &v4->sin_addr, buffer, sizeof(buffer));
      port = ntohs(v4->sin_port);
    } else {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
      inet_ntop(AF_INET6, &v6->sin6_addr, buffer, sizeof(buffer));
      port = ntohs(v6->sin6_port);
    }
    text = buffer;
  }

  int fd_ = -1;
  int accepted_ = -1;
};

// Connects this process to `listener`; the descriptor stays open for the test.
int ConnectTo(int family, const Listener& listener, const std::string& unix_path = "") {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int connected = -1;
  if (family == AF_UNIX) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", unix_path.c_str());
    connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(listener.port());
    connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  EXPECT_EQ(connected, 0);
  return fd;
}

void ExpectThisProcess(const Result<ProcessSelectors>& caller) {
  ASSERT_THAT(caller, IsOk());
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  EXPECT_EQ(caller->pid, getpid());
  EXPECT_EQ(caller->uid, std::to_string(geteuid()));
  EXPECT_EQ(caller->gid, std::to_string(getegid()));
  EXPECT_EQ(caller->exe, exe);
  EXPECT_EQ(caller->sha256, Sha256Hex(ReadWhole(exe)));
  EXPECT_EQ(caller->sha256, Sha256Sum(exe));
  Result<CgroupIdentity> own = ParseCgroup(ReadWhole("/proc/self/cgroup"));
  ASSERT_THAT(own, IsOk());
  EXPECT_EQ(caller->container_id, own->container_id);
}

TEST(RealProcTest, ThisProcessOnAUnixSocket) {
  testing::TempDir dir;
  std::string path = dir.File("agent.sock");
  Listener listener(AF_UNIX, path);
  int fd = ConnectTo(AF_UNIX, listener, path);
  ProcAttestor attestor;
  ExpectThisProcess(attestor.Attest(listener.Accept()));
  close(fd);
}

TEST(RealProcTest, ThisProcessOnLoopbackTcp) {
  Listener listener(AF_INET);
  int fd = ConnectTo(AF_INET, listener);
  ProcAttestor attestor;
  ExpectThisProcess(attestor.Attest(listener.Accept()));
  close(fd);
}

TEST(RealProcTest, ThisProcessOnAnIpv6SocketSpeakingIpv4) {
  Listener listener(AF_INET);
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:127.0.0.1", &address.sin6_addr), 1);
  address.sin6_port = htons(listener.port());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  CallerConnection connection = listener.Accept();
  EXPECT_EQ(connection.caller_address, "127.0.0.1");
  ProcAttestor attestor;
  ExpectThisProcess(attestor.Attest(connection));
  close(fd);
}

// A perl child connecting to a unix socket, and bash children (a copy of bash, so that
// exe and sha256 are the copy's) connecting over TCP with bash's /dev/tcp, each then
// blocking until it is killed or the agent's end closes.
class RealChildTest : public ::testing::Test {
 protected:
  void ExpectChild(const Result<ProcessSelectors>& caller, const testing::Subprocess& child,
                   const std::string& exe) {
    ASSERT_THAT(caller, IsOk());
    EXPECT_EQ(caller->pid, child.pid());
    EXPECT_EQ(caller->uid, std::to_string(geteuid()));
    EXPECT_EQ(caller->gid, std::to_string(getegid()));
    EXPECT_EQ(caller->exe, exe);
    EXPECT_EQ(caller->sha256, Sha256Sum(exe));
  }

  std::string CopyOfBash() {
    std::string copy = dir_.File("bash-copy");
    fs::copy_file(fs::canonical("/bin/bash"), copy);
    fs::permissions(copy, fs::perms::owner_all);
    return copy;
  }

  testing::TempDir dir_;
};

TEST_F(RealChildTest, PerlOnAUnixSocket) {
  std::string path = dir_.File("agent.sock");
  Listener listener(AF_UNIX, path);
  std::string perl = fs::canonical("/usr/bin/perl").string();
  testing::Subprocess child(
      {perl, "-MIO::Socket::UNIX", "-e",
       "$s = IO::Socket::UNIX->new(Peer => '" + path + "') or die $!; sysread($s, $b, 1)"},
      dir_.File("perl.log"));
  ProcAttestor attestor;
  ExpectChild(attestor.Attest(listener.Accept()), child, perl);
}

TEST_F(RealChildTest, BashOverIpv4AndIpv6) {
  std::string bash = CopyOfBash();
  for (auto [family, host] : {std::pair{AF_INET, "127.0.0.1"}, std::pair{AF_INET6, "::1"}}) {
    Listener listener(family);
    testing::Subprocess child({bash, "-c",
                               "exec 3<>/dev/tcp/" + std::string(host) + "/" +
                                   std::to_string(listener.port()) + " && read -u 3"},
                              dir_.File("bash.log"));
    CallerConnection connection = listener.Accept();
    EXPECT_EQ(connection.caller_address, host);
    ProcAttestor attestor;
    ExpectChild(attestor.Attest(connection), child, bash);
  }
}

TEST_F(RealChildTest, ADeletedBinaryIsRefused) {
  std::string bash = CopyOfBash();
  Listener listener(AF_INET);
  testing::Subprocess child(
      {bash, "-c",
       "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(listener.port()) + " && read -u 3"},
      dir_.File("bash.log"));
  CallerConnection connection = listener.Accept();
  fs::remove(bash);
  ProcAttestor attestor;
  Result<ProcessSelectors> caller = attestor.Attest(connection);
  ExpectRefused(caller, "deleted or replaced");
}

TEST(RealProcTest, ASocketSharedAcrossForkIsRefused) {
  Listener listener(AF_INET);
  int fd = ConnectTo(AF_INET, listener);
  CallerConnection connection = listener.Accept();
  int release[2];
  ASSERT_EQ(pipe(release), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // holds the inherited socket until told to go
    char byte;
    close(release[1]);
    (void)!read(release[0], &byte, 1);
    _exit(0);
  }
  close(release[0]);
  ProcAttestor attestor;
  Result<ProcessSelectors> caller = attestor.Attest(connection);
  close(release[1]);
  waitpid(child, nullptr, 0);
  ExpectRefused(caller, "several processes");
  EXPECT_THAT(caller.status().message(), HasSubstr(std::to_string(child)));

  // Once the child is gone, the parent alone holds it again.
  ExpectThisProcess(attestor.Attest(connection));
  close(fd);
}

}  // namespace
}  // namespace signet::agent
