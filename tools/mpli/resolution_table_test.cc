#include "tools/mpli/resolution_table.h"

#include <catch2/catch.hpp>

using namespace mpli::cli;
using nlohmann::json;

namespace {

// Written by hand after resolver.proto, as the gateway answers it (docs/resolutions.md).
constexpr const char* kSatisfiable = R"json({
  "id": "res_01JDX8F3Q2W7M4K9T6B5N1C0RZ",
  "created_at": "2026-12-02T10:15:00Z",
  "manifest": "https://shop.example/mpli/consumer.ttl#manifest",
  "consumer": "https://shop.example/mpli/consumer.ttl#consumer",
  "currency": "EUR",
  "satisfiable": true,
  "answers": [
    {"rank": 1, "monthly_price": 412.5, "score": 0.9126,
     "score_parts": [{"preference": "PreferCheapest", "node": "_:p1", "weight": 1.0,
                      "value": 0.9126, "contribution": 0.9126,
                      "detail": "412.50 EUR against the cheapest 398.50 EUR"}],
     "assignments": [
       {"requirement": "https://shop.example/mpli/consumer.ttl#db",
        "requirement_label": "Primary database",
        "offering": "https://hexacloud.example/.well-known/mpli.ttl#pg-s",
        "offering_name": "PostgreSQL S", "provider_id": "hexacloud",
        "provider": "https://hexacloud.example/.well-known/mpli.ttl#provider",
        "region": "fr-par", "country": "FR", "quantity": 1,
        "unit_monthly_price": 292.0, "monthly_price": 292.0},
       {"requirement": "https://shop.example/mpli/consumer.ttl#objects",
        "requirement_label": "Object storage",
        "offering": "https://hexacloud.example/.well-known/mpli.ttl#s3-std",
        "offering_name": "Standard bucket", "provider_id": "hexacloud",
        "provider": "https://hexacloud.example/.well-known/mpli.ttl#provider",
        "region": "fr-par", "country": "FR", "quantity": 1,
        "unit_monthly_price": 120.5, "monthly_price": 120.5}],
     "providers": ["hexacloud"]},
    {"rank": 10, "monthly_price": 1398.0, "score": 0.285,
     "score_parts": [],
     "assignments": [
       {"requirement": "https://shop.example/mpli/consumer.ttl#db",
        "requirement_label": "",
        "offering": "https://nordhost.example/mpli.ttl#pg-xl",
        "offering_name": "", "provider_id": "nordhost",
        "region": "", "country": "", "quantity": 1}],
     "providers": ["nordhost"]}
  ],
  "answers_considered": 37,
  "requirements": [],
  "refusals": [
    {"provider_id": "eastcloud", "provider": "https://eastcloud.example/#p",
     "prerequisite": "_:pre", "label": "Consumers established in the EEA", "scope": "provider",
     "failures": []}],
  "diagnosis": null,
  "warnings": [
    {"requirement": "https://shop.example/mpli/consumer.ttl#db", "shape": "_:s1",
     "path": "mpli:memoryGiB", "code": "range_without_min_count",
     "message": "sh:minInclusive without sh:minCount: an offering stating no memory conforms"}],
  "consumer_facts": [],
  "catalogue_offerings": 340,
  "manifest_sha256": "9f2c"
})json";

constexpr const char* kUnsatisfiable = R"json({
  "id": "res_01JDX8H0000000000000000000",
  "currency": "EUR",
  "satisfiable": false,
  "answers": [],
  "answers_considered": "0",
  "requirements": [
    {"requirement": "https://shop.example/mpli/consumer.ttl#db", "label": "Primary database",
     "quantity": 1, "conforming": 0, "accepted": 0, "rejected_total": 3,
     "rejected": [
       {"offering": "https://hexacloud.example/.well-known/mpli.ttl#pg-m",
        "offering_name": "PostgreSQL M", "provider_id": "hexacloud",
        "reason": "requirement_shape", "failures": []}],
     "eliminated_by": []}],
  "refusals": [
    {"provider_id": "nordhost", "provider": "https://nordhost.example/mpli.ttl#provider",
     "prerequisite": "https://nordhost.example/mpli.ttl#kyc", "label": "Verified company",
     "scope": "https://nordhost.example/mpli.ttl#pg-xl",
     "failures": [
       {"shape": "https://nordhost.example/mpli.ttl#kyc", "path": "mpli:registrationNumber",
        "constraint": "sh:MinCountConstraintComponent", "value": "",
        "message": "a verified company registration number", "claimed_not_verified": true}]}],
  "diagnosis": {
    "summary": ["No offering in FR has 64 GiB of memory: the largest has 32 GiB.",
                "nordhost serves only verified companies."],
    "nearest_misses": [
      {"requirement": "https://shop.example/mpli/consumer.ttl#db",
       "offering": "https://hexacloud.example/.well-known/mpli.ttl#pg-m",
       "provider_id": "hexacloud", "failed_constraints": 1,
       "failures": [
         {"shape": "_:db", "path": "mpli:memoryGiB",
          "constraint": "sh:MinInclusiveConstraintComponent",
          "value": "\"32\"^^xsd:integer", "message": "at least 64 GiB of memory",
          "claimed_not_verified": false}]}]},
  "warnings": [],
  "catalogue_offerings": 340
})json";

}  // namespace

TEST_CASE("a satisfiable resolution prints a header, then one row per answer") {
  std::string text = format_resolution(json::parse(kSatisfiable));
  CHECK(text ==
        "resolution res_01JDX8F3Q2W7M4K9T6B5N1C0RZ: 2 answers in EUR (37 considered)\n"
        "rank  score  monthly price  assignments\n"
        "   1  0.913     412.50 EUR  Primary database -> PostgreSQL S (hexacloud, fr-par FR)\n"
        "                            Object storage -> Standard bucket (hexacloud, fr-par FR)\n"
        "  10  0.285    1398.00 EUR  https://shop.example/mpli/consumer.ttl#db -> "
        "https://nordhost.example/mpli.ttl#pg-xl (nordhost)\n"
        "warning: [range_without_min_count] Primary database: sh:minInclusive without "
        "sh:minCount: an offering stating no memory conforms\n");
}

TEST_CASE("a satisfiable resolution prints no diagnosis and no refusals") {
  std::string text = format_resolution(json::parse(kSatisfiable));
  CHECK(text.find("not satisfiable") == std::string::npos);
  CHECK(text.find("eastcloud") == std::string::npos);
}

TEST_CASE("an unsatisfiable resolution prints why: summary, nearest misses, refusals") {
  std::string text = format_resolution(json::parse(kUnsatisfiable));
  CHECK(text ==
        "resolution res_01JDX8H0000000000000000000: 0 answers in EUR (0 considered)\n"
        "not satisfiable:\n"
        "  No offering in FR has 64 GiB of memory: the largest has 32 GiB.\n"
        "  nordhost serves only verified companies.\n"
        "nearest misses:\n"
        "  Primary database: PostgreSQL M (hexacloud), 1 failed constraint\n"
        "    - at least 64 GiB of memory [mpli:memoryGiB = \"32\"^^xsd:integer]\n"
        "provider refusals:\n"
        "  nordhost: Verified company (for https://nordhost.example/mpli.ttl#pg-xl)\n"
        "    - a verified company registration number [mpli:registrationNumber] "
        "(claimed, not verified)\n");
}

TEST_CASE("a resolution missing members prints what it has") {
  CHECK(format_resolution(json::object()) ==
        "resolution (no id): 0 answers in - (0 considered)\n"
        "not satisfiable:\n"
        "  (the resolver gave no diagnosis)\n");
  json one = json::parse(kSatisfiable);
  one["answers"].erase(1);
  one["answers"][0].erase("assignments");
  one["warnings"] = "not a list";
  CHECK(format_resolution(one) ==
        "resolution res_01JDX8F3Q2W7M4K9T6B5N1C0RZ: 1 answer in EUR (37 considered)\n"
        "rank  score  monthly price  assignments\n"
        "   1  0.913     412.50 EUR  -\n");
}

TEST_CASE("a problem prints its title, reason, field and detail, then position and violations") {
  CHECK(format_problem(400, R"({"type": "about:blank", "title": "Bad Request", "status": 400,
                                "detail": "top_k: must be an integer from 1 to 100",
                                "code": "invalid_argument", "field": "top_k"})") ==
        "HTTP 400 Bad Request [top_k]: top_k: must be an integer from 1 to 100\n");
  CHECK(format_problem(400, R"({"title": "Bad Request", "reason": "manifest_syntax",
                                "detail": "expected '.'", "line": 7, "column": 12})") ==
        "HTTP 400 Bad Request (manifest_syntax): expected '.'\n"
        "  at line 7, column 12\n");
  CHECK(format_problem(422, R"({"title": "Unprocessable Content", "reason": "manifest_shape",
                                "detail": "1 violation",
                                "violations": [{"focus_node": "_:db", "path": "mpli:quantity",
                                                "constraint": "sh:MinInclusiveConstraintComponent",
                                                "value": "0", "message": "at least 1"}]})") ==
        "HTTP 422 Unprocessable Content (manifest_shape): 1 violation\n"
        "  - _:db mpli:quantity: at least 1 (value 0)\n");
  CHECK(format_problem(422, R"({"title": "Unprocessable Content",
                                "reason": "credential_refused", "trust_reason": "revoked"})") ==
        "HTTP 422 Unprocessable Content (credential_refused)\n"
        "  trust refused the credential: revoked\n");
}

TEST_CASE("a refusal that is not problem+json prints its status and text") {
  CHECK(format_problem(502, "Bad Gateway") == "HTTP 502: Bad Gateway\n");
  CHECK(format_problem(504, "") == "HTTP 504\n");
}
