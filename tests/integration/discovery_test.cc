// Discovery end to end through the gateway: a real provider web server (HttpTestServer), real
// NATS, PostgreSQL, mpli-discovery and mpli-gateway. Events are read back from MPLI_EVENTS.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "libs/bus/jetstream.h"
#include "libs/rdf/parser.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_test_server.h"
#include "libs/testing/tokens.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "tests/integration/discovery_hub.h"
#include "tests/integration/manifest_check_fixture.h"

using namespace mpli;
using namespace std::chrono_literals;
using fixture::Env;
using fixture::Event;
using fixture::Hub;
using nlohmann::json;

namespace {

std::string read_example(const std::string& name) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

// A provider's web server whose manifest and behaviour the test changes at will.
struct ProviderSite {
  std::mutex mutex;
  std::string manifest;
  std::chrono::milliseconds delay{0};
  bool redirect_loop = false;  // every answer is a redirect to itself
  int not_modified = 0;        // 304 answers given
  testing::HttpTestServer server{[this](const testing::HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    if (redirect_loop) {
      testing::HttpTestResponse moved;
      moved.status = 302;
      moved.headers["Location"] =
          request.path + (request.path.find('?') == std::string::npos ? "?r" : "r");
      return moved;
    }
    testing::HttpTestResponse response = testing::static_document(request, manifest);
    if (response.status == 304) ++not_modified;
    response.delay = delay;
    return response;
  }};
  void serve(std::string text) {
    std::lock_guard<std::mutex> lock(mutex);
    manifest = std::move(text);
  }
  std::string url() { return server.url("/.well-known/mpli.ttl"); }
};

// The refusal a refresh published: exactly one event, a manifest_rejected, its payload parsed.
discovery::v1::ManifestRejected the_rejection(const std::vector<Event>& events) {
  REQUIRE(events.size() == 1);  // a refusal changes nothing else
  REQUIRE(events[0].type == "manifest_rejected");
  const common::v1::Envelope& envelope = events[0].envelope;
  CHECK(envelope.producer() == "discovery");
  REQUIRE(envelope.payload_type() == "mpli.discovery.v1.ManifestRejected");
  discovery::v1::ManifestRejected payload;
  REQUIRE(payload.ParseFromString(envelope.payload()));
  return payload;
}

int offering_count(Hub& hub, const std::string& provider) {
  auto r = hub.get("/v1/offerings?provider=" + provider + "&limit=500");
  REQUIRE(r.status == 200);
  return static_cast<int>(json::parse(r.body)["offerings"].size());
}

// Nordwolke's offerings (ontology/examples/provider-nordwolke-de.ttl) as IRI -> price, each
// read on its own.
std::map<std::string, double> nordwolke_prices(Hub& hub) {
  std::map<std::string, double> prices;
  for (const char* fragment : {"vm-s", "vm-l", "pg-m", "s3-1t"}) {
    std::string id =
        "https://cloud.nordwolke.example/.well-known/mpli.ttl#" + std::string(fragment);
    auto r =
        hub.get("/v1/offerings/https%3A%2F%2Fcloud.nordwolke.example%2F.well-known%2Fmpli.ttl%23" +
                std::string(fragment));
    INFO(id << ": " << r.body);
    REQUIRE(r.status == 200);
    prices[id] = json::parse(r.body)["price_amount"].get<double>();
  }
  return prices;
}

}  // namespace

TEST_CASE("unchanged manifest takes the 304 path, a changed one emits exactly its changes") {
  ProviderSite site;
  site.serve(read_example("provider-hexacloud-fr.ttl"));
  Hub hub;

  auto created = hub.post_json("/v1/providers", {{"manifest_url", site.url()}});
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto provider = json::parse(created.body);
  CHECK(provider["id"] == "hexacloud");
  CHECK(provider["status"] == "active");
  int offerings = provider["offering_count"];
  REQUIRE(offerings >= 3);
  auto first = hub.new_events();
  CHECK(first["manifest_ingested"] == 1);
  CHECK(first["offering_added"] == offerings);
  CHECK(first.size() == 2);

  auto unchanged = hub.post("/v1/providers/hexacloud/refresh");
  REQUIRE(unchanged.status == 200);
  CHECK(json::parse(unchanged.body)["outcome"] == "unchanged");
  CHECK(site.not_modified == 1);  // the conditional request was answered 304
  CHECK(hub.scalar("SELECT count(*) FROM discovery.manifest_versions") == 1);
  CHECK(hub.new_events().empty());

  // One price changes; the Kubernetes offering is renamed (removed + added).
  std::string next = read_example("provider-hexacloud-fr.ttl");
  next = replace_all(next, "schema:price 690.00", "schema:price 720.00");
  next = replace_all(next, "<#k8s>", "<#k8s-2027>");
  site.serve(next);
  auto updated = hub.post("/v1/providers/hexacloud/refresh");
  INFO(updated.body);
  REQUIRE(updated.status == 200);
  CHECK(json::parse(updated.body)["outcome"] == "updated");
  auto second = hub.new_events();
  CHECK(second["offering_changed"] == 1);
  CHECK(second["offering_added"] == 1);
  CHECK(second["offering_removed"] == 1);
  CHECK(second["manifest_ingested"] == 1);
  CHECK(second.size() == 4);
  CHECK(hub.scalar("SELECT count(*) FROM discovery.manifest_versions WHERE outcome = 'accepted'") ==
        2);
  auto pg =
      hub.get("/v1/offerings/" +
              std::string("https%3A%2F%2Fhexacloud.example%2F.well-known%2Fmpli.ttl%23pg-snc"));
  REQUIRE(pg.status == 200);
  CHECK(json::parse(pg.body)["price_amount"] == 720.0);
}

TEST_CASE("bad manifests are refused with the reason and the good version stays served") {
  ProviderSite site;
  std::string good = read_example("provider-hexacloud-fr.ttl");
  site.serve(good);
  Hub hub(Env{{"MPLI_FETCH_MAX_BYTES", "65536"}, {"MPLI_FETCH_TIMEOUT", "1s"}});
  REQUIRE(hub.post_json("/v1/providers", {{"manifest_url", site.url()}}).status == 201);
  int offerings = offering_count(hub, "hexacloud");
  REQUIRE(offerings > 0);
  hub.new_events();

  // Each refusal is answered and published with the same reason: the event's payload says
  // which provider, which URL and what was wrong.
  auto check_rejection = [&](const discovery::v1::ManifestRejected& event,
                             discovery::v1::ErrorReason reason, const std::string& name) {
    CHECK(event.provider_id() == "hexacloud");
    CHECK(event.manifest_url() == site.url());
    CHECK(event.error_reason() == reason);
    CHECK(event.reason() == name);
    CHECK_FALSE(event.detail().empty());
  };
  SECTION("invalid Turtle: 400 with line and column") {
    site.serve(good + "\n<#broken> mpli:vcpu \"unterminated .\n");
    auto r = hub.post("/v1/providers/hexacloud/refresh");
    REQUIRE(r.status == 400);
    CHECK(r.content_type == "application/problem+json");
    auto body = json::parse(r.body);
    CHECK(body["reason"] == "manifest_syntax");
    CHECK(body["line"].get<int>() > 200);
    CHECK(body["column"].get<int>() > 0);
    check_rejection(the_rejection(hub.drain_events()), discovery::v1::MANIFEST_SYNTAX,
                    "manifest_syntax");
  }
  SECTION("shape violation: 422 listing each violation") {
    site.serve(replace_all(good, "mpli:providerId \"hexacloud\" ;", ""));
    auto r = hub.post("/v1/providers/hexacloud/refresh");
    REQUIRE(r.status == 422);
    auto body = json::parse(r.body);
    CHECK(body["reason"] == "manifest_shape");
    REQUIRE(body["violations"].is_array());
    REQUIRE_FALSE(body["violations"].empty());
    // The one thing removed, the provider's id, is what is reported, and nothing else.
    std::set<std::string> answered;
    for (const auto& v : body["violations"]) {
      for (const char* key : {"focus_node", "path", "constraint", "message"}) {
        CHECK(v.contains(key));
      }
      answered.insert(v["focus_node"].get<std::string>() + " " + v["path"].get<std::string>() +
                      " " + v["constraint"].get<std::string>());
    }
    INFO(body.dump(2));
    CHECK(answered ==
          std::set<std::string>{"<https://hexacloud.example/.well-known/mpli.ttl#provider> "
                                "<https://w3id.org/mpli#providerId> "
                                "http://www.w3.org/ns/shacl#MinCountConstraintComponent"});
    auto event = the_rejection(hub.drain_events());
    check_rejection(event, discovery::v1::MANIFEST_SHAPE, "manifest_shape");
    std::set<std::string> published;
    for (const auto& v : event.violations()) {
      published.insert(v.focus_node() + " " + v.path() + " " + v.constraint());
    }
    CHECK(published == answered);
  }
  SECTION("oversized manifest: refused") {
    site.serve(good + "\n# " + std::string(800000, 'x') + "\n");  // 0.8 MB against 64 KiB
    auto r = hub.post("/v1/providers/hexacloud/refresh");
    CHECK(r.status == 413);
    CHECK(json::parse(r.body)["reason"] == "manifest_too_large");
    check_rejection(the_rejection(hub.drain_events()), discovery::v1::MANIFEST_TOO_LARGE,
                    "manifest_too_large");
  }
  SECTION("endless redirects: refused after the limit") {
    site.redirect_loop = true;
    int before = site.server.requests();
    auto r = hub.post("/v1/providers/hexacloud/refresh");
    CHECK(r.status == 502);
    CHECK(json::parse(r.body)["detail"].get<std::string>().find("more than 3 redirects") !=
          std::string::npos);
    CHECK(site.server.requests() - before == 4);  // the first request and three redirects
    auto event = the_rejection(hub.drain_events());
    check_rejection(event, discovery::v1::FETCH_FAILED, "fetch_failed");
    CHECK(event.detail().find("more than 3 redirects") != std::string::npos);
  }
  SECTION("too slow: refused") {
    site.delay = 3s;
    auto r = hub.post("/v1/providers/hexacloud/refresh");
    CHECK(r.status == 504);
    CHECK(json::parse(r.body)["reason"] == "fetch_timeout");
    check_rejection(the_rejection(hub.drain_events()), discovery::v1::FETCH_TIMEOUT,
                    "fetch_timeout");
  }
  // Whatever was refused, the last good version is what the catalogue serves.
  CHECK(offering_count(hub, "hexacloud") == offerings);
  auto provider = json::parse(hub.get("/v1/providers/hexacloud").body);
  CHECK(provider["status"] == "active");
  CHECK_FALSE(provider["last_error"].get<std::string>().empty());
  CHECK(hub.scalar("SELECT count(*) FROM discovery.manifest_versions WHERE outcome = 'accepted'") ==
        1);
}

TEST_CASE("a loopback target is refused when the hub does not allow it") {
  ProviderSite site;
  site.serve(read_example("provider-hexacloud-fr.ttl"));
  Hub hub(Env{{"MPLI_FETCH_ALLOW_LOOPBACK", "false"}});
  for (const std::string& url :
       {site.url(),
        "http://localhost:" + std::to_string(site.server.port()) + "/.well-known/mpli.ttl"}) {
    INFO(url);
    auto r = hub.post_json("/v1/providers", {{"manifest_url", url}});
    CHECK(r.status == 403);
    auto body = json::parse(r.body);
    CHECK(body["range"] == "loopback");
  }
  CHECK(site.server.requests() == 0);  // refused at connect time: nothing was ever sent
  CHECK(hub.scalar("SELECT count(*) FROM discovery.providers") == 0);
  auto https_only = hub.post_json("/v1/providers", {{"manifest_url", "ftp://example.org/m.ttl"}});
  CHECK(https_only.status == 400);
  CHECK(json::parse(https_only.body)["field"] == "manifest_url");
}

TEST_CASE("the catalogue API filters, pages, negotiates formats and exports everything") {
  Hub hub;
  std::vector<std::unique_ptr<ProviderSite>> sites;
  for (const char* name :
       {"provider-hexacloud-fr.ttl", "provider-nordwolke-de.ttl", "provider-polderstack-nl.ttl"}) {
    sites.push_back(std::make_unique<ProviderSite>());
    sites.back()->serve(read_example(name));
    auto r = hub.post_json("/v1/providers", {{"manifest_url", sites.back()->url()}});
    INFO(name << ": " << r.body);
    REQUIRE(r.status == 201);
  }

  auto all = json::parse(hub.get("/v1/offerings?limit=500").body)["offerings"];
  REQUIRE(all.size() >= 9);

  // Each filter returns exactly the offerings that satisfy it.
  auto fr = json::parse(hub.get("/v1/offerings?country=FR&limit=500").body)["offerings"];
  auto has = [](const json& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  int expected_fr = 0;
  for (const auto& o : all) expected_fr += has(o["countries"], "FR");
  CHECK(expected_fr > 0);
  CHECK(static_cast<int>(fr.size()) == expected_fr);
  for (const auto& o : fr) CHECK(has(o["countries"], "FR"));
  // An offering sold in two regions is found by either.
  auto sxb = json::parse(hub.get("/v1/offerings?region=fr-sxb-1").body)["offerings"];
  bool vm_found = false;
  for (const auto& o : sxb)
    vm_found = vm_found || o["id"] == "https://hexacloud.example/.well-known/mpli.ttl#vm-4";
  CHECK(vm_found);
  auto pg =
      json::parse(hub.get("/v1/offerings?kind=ManagedPostgreSQL&max_price=700").body)["offerings"];
  REQUIRE_FALSE(pg.empty());
  for (const auto& o : pg) {
    CHECK(o["kind"] == "ManagedPostgreSQL");
    CHECK(o["price_amount"].get<double>() <= 700);
  }
  // Two filters at once: exactly the offerings meeting both, and the examples have some.
  auto iso =
      json::parse(hub.get("/v1/offerings?certification=ISO27001&min_vcpu=4").body)["offerings"];
  std::set<std::string> expected_iso;
  for (const auto& o : all) {
    if (o["vcpu"].is_number() && o["vcpu"].get<int>() >= 4 &&
        has(o["certifications"], "ISO27001")) {
      expected_iso.insert(o["id"].get<std::string>());
    }
  }
  REQUIRE_FALSE(expected_iso.empty());
  REQUIRE_FALSE(iso.empty());
  std::set<std::string> found_iso;
  for (const auto& o : iso) {
    CHECK(o["vcpu"].get<int>() >= 4);
    CHECK(has(o["certifications"], "ISO27001"));
    found_iso.insert(o["id"].get<std::string>());
  }
  CHECK(found_iso == expected_iso);
  auto bad = hub.get("/v1/offerings?min_vcpu=lots");
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["field"] == "min_vcpu");

  // Cursor pagination visits every offering exactly once.
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = json::parse(
        hub.get("/v1/offerings?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor)).body);
    for (const auto& o : page["offerings"]) CHECK(seen.insert(o["id"].get<std::string>()).second);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 100);
  CHECK(seen.size() == all.size());

  // One offering as JSON and as Turtle.
  std::string id = "https%3A%2F%2Fhexacloud.example%2F.well-known%2Fmpli.ttl%23pg-snc";
  auto as_json = hub.get("/v1/offerings/" + id);
  REQUIRE(as_json.status == 200);
  CHECK(json::parse(as_json.body)["provider_id"] == "hexacloud");
  auto as_turtle = hub.get("/v1/offerings/" + id, {"Accept: text/turtle"});
  REQUIRE(as_turtle.status == 200);
  CHECK(as_turtle.content_type == "text/turtle");
  rdf::Graph offering_graph;
  REQUIRE(rdf::parse_string(as_turtle.body, "offering", offering_graph).is_ok());
  CHECK(offering_graph.size() > 10);
  CHECK(hub.get("/v1/offerings/https%3A%2F%2Fnowhere.example%2Fx").status == 404);

  // The whole catalogue parses and holds every offering.
  auto catalog = hub.get("/v1/catalog", {"Accept: application/n-triples"});
  REQUIRE(catalog.status == 200);
  CHECK(catalog.content_type == "application/n-triples");
  rdf::Graph graph;
  REQUIRE(rdf::parse_string(catalog.body, "catalog", graph, {rdf::Syntax::kNTriples, "", true})
              .is_ok());
  for (const auto& o : all) {
    CHECK(graph.terms().find_iri(o["id"].get<std::string>()) != rdf::kNoTerm);
  }
  auto well_known = json::parse(hub.get("/.well-known/mpli-providers").body);
  CHECK(well_known["providers"].size() == 3);
}

TEST_CASE("an uploaded manifest is registered, and a provider id cannot be taken over") {
  Hub hub;
  std::string hexacloud = read_example("provider-hexacloud-fr.ttl");
  auto first = hub.post_turtle("/v1/providers", hexacloud);
  INFO(first.body);
  REQUIRE(first.status == 201);
  CHECK(json::parse(first.body)["manifest_url"] == "");
  auto again = hub.post_turtle("/v1/providers", hexacloud);
  CHECK(again.status == 200);
  CHECK(hub.new_events()["offering_added"] > 0);

  // Nordwolke registers by URL; an upload claiming Nordwolke's id must not replace it.
  ProviderSite site;
  std::string nordwolke = read_example("provider-nordwolke-de.ttl");
  site.serve(nordwolke);
  auto registered = hub.post_json("/v1/providers", {{"manifest_url", site.url()}});
  REQUIRE(registered.status == 201);
  std::string id = json::parse(registered.body)["id"];
  std::map<std::string, double> before = nordwolke_prices(hub);
  // The same offerings with every price changed: a takeover would show in the prices.
  auto hijack =
      hub.post_turtle("/v1/providers", replace_all(nordwolke, "schema:price ", "schema:price 1"));
  CHECK(hijack.status == 409);
  CHECK(json::parse(hijack.body)["reason"] == "provider_taken");
  CHECK(nordwolke_prices(hub) == before);

  auto empty = hub.post_turtle("/v1/providers", "");
  INFO(empty.body);
  CHECK(empty.status == 400);
  auto no_provider = hub.post_turtle("/v1/providers", "<urn:x> <urn:y> <urn:z> .\n");
  INFO(no_provider.body);
  CHECK(no_provider.status == 422);  // valid Turtle that describes no provider
  auto wrong_type = testing::http_request("POST", hub.url("/v1/providers"), "x",
                                          {"Content-Type: text/plain", hub.admin()});
  CHECK(wrong_type.status == 415);
}

TEST_CASE("the catalogue survives a restart of discovery and of PostgreSQL") {
  ProviderSite site;
  site.serve(read_example("provider-polderstack-nl.ttl"));
  Hub hub;
  auto created = hub.post_json("/v1/providers", {{"manifest_url", site.url()}});
  REQUIRE(created.status == 201);
  std::string id = json::parse(created.body)["id"];
  int before = offering_count(hub, id);
  REQUIRE(before > 0);

  hub.stop_discovery();
  CHECK(hub.get("/v1/offerings").status == 503);  // nobody answers the subject meanwhile
  hub.start_discovery();
  hub.wait_ready();
  CHECK(offering_count(hub, id) == before);

  hub.postgres().stop();
  hub.postgres().start();
  testing::wait_until([&] { return hub.get("/v1/offerings?provider=" + id).status == 200; }, 60s,
                      "catalogue answers after PostgreSQL restarts");
  CHECK(offering_count(hub, id) == before);
}

TEST_CASE("mpli manifest check and the hub agree on every provider manifest example") {
  Hub hub;
  std::vector<std::string> examples = fixture::example_manifests("provider-");
  REQUIRE(examples.size() >= 10);
  int accepted = 0;
  for (const std::string& file : examples) {
    INFO(file);
    json offline = fixture::manifest_check_json(file);

    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto answer = hub.post_turtle("/v1/providers", text.str());
    INFO(answer.body);
    if (offline["accepted"] == true) {
      ++accepted;
      CHECK((answer.status == 201 || answer.status == 200));
      continue;
    }
    // Refused by both, for the same reason, with the same results in the same order: every
    // field, the line and column of each node and the offering it belongs to included.
    REQUIRE((answer.status == 400 || answer.status == 422));
    json problem = json::parse(answer.body);
    CHECK(problem["reason"] == offline["reason"]);
    CHECK(problem.value("violations", json::array()) == offline["violations"]);
    if (offline.contains("line")) {
      CHECK(problem["line"] == offline["line"]);
      CHECK(problem["column"] == offline["column"]);
    }
  }
  CHECK(accepted == 3);  // hexacloud, nordwolke and polderstack
}
