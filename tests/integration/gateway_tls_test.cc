// TLS on the gateway by configuration: a self-signed certificate made here with the openssl
// CLI, a real gateway serving HTTPS with it, libcurl verifying it. Also: a client that connects
// and never shakes hands stops no one else (the handshake runs on the I/O threads, not on the
// accept thread), plain HTTP on the TLS port gets nothing, and a half-configured gateway does
// not start and names the missing setting.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {

using Env = std::map<std::string, std::string>;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Answer {
  long status = 0;  // 0: no HTTP answer
  std::string body;
  std::string headers;
  std::string error;
};

size_t append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// GET over HTTPS, trusting only `ca_file`.
Answer https_get(const std::string& url, const std::string& ca_file) {
  Answer answer;
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer.headers);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  } else {
    answer.error = error;
  }
  curl_easy_cleanup(curl);
  return answer;
}

// A self-signed P-256 certificate for 127.0.0.1, made with the openssl CLI.
void make_certificate(const std::string& dir) {
  process::Spec spec;
  spec.program = "openssl";
  spec.args = {"req",
               "-x509",
               "-newkey",
               "ec",
               "-pkeyopt",
               "ec_paramgen_curve:P-256",
               "-nodes",
               "-keyout",
               dir + "/key.pem",
               "-out",
               dir + "/cert.pem",
               "-days",
               "1",
               "-subj",
               "/CN=mpli-test",
               "-addext",
               "subjectAltName=IP:127.0.0.1"};
  spec.capture_output = true;
  auto done = process::run(spec, 60s);
  REQUIRE(done.is_ok());
  INFO(done->output);
  REQUIRE(done->exit_code == 0);
}

class TlsGateway {
 public:
  explicit TlsGateway(const Env& tls) : nats_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    port_ = *port;
    env_ = {{"MPLI_NATS_URL", nats_.url()}, {"MPLI_HTTP_PORT", std::to_string(port_)}};
    for (const auto& [k, v] : tls) env_[k] = v;
  }
  void start() {
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env_, dir_.path()));
  }
  const std::string& dir() const { return dir_.path(); }
  int port() const { return port_; }
  process::ChildProcess& process() { return *gateway_; }
  std::string log() const { return read_file(dir_.path() + "/mpli-gateway.log"); }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  Env env_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> gateway_;
};

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  return fd;
}

}  // namespace

TEST_CASE("the gateway serves HTTPS with the configured certificate") {
  testing::TempDir keys;
  make_certificate(keys.path());
  TlsGateway gateway({{"MPLI_HTTP_TLS_CERTIFICATE_FILE", keys.path() + "/cert.pem"},
                      {"MPLI_HTTP_TLS_KEY_FILE", keys.path() + "/key.pem"}});
  gateway.start();
  std::string base = "https://127.0.0.1:" + std::to_string(gateway.port());
  Answer health;
  testing::wait_until(
      [&] {
        health = https_get(base + "/healthz", keys.path() + "/cert.pem");
        return health.status == 200;
      },
      60s, "the gateway answers over HTTPS");
  CHECK(health.body == "{\"status\":\"ok\"}");
  CHECK(health.headers.find("X-Request-Id: ") != std::string::npos);

  // A client that connects and says nothing holds no one up.
  int silent = connect_to(gateway.port());
  Answer meanwhile = https_get(base + "/healthz", keys.path() + "/cert.pem");
  CHECK(meanwhile.status == 200);
  // Neither does one that sends garbage instead of a ClientHello.
  int garbage = connect_to(gateway.port());
  REQUIRE(::send(garbage, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL) == 18);
  CHECK(https_get(base + "/healthz", keys.path() + "/cert.pem").status == 200);
  close(garbage);
  close(silent);

  // Plain HTTP on the TLS port gets no HTTP answer.
  auto plain =
      testing::http_get("http://127.0.0.1:" + std::to_string(gateway.port()) + "/healthz", 5s);
  CHECK(plain.status != 200);

  // A larger answer (many records) arrives whole: a 404 problem for a long path, then metrics.
  Answer metrics = https_get(base + "/metrics", keys.path() + "/cert.pem");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("mpli_gateway_requests_total{route=\"/healthz\"") != std::string::npos);

  // A client that trusts another certificate refuses the gateway's.
  testing::TempDir other;
  make_certificate(other.path());
  Answer untrusted = https_get(base + "/healthz", other.path() + "/cert.pem");
  CHECK(untrusted.status == 0);
  CHECK(!untrusted.error.empty());
}

TEST_CASE("a certificate without a key, or a key that does not fit, stops the gateway") {
  testing::TempDir keys;
  make_certificate(keys.path());
  SECTION("only the certificate") {
    TlsGateway gateway({{"MPLI_HTTP_TLS_CERTIFICATE_FILE", keys.path() + "/cert.pem"}});
    gateway.start();
    auto code = gateway.process().wait_for(60s);
    REQUIRE(code.has_value());
    CHECK(*code != 0);
    CHECK(gateway.log().find("http.tls_key_file") != std::string::npos);
  }
  SECTION("only the key") {
    TlsGateway gateway({{"MPLI_HTTP_TLS_KEY_FILE", keys.path() + "/key.pem"}});
    gateway.start();
    auto code = gateway.process().wait_for(60s);
    REQUIRE(code.has_value());
    CHECK(*code != 0);
    CHECK(gateway.log().find("http.tls_certificate_file") != std::string::npos);
  }
  SECTION("another certificate's key") {
    testing::TempDir other;
    make_certificate(other.path());
    TlsGateway gateway({{"MPLI_HTTP_TLS_CERTIFICATE_FILE", keys.path() + "/cert.pem"},
                        {"MPLI_HTTP_TLS_KEY_FILE", other.path() + "/key.pem"}});
    gateway.start();
    auto code = gateway.process().wait_for(60s);
    REQUIRE(code.has_value());
    CHECK(*code != 0);
    CHECK(gateway.log().find("http.tls_key_file") != std::string::npos);
  }
}
