#include "tools/mpli/federation_command.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "libs/core/services.h"
#include "libs/core/config.h"
#include "libs/http/client.h"
#include "libs/process/child_process.h"
#include "libs/process/local_servers.h"

namespace mpli::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kUsage =
    "usage: mpli up [--state-dir DIR] [--port PORT] [--nats-port PORT] [--postgres-port PORT]\n"
    "       mpli down [--state-dir DIR]\n"
    "  --state-dir      where NATS, PostgreSQL and logs keep their data (default .mpli,\n"
    "                   or MPLI_STATE_DIR); reused on the next start\n"
    "  --port           gateway HTTP port (default 8080, or MPLI_HTTP_PORT)\n"
    "  --nats-port      NATS client port (default 14222)\n"
    "  --postgres-port  PostgreSQL port (default 55432)\n"
    "  --demo-dir       provider manifests to serve as demo providers (default: the\n"
    "                   repository's ontology/examples; 'none' for no demo providers)\n"
    "  demo providers listen on the gateway port + 1, + 2, ...\n";

// Start order; the stop order is the reverse.
const std::vector<std::string> kServices = [] {
  std::vector<std::string> all(kServiceNames.begin(), kServiceNames.end());
  all.emplace_back("gateway");
  return all;
}();

struct UpOptions {
  std::string state_dir;
  int http_port = 8080;
  int nats_port = 14222;  // not 4222: a system nats-server may own that
  int postgres_port = 55432;
  std::string demo_dir;  // "" = <repo>/ontology/examples next to the build, "none" = off
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

bool parse_port(const std::string& text, int* port) {
  auto check = config::int_between(1, 65535)(text);
  if (!check.empty()) return false;
  *port = std::stoi(text);
  return true;
}

// Returns "" on success, else the error message.
std::string parse_options(int argc, char** argv, UpOptions* options) {
  options->state_dir = env_or("MPLI_STATE_DIR", ".mpli");
  if (!parse_port(env_or("MPLI_HTTP_PORT", "8080"), &options->http_port)) {
    return "MPLI_HTTP_PORT: must be a port number";
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return "missing value after " + arg;
    std::string value = argv[++i];
    if (arg == "--state-dir") {
      options->state_dir = value;
    } else if (arg == "--demo-dir") {
      options->demo_dir = value;
    } else if (arg == "--port" || arg == "--nats-port" || arg == "--postgres-port") {
      int* target = arg == "--port" ? &options->http_port
                    : arg == "--nats-port" ? &options->nats_port
                                           : &options->postgres_port;
      if (!parse_port(value, target)) return arg + ": must be a port number, got '" + value + "'";
    } else {
      return "unknown option " + arg;
    }
  }
  return "";
}

std::string own_bin_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

// Prefixes every line a child writes ("discovery | {...}") and copies it to its log file.
class LogPump {
 public:
  void follow(const std::string& prefix, int fd, const std::string& log_path) {
    threads_.emplace_back([this, prefix, fd, log_path] {
      std::ofstream file(log_path, std::ios::app);
      std::string pending;
      char buffer[4096];
      ssize_t n = 0;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
        pending.append(buffer, static_cast<size_t>(n));
        size_t newline = 0;
        while ((newline = pending.find('\n')) != std::string::npos) {
          std::string line = pending.substr(0, newline);
          pending.erase(0, newline + 1);
          file << line << '\n';
          std::lock_guard<std::mutex> lock(mutex_);
          std::cout << prefix << " | " << line << '\n' << std::flush;
        }
      }
      file.flush();
    });
  }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  void say(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::cout << "mpli | " << text << '\n' << std::flush;
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

std::string pid_file(const std::string& state_dir) { return state_dir + "/federation.pid"; }

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

// The demo provider manifests: provider-*.ttl in the demo directory, sorted.
std::vector<std::string> demo_manifests(const UpOptions& options, const std::string& bin_dir) {
  std::string dir = options.demo_dir;
  if (dir == "none") return {};
  if (dir.empty()) dir = bin_dir + "/../../ontology/examples";
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("provider-", 0) == 0 && entry.path().extension() == ".ttl") {
      out.push_back(fs::canonical(entry.path()).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct RunningService {
  std::string name;
  process::Spec spec;
  process::ChildProcess process;
  int restarts = 0;
};

}  // namespace

int run_up_command(int argc, char** argv) {
  UpOptions options;
  std::string problem = parse_options(argc, argv, &options);
  if (!problem.empty()) {
    std::cerr << "mpli up: " << problem << "\n" << kUsage;
    return 2;
  }
  std::error_code ec;
  fs::create_directories(options.state_dir + "/logs", ec);
  if (ec) {
    std::cerr << "mpli up: cannot create " << options.state_dir << ": " << ec.message() << "\n";
    return 2;
  }
  options.state_dir = fs::canonical(options.state_dir).string();
  // PostgreSQL runs as another user when we are root; it must be able to reach its directory.
  chmod(options.state_dir.c_str(), 0755);

  pid_t running = read_pid(pid_file(options.state_dir));
  if (running > 0 && running != getpid() && process::process_alive(running)) {
    std::cerr << "mpli up: a federation is already running from " << options.state_dir
              << " (pid " << running << "); stop it with `mpli down`\n";
    return 1;
  }
  { std::ofstream(pid_file(options.state_dir)) << getpid() << "\n"; }

  // Ctrl-C and `mpli down` arrive here only: children run in their own process groups.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  LogPump pump;
  pump.say("state directory " + options.state_dir);
  int exit_code = 0;
  {
    process::NatsServerOptions nats_options;
    nats_options.state_dir = options.state_dir + "/nats";
    nats_options.port = options.nats_port;
    auto nats = process::NatsServer::start(nats_options, std::chrono::seconds(20));
    if (!nats) {
      std::cerr << "mpli up: " << nats.status().message() << "\n";
      fs::remove(pid_file(options.state_dir), ec);
      return 1;
    }
    pump.say("nats-server ready at " + nats->url() + " (JetStream on)");

    process::PostgresOptions pg_options;
    pg_options.data_dir = options.state_dir + "/postgres/data";
    pg_options.socket_dir = options.state_dir + "/postgres";
    pg_options.log_file = options.state_dir + "/logs/postgres.log";
    pg_options.port = options.postgres_port;
    auto postgres = process::PostgresServer::start(pg_options, std::chrono::seconds(60));
    if (!postgres) {
      std::cerr << "mpli up: " << postgres.status().message() << "\n";
      nats->stop(std::chrono::seconds(5));
      fs::remove(pid_file(options.state_dir), ec);
      return 1;
    }
    pump.say("PostgreSQL ready on port " + std::to_string(options.postgres_port));

    std::string bin_dir = own_bin_dir();
    auto spawn = [&](const std::string& name, const process::Spec& spec) -> Result<process::ChildProcess> {
      auto child = process::ChildProcess::spawn(spec);
      if (child) pump.follow(name, child->output_fd(), options.state_dir + "/logs/" + name + ".log");
      return child;
    };
    std::vector<std::pair<std::string, process::Spec>> plan;  // start order
    std::vector<std::string> demo_urls;
    int demo_port = options.http_port;
    for (const auto& manifest : demo_manifests(options, bin_dir)) {
      ++demo_port;
      process::Spec spec;
      spec.program = bin_dir + "/mpli-demo-provider";
      spec.args = {"--manifest", manifest, "--port", std::to_string(demo_port)};
      spec.capture_output = true;
      plan.emplace_back("provider-" + std::to_string(demo_port), spec);
      demo_urls.push_back("http://127.0.0.1:" + std::to_string(demo_port) + "/.well-known/mpli.ttl");
    }
    for (const auto& name : kServices) {
      process::Spec spec;
      spec.program = bin_dir + "/mpli-" + name;
      spec.capture_output = true;
      spec.environment = {{"MPLI_NATS_URL", nats->url()},
                          {"MPLI_DATABASE_URL", postgres->dsn()},
                          {"MPLI_HTTP_PORT", std::to_string(options.http_port)},
                          // The demo providers are plain http on loopback; a real hub refuses both.
                          {"MPLI_FETCH_ALLOW_HTTP", "true"},
                          {"MPLI_FETCH_ALLOW_LOOPBACK", "true"}};
      plan.emplace_back(name, spec);
    }

    std::vector<RunningService> services;
    for (const auto& [name, spec] : plan) {
      auto child = spawn(name, spec);
      if (!child) {
        std::cerr << "mpli up: cannot start " << name << ": " << child.status().message() << "\n";
        exit_code = 1;
        break;
      }
      services.push_back({name, spec, std::move(child).value(), 0});
    }
    if (exit_code == 0) {
      pump.say("federation starting: gateway http://127.0.0.1:" + std::to_string(options.http_port) +
               " (readiness: /readyz); Ctrl-C or `mpli down` stops it");
    }

    // Register the demo providers once the hub is ready, without holding up supervision.
    std::atomic<bool> registering_stop{false};
    std::thread registration([&] {
      std::string base = "http://127.0.0.1:" + std::to_string(options.http_port);
      for (int i = 0; i < 300 && !registering_stop; ++i) {
        if (http::request("GET", base + "/readyz", "", {}, std::chrono::seconds(5)).status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      for (const auto& url : demo_urls) {
        if (registering_stop) return;
        auto answer = http::request("POST", base + "/v1/providers",
                                    "{\"manifest_url\": \"" + url + "\"}",
                                    {"Content-Type: application/json"});
        pump.say("demo provider " + url + " registered: HTTP " + std::to_string(answer.status) +
                 (answer.status >= 400 ? " " + answer.body : ""));
      }
      if (!demo_urls.empty()) pump.say("catalogue: " + base + "/v1/offerings");
    });

    // Supervise: a service that dies is restarted with a growing pause, a few times.
    timespec tick{0, 200 * 1000 * 1000};
    while (exit_code == 0 && sigtimedwait(&signals, nullptr, &tick) < 0) {
      for (auto& service : services) {
        if (service.process.running()) continue;
        if (service.restarts >= 5) {
          pump.say(service.name + " keeps exiting; stopping the federation");
          exit_code = 1;
          break;
        }
        ++service.restarts;
        pump.say(service.name + " exited; restarting (" + std::to_string(service.restarts) + "/5)");
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * service.restarts));
        auto child = spawn(service.name, service.spec);
        if (child) service.process = std::move(child).value();
      }
    }

    pump.say("stopping");
    registering_stop = true;
    registration.join();
    for (auto it = services.rbegin(); it != services.rend(); ++it) {
      it->process.stop(SIGTERM, std::chrono::seconds(8));
    }
    postgres->stop(std::chrono::seconds(10));
    pump.say("PostgreSQL stopped");
    nats->stop(std::chrono::seconds(5));
    pump.say("nats-server stopped");
  }
  pump.join();
  fs::remove(pid_file(options.state_dir), ec);
  pump.say("stopped");
  return exit_code;
}

int run_down_command(int argc, char** argv) {
  UpOptions options;
  options.state_dir = env_or("MPLI_STATE_DIR", ".mpli");
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--state-dir") {
      options.state_dir = argv[i + 1];
    } else {
      std::cerr << "mpli down: unknown option " << argv[i] << "\n" << kUsage;
      return 2;
    }
  }
  pid_t pid = read_pid(pid_file(options.state_dir));
  if (pid <= 0 || !process::process_alive(pid)) {
    std::cerr << "mpli down: no federation is running from " << options.state_dir << "\n";
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
