#include "libs/process/local_servers.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <vector>

namespace mpli::process {
namespace fs = std::filesystem;
namespace {

// Polls `ready` until it holds or the deadline passes, checking that the process still lives.
Status wait_until(ChildProcess& process, std::chrono::milliseconds within,
                  const std::function<bool()>& ready, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + within;
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    if (ready()) return Status::ok();
    if (!process.running()) return unavailable(what + " exited during start-up");
    if (std::chrono::steady_clock::now() >= deadline) {
      return deadline_exceeded(what + " not ready within " + std::to_string(within.count()) +
                               " ms");
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(100)) pause *= 2;
  }
}

Status hand_to_user(const std::string& path, const std::string& user) {
  if (user.empty()) return Status::ok();
  struct passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) return not_found("no such user '" + user + "'");
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return internal_error("cannot give " + path + " to user " + user);
  }
  return Status::ok();
}

std::string tail_of_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

constexpr const char* kPasswordMethod = "scram-sha-256";

std::string random_password() {
  unsigned char bytes[32];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    filled += static_cast<size_t>(n);
  }
  // Hex: nothing in a libpq connection string or a SQL literal needs quoting.
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

// Creates `path` with `text`, readable by its owner only; `user` (may be "") becomes its owner.
Status write_private_file(const std::string& path, const std::string& text,
                          const std::string& user) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return internal_error("cannot create " + path + ": " + std::strerror(errno));
  bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return internal_error("cannot write " + path);
  }
  return hand_to_user(path, user);
}

// The superuser password: read from `path`, or generated and stored there on the first start.
Result<std::string> load_or_create_password(const std::string& path, const std::string& user) {
  if (!fs::exists(path)) {
    std::string password = random_password();
    if (password.empty()) return internal_error("cannot generate a password: no randomness");
    MPLI_RETURN_IF_ERROR(write_private_file(path, password + "\n", user));
    return password;
  }
  // Whoever can read the file is superuser; narrow what an editor or a copy may have widened.
  struct stat info {};
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & 0077) != 0) chmod(path.c_str(), 0600);
  std::ifstream in(path);
  std::string password;
  std::getline(in, password);
  while (!password.empty() && std::isspace(static_cast<unsigned char>(password.back()))) {
    password.pop_back();
  }
  if (password.empty()) {
    return failed_precondition("the PostgreSQL password file " + path +
                               " is empty or unreadable; write the password on its first line");
  }
  return password;
}

// True when pg_hba.conf lets anyone in without a password: data directories made before
// mpli used passwords were initialised with --auth=trust.
bool hba_trusts_anyone(const fs::path& hba_path) {
  std::ifstream in(hba_path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string field;
    while (fields >> field) {
      if (field == "trust") return true;
    }
  }
  return false;
}

// Rewrites pg_hba.conf with every `trust` method replaced by SCRAM passwords. Written beside
// and renamed, so a crash leaves the old file or the new one, each readable by `user`.
Status require_passwords_in_hba(const fs::path& hba_path, const std::string& user) {
  std::ifstream in(hba_path);
  if (!in) return internal_error("cannot read " + hba_path.string());
  std::ostringstream out;
  out << "# Converted by mpli from trust to " << kPasswordMethod
      << ": the password is in mpli's password file.\n";
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    std::string rule = line.substr(0, hash);
    std::istringstream fields(rule);
    std::string field;
    std::vector<std::string> tokens;
    while (fields >> field) tokens.push_back(field == "trust" ? kPasswordMethod : field);
    if (tokens.empty()) {
      out << line << "\n";
      continue;
    }
    for (size_t i = 0; i < tokens.size(); ++i) out << (i > 0 ? " " : "") << tokens[i];
    out << (hash == std::string::npos ? "" : " " + line.substr(hash)) << "\n";
  }
  std::string converted = hba_path.string() + ".mpli-new";
  std::error_code ec;
  fs::remove(converted, ec);
  MPLI_RETURN_IF_ERROR(write_private_file(converted, out.str(), user));
  fs::rename(converted, hba_path, ec);
  if (ec) return internal_error("cannot replace " + hba_path.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace

Result<NatsServer> NatsServer::start(const NatsServerOptions& given,
                                     std::chrono::milliseconds ready_within) {
  NatsServerOptions options = given;
  std::error_code ec;
  fs::create_directories(options.state_dir + "/jetstream", ec);
  if (ec) return internal_error("cannot create " + options.state_dir + ": " + ec.message());
  if (options.log_file.empty()) options.log_file = options.state_dir + "/nats.log";

  // Limits are explicit: by default JetStream may claim 75% of the machine's memory.
  std::string config_path = options.state_dir + "/nats.conf";
  {
    std::ofstream conf(config_path, std::ios::trunc);
    conf << "# Generated by mpli; edits are overwritten at the next start.\n"
         << "listen: 127.0.0.1:" << options.port << "\n";
    if (options.monitor_port > 0) conf << "http: 127.0.0.1:" << options.monitor_port << "\n";
    conf << "max_payload: 8MB\n"
         << "jetstream {\n"
         << "  store_dir: \"" << options.state_dir << "/jetstream\"\n"
         << "  max_memory_store: " << options.max_memory_store << "\n"
         << "  max_file_store: " << options.max_file_store << "\n"
         << "}\n";
    if (!conf) return internal_error("cannot write " + config_path);
  }

  Spec spec;
  spec.program = "nats-server";
  spec.args = {"-c", config_path};
  spec.output_file = options.log_file;
  spec.run_as_user = options.run_as_user;
  auto child = ChildProcess::spawn(spec);
  if (!child) return child.status();
  NatsServer server(options, std::move(child).value());
  Status ready = wait_until(
      server.process_, ready_within,
      [&] {
        std::string info = tcp_greeting("127.0.0.1", options.port, std::chrono::milliseconds(200));
        return info.rfind("INFO ", 0) == 0 && info.find("\"jetstream\":true") != std::string::npos;
      },
      "nats-server on port " + std::to_string(options.port));
  if (!ready.is_ok()) {
    return Status(ready.code(), ready.message() + "; log: " + tail_of_file(options.log_file, 800));
  }
  return server;
}

int NatsServer::stop(std::chrono::milliseconds grace) { return process_.stop(SIGTERM, grace); }

std::string postgres_run_as_user() { return geteuid() == 0 ? "postgres" : ""; }

namespace {

// Starts postgres on an initialised data directory and waits until it accepts connections.
Result<ChildProcess> launch_postgres(const PostgresOptions& options, const fs::path& data_dir,
                                     const std::string& user,
                                     std::chrono::milliseconds ready_within) {
  Spec postgres;
  postgres.program = options.bin_dir + "/postgres";
  postgres.args = {
      "-D", data_dir.string(),     "-p", std::to_string(options.port),
      "-k", options.socket_dir,    "-c", "listen_addresses=127.0.0.1",
      "-c", "max_connections=200", "-c", std::string("password_encryption=") + kPasswordMethod};
  if (!options.durable) {
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      postgres.args.push_back("-c");
      postgres.args.push_back(setting);
    }
  }
  postgres.run_as_user = user;
  postgres.output_file = options.log_file;
  auto child = ChildProcess::spawn(postgres);
  if (!child) return child.status();

  Spec ready_probe;
  ready_probe.program = options.bin_dir + "/pg_isready";
  ready_probe.args = {"-q", "-h", "127.0.0.1", "-p", std::to_string(options.port)};
  Status ready = wait_until(
      *child, ready_within,
      [&] {
        auto probe = run(ready_probe, std::chrono::seconds(5));
        return probe && probe->exit_code == 0;
      },
      "PostgreSQL on port " + std::to_string(options.port));
  if (!ready.is_ok()) {
    return Status(ready.code(), ready.message() + "; log: " + tail_of_file(options.log_file, 800));
  }
  return child;
}

// psql as the superuser over loopback, the password in its environment (not in its arguments,
// which every local user can read in the process list).
Spec psql_spec(const PostgresOptions& options, const std::string& password) {
  Spec psql;
  psql.program = options.bin_dir + "/psql";
  psql.args = {"-h", "127.0.0.1",       "-p", std::to_string(options.port),
               "-U", "postgres",        "-d", "postgres",
               "-v", "ON_ERROR_STOP=1", "-tA"};
  psql.environment = {{"PGPASSWORD", password}, {"PGCONNECT_TIMEOUT", "10"}};
  return psql;
}

// Gives the superuser its password while the old trust rules still let us in, then makes
// pg_hba.conf ask for it. Safe to repeat after a crash part-way: the password comes from the
// same file each time.
Status convert_trust_to_password(const PostgresOptions& options, const fs::path& data_dir,
                                 const std::string& user, const std::string& password,
                                 std::chrono::milliseconds ready_within) {
  auto server = launch_postgres(options, data_dir, user, ready_within);
  if (!server) return server.status();
  // The statement holds the password, so it goes through a private file, not psql's arguments.
  std::string sql_path = options.password_file + ".set-password.sql";
  std::error_code ec;
  fs::remove(sql_path, ec);
  Status status = write_private_file(sql_path,
                                     std::string("SET password_encryption = '") + kPasswordMethod +
                                         "';\nALTER ROLE postgres PASSWORD '" + password + "';\n",
                                     "");
  if (status.is_ok()) {
    Spec psql = psql_spec(options, password);
    psql.args.insert(psql.args.end(), {"-q", "-f", sql_path});
    auto done = run(psql, std::chrono::seconds(30));
    if (!done) {
      status = done.status();
    } else if (done->exit_code != 0) {
      status = internal_error("cannot set the PostgreSQL password: " + done->output);
    }
  }
  fs::remove(sql_path, ec);
  if (status.is_ok()) status = require_passwords_in_hba(data_dir / "pg_hba.conf", user);
  // A restart rather than a reload: once start() returns, no connection may get in on the
  // old rules.
  server->stop(SIGINT, std::chrono::seconds(30));
  return status;
}

}  // namespace

Result<PostgresServer> PostgresServer::start(const PostgresOptions& given,
                                             std::chrono::milliseconds ready_within) {
  PostgresOptions options = given;
  if (options.bin_dir.empty()) {
    const char* env = std::getenv("MPLI_PG_BIN");
    options.bin_dir = env != nullptr ? env : "/usr/lib/postgresql/15/bin";
  }
  if (options.socket_dir.empty()) options.socket_dir = options.data_dir;
  fs::path data_dir = fs::absolute(options.data_dir);
  if (options.log_file.empty())
    options.log_file = (data_dir.parent_path() / "postgres.log").string();
  if (options.password_file.empty()) {
    options.password_file = (data_dir.parent_path() / "password").string();
  }
  options.password_file = fs::absolute(options.password_file).string();
  std::string user = postgres_run_as_user();

  std::error_code ec;
  fs::create_directories(data_dir, ec);
  fs::create_directories(options.socket_dir, ec);
  if (ec) return internal_error("cannot create " + data_dir.string() + ": " + ec.message());
  MPLI_RETURN_IF_ERROR(hand_to_user(data_dir.string(), user));
  MPLI_RETURN_IF_ERROR(hand_to_user(options.socket_dir, user));
  chmod(data_dir.c_str(), 0700);

  bool initialised = fs::exists(data_dir / "PG_VERSION");
  bool trusts_anyone = initialised && hba_trusts_anyone(data_dir / "pg_hba.conf");
  if (initialised && !trusts_anyone && !fs::exists(options.password_file)) {
    return failed_precondition(
        "PostgreSQL in " + data_dir.string() + " asks for a password, but its password file " +
        options.password_file + " is missing. Put the password back there (one line, mode " +
        "0600), or remove " + data_dir.string() + " to start again with an empty database.");
  }
  // Owned by the server's user: initdb, running as that user, reads it.
  auto password = load_or_create_password(options.password_file, user);
  if (!password) return password.status();

  if (!initialised) {
    Spec initdb;
    initdb.program = options.bin_dir + "/initdb";
    initdb.args = {"-D",
                   data_dir.string(),
                   "-U",
                   "postgres",
                   std::string("--auth=") + kPasswordMethod,
                   "--pwfile=" + options.password_file,
                   "-E",
                   "UTF8",
                   "--locale=C.UTF-8",
                   "--no-instructions"};
    if (!options.durable) initdb.args.push_back("--no-sync");
    initdb.run_as_user = user;
    auto done = run(initdb, std::chrono::minutes(2));
    if (!done) return done.status();
    if (done->exit_code != 0) {
      return internal_error("initdb failed for " + data_dir.string() + " (are the directory " +
                            "and " + options.password_file + " reachable by user '" +
                            (user.empty() ? "current" : user) + "'?): " + done->output);
    }
  } else if (trusts_anyone) {
    MPLI_RETURN_IF_ERROR(
        convert_trust_to_password(options, data_dir, user, *password, ready_within));
  }

  auto child = launch_postgres(options, data_dir, user, ready_within);
  if (!child) return child.status();
  PostgresServer server(options, *password, std::move(child).value());

  // CREATE DATABASE has no IF NOT EXISTS; a restart finds it already there, which is fine.
  Spec psql = psql_spec(options, *password);
  psql.args.push_back("-c");
  psql.args.push_back("SELECT 1 FROM pg_database WHERE datname = '" + options.database + "'");
  auto exists = run(psql, std::chrono::seconds(30));
  if (!exists || exists->exit_code != 0) {
    return internal_error("cannot query PostgreSQL: " +
                          (exists ? exists->output : exists.status().message()));
  }
  if (exists->output.find('1') == std::string::npos) {
    psql.args.back() = "CREATE DATABASE \"" + options.database + "\"";
    auto created = run(psql, std::chrono::seconds(30));
    if (!created || created->exit_code != 0) {
      return internal_error("cannot create database " + options.database + ": " +
                            (created ? created->output : created.status().message()));
    }
  }
  return server;
}

std::string PostgresServer::dsn() const {
  return "host=127.0.0.1 port=" + std::to_string(options_.port) + " dbname=" + options_.database +
         " user=postgres password=" + password_ + " connect_timeout=5";
}

int PostgresServer::stop(std::chrono::milliseconds grace) { return process_.stop(SIGINT, grace); }

}  // namespace mpli::process
