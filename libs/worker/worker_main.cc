// worker_main: the process shell every worker binary shares (flags, logging, signals).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "libs/core/log.h"
#include "libs/core/termination.h"
#include "libs/worker/worker.h"

namespace mpli::worker {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

Result<std::string> read_password(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("cannot read the NATS password file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

Result<int> parse_positive(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    int value = std::stoi(text, &used);
    if (used == text.size() && value > 0) return value;
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
  }
  return invalid_argument(flag + " must be a positive integer");
}

// A URL may carry credentials (nats://user:password@host): never log them.
std::string redacted_url(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  return url.substr(0, scheme + 3) + "***" + url.substr(at);
}

const char* const kUsage =
    "flags: --nats-url URL (MPLI_NATS_URL) --nats-user USER (MPLI_NATS_USER)\n"
    "       --nats-password-file FILE (MPLI_NATS_PASSWORD_FILE) --provider ID (MPLI_PROVIDER_ID)\n"
    "       --state-dir DIR (MPLI_STATE_DIR) --concurrency N (MPLI_WORKER_CONCURRENCY)\n"
    "       --progress-interval-ms MS --log-level debug|info|warn|error (MPLI_LOG_LEVEL)\n";

}  // namespace

Result<Flags> parse_worker_flags(int argc, char** argv,
                                 const std::vector<std::string>& extra_flags) {
  std::map<std::string, std::string> given;
  std::set<std::string> known = {
      "--nats-url",  "--nats-user",   "--nats-password-file",   "--provider",
      "--state-dir", "--concurrency", "--progress-interval-ms", "--log-level"};
  known.insert(extra_flags.begin(), extra_flags.end());
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string name = arg;
    std::string value;
    auto eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return invalid_argument(arg + " needs a value");
    }
    if (name == "--nats-password") {
      return invalid_argument("the password is taken from --nats-password-file only");
    }
    if (known.count(name) == 0) return invalid_argument("unknown flag " + name);
    given[name] = value;
  }
  auto flag = [&](const std::string& name, const char* env, const std::string& fallback) {
    auto it = given.find(name);
    if (it != given.end()) return it->second;
    return env != nullptr ? env_or(env, fallback) : fallback;
  };
  Flags flags;
  WorkerOptions& options = flags.options;
  options.nats_url = flag("--nats-url", "MPLI_NATS_URL", options.nats_url);
  options.nats_user = flag("--nats-user", "MPLI_NATS_USER", "");
  std::string password_file = flag("--nats-password-file", "MPLI_NATS_PASSWORD_FILE", "");
  if (!password_file.empty()) {
    MPLI_ASSIGN_OR_RETURN(options.nats_password, read_password(password_file));
  }
  options.provider_id = flag("--provider", "MPLI_PROVIDER_ID", "");
  if (options.provider_id.empty()) return invalid_argument("--provider is required");
  options.state_dir = flag("--state-dir", "MPLI_STATE_DIR", "");
  MPLI_ASSIGN_OR_RETURN(
      options.concurrency,
      parse_positive("--concurrency", flag("--concurrency", "MPLI_WORKER_CONCURRENCY", "1")));
  MPLI_ASSIGN_OR_RETURN(
      int interval,
      parse_positive("--progress-interval-ms", flag("--progress-interval-ms", nullptr, "5000")));
  options.progress_interval = std::chrono::milliseconds(interval);
  flags.log_level = flag("--log-level", "MPLI_LOG_LEVEL", "info");
  for (const auto& name : extra_flags) {
    auto it = given.find(name);
    if (it != given.end()) flags.extra[name] = it->second;
  }
  return flags;
}

int worker_main(int argc, char** argv, const std::string& kind,
                const std::vector<std::string>& extra_flags,
                const std::function<Status(Worker&, const Flags&)>& setup) {
  auto flags = parse_worker_flags(argc, argv, extra_flags);
  log::init("worker-" + kind, log::parse_level(flags.is_ok() ? flags->log_level : "info"),
            &std::cerr);
  if (!flags.is_ok()) {
    log::error("bad flags", {{"error", flags.status().to_string()}});
    std::cerr << kUsage;
    for (const auto& name : extra_flags) std::cerr << "       " << name << " VALUE\n";
    return 2;
  }
  // Signals are taken by one thread with sigtimedwait, so they arrive as a plain stop() call; every
  // other thread (nats.c's included) inherits the blocked mask.
  const sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  flags->options.worker_kind = kind;
  // Waits for the bus until it answers, or until told to stop.
  flags->options.keep_connecting = [] { return !termination_pending(); };
  auto created = Worker::create(flags->options);
  if (!created.is_ok() && termination_pending()) {
    log::info("stopped before the bus was reachable");
    return 0;
  }
  if (!created.is_ok()) {
    log::error("worker not created", {{"error", created.status().to_string()}});
    return created.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  Worker& worker = **created;
  Status configured = setup(worker, *flags);
  if (!configured.is_ok()) {
    log::error("worker setup failed", {{"error", configured.to_string()}});
    return 2;
  }
  std::atomic<bool> finished{false};
  std::thread signal_thread([&] {
    // sigtimedwait in short rounds, so the thread also ends after a fatal error in run().
    const timespec round{0, 200L * 1000 * 1000};
    while (!finished.load()) {
      int received = sigtimedwait(&signals, nullptr, &round);
      if (received > 0) {
        log::info("stopping: finishing the items in hand", {{"signal", received}});
        worker.stop();
        return;
      }
    }
  });
  log::info("worker started", {{"provider_id", flags->options.provider_id},
                               {"nats_url", redacted_url(flags->options.nats_url)},
                               {"concurrency", flags->options.concurrency},
                               {"journal", !flags->options.state_dir.empty()}});
  Status ran = worker.run();
  finished.store(true);
  signal_thread.join();
  if (!ran.is_ok()) {
    log::error("worker failed", {{"error", ran.to_string()}});
    return 1;
  }
  log::info("worker stopped");
  return 0;
}

}  // namespace mpli::worker
