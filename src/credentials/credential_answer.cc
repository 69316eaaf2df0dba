#include "credentials/credential_answer.h"

namespace signet::credentials {

boost::json::object CredentialAnswer(const Credential& credential, std::string_view destination,
                                     std::chrono::seconds expires_in) {
  boost::json::object body{
      {"destination", destination},
      {"type", CredentialFormName(credential.form)},
      {"expires_at", FormatUtcSeconds(credential.expires_at)},
      {"expires_in", expires_in.count()},
  };
  if (credential.form == CredentialForm::kAws) {
    body["aws"] = boost::json::object{{"access_key_id", credential.aws.access_key_id},
                                      {"secret_access_key", credential.aws.secret_access_key},
                                      {"session_token", credential.aws.session_token}};
  } else {
    boost::json::object headers;
    for (const auto& header : credential.headers) {
      headers[header.name] = header.value;
    }
    body["headers"] = std::move(headers);
  }
  if (credential.form == CredentialForm::kToken) {
    body["token"] = credential.access_token;
    body["token_type"] = credential.token_type;
    body["issued_token_type"] = credential.issued_token_type;
  }
  if (!credential.scopes.empty()) {
    body["scope"] = JoinScopes(credential.scopes);
  }
  return body;
}

}  // namespace signet::credentials
