// Internal to libs/bus: conversions between nats.c types and ours, and an owner for natsMsg.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

#include "libs/bus/message.h"
#include "libs/core/status.h"

namespace mpli::bus::detail {

struct NatsMsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
using NatsMsgPtr = std::unique_ptr<natsMsg, NatsMsgDeleter>;

Status from_nats(natsStatus status, const std::string& context);
Message to_message(natsMsg* msg);
Result<NatsMsgPtr> make_msg(const std::string& subject, const std::string& reply,
                            const std::string& data, const Headers& headers);

}  // namespace mpli::bus::detail
