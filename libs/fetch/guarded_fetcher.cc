#include "libs/fetch/guarded_fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>

#include "libs/fetch/fetch_error.h"

namespace mpli::fetch {
namespace {

struct Transfer {
  const FetchPolicy* policy = nullptr;
  const service::StopState* stop = nullptr;
  size_t max_bytes = 0;
  FetchResponse response;
  bool too_large = false;
  bool stopped = false;
  Status refused;  // set when the connect-time address check said no
};

// Called by libcurl about once a second even while nothing arrives (and more often while
// data flows): the one place a blocked transfer can notice that the service is stopping.
int on_progress(void* closure, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
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
  if (transfer->response.body.size() + n > transfer->max_bytes) {
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

curl_socket_t on_open_socket(void* closure, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(closure);
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address->addr)->sin_addr, text,
              sizeof(text));
  } else if (address->family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address->addr)->sin6_addr, text,
              sizeof(text));
  } else {
    transfer->refused = fetch_error(FetchError::kAddressRefused, "unsupported address family");
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

Status shutting_down(const std::string& url) {
  return fetch_error(FetchError::kShuttingDown,
                     "the fetch of " + url + " was abandoned: this instance is stopping",
                     {{"url", url}})
      .with_retry_after(std::chrono::seconds(1));
}

}  // namespace

GuardedFetcher::GuardedFetcher(FetchPolicy policy, service::StopToken stop, std::string user_agent)
    : policy_(policy), stop_(std::move(stop)), user_agent_(std::move(user_agent)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference counted by libcurl; cheap after the first
}

Result<FetchResponse> GuardedFetcher::fetch(const FetchRequest& request) const {
  const std::string& url = request.url;
  Status url_ok = check_url(url, policy_);
  if (!url_ok.is_ok()) return std::move(url_ok).with_detail("url", url);
  if (stop_.stop_requested()) return shutting_down(url);

  // One handle per thread, reset for each fetch: libcurl keeps its connection cache in the
  // handle, so a worker fetching many documents from one host reuses the connection.
  thread_local std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return internal_error("curl_easy_init failed");
  curl_easy_reset(curl.get());
  Transfer transfer;
  transfer.policy = &policy_;
  transfer.stop = stop_.state();
  transfer.max_bytes =
      request.max_bytes == 0 ? policy_.max_bytes : std::min(request.max_bytes, policy_.max_bytes);
  const char* protocols = policy_.allow_http ? "http,https" : "https";
  std::unique_ptr<curl_slist, HeaderListDeleter> headers;
  auto add_header = [&headers](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  if (!request.accept.empty()) add_header("Accept: " + request.accept);
  if (!request.etag.empty()) add_header("If-None-Match: " + request.etag);
  if (!request.last_modified.empty()) add_header("If-Modified-Since: " + request.last_modified);

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(policy_.max_redirects));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(policy_.timeout.count(), 5000)));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(transfer.max_bytes));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent_.c_str());
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
  if (transfer.stopped) return shutting_down(url);
  if (!transfer.refused.is_ok()) return std::move(transfer.refused).with_detail("url", url);
  if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return fetch_error(FetchError::kTooLarge,
                       "the document at " + url + " is larger than " +
                           std::to_string(transfer.max_bytes) + " bytes",
                       {{"url", url}, {"max_bytes", std::to_string(transfer.max_bytes)}});
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return fetch_error(FetchError::kTimeout,
                       "the document at " + url + " was not fetched within " +
                           std::to_string(policy_.timeout.count()) + " ms",
                       {{"url", url}, {"timeout_ms", std::to_string(policy_.timeout.count())}});
  }
  if (code == CURLE_TOO_MANY_REDIRECTS) {
    return fetch_error(
        FetchError::kFailed,
        "more than " + std::to_string(policy_.max_redirects) + " redirects from " + url,
        {{"url", url}});
  }
  if (code == CURLE_UNSUPPORTED_PROTOCOL) {
    return fetch_error(FetchError::kSchemeRefused,
                       "redirect from " + url + " to a protocol the fetch policy does not allow",
                       {{"url", url}});
  }
  if (code != CURLE_OK) {
    return fetch_error(FetchError::kFailed, "cannot fetch " + url + ": " + curl_easy_strerror(code),
                       {{"url", url}});
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
    std::string http_status = std::to_string(transfer.response.http_status);
    return fetch_error(FetchError::kFailed, "HTTP " + http_status + " from " + url,
                       {{"url", url}, {"http_status", http_status}});
  }
  return std::move(transfer.response);
}

}  // namespace mpli::fetch
