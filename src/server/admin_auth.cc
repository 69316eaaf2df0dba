#include "server/admin_auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/sha256.h"

namespace signet::server {
namespace {

constexpr std::string_view kTokenPrefix = "signet_admin.";
constexpr size_t kIdBytes = 9;  // 12 base64url characters
constexpr size_t kSecretBytes = 32;

Status Unauthenticated(std::string_view reason, std::string message) {
  return Status(ErrorCode::kInvalidToken, reason, std::move(message));
}

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// "signet_admin.<id>.<secret>" → id and secret, or nullopt.
std::optional<std::pair<std::string_view, std::string_view>> SplitToken(std::string_view token) {
  if (!token.starts_with(kTokenPrefix)) {
    return std::nullopt;
  }
  token.remove_prefix(kTokenPrefix.size());
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == token.size()) {
    return std::nullopt;
  }
  std::string_view id = token.substr(0, dot);
  std::string_view secret = token.substr(dot + 1);
  for (std::string_view part : {id, secret}) {
    for (char c : part) {
      if (!IsBase64UrlChar(c)) {
        return std::nullopt;
      }
    }
  }
  return std::make_pair(id, secret);
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kAuditor:
      return "auditor";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kAdmin, Role::kOperator, Role::kAuditor}) {
    if (name == RoleName(role)) {
      return role;
    }
  }
  return Status(ErrorCode::kInvalidRequest, "role_invalid",
                "role must be admin, operator or auditor");
}

bool RoleAllows(Role role, Permission permission) {
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kOperator:
      return permission == Permission::kReadConfig || permission == Permission::kReadAudit ||
             permission == Permission::kSuspend || permission == Permission::kRevoke ||
             permission == Permission::kIntrospect;
    case Role::kAuditor:
      return permission == Permission::kReadConfig || permission == Permission::kReadAudit ||
             permission == Permission::kIntrospect;
  }
  return false;
}

AdminTokens::AdminTokens(store::Store& store, const Clock& clock, Random& random)
    : store_(store), clock_(clock), random_(random) {}

Result<AdminTokens::Issued> AdminTokens::Create(Role role, std::chrono::seconds ttl,
                                                std::string description) {
  if (ttl.count() <= 0 || ttl > kMaxAdminTokenTtl) {
    return Status(ErrorCode::kInvalidRequest, "admin_token_ttl_invalid",
                  "an admin token's ttl must be positive and at most 365 days");
  }
  std::string id = random_.Base64UrlId(kIdBytes);
  Secret secret(random_.Base64UrlId(kSecretBytes));
  std::string_view secret_text = secret.Reveal(SecretAccess::Grant());
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  store::AdminTokenRow row{
      id,  Sha256Hex(secret_text), std::string(RoleName(role)), std::move(description),
      now, now + ttl.count()};
  SIGNET_RETURN_IF_ERROR(store_.InsertAdminToken(row));
  Secret token(std::string(kTokenPrefix) + id + "." + std::string(secret_text));
  return Issued{std::move(token), std::move(row)};
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() < kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return std::nullopt;
  }
  return authorization.substr(kBearer.size());
}

Result<Principal> AdminTokens::Authenticate(std::optional<std::string_view> authorization) const {
  if (!authorization) {
    return Unauthenticated("admin_token_missing",
                           "send an admin token as Authorization: Bearer <token>");
  }
  std::optional<std::string_view> bearer = BearerToken(*authorization);
  if (!bearer) {
    return Unauthenticated("admin_token_malformed", "the Authorization scheme must be Bearer");
  }
  auto parts = SplitToken(*bearer);
  if (!parts) {
    return Unauthenticated("admin_token_malformed",
                           "an admin token looks like signet_admin.<id>.<secret>");
  }
  auto [id, secret] = *parts;
  SIGNET_ASSIGN_OR_RETURN(std::optional<store::AdminTokenRow> row,
                          store_.FindAdminToken(Sha256Hex(secret)));
  // The id must match too: a secret pasted under another token's id is not that token.
  if (!row || row->id != id) {
    return Unauthenticated("admin_token_unknown",
                           "this admin token is not known (deleted, or never issued here)");
  }
  if (ToUnixSecondsFloor(clock_.Now()) >= row->expires_at) {
    return Unauthenticated("admin_token_expired",
                           "admin token " + row->id + " has expired; ask an admin for a new one");
  }
  SIGNET_ASSIGN_OR_RETURN(Role role, ParseRole(row->role));
  return Principal{row->id, role};
}

Result<Principal> AdminTokens::Authorize(std::optional<std::string_view> authorization,
                                         Permission permission) const {
  SIGNET_ASSIGN_OR_RETURN(Principal principal, Authenticate(authorization));
  if (!RoleAllows(principal.role, permission)) {
    return Status(ErrorCode::kAccessDenied, "role_insufficient",
                  "the " + std::string(RoleName(principal.role)) +
                      " role may not do this; see docs/api.md for what each role may do");
  }
  return principal;
}

Result<bool> AdminTokens::HasUsableAdmin() const {
  SIGNET_ASSIGN_OR_RETURN(std::vector<store::AdminTokenRow> rows, store_.ListAdminTokens());
  int64_t now = ToUnixSecondsFloor(clock_.Now());
  for (const auto& row : rows) {
    if (row.role == RoleName(Role::kAdmin) && row.expires_at > now) {
      return true;
    }
  }
  return false;
}

Status WriteTokenFile(const std::string& path, const Secret& token) {
  auto fail = [&path](std::string why) {
    return Status(ErrorCode::kServerError, "bootstrap_token_unwritable",
                  "cannot write the admin token file " + path + ": " + why);
  };
  std::string temp = path + ".tmp";
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return fail(std::strerror(errno));
  }
  std::string content = std::string(token.Reveal(SecretAccess::Grant())) + "\n";
  bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  int saved = errno;
  OPENSSL_cleanse(content.data(), content.size());
  ::close(fd);
  if (!written || std::rename(temp.c_str(), path.c_str()) != 0) {
    int err = written ? errno : saved;
    ::unlink(temp.c_str());
    return fail(std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace signet::server
