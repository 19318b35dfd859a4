// A crash of the portability service in each step of an online PostgreSQL migration, on `mpli up`
// with the demo providers' real PostgreSQL servers: the migration is held inside the step (a
// process the step waits on is stopped with SIGSTOP, or the order's row is locked so that
// delivery's move_order waits), portability is killed with SIGKILL and restarted by `mpli up`,
// the hold is let go, and the migration must still end `completed` (every row at the target,
// the order there) or `rolled_back` (every row still at the source, the order active there).
// One federation, one order, one run per step, back and forth between hexacloud and nordwolke.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "libs/bus/connection.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "tests/integration/federation_fixture.h"
#include "tests/integration/federation_migration_helpers.h"

using namespace mpli;
using namespace mpli::fixture;
using namespace std::chrono_literals;

namespace {

// The online plan's states in order (docs/migrations.md), each a run of this test.
const std::vector<std::string> kSteps = {
    "provisioning_target", "exporting",    "transferring",          "importing",
    "verifying",           "cutting_over", "decommissioning_source"};
const std::vector<std::string> kForward = {
    "planned",      "provisioning_target",    "exporting", "transferring", "importing", "verifying",
    "cutting_over", "decommissioning_source", "completed"};

bool ended(const std::string& state) {
  return state == "completed" || state == "rolled_back" || state == "failed";
}

// Where `state` is on the way forward; a rollback counts as past every step.
size_t progress_of(const std::string& state) {
  auto it = std::find(kForward.begin(), kForward.end(), state);
  return it == kForward.end() ? kForward.size() : static_cast<size_t>(it - kForward.begin());
}

bool runs_program(pid_t pid, const std::string& program) {
  auto args = arguments_of(pid);
  return !args.empty() && std::filesystem::path(args[0]).filename() == program;
}

// The process state letter of /proc/<pid>/stat ('T' once SIGSTOP took effect).
char state_letter(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = stat.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= stat.size() ? '?'
                                                                            : stat[close_paren + 2];
}

// The one PostgreSQL worker `mpli up` (pid `up`) runs for `provider`.
pid_t postgresql_worker(pid_t up, const std::string& provider) {
  std::vector<pid_t> found;
  for (pid_t pid : descendants(up)) {
    if (runs_program(pid, "mpli-worker-postgresql") &&
        argument_after(arguments_of(pid), "--provider") == provider) {
      found.push_back(pid);
    }
  }
  INFO("mpli-worker-postgresql processes for " << provider);
  REQUIRE(found.size() == 1);
  return found[0];
}

// A process of the federation held with SIGSTOP until resume() or the end of the scope, so a
// failing check never leaves it stopped.
class Stopped {
 public:
  Stopped(pid_t pid, std::string what) : pid_(pid), what_(std::move(what)) {
    REQUIRE(kill(pid_, SIGSTOP) == 0);
    testing::wait_until([&] { return state_letter(pid_) == 'T'; }, 10s, what_ + " stopped");
  }
  Stopped(const Stopped&) = delete;
  Stopped& operator=(const Stopped&) = delete;
  ~Stopped() { resume(); }
  void resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
  std::string what_;
};

// A stopped worker may have a pull of the work queue open (the SDK's pulls wait 1 s); an item
// published before it expires would wait in the stopped process until the consumer's ack wait.
// Past this pause every new item stays in the queue, for the worker to take once resumed.
void let_last_pull_expire() { std::this_thread::sleep_for(1500ms); }

// The hub's own PostgreSQL (delivery's and portability's schemas) as its administrator.
std::string hub_dsn(const Federation& f) {
  return "host=127.0.0.1 port=" + std::to_string(f.pg_port) +
         " dbname=mpli user=postgres connect_timeout=5 password=" +
         first_line(f.state_dir + "/postgres/password");
}

// Holds the order's row in delivery's table: delivery's move_order locks it (FOR UPDATE) and
// waits, so a migration that reaches cutting_over stays there. Tasks only take a key-share lock
// on it (their foreign key), which this lock lets through.
class OrderRowLock {
 public:
  OrderRowLock(const Federation& f, const std::string& order_id) : connection_(hub_dsn(f)) {
    tx_.emplace(connection_);
    auto locked =
        tx_->exec_params("SELECT 1 FROM delivery.orders WHERE id = $1 FOR NO KEY UPDATE", order_id);
    REQUIRE(locked.size() == 1);
  }
  ~OrderRowLock() { release(); }
  void release() {
    if (tx_) tx_->abort();
    tx_.reset();
  }

 private:
  pqxx::connection connection_;
  std::optional<pqxx::work> tx_;
};

// The state of the migration's latest `operation` task (at `provider` when given).
std::string task_state(const Federation& f, const std::string& migration_id,
                       const std::string& operation, const std::string& provider = "") {
  pqxx::connection c(hub_dsn(f));
  pqxx::work tx(c);
  auto rows = tx.exec_params(
      "SELECT state FROM delivery.tasks WHERE migration_id = $1 AND operation = $2 "
      "AND ($3 = '' OR provider_id = $3) ORDER BY created_at DESC LIMIT 1",
      migration_id, operation, provider);
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

// The pid of the healthy portability, other than `not_this` (the one just killed).
pid_t healthy_portability(bus::Connection& bus, pid_t up, pid_t not_this, const std::string& what) {
  pid_t pid = -1;
  testing::wait_until(
      [&] {
        auto health = health_of(bus, "portability");
        if (!health || health->status() != "ok") return false;
        auto colon = health->instance().rfind(':');
        if (colon == std::string::npos) return false;
        pid = static_cast<pid_t>(std::stol(health->instance().substr(colon + 1)));
        return pid > 0 && pid != not_this;
      },
      60s, what);
  auto children = descendants(up);
  INFO("portability pid " << pid);
  REQUIRE(std::find(children.begin(), children.end(), pid) != children.end());
  REQUIRE(runs_program(pid, "mpli-portability"));
  return pid;
}

std::string state_of(const Consumer& consumer, const std::string& id) {
  auto got = consumer.get("/v1/migrations/" + id);
  if (got.status != 200) return "";
  return nlohmann::json::parse(got.body)["state"].get<std::string>();
}

// Waits until the migration is in `step` or past it, and requires it to be in `step`: a hold
// that did not hold fails here instead of at the end of a long wait.
void reach(const Consumer& consumer, const std::string& id, const std::string& step) {
  std::string state;
  testing::wait_until(
      [&] {
        state = state_of(consumer, id);
        return !state.empty() && progress_of(state) >= progress_of(step);
      },
      120s, id + " in " + step);
  INFO(consumer.get("/v1/migrations/" + id).body);
  REQUIRE(state == step);
}

// Rows n = first .. first + count - 1 into the order's database, wherever it lives now.
void insert_rows(const Consumer& consumer, const std::string& order_id, int64_t first,
                 int64_t count) {
  pqxx::connection c(connection_string(consumer.order(order_id, true)));
  pqxx::work tx(c);
  for (int64_t n = first; n < first + count; ++n) {
    tx.exec_params("INSERT INTO numbers (n) VALUES ($1)", n);
  }
  tx.commit();
}

// count(*) and sum(n) of the order's table, where the order lives now.
std::pair<int64_t, int64_t> count_and_sum(const Consumer& consumer, const std::string& order_id) {
  pqxx::connection c(connection_string(consumer.order(order_id, true)));
  pqxx::work tx(c);
  auto row = tx.exec1("SELECT count(*), coalesce(sum(n), 0) FROM numbers");
  return {row[0].as<int64_t>(), row[1].as<int64_t>()};
}

}  // namespace

TEST_CASE("an online migration survives a SIGKILL of portability in each of its steps") {
  testing::TempDir dir;
  // Seven kills: every one is restarted at once (each run lasts longer than the healthy period).
  Federation f = federation_in(dir.path(), {"--restart-budget", "20", "--healthy-after", "5s"});
  // The source is decommissioned as soon as the cut-over is done, inside the run.
  f.spec.environment["MPLI_MIGRATIONS_GRACE_PERIOD"] = "0s";
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  // Slow on a loaded machine (four PostgreSQL servers to initialise).
  wait_until_ready(f, *federation, 180s);
  const pid_t up = federation->pid();
  auto bus = bus::Connection::connect(operator_login(f));
  REQUIRE(bus.is_ok());
  Consumer acme = consumer_of(f, "acme");

  const std::vector<std::string> providers = {kDemoProviders[0], kDemoProviders[1]};
  std::map<std::string, std::string> offering;
  for (const auto& provider : providers) {
    offering[provider] = acme.offering_of("ManagedPostgreSQL", provider);
  }
  const std::string order_id =
      acme.active_order(offering[providers[0]], nlohmann::json::object(), "crash-pg-1");
  {
    pqxx::connection c(connection_string(acme.order(order_id, true)));
    pqxx::work tx(c);
    tx.exec0("CREATE TABLE numbers (n bigint PRIMARY KEY)");
    tx.commit();
  }
  int64_t rows = 0;  // rows 1 .. rows are in the order's database
  auto add_rows = [&](int64_t count) {
    insert_rows(acme, order_id, rows + 1, count);
    rows += count;
  };

  for (const auto& step : kSteps) {
    INFO("run for step " << step);
    const nlohmann::json before = acme.order(order_id);
    REQUIRE(before["state"] == "active");
    const std::string source = before["provider_id"].get<std::string>();
    const std::string target = source == providers[0] ? providers[1] : providers[0];
    add_rows(20);

    const pid_t source_worker = postgresql_worker(up, source);
    const pid_t target_worker = postgresql_worker(up, target);
    std::optional<Stopped> source_held;
    std::optional<Stopped> target_held;
    std::optional<Stopped> portability_held;
    std::optional<OrderRowLock> row_lock;
    std::string id;
    auto create = [&] {
      auto created = acme.post(
          "/v1/migrations",
          {{"order_id", order_id}, {"target_offering_id", offering[target]}, {"mode", "online"}},
          "crash-" + step);
      INFO(created.body);
      REQUIRE(created.status == 201);
      id = nlohmann::json::parse(created.body)["id"].get<std::string>();
    };
    auto hold_source = [&] {
      source_held.emplace(source_worker, source + "'s PostgreSQL worker");
      let_last_pull_expire();
    };
    auto hold_target = [&] {
      target_held.emplace(target_worker, target + "'s PostgreSQL worker");
      let_last_pull_expire();
    };

    // Each hold: what the step waits on is stopped before the step can end.
    if (step == "provisioning_target") {
      hold_target();  // provision
      create();
    } else if (step == "exporting") {
      hold_source();  // export
      create();
    } else if (step == "transferring" || step == "importing" || step == "verifying") {
      hold_source();
      create();
      reach(acme, id, "exporting");
      // The target's hash probe is in the export's wave: answered before the target is held.
      testing::wait_until([&] { return task_state(f, id, "hash_probe", target) == "succeeded"; },
                          60s, "the target's hash probe succeeded");
      hold_target();  // import
      source_held->resume();
      if (step != "transferring") {
        reach(acme, id, "transferring");
        // The import ends while portability is stopped, and the target worker is stopped again
        // before portability can hand it the catch_up.
        portability_held.emplace(healthy_portability(**bus, up, -1, "portability healthy"),
                                 "portability");
        target_held->resume();
        testing::wait_until([&] { return task_state(f, id, "import") == "succeeded"; }, 120s,
                            "the import task succeeded");
        target_held.reset();
        hold_target();  // catch_up
        portability_held->resume();
        if (step == "verifying") {
          reach(acme, id, "importing");
          hold_source();  // freeze
          target_held->resume();
        }
      }
    } else if (step == "cutting_over") {
      row_lock.emplace(f, order_id);  // move_order
      create();
    } else if (step == "decommissioning_source") {
      row_lock.emplace(f, order_id);
      create();
      reach(acme, id, "cutting_over");
      hold_source();  // cleanup, deprovision
      row_lock->release();
    }
    reach(acme, id, step);
    // The source is still writable before verifying's freeze: rows written during the step
    // must arrive too (online) or stay (rollback).
    if (progress_of(step) <= progress_of("verifying")) add_rows(5);
    REQUIRE(state_of(acme, id) == step);

    const pid_t killed = healthy_portability(**bus, up, -1, "portability healthy before the kill");
    REQUIRE(kill(killed, SIGKILL) == 0);
    testing::wait_until([&] { return !process::process_alive(killed); }, 10s,
                        "the killed portability gone");
    const pid_t restarted = healthy_portability(**bus, up, killed, "portability restarted");
    CHECK(restarted != killed);
    {
      // Still in the step (or rolling back) with the new portability, before anything is let
      // go: the kill certainly came inside the step, not after it ended by itself.
      std::string now;
      testing::wait_until([&] { return !(now = state_of(acme, id)).empty(); }, 30s,
                          id + " readable after the restart");
      INFO(id << " is " << now << " after the restart");
      REQUIRE((now == step || now == "rolling_back" || now == "rolled_back"));
    }
    row_lock.reset();
    source_held.reset();
    target_held.reset();
    portability_held.reset();

    nlohmann::json migration;
    testing::wait_until(
        [&] {
          auto got = acme.get("/v1/migrations/" + id);
          if (got.status != 200) return false;
          migration = nlohmann::json::parse(got.body);
          return ended(migration["state"].get<std::string>());
        },
        180s, id + " ended after the crash in " + step);
    const std::string outcome = migration["state"].get<std::string>();
    INFO(migration.dump(2));
    WARN("portability killed in " << step << ": the migration " << source << " -> " << target
                                  << " ended " << outcome);
    REQUIRE((outcome == "completed" || outcome == "rolled_back"));
    // After the cut-over there is no way back.
    if (progress_of(step) >= progress_of("cutting_over")) CHECK(outcome == "completed");

    const nlohmann::json after = acme.order(order_id);
    CHECK(after["state"] == "active");
    CHECK(after["provider_id"] == (outcome == "completed" ? target : source));
    const auto [count, sum] = count_and_sum(acme, order_id);
    CHECK(count == rows);
    CHECK(sum == rows * (rows + 1) / 2);
  }
  // Every run added rows: none was lost on the way back and forth.
  CHECK(rows == static_cast<int64_t>(kSteps.size()) * 20 + 5 * 5);
  bus->reset();  // before the federation's NATS goes, so it does not log a reconnect
  stop_federation(*federation, 60s);
}
