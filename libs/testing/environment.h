// Test fixtures on real components: a nats-server and a PostgreSQL started for one test on
// free ports in a temporary directory, a service binary started against them, and a small
// HTTP client. Readiness is polled against deadlines; nothing sleeps a fixed time.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/http/client.h"
#include "libs/process/child_process.h"
#include "libs/process/local_servers.h"
#include "libs/process/temp_directory.h"

namespace mpli::testing {

// A directory under /tmp removed (with everything in it) when the object goes; readable by
// others (PostgreSQL runs as `postgres` when the tests run as root). Throws when it cannot be made.
class TempDir {
 public:
  TempDir();
  const std::string& path() const { return dir_.path(); }

 private:
  process::TempDirectory dir_;
};

// Fails the current test (throws) with `message` when `condition` does not hold by the deadline.
void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds within,
                const std::string& message);

// What a wait for a process may also watch.
struct WaitWatch {
  // Why the condition can no longer come true ("mpli up exited"), or "" while it can: the wait
  // fails at once instead of at its deadline.
  std::function<std::string()> hopeless;
  // Added to either failure's message: what the process waited for printed.
  std::function<std::string()> details;
};
void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds within,
                const std::string& message, const WaitWatch& watch);

class TestNats {
 public:
  explicit TestNats(const std::string& dir, int port = 0);  // 0 = a free port
  std::string url() const { return server_->url(); }
  int port() const { return server_->port(); }
  void stop();
  void start();  // again, on the same port and store

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<process::NatsServer> server_;
};

struct TestPostgresOptions {
  // wal_level=logical with room for replication slots and WAL senders: a server that can be a
  // logical replication publisher (the default keeps PostgreSQL's own settings).
  bool logical_replication = false;
};

class TestPostgres {
 public:
  explicit TestPostgres(const std::string& dir, TestPostgresOptions options = {});
  std::string dsn() const { return server_->dsn(); }
  int port() const { return port_; }
  // Its Unix socket's directory: a private one under /tmp, removed by stop().
  std::string socket_dir() const { return server_->socket_dir(); }
  void stop();
  void start();  // again, on the same port and data

 private:
  std::string dir_;
  int port_;
  TestPostgresOptions options_;
  std::unique_ptr<process::PostgresServer> server_;
};

// Where the build put the service binaries (MPLI_BIN_DIR at compile time).
std::string bin_dir();
// The text of ontology/examples/<name> in the source tree; fails the test when unreadable.
std::string read_example(const std::string& name);
// `text` with its first `from` replaced by `to`; throws std::invalid_argument naming `from`
// when `text` holds none (a test's edit that misses its mark would test nothing).
std::string replace_first(std::string text, const std::string& from, const std::string& to);

// Starts build/bin/<binary> with the given environment, output to <log_dir>/<binary>.log.
process::ChildProcess start_binary(const std::string& binary,
                                   const std::map<std::string, std::string>& environment,
                                   const std::string& log_dir);

// HTTP for tests is the project's small client (libs/http).
using HttpResponse = http::Response;
inline HttpResponse http_get(const std::string& url,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return http::request("GET", url, "", {}, timeout);
}
inline HttpResponse http_request(const std::string& method, const std::string& url,
                                 const std::string& body = "",
                                 const std::vector<std::string>& headers = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return http::request(method, url, body, headers, timeout);
}

}  // namespace mpli::testing
