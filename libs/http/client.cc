#include "libs/http/client.h"

#include <curl/curl.h>

namespace mpli::http {
namespace {
size_t append_body(char* data, size_t size, size_t count, void* target) {
  static_cast<std::string*>(target)->append(data, size * count);
  return size * count;
}
}  // namespace

Session::Session() : curl_(curl_easy_init()) {}

Session::~Session() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Response Session::request(const std::string& method, const std::string& url,
                          const std::string& body, const std::vector<std::string>& headers,
                          std::chrono::milliseconds timeout) {
  Response response;
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return response;
  // Options of the previous request must not carry over; the connection cache does.
  curl_easy_reset(curl);
  curl_slist* header_list = nullptr;
  for (const auto& h : headers) header_list = curl_slist_append(header_list, h.c_str());
  // No "Expect: 100-continue" for larger bodies: our servers answer the request whole, and
  // curl would wait for a 100 before sending the body.
  header_list = curl_slist_append(header_list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) response.content_type = type;
  }
  curl_slist_free_all(header_list);
  return response;
}

Response request(const std::string& method, const std::string& url, const std::string& body,
                 const std::vector<std::string>& headers, std::chrono::milliseconds timeout) {
  return Session().request(method, url, body, headers, timeout);
}

}  // namespace mpli::http
