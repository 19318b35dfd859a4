// The local PostgreSQL (libs/process, as `mpli up` and the test fixtures start it) asks every
// connection for the generated password, keeps that password in a file only its owner reads,
// converts a data directory made before passwords, and refuses one whose password is lost.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "libs/process/child_process.h"
#include "libs/process/local_servers.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
process::PostgresOptions options_in(const std::string& dir) {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  process::PostgresOptions options;
  options.data_dir = dir + "/postgres/data";
  options.socket_dir = dir + "/postgres";
  options.port = *port;
  options.durable = false;
  return options;
}

// A connection string that can only succeed without a password: a password in the client's
// environment or a ~/.pgpass must not stand in for the one the test leaves out.
std::string without_password(const std::string& host, int port) {
  return "host=" + host + " port=" + std::to_string(port) +
         " dbname=mpli user=postgres passfile=/dev/null connect_timeout=5";
}

// The libpq error of a refused connection, or "" when the connection succeeded.
std::string refusal(const std::string& dsn) {
  try {
    pqxx::connection c(dsn);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("PostgreSQL asks every connection for the password kept in a 0600 file") {
  unsetenv("PGPASSWORD");
  testing::TempDir dir;
  auto options = options_in(dir.path());
  auto server = process::PostgresServer::start(options, 60s);
  REQUIRE(server.is_ok());

  std::string password_file = server->password_file();
  CHECK(password_file == dir.path() + "/postgres/password");
  struct stat info {};
  REQUIRE(stat(password_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  std::string password = first_line(password_file);
  CHECK(password.size() >= 32);

  // Over loopback and over the unix socket: no password, a wrong one, then the right one.
  for (const std::string& host : {std::string("127.0.0.1"), options.socket_dir}) {
    INFO("host " << host);
    std::string anonymous = without_password(host, options.port);
    std::string no_password = refusal(anonymous);
    CHECK(contains(no_password, "password"));
    CHECK(contains(refusal(anonymous + " password=wrong" + password),
                   "password authentication failed"));
    CHECK(refusal(anonymous + " password=" + password) == "");
  }
  // The DSN handed to services carries the password and works.
  pqxx::connection c(server->dsn());
  CHECK(c.is_open());
}

TEST_CASE("a data directory made before passwords is converted at its next start") {
  unsetenv("PGPASSWORD");
  testing::TempDir dir;
  auto options = options_in(dir.path());
  std::string user = process::postgres_run_as_user();
  // What earlier versions did: initdb with every connection trusted, and no password file.
  std::filesystem::create_directories(options.data_dir);
  if (!user.empty()) {
    process::Spec chown;
    chown.program = "chown";
    chown.args = {"-R", user, dir.path() + "/postgres"};
    REQUIRE(process::run(chown, 30s)->exit_code == 0);
  }
  process::Spec initdb;
  initdb.program = "/usr/lib/postgresql/15/bin/initdb";
  if (const char* bin = std::getenv("MPLI_PG_BIN")) initdb.program = std::string(bin) + "/initdb";
  initdb.args = {"-D",       options.data_dir,   "-U",
                 "postgres", "--auth=trust",     "-E",
                 "UTF8",     "--locale=C.UTF-8", "--no-instructions",
                 "--no-sync"};
  initdb.run_as_user = user;
  auto initialised = process::run(initdb, 120s);
  REQUIRE(initialised.is_ok());
  REQUIRE(initialised->exit_code == 0);
  REQUIRE_FALSE(std::filesystem::exists(dir.path() + "/postgres/password"));

  auto server = process::PostgresServer::start(options, 60s);
  INFO((server.is_ok() ? "" : server.status().message()));
  REQUIRE(server.is_ok());
  struct stat info {};
  REQUIRE(stat(server->password_file().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(contains(refusal(without_password("127.0.0.1", options.port)), "password"));
  CHECK(contains(refusal(without_password(options.socket_dir, options.port)), "password"));
  pqxx::connection c(server->dsn());
  CHECK(c.is_open());
}

TEST_CASE("a data directory whose password file is lost is refused with what to do") {
  testing::TempDir dir;
  auto options = options_in(dir.path());
  std::string password_file;
  {
    auto first = process::PostgresServer::start(options, 60s);
    REQUIRE(first.is_ok());
    password_file = first->password_file();
    first->stop(10s);
  }
  std::filesystem::remove(password_file);

  auto again = process::PostgresServer::start(options, 60s);
  REQUIRE_FALSE(again.is_ok());
  INFO(again.status().message());
  CHECK(contains(again.status().message(), password_file + " is missing"));
  CHECK(contains(again.status().message(), "remove " + dir.path() + "/postgres/data"));
  // Nothing was started: the port is still free.
  CHECK_FALSE(process::tcp_port_open("127.0.0.1", options.port));
}

TEST_CASE("a restart on the same data directory keeps the password") {
  testing::TempDir dir;
  auto options = options_in(dir.path());
  std::string dsn;
  {
    auto first = process::PostgresServer::start(options, 60s);
    REQUIRE(first.is_ok());
    dsn = first->dsn();
    first->stop(10s);
  }
  auto again = process::PostgresServer::start(options, 60s);
  REQUIRE(again.is_ok());
  CHECK(again->dsn() == dsn);
  pqxx::connection c(again->dsn());
  CHECK(c.is_open());
}
