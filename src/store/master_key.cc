#include "store/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>

#include "common/aead.h"

namespace signet::store {
namespace {

Status Invalid(std::string_view reason, const std::string& message) {
  return Status(ErrorCode::kInvalidConfig, reason, message);
}

Status Unavailable(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kServerError, "master_key_unavailable",
                "cannot " + what + " master key file " + path + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Full read/write of `size` bytes, retrying on EINTR and short transfers.
template <typename Io, typename Ptr>
bool Transfer(Io io, int fd, Ptr data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = io(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;
      }
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Result: the key, or nullopt when `path` does not exist.
Result<std::optional<Secret>> ReadKey(const std::string& path) {
  // O_NOFOLLOW: a symlink planted in the data directory must not redirect the key.
  Fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return std::optional<Secret>();
    }
    if (errno == ELOOP) {
      return Invalid("master_key_invalid", "master key " + path +
                                               " is a symbolic link; put the key file itself "
                                               "there (mode 600)");
    }
    return Unavailable("open", path, errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return Unavailable("stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return Invalid("master_key_invalid", "master key " + path +
                                             " is not a regular file; remove it or point to the "
                                             "key file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Invalid(
        "master_key_permissions",
        "master key " + path + " is accessible to group or other users; run: chmod 600 " + path);
  }
  if (st.st_size != static_cast<off_t>(kAeadKeyBytes)) {
    return Invalid("master_key_invalid",
                   "master key " + path + " holds " + std::to_string(st.st_size) +
                       " bytes, expected " + std::to_string(kAeadKeyBytes) +
                       "; restore the original file (a new key cannot open the stored "
                       "secrets)");
  }
  std::string bytes(kAeadKeyBytes, '\0');
  if (!Transfer(read, fd.get(), bytes.data(), bytes.size())) {
    int err = errno;
    Secret discarded(std::move(bytes));  // wipes what was read
    return Unavailable("read", path, err);
  }
  return std::optional<Secret>(Secret(std::move(bytes)));
}

// Writes a new key to a private temporary file, syncs it, then link()s it into place:
// link fails with EEXIST instead of replacing a key another process published first, and
// the key appears whole or not at all.
Status CreateKey(const std::string& path, Random& random) {
  std::string temp = path + ".tmp-XXXXXX";
  Fd fd(mkostemp(temp.data(), O_CLOEXEC));  // mode 0600
  if (fd.get() < 0) {
    return Unavailable("create", path, errno);
  }
  std::string bytes(kAeadKeyBytes, '\0');
  random.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
  Secret new_key(std::move(bytes));  // wiped however this function returns
  std::string_view key = new_key.Reveal(SecretAccess::Grant());
  bool written = Transfer(write, fd.get(), key.data(), key.size()) && fsync(fd.get()) == 0;
  int err = errno;
  Status status;
  if (!written) {
    status = Unavailable("write", path, err);
  } else if (link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    status = Unavailable("create", path, errno);
  }
  unlink(temp.c_str());
  if (status.ok()) {
    // Make the new directory entry durable too.
    std::string dir = std::filesystem::path(path).parent_path().string();
    Fd dir_fd(open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() >= 0) {
      fsync(dir_fd.get());
    }
  }
  return status;
}

}  // namespace

Result<Secret> LoadOrCreateMasterKey(const std::string& path, Random& random) {
  SIGNET_ASSIGN_OR_RETURN(std::optional<Secret> key, ReadKey(path));
  if (key) {
    return std::move(*key);
  }
  SIGNET_RETURN_IF_ERROR(CreateKey(path, random));
  // Read back whichever key won, ours or a concurrent start's.
  SIGNET_ASSIGN_OR_RETURN(key, ReadKey(path));
  if (!key) {
    return Unavailable("read back", path, ENOENT);
  }
  return std::move(*key);
}

}  // namespace signet::store
