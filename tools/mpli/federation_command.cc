#include "tools/mpli/federation_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "libs/core/config.h"
#include "libs/core/services.h"
#include "libs/core/termination.h"
#include "libs/http/client.h"
#include "libs/process/child_process.h"
#include "libs/process/local_servers.h"
#include "libs/process/nats_authorization.h"
#include "libs/process/secrets.h"
#include "services/gateway/auth/hub_key.h"
#include "tools/mpli/demo_credentials.h"
#include "tools/mpli/demo_workers.h"
#include "tools/mpli/federation_options.h"
#include "tools/mpli/restart_policy.h"

namespace mpli::cli {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Start order; the stop order is the reverse.
const std::vector<std::string> kServices = [] {
  std::vector<std::string> all(kServiceNames.begin(), kServiceNames.end());
  all.emplace_back("gateway");
  return all;
}();

// The services `mpli up --cluster` runs twice.
bool second_instance_allowed(const std::string& name) {
  return name == "gateway" || name == "discovery" || name == "resolver" || name == "trust";
}

std::vector<std::string> arguments_after_command(int argc, char** argv) {
  return std::vector<std::string>(argv + 1, argv + argc);
}

std::string own_bin_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

void write_all(int fd, const std::string& text) {
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not stop the federation; stdout still has the line
    written += static_cast<size_t>(n);
  }
}

// Prefixes every line a child writes ("discovery | {...}") on stdout and appends it to the
// child's log file. Each line reaches the file with its own write(), so the logs can be
// followed (tail -f, or a test) while the federation runs rather than only after it stops.
class LogPump {
 public:
  LogPump() = default;
  LogPump(const LogPump&) = delete;
  LogPump& operator=(const LogPump&) = delete;
  ~LogPump() { join(); }

  // Reads `fd` until end of file on a thread of its own; takes ownership of `fd`.
  void follow(const std::string& prefix, int fd, const std::string& log_path) {
    reap_finished();
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread thread([this, prefix, fd, log_path, done] {
      int file = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      std::string pending;
      char buffer[4096];
      ssize_t n = 0;
      auto emit = [&](const std::string& line) {
        if (file >= 0) write_all(file, line + "\n");
        std::lock_guard<std::mutex> lock(stdout_mutex_);
        std::cout << prefix << " | " << line << '\n' << std::flush;
      };
      while ((n = read(fd, buffer, sizeof(buffer))) > 0 || (n < 0 && errno == EINTR)) {
        if (n < 0) continue;
        pending.append(buffer, static_cast<size_t>(n));
        size_t newline = 0;
        while ((newline = pending.find('\n')) != std::string::npos) {
          emit(pending.substr(0, newline));
          pending.erase(0, newline + 1);
        }
      }
      // The last words of a crashing child often lack their newline; they matter most.
      if (!pending.empty()) emit(pending);
      if (file >= 0) close(file);
      close(fd);
      *done = true;
    });
    followers_.push_back({std::move(thread), done});
  }

  void join() {
    for (auto& follower : followers_) {
      if (follower.thread.joinable()) follower.thread.join();
    }
    followers_.clear();
  }

  void say(const std::string& text) {
    std::lock_guard<std::mutex> lock(stdout_mutex_);
    std::cout << "mpli | " << text << '\n' << std::flush;
  }

 private:
  struct Follower {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  // Services may now be restarted without end; joining the threads of children that have
  // gone keeps their count bounded.
  void reap_finished() {
    for (auto it = followers_.begin(); it != followers_.end();) {
      if (*it->done) {
        it->thread.join();
        it = followers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::mutex stdout_mutex_;
  std::list<Follower> followers_;
};

// The hub's token key (<state>/hub-signing-key.pem, created 0600 when absent and kept: tokens
// already handed out stay valid across restarts) and an admin token signed with it, written
// anew (0600) at each start, so admin routes and the CLI work out of the box while only this
// user can read either. Returns the admin token.
Result<std::string> prepare_hub_key(const std::string& key_file, const std::string& token_file) {
  auto key = gateway::auth::load_or_create_signing_key(key_file);
  if (!key) return key.status();
  gateway::auth::TokenRequest request;
  request.role = gateway::auth::Role::kAdmin;
  request.subject = "mpli-up";
  request.ttl = std::chrono::hours(24 * 30);
  auto token = gateway::auth::mint_token(*key, request, std::chrono::system_clock::now());
  if (!token) return token.status();
  // Replaced, not rewritten in place: a file left readable by others is not reused.
  unlink(token_file.c_str());
  int fd = open(token_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return internal_error("cannot create " + token_file + ": " + std::strerror(errno));
  write_all(fd, *token + "\n");
  bool closed = close(fd) == 0;
  if (!closed) return internal_error("cannot write " + token_file + ": " + std::strerror(errno));
  return token;
}

// A NATS user of the federation and where its password is kept.
struct NatsLogin {
  std::string user;
  std::string password;
  std::string password_file;
};

// The users nats-server lets in: the hub's (kept in <state>/nats/users/<name>.password, 0600,
// the same across starts) and one per provider's worker. nats.conf gets bcrypt hashes only.
Result<std::map<std::string, NatsLogin>> prepare_nats_users(
    const std::string& users_dir, const std::vector<DemoProvider>& providers,
    std::vector<process::NatsUser>* config_users) {
  std::error_code ec;
  fs::create_directories(users_dir, ec);
  if (ec) return internal_error("cannot create " + users_dir + ": " + ec.message());
  chmod(users_dir.c_str(), 0700);
  std::vector<std::pair<std::string, process::NatsPermissions>> wanted;
  process::NatsPermissions unrestricted;
  unrestricted.unrestricted = true;
  for (const auto& name : process::hub_user_names()) wanted.emplace_back(name, unrestricted);
  for (const auto& provider : providers) {
    process::NatsPermissions permissions = process::worker_permissions(provider.provider_id);
    // The disk-image worker streams images through MPLI_TRANSFER (a known limit: it may read
    // every migration's transfer, see nats_authorization.h).
    if (provider.disk_image_worker) process::add_transfer_permissions(permissions);
    wanted.emplace_back(process::worker_user_name(provider.provider_id), std::move(permissions));
  }
  std::map<std::string, NatsLogin> logins;
  for (auto& [name, permissions] : wanted) {
    NatsLogin login{name, "", users_dir + "/" + name + ".password"};
    MPLI_ASSIGN_OR_RETURN(login.password, process::load_or_create_secret(login.password_file, ""));
    MPLI_ASSIGN_OR_RETURN(std::string hash, process::bcrypt_hash(login.password));
    config_users->push_back({name, hash, std::move(permissions)});
    logins[name] = login;
  }
  return logins;
}

// A demo provider's own PostgreSQL server, on which its worker creates the databases ordered.
struct ProviderDatabase {
  DemoProvider provider;
  process::PostgresOptions options;
  std::string dsn_file;   // the worker's --server-dsn-file (0600)
  std::string state_dir;  // the worker's --state-dir
  std::optional<process::PostgresServer> server;
};

ProviderDatabase provider_database(const DemoProvider& provider, const std::string& state_dir,
                                   const std::string& log_dir, int port) {
  ProviderDatabase database;
  database.provider = provider;
  std::string dir = state_dir + "/providers/" + provider.provider_id;
  database.options.data_dir = dir + "/postgres/data";
  database.options.password_file = dir + "/postgres/password";
  database.options.log_file = log_dir + "/postgres-" + provider.provider_id + ".log";
  database.options.port = port;
  database.options.database = "postgres";  // exists already: the worker creates the others
  database.dsn_file = dir + "/server.dsn";
  database.state_dir = dir + "/worker";
  return database;
}

// Written anew at each start: the port may have changed. Private: it holds the superuser's
// password.
Status write_dsn_file(const std::string& path, const std::string& dsn) {
  unlink(path.c_str());
  return process::write_private_file(path, dsn + "\n", "");
}

std::string pid_file(const std::string& state_dir) { return state_dir + "/federation.pid"; }

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

// The demo provider manifests: provider-*.ttl in the demo directory, sorted.
// The example manifests whose file names start with `prefix` ("provider-", "consumer-"), in
// the demo directory (default: the repository's ontology/examples).
std::vector<std::string> demo_files(const UpOptions& options, const std::string& bin_dir,
                                    const std::string& prefix) {
  std::string dir = options.demo_dir;
  if (dir == "none") return {};
  if (dir.empty()) dir = bin_dir + "/../../ontology/examples";
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".ttl") {
      out.push_back(fs::canonical(entry.path()).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string describe_exit(const std::optional<int>& wait_status) {
  if (!wait_status) return "exited";
  if (WIFEXITED(*wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(*wait_status));
  if (WIFSIGNALED(*wait_status)) {
    int signal_number = WTERMSIG(*wait_status);
    return "was killed by signal " + std::to_string(signal_number) + " (" +
           strsignal(signal_number) + ")";
  }
  return "exited";
}

struct SupervisedService {
  std::string name;
  process::Spec spec;
  RestartPolicy policy;
  std::optional<process::ChildProcess> process;  // empty when the last spawn failed
  std::optional<Clock::time_point> restart_at;   // set while a restart waits out its delay
};

// Keeps the services of a federation running: restarts the ones that exit as the restart
// policy says, and reports each start and exit.
class Supervisor {
 public:
  Supervisor(LogPump& pump, std::string log_dir) : pump_(pump), log_dir_(std::move(log_dir)) {}

  void add(const std::string& name, const process::Spec& spec, const RestartSettings& settings) {
    services_.push_back({name, spec, RestartPolicy(settings), std::nullopt, std::nullopt});
  }

  // Starts every service in order; false when one cannot be started at all.
  bool start_all() {
    for (auto& service : services_) {
      if (!start(service, Clock::now())) return false;
    }
    return true;
  }

  // Handles the exits noticed since the last call; false when a service is given up on.
  bool check(Clock::time_point now) {
    for (auto& service : services_) {
      if (service.restart_at) {
        if (now >= *service.restart_at) {
          service.restart_at.reset();
          start(service, now);
        }
        continue;
      }
      if (service.process && service.process->running()) continue;

      std::string how = service.process
                            ? describe_exit(service.process->wait_for(std::chrono::milliseconds(0)))
                            : "could not be started";
      service.process.reset();
      RestartDecision decision = service.policy.exited(now);
      const RestartSettings& settings = service.policy.settings();
      std::string budget = "restart " + std::to_string(decision.attempt) + " of " +
                           std::to_string(settings.budget) + " before a run of " +
                           format_duration(settings.healthy_after) + " resets the count";
      switch (decision.action) {
        case RestartDecision::Action::kGiveUp:
          pump_.say(service.name + " " + how + " and keeps exiting (" +
                    std::to_string(decision.attempt) + " restarts in a row, none ran " +
                    format_duration(settings.healthy_after) + "); stopping the federation; see " +
                    log_dir_ + "/" + service.name + ".log");
          return false;
        case RestartDecision::Action::kRestartNow:
          pump_.say(service.name + " " + how + "; restarting (" + budget + ")");
          start(service, now);
          break;
        case RestartDecision::Action::kRestartAfterDelay:
          pump_.say(service.name + " " + how + "; restarting in " +
                    format_duration(decision.delay) + " (" + budget + ")");
          service.restart_at = now + decision.delay;
          break;
      }
    }
    return true;
  }

  void stop_all() {
    for (auto it = services_.rbegin(); it != services_.rend(); ++it) {
      if (it->process) it->process->stop(SIGTERM, std::chrono::seconds(8));
    }
  }

 private:
  bool start(SupervisedService& service, Clock::time_point now) {
    service.policy.started(now);
    auto child = process::ChildProcess::spawn(service.spec);
    if (!child) {
      pump_.say("cannot start " + service.name + ": " + child.status().message());
      service.process.reset();
      return false;
    }
    // The pump gets its own descriptor: the child's is closed when the process object goes,
    // possibly before the pump has read the last lines.
    int fd = fcntl(child->output_fd(), F_DUPFD_CLOEXEC, 0);
    if (fd >= 0) pump_.follow(service.name, fd, log_dir_ + "/" + service.name + ".log");
    pump_.say(service.name + " started (pid " + std::to_string(child->pid()) + ")");
    service.process = std::move(child).value();
    return true;
  }

  LogPump& pump_;
  std::string log_dir_;
  std::vector<SupervisedService> services_;
};

// The federation's bus: one nats-server, or with --cluster three as a JetStream cluster on
// loopback. Services and workers get every node's URL, comma-separated: the client picks one
// and moves to another when it goes.
struct LocalBus {
  std::vector<process::NatsServer> nodes;

  // Every node's URL, comma-separated.
  std::string url() const {
    std::string urls;
    for (const auto& node : nodes) urls += (urls.empty() ? "" : ",") + node.url();
    return urls;
  }
  // A copy of each stream on every node.
  int stream_replicas() const { return static_cast<int>(nodes.size()); }

  void stop() {
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) it->stop(std::chrono::seconds(5));
  }
};

constexpr int kClusterNodes = 3;

// Node i's client port is nats_port + i; its route port and monitoring port follow the three
// client ports (docs/operations.md, "A clustered bus on one machine").
Result<LocalBus> start_bus(const UpOptions& options, const std::vector<process::NatsUser>& users,
                           LogPump& pump) {
  LocalBus bus;
  process::NatsServerOptions single;
  single.state_dir = options.state_dir + "/nats";
  single.port = options.nats_port;
  single.users = users;
  if (!options.cluster) {
    MPLI_ASSIGN_OR_RETURN(process::NatsServer server,
                          process::NatsServer::start(single, std::chrono::seconds(20)));
    bus.nodes.push_back(std::move(server));
    return bus;
  }
  for (int i = 0; i < kClusterNodes; ++i) {
    process::NatsServerOptions node = single;
    // Its own store: a standalone server's streams are not a cluster member's.
    node.state_dir = options.state_dir + "/nats-cluster/n" + std::to_string(i + 1);
    node.port = options.nats_port + i;
    node.cluster_port = options.nats_port + kClusterNodes + i;
    node.monitor_port = options.nats_port + 2 * kClusterNodes + i;
    node.server_name = "mpli-n" + std::to_string(i + 1);
    node.cluster_name = "mpli";
    for (int peer = 0; peer < kClusterNodes; ++peer) {
      if (peer != i) node.route_ports.push_back(options.nats_port + kClusterNodes + peer);
    }
    auto started = process::NatsServer::start(node, std::chrono::seconds(20));
    if (!started) {
      bus.stop();
      return started.status();
    }
    pump.say("nats-server " + node.server_name + " started (pid " +
             std::to_string(started->process().pid()) + ") at " + started->url() +
             ", routes on port " + std::to_string(node.cluster_port));
    bus.nodes.push_back(std::move(started).value());
  }
  // JetStream answers once the nodes have elected a meta leader.
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!std::all_of(bus.nodes.begin(), bus.nodes.end(),
                      [](const process::NatsServer& node) { return node.jetstream_healthy(); })) {
    if (Clock::now() >= deadline) {
      bus.stop();
      return deadline_exceeded("the NATS cluster elected no JetStream leader within 30 s; see " +
                               options.state_dir + "/nats-cluster/n*/nats.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return bus;
}

// Restarts what the services stand on when it exits: a NATS node, the hub's PostgreSQL, a
// provider's PostgreSQL. Never gives up (the services wait for their dependencies meanwhile and
// /readyz shows it); a restart that fails is tried again a second later.
class InfrastructureWatch {
 public:
  explicit InfrastructureWatch(LogPump& pump) : pump_(pump) {}

  // `server` must stay where it is while watched (an element of a vector that no longer grows).
  template <typename Server>
  void watch(const std::string& name, Server* server) {
    watched_.push_back({name, [server]() -> process::ChildProcess& { return server->process(); },
                        [server]() -> Status {
                          auto again = Server::start(server->options(), std::chrono::seconds(60));
                          if (!again) return again.status();
                          *server = std::move(again).value();
                          return Status::ok();
                        }});
  }

  void check(Clock::time_point now) {
    for (auto& item : watched_) {
      if (!item.down) {
        if (item.process().running()) continue;
        item.down = true;
        pump_.say(item.name + " " +
                  describe_exit(item.process().wait_for(std::chrono::milliseconds(0))) +
                  "; restarting it");
      }
      if (now < item.next_attempt) continue;
      Status restarted = item.restart();
      if (restarted.is_ok()) {
        item.down = false;
        pump_.say(item.name + " restarted (pid " + std::to_string(item.process().pid()) + ")");
      } else {
        item.next_attempt = now + std::chrono::seconds(1);
        pump_.say("cannot restart " + item.name + " yet: " + restarted.message() +
                  "; trying again in 1s");
      }
    }
  }

 private:
  struct Watched {
    std::string name;
    std::function<process::ChildProcess&()> process;
    std::function<Status()> restart;
    bool down = false;
    Clock::time_point next_attempt{};
  };
  LogPump& pump_;
  std::vector<Watched> watched_;
};

// One mpli-worker-postgresql per provider database that started, each with the provider's own
// NATS user; a worker whose binary is not built is left out with a note (its provider's orders
// then wait in MPLI_WORK until one runs).
void add_provider_workers(Supervisor& supervisor, LogPump& pump,
                          std::vector<ProviderDatabase>& databases,
                          const std::map<std::string, NatsLogin>& logins,
                          const std::string& nats_url, const std::string& bin_dir,
                          const RestartSettings& restart) {
  const std::string program = bin_dir + "/mpli-worker-postgresql";
  bool built = fs::exists(program);
  for (auto& database : databases) {
    if (!database.server) continue;
    const std::string& id = database.provider.provider_id;
    std::string where = "provider " + id +
                        ": PostgreSQL on 127.0.0.1:" + std::to_string(database.options.port) +
                        " (user postgres, password in " + database.options.password_file + ")";
    if (!built) {
      pump.say(where + "; no worker: " + program + " is not built, so " + id +
               "'s orders wait in MPLI_WORK until a worker runs");
      continue;
    }
    Status written = write_dsn_file(database.dsn_file, database.server->dsn());
    std::error_code ec;
    fs::create_directories(database.state_dir, ec);
    chmod(database.state_dir.c_str(), 0700);
    if (!written.is_ok()) {
      pump.say(where + "; no worker: " + written.message());
      continue;
    }
    const NatsLogin& login = logins.at(process::worker_user_name(id));
    process::Spec spec;
    spec.program = program;
    spec.args = {"--provider",           id,
                 "--nats-url",           nats_url,
                 "--nats-user",          login.user,
                 "--nats-password-file", login.password_file,
                 "--state-dir",          database.state_dir,
                 "--server-dsn-file",    database.dsn_file,
                 "--public-host",        "127.0.0.1",
                 "--public-port",        std::to_string(database.options.port)};
    spec.capture_output = true;
    supervisor.add(login.user, spec, restart);
    pump.say(where + "; worker mpli-worker-postgresql as NATS user " + login.user);
  }
}

// One mpli-worker-disk-image per provider that binds an offering to mpli:DiskImageWorker, with
// the provider's NATS user (the PostgreSQL worker's too: a provider's workers share its consumer
// and hand back the items of the other kind) and its image store <state>/providers/<p>/images.
void add_disk_image_workers(Supervisor& supervisor, LogPump& pump,
                            const std::vector<DemoProvider>& providers,
                            const std::map<std::string, NatsLogin>& logins,
                            const std::string& nats_url, const std::string& bin_dir,
                            const std::string& state_dir, const RestartSettings& restart) {
  const std::string program = bin_dir + "/mpli-worker-disk-image";
  bool built = fs::exists(program);
  for (const auto& provider : providers) {
    if (!provider.disk_image_worker) continue;
    const std::string& id = provider.provider_id;
    const std::string dir = state_dir + "/providers/" + id;
    const std::string store = dir + "/images";
    if (!built) {
      pump.say("provider " + id + ": no disk-image worker: " + program + " is not built");
      continue;
    }
    std::error_code ec;
    fs::create_directories(store, ec);
    fs::create_directories(dir + "/disk-image-worker", ec);
    chmod((dir + "/disk-image-worker").c_str(), 0700);
    const NatsLogin& login = logins.at(process::worker_user_name(id));
    process::Spec spec;
    spec.program = program;
    spec.args = {"--provider",           id,
                 "--nats-url",           nats_url,
                 "--nats-user",          login.user,
                 "--nats-password-file", login.password_file,
                 "--state-dir",          dir + "/disk-image-worker",
                 "--store-dir",          store,
                 "--image-format",       provider.image_format};
    spec.capture_output = true;
    supervisor.add(login.user + "-disk-image", spec, restart);
    pump.say("provider " + id + ": worker mpli-worker-disk-image as NATS user " + login.user +
             ", " + provider.image_format + " images in " + store);
  }
}

}  // namespace

int run_up_command(int argc, char** argv) {
  auto parsed =
      parse_up_command_line(arguments_after_command(argc, argv), config::process_environment());
  if (parsed.outcome == CommandLineOutcome::kHelp) {
    std::cout << up_usage();
    return 0;
  }
  if (parsed.outcome == CommandLineOutcome::kError) {
    std::cerr << "mpli up: " << parsed.error << "\nRun `mpli up --help` for the options.\n";
    return 2;
  }
  UpOptions options = parsed.options;

  std::error_code ec;
  fs::create_directories(options.state_dir + "/logs", ec);
  if (ec) {
    std::cerr << "mpli up: cannot create " << options.state_dir << ": " << ec.message() << "\n";
    return 2;
  }
  options.state_dir = fs::canonical(options.state_dir).string();
  // PostgreSQL runs as another user when we are root; it must be able to reach its directory.
  chmod(options.state_dir.c_str(), 0755);
  const std::string log_dir = options.state_dir + "/logs";

  pid_t running = read_pid(pid_file(options.state_dir));
  if (running > 0 && running != getpid() && process::process_alive(running)) {
    std::cerr << "mpli up: a federation is already running from " << options.state_dir << " (pid "
              << running << "); stop it with `mpli down`\n";
    return 1;
  }
  { std::ofstream(pid_file(options.state_dir)) << getpid() << "\n"; }

  // Ctrl-C and `mpli down` arrive here only: children run in their own process groups.
  const sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string admin_token_file = options.state_dir + "/admin-token";
  const std::string signing_key_file = options.state_dir + "/hub-signing-key.pem";
  auto admin_token = prepare_hub_key(signing_key_file, admin_token_file);
  if (!admin_token) {
    std::cerr << "mpli up: hub signing key: " << admin_token.status().message() << "\n";
    fs::remove(pid_file(options.state_dir), ec);
    return 1;
  }
  const std::string admin_bearer = "Authorization: Bearer " + *admin_token;

  LogPump pump;
  pump.say("state directory " + options.state_dir);
  pump.say("admin token: " + admin_token_file);
  const std::string bin_dir = own_bin_dir();
  auto stop_early = [&](const std::string& message) {
    std::cerr << "mpli up: " << message << "\n";
    fs::remove(pid_file(options.state_dir), ec);
    return 1;
  };

  // The demo providers that get workers: those whose manifests bind an offering to
  // mpli:PostgresqlWorker (a PostgreSQL server and its worker) or mpli:DiskImageWorker (an
  // image store and its worker), in the order of their manifest files (ports follow it).
  std::vector<DemoProvider> worker_providers;
  for (const auto& manifest : demo_files(options, bin_dir, "provider-")) {
    auto provider = read_demo_provider(manifest);
    if (!provider.is_ok()) {
      pump.say("no worker for " + manifest + ": " + provider.status().message());
      continue;
    }
    bool taken = std::any_of(worker_providers.begin(), worker_providers.end(),
                             [&](const auto& p) { return p.provider_id == provider->provider_id; });
    if (taken) {
      pump.say("no worker for " + manifest + ": provider id '" + provider->provider_id +
               "' is already another manifest's");
    } else if (provider->postgresql_worker || provider->disk_image_worker) {
      worker_providers.push_back(*provider);
    }
  }

  const std::string delivery_key_file = options.state_dir + "/delivery-secret.key";
  auto delivery_key = process::load_or_create_secret(delivery_key_file, "");
  if (!delivery_key) return stop_early("delivery secret key: " + delivery_key.status().message());

  int exit_code = 0;
  {
    std::vector<process::NatsUser> nats_users;
    const std::string users_dir = options.state_dir + "/nats/users";
    auto logins = prepare_nats_users(users_dir, worker_providers, &nats_users);
    if (!logins) return stop_early("NATS users: " + logins.status().message());
    auto bus = start_bus(options, nats_users, pump);
    if (!bus) return stop_early(bus.status().message());
    const std::string nats_url = bus->url();
    pump.say(std::string(options.cluster ? "NATS JetStream cluster of 3 ready at "
                                         : "nats-server ready at ") +
             nats_url + " (JetStream on, streams with " + std::to_string(bus->stream_replicas()) +
             (bus->stream_replicas() == 1 ? " copy; " : " copies; ") +
             std::to_string(logins->size()) + " users, each worker limited to its provider's " +
             "work; passwords in " + users_dir + ")");

    // initdb dominates a first start, so every data directory is initialised at once; the
    // servers are started from this thread, which lives as long as they do (a server started
    // from a thread that ends would be stopped with it).
    process::PostgresOptions pg_options;
    pg_options.data_dir = options.state_dir + "/postgres/data";
    pg_options.password_file = options.state_dir + "/postgres/password";
    pg_options.log_file = log_dir + "/postgres.log";
    pg_options.port = options.postgres_port;
    // The services reach the hub's PostgreSQL through its Unix socket (socket_dsn: no TCP stack
    // on either side of every statement), in one directory for the whole run, so a PostgreSQL
    // that exits and is started again by the watch below listens where their DSN points.
    auto hub_socket_dir =
        process::SocketDirectory::make("", options.postgres_port, process::postgres_run_as_user());
    if (!hub_socket_dir) {
      bus->stop();
      return stop_early("PostgreSQL socket directory: " + hub_socket_dir.status().message());
    }
    pg_options.socket_dir = hub_socket_dir->path();
    std::vector<ProviderDatabase> provider_databases;
    for (const auto& provider : worker_providers) {
      if (!provider.postgresql_worker) continue;
      provider_databases.push_back(provider_database(
          provider, options.state_dir, log_dir,
          options.postgres_port + static_cast<int>(provider_databases.size()) + 1));
    }
    fs::create_directories(options.state_dir + "/providers", ec);
    chmod((options.state_dir + "/providers").c_str(), 0755);
    std::vector<std::future<Status>> initialised;
    for (auto& database : provider_databases) {
      fs::create_directories(fs::path(database.options.data_dir).parent_path(), ec);
      // PostgreSQL may run as another user: it must reach its directory through this one.
      chmod(fs::path(database.options.data_dir).parent_path().parent_path().c_str(), 0755);
      initialised.push_back(std::async(std::launch::async, [options = database.options] {
        return process::PostgresServer::initialise(options, std::chrono::seconds(60));
      }));
    }
    auto postgres = process::PostgresServer::start(pg_options, std::chrono::seconds(60));
    for (size_t i = 0; i < provider_databases.size(); ++i) {
      ProviderDatabase& database = provider_databases[i];
      Status ready = initialised[i].get();
      // Online migrations replicate from a provider's server (docs/migrations.md).
      if (ready.is_ok()) ready = enable_logical_replication(database.options.data_dir);
      if (ready.is_ok() && postgres) {
        auto started = process::PostgresServer::start(database.options, std::chrono::seconds(60));
        if (started) {
          database.server.emplace(std::move(started).value());
        } else {
          ready = started.status();
        }
      }
      if (!ready.is_ok()) {
        pump.say("provider " + database.provider.provider_id +
                 ": PostgreSQL did not start, so no worker: " + ready.message());
      }
    }
    auto stop_provider_databases = [&] {
      for (auto& database : provider_databases) {
        if (!database.server) continue;
        database.server->stop(std::chrono::seconds(10));
        pump.say("provider " + database.provider.provider_id + ": PostgreSQL stopped");
      }
    };
    if (!postgres) {
      stop_provider_databases();
      bus->stop();
      return stop_early(postgres.status().message());
    }
    pump.say("PostgreSQL ready on port " + std::to_string(options.postgres_port) +
             " (user postgres, password in " + pg_options.password_file + ")");

    Supervisor supervisor(pump, log_dir);
    std::vector<std::string> demo_urls;
    int demo_port = options.http_port;
    // The demo issuer signs a credential for every claim of the demo manifests; the demo
    // provider serves them, and the trust service fetches https://<domain>/... from it.
    std::string credential_rewrites;
    auto demo_issuer = prepare_demo_issuer(options.state_dir);
    if (!demo_issuer.is_ok()) {
      pump.say("demo credentials unavailable: " + demo_issuer.status().message());
    } else {
      pump.say("demo issuer " + demo_issuer->did + " (trust anchor; key in " +
               demo_issuer->key_file + ")");
    }
    for (const auto& manifest : demo_files(options, bin_dir, "provider-")) {
      ++demo_port;
      process::Spec spec;
      spec.program = bin_dir + "/mpli-demo-provider";
      spec.args = {"--manifest", manifest, "--port", std::to_string(demo_port)};
      if (demo_issuer.is_ok()) {
        std::string files =
            options.state_dir + "/demo-credentials/provider-" + std::to_string(demo_port);
        auto issued = issue_demo_credentials(*demo_issuer, manifest, files);
        if (issued.is_ok() && !issued->domain.empty()) {
          spec.args.insert(spec.args.end(), {"--files", files});
          credential_rewrites += "https://" + issued->domain +
                                 "/=http://127.0.0.1:" + std::to_string(demo_port) + "/ ";
          pump.say(fs::path(manifest).filename().string() + ": " + std::to_string(issued->issued) +
                   " credentials issued" +
                   (issued->untrusted.empty()
                        ? std::string()
                        : "; left unverified on purpose: " + issued->untrusted.front()));
        } else if (!issued.is_ok()) {
          pump.say("demo credentials for " + manifest + ": " + issued.status().message());
        }
      }
      spec.capture_output = true;
      supervisor.add("provider-" + std::to_string(demo_port), spec, options.restart);
      demo_urls.push_back("http://127.0.0.1:" + std::to_string(demo_port) +
                          "/.well-known/mpli.ttl");
    }
    for (const auto& name : kServices) {
      process::Spec spec;
      spec.program = bin_dir + "/mpli-" + name;
      spec.capture_output = true;
      // The DSN carries the PostgreSQL password: the environment keeps it out of the process
      // list, and the services redact database.url when they log their configuration.
      spec.environment = {{"MPLI_NATS_URL", nats_url},
                          {"MPLI_NATS_STREAM_REPLICAS", std::to_string(bus->stream_replicas())},
                          {"MPLI_DATABASE_URL", postgres->socket_dsn()},
                          {"MPLI_HTTP_PORT", std::to_string(options.http_port)},
                          // The demo providers are plain http on loopback; a real hub refuses both.
                          {"MPLI_FETCH_ALLOW_HTTP", "true"},
                          {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
                          // Each service its own NATS user; the password, like the DSN, only
                          // through the environment.
                          {"MPLI_NATS_USER", logins->at(name).user},
                          {"MPLI_NATS_PASSWORD", logins->at(name).password}};
      if (name == "delivery") spec.environment["MPLI_DELIVERY_SECRET_KEY_FILE"] = delivery_key_file;
      if (name == "trust" && demo_issuer.is_ok()) {
        spec.environment["MPLI_ANCHORS_FILE"] = demo_issuer->anchors_file;
        spec.environment["MPLI_ISSUER_KEY_FILE"] = demo_issuer->key_file;
        spec.environment["MPLI_FETCH_REWRITE"] = credential_rewrites;
      }
      // Only the gateway reads the signing key, and only through its file: never in argv.
      if (name == "gateway") {
        spec.environment["MPLI_AUTH_SIGNING_KEY_FILE"] = signing_key_file;
        // The federation answers repeated catalogue reads from the gateway's memory (emptied by
        // every event; at most 1 s old) unless the caller chose otherwise.
        if (std::getenv("MPLI_CACHE_CATALOGUE_MAX_AGE") == nullptr) {
          spec.environment["MPLI_CACHE_CATALOGUE_MAX_AGE"] = "1s";
        }
      }
      supervisor.add(name, spec, options.restart);
      // A second instance where two may run side by side (their state is in PostgreSQL, shared
      // work is claimed with SKIP LOCKED or a shared consumer); delivery and portability drive
      // their state machines from one instance (docs/operations.md).
      if (options.cluster && second_instance_allowed(name)) {
        if (name == "gateway") {
          spec.environment["MPLI_HTTP_PORT"] = std::to_string(options.http_port + 10);
        }
        supervisor.add(name + "-2", spec, options.restart);
      }
    }
    // Last, so they stop first: a worker's work ends before the server it works on goes.
    add_provider_workers(supervisor, pump, provider_databases, *logins, nats_url, bin_dir,
                         options.restart);
    add_disk_image_workers(supervisor, pump, worker_providers, *logins, nats_url, bin_dir,
                           options.state_dir, options.restart);

    if (!supervisor.start_all()) {
      exit_code = 1;
    } else {
      pump.say(
          "federation starting: gateway http://127.0.0.1:" + std::to_string(options.http_port) +
          (options.cluster ? " and http://127.0.0.1:" + std::to_string(options.http_port + 10)
                           : std::string()) +
          " (readiness: /readyz); Ctrl-C or `mpli down` stops it");
    }

    // Register the demo providers once the hub is ready, without holding up supervision.
    std::atomic<bool> registering_stop{false};
    std::thread registration([&] {
      std::string base = "http://127.0.0.1:" + std::to_string(options.http_port);
      // However long the hub takes to get ready (minutes on a starved machine: registering
      // before it was ready left the catalogue empty for good), saying so once a minute.
      auto next_note = Clock::now() + std::chrono::minutes(1);
      while (!registering_stop) {
        if (http::request("GET", base + "/readyz", "", {}, std::chrono::seconds(5)).status == 200)
          break;
        if (Clock::now() >= next_note) {
          pump.say("the demo providers wait for the gateway to be ready (" + base + "/readyz)");
          next_note += std::chrono::minutes(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      // A request the hub could not take (no answer, 5xx) goes again, up to five times.
      auto post = [&](const std::string& path, const std::string& body,
                      const std::string& content_type) {
        http::Response answer;
        for (int attempt = 0; attempt < 5 && !registering_stop; ++attempt) {
          if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
          answer = http::request("POST", base + path, body, {content_type, admin_bearer});
          if (answer.status != 0 && answer.status < 500) break;
        }
        return answer;
      };
      for (const auto& url : demo_urls) {
        if (registering_stop) return;
        auto answer = post("/v1/providers", "{\"manifest_url\": \"" + url + "\"}",
                           "Content-Type: application/json");
        pump.say("demo provider " + url + " registered: HTTP " + std::to_string(answer.status) +
                 (answer.status >= 400 ? " " + answer.body : ""));
      }
      if (!demo_urls.empty()) pump.say("catalogue: " + base + "/v1/offerings");
      if (!demo_issuer.is_ok()) return;
      // The demo consumers onboard: their credentials verified, so `mpli resolve` of the
      // example consumer manifests meets the providers' prerequisites.
      for (const auto& manifest : demo_files(options, bin_dir, "consumer-")) {
        auto issued = issue_demo_consumer_credentials(*demo_issuer, manifest);
        if (!issued.is_ok()) {
          pump.say("demo consumer " + manifest + ": " + issued.status().message());
          continue;
        }
        for (const auto& credential : *issued) {
          if (registering_stop) return;
          auto answer =
              post("/v1/credentials", credential.token, "Content-Type: application/vc+jwt");
          pump.say("demo consumer " + credential.consumer + ": " + credential.kind +
                   " credential submitted: HTTP " + std::to_string(answer.status));
        }
      }
    });

    InfrastructureWatch infrastructure(pump);
    for (auto& node : bus->nodes) {
      std::string name = node.options().server_name.empty()
                             ? "nats-server"
                             : "nats-server " + node.options().server_name;
      infrastructure.watch(name, &node);
    }
    infrastructure.watch("PostgreSQL", &postgres.value());
    for (auto& database : provider_databases) {
      if (database.server) {
        infrastructure.watch("provider " + database.provider.provider_id + ": PostgreSQL",
                             &*database.server);
      }
    }

    timespec tick{0, 200 * 1000 * 1000};
    while (exit_code == 0 && sigtimedwait(&signals, nullptr, &tick) < 0) {
      infrastructure.check(Clock::now());
      if (!supervisor.check(Clock::now())) exit_code = 1;
    }

    pump.say("stopping");
    registering_stop = true;
    registration.join();
    supervisor.stop_all();
    stop_provider_databases();
    postgres->stop(std::chrono::seconds(10));
    pump.say("PostgreSQL stopped");
    bus->stop();
    pump.say(options.cluster ? "NATS cluster stopped" : "nats-server stopped");
  }
  pump.join();
  fs::remove(pid_file(options.state_dir), ec);
  pump.say("stopped");
  return exit_code;
}

int run_down_command(int argc, char** argv) {
  auto parsed =
      parse_down_command_line(arguments_after_command(argc, argv), config::process_environment());
  if (parsed.outcome == CommandLineOutcome::kHelp) {
    std::cout << down_usage();
    return 0;
  }
  if (parsed.outcome == CommandLineOutcome::kError) {
    std::cerr << "mpli down: " << parsed.error << "\nRun `mpli down --help` for the options.\n";
    return 2;
  }
  const std::string& state_dir = parsed.options.state_dir;
  pid_t pid = read_pid(pid_file(state_dir));
  if (pid <= 0 || !process::process_alive(pid)) {
    std::cerr << "mpli down: no federation is running from " << state_dir << "\n";
    return 1;
  }
  kill(pid, SIGTERM);
  for (int i = 0; i < 300 && process::process_alive(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (process::process_alive(pid)) {
    std::cerr << "mpli down: pid " << pid << " still running after 30 s\n";
    return 1;
  }
  std::cout << "federation stopped\n";
  return 0;
}

}  // namespace mpli::cli
