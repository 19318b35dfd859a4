// Local nats-server and PostgreSQL processes, started and owned by `mpli up` and by the
// integration-test fixtures: generated config, readiness polled against a deadline, clean stop.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/process/nats_authorization.h"

namespace mpli::process {

struct NatsServerOptions {
  std::string state_dir;  // config, JetStream store and log live here
  int port = 4222;
  int monitor_port = 0;  // 0: no HTTP monitoring endpoint
  std::string max_memory_store = "256MB";
  std::string max_file_store = "2GB";
  std::string log_file;  // "" = <state_dir>/nats.log
  std::string run_as_user;
  // Empty: anyone may connect and do anything (the tests' servers). Otherwise only these users
  // may connect, each with its permissions (nats_authorization.h); nats.conf is then mode 0600.
  std::vector<NatsUser> users;
  // A node of a JetStream cluster: its unique server name, the cluster's name, the port its
  // routes listen on and its peers' route ports, all on 127.0.0.1 (the routes are not
  // authenticated: loopback only). An empty cluster_name makes a standalone server.
  std::string server_name;
  std::string cluster_name;
  int cluster_port = 0;
  std::vector<int> route_ports;
};

// The nats.conf `options` describe (pure; start() writes it).
Result<std::string> render_nats_config(const NatsServerOptions& options);

class NatsServer {
 public:
  // Writes <state_dir>/nats.conf, starts nats-server and waits until it accepts clients with
  // JetStream enabled (a cluster node: before its cluster has elected a JetStream leader; see
  // jetstream_healthy).
  static Result<NatsServer> start(const NatsServerOptions& options,
                                  std::chrono::milliseconds ready_within);
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(options_.port); }
  int port() const { return options_.port; }
  const NatsServerOptions& options() const { return options_; }
  ChildProcess& process() { return process_; }
  int stop(std::chrono::milliseconds grace);
  // True when the monitoring endpoint's /healthz answers 200: JetStream is usable here (in a
  // cluster: a meta leader is elected and this node is current). Needs monitor_port.
  bool jetstream_healthy() const;

 private:
  NatsServer(NatsServerOptions options, ChildProcess process)
      : options_(std::move(options)), process_(std::move(process)) {}
  NatsServerOptions options_;
  ChildProcess process_;
};

struct PostgresOptions {
  std::string data_dir;  // initialised with initdb when empty or missing
  // The Unix socket's directory. "" (the default): a private directory made for each run,
  // /tmp/mpli-pg-XXXXXX (0700, the server's user), removed at stop(): a socket's path may have
  // at most 107 bytes, which a directory inside a deep state directory overruns. A directory
  // given here must leave its socket path within that limit.
  std::string socket_dir;
  int port = 5432;                // also listened on at 127.0.0.1
  std::string database = "mpli";  // created when missing
  std::string log_file;           // "" = <data_dir>/../postgres.log
  // The superuser's password, generated at the first start, mode 0600; "" = <data_dir>/../password.
  std::string password_file;
  std::string bin_dir;  // "" = MPLI_PG_BIN or /usr/lib/postgresql/15/bin
  bool durable = true;  // false (tests): fsync off, for speed
};

// The directory of a PostgreSQL server's Unix socket: the one given, or a private one made
// for the run and removed (with the socket in it) when this goes. Move-only.
class SocketDirectory {
 public:
  // `given` empty: mkdtemp under /tmp. Otherwise `given`, created when missing, refused when
  // the socket path for `port` in it would exceed the kernel's limit. Owned by `user` ("" =
  // ourselves) so the server can create its socket there.
  static Result<SocketDirectory> make(const std::string& given, int port, const std::string& user);
  SocketDirectory() = default;
  SocketDirectory(SocketDirectory&& other) noexcept;
  SocketDirectory& operator=(SocketDirectory&& other) noexcept;
  SocketDirectory(const SocketDirectory&) = delete;
  SocketDirectory& operator=(const SocketDirectory&) = delete;
  ~SocketDirectory() { remove(); }
  const std::string& path() const { return path_; }
  // Removes a directory this made (not one given); idempotent.
  void remove();

 private:
  SocketDirectory(std::string path, bool owned) : path_(std::move(path)), owned_(owned) {}
  std::string path_;
  bool owned_ = false;
};

class PostgresServer {
 public:
  // initdb (as the `postgres` user when we are root: PostgreSQL refuses root), start, wait
  // until it accepts connections, create the database. Every connection, local or over
  // loopback, must give the password (SCRAM-SHA-256): without it any local user would be
  // superuser. A data directory from before passwords (trust) is converted on its first start.
  static Result<PostgresServer> start(const PostgresOptions& options,
                                      std::chrono::milliseconds ready_within);
  // What start() does before the server runs (initdb, the password file), leaving no server
  // running: callable on any thread, so several data directories can be initialised at once.
  // A server started from a thread that then ends would be killed with it (its parent-death
  // signal follows the thread that spawned it), so start() belongs on a long-lived thread.
  static Status initialise(const PostgresOptions& options, std::chrono::milliseconds ready_within);
  // libpq connection string for the database, password included: pass it to services through
  // their environment or a secret setting, never in arguments or logs.
  std::string dsn() const;
  // The same over the server's Unix socket, for programs on this machine: a statement's round
  // trip skips the TCP stack on both sides (in bench/delivery about a tenth of the CPU per
  // order went to loopback TCP).
  std::string socket_dsn() const;
  const std::string& password_file() const { return options_.password_file; }
  int port() const { return options_.port; }
  const PostgresOptions& options() const { return options_; }
  // Where its Unix socket is (a libpq host=); the private one is gone after stop().
  const std::string& socket_dir() const { return socket_dir_.path(); }
  ChildProcess& process() { return process_; }
  // Fast shutdown (SIGINT): active sessions are rolled back, data is flushed; then a private
  // socket directory is removed.
  int stop(std::chrono::milliseconds grace);

 private:
  PostgresServer(PostgresOptions options, std::string password, SocketDirectory socket_dir,
                 ChildProcess process)
      : options_(std::move(options)),
        password_(std::move(password)),
        socket_dir_(std::move(socket_dir)),
        process_(std::move(process)) {}
  PostgresOptions options_;
  std::string password_;
  SocketDirectory socket_dir_;  // declared before process_: removed after the server is gone
  ChildProcess process_;
};

// The user PostgreSQL runs as: "postgres" when we are root, "" (ourselves) otherwise.
std::string postgres_run_as_user();

}  // namespace mpli::process
