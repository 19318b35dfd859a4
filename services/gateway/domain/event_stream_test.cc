#include "services/gateway/domain/event_stream.h"

#include <google/protobuf/struct.pb.h>

#include <catch2/catch.hpp>

#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/portability/v1/portability.pb.h"
#include "mpli/trust/v1/trust.pb.h"

using namespace mpli;
using namespace mpli::gateway;
using nlohmann::json;

namespace {

std::string envelope_of(const google::protobuf::Message& payload, const std::string& subject) {
  common::v1::Envelope envelope;
  envelope.set_id("0190-event");
  envelope.set_type(subject);
  envelope.set_occurred_at("2026-12-02T10:00:00Z");
  envelope.set_correlation_id("req-1");
  envelope.set_producer(subject.substr(12, subject.find('.', 12) - 12));
  envelope.set_payload_type(payload.GetTypeName());
  envelope.set_payload(payload.SerializeAsString());
  return envelope.SerializeAsString();
}

StreamEvent ingested(const std::string& provider) {
  discovery::v1::ManifestIngested payload;
  payload.set_provider_id(provider);
  payload.set_offerings(3);
  std::string subject = "mpli.events.discovery.v1.manifest_ingested";
  return decode_event(7, subject, envelope_of(payload, subject));
}

// An event of a kind that does not exist yet: a payload naming a tenant (and an order).
StreamEvent tenant_event(const std::string& type, const std::string& tenant) {
  StreamEvent event;
  event.sequence = 9;
  event.type = type;
  event.concerns.tenants = {tenant};
  event.concerns.orders = {"o-1"};
  return event;
}

std::map<std::string, std::string> params(
    std::initializer_list<std::pair<const std::string, std::string>> list) {
  return list;
}

}  // namespace

TEST_CASE("SSE framing: id, event, one data line per line of the data, a blank line") {
  CHECK(sse_event("12", "discovery.v1.offering_added", R"({"a":1})") ==
        "id: 12\nevent: discovery.v1.offering_added\ndata: {\"a\":1}\n\n");
  // Every kind of line break splits; the reader rejoins the lines with LF.
  CHECK(sse_event("1", "t", "one\ntwo\r\nthree\rfour") ==
        "id: 1\nevent: t\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
  // A trailing break survives as an empty last data line; empty data is one empty data line.
  CHECK(sse_event("1", "t", "end\n") == "id: 1\nevent: t\ndata: end\ndata: \n\n");
  CHECK(sse_event("1", "t", "") == "id: 1\nevent: t\ndata: \n\n");
  // No id line without an id (the client's Last-Event-ID stays), and no line breaks smuggled
  // into the id or the type.
  CHECK(sse_event("", "stream.events_lost", "{}") == "event: stream.events_lost\ndata: {}\n\n");
  CHECK(sse_event("1\n2", "a\r\nb", "x") == "id: 12\nevent: ab\ndata: x\n\n");
  CHECK(sse_comment("heartbeat") == ": heartbeat\n\n");
  CHECK(sse_comment("a\nb") == ": a\n: b\n\n");
  CHECK(sse_retry(3000) == "retry: 3000\n\n");
}

TEST_CASE("Last-Event-ID: decimal stream sequences only") {
  CHECK(parse_event_id("0") == uint64_t{0});
  CHECK(parse_event_id(" 42 ") == uint64_t{42});
  CHECK(parse_event_id("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_event_id("18446744073709551616"));  // one more than fits
  CHECK_FALSE(parse_event_id("99999999999999999999"));
  CHECK_FALSE(parse_event_id(""));
  CHECK_FALSE(parse_event_id("   "));
  CHECK_FALSE(parse_event_id("-1"));
  CHECK_FALSE(parse_event_id("+1"));
  CHECK_FALSE(parse_event_id("1e3"));
  CHECK_FALSE(parse_event_id("0x10"));
  CHECK_FALSE(parse_event_id("12 3"));
}

TEST_CASE("the query: filters, resume point, and every mistake names its parameter") {
  auto none = parse_event_query({}, "");
  REQUIRE(none.is_ok());
  CHECK_FALSE(none->resume_after);
  CHECK(none->provider.empty());

  auto all = parse_event_query(params({{"provider", "hexacloud"},
                                       {"order", "o-1"},
                                       {"migration", "m-1"},
                                       {"type", "discovery.v1."},
                                       {"last_event_id", "5"}}),
                               "");
  REQUIRE(all.is_ok());
  CHECK(all->provider == "hexacloud");
  CHECK(all->order == "o-1");
  CHECK(all->migration == "m-1");
  CHECK(all->type_prefix == "discovery.v1.");
  CHECK(all->resume_after == uint64_t{5});

  auto header = parse_event_query({}, "17");
  REQUIRE(header.is_ok());
  CHECK(header->resume_after == uint64_t{17});
  auto both = parse_event_query(params({{"last_event_id", "17"}}), " 17");
  REQUIRE(both.is_ok());
  CHECK(both->resume_after == uint64_t{17});

  auto field_of = [](const Result<EventFilter>& r) {
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    return r.status().detail("field");
  };
  CHECK(field_of(parse_event_query(params({{"providers", "x"}}), "")) == "providers");
  CHECK(field_of(parse_event_query(params({{"provider", ""}}), "")) == "provider");
  CHECK(field_of(parse_event_query(params({{"type", "discovery.>"}}), "")) == "type");
  CHECK(field_of(parse_event_query(params({{"type", "a b"}}), "")) == "type");
  CHECK(field_of(parse_event_query(params({{"last_event_id", "x"}}), "")) == "last_event_id");
  CHECK(field_of(parse_event_query({}, "abc")) == "Last-Event-ID");
  CHECK(field_of(parse_event_query(params({{"last_event_id", "3"}}), "4")) == "last_event_id");
}

TEST_CASE("a type prefix narrows the consumer to whole subject tokens") {
  CHECK(subject_filter_for("") == "mpli.events.>");
  CHECK(subject_filter_for("discovery") == "mpli.events.>");  // could be "discovery_x"
  CHECK(subject_filter_for("discovery.") == "mpli.events.discovery.>");
  CHECK(subject_filter_for("discovery.v1.offering_") == "mpli.events.discovery.v1.>");
  CHECK(subject_filter_for("trust.v1.facts_changed") == "mpli.events.trust.v1.>");
  CHECK(subject_filter_for(".x") == "mpli.events.>");
  CHECK(subject_filter_for("a..b") == "mpli.events.>");
  CHECK(subject_filter_for("a*.b") == "mpli.events.>");
}

TEST_CASE("an event becomes its type, its sequence and its envelope with the payload as JSON") {
  CHECK(event_type_of_subject("mpli.events.trust.v1.facts_changed") == "trust.v1.facts_changed");
  CHECK(event_type_of_subject("other.subject") == "other.subject");

  StreamEvent event = ingested("hexacloud");
  CHECK(event.sequence == 7);
  CHECK(event.type == "discovery.v1.manifest_ingested");
  CHECK(event.data["sequence"] == 7);
  CHECK(event.data["type"] == "discovery.v1.manifest_ingested");
  CHECK(event.data["id"] == "0190-event");
  CHECK(event.data["occurred_at"] == "2026-12-02T10:00:00Z");
  CHECK(event.data["correlation_id"] == "req-1");
  CHECK(event.data["producer"] == "discovery");
  CHECK(event.data["payload_type"] == "mpli.discovery.v1.ManifestIngested");
  CHECK(event.data["payload"]["provider_id"] == "hexacloud");
  CHECK(event.data["payload"]["offerings"] == 3);
  CHECK(event.data["payload"]["added"] == 0);  // every field present, as the other routes
  CHECK(event.concerns.providers == std::vector<std::string>{"hexacloud"});

  // A nested provider id counts too (the offering inside offering_changed).
  discovery::v1::OfferingChanged changed;
  changed.mutable_offering()->set_provider_id("polderstack");
  changed.mutable_offering()->set_id("https://p.example/o#1");
  changed.mutable_previous()->set_provider_id("polderstack");
  std::string subject = "mpli.events.discovery.v1.offering_changed";
  StreamEvent nested = decode_event(8, subject, envelope_of(changed, subject));
  CHECK(nested.concerns.providers == std::vector<std::string>{"polderstack"});
  CHECK(nested.data["payload"]["offering"]["id"] == "https://p.example/o#1");

  // Orders, migrations and tenants, wherever a future payload puts them.
  google::protobuf::Struct future;
  (*future.mutable_fields())["tenant"].set_string_value("acme");
  auto* order = (*future.mutable_fields())["order"].mutable_struct_value();
  (*order->mutable_fields())["id"].set_string_value("o-7");
  (*future.mutable_fields())["migration_id"].set_string_value("m-2");
  std::string delivery = "mpli.events.delivery.v1.order_changed";
  StreamEvent later = decode_event(9, delivery, envelope_of(future, delivery));
  CHECK(later.concerns.tenants == std::vector<std::string>{"acme"});
  CHECK(later.concerns.orders == std::vector<std::string>{"o-7"});
  CHECK(later.concerns.migrations == std::vector<std::string>{"m-2"});

  // A migration's change concerns its tenant, its order and both of its providers.
  portability::v1::MigrationChanged moved;
  moved.set_migration_id("mig_1");
  moved.set_tenant("acme");
  moved.set_order_id("ord_1");
  moved.set_source_provider_id("hexacloud");
  moved.set_target_provider_id("polderstack");
  std::string portability = "mpli.events.portability.v1.migration_changed";
  StreamEvent migration = decode_event(10, portability, envelope_of(moved, portability));
  CHECK(migration.concerns.migrations == std::vector<std::string>{"mig_1"});
  CHECK(migration.concerns.tenants == std::vector<std::string>{"acme"});
  CHECK(migration.concerns.providers == std::vector<std::string>{"hexacloud", "polderstack"});
}

TEST_CASE("an event that cannot be read is still sent, saying why its payload is missing") {
  StreamEvent garbage = decode_event(3, "mpli.events.discovery.v1.offering_added", "\xff\xff\xff");
  CHECK(garbage.data["payload"].is_null());
  CHECK(garbage.data["payload_error"].is_string());

  common::v1::Envelope unknown;
  unknown.set_payload_type("mpli.nowhere.v9.Thing");
  unknown.set_payload("x");
  StreamEvent unknown_event =
      decode_event(4, "mpli.events.nowhere.v9.thing", unknown.SerializeAsString());
  CHECK(unknown_event.data["payload"].is_null());
  CHECK(unknown_event.data["payload_type"] == "mpli.nowhere.v9.Thing");
  CHECK(unknown_event.data["payload_error"] == "this gateway does not know the payload type");
}

TEST_CASE("filters: type prefix, provider, order, migration, all given must hold") {
  StreamEvent event = ingested("hexacloud");
  CHECK(filter_matches({}, event));
  EventFilter by_type;
  by_type.type_prefix = "discovery.v1.manifest";
  CHECK(filter_matches(by_type, event));
  by_type.type_prefix = "discovery.v1.offering_";
  CHECK_FALSE(filter_matches(by_type, event));
  by_type.type_prefix = "trust.";
  CHECK_FALSE(filter_matches(by_type, event));

  EventFilter by_provider;
  by_provider.provider = "hexacloud";
  CHECK(filter_matches(by_provider, event));
  by_provider.provider = "hexa";  // ids match whole, never as a prefix
  CHECK_FALSE(filter_matches(by_provider, event));

  EventFilter by_order;
  by_order.order = "o-1";
  CHECK_FALSE(filter_matches(by_order, event));  // a catalogue event concerns no order
  CHECK(filter_matches(by_order, tenant_event("delivery.v1.order_changed", "acme")));
  EventFilter by_migration;
  by_migration.migration = "m-1";
  CHECK_FALSE(filter_matches(by_migration, tenant_event("delivery.v1.order_changed", "acme")));

  EventFilter both;
  both.provider = "hexacloud";
  both.type_prefix = "trust.";
  CHECK_FALSE(filter_matches(both, event));
}

TEST_CASE("who may see what: the catalogue is public, the rest needs the right token") {
  EventCaller anonymous;
  EventCaller admin{true, "admin", "", "", {}};
  EventCaller consumer{true, "consumer", "acme", "", {}};
  EventCaller other_consumer{true, "consumer", "globex", "", {}};
  EventCaller marketplace{true, "marketplace", "", "", {"initech", "acme"}};
  EventCaller hexacloud{true, "provider", "", "hexacloud", {}};
  EventCaller polderstack{true, "provider", "", "polderstack", {}};

  StreamEvent catalogue = ingested("hexacloud");
  CHECK(audience_of(catalogue) == EventAudience::kPublic);
  for (const auto& caller : {anonymous, admin, consumer, marketplace, hexacloud}) {
    CHECK(may_see(caller, catalogue));
  }

  StreamEvent rejected = catalogue;
  rejected.type = "discovery.v1.manifest_rejected";
  CHECK(audience_of(rejected) == EventAudience::kProvider);
  CHECK(may_see(admin, rejected));
  CHECK(may_see(hexacloud, rejected));
  CHECK_FALSE(may_see(polderstack, rejected));
  CHECK_FALSE(may_see(anonymous, rejected));
  CHECK_FALSE(may_see(consumer, rejected));

  StreamEvent facts;
  facts.type = "trust.v1.facts_changed";
  CHECK(audience_of(facts) == EventAudience::kSignedIn);
  CHECK_FALSE(may_see(anonymous, facts));
  CHECK(may_see(consumer, facts));
  CHECK(may_see(admin, facts));

  StreamEvent order = tenant_event("delivery.v1.order_changed", "acme");
  CHECK(audience_of(order) == EventAudience::kTenant);
  CHECK(may_see(consumer, order));
  CHECK(may_see(marketplace, order));
  CHECK(may_see(admin, order));
  CHECK_FALSE(may_see(other_consumer, order));
  CHECK_FALSE(may_see(anonymous, order));
  CHECK_FALSE(may_see(hexacloud, order));  // concerns no provider
  // An order placed on hexacloud's offering: hexacloud sees it, another provider does not.
  StreamEvent placed = order;
  placed.concerns.providers = {"hexacloud"};
  CHECK(may_see(hexacloud, placed));
  CHECK_FALSE(may_see(polderstack, placed));
  CHECK_FALSE(may_see(other_consumer, placed));
  // A tenant in the payload wins over a public type: it is about someone's resource.
  StreamEvent tenant_catalogue = tenant_event("discovery.v1.offering_added", "acme");
  CHECK_FALSE(may_see(anonymous, tenant_catalogue));

  // A type nobody classified is for admins only, never leaked by default.
  StreamEvent unknown;
  unknown.type = "portability.v1.migration_started";
  CHECK(audience_of(unknown) == EventAudience::kAdminOnly);
  CHECK_FALSE(may_see(consumer, unknown));
  CHECK_FALSE(may_see(anonymous, unknown));
  CHECK(may_see(admin, unknown));
  // An unauthenticated caller is never an admin, whatever its role says.
  EventCaller forged{false, "admin", "", "", {}};
  CHECK_FALSE(may_see(forged, unknown));
}

TEST_CASE("the events_lost notice has no id and says what is left") {
  std::string text = events_lost_event(3, 10, 20, "expired");
  CHECK(text.rfind("event: stream.events_lost\ndata: ", 0) == 0);
  CHECK(text.find("id:") == std::string::npos);
  json data = json::parse(text.substr(text.find("data: ") + 6));
  CHECK(data["requested_after"] == 3);
  CHECK(data["first_available"] == 10);
  CHECK(data["last_available"] == 20);
  CHECK(data["reason"] == "expired");
}

TEST_CASE("delivery's order_changed decodes, filters by order and is seen by its tenant only") {
  delivery::v1::OrderChanged changed;
  changed.set_order_id("ord_1");
  changed.set_tenant("acme");
  changed.set_provider_id("hexacloud");
  changed.set_offering_id("https://hexacloud.example/mpli.ttl#pg-small");
  changed.set_from("provisioning");
  changed.set_to("active");
  changed.set_reason("worker: done");
  changed.set_version(4);
  std::string subject = "mpli.events.delivery.v1.order_changed";
  StreamEvent event = decode_event(12, subject, envelope_of(changed, subject));
  INFO(event.data.dump());
  CHECK(event.type == "delivery.v1.order_changed");
  CHECK_FALSE(event.data.contains("payload_error"));
  CHECK(event.data["payload"]["order_id"] == "ord_1");
  CHECK(event.data["payload"]["to"] == "active");
  CHECK(event.concerns.orders == std::vector<std::string>{"ord_1"});
  CHECK(event.concerns.tenants == std::vector<std::string>{"acme"});
  CHECK(event.concerns.providers == std::vector<std::string>{"hexacloud"});

  EventFilter by_order;
  by_order.order = "ord_1";
  CHECK(filter_matches(by_order, event));
  by_order.order = "ord_2";
  CHECK_FALSE(filter_matches(by_order, event));

  CHECK(may_see(EventCaller{true, "consumer", "acme", "", {}}, event));
  CHECK_FALSE(may_see(EventCaller{true, "consumer", "globex", "", {}}, event));
  CHECK(may_see(EventCaller{true, "provider", "", "hexacloud", {}}, event));
  CHECK_FALSE(may_see(EventCaller{true, "provider", "", "polderstack", {}}, event));
  CHECK_FALSE(may_see(EventCaller{}, event));
}
