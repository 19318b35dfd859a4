// PostgreSQL in a deep directory: a Unix socket's path may have at most 107 bytes, so the
// socket lives in a short private directory of its own, not next to the data (where it once
// was, and a deep state directory stopped `mpli up` with "could not create any Unix-domain
// sockets"). `mpli up` itself in a deep directory: federation_long_path_test.cc.
#include <catch2/catch.hpp>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>

#include "libs/process/local_servers.h"
#include "libs/testing/environment.h"

using namespace mpli;
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

TEST_CASE("PostgreSQL in a 150-character directory serves its socket from a short private one") {
  testing::TempDir dir;
  const std::string deep = deep_path(dir.path(), 150);
  REQUIRE(deep.size() == 150);
  testing::TestPostgres pg(deep);
  const std::string socket_dir = pg.socket_dir();
  const std::string socket = socket_dir + "/.s.PGSQL." + std::to_string(pg.port());
  INFO("socket " << socket);
  CHECK(socket.size() <= 107);
  CHECK(fs::exists(socket));
  // Private to the server's user: no other local user can see or plant a socket in it.
  CHECK((fs::status(socket_dir).permissions() & fs::perms::others_all) == fs::perms::none);
  CHECK((fs::status(socket_dir).permissions() & fs::perms::group_all) == fs::perms::none);

  // Over the socket, as over loopback, with the password.
  std::string dsn = pg.dsn();
  const std::string loopback = "host=127.0.0.1";
  REQUIRE(dsn.find(loopback) != std::string::npos);
  dsn.replace(dsn.find(loopback), loopback.size(), "host=" + socket_dir);
  {
    pqxx::connection over_socket(dsn);
    pqxx::nontransaction tx(over_socket);
    CHECK(tx.exec1("SELECT 1")[0].as<int>() == 1);
  }

  pg.stop();
  CHECK_FALSE(fs::exists(socket_dir));  // gone with its server
}

TEST_CASE("a socket directory too long for its socket is refused before anything starts") {
  testing::TempDir dir;
  process::PostgresOptions options;
  options.data_dir = dir.path() + "/data";
  options.socket_dir = deep_path(dir.path(), 100);
  options.port = 54321;
  auto refused = process::PostgresServer::start(options, 10s);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(refused.status().message().find("socket_dir") != std::string::npos);
  CHECK(refused.status().message().find("107") != std::string::npos);
  CHECK_FALSE(fs::exists(options.data_dir));  // no initdb, nothing created
  CHECK_FALSE(fs::exists(options.socket_dir));
}
