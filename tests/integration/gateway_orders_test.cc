// /v1/orders and /v1/bills through the real mpli-gateway on a real nats-server, with delivery's
// side of the bus answered by THE TEST: a responder on mpli.delivery.v1.* (queue group
// "delivery") that records what the gateway sent and answers canned delivery.v1 replies or typed
// errors. That makes these the gateway's HTTP-level tests only (what it sends delivery, how it
// maps delivery's answers and errors to HTTP, who may call what); every test name says
// "(delivery answered by the test)". End-to-end tests against the real mpli-delivery belong in
// a second fixture next to `Gateway` below that starts mpli-delivery (and PostgreSQL) instead of
// the responder; the HTTP expectations here carry over unchanged.
#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_exchange.h"
#include "libs/testing/tokens.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::TestTokens;
namespace v1 = mpli::delivery::v1;

namespace {

// A typed error as delivery sends it (domain "delivery", reason the ErrorReason's name).
Status delivery_error(StatusCode code, v1::ErrorReason reason,
                      std::map<std::string, std::string> details = {}) {
  details["reason"] = v1::ErrorReason_Name(reason);
  details["domain"] = "delivery";
  return Status(code, "delivery: " + v1::ErrorReason_Name(reason), std::move(details));
}

// Delivery's bus subjects answered by the test. Each operation's answer is a function of the
// request the gateway sent; every request is kept for the test to inspect.
class DeliveryAnsweredByTest {
 public:
  using Answer = std::function<Result<std::string>(const std::string& request_bytes)>;

  DeliveryAnsweredByTest(const std::string& nats_url) {
    bus::ConnectOptions options;
    options.url = nats_url;
    options.name = "delivery answered by the test";
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    REQUIRE(bus_->wait_connected(10s).is_ok());
    for (const char* operation :
         {"create_order", "get_order", "list_orders", "modify_order", "delete_order", "get_bill"}) {
      std::string op = operation;
      auto sub = bus_->serve("mpli.delivery.v1." + op, "delivery",
                             [this, op](const bus::Message& message) -> Result<std::string> {
                               Answer answer;
                               {
                                 std::lock_guard<std::mutex> lock(mutex_);
                                 received_[op].push_back(message.data);
                                 answer = answers_[op];
                               }
                               if (!answer) return Status(StatusCode::kInternal, "no answer set");
                               return answer(message.data);
                             });
      REQUIRE(sub.is_ok());
      subscriptions_.push_back(std::move(sub).value());
    }
    REQUIRE(bus_->flush(5s).is_ok());
  }

  void answer(const std::string& operation, Answer answer) {
    std::lock_guard<std::mutex> lock(mutex_);
    answers_[operation] = std::move(answer);
  }
  // The same reply (or error) whatever was asked.
  void answer(const std::string& operation, const google::protobuf::Message& reply) {
    std::string bytes = reply.SerializeAsString();
    answer(operation, [bytes](const std::string&) -> Result<std::string> { return bytes; });
  }
  // Publishes delivery's OrderChanged event to MPLI_EVENTS as the outbox would (an envelope on
  // mpli.events.delivery.v1.order_changed).
  void publish_order_changed(const std::string& order_id, const std::string& tenant,
                             const std::string& to) {
    REQUIRE(bus::ensure_stream(*bus_, bus::events_stream()).is_ok());
    v1::OrderChanged changed;
    changed.set_order_id(order_id);
    changed.set_tenant(tenant);
    changed.set_provider_id("hexacloud");
    changed.set_to(to);
    changed.set_reason("test");
    changed.set_version(1);
    common::v1::Envelope envelope;
    envelope.set_id("evt-" + order_id + "-" + to);
    envelope.set_type("mpli.events.delivery.v1.order_changed");
    envelope.set_occurred_at("2026-12-02T10:00:00.000Z");
    envelope.set_producer("delivery");
    envelope.set_payload_type(changed.GetTypeName());
    envelope.set_payload(changed.SerializeAsString());
    auto ack = bus::publish_durable(*bus_, "mpli.events.delivery.v1.order_changed",
                                    envelope.SerializeAsString(), envelope.id());
    REQUIRE(ack.is_ok());
  }
  void refuse(const std::string& operation, const Status& status) {
    answer(operation, [status](const std::string&) -> Result<std::string> { return status; });
  }

  size_t count(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_[operation].size();
  }
  // The last request of `operation` the gateway sent, parsed.
  template <typename Request>
  Request last(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex_);
    INFO("delivery was asked " << operation);
    REQUIRE_FALSE(received_[operation].empty());
    Request request;
    REQUIRE(request.ParseFromString(received_[operation].back()));
    return request;
  }

 private:
  std::unique_ptr<bus::Connection> bus_;
  std::vector<std::unique_ptr<bus::Subscription>> subscriptions_;
  std::mutex mutex_;
  std::map<std::string, Answer> answers_;
  std::map<std::string, std::vector<std::string>> received_;
};

// nats-server, mpli-gateway with the hub's token key, and delivery answered by the test.
class Gateway {
 public:
  Gateway() : nats_(dir_.path()), tokens_(dir_.path()), delivery_(nats_.url()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_HTTP_PORT", std::to_string(*port)},
                                              {"MPLI_RATELIMIT_REQUESTS_PER_SECOND", "0"},
                                              {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    processes_.push_back(testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return testing::http_get(base_ + "/healthz").status == 200; }, 60s,
                        "the gateway answers /healthz");
  }
  testing::HttpExchange send(const std::string& method, const std::string& path,
                             const std::string& token, const std::string& body = "",
                             std::vector<std::string> headers = {}) {
    if (!token.empty()) headers.push_back(TestTokens::bearer(token));
    return testing::http_exchange(method, base_ + path, body, headers, 30s);
  }
  const TestTokens& tokens() const { return tokens_; }
  DeliveryAnsweredByTest& delivery() { return delivery_; }

  struct Outcome {
    int exit_code = -1;
    std::string out;
    std::string err;
  };
  // build/bin/mpli `args` against this gateway with `token` in MPLI_TOKEN; stdout and stderr
  // apart.
  Outcome mpli(const std::vector<std::string>& args, const std::string& token) {
    std::string err_file = dir_.path() + "/mpli-stderr";
    process::Spec spec;
    spec.program = "/bin/sh";
    spec.args = {"-c", "exec \"$0\" \"$@\" 2>\"$MPLI_TEST_STDERR\"", testing::bin_dir() + "/mpli"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.environment = {{"MPLI_HUB", base_},
                        {"MPLI_TOKEN", token},
                        {"MPLI_TEST_STDERR", err_file},
                        {"MPLI_STATE_DIR", dir_.path() + "/no-state"}};
    spec.working_directory = dir_.path();
    auto completed = process::run(spec, 60s);
    REQUIRE(completed.is_ok());
    std::ifstream in(err_file);
    std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {completed->exit_code, completed->output, err};
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  TestTokens tokens_;
  DeliveryAnsweredByTest delivery_;
  std::string base_;
  std::vector<process::ChildProcess> processes_;
};

v1::Order sample_order(const std::string& id, const std::string& tenant) {
  v1::Order order;
  order.set_id(id);
  order.set_tenant(tenant);
  order.set_state("requested");
  order.set_offering_id("https://hexacloud.example/.well-known/mpli.ttl#pg-small");
  order.set_provider_id("hexacloud");
  order.set_version(1);
  (*order.mutable_parameters())["connection_limit"] = "20";
  auto* first = order.add_history();
  first->set_to("requested");
  first->set_at("2026-12-02T10:00:00.000Z");
  first->set_reason("ordered");
  return order;
}

json body_of(const testing::HttpExchange& answer) {
  INFO(answer.status << " " << answer.body);
  auto parsed = json::parse(answer.body, nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

const std::vector<std::string> kJson = {"Content-Type: application/json"};

std::vector<std::string> with_key(const std::string& key, std::vector<std::string> more = kJson) {
  more.push_back("Idempotency-Key: " + key);
  return more;
}

// Each test's gateway and delivery's side of the bus.
struct GatewayTest {
  Gateway hub;
  DeliveryAnsweredByTest& delivery = hub.delivery();
};

}  // namespace

TEST_CASE_METHOD(GatewayTest,
                 "gateway maps POST /v1/orders to create_order with the token's tenant and the key "
                 "(delivery answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  const std::string offering =
      R"({"offering": "https://hexacloud.example/.well-known/mpli.ttl#pg-small",
                                   "parameters": {"connection_limit": 20}})";

  v1::CreateOrderReply created;
  *created.mutable_order() = sample_order("ord_1", "acme");
  created.set_created(true);
  delivery.answer("create_order", created);
  auto first = hub.send("POST", "/v1/orders", acme, offering, with_key("k-1"));
  INFO(first.body);
  CHECK(first.status == 201);
  CHECK(first.header("location") == "/v1/orders/ord_1");
  CHECK(first.header("cache-control") == "no-store");
  json order = body_of(first);
  CHECK(order["id"] == "ord_1");
  CHECK(order["created"] == true);
  CHECK(order["version"] == 1);
  CHECK(order["history"][0]["to"] == "requested");
  CHECK_FALSE(order.contains("secrets"));
  auto sent = delivery.last<v1::CreateOrderRequest>("create_order");
  CHECK(sent.tenant() == "acme");
  CHECK(sent.idempotency_key() == "k-1");
  CHECK(sent.offering_id() == "https://hexacloud.example/.well-known/mpli.ttl#pg-small");
  CHECK(sent.parameters().at("connection_limit") == "20");

  // The same key again: delivery says it made nothing new; 200, no Location.
  created.set_created(false);
  delivery.answer("create_order", created);
  auto repeat = hub.send("POST", "/v1/orders", acme, offering, with_key("k-1"));
  CHECK(repeat.status == 200);
  CHECK(repeat.header("location").empty());
  CHECK(body_of(repeat)["created"] == false);

  // From a resolution's answer.
  delivery.answer("create_order", created);
  hub.send("POST", "/v1/orders", acme,
           R"({"resolution": "res_9", "rank": 2, "requirement": "https://acme.example/m#db"})",
           with_key("k-2"));
  auto by_answer = delivery.last<v1::CreateOrderRequest>("create_order");
  CHECK(by_answer.answer().resolution_id() == "res_9");
  CHECK(by_answer.answer().rank() == 2);
  CHECK(by_answer.answer().requirement() == "https://acme.example/m#db");

  // A marketplace orders for the tenant it names; the admin too.
  std::string marketplace = hub.tokens().marketplace({"acme", "globex"});
  hub.send("POST", "/v1/orders", marketplace, offering,
           with_key("k-3", {"Content-Type: application/json", "Mpli-On-Behalf-Of: globex"}));
  CHECK(delivery.last<v1::CreateOrderRequest>("create_order").tenant() == "globex");
  hub.send("POST", "/v1/orders", hub.tokens().admin(), offering,
           with_key("k-4", {"Content-Type: application/json", "Mpli-On-Behalf-Of: initech"}));
  CHECK(delivery.last<v1::CreateOrderRequest>("create_order").tenant() == "initech");
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway refuses bad orders before asking delivery, naming the field "
                 "(delivery answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  const std::string good = R"({"offering": "https://h.example/m#pg"})";
  auto field_of = [&](const testing::HttpExchange& answer) {
    INFO(answer.body);
    CHECK(answer.status == 400);
    CHECK(answer.header("content-type") == "application/problem+json");
    return body_of(answer)["field"].get<std::string>();
  };
  CHECK(field_of(hub.send("POST", "/v1/orders", acme, good, kJson)) == "Idempotency-Key");
  CHECK(field_of(hub.send("POST", "/v1/orders", acme, good, with_key(std::string(201, 'k')))) ==
        "Idempotency-Key");
  CHECK(field_of(hub.send("POST", "/v1/orders", acme, "{}", with_key("k"))) == "resolution");
  CHECK(field_of(hub.send("POST", "/v1/orders", acme, R"({"resolution": "res_1"})",
                          with_key("k"))) == "rank");
  CHECK(field_of(hub.send("POST", "/v1/orders", acme,
                          R"({"offering": "o", "parameters": {"a": {"b": 1}}})", with_key("k"))) ==
        "parameters.a");
  CHECK(field_of(hub.send("POST", "/v1/orders", hub.tokens().admin(), good, with_key("k"))) ==
        "Mpli-On-Behalf-Of");
  CHECK(
      hub.send("POST", "/v1/orders", acme, good, {"Content-Type: text/plain", "Idempotency-Key: k"})
          .status == 415);
  CHECK(field_of(hub.send("GET", "/v1/orders?state=running", acme)) == "state");
  CHECK(field_of(hub.send("GET", "/v1/bills?period=2026-13", acme)) == "period");
  CHECK(field_of(hub.send("GET", "/v1/bills?period=2026-11", hub.tokens().admin())) == "consumer");
  CHECK(field_of(hub.send("PATCH", "/v1/orders/ord_1", acme, R"({"parameters": {}})", kJson)) ==
        "parameters");
  // Without a token, or with a role that has no tenant.
  CHECK(hub.send("POST", "/v1/orders", "", good, with_key("k")).status == 401);
  CHECK(hub.send("POST", "/v1/orders", hub.tokens().provider("hexacloud"), good, with_key("k"))
            .status == 403);
  CHECK(delivery.count("create_order") == 0);
  CHECK(delivery.count("list_orders") == 0);
  CHECK(delivery.count("get_bill") == 0);
  CHECK(delivery.count("modify_order") == 0);
}

TEST_CASE_METHOD(
    GatewayTest,
    "gateway maps delivery's typed errors to HTTP statuses (delivery answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  auto check = [&](const testing::HttpExchange& answer, int status, const std::string& reason) {
    INFO(answer.body);
    CHECK(answer.status == status);
    CHECK(answer.header("content-type") == "application/problem+json");
    json problem = body_of(answer);
    CHECK(problem["reason"] == reason);
    return problem;
  };
  delivery.refuse("get_order", delivery_error(StatusCode::kNotFound, v1::ORDER_NOT_FOUND));
  check(hub.send("GET", "/v1/orders/ord_x", acme), 404, "order_not_found");

  delivery.refuse("modify_order", delivery_error(StatusCode::kFailedPrecondition, v1::INVALID_STATE,
                                                 {{"state", "provisioning"}}));
  json conflict = check(
      hub.send("PATCH", "/v1/orders/ord_1", acme, R"({"parameters": {"connection_limit": 50}})",
               {"Content-Type: application/merge-patch+json"}),
      409, "invalid_state");
  CHECK(conflict["state"] == "provisioning");
  delivery.refuse("delete_order", delivery_error(StatusCode::kFailedPrecondition, v1::INVALID_STATE,
                                                 {{"state", "deleted"}}));
  CHECK(check(hub.send("DELETE", "/v1/orders/ord_1", acme), 409, "invalid_state")["state"] ==
        "deleted");

  const std::string good = R"({"offering": "https://h.example/m#pg"})";
  delivery.refuse("create_order",
                  delivery_error(StatusCode::kConflict, v1::IDEMPOTENCY_KEY_REUSED));
  check(hub.send("POST", "/v1/orders", acme, good, with_key("k")), 409, "idempotency_key_reused");
  delivery.refuse("create_order", delivery_error(StatusCode::kNotFound, v1::OFFERING_NOT_FOUND));
  check(hub.send("POST", "/v1/orders", acme, good, with_key("k")), 422, "offering_not_found");
  delivery.refuse("create_order", delivery_error(StatusCode::kInvalidArgument, v1::BAD_PARAMETERS,
                                                 {{"field", "parameters.connection_limit"}}));
  CHECK(check(hub.send("POST", "/v1/orders", acme, good, with_key("k")), 400,
              "bad_parameters")["field"] == "parameters.connection_limit");
  delivery.refuse("create_order",
                  delivery_error(StatusCode::kUnavailable, v1::UPSTREAM_UNAVAILABLE));
  auto unavailable = hub.send("POST", "/v1/orders", acme, good, with_key("k"));
  check(unavailable, 503, "upstream_unavailable");
  CHECK(unavailable.header("retry-after") == "1");
  delivery.refuse("get_bill", delivery_error(StatusCode::kInvalidArgument, v1::BILL_PERIOD_INVALID,
                                             {{"field", "period"}}));
  check(hub.send("GET", "/v1/bills?period=2026-11", acme), 400, "bill_period_invalid");
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway reads, lists, modifies and deletes orders for the caller's tenant only "
                 "(delivery answered by the test)") {
  const TestTokens& tokens = hub.tokens();
  std::string acme = tokens.consumer("acme");

  v1::GetOrderReply got;
  *got.mutable_order() = sample_order("ord_1", "acme");
  got.mutable_order()->set_has_secrets(true);
  (*got.mutable_order()->mutable_secrets())["password"] = "s3cret";
  delivery.answer("get_order", got);

  // A plain read: no secrets asked, none shown even if delivery sent some.
  auto plain = hub.send("GET", "/v1/orders/ord_1", acme);
  CHECK(plain.status == 200);
  CHECK(plain.header("cache-control") == "no-store");
  CHECK(plain.body.find("s3cret") == std::string::npos);
  auto sent = delivery.last<v1::GetOrderRequest>("get_order");
  CHECK(sent.id() == "ord_1");
  CHECK(sent.tenant() == "acme");
  CHECK_FALSE(sent.include_secrets());

  // The owner's own token asks for them.
  auto secret = hub.send("GET", "/v1/orders/ord_1?include=secrets", acme);
  CHECK(secret.status == 200);
  CHECK(secret.header("cache-control") == "no-store");
  CHECK(body_of(secret)["secrets"]["password"] == "s3cret");
  CHECK(delivery.last<v1::GetOrderRequest>("get_order").include_secrets());

  // Nobody else gets them: the admin, a marketplace for the tenant: 403 before delivery is asked.
  size_t asked = delivery.count("get_order");
  CHECK(hub.send("GET", "/v1/orders/ord_1?include=secrets", tokens.admin()).status == 403);
  CHECK(hub.send("GET", "/v1/orders/ord_1?include=secrets", tokens.marketplace({"acme"}), "",
                 {"Mpli-On-Behalf-Of: acme"})
            .status == 403);
  CHECK(delivery.count("get_order") == asked);
  // The admin reads any order (tenant "" to delivery).
  CHECK(hub.send("GET", "/v1/orders/ord_1", tokens.admin()).status == 200);
  CHECK(delivery.last<v1::GetOrderRequest>("get_order").tenant().empty());

  // Lists: the tenant and the filters travel; a provider's token sees its own provider's.
  v1::ListOrdersReply page;
  *page.add_orders() = got.order();
  page.set_next_cursor("c2");
  delivery.answer("list_orders", page);
  auto listed = hub.send("GET", "/v1/orders?state=active&limit=10&cursor=c1", acme);
  CHECK(listed.status == 200);
  json list = body_of(listed);
  CHECK(list["orders"].size() == 1);
  CHECK(list["next_cursor"] == "c2");
  CHECK(listed.body.find("s3cret") == std::string::npos);
  auto list_sent = delivery.last<v1::ListOrdersRequest>("list_orders");
  CHECK(list_sent.tenant() == "acme");
  CHECK(list_sent.state() == "active");
  CHECK(list_sent.limit() == 10);
  CHECK(list_sent.cursor() == "c1");
  std::string hexacloud = tokens.provider("hexacloud");
  CHECK(hub.send("GET", "/v1/orders", hexacloud).status == 200);
  auto provider_sent = delivery.last<v1::ListOrdersRequest>("list_orders");
  CHECK(provider_sent.provider_id() == "hexacloud");
  CHECK(provider_sent.tenant().empty());
  CHECK(hub.send("GET", "/v1/orders?provider=polderstack", hexacloud).status == 403);
  CHECK(hub.send("GET", "/v1/orders/ord_1", hexacloud).status == 403);

  // Modify and delete carry the tenant; delete answers 202.
  v1::ModifyOrderReply modified;
  *modified.mutable_order() = got.order();
  modified.mutable_order()->set_state("modifying");
  delivery.answer("modify_order", modified);
  auto patch = hub.send("PATCH", "/v1/orders/ord_1", acme,
                        R"({"parameters": {"connection_limit": 50, "old": null}})", kJson);
  CHECK(patch.status == 200);
  CHECK(body_of(patch)["state"] == "modifying");
  CHECK(patch.body.find("s3cret") == std::string::npos);
  auto modify_sent = delivery.last<v1::ModifyOrderRequest>("modify_order");
  CHECK(modify_sent.tenant() == "acme");
  CHECK(modify_sent.parameters().at("connection_limit") == "50");
  CHECK(modify_sent.parameters().at("old").empty());

  v1::DeleteOrderReply deleted;
  *deleted.mutable_order() = got.order();
  deleted.mutable_order()->set_state("deprovisioning");
  delivery.answer("delete_order", deleted);
  auto del = hub.send("DELETE", "/v1/orders/ord_1", acme);
  CHECK(del.status == 202);
  CHECK(body_of(del)["state"] == "deprovisioning");
  CHECK(delivery.last<v1::DeleteOrderRequest>("delete_order").tenant() == "acme");
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway answers a consumer its own bill only, the admin anyone's "
                 "(delivery answered by the test)") {
  const TestTokens& tokens = hub.tokens();
  v1::GetBillReply reply;
  v1::Bill& bill = *reply.mutable_bill();
  bill.set_tenant("acme");
  bill.set_period("2026-11");
  auto* line = bill.add_lines();
  line->set_provider_id("hexacloud");
  line->set_order_id("ord_1");
  line->set_amount("12.50");
  line->set_currency("EUR");
  line->set_billable_seconds(86400);
  auto* total = bill.add_totals();
  total->set_currency("EUR");
  total->set_amount("12.50");
  delivery.answer("get_bill", reply);

  std::string acme = tokens.consumer("acme");
  auto own = hub.send("GET", "/v1/bills?period=2026-11", acme);
  CHECK(own.status == 200);
  json body = body_of(own);
  CHECK(body["lines"][0]["amount"] == "12.50");
  CHECK(body["lines"][0]["billable_seconds"] == 86400);
  CHECK(body["totals"][0]["amount"] == "12.50");
  auto sent = delivery.last<v1::GetBillRequest>("get_bill");
  CHECK(sent.tenant() == "acme");
  CHECK(sent.period() == "2026-11");
  CHECK(hub.send("GET", "/v1/bills?consumer=acme&period=2026-11", acme).status == 200);

  size_t asked = delivery.count("get_bill");
  auto other = hub.send("GET", "/v1/bills?consumer=globex&period=2026-11", acme);
  CHECK(other.status == 403);
  CHECK(delivery.count("get_bill") == asked);

  CHECK(hub.send("GET", "/v1/bills?consumer=globex&period=2026-11", tokens.admin()).status == 200);
  CHECK(delivery.last<v1::GetBillRequest>("get_bill").tenant() == "globex");
  std::string marketplace = tokens.marketplace({"globex"});
  CHECK(hub.send("GET", "/v1/bills?period=2026-11", marketplace, "", {"Mpli-On-Behalf-Of: globex"})
            .status == 200);
  CHECK(delivery.last<v1::GetBillRequest>("get_bill").tenant() == "globex");
  CHECK(hub.send("GET", "/v1/bills?period=2026-11", marketplace, "", {"Mpli-On-Behalf-Of: acme"})
            .status == 403);
  CHECK(hub.send("GET", "/v1/bills?period=2026-11", tokens.provider("hexacloud")).status == 403);
}

TEST_CASE_METHOD(GatewayTest,
                 "mpli orders and mpli bills through the gateway (delivery answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  const std::string offering = "https://hexacloud.example/.well-known/mpli.ttl#pg-small";

  v1::CreateOrderReply created;
  *created.mutable_order() = sample_order("ord_1", "acme");
  created.set_created(true);
  delivery.answer("create_order", created);
  auto placed = hub.mpli({"orders", "create", "--offering", offering, "--param",
                          "connection_limit=20", "--idempotency-key", "k-cli"},
                         acme);
  INFO(placed.out << placed.err);
  CHECK(placed.exit_code == 0);
  CHECK(placed.out.find("ord_1") != std::string::npos);
  CHECK(placed.out.find("requested") != std::string::npos);
  auto sent = delivery.last<v1::CreateOrderRequest>("create_order");
  CHECK(sent.idempotency_key() == "k-cli");
  CHECK(sent.offering_id() == offering);
  CHECK(sent.parameters().at("connection_limit") == "20");

  // Without a key one is made up, said on stderr, and sent.
  auto made_up = hub.mpli({"orders", "create", "--offering", offering}, acme);
  CHECK(made_up.exit_code == 0);
  std::string key = delivery.last<v1::CreateOrderRequest>("create_order").idempotency_key();
  CHECK(key.rfind("mpli-", 0) == 0);
  CHECK(made_up.err.find("idempotency key: " + key) != std::string::npos);

  // A refusal is exit 1; bad usage is 2 and asks nobody.
  delivery.refuse("get_order", delivery_error(StatusCode::kNotFound, v1::ORDER_NOT_FOUND));
  auto missing = hub.mpli({"orders", "show", "ord_x"}, acme);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("order_not_found") != std::string::npos);
  size_t asked = delivery.count("create_order");
  CHECK(hub.mpli({"orders", "create", "--resolution", "res_1"}, acme).exit_code == 2);
  CHECK(hub.mpli({"orders", "create", "--offering", offering, "--param", "novalue"}, acme)
            .exit_code == 2);
  CHECK(delivery.count("create_order") == asked);

  // wait: done when the state is reached; 1 when the order ends elsewhere.
  v1::GetOrderReply active;
  *active.mutable_order() = sample_order("ord_1", "acme");
  active.mutable_order()->set_state("active");
  delivery.answer("get_order", active);
  auto waited =
      hub.mpli({"orders", "wait", "ord_1", "--state", "active", "--timeout", "10s"}, acme);
  CHECK(waited.exit_code == 0);
  CHECK(waited.out.find("active") != std::string::npos);
  active.mutable_order()->set_state("failed");
  active.mutable_order()->add_reasons("worker: disk full");
  delivery.answer("get_order", active);
  auto failed = hub.mpli({"orders", "wait", "ord_1", "--state", "active"}, acme);
  CHECK(failed.exit_code == 1);
  CHECK(failed.out.find("worker: disk full") != std::string::npos);

  // The bill: a line per provider and order, each provider's total, the total.
  v1::GetBillReply reply;
  v1::Bill& bill = *reply.mutable_bill();
  bill.set_tenant("acme");
  bill.set_period("2026-11");
  auto* line = bill.add_lines();
  line->set_provider_id("hexacloud");
  line->set_order_id("ord_1");
  line->set_offering_name("Hexacloud PostgreSQL S");
  line->set_quantity(1);
  line->set_unit_price("45.00");
  line->set_price_unit("MON");
  line->set_currency("EUR");
  line->set_billable_seconds(90000);
  line->set_amount("1.56");
  auto* provider = bill.add_providers();
  provider->set_provider_id("hexacloud");
  provider->set_currency("EUR");
  provider->set_amount("1.56");
  auto* total = bill.add_totals();
  total->set_currency("EUR");
  total->set_amount("1.56");
  delivery.answer("get_bill", reply);
  auto printed = hub.mpli({"bills", "--period", "2026-11"}, acme);
  INFO(printed.out << printed.err);
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.find("bill of acme for 2026-11") != std::string::npos);
  CHECK(printed.out.find("ord_1") != std::string::npos);
  CHECK(printed.out.find("25h00m") != std::string::npos);
  CHECK(printed.out.find("provider hexacloud") != std::string::npos);
  CHECK(printed.out.find("TOTAL") != std::string::npos);
  CHECK(printed.out.find("1.56 EUR") != std::string::npos);
  CHECK(delivery.last<v1::GetBillRequest>("get_bill").period() == "2026-11");
  CHECK(hub.mpli({"bills"}, acme).exit_code == 2);
  CHECK(hub.mpli({"bills", "--consumer", "globex", "--period", "2026-11"}, acme).exit_code == 1);
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway shows an order's events to its tenant only, filtered by ?order= "
                 "(events published by the test)") {
  delivery.publish_order_changed("ord_0", "acme", "requested");
  delivery.publish_order_changed("ord_1", "acme", "active");
  delivery.publish_order_changed("ord_2", "globex", "active");
  auto first_event = [&](const std::string& token, std::vector<std::string> filter) {
    std::vector<std::string> args = {"events", "--last-event-id", "0",   "--max",
                                     "1",      "--timeout",       "60s", "--json"};
    args.insert(args.end(), filter.begin(), filter.end());
    auto outcome = hub.mpli(args, token);
    INFO(outcome.out << outcome.err);
    REQUIRE(outcome.exit_code == 0);
    auto line = json::parse(outcome.out, nullptr, false);
    REQUIRE(line.is_object());
    CHECK(line["event"] == "delivery.v1.order_changed");
    return line["data"]["payload"];
  };
  // ?order= skips the tenant's other order.
  CHECK(first_event(hub.tokens().consumer("acme"), {"--order", "ord_1"})["order_id"] == "ord_1");
  // Another tenant's events are not shown: globex's first event is its own, the third.
  CHECK(first_event(hub.tokens().consumer("globex"), {})["order_id"] == "ord_2");
  // The provider the orders were placed with sees them.
  CHECK(first_event(hub.tokens().provider("hexacloud"), {})["order_id"] == "ord_0");
}
