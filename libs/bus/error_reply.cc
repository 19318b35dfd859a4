#include "libs/bus/error_reply.h"

#include <cstdlib>

#include "mpli/common/v1/envelope.pb.h"

namespace mpli::bus {
namespace {

using ProtoError = mpli::common::v1::Error;

// StatusCode and Error.Code list the same codes in the same order after kOk / UNSPECIFIED.
ProtoError::Code to_proto(StatusCode code) {
  return static_cast<ProtoError::Code>(static_cast<int>(code));
}
StatusCode from_proto(int code) {
  if (code <= 0 || code > static_cast<int>(StatusCode::kAborted)) return StatusCode::kInternal;
  return static_cast<StatusCode>(code);
}

uint32_t as_position(const std::string& text) {
  char* end = nullptr;
  unsigned long value = std::strtoul(text.c_str(), &end, 10);
  return (end != nullptr && *end == '\0' && !text.empty()) ? static_cast<uint32_t>(value) : 0;
}

}  // namespace

std::string encode_error(const Status& status, const std::string& domain) {
  ProtoError error;
  error.set_code(to_proto(status.code()));
  error.set_message(status.message());
  error.set_domain(domain);
  for (const auto& [key, value] : status.details()) {
    if (key == "domain") {
      error.set_domain(value);  // the service that produced the reason says so itself
    } else if (key == "reason") {
      error.set_reason(value);
    } else if (key == "field") {
      error.set_field(value);
    } else if ((key == "line" || key == "column") && as_position(value) > 0) {
      key == "line" ? error.set_line(as_position(value)) : error.set_column(as_position(value));
    } else {
      (*error.mutable_details())[key] = value;
    }
  }
  for (const auto& v : status.violations()) {
    auto* out = error.add_violations();
    out->set_focus_node(v.focus_node);
    out->set_path(v.path);
    out->set_constraint(v.constraint);
    out->set_value(v.value);
    out->set_message(v.message);
    out->set_severity(v.severity);
    out->set_line(v.line);
    out->set_column(v.column);
    out->set_owner(v.owner);
  }
  error.set_retry_after_ms(static_cast<uint32_t>(status.retry_after().count()));
  return error.SerializeAsString();
}

Status decode_error(const std::string& body) {
  ProtoError error;
  if (!error.ParseFromString(body)) return internal_error("malformed error reply");
  std::map<std::string, std::string> details(error.details().begin(), error.details().end());
  if (!error.reason().empty()) details["reason"] = error.reason();
  if (!error.domain().empty()) details["domain"] = error.domain();
  if (!error.field().empty()) details["field"] = error.field();
  if (error.line() > 0) details["line"] = std::to_string(error.line());
  if (error.column() > 0) details["column"] = std::to_string(error.column());
  Status status(from_proto(error.code()), error.message(), std::move(details));
  std::vector<Violation> violations;
  for (const auto& v : error.violations()) {
    violations.push_back({v.focus_node(), v.path(), v.constraint(), v.value(), v.message(),
                          v.severity(), v.line(), v.column(), v.owner()});
  }
  if (!violations.empty()) status.with_violations(std::move(violations));
  if (error.retry_after_ms() > 0) {
    status.with_retry_after(std::chrono::milliseconds(error.retry_after_ms()));
  }
  return status;
}

bool is_error_reply(const Message& reply) { return reply.header(kStatusHeader) == "error"; }

}  // namespace mpli::bus
