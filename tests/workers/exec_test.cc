// mpli-worker-exec with real shell scripts, the test playing delivery.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "libs/worker/work_json.h"
#include "tests/workers/work_fixture.h"

namespace mpli::testing {
namespace {

int64_t unix_ms_from_now(std::chrono::milliseconds delta) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + delta).time_since_epoch())
      .count();
}

struct ExecWorker {
  ExecWorker(const std::string& url, const std::string& dir, const std::string& state_dir)
      : process(start_worker(bin_dir() + "/mpli-worker-exec",
                             {"--script-dir", dir + "/scripts", "--provider", "acme",
                              "--progress-interval-ms", "200"},
                             {{"MPLI_NATS_URL", url}, {"MPLI_STATE_DIR", state_dir}},
                             dir + "/worker.log")) {}
  process::ChildProcess process;
};

void write_scripts(const std::string& dir) {
  std::string scripts = dir + "/scripts";
  ::mkdir(scripts.c_str(), 0755);
  ::mkdir((scripts + "/db").c_str(), 0755);
  write_script(scripts + "/db/create.sh", R"(#!/bin/sh
cat > "$(dirname "$0")/../../stdin-$MPLI_WORK_ID.json"
echo "$MPLI_WORK_ID" >> "$(dirname "$0")/../../runs"
printf '{"outputs":{"host":"db.example","op":"%s","order":"%s"},"secrets":{"password":"pw"},"message":"created"}\n' "$MPLI_OPERATION" "$MPLI_ORDER_ID"
)");
  write_script(scripts + "/busy.sh",
               "#!/bin/sh\necho 'first' >&2\necho 'server busy' >&2\nexit 75\n");
  write_script(scripts + "/broken.sh",
               "#!/bin/sh\necho 'starting' >&2\necho 'disk quota exceeded' >&2\nexit 1\n");
  write_script(scripts + "/badjson.sh", "#!/bin/sh\necho 'this is not {json'\n");
  // Starts a grandchild that would outlive a naive kill, records its pid, then hangs.
  write_script(scripts + "/hang.sh", R"(#!/bin/sh
sleep 300 &
echo $! > "$(dirname "$0")/../grandchild.pid"
sleep 300
)");
  write_script(dir + "/outside.sh", "#!/bin/sh\necho '{}'\n");
  ::symlink((dir + "/outside.sh").c_str(), (scripts + "/link.sh").c_str());
  // Blocks until the test lets it go (for the crash test).
  write_script(scripts + "/gate.sh", R"(#!/bin/sh
echo $$ > "$(dirname "$0")/../gate.pid"
echo "$MPLI_WORK_ID" >> "$(dirname "$0")/../runs"
i=0
while [ ! -f "$(dirname "$0")/../go" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
echo '{"outputs":{"gated":"yes"}}'
)");
}

// One nats-server, the scripts, delivery played by the test, and one mpli-worker-exec.
struct ExecFixture {
  explicit ExecFixture(std::chrono::milliseconds ack_wait = std::chrono::seconds(30),
                       bool journal = true)
      : nats(dir.path()),
        delivery(nats.url(), "acme", ack_wait),
        state(journal ? dir.path() + "/state" : "") {
    write_scripts(dir.path());
    start();
  }
  void start() { worker = std::make_unique<ExecWorker>(nats.url(), dir.path(), state); }
  std::string file(const std::string& name) const { return read_file(dir.path() + "/" + name); }

  TempDir dir;
  TestNats nats;
  FakeDelivery delivery;
  std::string state;
  std::unique_ptr<ExecWorker> worker;
};

int count_lines(const std::string& text, const std::string& line) {
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, end - start, line) == 0) ++n;
    start = end + 1;
  }
  return n;
}

TEST_CASE("exec: script outcomes for success, exit 75, exit 1, bad JSON and path escapes") {
  ExecFixture f;
  auto& delivery = f.delivery;
  delivery.publish(delivery.item("wrk_ok", "provision", "db/create.sh"));
  delivery.publish(delivery.item("wrk_busy", "modify", "busy.sh"));
  delivery.publish(delivery.item("wrk_broken", "provision", "broken.sh"));
  delivery.publish(delivery.item("wrk_badjson", "provision", "badjson.sh"));
  delivery.publish(delivery.item("wrk_dotdot", "provision", "../outside.sh"));
  delivery.publish(delivery.item("wrk_absolute", "provision", f.dir.path() + "/outside.sh"));
  delivery.publish(delivery.item("wrk_link", "provision", "link.sh"));
  delivery.publish(delivery.item("wrk_missing", "provision", "nope.sh"));

  auto ok = delivery.outcome("wrk_ok", 1);
  CHECK(ok.kind() == "succeeded");
  CHECK(ok.outputs().at("host") == "db.example");
  CHECK(ok.outputs().at("op") == "provision");
  CHECK(ok.outputs().at("order") == "ord_wrk_ok");
  CHECK(ok.secrets().at("password") == "pw");
  CHECK(ok.message() == "created");
  auto input = worker::decode_work_item(f.file("stdin-wrk_ok.json"));
  REQUIRE(input.is_ok());
  CHECK(input->work_id() == "wrk_ok");
  CHECK(input->parameters().at("size") == "10");

  auto busy = delivery.outcome("wrk_busy", 1);
  CHECK(busy.kind() == "failed");
  CHECK(busy.retryable());
  CHECK(busy.message() == "server busy");

  auto broken = delivery.outcome("wrk_broken", 1);
  CHECK(broken.kind() == "failed");
  CHECK_FALSE(broken.retryable());
  CHECK(broken.message() == "disk quota exceeded");

  auto badjson = delivery.outcome("wrk_badjson", 1);
  CHECK(badjson.kind() == "failed");
  CHECK_FALSE(badjson.retryable());
  CHECK(badjson.message().find("JSON") != std::string::npos);

  for (const char* id : {"wrk_dotdot", "wrk_absolute", "wrk_link", "wrk_missing"}) {
    INFO(id);
    auto refused = delivery.outcome(id, 1);
    CHECK(refused.kind() == "failed");
    CHECK_FALSE(refused.retryable());
  }
  // The worker's log never shows a secret.
  CHECK(f.file("worker.log").find("\"pw\"") == std::string::npos);
}

TEST_CASE("exec: a script past its deadline is killed with its process group, retryable") {
  ExecFixture f(std::chrono::seconds(30), /*journal=*/false);
  auto& delivery = f.delivery;
  auto item = delivery.item("wrk_hang", "provision", "hang.sh");
  item.set_deadline_unix_ms(unix_ms_from_now(std::chrono::seconds(2)));
  delivery.publish(item);
  auto outcome = delivery.outcome("wrk_hang", 1);
  CHECK(outcome.kind() == "failed");
  CHECK(outcome.retryable());
  CHECK(outcome.message().find("deadline") != std::string::npos);
  std::string pid_text = f.file("grandchild.pid");
  REQUIRE_FALSE(pid_text.empty());
  pid_t grandchild = std::stoi(pid_text);
  wait_until([&] { return !process::process_alive(grandchild); }, std::chrono::seconds(10),
             "the script's background child is killed with it");
}

TEST_CASE("exec: after a SIGKILL mid-item the item is redone, a finished one is not run again") {
  ExecFixture f(std::chrono::seconds(2));
  auto& delivery = f.delivery;

  delivery.publish(delivery.item("wrk_done", "provision", "db/create.sh"));
  CHECK(delivery.outcome("wrk_done", 1).kind() == "succeeded");

  delivery.publish(delivery.item("wrk_gate", "provision", "gate.sh"));
  wait_until([&] { return count_lines(f.file("runs"), "wrk_gate") == 1; }, std::chrono::seconds(20),
             "the gated script runs");
  REQUIRE(f.worker->process.send_signal(SIGKILL).is_ok());
  (void)f.worker->process.wait_for(std::chrono::seconds(10));
  f.worker.reset();
  // The script dies with its worker (it would otherwise run on beside the redelivery).
  pid_t script = std::stoi(f.file("gate.pid"));
  wait_until([&] { return !process::process_alive(script); }, std::chrono::seconds(10),
             "the script of the killed worker is gone");

  // Delivery tries the finished item again (a new attempt, e.g. after a lost update).
  auto again = delivery.item("wrk_done", "provision", "db/create.sh");
  again.set_attempt(2);
  delivery.publish(again);
  write_script(f.dir.path() + "/go", "");
  f.start();

  auto gated = delivery.outcome("wrk_gate", 1);
  CHECK(gated.kind() == "succeeded");
  CHECK(gated.outputs().at("gated") == "yes");
  auto answered = delivery.outcome("wrk_done", 2);
  CHECK(answered.kind() == "succeeded");
  CHECK(answered.outputs().at("host") == "db.example");
  std::string runs = f.file("runs");
  CHECK(count_lines(runs, "wrk_done") == 1);  // answered from the journal
  CHECK(count_lines(runs, "wrk_gate") == 2);  // not finished before the kill: done again
}

TEST_CASE("exec: SIGTERM finishes the item in hand, then the worker exits 0") {
  ExecFixture f;
  auto& delivery = f.delivery;
  delivery.publish(delivery.item("wrk_term", "provision", "gate.sh"));
  wait_until([&] { return count_lines(f.file("runs"), "wrk_term") == 1; }, std::chrono::seconds(20),
             "the gated script runs");
  REQUIRE(f.worker->process.send_signal(SIGTERM).is_ok());
  write_script(f.dir.path() + "/go", "");
  auto outcome = delivery.outcome("wrk_term", 1);
  CHECK(outcome.kind() == "succeeded");
  auto status = f.worker->process.wait_for(std::chrono::seconds(20));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "the finished item was acked before the exit");
}

}  // namespace
}  // namespace mpli::testing
