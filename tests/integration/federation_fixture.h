// What the tests that run `mpli up` share: free port blocks for the federation (the demo
// providers and their PostgreSQL servers take the ports after the gateway's and PostgreSQL's),
// its process tree, its files and its NATS users, waiting for it to start.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "libs/testing/loopback_ports.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::fixture {

inline std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child = 0;
  while (in >> child) {
    out.push_back(child);
    for (pid_t grandchild : descendants(child)) out.push_back(grandchild);
  }
  return out;
}

// The command line of process `pid` (/proc/<pid>/cmdline), one argument each.
inline std::vector<std::string> arguments_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  return args;
}

// The value after `flag` in `args`, "" if none.
inline std::string argument_after(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) return args[i + 1];
  }
  return "";
}

// The health a service reports over the bus (its pid is in `instance`), if it answers.
inline std::optional<common::v1::HealthReply> health_of(bus::Connection& bus,
                                                        const std::string& service) {
  auto reply = bus.request("mpli." + service + ".v1.health", "", std::chrono::milliseconds(500));
  common::v1::HealthReply health;
  if (!reply || !health.ParseFromString(reply->data)) return std::nullopt;
  return health;
}

inline bool federation_ready(int http_port) {
  return testing::http_get("http://127.0.0.1:" + std::to_string(http_port) + "/readyz").status ==
         200;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The federation as the tests start it: every port free, state in `dir`.
struct Federation {
  int http_port = 0;
  int nats_port = 0;
  int pg_port = 0;
  std::string state_dir;
  std::string up_log;
  process::Spec spec;

  // A NATS user of the federation, with the password `mpli up` generated for it.
  bus::ConnectOptions login(const std::string& user, const std::string& inbox_prefix = "") const {
    bus::ConnectOptions options;
    options.url = "nats://127.0.0.1:" + std::to_string(nats_port);
    options.user = user;
    std::string password = read_file(state_dir + "/nats/users/" + user + ".password");
    options.password = password.substr(0, password.find('\n'));
    options.inbox_prefix = inbox_prefix;
    return options;
  }
};

// `block`: the ports each of the gateway's, NATS's and PostgreSQL's blocks needs (4 for a
// federation, 11 with --cluster).
inline Federation federation_in(const std::string& dir, std::vector<std::string> extra_args = {},
                                int block = 4) {
  Federation f;
  // `mpli up` puts the demo providers after --port and their PostgreSQL servers after
  // --postgres-port; with --cluster the NATS nodes after --nats-port and the second gateway at
  // --port + 10.
  f.http_port = testing::free_port_block(block);
  f.nats_port = testing::free_port_block(block, {f.http_port}, 2 * block);
  f.pg_port = testing::free_port_block(block, {f.http_port, f.nats_port}, 2 * block);
  f.state_dir = dir + "/state";
  f.up_log = dir + "/up.log";
  f.spec.program = testing::bin_dir() + "/mpli";
  f.spec.args = {"up",
                 "--state-dir",
                 f.state_dir,
                 "--port",
                 std::to_string(f.http_port),
                 "--nats-port",
                 std::to_string(f.nats_port),
                 "--postgres-port",
                 std::to_string(f.pg_port)};
  f.spec.args.insert(f.spec.args.end(), extra_args.begin(), extra_args.end());
  f.spec.output_file = f.up_log;
  return f;
}

// What `mpli up` printed, for a failure message: its start (the servers and services it started,
// or why one did not start) and its end (what went wrong since), each at most `part` bytes.
inline std::string up_log_excerpt(const Federation& f, size_t part = 6000) {
  std::string log = read_file(f.up_log);
  if (log.size() <= 2 * part) return log;
  return log.substr(0, part) + "\n[...]\n" + log.substr(log.size() - part);
}

// Waits until `condition` holds, at most `within`. Fails at once when `mpli up` has exited, and
// at the deadline, each time with what it printed.
inline void wait_for_federation(const Federation& f, process::ChildProcess& federation,
                                const std::function<bool()>& condition,
                                std::chrono::milliseconds within, const std::string& what) {
  testing::WaitWatch watch;
  watch.hopeless = [&] { return federation.running() ? std::string() : "mpli up exited"; };
  watch.details = [&] { return "mpli up said:\n" + up_log_excerpt(f); };
  testing::wait_until(condition, within, what, watch);
}

// The gateway's /readyz answers 200 (every service up), waited for as above.
inline void wait_until_ready(const Federation& f, process::ChildProcess& federation,
                             std::chrono::milliseconds within) {
  wait_for_federation(
      f, federation, [&] { return federation_ready(f.http_port); }, within, "federation ready");
}

// The federation's nats-server lets in only its users; the tests connect as its operator.
inline bus::ConnectOptions operator_login(const Federation& f) { return f.login("operator"); }

// Ctrl-C to `mpli up`: it must exit 0 within `within` and leave none of the processes it had
// started (returned: what ran under it just before).
inline std::vector<pid_t> stop_federation(process::ChildProcess& federation,
                                          std::chrono::milliseconds within) {
  std::vector<pid_t> started = descendants(federation.pid());
  REQUIRE(federation.send_signal(SIGINT).is_ok());
  auto status = federation.wait_for(within);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  for (pid_t pid : started) {
    INFO("pid " << pid << " still alive after mpli up exited");
    CHECK_FALSE(process::process_alive(pid));
  }
  return started;
}

// Every log the federation wrote: its own output and <state-dir>/logs/*.
inline std::vector<std::string> federation_logs(const Federation& f) {
  std::vector<std::string> logs = {f.up_log};
  for (const auto& entry : std::filesystem::directory_iterator(f.state_dir + "/logs")) {
    logs.push_back(entry.path().string());
  }
  return logs;
}

}  // namespace mpli::fixture
