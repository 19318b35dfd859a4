#include "libs/worker/work_json.h"

#include <google/protobuf/util/json_util.h>

namespace mpli::worker {
namespace {

template <typename T>
Result<T> decode(const std::string& json, const char* what) {
  T message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  if (!status.ok()) {
    return invalid_argument(std::string(what) +
                            " is not valid JSON of its schema: " + std::string(status.message()));
  }
  return message;
}

template <typename T>
std::string encode(const T& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  // Printing a valid message into a string does not fail (the status exists for streams).
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return text;
}

}  // namespace

Result<delivery::v1::WorkItem> decode_work_item(const std::string& json) {
  auto item = decode<delivery::v1::WorkItem>(json, "work item");
  if (!item.is_ok()) return item;
  if (item->work_id().empty()) return invalid_field("work_id", "missing");
  if (item->provider_id().empty()) return invalid_field("provider_id", "missing");
  if (item->operation().empty()) return invalid_field("operation", "missing");
  if (item->attempt() < 1) return invalid_field("attempt", "must be 1 or more");
  return item;
}

Result<delivery::v1::WorkUpdate> decode_work_update(const std::string& json) {
  return decode<delivery::v1::WorkUpdate>(json, "work update");
}

std::string encode_work_item(const delivery::v1::WorkItem& item) { return encode(item); }
std::string encode_work_update(const delivery::v1::WorkUpdate& update) { return encode(update); }

std::string update_msg_id(const delivery::v1::WorkUpdate& update) {
  return update.work_id() + "." + std::to_string(update.attempt()) + "." +
         std::to_string(update.sequence());
}

bool is_final(const delivery::v1::WorkUpdate& update) {
  return update.kind() == "succeeded" || (update.kind() == "failed" && !update.retryable());
}

}  // namespace mpli::worker
