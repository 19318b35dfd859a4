#include "libs/process/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "libs/process/user_account.h"

namespace mpli::process {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool is_zombie_or_gone(pid_t pid) {
  // PID 1 on some machines reaps late and kill(pid, 0) succeeds on a zombie, so ask /proc.
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream in(path);
  if (!in) return true;
  char buffer[512] = {0};
  in.read(buffer, sizeof(buffer) - 1);
  std::string stat(buffer, static_cast<size_t>(in.gcount()));
  auto close_paren = stat.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= stat.size() ||
         stat[close_paren + 2] == 'Z';
}

}  // namespace

bool process_alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0 && !is_zombie_or_gone(pid); }

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + program;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return program;
}

Result<ChildProcess> ChildProcess::spawn(const Spec& spec) {
  std::string program = find_program(spec.program);
  if (access(program.c_str(), X_OK) != 0) {
    return not_found("cannot execute " + spec.program + " (" + program + ")");
  }

  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env_map[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool switch_user = !spec.run_as_user.empty() && geteuid() == 0;
  if (switch_user) {
    MPLI_ASSIGN_OR_RETURN(UserAccount account, lookup_user(spec.run_as_user));
    uid = account.uid;
    gid = account.gid;
    groups = std::move(account.groups);
    env_map["HOME"] = account.home;
    env_map["USER"] = spec.run_as_user;
    env_map["LOGNAME"] = spec.run_as_user;
  }
  for (const auto& [key, value] : spec.environment) env_map[key] = value;
  std::vector<std::string> env_storage;
  env_storage.reserve(env_map.size());
  for (const auto& [key, value] : env_map) env_storage.push_back(key + "=" + value);
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int output_fd = -1;
  int pipe_fds[2] = {-1, -1};
  if (spec.capture_output) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return internal_error(errno_text("pipe"));
  } else if (!spec.output_file.empty()) {
    output_fd = open(spec.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (output_fd < 0) return internal_error(errno_text("cannot open " + spec.output_file));
    if (switch_user && fchown(output_fd, uid, gid) != 0) {
      close(output_fd);
      return internal_error(
          errno_text("cannot hand " + spec.output_file + " to " + spec.run_as_user));
    }
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  const char* working_directory =
      spec.working_directory.empty() ? nullptr : spec.working_directory.c_str();
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) return internal_error(errno_text("fork"));
  if (pid == 0) {
    // Own process group: a Ctrl-C meant for the supervisor does not reach its children, which
    // it stops in order itself.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int out = spec.capture_output ? pipe_fds[1] : (output_fd >= 0 ? output_fd : null_fd);
    dup2(null_fd, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    if (switch_user) {
      // setgroups, not initgroups: initgroups reads the group database (locks, malloc), which
      // a child forked from a threaded parent may find held by a thread that is gone.
      if (setgroups(groups.size(), groups.data()) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        _exit(126);
      }
    }
    // After the user switch: a credential change clears the parent-death signal.
    if (spec.parent_death_signal != 0) {
      prctl(PR_SET_PDEATHSIG, spec.parent_death_signal);
      if (getppid() != parent) _exit(127);
    }
    if (working_directory != nullptr && chdir(working_directory) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }

  if (null_fd >= 0) close(null_fd);
  if (output_fd >= 0) close(output_fd);
  ChildProcess child;
  child.pid_ = pid;
  child.name_ = spec.program;
  if (spec.capture_output) {
    close(pipe_fds[1]);
    child.output_fd_ = pipe_fds[0];
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = other.pid_;
    output_fd_ = other.output_fd_;
    exit_status_ = other.exit_status_;
    name_ = std::move(other.name_);
    other.pid_ = -1;
    other.output_fd_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { reset(); }

void ChildProcess::reset() {
  if (pid_ > 0 && !exit_status_) stop(SIGKILL, std::chrono::milliseconds(2000));
  if (output_fd_ >= 0) close(output_fd_);
  pid_ = -1;
  output_fd_ = -1;
}

void ChildProcess::release() {
  pid_ = -1;
  if (output_fd_ >= 0) close(output_fd_);
  output_fd_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exit_status_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    return false;
  }
  return r == 0;
}

Status ChildProcess::send_signal(int signal_number) {
  if (!running()) return failed_precondition(name_ + " is not running");
  if (kill(pid_, signal_number) != 0) return internal_error(errno_text("kill " + name_));
  return Status::ok();
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(20)) pause *= 2;
  }
  return exit_status_;
}

int ChildProcess::stop(int signal_number, std::chrono::milliseconds grace) {
  if (running()) {
    kill(pid_, signal_number);
    if (!wait_for(grace)) {
      kill(pid_, SIGKILL);
      wait_for(std::chrono::milliseconds(5000));
    }
  }
  return exit_status_.value_or(-1);
}

Result<Completed> run(const Spec& spec, std::chrono::milliseconds timeout) {
  Spec captured = spec;
  captured.capture_output = true;
  captured.parent_death_signal = SIGKILL;
  auto child = ChildProcess::spawn(captured);
  if (!child) return child.status();
  Completed done;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{child->output_fd(), POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready <= 0) continue;
    ssize_t n = read(child->output_fd(), buffer, sizeof(buffer));
    if (n <= 0) break;  // EOF: the child closed its output (normally: it exited)
    done.output.append(buffer, static_cast<size_t>(n));
  }
  auto status = child->wait_for(
      std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - std::chrono::steady_clock::now())));
  if (!status) {
    child->stop(SIGKILL, std::chrono::milliseconds(1000));
    return deadline_exceeded(spec.program + " did not finish within " +
                             std::to_string(timeout.count()) + " ms");
  }
  done.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return done;
}

Result<int> free_tcp_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return internal_error(errno_text("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return internal_error(errno_text("bind"));
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

namespace {
int connect_tcp(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

bool tcp_port_open(const std::string& host, int port) {
  int fd = connect_tcp(host, port);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::string tcp_exchange(const std::string& host, int port, const std::string& request,
                         std::chrono::milliseconds timeout) {
  int fd = connect_tcp(host, port);
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return "";
    }
    sent += static_cast<size_t>(n);
  }
  std::string text;
  pollfd pfd{fd, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) > 0) {
    char buffer[2048];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) text.assign(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

std::string tcp_greeting(const std::string& host, int port, std::chrono::milliseconds timeout) {
  return tcp_exchange(host, port, "", timeout);
}

}  // namespace mpli::process
