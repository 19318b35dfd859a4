// The web console in Chromium against a real local federation: `mpli up` on free ports (every
// service, PostgreSQL, nats-server, the three demo providers), then tests/browser/console_test.js
// (playwright-core driving Debian's headless chromium) clicks through browse -> filter ->
// offering -> sign in -> resolve -> order (followed live to active: nordwolke's worker creates
// the database) -> move it to polderstack (followed live through its steps), and saves
// screenshots under build/tests/browser-screenshots.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {

// True when a listener could bind 127.0.0.1:`port` now.
bool bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A port whose next three are free too (`mpli up` puts the demo providers there), below the
// kernel's ephemeral range so other tests' outgoing connections cannot take them meanwhile.
int free_port_block(const std::vector<int>& taken) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> base(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = base(random);
    bool clear = true;
    for (int other : taken) clear = clear && std::abs(port - other) >= 8;
    for (int i = 0; i <= 3; ++i) clear = clear && bindable(port + i);
    if (clear) return port;
  }
  FAIL("no block of four free ports");
  return 0;
}

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// The last non-empty line of `text` (where `mpli token create` prints the token).
std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

TEST_CASE(
    "the web console in Chromium: browse, filter, open an offering, sign in, resolve, order, "
    "move") {
  const std::string node = env_or("MPLI_NODE", "/usr/bin/node");
  const std::string chromium = env_or("MPLI_CHROMIUM", "/usr/bin/chromium");
  // Where the script looks for playwright-core: the build's configured node_modules, then
  // whatever NODE_PATH already says.
  std::string node_path = MPLI_NODE_MODULES;
  if (const char* extra = std::getenv("NODE_PATH"); extra != nullptr && *extra != '\0') {
    node_path += std::string(":") + extra;
  }
  {
    // Scoped: only these checks' failures are about missing tools.
    INFO(
        "needs Debian's nodejs and chromium (scripts/packages.d) and playwright-core from npm "
        "(scripts/install-npm-tools.sh) in " MPLI_NODE_MODULES " or on NODE_PATH");
    REQUIRE(executable(node));
    REQUIRE(executable(chromium));
    process::Spec probe;
    probe.program = node;
    probe.args = {"-e", "require('playwright-core')"};
    probe.environment["NODE_PATH"] = node_path;
    auto found = process::run(probe, 60s);
    REQUIRE(found.is_ok());
    INFO(found->output);
    REQUIRE(found->exit_code == 0);
  }

  testing::TempDir dir;
  int http_port = free_port_block({});
  int nats_port = free_port_block({http_port});
  int pg_port = free_port_block({http_port, nats_port});
  std::string state = dir.path() + "/state";
  std::string base = "http://127.0.0.1:" + std::to_string(http_port);
  process::Spec up;
  up.program = testing::bin_dir() + "/mpli";
  up.args = {"up",
             "--state-dir",
             state,
             "--port",
             std::to_string(http_port),
             "--nats-port",
             std::to_string(nats_port),
             "--postgres-port",
             std::to_string(pg_port)};
  up.output_file = dir.path() + "/up.log";
  auto federation = process::ChildProcess::spawn(up);
  REQUIRE(federation.is_ok());

  testing::wait_until([&] { return testing::http_get(base + "/readyz").status == 200; }, 90s,
                      "the federation is ready (see up.log)");
  testing::wait_until(
      [&] {
        auto r = testing::http_get(base + "/.well-known/mpli-providers");
        return r.status == 200 && nlohmann::json::parse(r.body)["providers"].size() == 3;
      },
      60s, "the three demo providers are registered");

  // A consumer token: resolutions need one, and the console sends it once signed in.
  std::string token;
  {
    process::Spec create;
    create.program = testing::bin_dir() + "/mpli";
    create.args = {"token",    "create",       "--role",  "consumer",
                   "--tenant", "browser-test", "--state", state};
    auto created = process::run(create, 30s);
    REQUIRE(created.is_ok());
    INFO(created->output);
    REQUIRE(created->exit_code == 0);
    token = last_line(created->output);
    REQUIRE_FALSE(token.empty());
  }
  const std::string manifest =
      std::string(MPLI_SOURCE_DIR) + "/ontology/examples/consumer-web-shop.ttl";

  // The demo consumer's credentials are verified in the background after start; resolve with
  // the CLI until the manifest finds answers, so the browser sees a settled federation.
  testing::wait_until(
      [&] {
        process::Spec cli;
        cli.program = testing::bin_dir() + "/mpli";
        cli.args = {"resolve", manifest, "--gateway", base};
        cli.environment["MPLI_TOKEN"] = token;
        auto completed = process::run(cli, 60s);
        return completed.is_ok() && completed->exit_code == 0;
      },
      90s, "mpli resolve consumer-web-shop.ttl finds answers");

  std::string screenshots = MPLI_SCREENSHOT_DIR;
  std::filesystem::create_directories(screenshots);
  process::Spec script;
  script.program = node;
  script.args = {std::string(MPLI_SOURCE_DIR) + "/tests/browser/console_test.js"};
  script.environment = {{"NODE_PATH", node_path},
                        {"MPLI_CONSOLE_URL", base},
                        {"MPLI_CONSOLE_MANIFEST", manifest},
                        {"MPLI_CONSOLE_TOKEN", token},
                        {"MPLI_SCREENSHOT_DIR", screenshots},
                        {"MPLI_CHROMIUM", chromium}};
  auto run = process::run(script, 480s);
  REQUIRE(run.is_ok());
  INFO(run->output);
  INFO("screenshots in " << screenshots << "; the federation's log: " << up.output_file);
  CHECK(run->exit_code == 0);
  CHECK(run->output.find("every step held") != std::string::npos);

  // Stops every process `mpli up` started (it forwards the signal and waits for them).
  federation->stop(SIGINT, 60s);
}
