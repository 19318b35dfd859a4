#include "libs/bus/error_reply.h"

#include "mpli/common/v1/envelope.pb.h"

namespace mpli::bus {

std::string encode_error(const Status& status) {
  mpli::common::v1::Error error;
  error.set_code(std::string(status_code_name(status.code())));
  error.set_message(status.message());
  for (const auto& [key, value] : status.details()) (*error.mutable_details())[key] = value;
  return error.SerializeAsString();
}

Status decode_error(const std::string& body) {
  mpli::common::v1::Error error;
  if (!error.ParseFromString(body)) return internal_error("malformed error reply");
  auto code = status_code_from_name(error.code());
  return Status(code.value_or(StatusCode::kInternal), error.message(),
                {error.details().begin(), error.details().end()});
}

bool is_error_reply(const Message& reply) { return reply.header(kStatusHeader) == "error"; }

}  // namespace mpli::bus
