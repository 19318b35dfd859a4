// The five things that stood between a new provider and a correct manifest (issue "Provider
// experience"), each shown with the manifest that showed it: `mpli manifest check` (the hub's
// checker) names the line of the offending node and says what to write instead.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "tools/mpli/manifest_report.h"

using namespace mpli;
using nlohmann::json;

namespace {

const std::string kVmS = "https://cloud.nordwolke.example/.well-known/mpli.ttl#vm-s";

std::string nordwolke() {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/provider-nordwolke-de.ttl");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The manifest with the first `from` replaced by `to`; the test fails if `from` is not there.
std::string with(const std::string& manifest, const std::string& from, const std::string& to) {
  size_t at = manifest.find(from);
  REQUIRE(at != std::string::npos);
  return manifest.substr(0, at) + to + manifest.substr(at + from.size());
}

unsigned line_of(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<unsigned>(std::count(text.begin(), text.begin() + at, '\n'));
}

json check(const std::string& manifest) {
  static auto checker = [] {
    auto loaded = discovery::ManifestChecker::load(
        std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl", {},
        discovery::builtin_kinds().value());
    REQUIRE(loaded.is_ok());
    return *loaded;
  }();
  json report = cli::manifest_report_json("manifest.ttl", checker->check(manifest, "upload"));
  INFO(report.dump(2));
  return report;
}

bool mentions(const json& violation, const std::string& part) {
  return violation["message"].get<std::string>().find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("1. what the hub refuses is never valid: an unknown prefix, a blank-node offering") {
  std::string unknown_prefix = with(nordwolke(), "mpli:memoryGiB 4 ;", "mpl:memoryGiB 4 ;");
  json report = check(unknown_prefix);
  CHECK(report["accepted"] == false);
  CHECK(report["reason"] == "manifest_syntax");
  CHECK(report["line"] == line_of(unknown_prefix, "mpl:memoryGiB"));
  CHECK(report["message"].get<std::string>().find("undefined namespace prefix 'mpl:'") !=
        std::string::npos);

  // Valid Turtle, and every shape but the offering's id passes: once only discovery's code
  // refused it, with no line.
  std::string blank = with(nordwolke(), "<#vm-s> a mpli:Offering ;", "[] a mpli:Offering ;");
  blank = with(blank, "mpli:covers <#vm-s> , ", "mpli:covers ");
  report = check(blank);
  CHECK(report["reason"] == "manifest_shape");
  REQUIRE(report["violations"].size() == 1);
  const json& v = report["violations"][0];
  CHECK(v["constraint"] == "http://www.w3.org/ns/shacl#NodeKindConstraintComponent");
  CHECK(v["line"] == line_of(blank, "[] a mpli:Offering"));
  CHECK(mentions(v, "Give each mpli:Offering an IRI, e.g. <#vm-s> a mpli:Offering"));
}

TEST_CASE("2. a nested node's result names its line and the offering it belongs to") {
  // The delivery binding of the small VM: a blank node, two offerings among three.
  std::string manifest =
      with(nordwolke(), "mpli:artifact \"image-store-fra1\" ;", "mpli:artifact \"\" ;");
  json report = check(manifest);
  REQUIRE(report["violations"].size() == 1);
  const json& v = report["violations"][0];
  CHECK(v["owner"] == kVmS);
  unsigned binding_line = line_of(manifest, "mpli:delivery [ a mpli:DeliveryBinding ;");
  CHECK(v["line"] == binding_line);
  CHECK(mentions(v, "needs one non-empty mpli:artifact"));
  REQUIRE(report["owners"].size() == 1);
  CHECK(report["owners"][0]["name"] == "Nordwolke VM S (2 vCPU, 4 GiB)");
}

TEST_CASE("3. messages say what is wrong and what to write, once per problem") {
  SECTION("availability 100 is an integer: the message says to write a decimal") {
    std::string manifest =
        with(nordwolke(), "mpli:availabilityPercent 99.9 ;", "mpli:availabilityPercent 100 ;");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);  // one result, not two identical ones
    const json& v = report["violations"][0];
    CHECK(mentions(v, "Write mpli:availabilityPercent as a decimal with a point"));
    CHECK(mentions(v, "a bare 100 is an xsd:integer"));
    CHECK(v["line"] == line_of(manifest, "mpli:serviceLevel [ a mpli:ServiceLevel ;"));
  }
  SECTION("a region not typed mpli:Region: the message says to type it, not that it is missing") {
    std::string manifest = with(nordwolke(), "<#region-nue1> a mpli:Region ;", "<#region-nue1>");
    json report = check(manifest);
    REQUIRE_FALSE(report["violations"].empty());
    bool typed_message = false;
    for (const auto& v : report["violations"]) {
      CHECK_FALSE(mentions(v, "Say where the offering runs"));
      typed_message = typed_message || mentions(v, "add `a mpli:Region ;` to it");
    }
    CHECK(typed_message);
  }
  SECTION("a providerId with upper case: the message is about its form, not its count") {
    std::string manifest =
        with(nordwolke(), "mpli:providerId \"nordwolke\"", "mpli:providerId \"Nordwolke\"");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);
    const json& v = report["violations"][0];
    CHECK(mentions(v, "lower-case letters, digits or hyphens"));
    CHECK_FALSE(mentions(v, "exactly one"));
    CHECK(v["line"] == line_of(manifest, "<#provider> a mpli:Provider"));
  }
  SECTION("a price written 18 is an integer: write 18.0") {
    std::string manifest = with(nordwolke(), "schema:price 18.50 ;", "schema:price 18 ;");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);
    CHECK(mentions(report["violations"][0], "e.g. 18.50 or 18.0"));
  }
}

TEST_CASE("4. value sets and units the shapes hold are said where they are broken") {
  SECTION("Greece is GR in ISO 3166-1, not the EU's EL") {
    std::string manifest = with(nordwolke(), "mpli:country \"DE\" ;", "mpli:country \"EL\" ;");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);
    const json& v = report["violations"][0];
    CHECK(mentions(v, "Greece is \"GR\""));
    CHECK(v["line"] == line_of(manifest, "<#region-fra1> a mpli:Region"));
  }
  SECTION("capacities are whole GiB: 1 TiB is written 1024") {
    std::string manifest = with(nordwolke(), "mpli:storageGiB 50 ;", "mpli:storageGiB \"1 TiB\" ;");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);
    const json& v = report["violations"][0];
    CHECK(v["owner"] == kVmS);
    CHECK(mentions(v, "in GiB: 1 TiB is written 1024"));
  }
}

TEST_CASE("5. what a term means for the hub is said where a manifest gets it wrong") {
  SECTION("a claim without its credential can never become a verified fact") {
    std::string manifest = with(
        nordwolke(),
        "    mpli:credential <https://cloud.nordwolke.example/credentials/bsi-c5-type2.jwt> ;\n",
        "");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);
    const json& v = report["violations"][0];
    CHECK(mentions(v, "Without it the claim can never become a"));
    CHECK(v["line"] == line_of(manifest, "<#cert-c5> a mpli:CertificationClaim"));
  }
  SECTION("an exec worker's artifact is a script relative to its directory") {
    std::string manifest =
        with(nordwolke(), "mpli:artifact \"bin/bucket-order\"", "mpli:artifact \"/opt/bin/order\"");
    json report = check(manifest);
    REQUIRE(report["violations"].size() == 1);
    const json& v = report["violations"][0];
    CHECK(mentions(v, "relative to the worker's own directory"));
    size_t binding = manifest.find("mpli:delivery [", manifest.find("<#s3-1t> a mpli:Offering"));
    REQUIRE(binding != std::string::npos);
    CHECK(v["line"] == 1 + std::count(manifest.begin(), manifest.begin() + binding, '\n'));
    // A relative path that climbs out of the directory is refused the same way.
    json climbing = check(with(nordwolke(), "mpli:artifact \"bin/bucket-order\"",
                               "mpli:artifact \"bin/../../etc/order\""));
    CHECK(climbing["violations"].size() == 1);
  }
}
