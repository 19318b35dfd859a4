// Typed error replies: a Status travels back to a requester as mpli.common.v1.Error with the
// header Mpli-Status: error, and becomes the same Status on the requester's side.
#pragma once

#include <map>
#include <string>

#include "libs/bus/message.h"
#include "libs/core/status.h"

namespace mpli::bus {

// Serialized mpli.common.v1.Error for `status` (which must not be ok). `domain` names the
// service whose ErrorReason the reason is; when empty, the status's "domain" detail (set by
// decode_error) is used, so an error passed on keeps its origin.
std::string encode_error(const Status& status, const std::string& domain = "");
// Reads an error reply; a body that does not parse is itself reported as an internal error.
// The Error's domain becomes the detail "domain".
Status decode_error(const std::string& body);
bool is_error_reply(const Message& reply);

}  // namespace mpli::bus
