// `mpli manifest check`'s report on the hub's real checker and shapes: results grouped under
// the offering a person wrote, each with the line of the node to fix.
#include "tools/mpli/manifest_report.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "tools/mpli/gaia_x_messages.h"

using namespace mpli;

namespace {

std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/" + relative);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<const discovery::ManifestChecker> checker() {
  auto loaded = discovery::ManifestChecker::load(
      std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl", {},
      discovery::builtin_kinds().value());
  REQUIRE(loaded.is_ok());
  return *loaded;
}

// The 1-based line of the first line of `text` that contains `needle`.
unsigned line_of(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<unsigned>(std::count(text.begin(), text.begin() + at, '\n'));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("compact_iris writes the manifest namespaces as prefixes") {
  CHECK(cli::compact_iris("<https://w3id.org/mpli#vcpu>") == "mpli:vcpu");
  CHECK(cli::compact_iris("(<https://w3id.org/mpli#price>/<https://schema.org/price>)") ==
        "(mpli:price/schema:price)");
  CHECK(cli::compact_iris("\"101.0\"^^<http://www.w3.org/2001/XMLSchema#decimal>") ==
        "\"101.0\"^^xsd:decimal");
  // Not a prefix's namespace, or a local part a prefixed name cannot hold: unchanged.
  CHECK(cli::compact_iris("<https://cloud.example/#vm-s>") == "<https://cloud.example/#vm-s>");
  CHECK(cli::compact_iris("<https://w3id.org/mpli#a/b>") == "<https://w3id.org/mpli#a/b>");
  CHECK(cli::compact_iris("no iri") == "no iri");
}

TEST_CASE("a nested node's violation is grouped under its offering with the node's line") {
  std::string manifest = read_file("ontology/examples/invalid/provider-bad-price-and-sla.ttl");
  discovery::CheckOutcome outcome = checker()->check(manifest, "upload");
  REQUIRE(std::holds_alternative<discovery::ManifestProblem>(outcome));

  nlohmann::json report = cli::manifest_report_json("bad.ttl", outcome);
  CHECK(report["accepted"] == false);
  CHECK(report["reason"] == "manifest_shape");
  REQUIRE(report["violations"].size() == 3);
  std::string vm_s = "https://cloud.nordwolke.example/.well-known/mpli.ttl#vm-s";
  for (const auto& v : report["violations"]) {
    CHECK(v["owner"] == vm_s);  // a price and a service level, both the small VM's
    CHECK(v["line"].get<unsigned>() > 0);
  }
  // The price is a blank node written as `mpli:price [ a mpli:Price ;`: its line is that one.
  unsigned price_line = line_of(manifest, "mpli:price [ a mpli:Price");
  CHECK(report["violations"][0]["line"] == price_line);
  REQUIRE(report["owners"].size() == 1);
  CHECK(report["owners"][0]["kind"] == "offering");
  CHECK(report["owners"][0]["name"] == "Nordwolke VM S (2 vCPU, 4 GiB)");
  CHECK(report["owners"][0]["line"] == line_of(manifest, "<#vm-s> a mpli:Offering"));

  std::string text = cli::manifest_report_text("bad.ttl", outcome);
  INFO(text);
  CHECK(contains(text, "bad.ttl: the hub refuses this manifest (manifest_shape)"));
  CHECK(contains(text, "Offering \"Nordwolke VM S (2 vCPU, 4 GiB)\" <" + vm_s + ">"));
  CHECK(contains(text, "bad.ttl:" + std::to_string(price_line) + ":"));
  CHECK(contains(text, "schema:priceCurrency = \"euro\""));
}

TEST_CASE("a syntax error names its file line and column and an accepted manifest says so") {
  std::string good = read_file("ontology/examples/provider-nordwolke-de.ttl");
  auto accepted = checker()->check(good, "upload");
  std::string text = cli::manifest_report_text("nordwolke.ttl", accepted);
  CHECK(text.rfind("nordwolke.ttl: the hub accepts this manifest: provider nordwolke", 0) == 0);
  CHECK(cli::manifest_report_json("nordwolke.ttl", accepted)["accepted"] == true);

  auto broken = checker()->check(good + "\n<#x> mpli:vcpu \"open .\n", "upload");
  nlohmann::json report = cli::manifest_report_json("nordwolke.ttl", broken);
  CHECK(report["reason"] == "manifest_syntax");
  // The unterminated string is on the line after the blank one appended to the manifest.
  auto appended_line = static_cast<unsigned>(std::count(good.begin(), good.end(), '\n')) + 2;
  CHECK(report["line"].get<unsigned>() == appended_line);
  CHECK(report["message"].get<std::string>().rfind("nordwolke.ttl:", 0) == 0);
}

TEST_CASE("a Gaia-X result gets a message that says what the Gaia-X node needs") {
  Violation legal_address;
  legal_address.path = "<https://w3id.org/gaia-x/development#legalAddress>";
  CHECK(cli::gaia_x_message(legal_address)
            .find("gx:legalAddress pointing to a node typed "
                  "gx:Address") != std::string::npos);
  Violation nested;  // a sequence path: the last step names the property
  nested.path =
      "(<https://w3id.org/mpli#legalPerson>/<https://w3id.org/gaia-x/development#"
      "countryCode>)";
  CHECK(cli::gaia_x_message(nested).find("ISO 3166-1") != std::string::npos);
  Violation other;
  other.path = "<https://w3id.org/mpli#vcpu>";
  CHECK(cli::gaia_x_message(other).empty());
  CHECK(cli::gaia_x_message(Violation{}).empty());
}
