// GET /v1/events, the pure parts: the query (filters, where to resume), an event of MPLI_EVENTS
// as the JSON a client reads, who may see it, and Server-Sent Events framing. No I/O: the route
// (handlers/event_routes.*) feeds these from a JetStream ordered consumer. The wire format is
// documented in docs/events.md.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"

namespace mpli::gateway {

// ---- The query --------------------------------------------------------------------------------

struct EventFilter {
  std::string provider;     // only events concerning this provider id ("" = any)
  std::string order;        // only events concerning this order id (delivery.v1.order_changed)
  std::string migration;    // only events concerning this migration id (portability's, ditto)
  std::string type_prefix;  // only event types starting with this, e.g. "discovery.v1.offering_"
  // Resume after this stream sequence (the Last-Event-ID); none: new events only.
  std::optional<uint64_t> resume_after;
};

// A stream sequence as sent in Last-Event-ID: decimal digits only (surrounding blanks ignored),
// at most 2^64-1. nullopt when it is not one.
std::optional<uint64_t> parse_event_id(std::string_view text);

// The query parameters (provider, order, migration, type, last_event_id) and the
// Last-Event-ID header ("" when absent). Unknown parameters, empty values, a malformed type or
// id, and a header and parameter that disagree are kInvalidArgument naming the parameter.
Result<EventFilter> parse_event_query(const std::map<std::string, std::string>& params,
                                      const std::string& last_event_id_header);

// The JetStream subject filter for `type_prefix`: the part up to its last '.' as a subject
// prefix ("discovery.v1.offering_" -> "mpli.events.discovery.v1.>"), so the server sends only
// that service's events; "mpli.events.>" when the prefix names no whole token.
std::string subject_filter_for(std::string_view type_prefix);

// ---- Events -----------------------------------------------------------------------------------

// "mpli.events.discovery.v1.manifest_ingested" -> "discovery.v1.manifest_ingested"; a subject
// outside mpli.events. is returned whole.
std::string event_type_of_subject(std::string_view subject);

// What an event concerns, read from its payload (field names of the protos): provider_id (and a
// migration's source_provider_id and target_provider_id), order_id, migration_id and tenant at
// any depth up to 3, and `id` inside an `order` or `migration` object.
struct EventSubjects {
  std::vector<std::string> providers;
  std::vector<std::string> orders;
  std::vector<std::string> migrations;
  std::vector<std::string> tenants;
};

struct StreamEvent {
  uint64_t sequence = 0;  // in MPLI_EVENTS: the SSE id
  std::string type;       // the SSE event name, e.g. "discovery.v1.manifest_ingested"
  nlohmann::json data;    // the envelope and its payload as JSON: the SSE data
  EventSubjects concerns;
};

// Decodes an mpli.common.v1.Envelope (its payload by `payload_type`, with the generated
// protos' JSON printer and field names). An envelope that does not parse, or a payload of a type
// this gateway does not know, still becomes an event: `payload` null and `payload_error` saying
// why, so a reader sees the gap instead of nothing.
StreamEvent decode_event(uint64_t sequence, std::string_view subject, std::string_view envelope);

bool filter_matches(const EventFilter& filter, const StreamEvent& event);

// ---- Who may see what -------------------------------------------------------------------------

// The caller of GET /v1/events as the gateway's authentication established it. Default:
// anonymous.
struct EventCaller {
  bool authenticated = false;
  std::string role;                  // "admin", "provider", "consumer", "marketplace"
  std::string tenant;                // a consumer's tenant
  std::string provider;              // a provider's own provider id
  std::vector<std::string> tenants;  // a marketplace's consumer tenants
};

enum class EventAudience {
  kPublic,     // the catalogue: anyone, also without a token
  kSignedIn,   // any valid token (as GET /v1/facts)
  kProvider,   // the provider it concerns (and admins)
  kTenant,     // the tenant whose resource it concerns, its marketplaces, the provider whose
               // offering it concerns (an order placed with it), admins
  kAdminOnly,  // an event type this gateway does not classify: never shown by default
};

// An event carrying a tenant is always kTenant; otherwise by type (docs/events.md has the table).
EventAudience audience_of(const StreamEvent& event);

// The authorisation hook: may `caller` see `event`? Admins see everything.
bool may_see(const EventCaller& caller, const StreamEvent& event);

// ---- Server-Sent Events framing ---------------------------------------------------------------

// One event: "id: <id>\nevent: <type>\ndata: <line>\n...\n\n". `data` is split at every line
// break (CRLF, CR or LF) into one data line each, so it arrives exactly as given; CR and LF in
// `id` and `type` (which cannot carry them) are dropped. An empty id or type leaves its line out.
std::string sse_event(std::string_view id, std::string_view type, std::string_view data);
// A comment (ignored by EventSource, keeps proxies and clients from timing the stream out).
std::string sse_comment(std::string_view text);
// How long a client should wait before reconnecting.
std::string sse_retry(int64_t milliseconds);

// The gateway's own event, sent first when a resumed stream cannot be resumed exactly: events
// after `requested_after` are no longer (or not yet) in the stream. It carries no id, so the
// client's Last-Event-ID stays where it was.
inline constexpr const char* kEventsLostType = "stream.events_lost";
std::string events_lost_event(uint64_t requested_after, uint64_t first_available,
                              uint64_t last_available, std::string_view reason);

}  // namespace mpli::gateway
