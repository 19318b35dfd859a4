#include "libs/testing/http_exchange.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace mpli::testing {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

size_t append_body(char* data, size_t size, size_t count, void* target) {
  static_cast<std::string*>(target)->append(data, size * count);
  return size * count;
}

// One header line at a time; a status line (a redirect's, then the final one's) starts over.
size_t take_header(char* data, size_t size, size_t count, void* target) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(target);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
  } else if (size_t colon = line.find(':'); colon != std::string::npos) {
    (*headers)[lower(trimmed(line.substr(0, colon)))] = trimmed(line.substr(colon + 1));
  }
  return size * count;
}

}  // namespace

std::string HttpExchange::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpExchange http_exchange(const std::string& method, const std::string& url,
                           const std::string& body, const std::vector<std::string>& request_headers,
                           std::chrono::milliseconds timeout) {
  HttpExchange exchange;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return exchange;
  curl_slist* header_list = nullptr;
  for (const auto& h : request_headers) header_list = curl_slist_append(header_list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  // A HEAD answer has a Content-Length but no body: curl must not wait for one.
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, take_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange.headers);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.status);
  }
  curl_slist_free_all(header_list);
  curl_easy_cleanup(curl);
  return exchange;
}

}  // namespace mpli::testing
