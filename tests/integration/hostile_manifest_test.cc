// Hostile manifests against the real hub (NATS, PostgreSQL, mpli-discovery, mpli-gateway): text
// built to exhaust the parser's or the regex engine's stack is refused with a normal answer, and
// discovery is still there to answer the next request.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/testing/environment.h"
#include "libs/testing/http_test_server.h"
#include "libs/testing/tokens.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The repository root (set by tests/integration/CMakeLists.txt; __FILE__ may be relative when
// a compiler cache rewrites paths).
std::string source_dir() { return MPLI_SOURCE_DIR; }

std::string read_example(const std::string& name) {
  std::ifstream in(source_dir() + "/ontology/examples/" + name);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kHeader = "@prefix : <http://example.org/> .\n";
const std::string kSubject = ":s :p ";  // line 2 starts with it: the first opener is column 7

// `levels` blank nodes, each the object of the one around it: [:p [:p ... ]] (4 bytes a level).
std::string nested_blank_nodes(int levels) {
  std::string text = kHeader + kSubject;
  for (int i = 0; i < levels; ++i) text += "[:p ";
  text += ":o";
  text.append(static_cast<size_t>(levels), ']');
  return text + " .\n";
}

// `levels` collections, each the only member of the one around it: ((( ... ))) (2 bytes a level).
std::string nested_collections(int levels) {
  std::string text = kHeader + kSubject;
  text.append(static_cast<size_t>(levels), '(');
  text.append(static_cast<size_t>(levels), ')');
  return text + " .\n";
}

// The hub as discovery_test.cc starts it, reduced to what these tests need.
class Hub {
 public:
  Hub() : nats_(dir_.path()), pg_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_DATABASE_URL", pg_.dsn()},
                                              {"MPLI_HTTP_PORT", std::to_string(*port)},
                                              {"MPLI_FETCH_ALLOW_HTTP", "true"},
                                              {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
                                              {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    discovery_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env, dir_.path()));
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return testing::http_get(base_ + "/v1/providers").status == 200; },
                        60s, "discovery answers through the gateway");
  }

  testing::HttpResponse upload(const std::string& turtle) {
    return testing::http_request("POST", base_ + "/v1/providers", turtle,
                                 {"Content-Type: text/turtle", admin()});
  }
  testing::HttpResponse register_url(const std::string& url) {
    return testing::http_request("POST", base_ + "/v1/providers",
                                 json{{"manifest_url", url}}.dump(),
                                 {"Content-Type: application/json", admin()});
  }
  std::string admin() const { return testing::TestTokens::bearer(tokens_.admin()); }
  testing::HttpResponse get(const std::string& path) { return testing::http_get(base_ + path); }
  bool discovery_running() { return discovery_->running(); }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  testing::TestTokens tokens_;
  std::string base_;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

// A provider's web server serving whatever the test puts there.
struct ProviderSite {
  std::mutex mutex;
  std::string manifest;
  testing::HttpTestServer server{[this](const testing::HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    return testing::static_document(request, manifest);
  }};
  void serve(std::string text) {
    std::lock_guard<std::mutex> lock(mutex);
    manifest = std::move(text);
  }
  std::string url() { return server.url("/.well-known/mpli.ttl"); }
};

// The answer to a document nesting deeper than the parser's limit (256): 400, a syntax problem
// at the 257th opener of line 2.
void check_too_deep(const testing::HttpResponse& r, const std::string& source, int column) {
  INFO(r.body);
  REQUIRE(r.status == 400);
  CHECK(r.content_type == "application/problem+json");
  json body = json::parse(r.body);
  CHECK(body["reason"] == "manifest_syntax");
  CHECK(body["line"] == 2);
  CHECK(body["column"] == column);
  CHECK(body["detail"] == source + ":2:" + std::to_string(column) +
                              ": collections '(' and blank nodes '[' nest more than 256 levels "
                              "deep");
}

}  // namespace

TEST_CASE("deeply nested manifests are refused with a position and discovery lives on") {
  Hub hub;
  const int kLevels = 20000;
  const int kBlankNodeColumn = 7 + 256 * 4;  // "[:p " is 4 bytes a level
  const int kCollectionColumn = 7 + 256;

  SECTION("uploaded") {
    std::string blank_nodes = nested_blank_nodes(kLevels);
    REQUIRE(blank_nodes.size() > 60000);
    check_too_deep(hub.upload(blank_nodes), "upload", kBlankNodeColumn);
    CHECK(hub.discovery_running());
    check_too_deep(hub.upload(nested_collections(kLevels)), "upload", kCollectionColumn);
    CHECK(hub.discovery_running());
  }
  SECTION("registered by URL") {
    ProviderSite site;
    site.serve(nested_blank_nodes(kLevels));
    check_too_deep(hub.register_url(site.url()), site.url(), kBlankNodeColumn);
    CHECK(hub.discovery_running());
  }

  // Discovery still answers, and still accepts a good manifest.
  CHECK(hub.get("/v1/providers").status == 200);
  auto accepted = hub.upload(read_example("provider-hexacloud-fr.ttl"));
  INFO(accepted.body);
  CHECK(accepted.status == 201);
}

TEST_CASE("a manifest with a huge literal under a sh:pattern is refused, not a crash") {
  Hub hub;
  std::string manifest = read_example("provider-hexacloud-fr.ttl");
  const std::string domain = "mpli:domain \"hexacloud.example\"";
  size_t at = manifest.find(domain);
  REQUIRE(at != std::string::npos);
  // 60,000 letters: std::regex's backtracking matcher recurses once per character and needs
  // more stack than a thread has; the domain pattern must still be checked, and fail.
  manifest.replace(at, domain.size(), "mpli:domain \"" + std::string(60000, 'a') + "\"");

  auto r = hub.upload(manifest);
  INFO(r.body.substr(0, 2000));
  REQUIRE(r.status == 422);
  json body = json::parse(r.body);
  REQUIRE(body["violations"].size() == 1);
  CHECK(body["violations"][0]["path"] == "<https://w3id.org/mpli#domain>");
  CHECK(body["violations"][0]["constraint"] ==
        "http://www.w3.org/ns/shacl#PatternConstraintComponent");
  CHECK(hub.discovery_running());
  CHECK(hub.get("/v1/providers").status == 200);
}
