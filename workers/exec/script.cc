#include "workers/exec/script.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace mpli::worker::exec {
namespace {

constexpr size_t kMaxOutput = 1 << 20;  // a script's stdout beyond 1 MiB is a broken script
constexpr int kTempFail = 75;           // EX_TEMPFAIL

Status errno_status(const std::string& what) {
  return internal_error(what + ": " + std::strerror(errno));
}

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void close_end(int end) {
    if (fds[end] >= 0) ::close(fds[end]);
    fds[end] = -1;
  }
};

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end - start + 1);
}

// Outputs and secrets are string maps; a number or boolean is taken as its JSON text.
Result<StringMap> string_map(const nlohmann::json& object, const char* field) {
  StringMap out;
  if (object.is_null()) return out;
  if (!object.is_object()) return invalid_argument(std::string(field) + " must be an object");
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      out[key] = value.dump();
    } else {
      return invalid_argument(std::string(field) + "." + key + " must be a string");
    }
  }
  return out;
}

}  // namespace

Result<std::string> resolve_script(const std::string& script_dir, const std::string& artifact) {
  if (artifact.empty()) return invalid_argument("the work item names no script (artifact)");
  if (artifact.front() == '/') return invalid_argument("the script path must be relative");
  size_t start = 0;
  while (start <= artifact.size()) {
    size_t end = artifact.find('/', start);
    if (end == std::string::npos) end = artifact.size();
    if (artifact.compare(start, end - start, "..") == 0) {
      return invalid_argument("the script path must not leave the script directory");
    }
    start = end + 1;
  }
  char dir_real[PATH_MAX];
  char script_real[PATH_MAX];
  if (::realpath(script_dir.c_str(), dir_real) == nullptr) {
    return invalid_argument("script directory " + script_dir + ": " + std::strerror(errno));
  }
  std::string path = std::string(dir_real) + "/" + artifact;
  if (::realpath(path.c_str(), script_real) == nullptr) {
    return invalid_argument("script " + artifact + ": " + std::strerror(errno));
  }
  std::string prefix = std::string(dir_real) + "/";
  if (std::string(script_real).compare(0, prefix.size(), prefix) != 0) {
    return invalid_argument("the script path must not leave the script directory");
  }
  struct stat info {};
  if (::stat(script_real, &info) != 0 || !S_ISREG(info.st_mode)) {
    return invalid_argument("script " + artifact + " is not a regular file");
  }
  if (::access(script_real, X_OK) != 0) {
    return invalid_argument("script " + artifact + " is not executable");
  }
  return std::string(script_real);
}

namespace {

// What the child needs, prepared before the clone: between the clone and the exec the child
// shares the worker's memory and may only make system calls, touching nothing the worker owns.
struct ChildStart {
  const char* program;
  char** argv;
  char** envp;
  pid_t parent;
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  int exec_error_fd;  // close-on-exec: errno is written to it when the exec fails
};

int start_child(void* arg) {
  const auto& start = *static_cast<const ChildStart*>(arg);
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != start.parent) ::_exit(127);
  // The child has its own signal table (no CLONE_SIGHAND): the worker's handlers must not run
  // here, on the worker's memory, so every signal goes back to its default before the mask,
  // blocked whole by spawn_child, is emptied.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    ::sigaction(signal_number, &default_action, nullptr);
  }
  sigset_t no_signals;
  sigemptyset(&no_signals);
  ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
  ::dup2(start.stdin_fd, 0);
  ::dup2(start.stdout_fd, 1);
  ::dup2(start.stderr_fd, 2);
  ::execve(start.program, start.argv, start.envp);
  int error = errno;
  (void)!::write(start.exec_error_fd, &error, sizeof error);
  ::_exit(127);
}

// clone(CLONE_VM | CLONE_VFORK): returns once the child has exec'd or exited. Every signal is
// blocked around it, so no handler of the worker's runs in the child before it resets them.
pid_t spawn_child(ChildStart& start) {
  constexpr size_t kStackBytes = size_t{64} * 1024;
  std::vector<char> stack(kStackBytes);
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  pid_t pid =
      ::clone(start_child, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = clone_errno;
  return pid;
}

}  // namespace

Result<ScriptRun> run_script(const std::string& program, const std::string& input,
                             const std::map<std::string, std::string>& environment,
                             std::chrono::system_clock::time_point deadline) {
  Pipe in;
  Pipe out;
  Pipe err;
  if (::pipe2(in.fds, O_CLOEXEC) != 0 || ::pipe2(out.fds, O_CLOEXEC) != 0 ||
      ::pipe2(err.fds, O_CLOEXEC) != 0) {
    return errno_status("pipe");
  }
  // The worker's own NATS settings are not the script's business.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (name.rfind("MPLI_NATS_", 0) == 0 || environment.count(name) != 0) continue;
    env_strings.push_back(entry);
  }
  for (const auto& [name, value] : environment) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string program_copy = program;
  char* argv[] = {program_copy.data(), nullptr};

  // Started like posix_spawn (a vfork-style clone: no copy of the worker's page tables, which
  // a fork costs, and the worker's thread waits only until the exec) but by hand, for
  // PR_SET_PDEATHSIG: a script whose worker died (SIGKILL) is killed too instead of running on
  // beside the redelivered attempt. Its own process group, so a timeout kills all it started;
  // default signal handling and an empty mask (the worker blocks SIGTERM for its signal thread).
  Pipe exec_error;
  if (::pipe2(exec_error.fds, O_CLOEXEC) != 0) return errno_status("pipe");
  ChildStart start{program.c_str(), argv,       envp.data(), ::getpid(),
                   in.fds[0],       out.fds[1], err.fds[1],  exec_error.fds[1]};
  pid_t pid = spawn_child(start);
  if (pid < 0) return errno_status("clone");
  exec_error.close_end(1);
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(exec_error.fds[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    errno = exec_errno;
    return errno_status("start " + program);
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  ::fcntl(in.fds[1], F_SETFL, O_NONBLOCK);

  ScriptRun run;
  size_t written = 0;
  if (input.empty()) in.close_end(1);
  char buffer[65536];
  while (out.fds[0] >= 0 || err.fds[0] >= 0) {
    auto now = std::chrono::system_clock::now();
    if (now >= deadline) {
      run.timed_out = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = left > 1000 ? 1000 : static_cast<int>(left) + 1;
    std::vector<pollfd> fds;
    if (in.fds[1] >= 0) fds.push_back({in.fds[1], POLLOUT, 0});
    if (out.fds[0] >= 0) fds.push_back({out.fds[0], POLLIN, 0});
    if (err.fds[0] >= 0) fds.push_back({err.fds[0], POLLIN, 0});
    int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno != EINTR) break;
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in.fds[1]) {
        ssize_t n = ::write(p.fd, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        // A script that does not read its stdin (EPIPE) is fine.
        if (written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          in.close_end(1);
        }
        continue;
      }
      ssize_t n = ::read(p.fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) {
        (p.fd == out.fds[0] ? out : err).close_end(0);
        continue;
      }
      if (p.fd == out.fds[0]) {
        size_t room = kMaxOutput - std::min(kMaxOutput, run.stdout_text.size());
        run.stdout_text.append(buffer, std::min(room, static_cast<size_t>(n)));
      } else {
        run.stderr_tail.append(buffer, static_cast<size_t>(n));
        if (run.stderr_tail.size() > kMaxOutput) {
          run.stderr_tail.erase(0, run.stderr_tail.size() - kMaxOutput);
        }
      }
    }
  }
  if (run.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!run.timed_out) {
    // The script is done; whatever it left running in its group goes with it.
    ::kill(-pid, SIGKILL);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return run;
}

Outcome interpret(const ScriptRun& run) {
  if (run.timed_out) return Outcome::failure("the script did not finish by the deadline", true);
  nlohmann::json document = nlohmann::json::parse(run.stdout_text, nullptr, false);
  std::string message;
  if (!document.is_discarded() && document.is_object() && document.contains("message") &&
      document["message"].is_string()) {
    message = document["message"].get<std::string>();
  }
  if (run.exit_code == 0) {
    if (run.stdout_text.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Outcome::success();
    }
    if (document.is_discarded() || !document.is_object()) {
      return Outcome::failure("the script's output is not a JSON object", false);
    }
    auto outputs = string_map(document.value("outputs", nlohmann::json()), "outputs");
    auto secrets = string_map(document.value("secrets", nlohmann::json()), "secrets");
    if (!outputs.is_ok() || !secrets.is_ok()) {
      return Outcome::failure("the script's output: " +
                                  (outputs.is_ok() ? secrets.status() : outputs.status()).message(),
                              false);
    }
    return Outcome::success(*outputs, *secrets, message);
  }
  std::string reason = last_line(run.stderr_tail);
  if (reason.empty()) reason = message;
  if (reason.empty()) {
    reason = run.exit_code < 0 ? "the script was killed"
                               : "the script exited with " + std::to_string(run.exit_code);
  }
  return Outcome::failure(reason, run.exit_code == kTempFail);
}

}  // namespace mpli::worker::exec
