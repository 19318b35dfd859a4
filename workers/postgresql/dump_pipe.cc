#include "workers/postgresql/dump_pipe.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace mpli::pgworker {

namespace {

constexpr std::size_t kKeepOutput = std::size_t{64} * 1024;

// One owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

Status make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return internal_error(std::string("pipe: ") + strerror(errno));
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return Status::ok();
}

// A spawned child, killed (its whole group) and reaped if still running when dropped.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Status spawn(const PipeCommand& command, int stdin_fd, int stdout_fd, int stderr_fd) {
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      auto key = entry.substr(0, entry.find('='));
      if (command.environment.count(key) == 0) env_text.push_back(entry);
    }
    for (const auto& [key, value] : command.environment) env_text.push_back(key + "=" + value);
    std::vector<char*> envp;
    envp.reserve(env_text.size() + 1);
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<std::string> arg_text{command.program};
    arg_text.insert(arg_text.end(), command.args.begin(), command.args.end());
    std::vector<char*> argv;
    argv.reserve(arg_text.size() + 1);
    for (auto& arg : arg_text) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own group (killed as one on a timeout); default SIGPIPE and an empty mask whatever this
    // thread blocks, so a consumer that dies ends the producer the usual way.
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    int rc =
        ::posix_spawnp(&pid_, command.program.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      pid_ = -1;
      return internal_error("cannot start " + command.program + ": " + strerror(rc));
    }
    return Status::ok();
  }
  void kill_group() {
    if (pid_ > 0 && !exited_) ::kill(-pid_, SIGKILL);
  }
  // Non-blocking (block=false) or blocking reap; true once exited.
  bool reap(bool block) {
    if (pid_ <= 0 || exited_) return true;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return exited_;
  }
  int exit_code() const { return exit_code_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

void keep_tail(std::string& kept, const char* data, std::size_t size) {
  kept.append(data, size);
  if (kept.size() > kKeepOutput) kept.erase(0, kept.size() - kKeepOutput);
}

// SIGPIPE blocked on this thread while it writes into the consumer, so a consumer that exits
// gives EPIPE here instead of ending the worker; a pending one is consumed before unblocking.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeBlock() {
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t set_{};
  sigset_t old_{};
};

}  // namespace

Result<PipeResult> run_pipe(const PipeCommand& producer, const PipeCommand& consumer,
                            std::chrono::steady_clock::time_point deadline,
                            const std::function<void(std::uint64_t)>& on_progress,
                            const std::function<bool()>& should_stop) {
  SigpipeBlock no_sigpipe;
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd data_read, data_write, feed_read, feed_write, perr_read, perr_write, cout_read, cout_write;
  for (auto [r, w] : {std::pair<Fd*, Fd*>{&data_read, &data_write},
                      {&feed_read, &feed_write},
                      {&perr_read, &perr_write},
                      {&cout_read, &cout_write}}) {
    MPLI_RETURN_IF_ERROR(make_pipe(*r, *w));
  }
  PipeResult result;
  Child producer_child;
  Child consumer_child;
  MPLI_RETURN_IF_ERROR(
      producer_child.spawn(producer, null_in.get(), data_write.get(), perr_write.get()));
  MPLI_RETURN_IF_ERROR(
      consumer_child.spawn(consumer, feed_read.get(), cout_write.get(), cout_write.get()));
  // The children hold their ends now; ours would keep EOF from ever arriving.
  data_write.reset();
  feed_read.reset();
  perr_write.reset();
  cout_write.reset();
  ::fcntl(feed_write.get(), F_SETFL, ::fcntl(feed_write.get(), F_GETFL) | O_NONBLOCK);

  std::vector<char> buffer(1 << 16);
  std::size_t pending_offset = 0;
  std::size_t pending_size = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (data_read.get() >= 0 || perr_read.get() >= 0 || cout_read.get() >= 0) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || should_stop()) {
      result.timed_out = true;
      break;
    }
    std::array<pollfd, 4> fds{};
    fds[0] = {pending_size == 0 ? data_read.get() : -1, POLLIN, 0};
    fds[1] = {pending_size > 0 ? feed_write.get() : -1, POLLOUT, 0};
    fds[2] = {perr_read.get(), POLLIN, 0};
    fds[3] = {cout_read.get(), POLLIN, 0};
    int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno != EINTR) return internal_error(std::string("poll: ") + strerror(errno));
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::read(data_read.get(), buffer.data(), buffer.size());
      if (n > 0) {
        pending_offset = 0;
        pending_size = static_cast<std::size_t>(n);
      } else if (n == 0 || errno != EINTR) {
        data_read.reset();
        feed_write.reset();  // EOF for the consumer
      }
    }
    if (fds[1].revents != 0 && pending_size > 0) {
      ssize_t n = ::write(feed_write.get(), buffer.data() + pending_offset, pending_size);
      if (n > 0) {
        pending_offset += static_cast<std::size_t>(n);
        pending_size -= static_cast<std::size_t>(n);
        result.bytes += static_cast<std::uint64_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        // The consumer is gone: stop feeding; the producer then gets SIGPIPE.
        feed_write.reset();
        data_read.reset();
        pending_size = 0;
      }
    }
    for (auto [index, fd, kept] :
         {std::tuple<int, Fd*, std::string*>{2, &perr_read, &result.producer_output},
          {3, &cout_read, &result.consumer_output}}) {
      if (fds[static_cast<std::size_t>(index)].revents == 0) continue;
      char text[4096];
      ssize_t n = ::read(fd->get(), text, sizeof text);
      if (n > 0) {
        keep_tail(*kept, text, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fd->reset();
      }
    }
    if (now - last_progress >= std::chrono::seconds(1)) {
      last_progress = now;
      on_progress(result.bytes);
    }
  }
  if (result.timed_out) {
    producer_child.kill_group();
    consumer_child.kill_group();
  }
  feed_write.reset();
  data_read.reset();
  producer_child.reap(true);
  consumer_child.reap(true);
  result.producer_exit = producer_child.exit_code();
  result.consumer_exit = consumer_child.exit_code();
  return result;
}

}  // namespace mpli::pgworker
