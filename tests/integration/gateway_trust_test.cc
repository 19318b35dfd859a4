// The gateway's trust routes without the trust service: bearer-token authorisation (401 without
// or with a bad token, 403 for a role that may not), bodies refused before any bus call (400 naming
// the field, 415, 413), an authorised call answered 503/504 problem+json rather than left hanging;
// and, against a fake trust on the bus, the requests each route sends on mpli.trust.v1.* and the
// JSON it makes of the replies and typed errors. Real nats-server and mpli-gateway; raw sockets, to
// see headers such as WWW-Authenticate and ETag.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/bus/connection.h"
#include "libs/testing/environment.h"
#include "libs/testing/tokens.h"
#include "mpli/trust/v1/trust.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Answer {
  int status = 0;                              // 0: no complete answer in time
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json problem() const {
    INFO(body);
    REQUIRE(header("content-type") == "application/problem+json");
    json parsed = json::parse(body, nullptr, false);
    REQUIRE(parsed.is_object());
    CHECK(parsed["status"] == status);
    return parsed;
  }
};

// One request on its own connection (Connection: close), read to the end.
Answer exchange(int port, const std::string& method, const std::string& target,
                const std::string& body, const std::vector<std::string>& headers,
                std::chrono::milliseconds within = 30s) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  std::string wire = method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  for (const auto& h : headers) wire += h + "\r\n";
  wire += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  // A server that refuses early (413 from the head) may close before taking the whole body.
  ::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL);
  std::string received;
  auto deadline = std::chrono::steady_clock::now() + within;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[65536];
    ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) break;
    received.append(chunk, static_cast<size_t>(got));
  }
  close(fd);
  Answer answer;
  size_t end = received.find("\r\n\r\n");
  if (end == std::string::npos || received.size() < 12) return answer;
  std::istringstream lines(received.substr(0, end));
  std::string line;
  std::getline(lines, line);
  answer.status = std::stoi(line.substr(9, 3));
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    answer.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
  }
  answer.body = received.substr(end + 4);
  return answer;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using Env = std::map<std::string, std::string>;

// NATS and a gateway, and no trust service: every trust call finds nobody to answer.
class Gateway {
 public:
  explicit Gateway(const Env& extra = {}) : nats_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    port_ = *port;
    Env env = {
        {"MPLI_NATS_URL", nats_.url()},       {"MPLI_HTTP_PORT", std::to_string(port_)},
        {"MPLI_HTTP_MAX_BODY_BYTES", "4096"}, {"MPLI_REQUEST_TIMEOUT", "2s"},
        {"MPLI_REQUEST_LONG_TIMEOUT", "3s"},  {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    for (const auto& [k, v] : extra) env[k] = v;
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return testing::http_get(url("/healthz"), 2s).status == 200; }, 60s,
                        "the gateway answers /healthz");
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  Answer send(const std::string& method, const std::string& target, const std::string& body = "",
              const std::vector<std::string>& headers = {}) {
    return exchange(port_, method, target, body, headers);
  }
  const std::string& dir() const { return dir_.path(); }
  std::string nats_url() const { return nats_.url(); }
  const testing::TestTokens& tokens() const { return tokens_; }
  // Authorization headers: the admin's, and any consumer's (credentials need just a token).
  std::string admin() const { return testing::TestTokens::bearer(tokens_.admin()); }
  std::string user() const { return testing::TestTokens::bearer(tokens_.consumer("acme")); }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestTokens tokens_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> gateway_;
};

namespace v1 = mpli::trust::v1;

// Stands in for the trust service: answers mpli.trust.v1.* with what `answer` returns for the
// operation (a serialised reply, or a Status sent as trust's typed error), and keeps the last
// request of each operation for the test to read.
class FakeTrust {
 public:
  using Answer =
      std::function<Result<std::string>(const std::string& operation, const std::string& request)>;
  FakeTrust(const std::string& nats_url, Answer answer) : answer_(std::move(answer)) {
    bus::ConnectOptions options;
    options.url = nats_url;
    options.name = "fake-trust";
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    REQUIRE(bus_->wait_connected(10s).is_ok());
    auto subscription = bus_->subscribe("mpli.trust.v1.*", "trust", [this](const bus::Message& m) {
      std::string operation = m.subject.substr(std::string("mpli.trust.v1.").size());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_[operation] = m.data;
      }
      bus_->reply(m, answer_(operation, m.data), {}, "trust");
    });
    REQUIRE(subscription.is_ok());
    subscription_ = std::move(subscription).value();
    REQUIRE(bus_->flush(5s).is_ok());
  }
  ~FakeTrust() { subscription_->drain(2s); }

  template <typename Request>
  Request last(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex_);
    Request request;
    INFO("trust was asked " << operation);
    REQUIRE(requests_.count(operation) == 1);
    REQUIRE(request.ParseFromString(requests_[operation]));
    return request;
  }

 private:
  Answer answer_;
  std::mutex mutex_;
  std::map<std::string, std::string> requests_;
  std::unique_ptr<bus::Connection> bus_;
  std::unique_ptr<bus::Subscription> subscription_;  // last: goes first
};

v1::Credential sample_credential() {
  v1::Credential credential;
  credential.set_id("c0ffee");
  credential.set_format("vc+jwt");
  credential.set_issuer("did:web:issuer.example");
  credential.add_types("VerifiableCredential");
  credential.set_subject("did:web:p.example");
  credential.set_state("accepted");
  credential.set_claims_json(R"({"credentialSubject": {"id": "did:web:p.example"}})");
  credential.set_source("consumer");
  v1::Fact* fact = credential.add_facts();
  fact->set_subject("did:web:p.example");
  fact->set_predicate("https://w3id.org/mpli#country");
  fact->set_object("FR");
  fact->set_object_is_literal(true);
  fact->set_credential("c0ffee");
  return credential;
}

struct AdminRoute {
  std::string method;
  std::string target;
  std::string body;
};
const std::vector<AdminRoute> kAdminRoutes = {
    {"GET", "/v1/trust/anchors", ""},
    {"PUT", "/v1/trust/anchors", R"({"anchors": []})"},
    {"POST", "/v1/credentials/issue", R"({"credentialSubject": {"id": "did:web:p.example"}})"},
};

}  // namespace

TEST_CASE(
    "admin routes: 401 with WWW-Authenticate without a token or with a bad one, 403 for "
    "another role") {
  Gateway gateway;
  std::string other_key_token = gateway.tokens().sign(
      {{"role", "admin"}}, *credentials::SigningKey::generate(credentials::KeyType::kP256),
      {{"kid", gateway.tokens().kid()}});
  for (const auto& route : kAdminRoutes) {
    INFO(route.method << " " << route.target);
    Answer missing =
        gateway.send(route.method, route.target, route.body, {"Content-Type: application/json"});
    REQUIRE(missing.status == 401);
    CHECK(missing.header("www-authenticate") == "Bearer realm=\"mpli\"");
    missing.problem();

    Answer forged = gateway.send(
        route.method, route.target, route.body,
        {"Content-Type: application/json", testing::TestTokens::bearer(other_key_token)});
    REQUIRE(forged.status == 401);
    CHECK(forged.header("www-authenticate") == "Bearer realm=\"mpli\", error=\"invalid_token\"");
    CHECK(forged.problem()["reason"] == "bad_signature");

    for (const std::string& token :
         {gateway.tokens().consumer("acme"), gateway.tokens().provider("hexacloud"),
          gateway.tokens().marketplace({"acme"})}) {
      Answer wrong =
          gateway.send(route.method, route.target, route.body,
                       {"Content-Type: application/json", testing::TestTokens::bearer(token)});
      REQUIRE(wrong.status == 403);
      CHECK(wrong.problem()["reason"] == "forbidden");
      CHECK(wrong.body.find(token) == std::string::npos);
    }
  }
}

TEST_CASE("an authorised admin call with no trust service is a prompt 503/504 problem") {
  Gateway gateway;
  std::string admin = gateway.admin();
  for (const auto& route : kAdminRoutes) {
    INFO(route.method << " " << route.target);
    auto started = std::chrono::steady_clock::now();
    Answer answer = gateway.send(route.method, route.target, route.body,
                                 {"Content-Type: application/json", admin});
    INFO(answer.body);
    CHECK((answer.status == 503 || answer.status == 504));
    answer.problem();
    // Within the long timeout (3 s here) and some slack: nobody answering is not a hang.
    CHECK(std::chrono::steady_clock::now() - started < 10s);
  }
  // The token never reaches the gateway's log.
  CHECK(read_file(gateway.dir() + "/mpli-gateway.log").find(admin.substr(22)) == std::string::npos);
}

TEST_CASE("without auth.signing_key_file no hub token is accepted: every protected route is 401") {
  Gateway gateway(Env{{"MPLI_AUTH_SIGNING_KEY_FILE", ""}});
  for (const auto& route : kAdminRoutes) {
    INFO(route.method << " " << route.target);
    Answer answer = gateway.send(route.method, route.target, route.body,
                                 {"Content-Type: application/json", gateway.admin()});
    REQUIRE(answer.status == 401);
    CHECK(answer.problem()["reason"] == "unknown_issuer");
  }
}

TEST_CASE("the gateway refuses to start with a signing key file others may read") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestTokens tokens(dir.path());
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  REQUIRE(chmod(tokens.key_file().c_str(), 0644) == 0);
  process::ChildProcess gateway =
      testing::start_binary("mpli-gateway",
                            {{"MPLI_NATS_URL", nats.url()},
                             {"MPLI_HTTP_PORT", std::to_string(*port)},
                             {"MPLI_AUTH_SIGNING_KEY_FILE", tokens.key_file()}},
                            dir.path());
  auto status = gateway.wait_for(30s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) != 0);
  std::string log = read_file(dir.path() + "/mpli-gateway.log");
  INFO(log);
  CHECK(log.find("chmod 600") != std::string::npos);
  CHECK(log.find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("the hub's public key is served at /.well-known/jwks.json") {
  Gateway gateway;
  Answer answer = gateway.send("GET", "/.well-known/jwks.json");
  REQUIRE(answer.status == 200);
  json jwks = json::parse(answer.body);
  REQUIRE(jwks["keys"].size() == 1);
  CHECK(jwks["keys"][0]["kid"] == gateway.tokens().kid());
  CHECK(jwks["keys"][0]["crv"] == "P-256");
  CHECK_FALSE(jwks["keys"][0].contains("d"));
}

TEST_CASE("credential bodies are checked before trust is asked: 400, 415, 413") {
  Gateway gateway;
  const std::string user = gateway.user();
  const std::vector<std::string> json_type = {"Content-Type: application/json", user};
  for (const std::string target : {"/v1/credentials", "/v1/credentials/verify"}) {
    INFO(target);
    Answer empty = gateway.send("POST", target, "", json_type);
    REQUIRE(empty.status == 400);
    CHECK(empty.problem()["field"] == "body");

    Answer empty_object = gateway.send("POST", target, "{}", json_type);
    REQUIRE(empty_object.status == 400);
    CHECK(empty_object.problem()["field"] == "credential");

    Answer no_credential =
        gateway.send("POST", target, R"({"media_type": "vc+jwt", "nonce": "n"})", json_type);
    REQUIRE(no_credential.status == 400);
    CHECK(no_credential.problem()["field"] == "credential");

    Answer empty_token =
        gateway.send("POST", target, "\n", {"Content-Type: application/vc+jwt", user});
    REQUIRE(empty_token.status == 400);
    CHECK(empty_token.problem()["field"] == "body");

    Answer text = gateway.send("POST", target, "eyJ.a.b", {"Content-Type: text/plain", user});
    REQUIRE(text.status == 415);
    text.problem();

    Answer oversized = gateway.send("POST", target, std::string(5000, 'a'),
                                    {"Content-Type: application/vc+jwt", user});
    REQUIRE(oversized.status == 413);
    oversized.problem();
  }
  Answer no_subject = gateway.send("GET", "/v1/credentials", "", {user});
  REQUIRE(no_subject.status == 400);
  CHECK(no_subject.problem()["field"] == "subject");
  Answer no_facts_subject = gateway.send("GET", "/v1/facts?limit=3", "", {user});
  REQUIRE(no_facts_subject.status == 400);
  CHECK(no_facts_subject.problem()["field"] == "limit");  // unknown there: named, not ignored
}

TEST_CASE("a well-formed credential with no trust service is a prompt 503/504, not a hang") {
  Gateway gateway;
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"application/json", R"({"credential": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"})"},
           {"application/vc+jwt", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
           {"application/dc+sd-jwt", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"}}) {
    INFO(type);
    auto started = std::chrono::steady_clock::now();
    Answer answer =
        gateway.send("POST", "/v1/credentials", body, {"Content-Type: " + type, gateway.user()});
    INFO(answer.body);
    CHECK((answer.status == 503 || answer.status == 504));
    answer.problem();
    CHECK(std::chrono::steady_clock::now() - started < 10s);
  }
  Answer list =
      gateway.send("GET", "/v1/credentials?subject=did%3Aweb%3Ap.example", "", {gateway.user()});
  CHECK((list.status == 503 || list.status == 504));
  list.problem();
  Answer facts =
      gateway.send("GET", "/v1/facts?subject=did%3Aweb%3Ap.example", "", {gateway.user()});
  CHECK((facts.status == 503 || facts.status == 504));
  facts.problem();
}

TEST_CASE("against a fake trust: each route's bus request and the JSON of its reply") {
  Gateway gateway;
  const std::string bearer = gateway.admin();
  const std::string user = gateway.user();
  FakeTrust trust(gateway.nats_url(),
                  [](const std::string& operation, const std::string&) -> Result<std::string> {
                    std::string out;
                    if (operation == "submit_credential" || operation == "verify_credential") {
                      v1::SubmitCredentialReply reply;
                      *reply.mutable_credential() = sample_credential();
                      reply.SerializeToString(&out);
                    } else if (operation == "list_credentials") {
                      v1::ListCredentialsReply reply;
                      *reply.add_credentials() = sample_credential();
                      reply.SerializeToString(&out);
                    } else if (operation == "get_facts") {
                      v1::GetFactsReply reply;
                      *reply.add_facts() = sample_credential().facts(0);
                      reply.SerializeToString(&out);
                    } else if (operation == "get_anchors" || operation == "put_anchors") {
                      v1::PutAnchorsReply reply;
                      reply.mutable_anchors()->set_version(5);
                      auto* anchor = reply.mutable_anchors()->add_anchors();
                      anchor->set_credential_type("https://w3id.org/mpli#CertificationCredential");
                      anchor->add_issuers("did:web:issuer.example");
                      reply.set_facts_gained(1);
                      if (operation == "get_anchors") {
                        reply.anchors().SerializeToString(&out);
                      } else {
                        reply.SerializeToString(&out);
                      }
                    } else if (operation == "issue_credential") {
                      v1::IssueCredentialReply reply;
                      reply.set_token("eyJ.issued.sig");
                      reply.set_issuer("did:web:hub.example");
                      reply.set_media_type("application/vc+jwt");
                      reply.SerializeToString(&out);
                    }
                    return out;
                  });

  Answer submitted = gateway.send("POST", "/v1/credentials", "eyJ.a.b\n",
                                  {"Content-Type: application/vc+jwt", user});
  INFO(submitted.body);
  REQUIRE(submitted.status == 201);
  json credential = json::parse(submitted.body);
  CHECK(credential["id"] == "c0ffee");
  CHECK(credential["claims"]["credentialSubject"]["id"] == "did:web:p.example");
  CHECK(credential["facts"][0]["literal"] == true);
  auto submit = trust.last<v1::SubmitCredentialRequest>("submit_credential");
  CHECK(submit.token() == "eyJ.a.b");
  CHECK(submit.media_type() == "vc+jwt");
  CHECK(submit.source() == "consumer");

  Answer verified =
      gateway.send("POST", "/v1/credentials/verify",
                   R"({"credential": "eyJ.c.d~", "media_type": "application/dc+sd-jwt",
          "expected_subject": "did:web:p.example", "nonce": "n-1", "audience": "hub"})",
                   {"Content-Type: application/json", user});
  REQUIRE(verified.status == 200);
  auto verify = trust.last<v1::SubmitCredentialRequest>("verify_credential");
  CHECK(verify.token() == "eyJ.c.d~");
  CHECK(verify.media_type() == "dc+sd-jwt");
  CHECK(verify.expected_subject() == "did:web:p.example");
  CHECK(verify.nonce() == "n-1");
  CHECK(verify.audience() == "hub");
  CHECK(verify.source() == "consumer");

  Answer listed =
      gateway.send("GET", "/v1/credentials?subject=did%3Aweb%3Ap.example&limit=5", "", {user});
  REQUIRE(listed.status == 200);
  CHECK(json::parse(listed.body)["credentials"][0]["id"] == "c0ffee");
  auto list = trust.last<v1::ListCredentialsRequest>("list_credentials");
  CHECK(list.subject() == "did:web:p.example");
  CHECK(list.limit() == 5);

  Answer facts = gateway.send("GET", "/v1/facts?subject=did%3Aweb%3Ap.example", "", {user});
  REQUIRE(facts.status == 200);
  CHECK(json::parse(facts.body)["subject"] == "did:web:p.example");
  CHECK(json::parse(facts.body)["facts"][0]["object"] == "FR");

  Answer anchors = gateway.send("GET", "/v1/trust/anchors", "", {bearer});
  REQUIRE(anchors.status == 200);
  CHECK(anchors.header("etag") == "\"5\"");
  CHECK(json::parse(anchors.body)["version"] == 5);

  Answer put = gateway.send(
      "PUT", "/v1/trust/anchors",
      R"({"anchors": [{"credential_type": "https://w3id.org/mpli#CertificationCredential",
                       "issuers": ["did:web:issuer.example"], "label": "l"}]})",
      {"Content-Type: application/json", "If-Match: \"4\"", bearer});
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(put.header("etag") == "\"5\"");
  CHECK(json::parse(put.body)["facts_gained"] == 1);
  auto put_request = trust.last<v1::PutAnchorsRequest>("put_anchors");
  CHECK(put_request.expected_version() == 4);
  REQUIRE(put_request.anchors().anchors_size() == 1);
  CHECK(put_request.anchors().anchors(0).label() == "l");

  const std::string to_sign = R"({"credentialSubject": {"id": "did:web:p.example"}})";
  Answer issued = gateway.send("POST", "/v1/credentials/issue?valid_until=2027-01-31T00%3A00%3A00Z",
                               to_sign, {"Content-Type: application/json", bearer});
  REQUIRE(issued.status == 201);
  CHECK(json::parse(issued.body) == json{{"credential", "eyJ.issued.sig"},
                                         {"issuer", "did:web:hub.example"},
                                         {"media_type", "application/vc+jwt"}});
  auto issue = trust.last<v1::IssueCredentialRequest>("issue_credential");
  CHECK(issue.credential_json() == to_sign);
  CHECK(issue.valid_until() == "2027-01-31T00:00:00Z");
}

TEST_CASE("against a fake trust: its typed errors become problems with a lower-case reason") {
  Gateway gateway;
  FakeTrust trust(gateway.nats_url(),
                  [](const std::string& operation, const std::string&) -> Result<std::string> {
                    if (operation == "put_anchors") {
                      return Status(StatusCode::kConflict, "anchors are at version 6",
                                    {{"reason", "ANCHORS_CHANGED"}});
                    }
                    return Status(StatusCode::kInvalidArgument, "status list says revoked",
                                  {{"reason", "REVOKED"}});
                  });
  Answer revoked = gateway.send("POST", "/v1/credentials", R"({"credential": "eyJ.a.b"})",
                                {"Content-Type: application/json", gateway.user()});
  INFO(revoked.body);
  REQUIRE(revoked.status == 422);
  json problem = revoked.problem();
  CHECK(problem["reason"] == "revoked");
  CHECK(problem["domain"] == "trust");
  CHECK(problem["detail"] == "status list says revoked");

  Answer changed =
      gateway.send("PUT", "/v1/trust/anchors", R"({"anchors": []})",
                   {"Content-Type: application/json", "If-Match: \"5\"", gateway.admin()});
  INFO(changed.body);
  REQUIRE(changed.status == 412);
  CHECK(changed.problem()["reason"] == "anchors_changed");
}
