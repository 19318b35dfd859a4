// Hardening 6: health and reads never queue behind slow writes. 16 registrations wait on a
// provider whose server accepts and never answers, while 16 clients read; every request gets an
// answer, and /healthz and the reads are all answered while the registrations are still waiting
// (an ordering, not a timing: nothing here asserts a duration). The /healthz p99 is printed.
// Loopback only; every loop is bounded in count, every wait has a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int kWriters = 16;
constexpr int kReaders = 16;
constexpr int kRoundsPerReader = 20;  // each round: GET /healthz, then GET /v1/offerings

std::string read_example(const std::string& name) {
  // Relative to the repository root, where ctest runs every test (mpli_add_test).
  std::ifstream in("ontology/examples/" + name);
  INFO("ontology/examples/" << name << ": run from the repository root");
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A provider's web server that accepts connections and never answers them, until release():
// then it drops them and refuses new ones, so every fetch from it fails at once.
class StalledServer {
 public:
  StalledServer() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(listen(listener_, 128) == 0);
    REQUIRE(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    REQUIRE(pipe2(wake_, O_CLOEXEC) == 0);
    thread_ = std::thread([this] { hold_connections(); });
  }
  ~StalledServer() { release(); }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int held() const { return held_count_.load(); }

  void release() {
    if (released_.exchange(true)) return;
    char byte = 1;
    if (write(wake_[1], &byte, 1) != 1) FAIL("cannot wake the stalled server");
    thread_.join();
    for (int fd : held_) close(fd);
    close(listener_);
    close(wake_[0]);
    close(wake_[1]);
  }

 private:
  void hold_connections() {
    while (true) {
      pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        held_.push_back(client);  // only this thread touches it until release() joins it
        ++held_count_;
      }
    }
  }

  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::vector<int> held_;
  std::atomic<int> held_count_{0};
  std::atomic<bool> released_{false};
  std::thread thread_;
};

using Env = std::map<std::string, std::string>;

class Hub {
 public:
  explicit Hub(const Env& extra = {}) : nats_(dir_.path()), pg_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    port_ = *port;
    Env env = {{"MPLI_NATS_URL", nats_.url()},
               {"MPLI_DATABASE_URL", pg_.dsn()},
               {"MPLI_HTTP_PORT", std::to_string(*port)},
               {"MPLI_FETCH_ALLOW_HTTP", "true"},
               {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
               // A stalled fetch lasts until the test releases it, not until a timeout.
               {"MPLI_FETCH_TIMEOUT", "120s"},
               {"MPLI_REQUEST_LONG_TIMEOUT", "150s"},
               {"MPLI_HANDLERS_CONCURRENCY", "4"},
               // Hundreds of reads from one address in seconds: the load is the point here.
               {"MPLI_RATELIMIT_REQUESTS_PER_SECOND", "0"}};
    for (const auto& [k, v] : extra) env[k] = v;
    discovery_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env, dir_.path()));
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return get("/v1/providers").status == 200; }, 60s,
                        "discovery answers through the gateway");
  }

  std::string url(const std::string& path) const { return base_ + path; }
  int port() const { return port_; }
  testing::HttpResponse get(const std::string& path) {
    return testing::http_request("GET", base_ + path, "", {}, 30s);
  }
  testing::HttpResponse register_url(const std::string& manifest_url) {
    return testing::http_request("POST", base_ + "/v1/providers",
                                 json{{"manifest_url", manifest_url}}.dump(),
                                 {"Content-Type: application/json"}, 200s);
  }
  void kill_discovery() {
    REQUIRE(discovery_->send_signal(SIGKILL).is_ok());
    REQUIRE(discovery_->wait_for(20s).has_value());
  }
  // Also from destructors, so it does not REQUIRE; killing twice is harmless.
  void kill_gateway() {
    (void)gateway_->send_signal(SIGKILL);
    (void)gateway_->wait_for(20s);
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::string base_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

// kWriters registrations of manifests on the stalled server, each on its own thread. Should a
// test stop early, `unblock` ends what they wait for before they are joined.
class Registrations {
 public:
  Registrations(Hub& hub, StalledServer& stalled, std::function<void()> unblock)
      : unblock_(std::move(unblock)) {
    for (int i = 0; i < kWriters; ++i) {
      threads_.emplace_back([this, &hub, &stalled, i] {
        auto response = hub.register_url(stalled.url("/manifest-" + std::to_string(i) + ".ttl"));
        std::lock_guard<std::mutex> lock(mutex_);
        responses_.push_back(response);
        ++answered_;
      });
    }
  }
  ~Registrations() {
    if (!joined_) unblock_();
    join();
  }
  int answered() const { return answered_.load(); }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    joined_ = true;
  }
  std::vector<testing::HttpResponse> responses() {
    std::lock_guard<std::mutex> lock(mutex_);
    return responses_;
  }

 private:
  std::function<void()> unblock_;
  bool joined_ = false;
  std::mutex mutex_;
  std::vector<testing::HttpResponse> responses_;
  std::atomic<int> answered_{0};
  std::vector<std::thread> threads_;
};

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

TEST_CASE("health and reads are answered while registrations wait on a stalled provider") {
  StalledServer stalled;
  Hub hub;
  REQUIRE(testing::http_request("POST", hub.url("/v1/providers"),
                                read_example("provider-polderstack-nl.ttl"),
                                {"Content-Type: text/turtle"}, 30s)
              .status == 201);

  Registrations registrations(hub, stalled, [&] { stalled.release(); });
  testing::wait_until([&] { return stalled.held() >= 4; }, 60s,
                      "discovery's four registration handlers wait on the stalled server");

  std::mutex mutex;
  std::vector<double> health_ms;
  std::vector<long> health_statuses;
  std::vector<long> read_statuses;
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      for (int round = 0; round < kRoundsPerReader; ++round) {
        auto started = std::chrono::steady_clock::now();
        auto health = hub.get("/healthz");
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        auto read = hub.get("/v1/offerings");
        std::lock_guard<std::mutex> lock(mutex);
        health_ms.push_back(ms);
        health_statuses.push_back(health.status);
        read_statuses.push_back(read.status);
      }
    });
  }
  for (auto& t : readers) t.join();
  int registrations_answered_meanwhile = registrations.answered();

  stalled.release();
  registrations.join();

  // Every health check and read was answered, all while no registration had been.
  CHECK(registrations_answered_meanwhile == 0);
  REQUIRE(health_statuses.size() == static_cast<size_t>(kReaders * kRoundsPerReader));
  CHECK(std::count(health_statuses.begin(), health_statuses.end(), 200) ==
        static_cast<long>(health_statuses.size()));
  CHECK(std::count(read_statuses.begin(), read_statuses.end(), 200) ==
        static_cast<long>(read_statuses.size()));
  // And every registration got an answer once the provider's server gave up: a gateway or
  // service problem, as problem+json, never a 500.
  auto answers = registrations.responses();
  REQUIRE(answers.size() == static_cast<size_t>(kWriters));
  for (const auto& answer : answers) {
    INFO(answer.status << " " << answer.body);
    CHECK(answer.status >= 502);
    CHECK(answer.status <= 504);
    CHECK(answer.content_type == "application/problem+json");
  }

  std::cout << "gateway load: /healthz p50 " << percentile(health_ms, 0.50) << " ms, p99 "
            << percentile(health_ms, 0.99) << " ms, max " << percentile(health_ms, 1.0)
            << " ms over " << health_ms.size() << " requests, with " << kWriters
            << " registrations stalled and " << kReaders << " readers" << std::endl;
}

TEST_CASE("/readyz answers 503 while registrations still wait on a killed discovery") {
  StalledServer stalled;
  Hub hub;
  // With discovery gone the gateway waits out their deadline: only ending it ends them early.
  Registrations registrations(hub, stalled, [&] {
    hub.kill_gateway();
    stalled.release();
  });
  testing::wait_until([&] { return stalled.held() >= 4; }, 60s,
                      "discovery's four registration handlers wait on the stalled server");
  auto before = hub.get("/readyz");
  REQUIRE(before.status != 0);
  CHECK(json::parse(before.body)["services"]["discovery"]["status"] == "ok");

  hub.kill_discovery();
  auto after = hub.get("/readyz");
  auto health = hub.get("/healthz");
  auto read = hub.get("/v1/offerings");
  int registrations_answered_meanwhile = registrations.answered();

  CHECK(registrations_answered_meanwhile == 0);  // the gateway still waits for those replies
  REQUIRE(after.status == 503);
  CHECK(json::parse(after.body)["services"]["discovery"]["status"] == "unavailable");
  CHECK(health.status == 200);
  CHECK(read.status == 503);  // nobody serves the subject now: said at once, not timed out
  CHECK(read.content_type == "application/problem+json");

  // The registrations would wait out their deadline; ending the gateway ends them.
  hub.kill_gateway();
  stalled.release();
  registrations.join();
}

TEST_CASE("a full executor answers 503 problem+json with Retry-After at once") {
  StalledServer stalled;
  Hub hub(Env{{"MPLI_EXECUTOR_SLOW_THREADS", "1"}, {"MPLI_EXECUTOR_SLOW_QUEUE_LIMIT", "0"}});
  std::thread first([&] { hub.register_url(stalled.url("/first.ttl")); });
  // Joined on every way out; released first so that it returns.
  struct ReleaseAndJoin {
    StalledServer& stalled;
    std::thread& thread;
    ~ReleaseAndJoin() {
      stalled.release();
      if (thread.joinable()) thread.join();
    }
  } release_and_join{stalled, first};
  testing::wait_until([&] { return stalled.held() >= 1; }, 60s,
                      "the first registration waits on the stalled server");

  auto refused = testing::http_request("POST", hub.url("/v1/providers"),
                                       json{{"manifest_url", stalled.url("/second.ttl")}}.dump(),
                                       {"Content-Type: application/json"}, 30s);
  INFO(refused.body);
  CHECK(refused.status == 503);
  CHECK(refused.content_type == "application/problem+json");
  auto problem = json::parse(refused.body, nullptr, false);
  REQUIRE(problem.is_object());
  CHECK(problem["code"] == "busy");
  CHECK(problem["status"] == 503);
  // Retry-After needs the headers: ask once more on a raw connection.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(hub.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  std::string body = json{{"manifest_url", stalled.url("/third.ttl")}}.dump();
  std::string wire =
      "POST /v1/providers HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  REQUIRE(send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(wire.size()));
  std::string head;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (head.find("\r\n\r\n") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0) continue;
    char chunk[4096];
    ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) break;
    head.append(chunk, static_cast<size_t>(got));
  }
  close(fd);
  INFO(head);
  CHECK(head.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(head.find("\r\nRetry-After: 1\r\n") != std::string::npos);

  // Quick requests have their own executor and are untouched.
  CHECK(hub.get("/v1/providers").status == 200);
  CHECK(hub.get("/healthz").status == 200);
}
