// The gateway's HTTP layer over real sockets: percent-decoding, body limits answered from the
// head, problem+json for every error the HTTP layer itself produces, HEAD, OPTIONS, content
// negotiation, provider pagination and pipelining. A raw socket client shows what curl hides
// (headers, framing, when the server closes); real NATS, PostgreSQL and discovery behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "libs/testing/environment.h"
#include "libs/testing/tokens.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string read_example(const std::string& name) {
  // Relative to the repository root, where ctest runs every test (mpli_add_test).
  std::ifstream in("ontology/examples/" + name);
  INFO("ontology/examples/" << name << ": run from the repository root");
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct RawResponse {
  int status = 0;                              // 0: no (complete) response in time
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json problem() const {
    INFO(body);
    REQUIRE(header("content-type") == "application/problem+json");
    auto parsed = json::parse(body, nullptr, false);
    REQUIRE(parsed.is_object());
    CHECK(parsed["status"] == status);
    return parsed;
  }
};

// One HTTP/1.1 connection driven byte by byte.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE(sent > 0);
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
  }

  // The next response; `head` for the answer to a HEAD request (no body whatever it says).
  RawResponse read_response(bool head = false, std::chrono::milliseconds within = 15s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return {};
    }
    RawResponse response;
    std::istringstream lines(buffer_.substr(0, end));
    std::string line;
    std::getline(lines, line);
    response.status = std::stoi(line.substr(9, 3));
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    buffer_.erase(0, end + 4);
    if (head || response.status == 204 || response.status < 200) return response;
    if (response.header("transfer-encoding") == "chunked") {
      while (true) {
        size_t line_end;
        while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
          if (!fill(deadline)) return {};
        }
        size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
        while (buffer_.size() < line_end + 2 + size + 2) {
          if (!fill(deadline)) return {};
        }
        response.body += buffer_.substr(line_end + 2, size);
        buffer_.erase(0, line_end + 2 + size + 2);
        if (size == 0) return response;
      }
    }
    size_t length = std::stoul(response.header("content-length"));
    while (buffer_.size() < length) {
      if (!fill(deadline)) return {};
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // True when the server closes the connection (after anything still buffered) in time.
  bool closed_by_server(std::chrono::milliseconds within = 15s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (fill(deadline)) {
    }
    return eof_;
  }

 private:
  // Reads what arrives before `deadline`; false at end of stream or on timeout.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(got));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

using Env = std::map<std::string, std::string>;

// NATS and a gateway, with discovery and PostgreSQL behind it when `with_discovery`.
class Hub {
 public:
  Hub(bool with_discovery, const Env& extra = {}) : nats_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    port_ = *port;
    env_ = {{"MPLI_NATS_URL", nats_.url()},
            {"MPLI_HTTP_PORT", std::to_string(port_)},
            {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()},
            {"MPLI_FETCH_ALLOW_HTTP", "true"},
            {"MPLI_FETCH_ALLOW_LOOPBACK", "true"}};
    for (const auto& [k, v] : extra) env_[k] = v;
    if (with_discovery) {
      pg_ = std::make_unique<testing::TestPostgres>(dir_.path());
      env_["MPLI_DATABASE_URL"] = pg_->dsn();
      discovery_ = std::make_unique<process::ChildProcess>(
          testing::start_binary("mpli-discovery", env_, dir_.path()));
    }
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env_, dir_.path()));
    std::string probe = with_discovery ? "/v1/providers" : "/healthz";
    testing::wait_until([&] { return get(probe).status == 200; }, 60s, "the gateway answers");
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  testing::HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {}) {
    return testing::http_request("GET", url(path), "", headers, 15s);
  }
  testing::HttpResponse upload(const std::string& turtle) {
    return testing::http_request("POST", url("/v1/providers"), turtle,
                                 {"Content-Type: text/turtle", admin()}, 30s);
  }
  // The admin's Authorization header: registration is the admin's (or a provider's own).
  std::string admin() const { return testing::TestTokens::bearer(tokens_.admin()); }
  // One request on a fresh connection.
  RawResponse exchange(const std::string& wire, bool head = false) {
    RawClient client(port_);
    client.send(wire);
    return client.read_response(head);
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestTokens tokens_;
  std::unique_ptr<testing::TestPostgres> pg_;
  Env env_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

std::vector<std::string> offering_names(const std::string& body) {
  std::vector<std::string> names;
  json parsed = json::parse(body);  // a range-for over a temporary's member would dangle
  for (const auto& o : parsed["offerings"]) names.push_back(o["name"].get<std::string>());
  return names;
}

}  // namespace

TEST_CASE("query strings and path segments are percent-decoded") {
  Hub hub(true);
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);

  auto encoded = hub.get("/v1/offerings?q=PostgreSQL%20S");
  INFO(encoded.body);
  REQUIRE(encoded.status == 200);
  auto names = offering_names(encoded.body);
  CHECK(names.size() == 2);  // Polderstack PostgreSQL S, Hexacloud PostgreSQL SecNumCloud
  CHECK(std::find(names.begin(), names.end(), "Polderstack PostgreSQL S") != names.end());
  for (const auto& name : names) CHECK(name.find("PostgreSQL S") != std::string::npos);
  auto plus = hub.get("/v1/offerings?q=PostgreSQL+S");  // '+' is a space in a query
  REQUIRE(plus.status == 200);
  CHECK(offering_names(plus.body) == names);

  auto provider = hub.get("/v1/providers/%70olderstack");  // %70 is 'p'
  INFO(provider.body);
  REQUIRE(provider.status == 200);
  CHECK(json::parse(provider.body)["id"] == "polderstack");

  auto bad_escape = hub.get("/v1/offerings?q=%zz");
  CHECK(bad_escape.status == 400);
  CHECK(json::parse(bad_escape.body)["field"] == "q");
  CHECK(hub.get("/v1/offerings?kind=a&kind=b").status == 400);  // never one copy silently
}

TEST_CASE("a bad Content-Length is 400 problem+json, never a 500 with exception text") {
  Hub hub(false);
  for (const std::string value : {"-1", "99999999999999999999", "12abc"}) {
    INFO("Content-Length: " << value);
    RawClient client(hub.port());
    client.send(
        "POST /v1/providers HTTP/1.1\r\nHost: t\r\nContent-Type: text/turtle\r\n"
        "Content-Length: " +
        value + "\r\n\r\n");
    RawResponse response = client.read_response();
    REQUIRE(response.status == 400);
    auto problem = response.problem();
    CHECK(problem["field"] == "Content-Length");
    CHECK(client.closed_by_server());  // the stream cannot be trusted after a bad length
  }
}

TEST_CASE("a body over http.max_body_bytes is refused 413 from its Content-Length alone") {
  Hub hub(false, Env{{"MPLI_HTTP_MAX_BODY_BYTES", "1048576"}});
  for (const std::string declared : {"1048577", "20000000"}) {
    INFO("Content-Length: " << declared);
    RawClient client(hub.port());
    // Only the head and a first slice of the body: the answer must not wait for the rest.
    client.send(
        "POST /v1/providers HTTP/1.1\r\nHost: t\r\nContent-Type: text/turtle\r\n"
        "Content-Length: " +
        declared + "\r\n\r\n" + std::string(1000, '#'));
    RawResponse response = client.read_response();
    REQUIRE(response.status == 413);
    auto problem = response.problem();
    CHECK(problem["code"] == "too_large");
    CHECK(problem["max_bytes"] == 1048576);
    CHECK(response.header("connection") == "close");
    CHECK(client.closed_by_server());
  }
  // A client that sends everything regardless (curl waits for 100-continue first) gets it too.
  auto uploaded =
      testing::http_request("POST", hub.url("/v1/providers"), std::string(2 * 1048576, '#'),
                            {"Content-Type: text/turtle", hub.admin()}, 30s);
  CHECK(uploaded.status == 413);
  CHECK(uploaded.content_type == "application/problem+json");
  // At the limit is not too large: it reaches the route (here: nobody serves discovery).
  auto at_limit = testing::http_request("POST", hub.url("/v1/providers"), std::string(1048576, '#'),
                                        {"Content-Type: text/turtle", hub.admin()}, 30s);
  CHECK(at_limit.status == 503);
}

TEST_CASE("errors of the HTTP layer itself are problem+json") {
  Hub hub(false, Env{{"MPLI_HTTP_READ_TIMEOUT", "1s"}});
  auto not_found = hub.exchange("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(not_found.status == 404);
  not_found.problem();

  auto not_allowed =
      hub.exchange("PUT /v1/providers HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(not_allowed.status == 405);
  not_allowed.problem();
  CHECK(not_allowed.header("allow") == "GET, HEAD, POST, OPTIONS");

  auto bad_line = hub.exchange("GET /healthz FOO\r\n\r\n");
  REQUIRE(bad_line.status == 400);
  bad_line.problem();

  auto old_version = hub.exchange("GET /healthz HTTP/2.0\r\n\r\n");
  REQUIRE(old_version.status == 505);
  old_version.problem();

  auto endless_head = hub.exchange(
      "GET /healthz HTTP/1.1\r\nX-Filler: " + std::string(70 * 1024, 'x') + "\r\n\r\n");
  REQUIRE(endless_head.status == 431);
  endless_head.problem();

  auto bad_path = hub.exchange("GET /v1/providers/%zz HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(bad_path.status == 400);
  bad_path.problem();

  // A request that stops half-way is answered 408 once the read timeout (1 s here) passes.
  RawClient slow(hub.port());
  slow.send("POST /v1/providers HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  RawResponse timed_out = slow.read_response();
  REQUIRE(timed_out.status == 408);
  timed_out.problem();
  CHECK(slow.closed_by_server());
}

TEST_CASE("HEAD on every GET route, OPTIONS with Allow, and answers in order on one connection") {
  Hub hub(true);
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  RawClient client(hub.port());
  for (const std::string path : {"/healthz", "/v1/providers", "/v1/providers/polderstack",
                                 "/v1/offerings", "/.well-known/mpli-providers", "/readyz"}) {
    INFO(path);
    client.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\nHEAD " + path +
                " HTTP/1.1\r\nHost: t\r\n\r\n");
    RawResponse got = client.read_response();
    RawResponse head = client.read_response(true);
    REQUIRE(got.status != 0);
    CHECK(head.status == got.status);
    CHECK(head.header("content-type") == got.header("content-type"));
    CHECK(head.header("content-length") == std::to_string(got.body.size()));
  }
  // No HEAD body was sent: the connection still frames the next answer correctly.
  client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  RawResponse after = client.read_response();
  CHECK(after.status == 200);
  CHECK(json::parse(after.body)["status"] == "ok");

  auto catalog_head = hub.exchange("HEAD /v1/catalog HTTP/1.1\r\nHost: t\r\n\r\n", true);
  CHECK(catalog_head.status == 200);
  CHECK(catalog_head.header("content-type") == "text/turtle");

  auto options = hub.exchange("OPTIONS /v1/providers/polderstack HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(options.status == 204);
  CHECK(options.header("allow") == "GET, HEAD, DELETE, OPTIONS");
  auto refresh_options =
      hub.exchange("OPTIONS /v1/providers/polderstack/refresh HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(refresh_options.header("allow") == "POST, OPTIONS");
  auto everything = hub.exchange("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(everything.status == 204);
  // PUT: /v1/trust/anchors; PATCH: /v1/orders/{id}.
  CHECK(everything.header("allow") == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  CHECK(hub.exchange("OPTIONS /nowhere HTTP/1.1\r\nHost: t\r\n\r\n").status == 404);
}

TEST_CASE("Accept is honoured or answered 406") {
  Hub hub(true);
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  auto all = json::parse(hub.get("/v1/offerings?limit=1").body)["offerings"];
  REQUIRE(all.size() == 1);
  std::string id = all[0]["id"];
  std::string encoded;
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      encoded += c;
    } else {
      char escape[4];
      std::snprintf(escape, sizeof(escape), "%%%02X", static_cast<unsigned char>(c));
      encoded += escape;
    }
  }
  std::string path = "/v1/offerings/" + encoded;

  CHECK(hub.get(path).content_type == "application/json");
  CHECK(hub.get(path, {"Accept: text/turtle"}).content_type == "text/turtle");
  CHECK(hub.get(path, {"Accept: application/json;q=0.5, text/turtle"}).content_type ==
        "text/turtle");
  CHECK(hub.get(path, {"Accept: text/html,*/*;q=0.8"}).content_type == "application/json");
  auto refused = hub.get(path, {"Accept: text/html"});
  CHECK(refused.status == 406);
  CHECK(refused.content_type == "application/problem+json");

  CHECK(hub.get("/v1/catalog").content_type == "text/turtle");
  CHECK(hub.get("/v1/catalog", {"Accept: application/n-triples"}).content_type ==
        "application/n-triples");
  CHECK(hub.get("/v1/catalog", {"Accept: application/json"}).status == 406);
  CHECK(hub.get("/v1/providers", {"Accept: text/turtle"}).status == 406);
  CHECK(hub.get("/v1/providers", {"Accept: application/*"}).status == 200);
}

TEST_CASE("GET /v1/providers is paginated like the offerings") {
  Hub hub(true);
  std::set<std::string> registered;
  for (const char* name :
       {"provider-hexacloud-fr.ttl", "provider-nordwolke-de.ttl", "provider-polderstack-nl.ttl"}) {
    auto created = hub.upload(read_example(name));
    REQUIRE(created.status == 201);
    registered.insert(json::parse(created.body)["id"].get<std::string>());
  }
  CHECK(hub.get("/v1/providers?limit=0").status == 400);
  CHECK(hub.get("/v1/providers?limit=501").status == 400);
  auto typo = hub.get("/v1/providers?limt=1");
  CHECK(typo.status == 400);
  CHECK(json::parse(typo.body)["field"] == "limt");

  // Following the cursors visits every provider exactly once, a page at a time (a discovery
  // that does not page yet answers everything as the last page).
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = hub.get("/v1/providers?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(page.body);
    REQUIRE(page.status == 200);
    auto body = json::parse(page.body);
    REQUIRE(body.contains("next_cursor"));
    for (const auto& p : body["providers"]) CHECK(seen.insert(p["id"].get<std::string>()).second);
    cursor = body["next_cursor"].is_null() ? "" : body["next_cursor"].get<std::string>();
    if (!cursor.empty()) CHECK(body["providers"].size() == 1);
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen == registered);
}

TEST_CASE("a chunked upload is read like any other body") {
  Hub hub(true);
  std::string manifest = read_example("provider-polderstack-nl.ttl");
  std::string wire = "POST /v1/providers HTTP/1.1\r\nHost: t\r\nContent-Type: text/turtle\r\n" +
                     hub.admin() + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < manifest.size(); at += 1000) {
    std::string piece = manifest.substr(at, 1000);
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    wire += size + piece + "\r\n";
  }
  wire += "0\r\n\r\n";
  auto created = hub.exchange(wire);
  INFO(created.body);
  CHECK(created.status == 201);
  CHECK(json::parse(created.body)["id"] == "polderstack");
}
