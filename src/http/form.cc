#include "http/form.h"

#include <boost/url/encode.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace signet::http {

Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (body.empty()) {
    return fields;
  }
  auto params = boost::urls::parse_query(body);
  if (!params) {
    return Status(ErrorCode::kInvalidRequest, "form_invalid",
                  "the request body is not valid application/x-www-form-urlencoded");
  }
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  for (const auto& param : *params) {
    if (param.key.empty() && !param.has_value) {
      continue;  // "a=1&&b=2": an empty field between separators
    }
    fields.emplace_back(param.key.decode(form), param.has_value ? param.value.decode(form) : "");
  }
  return fields;
}

std::string EncodeForm(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) {
      body += '&';
    }
    body += boost::urls::encode(name, boost::urls::unreserved_chars);
    body += '=';
    body += boost::urls::encode(value, boost::urls::unreserved_chars);
  }
  return body;
}

}  // namespace signet::http
