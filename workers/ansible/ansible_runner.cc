#include "workers/ansible/ansible_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "libs/core/log.h"
#include "libs/process/child_process.h"
#include "workers/ansible/domain/playbook_run.h"

namespace mpli::ansibleworker {

namespace fs = std::filesystem;
using worker::Outcome;
using worker::Work;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxKeptOutput =
    std::size_t{256} * 1024;  // the tail is what describes a failure

std::string safe_file_name(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x80 && (std::isalnum(u) != 0 || c == '-' || c == '_')) ? c : '_';
  }
  return out.empty() ? "_" : out;
}

Status write_private_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return internal_error("cannot create " + path + ": " + std::strerror(errno));
  bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return written ? Status::ok() : internal_error("cannot write " + path);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Outcome failure_from(const Status& status) {
  bool retryable = status.code() == StatusCode::kUnavailable ||
                   status.code() == StatusCode::kDeadlineExceeded ||
                   status.code() == StatusCode::kBusy;
  return Outcome::failure(status.message(), retryable);
}

// Where the run happens; the run directory holds the extra vars and goes with the run.
struct RunPaths {
  std::string run_dir;
  std::string extra_vars;
  std::string outputs;
  std::string secrets;
};

struct Finished {
  int exit_code = -1;
  std::string output;  // its tail
  bool killed = false;
  bool stopped = false;  // the worker is stopping (else: the deadline passed)
  std::string last_task;
};

void kill_group(pid_t pid, int signal_number) {
  // The child leads its own process group (ChildProcess::spawn), so this reaches the forks
  // Ansible makes for its modules too.
  if (pid > 0) kill(-pid, signal_number);
}

// Runs ansible-playbook, reporting each task as progress, until it exits, the deadline passes
// or the worker stops; then the whole process group goes.
Result<Finished> run_until(const process::Spec& spec, Clock::time_point deadline,
                           std::chrono::milliseconds grace, worker::Progress& progress) {
  MPLI_ASSIGN_OR_RETURN(process::ChildProcess child, process::ChildProcess::spawn(spec));
  Finished finished;
  std::string pending;  // an incomplete last line
  char buffer[8192];
  bool open_output = true;
  while (open_output) {
    if (Clock::now() >= deadline || progress.should_stop()) {
      finished.killed = true;
      finished.stopped = Clock::now() < deadline;
      kill_group(child.pid(), SIGTERM);
      if (!child.wait_for(grace)) kill_group(child.pid(), SIGKILL);
      break;
    }
    pollfd pfd{child.output_fd(), POLLIN, 0};
    int ready = poll(&pfd, 1, 200);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      // A module's leftover child may hold the pipe open after ansible-playbook is gone.
      if (!child.running()) break;
      continue;
    }
    ssize_t n = read(child.output_fd(), buffer, sizeof(buffer));
    if (n <= 0) {
      open_output = false;
      break;
    }
    finished.output.append(buffer, static_cast<std::size_t>(n));
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (line.rfind("TASK [", 0) == 0) {
        auto end = line.rfind("] ");
        finished.last_task = line.substr(6, end == std::string::npos ? end : end - 6);
        progress.report(0, "task: " + finished.last_task);
      }
    }
    if (finished.output.size() > 2 * kMaxKeptOutput) {
      finished.output.erase(0, finished.output.size() - kMaxKeptOutput);
    }
  }
  auto status = child.wait_for(finished.killed ? grace : std::chrono::seconds(30));
  if (!status) {
    kill_group(child.pid(), SIGKILL);
    status = child.wait_for(grace);
  }
  finished.exit_code = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return finished;
}

}  // namespace

AnsibleRunner::AnsibleRunner(RunnerConfig config) : config_(std::move(config)) {}

Outcome AnsibleRunner::run(const Work& work, worker::Progress& progress) const {
  log::CorrelationScope scope(work.work_id());
  auto result = [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(std::string relative, playbook_relative_path(work.artifact()));
    // Resolved, so a symbolic link inside the directory cannot point outside it either.
    std::error_code ec;
    fs::path root = fs::canonical(config_.playbook_dir, ec);
    if (ec)
      return failed_precondition("playbook directory " + config_.playbook_dir + ": " +
                                 ec.message());
    fs::path playbook = fs::canonical(root / relative, ec);
    if (ec || !fs::is_regular_file(playbook)) {
      return invalid_field("artifact", "no playbook " + relative + " in " + config_.playbook_dir);
    }
    auto inside = std::mismatch(root.begin(), root.end(), playbook.begin(), playbook.end());
    if (inside.first != root.end()) {
      return invalid_field("artifact", relative + " resolves outside the playbook directory");
    }

    fs::path state = config_.state_dir;
    RunPaths paths;
    paths.run_dir =
        (state / "runs" / safe_file_name(work.work_id() + "-" + std::to_string(work.attempt())))
            .string();
    fs::remove_all(paths.run_dir, ec);  // a run cut short earlier, by a crash
    fs::create_directories(paths.run_dir, ec);
    if (ec) return internal_error("cannot create " + paths.run_dir + ": " + ec.message());
    fs::permissions(paths.run_dir, fs::perms::owner_all, ec);
    paths.extra_vars = paths.run_dir + "/extra-vars.yml";
    paths.outputs = paths.run_dir + "/outputs.json";
    paths.secrets = paths.run_dir + "/secrets.json";
    std::string playbook_state = (state / "playbook-state").string();
    std::string ansible_tmp = (state / "ansible" / "tmp").string();
    std::string ansible_home = (state / "ansible" / "home").string();
    for (const auto& dir : {playbook_state, ansible_tmp, ansible_home}) {
      fs::create_directories(dir, ec);
    }
    struct RunDirRemover {
      std::string dir;
      ~RunDirRemover() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
      }
    } remover{paths.run_dir};

    std::map<std::string, std::string> parameters(work.parameters().begin(),
                                                  work.parameters().end());
    MPLI_ASSIGN_OR_RETURN(
        std::string document,
        extra_vars_document(parameters,
                            RunVariables{work.order_id(), work.operation(), work.work_id(),
                                         playbook_state, paths.outputs, paths.secrets}));
    MPLI_RETURN_IF_ERROR(write_private_file(paths.extra_vars, document));

    auto timeout = config_.default_timeout;
    if (work.deadline_unix_ms() > 0) {
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch());
      timeout = std::chrono::milliseconds(work.deadline_unix_ms()) - now;
    }
    if (timeout.count() <= 0) return deadline_exceeded("the item's deadline passed before the run");

    process::Spec spec;
    spec.program = config_.ansible_playbook;
    spec.args = {"-i",           "localhost,",          "-c", "local", playbook.string(),
                 "--extra-vars", "@" + paths.extra_vars};
    // The playbook directory as working directory: a provider's ansible.cfg there applies.
    spec.working_directory = root.string();
    spec.environment = {{"ANSIBLE_NOCOLOR", "1"},
                        {"ANSIBLE_FORCE_COLOR", "0"},
                        {"ANSIBLE_RETRY_FILES_ENABLED", "0"},
                        {"ANSIBLE_STDOUT_CALLBACK", "default"},
                        {"ANSIBLE_CALLBACK_RESULT_FORMAT", "json"},
                        {"ANSIBLE_CALLBACK_FORMAT_PRETTY", "0"},
                        {"ANSIBLE_LOCAL_TEMP", ansible_tmp},
                        {"ANSIBLE_REMOTE_TEMP", ansible_tmp},
                        {"ANSIBLE_HOME", ansible_home},
                        {"ANSIBLE_HOST_KEY_CHECKING", "0"},
                        {"PYTHONUNBUFFERED", "1"}};
    spec.capture_output = true;
    spec.parent_death_signal = SIGKILL;
    progress.report(0, "ansible-playbook " + relative + " started");
    MPLI_ASSIGN_OR_RETURN(Finished finished,
                          run_until(spec, Clock::now() + timeout, config_.kill_grace, progress));
    if (finished.killed) {
      std::string where =
          finished.last_task.empty() ? "" : " (in task '" + finished.last_task + "')";
      return Outcome::failure(finished.stopped
                                  ? "stopped: the worker is shutting down" + where
                                  : "ansible-playbook did not finish before the item's deadline "
                                    "and was killed" +
                                        where,
                              true);
    }
    if (finished.exit_code != 0) {
      RunFailure failure = describe_failure(finished.exit_code, finished.output);
      return Outcome::failure(failure.message, failure.retryable);
    }
    worker::StringMap outputs;
    worker::StringMap secrets;
    if (auto text = read_file(paths.outputs)) {
      MPLI_ASSIGN_OR_RETURN(outputs, parse_outputs(*text));
    }
    if (auto text = read_file(paths.secrets)) {
      MPLI_ASSIGN_OR_RETURN(secrets, parse_outputs(*text));
    }
    return Outcome::success(std::move(outputs), std::move(secrets),
                            "ansible-playbook " + relative + " ran " + work.operation());
  }();
  Outcome outcome = result ? std::move(result).value() : failure_from(result.status());
  log::write(outcome.succeeded ? log::Level::kInfo : log::Level::kWarn,
             work.operation() + (outcome.succeeded ? " succeeded" : " failed"),
             {{"order_id", work.order_id()},
              {"work_id", work.work_id()},
              {"attempt", work.attempt()},
              {"artifact", work.artifact()},
              {"message", outcome.message},
              {"retryable", outcome.retryable}});
  return outcome;
}

}  // namespace mpli::ansibleworker
