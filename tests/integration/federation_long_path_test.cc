// `mpli up` in a deep state directory: PostgreSQL's Unix socket may have a path of at most 107
// bytes, so the launcher must not put it inside the state directory (which it once did, and
// `mpli up` from a deep checkout stopped with "could not create any Unix-domain sockets").
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"

using namespace mpli;
using namespace mpli::fixture;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A path of exactly `length` characters under `base`, in directories of at most 60.
std::string deep_path(const std::string& base, size_t length) {
  std::string path = base;
  while (path.size() + 62 < length) path += "/" + std::string(60, 'd');
  if (path.size() + 1 < length) path += "/" + std::string(length - path.size() - 1, 's');
  return path;
}

}  // namespace

TEST_CASE("mpli up starts and stops cleanly in a 150-character state directory") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path());
  f.state_dir = deep_path(dir.path(), 150);
  REQUIRE(f.state_dir.size() == 150);
  REQUIRE(f.spec.args[1] == "--state-dir");
  f.spec.args[2] = f.state_dir;

  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  wait_until_ready(f, *federation, 90s);

  // Every PostgreSQL server it started (its own and the demo providers') has its socket in a
  // directory short enough, and the socket is there.
  std::vector<std::string> socket_dirs;
  for (pid_t pid : descendants(federation->pid())) {
    auto args = arguments_of(pid);
    if (args.empty() || fs::path(args[0]).filename() != "postgres") continue;
    std::string socket_dir = argument_after(args, "-k");
    if (socket_dir.empty()) continue;  // a backend, not a postmaster
    std::string socket = socket_dir + "/.s.PGSQL." + argument_after(args, "-p");
    INFO("postgres pid " << pid << ", socket " << socket);
    CHECK(socket.size() <= 107);
    CHECK(fs::exists(socket));
    socket_dirs.push_back(socket_dir);
  }
  std::string up_log = read_file(f.up_log);
  INFO("mpli up said:\n" << up_log);
  REQUIRE_FALSE(socket_dirs.empty());
  CHECK(up_log.find("did not start") == std::string::npos);
  CHECK(up_log.find("Unix-domain") == std::string::npos);

  stop_federation(*federation, 60s);
  // The private socket directories go with their servers.
  for (const auto& socket_dir : socket_dirs) {
    INFO(socket_dir);
    CHECK_FALSE(fs::exists(socket_dir));
  }
}
