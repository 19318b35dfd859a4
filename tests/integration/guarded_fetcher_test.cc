// libs/fetch's GuardedFetcher against a real HTTP server on 127.0.0.1 (libs/testing): the
// Accept header, conditional requests, the per-request byte limit, bounded redirects, the
// connect-time address check and the stop token. No nats-server, PostgreSQL or binaries.
#include "libs/fetch/guarded_fetcher.h"

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "libs/fetch/fetch_error.h"
#include "libs/testing/http_test_server.h"

using namespace mpli;
using namespace mpli::fetch;
using namespace std::chrono_literals;

namespace {

// What a local test server needs: plain http and loopback.
FetchPolicy local_policy() {
  FetchPolicy policy;
  policy.allow_http = true;
  policy.allow_loopback = true;
  policy.timeout = 5s;
  return policy;
}

}  // namespace

TEST_CASE("a 200 brings the body, and the server sees the Accept header asked for") {
  std::mutex mutex;
  std::string accept_seen;
  testing::HttpTestServer server([&](const testing::HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    auto accept = request.headers.find("accept");
    accept_seen = accept == request.headers.end() ? "" : accept->second;
    return testing::static_document(request, "{\"id\": \"did:web:x.example\"}", "application/json");
  });
  GuardedFetcher fetcher(local_policy(), service::StopToken());
  FetchRequest request;
  request.url = server.url("/.well-known/did.json");
  request.accept = "application/did+json, application/json;q=0.9";
  auto fetched = fetcher.fetch(request);
  REQUIRE(fetched.is_ok());
  CHECK(fetched->http_status == 200);
  CHECK_FALSE(fetched->not_modified);
  CHECK(fetched->body == "{\"id\": \"did:web:x.example\"}");
  CHECK(fetched->content_type == "application/json");
  CHECK_FALSE(fetched->etag.empty());
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(accept_seen == "application/did+json, application/json;q=0.9");
}

TEST_CASE("a 304 answers a request with the ETag the server gave") {
  testing::HttpTestServer server([](const testing::HttpTestRequest& request) {
    return testing::static_document(request, "<a> <b> <c> .\n");
  });
  GuardedFetcher fetcher(local_policy(), service::StopToken());
  auto first = fetcher.fetch({server.url("/m.ttl"), "", "", "", 0});
  REQUIRE(first.is_ok());
  REQUIRE_FALSE(first->etag.empty());
  auto again = fetcher.fetch({server.url("/m.ttl"), first->etag, "", "", 0});
  REQUIRE(again.is_ok());
  CHECK(again->not_modified);
  CHECK(again->http_status == 304);
  CHECK(again->body.empty());
  CHECK(again->etag == first->etag);
  CHECK(server.requests() == 2);
}

TEST_CASE("a body over the request's byte limit is refused as too_large") {
  testing::HttpTestServer server([](const testing::HttpTestRequest&) {
    testing::HttpTestResponse response;
    response.body = std::string(1024, 'x');
    response.repeat_body = 4;  // 4 KiB
    return response;
  });
  GuardedFetcher fetcher(local_policy(), service::StopToken());  // the policy allows 8 MiB
  FetchRequest request{server.url("/status-list"), "", "", "", 2048};
  auto fetched = fetcher.fetch(request);
  REQUIRE_FALSE(fetched.is_ok());
  CHECK(fetch_error_of(fetched.status()) == FetchError::kTooLarge);
  CHECK(fetched.status().code() == StatusCode::kTooLarge);
  CHECK(fetched.status().detail("max_bytes") == "2048");
  CHECK(fetched.status().message().find("larger than 2048 bytes") != std::string::npos);
  request.max_bytes = 0;  // the policy's limit: the same body is fine
  CHECK(fetcher.fetch(request).is_ok());
}

TEST_CASE("a redirect loop is stopped after max_redirects") {
  std::string self;
  testing::HttpTestServer server([&self](const testing::HttpTestRequest&) {
    testing::HttpTestResponse response;
    response.status = 302;
    response.headers["Location"] = self;
    return response;
  });
  self = server.url("/loop");
  FetchPolicy policy = local_policy();
  policy.max_redirects = 2;
  GuardedFetcher fetcher(policy, service::StopToken());
  auto fetched = fetcher.fetch({self, "", "", "", 0});
  REQUIRE_FALSE(fetched.is_ok());
  CHECK(fetch_error_of(fetched.status()) == FetchError::kFailed);
  CHECK(fetched.status().code() == StatusCode::kUnavailable);
  CHECK(fetched.status().message().find("more than 2 redirects") != std::string::npos);
  CHECK(server.requests() == 3);  // the first request and two redirects followed
}

TEST_CASE("a loopback target is refused at connect time when the policy does not allow it") {
  testing::HttpTestServer server([](const testing::HttpTestRequest& request) {
    return testing::static_document(request, "secret");
  });
  FetchPolicy policy = local_policy();
  policy.allow_loopback = false;
  GuardedFetcher fetcher(policy, service::StopToken());
  // "localhost" passes the URL check; only the resolved address tells.
  auto fetched =
      fetcher.fetch({"http://localhost:" + std::to_string(server.port()) + "/", "", "", "", 0});
  REQUIRE_FALSE(fetched.is_ok());
  CHECK(fetch_error_of(fetched.status()) == FetchError::kAddressRefused);
  CHECK(fetched.status().code() == StatusCode::kPermissionDenied);
  CHECK(fetched.status().detail("range") == "loopback");
  CHECK(server.requests() == 0);
}

TEST_CASE("a fetch in progress is abandoned when the stop token fires") {
  testing::HttpTestServer server([](const testing::HttpTestRequest& request) {
    testing::HttpTestResponse response = testing::static_document(request, "late");
    response.delay = 30s;
    return response;
  });
  service::StopSource stop;
  FetchPolicy policy = local_policy();
  policy.timeout = 60s;
  GuardedFetcher fetcher(policy, stop.token());
  std::thread stopper([&] {
    // Stop once the server has the request, so the transfer is truly in progress.
    for (int i = 0; i < 500 && server.requests() == 0; ++i) std::this_thread::sleep_for(10ms);
    stop.request_stop();
  });
  auto started = std::chrono::steady_clock::now();
  auto fetched = fetcher.fetch({server.url("/slow"), "", "", "", 0});
  stopper.join();
  REQUIRE_FALSE(fetched.is_ok());
  CHECK(fetch_error_of(fetched.status()) == FetchError::kShuttingDown);
  CHECK(fetched.status().code() == StatusCode::kUnavailable);
  CHECK(fetched.status().retry_after() == 1s);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  // Once stopped, nothing more is fetched.
  auto after = fetcher.fetch({server.url("/slow"), "", "", "", 0});
  CHECK(fetch_error_of(after.status()) == FetchError::kShuttingDown);
}

TEST_CASE("a URL the policy refuses is never fetched") {
  GuardedFetcher fetcher(FetchPolicy{}, service::StopToken());
  auto http = fetcher.fetch({"http://x.example/", "", "", "", 0});
  CHECK(fetch_error_of(http.status()) == FetchError::kSchemeRefused);
  CHECK(http.status().detail("url") == "http://x.example/");
  auto no_host = fetcher.fetch({"https:///path", "", "", "", 0});
  CHECK(fetch_error_of(no_host.status()) == FetchError::kBadUrl);
}
