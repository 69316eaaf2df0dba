// Status and Result<T>: Signet's errors as values.
//
// Every failure on the hot path is a Status carrying three things:
//   - an ErrorCode, which is the OAuth 2.0 error a client is told (RFC 6749 §5.2,
//     RFC 6750 §3.1, RFC 8693 §2.2.2) or kInvalidConfig for settings refused at load;
//   - a reason, a stable machine-readable identifier ("alg_none", "expired") that tests
//     assert and the audit trail records; each distinct check has its own reason;
//   - a message a human can act on. Messages never contain secrets or whole tokens.
//
// A default-constructed Status is OK and costs one null pointer, as in LevelDB.
// Status and Result are values: safe to copy and move; const methods may be called
// concurrently from several threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace signet {

enum class ErrorCode {
  kOk = 0,
  kInvalidRequest,          // invalid_request
  kInvalidClient,           // invalid_client
  kInvalidGrant,            // invalid_grant
  kUnauthorizedClient,      // unauthorized_client
  kUnsupportedGrantType,    // unsupported_grant_type
  kInvalidScope,            // invalid_scope
  kInvalidTarget,           // invalid_target (RFC 8707 / RFC 8693)
  kInvalidToken,            // invalid_token (RFC 6750)
  kAccessDenied,            // access_denied
  kServerError,             // server_error
  kTemporarilyUnavailable,  // temporarily_unavailable
  kInvalidConfig,           // not an OAuth code: a setting refused at load time
};

// The OAuth wire name of `code` ("invalid_request"); "invalid_config" for kInvalidConfig.
std::string_view ErrorCodeName(ErrorCode code);
// The code whose wire name is `name`, as another Signet process answered it; nullopt for
// a name Signet never sends (the caller decides what an unknown error means).
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string_view reason, std::string message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  // The stable reason identifier; empty when ok().
  std::string_view reason() const { return rep_ ? std::string_view(rep_->reason) : ""; }
  // The human-readable message; empty when ok().
  const std::string& message() const;

  // "invalid_token (expired): token expired 42 s ago" or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context` ("issuer https://a: ...").
  Status WithContext(std::string_view context) const;

 private:
  struct Rep {
    ErrorCode code;
    std::string reason;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

// Result<T> holds either a T or a non-OK Status. Constructing a Result from an OK
// Status is a programming error and is turned into a server_error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) {
      v_ = Status(ErrorCode::kServerError, "internal", "Result built from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error, or an OK status when a value is held. The reference lives as long as
  // this Result.
  const Status& status() const& {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // On a temporary Result, a copy: a reference would dangle at the end of the statement.
  Status status() && { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  // REQUIRES: ok().
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status ToStatus(const Status& s) { return s; }
inline Status ToStatus(Status&& s) { return std::move(s); }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace signet

#define SIGNET_CONCAT_INNER_(a, b) a##b
#define SIGNET_CONCAT_(a, b) SIGNET_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status or Result) is not OK.
#define SIGNET_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (auto signet_status_ = (expr); !signet_status_.ok()) {         \
      return ::signet::internal::ToStatus(std::move(signet_status_)); \
    }                                                                 \
  } while (false)

// `lhs = value of expr`, or returns its Status from the enclosing function.
#define SIGNET_ASSIGN_OR_RETURN(lhs, expr) \
  SIGNET_ASSIGN_OR_RETURN_IMPL_(SIGNET_CONCAT_(signet_result_, __LINE__), lhs, expr)
#define SIGNET_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) {                                    \
    return tmp.status();                              \
  }                                                   \
  lhs = std::move(tmp).value()
