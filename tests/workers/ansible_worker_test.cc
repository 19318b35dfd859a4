// The Ansible worker's runner with a real ansible-playbook on the local machine: the demo
// playbook provisions, changes and removes its service; a failing playbook's task message comes
// back; parameter values are never templated; an escaping artifact is refused; a run past its
// deadline is killed with everything it started.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "workers/ansible/ansible_runner.h"

namespace mpli::ansibleworker {
namespace {

namespace fs = std::filesystem;

class RecordingProgress : public worker::Progress {
 public:
  void report(int /*percent*/, const std::string& message) override { reports.push_back(message); }
  bool should_stop() const override { return false; }
  std::vector<std::string> reports;
};

worker::Work make_work(const std::string& artifact, const std::string& operation,
                       const std::map<std::string, std::string>& parameters = {},
                       std::chrono::milliseconds deadline_in = std::chrono::minutes(3)) {
  static int counter = 0;
  worker::Work work;
  work.set_work_id("wrk_ansible" + std::to_string(++counter));
  work.set_attempt(1);
  work.set_order_id("ord_demo1");
  work.set_provider_id("ansible-provider");
  work.set_operation(operation);
  work.set_worker_kind("ansible");
  work.set_artifact(artifact);
  for (const auto& [key, value] : parameters) (*work.mutable_parameters())[key] = value;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  work.set_deadline_unix_ms((now + deadline_in).count());
  return work;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string value_of(const worker::StringMap& map, const std::string& key) {
  auto it = map.find(key);
  REQUIRE(it != map.end());
  return it->second;
}

RunnerConfig config_for(const std::string& playbook_dir, const std::string& state_dir) {
  RunnerConfig config;
  config.playbook_dir = playbook_dir;
  config.state_dir = state_dir;
  return config;
}

TEST_CASE("the demo playbook provisions, modifies and removes its service") {
  testing::TempDir state;
  AnsibleRunner runner(config_for(MPLI_PLAYBOOK_DIR, state.path()));
  RecordingProgress progress;

  auto provisioned = runner.run(
      make_work("demo-service.yml", "provision", {{"greeting", "hello"}, {"port", "8080"}}),
      progress);
  INFO(provisioned.message);
  REQUIRE(provisioned.succeeded);
  std::string config_file = value_of(provisioned.outputs, "config_file");
  CHECK(config_file == state.path() + "/playbook-state/demo-service/ord_demo1/service.conf");
  std::string text = read_text(config_file);
  CHECK(text.find("greeting = hello\n") != std::string::npos);
  CHECK(text.find("port = 8080\n") != std::string::npos);
  CHECK(std::find(progress.reports.begin(), progress.reports.end(),
                  "task: Render the service configuration") != progress.reports.end());
  // The run's directory (extra vars, outputs) is gone with the run.
  CHECK(fs::is_empty(state.path() + "/runs"));

  auto modified =
      runner.run(make_work("demo-service.yml", "modify", {{"greeting", "bonjour"}}), progress);
  INFO(modified.message);
  REQUIRE(modified.succeeded);
  text = read_text(config_file);
  CHECK(text.find("greeting = bonjour\n") != std::string::npos);
  CHECK(text.find("hello") == std::string::npos);
  CHECK(text.find("port") == std::string::npos);
  CHECK(value_of(modified.outputs, "changed") == "True");

  auto removed = runner.run(make_work("demo-service.yml", "deprovision"), progress);
  INFO(removed.message);
  REQUIRE(removed.succeeded);
  CHECK_FALSE(fs::exists(fs::path(config_file).parent_path()));
  CHECK(value_of(removed.outputs, "removed") == "True");

  auto again = runner.run(make_work("demo-service.yml", "deprovision"), progress);
  REQUIRE(again.succeeded);
  CHECK(value_of(again.outputs, "removed") == "False");
}

TEST_CASE("a parameter value reaches the playbook as text, never as a template") {
  testing::TempDir state;
  AnsibleRunner runner(config_for(MPLI_PLAYBOOK_DIR, state.path()));
  RecordingProgress progress;
  std::string marker = state.path() + "/templated";
  std::string value = "{{ lookup('pipe', 'touch " + marker + "') }}";
  auto outcome =
      runner.run(make_work("demo-service.yml", "provision", {{"greeting", value}}), progress);
  INFO(outcome.message);
  REQUIRE(outcome.succeeded);
  CHECK(read_text(value_of(outcome.outputs, "config_file")).find("greeting = " + value) !=
        std::string::npos);
  CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("a parameter naming an Ansible variable is refused before anything runs") {
  testing::TempDir state;
  AnsibleRunner runner(config_for(MPLI_PLAYBOOK_DIR, state.path()));
  RecordingProgress progress;
  auto outcome = runner.run(
      make_work("demo-service.yml", "provision", {{"ansible_python_interpreter", "/bin/sh"}}),
      progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK_FALSE(outcome.retryable);
  CHECK(progress.reports.empty());
}

TEST_CASE("a failing playbook fails with its task's message") {
  testing::TempDir dir;
  fs::create_directories(dir.path() + "/playbooks");
  std::ofstream(dir.path() + "/playbooks/fail.yml") << R"(- hosts: localhost
  gather_facts: false
  tasks:
    - name: Do a harmless thing
      ansible.builtin.command: "true"
    - name: Break on purpose
      ansible.builtin.fail:
        msg: "the disk is full, says the test"
)";
  AnsibleRunner runner(config_for(dir.path() + "/playbooks", dir.path() + "/state"));
  RecordingProgress progress;
  auto outcome = runner.run(make_work("fail.yml", "provision"), progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK_FALSE(outcome.retryable);
  CHECK(outcome.message == "task 'Break on purpose' failed: the disk is full, says the test");
}

TEST_CASE("an artifact outside the playbook directory is refused") {
  testing::TempDir dir;
  fs::create_directories(dir.path() + "/playbooks");
  std::ofstream(dir.path() + "/outside.yml") << "- hosts: localhost\n  tasks: []\n";
  fs::create_symlink(dir.path() + "/outside.yml", dir.path() + "/playbooks/link.yml");
  AnsibleRunner runner(config_for(dir.path() + "/playbooks", dir.path() + "/state"));
  RecordingProgress progress;
  for (const char* artifact : {"../outside.yml", "link.yml", "missing.yml"}) {
    INFO(artifact);
    auto outcome = runner.run(make_work(artifact, "provision"), progress);
    CHECK_FALSE(outcome.succeeded);
    CHECK_FALSE(outcome.retryable);
  }
}

// Stops (as the worker does on SIGTERM) once the playbook's sleep has written its pid.
class StopWhenFileExists : public RecordingProgress {
 public:
  explicit StopWhenFileExists(std::string path) : path_(std::move(path)) {}
  bool should_stop() const override { return fs::exists(path_) && fs::file_size(path_) > 0; }

 private:
  std::string path_;
};

std::string write_sleeper(const std::string& dir, const std::string& pid_file) {
  fs::create_directories(dir + "/playbooks");
  std::ofstream(dir + "/playbooks/slow.yml") << R"(- hosts: localhost
  gather_facts: false
  tasks:
    - name: Sleep for an hour
      ansible.builtin.shell: "echo $$ > )" << pid_file
                                             << R"(; exec sleep 3600"
)";
  return dir + "/playbooks";
}

TEST_CASE("a stopped run is killed with its whole process group") {
  testing::TempDir dir;
  std::string pid_file = dir.path() + "/sleeper.pid";
  AnsibleRunner runner(config_for(write_sleeper(dir.path(), pid_file), dir.path() + "/state"));
  StopWhenFileExists progress(pid_file);
  auto outcome = runner.run(make_work("slow.yml", "provision"), progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK(outcome.retryable);
  CHECK(outcome.message == "stopped: the worker is shutting down (in task 'Sleep for an hour')");
  pid_t sleeper = std::stoi(read_text(pid_file));
  // The sleep is a grandchild of ansible-playbook: only a kill of the group reaches it.
  testing::wait_until([&] { return !process::process_alive(sleeper); }, std::chrono::seconds(10),
                      "the playbook's sleep outlived the killed run");
}

TEST_CASE("a run past the item's deadline is a retryable failure") {
  testing::TempDir dir;
  AnsibleRunner runner(
      config_for(write_sleeper(dir.path(), dir.path() + "/pid"), dir.path() + "/state"));
  RecordingProgress progress;
  auto outcome =
      runner.run(make_work("slow.yml", "provision", {}, std::chrono::seconds(3)), progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK(outcome.retryable);
  CHECK(outcome.message.find("did not finish before the item's deadline") != std::string::npos);

  auto late =
      runner.run(make_work("slow.yml", "provision", {}, std::chrono::seconds(-1)), progress);
  CHECK_FALSE(late.succeeded);
  CHECK(late.retryable);
}

}  // namespace
}  // namespace mpli::ansibleworker
