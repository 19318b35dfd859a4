// docs/publish-a-manifest.md as a test: every ```sh block of the page runs, in order, in one
// scratch directory against a real local federation (`mpli up`, no demo providers), and must
// exit 0 with each line of the ```text block after it somewhere in its output. A page that no
// longer matches what the software does fails here.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"

using namespace mpli;
using namespace mpli::fixture;
using namespace std::chrono_literals;

namespace {

struct Step {
  std::string commands;             // a ```sh block
  std::vector<std::string> output;  // the lines of the ```text block after it
};

// The page's ```sh blocks, each with the ```text block that follows it (if any).
std::vector<Step> steps_of(const std::string& page) {
  std::vector<Step> steps;
  std::istringstream in(page);
  std::string line;
  std::string fence;  // the block being read: "sh", "text", or "" outside one
  while (std::getline(in, line)) {
    if (fence.empty()) {
      if (line == "```sh") {
        fence = "sh";
        steps.push_back({});
      } else if (line == "```text" && !steps.empty()) {
        fence = "text";
      }
      continue;
    }
    if (line == "```") {
      fence.clear();
    } else if (fence == "sh") {
      steps.back().commands += line + "\n";
    } else if (!line.empty()) {
      steps.back().output.push_back(line);
    }
  }
  return steps;
}

}  // namespace

TEST_CASE("docs/publish-a-manifest.md runs as written against a local federation") {
  std::string page = read_file(std::string(MPLI_SOURCE_DIR) + "/docs/publish-a-manifest.md");
  std::vector<Step> steps = steps_of(page);
  REQUIRE(steps.size() >= 4);

  testing::TempDir dir;
  Federation f = federation_in(dir.path(), {"--demo-dir", "none"});
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  wait_until_ready(f, *federation, 90s);

  std::string work = dir.path() + "/provider";
  std::filesystem::create_directories(work);
  for (const Step& step : steps) {
    INFO("commands:\n" << step.commands);
    process::Spec spec;
    spec.program = "/bin/bash";
    spec.args = {"-euo", "pipefail", "-c", step.commands};
    spec.working_directory = work;
    spec.environment = {{"PATH", testing::bin_dir() + ":/usr/local/bin:/usr/bin:/bin"},
                        {"MPLI_HUB", "http://127.0.0.1:" + std::to_string(f.http_port)},
                        {"MPLI_STATE_DIR", f.state_dir},
                        {"HOME", dir.path()}};
    auto ran = process::run(spec, 120s);
    REQUIRE(ran.is_ok());
    INFO("output:\n" << ran->output);
    REQUIRE(ran->exit_code == 0);
    for (const std::string& expected : step.output) {
      INFO("expected line: " << expected);
      CHECK(ran->output.find(expected) != std::string::npos);
    }
  }
  stop_federation(*federation, 60s);
}
