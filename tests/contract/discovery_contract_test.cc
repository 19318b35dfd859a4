// Discovery's bus contract, checked from the outside: only the subjects, the messages of
// proto/mpli/discovery/v1 and proto/mpli/common/v1, and the events on MPLI_EVENTS. Nothing of
// services/discovery is linked, so the same checks run against any implementation:
//   MPLI_CONTRACT_NATS_URL set   -> the bus there (whatever answers mpli.discovery.v1.*);
//   unset                        -> a nats-server, a PostgreSQL and build/bin/mpli-discovery
//                                   started for each test.
// See tests/contract/README.md.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/bus/jetstream.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "tests/contract/contract_subject.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
namespace v1 = mpli::discovery::v1;
using contract::unique_manifest;
using contract::unique_token;
using testing::read_example;

namespace {

std::string subject(const std::string& operation) { return "mpli.discovery.v1." + operation; }

// Discovery alone, or whatever answers its subjects on MPLI_CONTRACT_NATS_URL.
class Subject : public contract::Subject {
 public:
  Subject() : contract::Subject("discovery", {"mpli-discovery"}) {}
};

// ---- Reading MPLI_EVENTS from a sequence on, through the JetStream API -------------------

std::string base64_decode(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    size_t value = kAlphabet.find(c);
    if (value == std::string::npos) continue;  // '=' padding
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

struct StoredEvent {
  uint64_t sequence = 0;
  std::string subject;
  std::string msg_id;  // the Nats-Msg-Id header
  common::v1::Envelope envelope;
  bool parsed = false;
};

// The first message at or after `from` whose subject matches `filter` ($JS.API.STREAM.MSG.GET
// with next_by_subj); nullopt at the end of the stream.
std::optional<StoredEvent> next_event(bus::Connection& bus, uint64_t from,
                                      const std::string& filter) {
  json request = {{"seq", from}, {"next_by_subj", filter}};
  auto reply = bus.request("$JS.API.STREAM.MSG.GET.MPLI_EVENTS", request.dump(), 5s);
  REQUIRE(reply.is_ok());
  json answer = json::parse(reply->data, nullptr, false);
  REQUIRE(answer.is_object());
  if (answer.contains("error")) {
    INFO(answer.dump());
    REQUIRE(answer["error"].value("code", 0) == 404);  // no message at or after `from`
    return std::nullopt;
  }
  const json& message = answer.at("message");
  StoredEvent event;
  event.sequence = message.at("seq").get<uint64_t>();
  event.subject = message.at("subject").get<std::string>();
  std::string headers = base64_decode(message.value("hdrs", ""));
  const std::string kName = "Nats-Msg-Id:";
  if (size_t at = headers.find(kName); at != std::string::npos) {
    size_t end = headers.find("\r\n", at);
    event.msg_id = headers.substr(at + kName.size(), end - at - kName.size());
    event.msg_id.erase(0, event.msg_id.find_first_not_of(' '));
  }
  event.parsed = event.envelope.ParseFromString(base64_decode(message.value("data", "")));
  return event;
}

uint64_t last_sequence(bus::Connection& bus) {
  auto state = bus::stream_state(bus, "MPLI_EVENTS");
  REQUIRE(state.is_ok());
  return state->last_sequence;
}

}  // namespace

TEST_CASE("health answers ok with the service's name and a check per dependency") {
  Subject discovery;
  auto reply = discovery.bus().request(subject("health"), "", 5s);
  REQUIRE(reply.is_ok());
  common::v1::HealthReply health;
  REQUIRE(health.ParseFromString(reply->data));
  CHECK(health.service() == "discovery");
  CHECK(health.status() == "ok");
  CHECK_FALSE(health.version().empty());
  CHECK_FALSE(health.instance().empty());
  for (const auto& [check, state] : health.checks()) {
    INFO(check);
    CHECK(state == "ok");
  }
}

TEST_CASE("an uploaded manifest registers a provider that get_provider and list_providers return") {
  Subject discovery;
  std::string token = unique_token();
  auto registered = discovery.register_upload(unique_manifest(token));
  CHECK(registered.created());
  const v1::Provider& provider = registered.provider();
  CHECK(provider.id() == token);
  CHECK(provider.status() == "active");
  CHECK(provider.manifest_url().empty());
  CHECK(provider.offering_count() > 0);
  CHECK_FALSE(provider.current_version().empty());

  v1::ProviderRef ref;
  ref.set_id(token);
  auto got = discovery.call<v1::GetProviderReply>("get_provider", ref);
  REQUIRE(got.is_ok());
  CHECK(got->provider().id() == token);
  CHECK(got->provider().current_version() == provider.current_version());
  CHECK(got->provider().offering_count() == provider.offering_count());

  auto listed =
      discovery.call<v1::ListProvidersReply>("list_providers", v1::ListProvidersRequest());
  REQUIRE(listed.is_ok());
  int found = 0;
  for (const auto& p : listed->providers()) found += p.id() == token ? 1 : 0;
  CHECK(found == 1);

  // The same manifest again is an update of the same provider, not a second one.
  auto again = discovery.register_upload(unique_manifest(token));
  CHECK_FALSE(again.created());
  CHECK(again.provider().id() == token);
}

TEST_CASE("a registered provider's offerings are listed by filter and fetched one by one") {
  Subject discovery;
  std::string token = unique_token();
  auto registered = discovery.register_upload(unique_manifest(token));

  v1::OfferingFilter filter;
  filter.set_provider_id(token);
  filter.set_limit(500);
  auto listed = discovery.call<v1::ListOfferingsReply>("list_offerings", filter);
  REQUIRE(listed.is_ok());
  REQUIRE(listed->offerings_size() == registered.provider().offering_count());
  CHECK(listed->next_cursor().empty());
  for (const auto& offering : listed->offerings()) {
    INFO(offering.id());
    CHECK(offering.provider_id() == token);
    CHECK(offering.id().find(token) != std::string::npos);  // its IRI is in the manifest
    CHECK_FALSE(offering.name().empty());
    CHECK_FALSE(offering.kind().empty());
  }

  const v1::Offering& first = listed->offerings(0);
  v1::GetOfferingRequest get;
  get.set_id(first.id());
  auto got = discovery.call<v1::GetOfferingReply>("get_offering", get);
  REQUIRE(got.is_ok());
  CHECK(got->offering().id() == first.id());
  CHECK(got->offering().content_hash() == first.content_hash());
  CHECK(got->turtle().empty());
  get.set_format("turtle");
  auto with_graph = discovery.call<v1::GetOfferingReply>("get_offering", get);
  REQUIRE(with_graph.is_ok());
  CHECK(with_graph->turtle().find(first.id()) != std::string::npos);

  // Paging: one at a time, each offering once, until the cursor is empty.
  filter.set_limit(1);
  std::set<std::string> seen;
  for (int page = 0; page <= registered.provider().offering_count(); ++page) {
    auto one = discovery.call<v1::ListOfferingsReply>("list_offerings", filter);
    REQUIRE(one.is_ok());
    REQUIRE(one->offerings_size() <= 1);
    for (const auto& o : one->offerings()) CHECK(seen.insert(o.id()).second);
    if (one->next_cursor().empty()) break;
    filter.set_cursor(one->next_cursor());
  }
  CHECK(static_cast<int>(seen.size()) == registered.provider().offering_count());

  // A cursor this hub never issued is refused, not taken for the first page.
  filter.set_cursor("not-a-cursor");
  auto bad = discovery.call<v1::ListOfferingsReply>("list_offerings", filter);
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("export_catalog pages through the whole catalogue until the cursor is empty") {
  Subject discovery;
  std::string token = unique_token();
  discovery.register_upload(unique_manifest(token));

  v1::ExportCatalogRequest request;
  request.set_format("ntriples");
  std::set<std::string> cursors;
  std::string everything;
  bool done = false;
  for (int page = 0; page < 10000 && !done; ++page) {
    auto reply = discovery.call<v1::ExportCatalogReply>("export_catalog", request, 30s);
    INFO("page " << page << ": " << reply.status().to_string());
    REQUIRE(reply.is_ok());
    everything += reply->document();
    done = reply->next_cursor().empty();
    if (!done) {
      REQUIRE(cursors.insert(reply->next_cursor()).second);  // a cursor never repeats
      request.set_cursor(reply->next_cursor());
    }
  }
  CHECK(done);
  CHECK(everything.find("https://" + token + ".example/") != std::string::npos);
}

TEST_CASE("unknown ids answer NOT_FOUND") {
  Subject discovery;
  v1::ProviderRef ref;
  ref.set_id(unique_token());
  for (const char* operation : {"get_provider", "delete_provider", "refresh_provider"}) {
    INFO(operation);
    auto reply = discovery.bus().request(subject(operation), ref.SerializeAsString(), 10s);
    CHECK(reply.status().code() == StatusCode::kNotFound);
    CHECK(reply.status().detail("domain") == "discovery");
  }
  v1::GetOfferingRequest get;
  get.set_id("https://" + ref.id() + ".example/.well-known/mpli.ttl#nothing");
  auto offering = discovery.call<v1::GetOfferingReply>("get_offering", get);
  CHECK(offering.status().code() == StatusCode::kNotFound);
}

TEST_CASE("a request body that is not the operation's message answers INVALID_ARGUMENT") {
  Subject discovery;
  // A length-delimited field that claims more bytes than follow: no message parses it.
  const std::string truncated(
      "\x0a\x05"
      "ab",
      4);
  for (const char* operation :
       {"get_provider", "register_provider", "list_offerings", "get_offering", "export_catalog"}) {
    INFO(operation);
    auto reply = discovery.bus().request(subject(operation), truncated, 10s);
    CHECK(reply.status().code() == StatusCode::kInvalidArgument);
  }
  v1::RegisterProviderRequest neither;  // no manifest_url and no manifest_turtle
  auto empty = discovery.call<v1::RegisterProviderReply>("register_provider", neither);
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a manifest with a syntax error answers INVALID_ARGUMENT, MANIFEST_SYNTAX and where") {
  Subject discovery;
  std::string token = unique_token();
  std::string manifest = unique_manifest(token);
  // Break the provider id's string literal: the line ends inside it.
  const std::string good = "mpli:providerId \"" + token + "\" ;";
  size_t at = manifest.find(good);
  REQUIRE(at != std::string::npos);
  manifest.replace(at, good.size(), "mpli:providerId \"" + token + " ;");
  long broken_line =
      1 + std::count(manifest.begin(), manifest.begin() + static_cast<long>(at), '\n');

  v1::RegisterProviderRequest request;
  request.set_manifest_turtle(manifest);
  auto reply = discovery.call<v1::RegisterProviderReply>("register_provider", request, 30s);
  const Status& status = reply.status();
  INFO(status.to_string() << " line=" << status.detail("line")
                          << " column=" << status.detail("column"));
  REQUIRE_FALSE(reply.is_ok());
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.detail("reason") == "MANIFEST_SYNTAX");
  CHECK(status.detail("domain") == "discovery");
  long line = std::atol(status.detail("line").c_str());
  CHECK(line >= broken_line);
  CHECK(line <= broken_line + 1);
  CHECK(std::atol(status.detail("column").c_str()) > 0);

  // Nothing was registered under that id.
  v1::ProviderRef ref;
  ref.set_id(token);
  CHECK(discovery.call<v1::GetProviderReply>("get_provider", ref).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE(
    "a manifest naming another provider than expected_provider_id answers PERMISSION_DENIED") {
  Subject discovery;
  std::string token = unique_token();
  std::string other = unique_token();
  v1::RegisterProviderRequest request;
  request.set_manifest_turtle(unique_manifest(token));
  request.set_expected_provider_id(other);
  auto refused = discovery.call<v1::RegisterProviderReply>("register_provider", request, 30s);
  const Status& status = refused.status();
  INFO(status.to_string());
  REQUIRE_FALSE(refused.is_ok());
  CHECK(status.code() == StatusCode::kPermissionDenied);
  CHECK(status.detail("reason") == "PROVIDER_MISMATCH");
  CHECK(status.detail("domain") == "discovery");
  // The detail names both ids.
  CHECK(status.message().find(token) != std::string::npos);
  CHECK(status.message().find(other) != std::string::npos);

  // Nothing was registered under either id.
  v1::ProviderRef ref;
  for (const std::string& id : {token, other}) {
    ref.set_id(id);
    CHECK(discovery.call<v1::GetProviderReply>("get_provider", ref).status().code() ==
          StatusCode::kNotFound);
  }

  // The id the manifest names is accepted.
  request.set_expected_provider_id(token);
  auto accepted = discovery.call<v1::RegisterProviderReply>("register_provider", request, 30s);
  INFO(accepted.status().to_string());
  REQUIRE(accepted.is_ok());
  CHECK(accepted->provider().id() == token);
}

TEST_CASE("a registration publishes manifest_ingested and offering_added on MPLI_EVENTS") {
  Subject discovery;
  uint64_t before = last_sequence(discovery.bus());
  std::string token = unique_token();
  auto registered = discovery.register_upload(unique_manifest(token));
  const int offerings = registered.provider().offering_count();
  REQUIRE(offerings > 0);

  // Events are published after the registration commits: read the stream until ours are in.
  const std::string prefix = "mpli.events.discovery.v1.";
  bool ingested = false;
  std::set<std::string> added;
  uint64_t next = before + 1;
  testing::wait_until(
      [&] {
        for (int read = 0; read < 1000; ++read) {
          auto event = next_event(discovery.bus(), next, prefix + ">");
          if (!event) return ingested && static_cast<int>(added.size()) == offerings;
          next = event->sequence + 1;
          INFO("event " << event->sequence << " on " << event->subject);
          REQUIRE(event->parsed);
          const common::v1::Envelope& envelope = event->envelope;
          CHECK(envelope.type() == event->subject);
          CHECK(envelope.producer() == "discovery");
          CHECK(envelope.id() == event->msg_id);
          CHECK_FALSE(envelope.occurred_at().empty());
          if (event->subject == prefix + "manifest_ingested") {
            CHECK(envelope.payload_type() == "mpli.discovery.v1.ManifestIngested");
            v1::ManifestIngested payload;
            REQUIRE(payload.ParseFromString(envelope.payload()));
            if (payload.provider_id() != token) continue;
            CHECK(payload.version() == registered.provider().current_version());
            CHECK(payload.offerings() == offerings);
            CHECK(payload.added() == offerings);
            ingested = true;
          } else if (event->subject == prefix + "offering_added") {
            CHECK(envelope.payload_type() == "mpli.discovery.v1.OfferingAdded");
            v1::OfferingAdded payload;
            REQUIRE(payload.ParseFromString(envelope.payload()));
            if (payload.offering().provider_id() != token) continue;
            CHECK(added.insert(payload.offering().id()).second);  // each offering once
          }
        }
        return ingested && static_cast<int>(added.size()) == offerings;
      },
      30s, "manifest_ingested and one offering_added per offering for " + token);
}
