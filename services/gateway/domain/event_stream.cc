#include "services/gateway/domain/event_stream.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <memory>

#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/portability/v1/portability.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "services/gateway/domain/proto_json.h"

namespace mpli::gateway {
namespace {

using nlohmann::json;

constexpr std::string_view kSubjectPrefix = "mpli.events.";

// The payload types are found by name in the generated pool; naming one message of each
// service's file here makes sure the linker keeps those files (and so their descriptors).
const google::protobuf::Descriptor* const kKnownFiles[] = {
    discovery::v1::ManifestIngested::descriptor(),   trust::v1::FactsChanged::descriptor(),
    resolver::v1::Resolution::descriptor(),          delivery::v1::OrderChanged::descriptor(),
    portability::v1::MigrationChanged::descriptor(),
};

bool is_type_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

void add_unique(std::vector<std::string>& to, const json& value) {
  if (!value.is_string()) return;
  std::string text = value.get<std::string>();
  if (text.empty() || std::find(to.begin(), to.end(), text) != to.end()) return;
  to.push_back(std::move(text));
}

void collect(const json& node, int depth, EventSubjects& out) {
  if (depth > 3) return;
  if (node.is_array()) {
    for (const auto& item : node) collect(item, depth + 1, out);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    // A migration concerns both of its providers (MigrationChanged, portability.proto).
    if (key == "provider_id" || key == "source_provider_id" || key == "target_provider_id") {
      add_unique(out.providers, value);
    }
    if (key == "order_id") add_unique(out.orders, value);
    if (key == "migration_id") add_unique(out.migrations, value);
    if (key == "tenant") add_unique(out.tenants, value);
    if (key == "order" && value.is_object() && value.contains("id")) {
      add_unique(out.orders, value["id"]);
    }
    if (key == "migration" && value.is_object() && value.contains("id")) {
      add_unique(out.migrations, value["id"]);
    }
    if (value.is_structured()) collect(value, depth + 1, out);
  }
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Drops CR and LF: a field line of an SSE event ends at the first of them.
std::string single_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

// "<prefix><line>\n" for every line of `text` (split at CRLF, CR or LF); one line when empty.
void append_lines(std::string& out, std::string_view prefix, std::string_view text) {
  size_t start = 0;
  while (true) {
    size_t end = text.find_first_of("\r\n", start);
    out += prefix;
    out += text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += '\n';
    if (end == std::string_view::npos) return;
    start = end + 1;
    if (text[end] == '\r' && start < text.size() && text[start] == '\n') ++start;
    if (start == text.size()) {
      // A reader joins the lines with LF and drops the final one, so "a\n" must be sent as
      // the lines "a" and "" to arrive as it was.
      out += prefix;
      out += '\n';
      return;
    }
  }
}

}  // namespace

std::optional<uint64_t> parse_event_id(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

Result<EventFilter> parse_event_query(const std::map<std::string, std::string>& params,
                                      const std::string& last_event_id_header) {
  EventFilter filter;
  for (const auto& [key, value] : params) {
    if (key == "provider" || key == "order" || key == "migration") {
      if (value.empty()) return invalid_field(key, "must not be empty");
      if (value.size() > 256) return invalid_field(key, "longer than 256 characters");
      (key == "provider" ? filter.provider
       : key == "order"  ? filter.order
                         : filter.migration) = value;
    } else if (key == "type") {
      if (value.empty()) return invalid_field(key, "must not be empty");
      if (value.size() > 256 || !std::all_of(value.begin(), value.end(), is_type_char)) {
        return invalid_field(key,
                             "an event type prefix: letters, digits, '_', '-' and '.', e.g. "
                             "discovery.v1.offering_");
      }
      filter.type_prefix = value;
    } else if (key == "last_event_id") {
      auto id = parse_event_id(value);
      if (!id) return invalid_field(key, "must be an event id (a stream sequence, digits)");
      filter.resume_after = id;
    } else {
      return invalid_field(key,
                           "unknown parameter (known: provider, order, migration, type, "
                           "last_event_id)");
    }
  }
  if (!trim(last_event_id_header).empty()) {
    auto id = parse_event_id(last_event_id_header);
    if (!id) return invalid_field("Last-Event-ID", "must be an event id (a stream sequence)");
    if (filter.resume_after && *filter.resume_after != *id) {
      return invalid_field("last_event_id", "differs from the Last-Event-ID header");
    }
    filter.resume_after = id;
  }
  return filter;
}

std::string subject_filter_for(std::string_view type_prefix) {
  std::string all = std::string(kSubjectPrefix) + ">";
  size_t dot = type_prefix.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return all;
  std::string_view tokens = type_prefix.substr(0, dot);
  // Every token must be non-empty and free of wildcards ('.', '*' and '>' cannot pass
  // parse_event_query, but this is also called on its own).
  size_t start = 0;
  while (start <= tokens.size()) {
    size_t end = tokens.find('.', start);
    if (end == std::string_view::npos) end = tokens.size();
    std::string_view token = tokens.substr(start, end - start);
    if (token.empty() || !std::all_of(token.begin(), token.end(), is_type_char)) return all;
    start = end + 1;
  }
  return std::string(kSubjectPrefix) + std::string(tokens) + ".>";
}

std::string event_type_of_subject(std::string_view subject) {
  if (subject.substr(0, kSubjectPrefix.size()) == kSubjectPrefix &&
      subject.size() > kSubjectPrefix.size()) {
    subject.remove_prefix(kSubjectPrefix.size());
  }
  return std::string(subject);
}

StreamEvent decode_event(uint64_t sequence, std::string_view subject, std::string_view envelope) {
  (void)kKnownFiles;
  StreamEvent event;
  event.sequence = sequence;
  event.type = event_type_of_subject(subject);
  json& data = event.data;
  data["sequence"] = sequence;
  data["type"] = event.type;
  common::v1::Envelope parsed;
  if (!parsed.ParseFromArray(envelope.data(), static_cast<int>(envelope.size()))) {
    data["payload"] = nullptr;
    data["payload_error"] = "the event is not an mpli.common.v1.Envelope";
    return event;
  }
  data["id"] = parsed.id();
  data["occurred_at"] = parsed.occurred_at();
  data["correlation_id"] = parsed.correlation_id();
  data["producer"] = parsed.producer();
  data["payload_type"] = parsed.payload_type();
  data["payload"] = nullptr;
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          parsed.payload_type());
  if (descriptor == nullptr) {
    data["payload_error"] = "this gateway does not know the payload type";
    return event;
  }
  std::unique_ptr<google::protobuf::Message> payload(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  if (!payload->ParseFromString(parsed.payload())) {
    data["payload_error"] = "the payload does not parse as its payload_type";
    return event;
  }
  data["payload"] = proto_to_json(*payload);
  collect(data["payload"], 0, event.concerns);
  return event;
}

bool filter_matches(const EventFilter& filter, const StreamEvent& event) {
  if (!filter.type_prefix.empty() &&
      event.type.compare(0, filter.type_prefix.size(), filter.type_prefix) != 0) {
    return false;
  }
  if (!filter.provider.empty() && !contains(event.concerns.providers, filter.provider)) {
    return false;
  }
  if (!filter.order.empty() && !contains(event.concerns.orders, filter.order)) return false;
  if (!filter.migration.empty() && !contains(event.concerns.migrations, filter.migration)) {
    return false;
  }
  return true;
}

EventAudience audience_of(const StreamEvent& event) {
  if (!event.concerns.tenants.empty()) return EventAudience::kTenant;
  static const std::map<std::string, EventAudience, std::less<>> kByType = {
      // The catalogue: what GET /v1/offerings and GET /v1/providers show anyone.
      {"discovery.v1.manifest_ingested", EventAudience::kPublic},
      {"discovery.v1.offering_added", EventAudience::kPublic},
      {"discovery.v1.kind_registered", EventAudience::kPublic},  // the kinds are public too
      {"discovery.v1.offering_changed", EventAudience::kPublic},
      {"discovery.v1.offering_removed", EventAudience::kPublic},
      // Why a registration failed: the provider's business (its manifest URL, its violations).
      {"discovery.v1.manifest_rejected", EventAudience::kProvider},
      // Facts from credentials: what GET /v1/facts shows any valid token.
      {"trust.v1.facts_changed", EventAudience::kSignedIn},
  };
  auto it = kByType.find(event.type);
  return it == kByType.end() ? EventAudience::kAdminOnly : it->second;
}

bool may_see(const EventCaller& caller, const StreamEvent& event) {
  if (caller.authenticated && caller.role == "admin") return true;
  switch (audience_of(event)) {
    case EventAudience::kPublic:
      return true;
    case EventAudience::kSignedIn:
      return caller.authenticated;
    case EventAudience::kProvider:
      return caller.authenticated && caller.role == "provider" && !caller.provider.empty() &&
             contains(event.concerns.providers, caller.provider);
    case EventAudience::kTenant:
      if (!caller.authenticated) return false;
      if (caller.role == "consumer") {
        return !caller.tenant.empty() && contains(event.concerns.tenants, caller.tenant);
      }
      if (caller.role == "marketplace") {
        return std::any_of(caller.tenants.begin(), caller.tenants.end(), [&](const std::string& t) {
          return contains(event.concerns.tenants, t);
        });
      }
      // A provider sees the orders (and migrations) placed on its own offerings.
      if (caller.role == "provider") {
        return !caller.provider.empty() && contains(event.concerns.providers, caller.provider);
      }
      return false;
    case EventAudience::kAdminOnly:
      return false;
  }
  return false;
}

std::string sse_event(std::string_view id, std::string_view type, std::string_view data) {
  std::string out;
  out.reserve(data.size() + 64);
  std::string id_line = single_line(id);
  std::string type_line = single_line(type);
  if (!id_line.empty()) out += "id: " + id_line + "\n";
  if (!type_line.empty()) out += "event: " + type_line + "\n";
  append_lines(out, "data: ", data);
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out;
  append_lines(out, ": ", text);
  out += '\n';
  return out;
}

std::string sse_retry(int64_t milliseconds) {
  return "retry: " + std::to_string(milliseconds) + "\n\n";
}

std::string events_lost_event(uint64_t requested_after, uint64_t first_available,
                              uint64_t last_available, std::string_view reason) {
  json data = {{"type", kEventsLostType},
               {"requested_after", requested_after},
               {"first_available", first_available},
               {"last_available", last_available},
               {"reason", reason}};
  return sse_event("", kEventsLostType, data.dump());
}

}  // namespace mpli::gateway
