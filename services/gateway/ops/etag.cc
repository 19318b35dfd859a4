#include "services/gateway/ops/etag.h"

#include "libs/core/digest.h"

namespace mpli::gateway {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// The opaque-tag without W/ and quotes, or nullopt-like "" with ok=false when malformed.
bool next_tag(std::string_view& rest, std::string_view& opaque) {
  while (!rest.empty() && (is_space(rest.front()) || rest.front() == ',')) rest.remove_prefix(1);
  if (rest.empty()) return false;
  if (rest.substr(0, 2) == "W/") rest.remove_prefix(2);
  if (rest.empty() || rest.front() != '"') return false;
  size_t end = rest.find('"', 1);
  if (end == std::string_view::npos) return false;
  opaque = rest.substr(1, end - 1);
  rest.remove_prefix(end + 1);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != ',') {
    rest = std::string_view();  // garbage after a tag: stop, matching nothing further
    return false;
  }
  return true;
}

std::string_view opaque_of(std::string_view etag) {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

}  // namespace

std::string strong_etag(std::string_view body) {
  return "\"" + digest::sha256_hex(body).substr(0, 32) + "\"";
}

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  std::string_view rest = header;
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  if (rest == "*") return true;
  std::string_view wanted = opaque_of(etag);
  std::string_view opaque;
  while (next_tag(rest, opaque)) {
    if (opaque == wanted) return true;
  }
  return false;
}

HttpResponse with_etag(const HttpRequest& request, HttpResponse response) {
  if (response.status != 200 || (request.method != "GET" && request.method != "HEAD")) {
    return response;
  }
  std::string etag;
  for (const auto& [name, value] : response.headers) {
    if (name == "ETag") etag = value;  // computed already (a cached answer)
  }
  if (etag.empty()) {
    etag = strong_etag(response.body);
    response.headers.emplace_back("ETag", etag);
  }
  std::string condition = request.header("if-none-match");
  if (condition.empty() || !if_none_match_matches(condition, etag)) return response;
  // RFC 9110 §15.4.5: a 304 carries the validators and the fields a 200 would have that
  // describe caching (here ETag and Vary), and no body nor its type.
  HttpResponse not_modified{304, {}, ""};
  for (const auto& [name, value] : response.headers) {
    if (name == "ETag" || name == "Vary" || name == "Cache-Control") {
      not_modified.headers.emplace_back(name, value);
    }
  }
  return not_modified;
}

}  // namespace mpli::gateway
