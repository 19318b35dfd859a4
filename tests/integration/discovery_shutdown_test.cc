// Discovery stops within shutdown.timeout while a scheduled refresh hangs on a provider's
// server that accepts the connection and never answers; the claim on that provider is given
// back unfinished, with nothing recorded against the provider.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::discovery::v1;

namespace {

std::string read_example(const std::string& name) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A provider's web server on 127.0.0.1 that answers its first request with `manifest` and
// then accepts every further connection and never answers it: a server hung mid-request.
class StallingServer {
 public:
  explicit StallingServer(std::string manifest) : manifest_(std::move(manifest)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(addr);
    REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(listener_, 16) == 0);
    REQUIRE(getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingServer() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    for (int fd : held_) close(fd);
    close(listener_);
  }
  StallingServer(const StallingServer&) = delete;
  StallingServer& operator=(const StallingServer&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/.well-known/mpli.ttl";
  }
  // Connections accepted and left without an answer.
  int stalled() const { return stalled_.load(); }

 private:
  void serve() {
    bool answered = false;
    while (!stopping_) {
      pollfd pfd{listener_, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (answered) {
        held_.push_back(client);  // open, silent, until the test ends
        ++stalled_;
        continue;
      }
      answer(client);
      close(client);
      answered = true;
    }
  }
  void answer(int client) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(client, buffer, sizeof(buffer));
      if (n <= 0) return;
      request.append(buffer, static_cast<size_t>(n));
    }
    std::string response =
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/turtle\r\n"
        "Content-Length: " +
        std::to_string(manifest_.size()) + "\r\n\r\n" + manifest_;
    size_t sent = 0;
    while (sent < response.size()) {
      ssize_t n = send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  std::string manifest_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> stalled_{0};
  std::vector<int> held_;  // touched by the server thread only, until it is joined
  std::thread thread_;
};

bool healthy(bus::Connection& bus) {
  auto reply = bus.request("mpli.discovery.v1.health", "", 500ms);
  if (!reply) return false;
  common::v1::HealthReply health;
  return health.ParseFromString(reply->data) && health.status() == "ok";
}

}  // namespace

TEST_CASE("discovery stops within shutdown.timeout while a refresh hangs on a silent server") {
  StallingServer provider(read_example("provider-nordwolke-de.ttl"));
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  const auto shutdown_timeout = 2s;
  auto discovery = testing::start_binary("mpli-discovery",
                                         {{"MPLI_NATS_URL", nats.url()},
                                          {"MPLI_DATABASE_URL", pg.dsn()},
                                          {"MPLI_FETCH_ALLOW_HTTP", "true"},
                                          {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
                                          {"MPLI_FETCH_TIMEOUT", "60s"},
                                          {"MPLI_SHUTDOWN_TIMEOUT", "2s"},
                                          {"MPLI_REFRESH_INTERVAL", "1s"},
                                          {"MPLI_REFRESH_WORKERS", "1"}},
                                         dir.path());
  bus::ConnectOptions options;
  options.url = nats.url();
  auto client = bus::Connection::connect(options);
  REQUIRE(client.is_ok());
  bus::Connection& bus = **client;
  testing::wait_until([&] { return healthy(bus); }, 60s, "discovery is healthy");

  v1::RegisterProviderRequest registration;
  registration.set_manifest_url(provider.url());
  auto registered = bus::call<v1::RegisterProviderReply>(bus, "mpli.discovery.v1.register_provider",
                                                         registration, 30s);
  INFO(registered.status().to_string());
  REQUIRE(registered.is_ok());
  std::string id = registered->provider().id();

  // The scheduled refresh (one second later) connects and waits for an answer that never
  // comes: the worker holds a claim on the provider for minutes.
  testing::wait_until([&] { return provider.stalled() >= 1; }, 30s,
                      "a refresh hangs on the silent server");
  pqxx::connection db(pg.dsn());
  auto scalar = [&](const std::string& sql) {
    pqxx::nontransaction tx(db);
    return tx.exec_params1(sql, id)[0].as<long>();
  };
  CHECK(scalar("SELECT count(*) FROM discovery.providers WHERE id = $1 AND "
               "next_refresh_at > now() + interval '1 minute'") == 1);

  REQUIRE(discovery.send_signal(SIGTERM).is_ok());
  auto status = discovery.wait_for(shutdown_timeout + 2s);
  REQUIRE(status.has_value());  // gone in time (polled, not slept)
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);  // a clean drain, not the last-resort exit

  // The claim was given back unfinished: due again at once, and no failure recorded.
  CHECK(scalar("SELECT count(*) FROM discovery.providers WHERE id = $1 AND "
               "next_refresh_at <= now() AND consecutive_failures = 0 AND last_error IS NULL") ==
        1);
  pqxx::nontransaction tx(db);
  CHECK(tx.exec1("SELECT count(*) FROM discovery.outbox WHERE subject LIKE "
                 "'%.manifest_rejected'")[0]
            .as<long>() == 0);
}
