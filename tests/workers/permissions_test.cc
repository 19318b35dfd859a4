// The worker's NATS user has only the permissions docs/worker-protocol.md lists: the C++ SDK and
// the Python worker both do their whole job with them (and no more is needed).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "libs/worker/worker.h"
#include "tests/workers/work_fixture.h"

namespace mpli::testing {
namespace {

// A nats-server with two users: "delivery" (everything) and one worker user per provider.
struct AuthNats {
  explicit AuthNats(const std::string& dir) {
    auto free_port = process::free_tcp_port();
    REQUIRE(free_port.is_ok());
    port = *free_port;
    std::string conf = dir + "/auth-nats.conf";
    std::ofstream out(conf);
    out << "listen: 127.0.0.1:" << port << "\n"
        << "jetstream { store_dir: \"" << dir << "/auth-js\" }\n"
        << "authorization { users = [\n"
        << "  { user: delivery, password: delivery-pw }\n";
    for (const std::string provider : {"acme", "pyprov"}) {
      out << "  { user: worker-" << provider << ", password: " << provider
          << "-pw, permissions: {\n"
          << "      publish: { allow: [\"$JS.API.CONSUMER.INFO.MPLI_WORK.worker-" << provider
          << "\", \"$JS.API.CONSUMER.MSG.NEXT.MPLI_WORK.worker-" << provider
          << "\", \"$JS.ACK.MPLI_WORK.worker-" << provider << ".>\", \"mpli.work.v1.result."
          << provider << "\"] }\n"
          << "      subscribe: { allow: [\"_INBOX_" << provider
          << ".>\", \"$JS.EVENT.ADVISORY.CONSUMER.CREATED.MPLI_WORK.worker-" << provider
          << "\"] } } }\n";
    }
    out << "] }\n";
    out.close();
    process::Spec spec;
    spec.program = process::find_program("nats-server");
    spec.args = {"-c", conf};
    spec.output_file = dir + "/auth-nats.log";
    auto child = process::ChildProcess::spawn(spec);
    REQUIRE(child.is_ok());
    server = std::make_unique<process::ChildProcess>(std::move(child).value());
    wait_until([&] { return process::tcp_port_open("127.0.0.1", port); }, std::chrono::seconds(20),
               "nats-server with users listens");
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port); }
  int port = 0;
  std::unique_ptr<process::ChildProcess> server;
};

TEST_CASE("permissions: the C++ SDK works with only the worker user's permissions") {
  TempDir dir;
  AuthNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "acme", std::chrono::seconds(30), "delivery", "delivery-pw");
  worker::WorkerOptions options;
  options.nats_url = nats.url();
  options.nats_user = "worker-acme";
  options.nats_password = "acme-pw";
  options.provider_id = "acme";
  options.progress_interval = std::chrono::milliseconds(100);
  options.fetch_wait = std::chrono::milliseconds(200);
  auto created = worker::Worker::create(options);
  REQUIRE(created.is_ok());
  std::atomic<bool> release{false};
  (*created)->on("provision", [&](const worker::Work&, worker::Progress& progress) {
    progress.report(10, "started");
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return worker::Outcome::success({{"host", "h"}});
  });
  std::thread runner([&] { (void)(*created)->run(); });
  delivery.publish(delivery.item("wrk_perm", "provision"));
  auto first = delivery.next_update();
  CHECK(first.kind() == "progress");
  release = true;
  auto outcome = delivery.outcome("wrk_perm", 1);
  (*created)->stop();
  runner.join();
  CHECK(outcome.kind() == "succeeded");
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "the item is acked with the worker's permissions");
  CHECK(read_file(dir.path() + "/auth-nats.log").find("Permissions Violation") ==
        std::string::npos);
}

TEST_CASE("permissions: the Python worker works with only the worker user's permissions") {
  TempDir dir;
  AuthNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "pyprov", std::chrono::seconds(30), "delivery", "delivery-pw");
  write_script(dir.path() + "/password", "pyprov-pw\n");
  ::chmod((dir.path() + "/password").c_str(), 0600);
  auto worker = start_worker(MPLI_PYTHON3,
                             {std::string(MPLI_SOURCE_DIR) + "/workers/python/mpli_worker.py",
                              "--provider", "pyprov", "--fetch-wait", "0.5", "--nats-user",
                              "worker-pyprov", "--nats-password-file", dir.path() + "/password"},
                             {{"MPLI_NATS_URL", nats.url()}}, dir.path() + "/python-worker.log");
  delivery.publish(delivery.item("wrk_pyperm", "provision"));
  auto outcome = delivery.outcome("wrk_pyperm", 1);
  CHECK(outcome.kind() == "succeeded");
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "the item is acked with the worker's permissions");
  CHECK(read_file(dir.path() + "/auth-nats.log").find("Permissions Violation") ==
        std::string::npos);
  CHECK(read_file(dir.path() + "/python-worker.log").find("pyprov-pw") == std::string::npos);
}

}  // namespace
}  // namespace mpli::testing
