#include "libs/bus/nats_util.h"

namespace mpli::bus::detail {

Status from_nats(natsStatus status, const std::string& context) {
  if (status == NATS_OK) return Status::ok();
  std::string text = context + ": " + natsStatus_GetText(status);
  switch (status) {
    case NATS_TIMEOUT:
      return deadline_exceeded(text);
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_STALE_CONNECTION:
      return unavailable(text);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
      return invalid_argument(text);
    case NATS_NOT_FOUND:
      return not_found(text);
    default:
      return internal_error(text);
  }
}

Message to_message(natsMsg* msg) {
  Message out;
  out.subject = natsMsg_GetSubject(msg);
  if (const char* reply = natsMsg_GetReply(msg)) out.reply_to = reply;
  if (natsMsg_GetDataLength(msg) > 0) {
    out.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  }
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK && value != nullptr) {
        out.headers[keys[i]] = value;
      }
    }
    free(static_cast<void*>(keys));  // NOLINT(cppcoreguidelines-owning-memory): nats.c malloc()s it
  }
  return out;
}

Result<NatsMsgPtr> make_msg(const std::string& subject, const std::string& reply,
                            const std::string& data, const Headers& headers) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), reply.empty() ? nullptr : reply.c_str(),
                                data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return from_nats(s, "message for " + subject);
  NatsMsgPtr msg(raw);
  for (const auto& [key, value] : headers) {
    s = natsMsgHeader_Set(msg.get(), key.c_str(), value.c_str());
    if (s != NATS_OK) return from_nats(s, "header " + key);
  }
  return msg;
}

}  // namespace mpli::bus::detail
