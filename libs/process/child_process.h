// ChildProcess: one owner for one spawned program (fork/exec, own process group, optional
// user switch), and the small helpers around it: free ports, TCP readiness, run-to-completion.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::process {

struct Spec {
  std::string program;  // absolute path, or a name looked up on PATH
  std::vector<std::string> args;
  std::map<std::string, std::string> environment;  // added to (or replacing in) the inherited one
  std::string working_directory;                   // "" keeps the current one
  std::string run_as_user;      // "" keeps the current user; used to run PostgreSQL when root
  std::string output_file;      // stdout+stderr appended here, unless capture_output
  bool capture_output = false;  // stdout+stderr readable through output_fd()
  // Signal the child gets if the spawning thread dies first, so a crashed supervisor or test
  // never leaves servers behind. 0 disables.
  int parent_death_signal = 15;  // SIGTERM
};

class ChildProcess {
 public:
  static Result<ChildProcess> spawn(const Spec& spec);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // A child still running here is killed (SIGKILL) and reaped: nothing outlives its owner.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int output_fd() const { return output_fd_; }
  const std::string& name() const { return name_; }

  bool running();
  Status send_signal(int signal_number);
  // Waits until the child exits; returns its wait status, or nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends `signal_number`, waits up to `grace`, then SIGKILL. Returns the wait status.
  int stop(int signal_number, std::chrono::milliseconds grace);
  // Forget the child without killing it (a daemon that outlives us, e.g. under `mpli up`).
  void release();

 private:
  ChildProcess() = default;
  void reset();

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::optional<int> exit_status_;
  std::string name_;
};

struct Completed {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string output;  // stdout and stderr, interleaved
};
// Runs a program to completion, capturing its output, killing it after `timeout`.
Result<Completed> run(const Spec& spec, std::chrono::milliseconds timeout);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released).
Result<int> free_tcp_port();
bool tcp_port_open(const std::string& host, int port);
// Reads the first bytes a server sends on connect (NATS sends INFO {...}); "" when none.
// Sends `request` to host:port and returns the first chunk of the answer ("" when none came
// within `timeout` or the connection failed).
std::string tcp_exchange(const std::string& host, int port, const std::string& request,
                         std::chrono::milliseconds timeout);
std::string tcp_greeting(const std::string& host, int port, std::chrono::milliseconds timeout);

// True while `pid` (not necessarily our child) exists and is not a zombie.
bool process_alive(pid_t pid);

// Looks `program` up on PATH plus the system directories daemons live in (/usr/sbin, ...).
std::string find_program(const std::string& program);

}  // namespace mpli::process
