// Typed error replies: a Status travels back to a requester as mpli.common.v1.Error with the
// header Mpli-Status: error, and becomes the same Status on the requester's side.
#pragma once

#include <map>
#include <string>

#include "libs/bus/message.h"
#include "libs/core/status.h"

namespace mpli::bus {

// Serialized mpli.common.v1.Error for `status` (which must not be ok). `domain`: the service
// whose ErrorReason the status's "reason" detail names (a "domain" detail takes precedence).
std::string encode_error(const Status& status, const std::string& domain = "");
// Reads an error reply; a body that does not parse is itself reported as an internal error.
Status decode_error(const std::string& body);
bool is_error_reply(const Message& reply);

}  // namespace mpli::bus
