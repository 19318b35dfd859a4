#include "tools/mpli/views.h"

#include <catch2/catch.hpp>

using namespace mpli::cli;
using nlohmann::json;

namespace {
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("views: providers as a table, one row each") {
  json providers = json::parse(R"([
    {"id": "hexacloud", "name": "Hexacloud SAS", "country": "FR", "status": "active",
     "offering_count": 4, "fetched_at": "2026-12-01T10:00:00Z", "manifest_url": ""},
    {"id": "nordwolke", "name": "Nordwolke GmbH", "country": "DE", "status": "pending"}])");
  std::string table = providers_table(providers);
  CHECK(table.rfind("ID         NAME            COUNTRY  STATUS   OFFERINGS  FETCHED", 0) == 0);
  CHECK(contains(
      table, "\nhexacloud  Hexacloud SAS   FR       active           4  2026-12-01T10:00:00Z\n"));
  CHECK(contains(table, "\nnordwolke  Nordwolke GmbH  DE       pending\n"));
}

TEST_CASE("views: offerings show the monthly price, or the listed price with its unit") {
  json offerings = json::parse(R"([
    {"id": "https://h.example/m.ttl#pg", "name": "PG S", "provider_id": "hexacloud",
     "kind": "ManagedPostgreSQL", "regions": ["fr-par-1", "fr-par-2"], "vcpu": 2,
     "memory_gib": 8, "price_amount": 0.5, "price_currency": "EUR", "price_unit": "HUR",
     "monthly_price": 365, "certifications": ["ISO27001", "SecNumCloud"]},
    {"id": "https://h.example/m.ttl#gpu", "name": "GPU", "provider_id": "hexacloud",
     "price_amount": 3, "price_currency": "EUR", "price_unit": "E48"}])");
  std::string table = offerings_table(offerings);
  CHECK(contains(table, "fr-par-1,fr-par-2"));
  CHECK(contains(table, "365.00 EUR"));
  CHECK(contains(table, "3.00 EUR/E48"));
  CHECK(contains(table, "8 GiB"));
  CHECK(contains(table, "ISO27001,SecNumCloud"));
  // The IRI is never cut: `mpli offerings get` takes it.
  CHECK(contains(table, "https://h.example/m.ttl#pg\n"));
  std::string fields = offering_fields(offerings[0]);
  CHECK(contains(fields, "price:           0.50 EUR per HUR\n"));
  CHECK(contains(fields, "per month:       365.00 EUR\n"));
  // Quantities an offering does not state (0 in the record) print as "-", not as zero.
  std::string gpu = offering_fields(offerings[1]);
  CHECK(contains(gpu, "vcpu:            -\n"));
  CHECK(contains(gpu, "memory:          -\n"));
}

TEST_CASE("views: a provider's fields, the error only when there is one") {
  std::string fields = provider_fields(json{
      {"id", "hexacloud"}, {"manifest_url", ""}, {"offering_count", 4}, {"outcome", "unchanged"}});
  CHECK(contains(fields, "manifest:      (uploaded)\n"));
  CHECK(contains(fields, "offerings:     4\n"));
  CHECK(contains(fields, "outcome:       unchanged\n"));
  CHECK_FALSE(contains(fields, "last error"));
  CHECK(contains(provider_fields(json{{"last_error", "HTTP 404"}, {"consecutive_failures", 2}}),
                 "last error:         HTTP 404\n"));
}

TEST_CASE("views: credentials and facts use short mpli: names") {
  json credentials = json::parse(R"([{"id": "abc", "state": "refused", "refusal": "expired",
    "format": "vc+jwt", "kind": "https://w3id.org/mpli#CertificationCredential",
    "issuer": "did:web:i.example"}])");
  std::string table = credentials_table(credentials);
  CHECK(contains(table, "refused (expired)"));
  CHECK(contains(table, "mpli:CertificationCredential"));
  std::string facts =
      facts_table(json::parse(R"([{"predicate": "https://w3id.org/mpli#certification",
    "object": "https://w3id.org/mpli#ISO27001", "issuer": "did:web:i.example"}])"));
  CHECK(contains(facts, "mpli:certification"));
  CHECK(contains(facts, "mpli:ISO27001"));
}

TEST_CASE("views: an event is one line, as text or as JSON") {
  ServerSentEvent event{"42", "discovery.v1.offering_added",
                        R"({"occurred_at":"2026-12-02T14:19:28.909Z","producer":"discovery",)"
                        R"("payload":{"offering":{"id":"https://h.example/m#k8s",)"
                        R"("provider_id":"hexacloud","name":"K8s","vcpu":12}}})"};
  CHECK(event_line(event) ==
        "42  2026-12-02T14:19:28.909Z  discovery.v1.offering_added  "
        "offering.provider_id=hexacloud  offering.id=https://h.example/m#k8s  offering.name=K8s");
  json line = json::parse(event_json_line(event));
  CHECK(line["id"] == "42");
  CHECK(line["event"] == "discovery.v1.offering_added");
  CHECK(line["data"]["payload"]["offering"]["provider_id"] == "hexacloud");
  ServerSentEvent text{"", "stream.note", "two\nlines"};
  CHECK(event_line(text) == "-  stream.note  two lines");
  CHECK(json::parse(event_json_line(text))["data"] == "two\nlines");
}
