// What the tests comparing `mpli manifest check` with the hub share: the example manifests of
// one kind, and the CLI's JSON report on one of them.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

namespace mpli::fixture {

// ontology/examples/<prefix>*.ttl and ontology/examples/invalid/<prefix>*.ttl, sorted.
inline std::vector<std::string> example_manifests(const std::string& prefix) {
  std::vector<std::string> examples;
  for (const char* dir : {"/ontology/examples", "/ontology/examples/invalid"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(MPLI_SOURCE_DIR) + dir)) {
      std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".ttl") {
        examples.push_back(entry.path().string());
      }
    }
  }
  std::sort(examples.begin(), examples.end());
  return examples;
}

// `mpli manifest check FILE --json`; its exit code must say what the report says.
inline nlohmann::json manifest_check_json(const std::string& file) {
  process::Spec spec;
  spec.program = testing::bin_dir() + "/mpli";
  spec.args = {"manifest", "check", file, "--json"};
  auto cli = process::run(spec, std::chrono::seconds(60));
  REQUIRE(cli.is_ok());
  nlohmann::json report = nlohmann::json::parse(cli->output);
  CHECK(cli->exit_code == (report["accepted"] == true ? 0 : 1));
  return report;
}

}  // namespace mpli::fixture
