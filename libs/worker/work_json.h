// The worker protocol's JSON: WorkItem and WorkUpdate in proto3 canonical JSON with the proto
// field names (snake_case), the form every language can read and write.
#pragma once

#include <string>

#include "libs/core/status.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::worker {

// Parses a WorkItem. Unknown fields are ignored (a newer delivery may add some); malformed JSON
// or a field of the wrong type is kInvalidArgument naming the problem. An item without work_id,
// provider_id or operation, or with attempt < 1, is refused: no outcome could be matched to it.
Result<delivery::v1::WorkItem> decode_work_item(const std::string& json);
Result<delivery::v1::WorkUpdate> decode_work_update(const std::string& json);

// Canonical JSON (snake_case keys, int64 as strings, default values left out).
std::string encode_work_item(const delivery::v1::WorkItem& item);
std::string encode_work_update(const delivery::v1::WorkUpdate& update);

// "<work_id>.<attempt>.<sequence>": the Nats-Msg-Id of an update.
std::string update_msg_id(const delivery::v1::WorkUpdate& update);

// A finished outcome: succeeded, or failed for good (a retryable failure is not finished).
bool is_final(const delivery::v1::WorkUpdate& update);

}  // namespace mpli::worker
