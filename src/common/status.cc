#include "common/status.h"

namespace signet {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidRequest:
      return "invalid_request";
    case ErrorCode::kInvalidClient:
      return "invalid_client";
    case ErrorCode::kInvalidGrant:
      return "invalid_grant";
    case ErrorCode::kUnauthorizedClient:
      return "unauthorized_client";
    case ErrorCode::kUnsupportedGrantType:
      return "unsupported_grant_type";
    case ErrorCode::kInvalidScope:
      return "invalid_scope";
    case ErrorCode::kInvalidTarget:
      return "invalid_target";
    case ErrorCode::kInvalidToken:
      return "invalid_token";
    case ErrorCode::kAccessDenied:
      return "access_denied";
    case ErrorCode::kServerError:
      return "server_error";
    case ErrorCode::kTemporarilyUnavailable:
      return "temporarily_unavailable";
    case ErrorCode::kInvalidConfig:
      return "invalid_config";
  }
  return "server_error";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (ErrorCode code :
       {ErrorCode::kInvalidRequest, ErrorCode::kInvalidClient, ErrorCode::kInvalidGrant,
        ErrorCode::kUnauthorizedClient, ErrorCode::kUnsupportedGrantType, ErrorCode::kInvalidScope,
        ErrorCode::kInvalidTarget, ErrorCode::kInvalidToken, ErrorCode::kAccessDenied,
        ErrorCode::kServerError, ErrorCode::kTemporarilyUnavailable}) {
    if (ErrorCodeName(code) == name) {
      return code;
    }
  }
  return std::nullopt;
}

Status::Status(ErrorCode code, std::string_view reason, std::string message) {
  if (code == ErrorCode::kOk) {
    return;
  }
  rep_ = std::make_unique<Rep>(Rep{code, std::string(reason), std::move(message)});
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  }
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) {
    return "OK";
  }
  std::string out(ErrorCodeName(rep_->code));
  out += " (";
  out += rep_->reason;
  out += "): ";
  out += rep_->message;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) {
    return *this;
  }
  std::string message(context);
  message += ": ";
  message += rep_->message;
  return Status(rep_->code, rep_->reason, std::move(message));
}

}  // namespace signet
