#include "fuzz/gateway_request_input.h"

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/credentials/jws.h"
#include "services/gateway/auth/access.h"
#include "services/gateway/auth/hub_key.h"
#include "services/gateway/auth/token_verifier.h"
#include "services/gateway/domain/event_stream.h"
#include "services/gateway/domain/json_body.h"
#include "services/gateway/domain/migration_json.h"
#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/order_json.h"
#include "services/gateway/domain/provider_query.h"
#include "services/gateway/domain/resolution_json.h"
#include "services/gateway/domain/trust_json.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http/media_type.h"
#include "services/gateway/http/request_reader.h"

namespace mpli::fuzz {
namespace {

using namespace mpli::gateway;
using Params = std::map<std::string, std::string>;

// "first line\nrest": the line without its '\n' (and a '\r' before it), and the rest.
std::pair<std::string_view, std::string_view> split_line(std::string_view text) {
  size_t end = text.find('\n');
  if (end == std::string_view::npos) return {text, {}};
  std::string_view line = text.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return {line, text.substr(end + 1)};
}

// The query string as a route reads it; an unreadable one as no parameters, so the body
// parsers still run.
Params params_of(std::string_view query) {
  auto params = query_parameters(query);
  return params.is_ok() ? *params : Params{};
}

void check_query(std::string_view query, std::string_view last_event_id) {
  (void)percent_decode(query);
  (void)parse_query_string(query);
  auto params = query_parameters(query);
  if (!params.is_ok()) return;
  (void)parse_offering_query(*params);
  (void)parse_provider_query(*params);
  (void)list_orders_request(*params);
  (void)include_secrets(*params);
  auto bill = bill_query(*params);
  if (bill.is_ok()) {
    (void)bill_tenant("", bill->consumer);
    (void)bill_tenant("acme", bill->consumer);
  }
  (void)list_migrations_request(*params);
  (void)list_credentials_request(*params);
  (void)get_facts_request(*params);
  auto filter = parse_event_query(*params, std::string(last_event_id));
  if (filter.is_ok()) (void)subject_filter_for(filter->type_prefix);
}

void check_header(std::string_view text) {
  (void)idempotency_key(text);
  (void)answer_rank(text);
  (void)parse_event_id(text);
  (void)integer_between(text, 0, 1000);
  (void)integer_between(text, INT64_MIN, INT64_MAX);
  std::string type = media_type_of(text);
  (void)credential_media_type_hint(type);
  (void)short_media_type(type);
  (void)negotiate(text, {"application/json", "text/turtle", "application/n-triples"});
  (void)percent_decode(text);
  (void)put_anchors_request("{\"anchors\": []}", text);
  auto [first, second] = split_line(text);
  (void)auth::decide(auth::Access::kTenants, auth::Caller{}, first, second);
  auth::Caller marketplace;
  marketplace.role = auth::Role::kMarketplace;
  marketplace.tenants = {"acme", std::string(first)};
  (void)auth::decide(auth::Access::kTenantsOrProvider, marketplace, first, second);
}

void check_every_body(std::string_view body) {
  (void)create_order_request(body);
  (void)modify_order_request(body);
  (void)create_migration_request(body);
  (void)resolve_request_from_json(body, {});
  (void)resolve_request_from_turtle(body, {});
  (void)submit_request_from_json(body);
  (void)submit_request_from_token(body, "vc+jwt");
  (void)put_anchors_request(body, "");
  (void)issue_request(body, {});
}

// The body of a complete request, by its Content-Type, as the routes choose parsers.
void check_routed(const HttpRequest& request) {
  std::string type = media_type_of(request.header("content-type"));
  Params params = params_of(request.query);
  check_query(request.query, request.header("last-event-id"));
  (void)idempotency_key(request.header("idempotency-key"));
  (void)negotiate(request.header("accept"), {"application/json", "text/turtle"});
  if (type == "text/turtle") {
    (void)resolve_request_from_turtle(request.body, params);
  } else if (auto hint = credential_media_type_hint(type)) {
    (void)submit_request_from_token(request.body, *hint);
  } else {
    check_every_body(request.body);
    (void)resolve_request_from_json(request.body, params);
    (void)put_anchors_request(request.body, request.header("if-match"));
    (void)issue_request(request.body, params);
  }
}

// Requests read from `bytes` in pieces of `piece` bytes (a client's writes arrive in any
// split), each complete one routed; a failed reader stops, as the connection would.
void check_http(std::string_view bytes, size_t piece) {
  RequestLimits limits;
  limits.max_head_bytes = 8 * 1024;
  limits.max_body_bytes = 64 * 1024;
  RequestReader reader(limits);
  while (!bytes.empty()) {
    size_t used = reader.read(bytes.substr(0, piece));
    (void)reader.take_continue_request();
    if (reader.state() == RequestReader::State::kFailed) return;
    if (reader.state() == RequestReader::State::kComplete) {
      HttpRequest request = reader.take();
      (void)request.wants_close();
      check_routed(request);
    } else if (used == 0) {
      return;  // nothing taken, nothing complete: the reader would wait for more
    }
    bytes.remove_prefix(used);
  }
}

const credentials::SigningKey& token_key() {
  static const credentials::SigningKey key = [] {
    auto generated = credentials::SigningKey::generate(credentials::KeyType::kP256);
    if (!generated.is_ok()) std::abort();
    return std::move(generated).value();
  }();
  return key;
}

const auth::TokenVerifier& token_verifier() {
  static const auth::TokenVerifier verifier = [] {
    auto keys = std::make_shared<auth::FixedKeys>();
    keys->add(auth::key_id(token_key().public_key()), token_key().public_key());
    return auth::TokenVerifier({{"mpli", keys, "role", "tenant"}}, auth::TokenRules{});
  }();
  return verifier;
}

// The token as sent; then the bytes as the claims of a token the verifier's own key signed,
// so that the claim checks behind the signature are reached too.
void check_token(std::string_view bytes) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  (void)token_verifier().verify(bytes, now);
  auto signed_token =
      token_key().sign({{"typ", "JWT"}, {"kid", auth::key_id(token_key().public_key())}}, bytes);
  if (signed_token.is_ok()) (void)token_verifier().verify(*signed_token, now);
}

}  // namespace

void check_gateway_request_input(std::string_view bytes) {
  if (bytes.empty()) return;
  const char mode = bytes[0];
  std::string_view rest = bytes.substr(1);
  auto [line, body] = split_line(rest);
  switch (mode) {
    case 'o':
      (void)create_order_request(rest);
      break;
    case 'm':
      (void)modify_order_request(rest);
      break;
    case 'g':
      (void)create_migration_request(rest);
      break;
    case 'j':
      (void)resolve_request_from_json(body, params_of(line));
      break;
    case 't':
      (void)resolve_request_from_turtle(body, params_of(line));
      break;
    case 's':
      (void)submit_request_from_json(rest);
      break;
    case 'k': {
      auto hint = credential_media_type_hint(media_type_of(line));
      (void)submit_request_from_token(body, hint ? *hint : "");
      break;
    }
    case 'a':
      (void)put_anchors_request(body, line);
      break;
    case 'i':
      (void)issue_request(body, params_of(line));
      break;
    case 'q':
      check_query(line, body);
      break;
    case 'h':
      check_header(rest);
      break;
    case 'r':
      // The second byte sets the size of the pieces the request arrives in.
      if (!rest.empty()) {
        check_http(rest.substr(1), 1 + static_cast<unsigned char>(rest[0]) % 64 * 16);
      }
      break;
    case 'b':
      check_token(rest);
      break;
    default:
      check_every_body(rest);
      break;
  }
}

}  // namespace mpli::fuzz
