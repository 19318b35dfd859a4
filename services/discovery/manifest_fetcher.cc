#include "services/discovery/manifest_fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <sys/socket.h>

#include <cctype>
#include <memory>

#include "services/discovery/domain/errors.h"

namespace mpli::discovery {
namespace {

struct Transfer {
  const FetchPolicy* policy = nullptr;
  const service::StopState* stop = nullptr;
  FetchResponse response;
  bool too_large = false;
  bool stopped = false;
  Status refused;  // set when the connect-time address check said no
};

// Called by libcurl about once a second even while nothing arrives (and more often while
// data flows): the one place a blocked transfer can notice that the service is stopping.
int on_progress(void* closure, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(closure);
  if (transfer->stop->stop_requested()) {
    transfer->stopped = true;
    return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t on_body(char* data, size_t size, size_t count, void* closure) {
  auto* transfer = static_cast<Transfer*>(closure);
  size_t n = size * count;
  if (transfer->response.body.size() + n > transfer->policy->max_bytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer
  }
  transfer->response.body.append(data, n);
  return n;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

size_t on_header(char* data, size_t size, size_t count, void* closure) {
  auto* transfer = static_cast<Transfer*>(closure);
  std::string line(data, size * count);
  auto colon = line.find(':');
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect): forget the old one
    transfer->response.etag.clear();
    transfer->response.last_modified.clear();
  } else if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "etag") transfer->response.etag = value;
    if (name == "last-modified") transfer->response.last_modified = value;
  }
  return size * count;
}

curl_socket_t on_open_socket(void* closure, curlsocktype, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(closure);
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address->addr)->sin_addr, text,
              sizeof(text));
  } else if (address->family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address->addr)->sin6_addr, text,
              sizeof(text));
  } else {
    transfer->refused = discovery_error(StatusCode::kPermissionDenied, v1::ADDRESS_REFUSED,
                                        "unsupported address family", {{"field", "manifest_url"}});
    return CURL_SOCKET_BAD;
  }
  Status allowed = check_address(text, *transfer->policy);
  if (!allowed.is_ok()) {
    transfer->refused = allowed;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

Status fail(StatusCode code, const std::string& message, v1::ErrorReason reason) {
  return discovery_error(code, reason, message, {{"field", "manifest_url"}});
}

Status shutting_down(const std::string& url) {
  return discovery_error(StatusCode::kUnavailable, v1::SHUTTING_DOWN,
                         "the fetch of " + url + " was abandoned: this instance is stopping")
      .with_retry_after(std::chrono::seconds(1));
}

}  // namespace

ManifestFetcher::ManifestFetcher(FetchPolicy policy, service::StopToken stop)
    : policy_(policy), stop_(std::move(stop)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference counted by libcurl; cheap after the first
}

Result<FetchResponse> ManifestFetcher::fetch(const FetchRequest& request) const {
  Status url_ok = check_manifest_url(request.url, policy_);
  if (!url_ok.is_ok()) return url_ok;
  if (stop_.stop_requested()) return shutting_down(request.url);

  // One handle per thread, reset for each fetch: libcurl keeps its connection cache in the
  // handle, so a worker refreshing many manifests from one host reuses the connection.
  thread_local std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return internal_error("curl_easy_init failed");
  curl_easy_reset(curl.get());
  Transfer transfer;
  transfer.policy = &policy_;
  transfer.stop = stop_.state();
  const char* protocols = policy_.allow_http ? "http,https" : "https";
  std::unique_ptr<curl_slist, HeaderListDeleter> headers;
  auto add_header = [&headers](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add_header("Accept: text/turtle, application/n-triples;q=0.9, */*;q=0.1");
  if (!request.etag.empty()) add_header("If-None-Match: " + request.etag);
  if (!request.last_modified.empty()) add_header("If-Modified-Since: " + request.last_modified);

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(policy_.max_redirects));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(policy_.timeout.count(), 5000)));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(policy_.max_bytes));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "mpli-discovery/0.1 (+https://w3id.org/mpli)");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING,
                   "");  // gzip welcome; the size limit is on decoded bytes
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

  CURLcode code = curl_easy_perform(c);
  if (transfer.stopped) return shutting_down(request.url);
  if (!transfer.refused.is_ok()) return transfer.refused;
  if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return fail(StatusCode::kTooLarge,
                "manifest at " + request.url + " is larger than " +
                    std::to_string(policy_.max_bytes) + " bytes (manifest.max_bytes)",
                v1::MANIFEST_TOO_LARGE);
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return fail(StatusCode::kDeadlineExceeded,
                "manifest at " + request.url + " was not fetched within " +
                    std::to_string(policy_.timeout.count()) + " ms",
                v1::FETCH_TIMEOUT);
  }
  if (code == CURLE_TOO_MANY_REDIRECTS) {
    return fail(
        StatusCode::kUnavailable,
        "more than " + std::to_string(policy_.max_redirects) + " redirects from " + request.url,
        v1::FETCH_FAILED);
  }
  if (code == CURLE_UNSUPPORTED_PROTOCOL) {
    return fail(StatusCode::kInvalidArgument,
                "redirect from " + request.url + " to a protocol this hub does not fetch",
                v1::SCHEME_REFUSED);
  }
  if (code != CURLE_OK) {
    return fail(StatusCode::kUnavailable,
                "cannot fetch " + request.url + ": " + curl_easy_strerror(code), v1::FETCH_FAILED);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &transfer.response.http_status);
  char* type = nullptr;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) transfer.response.content_type = type;
  if (transfer.response.http_status == 304) {
    transfer.response.not_modified = true;
    return transfer.response;
  }
  if (transfer.response.http_status != 200) {
    return fail(StatusCode::kUnavailable,
                "HTTP " + std::to_string(transfer.response.http_status) + " from " + request.url,
                v1::FETCH_FAILED);
  }
  return transfer.response;
}

}  // namespace mpli::discovery
