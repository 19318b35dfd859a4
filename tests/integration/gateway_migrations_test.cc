// /v1/migrations through the real mpli-gateway on a real nats-server, with portability's side of
// the bus answered by THE TEST: a responder on mpli.portability.v1.* (queue group
// "portability") that records what the gateway sent and answers canned portability.v1 replies
// or typed errors, as gateway_orders_test.cc does for delivery. These are the gateway's (and
// the CLI's) HTTP-level tests: what the gateway sends portability, how it maps portability's
// answers and errors to HTTP, who may call what, the report page; every test name says
// "(portability answered by the test)". End-to-end tests against the real mpli-portability
// belong next to them in a fixture that starts it instead of the responder.
#include <atomic>
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
#include "mpli/portability/v1/portability.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::TestTokens;
namespace v1 = mpli::portability::v1;

namespace {

// A typed error as portability sends it (domain "portability", reason the ErrorReason's name).
Status portability_error(StatusCode code, v1::ErrorReason reason,
                         std::map<std::string, std::string> details = {}) {
  details["reason"] = v1::ErrorReason_Name(reason);
  details["domain"] = "portability";
  return Status(code, "portability: " + v1::ErrorReason_Name(reason), std::move(details));
}

// Portability's bus subjects answered by the test. Each operation's answer is a function of the
// request the gateway sent; every request is kept for the test to inspect.
class PortabilityAnsweredByTest {
 public:
  using Answer = std::function<Result<std::string>(const std::string& request_bytes)>;

  explicit PortabilityAnsweredByTest(const std::string& nats_url) {
    bus::ConnectOptions options;
    options.url = nats_url;
    options.name = "portability answered by the test";
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    REQUIRE(bus_->wait_connected(10s).is_ok());
    for (const char* operation : {"create_migration", "get_migration", "list_migrations",
                                  "cancel_migration", "get_report"}) {
      std::string op = operation;
      auto sub = bus_->serve("mpli.portability.v1." + op, "portability",
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
  // `reply` to the tenant "acme" and to the admin (tenant ""); MIGRATION_NOT_FOUND to any other
  // tenant, as portability answers another tenant's migration.
  template <typename Request>
  void answer_for_acme(const std::string& operation, const google::protobuf::Message& reply) {
    std::string bytes = reply.SerializeAsString();
    answer(operation, [bytes](const std::string& request_bytes) -> Result<std::string> {
      Request request;
      if (!request.ParseFromString(request_bytes)) {
        return Status(StatusCode::kInvalidArgument, "unparsable request");
      }
      if (!request.tenant().empty() && request.tenant() != "acme") {
        return portability_error(StatusCode::kNotFound, v1::MIGRATION_NOT_FOUND);
      }
      return bytes;
    });
  }
  void refuse(const std::string& operation, const Status& status) {
    answer(operation, [status](const std::string&) -> Result<std::string> { return status; });
  }
  // Publishes portability's MigrationChanged event to MPLI_EVENTS as its outbox would.
  void publish_migration_changed(const std::string& migration_id, const std::string& tenant,
                                 const std::string& to) {
    REQUIRE(bus::ensure_stream(*bus_, bus::events_stream()).is_ok());
    v1::MigrationChanged changed;
    changed.set_migration_id(migration_id);
    changed.set_tenant(tenant);
    changed.set_order_id("ord-of-" + migration_id);
    changed.set_source_provider_id("hexacloud");
    changed.set_target_provider_id("polderstack");
    changed.set_to(to);
    changed.set_version(1);
    common::v1::Envelope envelope;
    envelope.set_id("evt-" + migration_id + "-" + to);
    envelope.set_type("mpli.events.portability.v1.migration_changed");
    envelope.set_occurred_at("2026-12-03T10:00:00.000Z");
    envelope.set_producer("portability");
    envelope.set_payload_type(changed.GetTypeName());
    envelope.set_payload(changed.SerializeAsString());
    auto ack = bus::publish_durable(*bus_, "mpli.events.portability.v1.migration_changed",
                                    envelope.SerializeAsString(), envelope.id());
    REQUIRE(ack.is_ok());
  }

  size_t count(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_[operation].size();
  }
  size_t count_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t n = 0;
    for (const auto& [op, requests] : received_) n += requests.size();
    return n;
  }
  // The last request of `operation` the gateway sent, parsed.
  template <typename Request>
  Request last(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex_);
    INFO("portability was asked " << operation);
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

// nats-server, mpli-gateway with the hub's token key, and portability answered by the test.
class Gateway {
 public:
  Gateway() : nats_(dir_.path()), tokens_(dir_.path()), portability_(nats_.url()) {
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
  PortabilityAnsweredByTest& portability() { return portability_; }
  const std::string& dir() const { return dir_.path(); }

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
  PortabilityAnsweredByTest portability_;
  std::string base_;
  std::vector<process::ChildProcess> processes_;
};

const std::string kSource = "https://hexacloud.example/.well-known/mpli.ttl#pg-small";
const std::string kTarget = "https://polderstack.example/.well-known/mpli.ttl#pg-s";

v1::Migration sample_migration(const std::string& id, const std::string& state) {
  v1::Migration migration;
  migration.set_id(id);
  migration.set_tenant("acme");
  migration.set_order_id("ord_1");
  migration.set_state(state);
  migration.set_mode("offline");
  migration.set_data_kind("postgresql");
  migration.set_source_provider_id("hexacloud");
  migration.set_source_offering_id(kSource);
  migration.set_target_provider_id("polderstack");
  migration.set_target_offering_id(kTarget);
  migration.set_format("https://w3id.org/mpli#FormatPgDumpCustom");
  migration.set_created_at("2026-12-03T10:00:00.000Z");
  migration.set_updated_at("2026-12-03T10:01:00.000Z");
  migration.set_version(4);
  migration.set_bytes_transferred(5000000000);
  migration.set_write_downtime_ms(-1);
  auto* step = migration.add_steps();
  step->set_name("provisioning_target");
  step->set_outcome("succeeded");
  step->set_started_at("2026-12-03T10:00:00.100Z");
  step->set_finished_at("2026-12-03T10:00:30.100Z");
  step->set_duration_ms(30000);
  step->set_message("the target database exists");
  auto* task = step->add_tasks();
  task->set_task_id("tsk_1");
  task->set_provider_id("polderstack");
  task->set_operation("provision");
  task->set_state("succeeded");
  return migration;
}

v1::SwitchingReport sample_report() {
  v1::SwitchingReport report;
  report.set_migration_id("mig_1");
  report.set_tenant("acme");
  report.set_order_id("ord_1");
  report.set_outcome("completed");
  report.set_mode("offline");
  report.set_data_kind("postgresql");
  report.set_source_provider_id("hexacloud");
  report.set_source_offering_id(kSource);
  report.set_source_offering_name("Hexacloud PostgreSQL S");
  report.set_target_provider_id("polderstack");
  report.set_target_offering_id(kTarget);
  report.set_target_offering_name("Polder PG S");
  report.set_started_at("2026-12-03T10:00:00.000Z");
  report.set_cut_over_at("2026-12-03T10:02:00.000Z");
  report.set_completed_at("2026-12-03T10:02:01.000Z");
  report.set_total_duration_ms(121000);
  report.set_write_downtime_ms(2345);
  report.set_bytes_transferred(6000000000);
  auto* step = report.add_steps();
  step->set_name("transferring");
  step->set_outcome("succeeded");
  step->set_started_at("2026-12-03T10:00:30.000Z");
  step->set_finished_at("2026-12-03T10:01:30.000Z");
  step->set_duration_ms(60000);
  step->set_bytes(6000000000);
  step->set_message("restored 3 tables");
  auto* table = report.add_verification();
  table->set_name("public.items");
  table->set_source_rows(42);
  table->set_target_rows(42);
  table->set_source_checksum("ab12");
  table->set_target_checksum("ab12");
  table->set_equal(true);
  report.set_verified(true);
  (*report.mutable_terms())["price_amount"] = "45.00";
  (*report.mutable_terms())["price_currency"] = "EUR";
  report.set_generated_at("2026-12-03T11:00:00.000Z");
  return report;
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

const std::string kCreateBody =
    R"({"order_id": "ord_1", "target_offering_id": ")" + kTarget +
    R"(", "mode": "offline", "target_parameters": {"connection_limit": 20}})";

// Each test's gateway and portability's side of the bus.
struct GatewayTest {
  Gateway hub;
  PortabilityAnsweredByTest& portability = hub.portability();
};

}  // namespace

TEST_CASE_METHOD(GatewayTest,
                 "gateway maps POST /v1/migrations to create_migration with the token's tenant and "
                 "the key (portability answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  v1::CreateMigrationReply created;
  *created.mutable_migration() = sample_migration("mig_1", "planned");
  created.set_created(true);
  portability.answer("create_migration", created);
  auto first = hub.send("POST", "/v1/migrations", acme, kCreateBody, with_key("m-1"));
  INFO(first.body);
  CHECK(first.status == 201);
  CHECK(first.header("location") == "/v1/migrations/mig_1");
  CHECK(first.header("cache-control") == "no-store");
  json migration = body_of(first);
  CHECK(migration["id"] == "mig_1");
  CHECK(migration["created"] == true);
  CHECK(migration["state"] == "planned");
  // int64 as JSON numbers, at every depth.
  CHECK(migration["version"] == 4);
  CHECK(migration["bytes_transferred"] == 5000000000);
  CHECK(migration["write_downtime_ms"] == -1);
  CHECK(migration["steps"][0]["duration_ms"] == 30000);
  auto sent = portability.last<v1::CreateMigrationRequest>("create_migration");
  CHECK(sent.tenant() == "acme");
  CHECK(sent.idempotency_key() == "m-1");
  CHECK(sent.order_id() == "ord_1");
  CHECK(sent.target_offering_id() == kTarget);
  CHECK(sent.mode() == "offline");
  CHECK(sent.target_parameters().at("connection_limit") == "20");

  // The same key again: portability says it started nothing new; 200, no Location.
  created.set_created(false);
  portability.answer("create_migration", created);
  auto repeat = hub.send("POST", "/v1/migrations", acme, kCreateBody, with_key("m-1"));
  CHECK(repeat.status == 200);
  CHECK(repeat.header("location").empty());
  CHECK(body_of(repeat)["created"] == false);

  // A marketplace moves an order of the tenant it names; the admin too.
  std::string marketplace = hub.tokens().marketplace({"acme", "globex"});
  CHECK(hub.send("POST", "/v1/migrations", marketplace, kCreateBody,
                 with_key("m-2", {"Content-Type: application/json", "Mpli-On-Behalf-Of: globex"}))
            .status == 200);
  CHECK(portability.last<v1::CreateMigrationRequest>("create_migration").tenant() == "globex");
  CHECK(hub.send("POST", "/v1/migrations", hub.tokens().admin(), kCreateBody,
                 with_key("m-3", {"Content-Type: application/json", "Mpli-On-Behalf-Of: initech"}))
            .status == 200);
  CHECK(portability.last<v1::CreateMigrationRequest>("create_migration").tenant() == "initech");
  // A marketplace may not act for a tenant it does not serve.
  size_t asked = portability.count("create_migration");
  CHECK(hub.send("POST", "/v1/migrations", marketplace, kCreateBody,
                 with_key("m-4", {"Content-Type: application/json", "Mpli-On-Behalf-Of: umbrella"}))
            .status == 403);
  CHECK(portability.count("create_migration") == asked);
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway refuses bad migration requests before asking portability, naming the "
                 "field (portability answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  auto field_of = [&](const testing::HttpExchange& answer) {
    INFO(answer.body);
    CHECK(answer.status == 400);
    CHECK(answer.header("content-type") == "application/problem+json");
    return body_of(answer)["field"].get<std::string>();
  };
  // The Idempotency-Key header is required, as for orders.
  CHECK(field_of(hub.send("POST", "/v1/migrations", acme, kCreateBody, kJson)) ==
        "Idempotency-Key");
  CHECK(field_of(hub.send("POST", "/v1/migrations", acme, kCreateBody,
                          with_key(std::string(201, 'k')))) == "Idempotency-Key");
  CHECK(field_of(hub.send("POST", "/v1/migrations", acme, R"({"target_offering_id": "t"})",
                          with_key("k"))) == "order_id");
  CHECK(field_of(hub.send("POST", "/v1/migrations", acme, R"({"order_id": "ord_1"})",
                          with_key("k"))) == "target_offering_id");
  CHECK(field_of(hub.send("POST", "/v1/migrations", acme,
                          R"({"order_id": "o", "target_offering_id": "t", "mode": "warp"})",
                          with_key("k"))) == "mode");
  CHECK(field_of(hub.send(
            "POST", "/v1/migrations", acme,
            R"({"order_id": "o", "target_offering_id": "t", "target_parameters": {"a": [1]}})",
            with_key("k"))) == "target_parameters.a");
  CHECK(field_of(hub.send("POST", "/v1/migrations", hub.tokens().admin(), kCreateBody,
                          with_key("k"))) == "Mpli-On-Behalf-Of");
  CHECK(hub.send("POST", "/v1/migrations", acme, kCreateBody,
                 {"Content-Type: text/plain", "Idempotency-Key: k"})
            .status == 415);
  CHECK(field_of(hub.send("GET", "/v1/migrations?state=running", acme)) == "state");
  CHECK(field_of(hub.send("GET", "/v1/migrations?limit=0", acme)) == "limit");
  CHECK(field_of(hub.send("GET", "/v1/migrations?order=ord_1", acme)) == "order");

  // Without a token: 401; a provider's token: 403, on every route.
  std::string hexacloud = hub.tokens().provider("hexacloud");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/migrations"},
                                                        {"GET", "/v1/migrations"},
                                                        {"GET", "/v1/migrations/mig_1"},
                                                        {"POST", "/v1/migrations/mig_1/cancel"},
                                                        {"GET", "/v1/migrations/mig_1/report"}}) {
    INFO(method << " " << path);
    std::string body = method == "POST" ? kCreateBody : "";
    CHECK(hub.send(method, path, "", body, with_key("k")).status == 401);
    CHECK(hub.send(method, path, hexacloud, body, with_key("k")).status == 403);
  }
  CHECK(portability.count_all() == 0);
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway maps portability's typed errors to HTTP statuses (portability answered "
                 "by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  auto check = [&](const testing::HttpExchange& answer, int status, const std::string& reason) {
    INFO(answer.body);
    CHECK(answer.status == status);
    CHECK(answer.header("content-type") == "application/problem+json");
    json problem = body_of(answer);
    CHECK(problem["reason"] == reason);
    return problem;
  };
  auto create = [&] {
    return hub.send("POST", "/v1/migrations", acme, kCreateBody, with_key("k"));
  };

  portability.refuse("get_migration",
                     portability_error(StatusCode::kNotFound, v1::MIGRATION_NOT_FOUND));
  check(hub.send("GET", "/v1/migrations/mig_x", acme), 404, "migration_not_found");
  portability.refuse("get_report",
                     portability_error(StatusCode::kNotFound, v1::MIGRATION_NOT_FOUND));
  check(hub.send("GET", "/v1/migrations/mig_x/report", acme), 404, "migration_not_found");

  portability.refuse("create_migration",
                     portability_error(StatusCode::kFailedPrecondition, v1::FORMATS_INCOMPATIBLE));
  check(create(), 422, "formats_incompatible");
  portability.refuse("create_migration",
                     portability_error(StatusCode::kFailedPrecondition, v1::TARGET_DOES_NOT_FIT,
                                       {{"reasons", "the target is not in the EU"}}));
  CHECK(check(create(), 422, "target_does_not_fit")["reasons"] == "the target is not in the EU");
  portability.refuse("create_migration",
                     portability_error(StatusCode::kFailedPrecondition, v1::ORDER_NOT_ACTIVE,
                                       {{"state", "provisioning"}}));
  CHECK(check(create(), 422, "order_not_active")["state"] == "provisioning");
  portability.refuse("create_migration",
                     portability_error(StatusCode::kConflict, v1::MIGRATION_IN_PROGRESS));
  check(create(), 409, "migration_in_progress");
  portability.refuse("create_migration",
                     portability_error(StatusCode::kConflict, v1::IDEMPOTENCY_KEY_REUSED));
  check(create(), 409, "idempotency_key_reused");
  portability.refuse("create_migration",
                     portability_error(StatusCode::kInvalidArgument, v1::BAD_REQUEST,
                                       {{"field", "target_parameters.size"}}));
  CHECK(check(create(), 400, "bad_request")["field"] == "target_parameters.size");
  portability.refuse("create_migration",
                     portability_error(StatusCode::kUnavailable, v1::UPSTREAM_UNAVAILABLE));
  auto unavailable = create();
  check(unavailable, 503, "upstream_unavailable");
  CHECK(unavailable.header("retry-after") == "1");

  portability.refuse("cancel_migration",
                     portability_error(StatusCode::kFailedPrecondition, v1::INVALID_STATE,
                                       {{"state", "decommissioning_source"}}));
  CHECK(check(hub.send("POST", "/v1/migrations/mig_1/cancel", acme), 409,
              "invalid_state")["state"] == "decommissioning_source");
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway reads, lists and cancels migrations for the caller's tenant only "
                 "(portability answered by the test)") {
  const TestTokens& tokens = hub.tokens();
  std::string acme = tokens.consumer("acme");
  std::string globex = tokens.consumer("globex");

  v1::GetMigrationReply got;
  *got.mutable_migration() = sample_migration("mig_1", "transferring");
  portability.answer_for_acme<v1::GetMigrationRequest>("get_migration", got);
  auto read = hub.send("GET", "/v1/migrations/mig_1", acme);
  CHECK(read.status == 200);
  CHECK(read.header("cache-control") == "no-store");
  json migration = body_of(read);
  CHECK(migration["state"] == "transferring");
  CHECK(migration["steps"][0]["name"] == "provisioning_target");
  CHECK(migration["steps"][0]["started_at"] == "2026-12-03T10:00:00.100Z");
  CHECK(migration["steps"][0]["duration_ms"] == 30000);
  CHECK(migration["steps"][0]["tasks"][0]["operation"] == "provision");
  auto sent = portability.last<v1::GetMigrationRequest>("get_migration");
  CHECK(sent.id() == "mig_1");
  CHECK(sent.tenant() == "acme");

  // Another tenant's migration: 404, as a missing one (the gateway sent globex's tenant).
  auto other = hub.send("GET", "/v1/migrations/mig_1", globex);
  CHECK(other.status == 404);
  CHECK(body_of(other)["reason"] == "migration_not_found");
  CHECK(portability.last<v1::GetMigrationRequest>("get_migration").tenant() == "globex");
  // A marketplace reads it for acme; the admin reads any (tenant "").
  CHECK(hub.send("GET", "/v1/migrations/mig_1", tokens.marketplace({"acme"}), "",
                 {"Mpli-On-Behalf-Of: acme"})
            .status == 200);
  CHECK(portability.last<v1::GetMigrationRequest>("get_migration").tenant() == "acme");
  CHECK(hub.send("GET", "/v1/migrations/mig_1", tokens.admin()).status == 200);
  CHECK(portability.last<v1::GetMigrationRequest>("get_migration").tenant().empty());

  // Lists: the tenant and the filters travel; the cursor comes back.
  v1::ListMigrationsReply page;
  *page.add_migrations() = sample_migration("mig_1", "transferring");
  page.mutable_migrations(0)->clear_steps();
  page.set_next_cursor("c2");
  portability.answer("list_migrations", page);
  auto listed =
      hub.send("GET", "/v1/migrations?state=transferring&order_id=ord_1&limit=10&cursor=c1", acme);
  CHECK(listed.status == 200);
  json list = body_of(listed);
  CHECK(list["migrations"].size() == 1);
  CHECK(list["migrations"][0]["version"] == 4);
  CHECK(list["next_cursor"] == "c2");
  auto list_sent = portability.last<v1::ListMigrationsRequest>("list_migrations");
  CHECK(list_sent.tenant() == "acme");
  CHECK(list_sent.state() == "transferring");
  CHECK(list_sent.order_id() == "ord_1");
  CHECK(list_sent.limit() == 10);
  CHECK(list_sent.cursor() == "c1");
  page.clear_next_cursor();
  portability.answer("list_migrations", page);
  CHECK(body_of(hub.send("GET", "/v1/migrations", tokens.admin()))["next_cursor"].is_null());
  CHECK(portability.last<v1::ListMigrationsRequest>("list_migrations").tenant().empty());

  // Cancel: 202 with the migration as it is now; another tenant's: 404.
  v1::CancelMigrationReply cancelled;
  *cancelled.mutable_migration() = sample_migration("mig_1", "rolling_back");
  cancelled.mutable_migration()->set_cancel_requested(true);
  portability.answer_for_acme<v1::CancelMigrationRequest>("cancel_migration", cancelled);
  auto cancel = hub.send("POST", "/v1/migrations/mig_1/cancel", acme);
  CHECK(cancel.status == 202);
  CHECK(body_of(cancel)["cancel_requested"] == true);
  auto cancel_sent = portability.last<v1::CancelMigrationRequest>("cancel_migration");
  CHECK(cancel_sent.id() == "mig_1");
  CHECK(cancel_sent.tenant() == "acme");
  CHECK(hub.send("POST", "/v1/migrations/mig_1/cancel", globex).status == 404);
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway serves the switching report as JSON and as an escaped HTML page "
                 "(portability answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  v1::GetReportReply reply;
  *reply.mutable_report() = sample_report();
  reply.mutable_report()->set_target_offering_name("<script>alert('pwned')</script> PG");
  (*reply.mutable_report()->mutable_terms())["note"] = "\"><img src=x onerror=alert(1)>";
  portability.answer_for_acme<v1::GetReportRequest>("get_report", reply);

  auto as_json = hub.send("GET", "/v1/migrations/mig_1/report", acme);
  CHECK(as_json.status == 200);
  CHECK(as_json.header("content-type") == "application/json");
  json report = body_of(as_json);
  CHECK(report["outcome"] == "completed");
  CHECK(report["bytes_transferred"] == 6000000000);
  CHECK(report["write_downtime_ms"] == 2345);
  CHECK(report["steps"][0]["duration_ms"] == 60000);
  CHECK(report["verification"][0]["source_rows"] == 42);
  CHECK(report["terms"]["price_amount"] == "45.00");
  auto sent = portability.last<v1::GetReportRequest>("get_report");
  CHECK(sent.id() == "mig_1");
  CHECK(sent.tenant() == "acme");

  auto page = hub.send("GET", "/v1/migrations/mig_1/report", acme, "", {"Accept: text/html"});
  INFO(page.body);
  CHECK(page.status == 200);
  CHECK(page.header("content-type").rfind("text/html", 0) == 0);
  CHECK(page.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  CHECK(page.header("cache-control") == "no-store");
  CHECK(page.body.rfind("<!DOCTYPE html>", 0) == 0);
  // The hostile names stay text.
  CHECK(page.body.find("<script") == std::string::npos);
  CHECK(page.body.find("<img") == std::string::npos);
  CHECK(page.body.find("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; PG") !=
        std::string::npos);
  // The facts of the switch.
  for (const char* fact : {"mig_1", "acme", "ord_1", "hexacloud", "polderstack",
                           "Hexacloud PostgreSQL S", "transferring", "1m 00s", "2.345 s",
                           "5.6 GiB (6000000000 bytes)", "public.items", "45.00", "Completed"}) {
    INFO(fact);
    CHECK(page.body.find(fact) != std::string::npos);
  }
  // Another tenant's report: 404 (as JSON problem, whatever was asked for).
  CHECK(hub.send("GET", "/v1/migrations/mig_1/report", hub.tokens().consumer("globex"), "",
                 {"Accept: text/html"})
            .status == 404);
  // Neither JSON nor HTML: 406.
  CHECK(hub.send("GET", "/v1/migrations/mig_1/report", acme, "", {"Accept: text/turtle"}).status ==
        406);
}

TEST_CASE_METHOD(GatewayTest,
                 "gateway shows a migration's events to its tenant only, filtered by ?migration= "
                 "(events published by the test)") {
  portability.publish_migration_changed("mig_0", "acme", "planned");
  portability.publish_migration_changed("mig_1", "acme", "exporting");
  portability.publish_migration_changed("mig_2", "globex", "exporting");
  auto first_event = [&](const std::string& token, std::vector<std::string> filter) {
    std::vector<std::string> args = {"events", "--last-event-id", "0",   "--max",
                                     "1",      "--timeout",       "60s", "--json"};
    args.insert(args.end(), filter.begin(), filter.end());
    auto outcome = hub.mpli(args, token);
    INFO(outcome.out << outcome.err);
    REQUIRE(outcome.exit_code == 0);
    auto line = json::parse(outcome.out, nullptr, false);
    REQUIRE(line.is_object());
    CHECK(line["event"] == "portability.v1.migration_changed");
    return line["data"]["payload"];
  };
  // ?migration= skips the tenant's other migration.
  CHECK(first_event(hub.tokens().consumer("acme"), {"--migration", "mig_1"})["migration_id"] ==
        "mig_1");
  // Another tenant's events are not shown: globex's first event is its own, the third.
  CHECK(first_event(hub.tokens().consumer("globex"), {})["migration_id"] == "mig_2");
  // Both providers of a migration see it (the target too: it is receiving the data).
  CHECK(first_event(hub.tokens().provider("polderstack"), {})["migration_id"] == "mig_0");
  // Its own migration filtered for.
  CHECK(first_event(hub.tokens().consumer("globex"), {"--migration", "mig_2"})["to"] ==
        "exporting");
}

TEST_CASE_METHOD(GatewayTest,
                 "mpli migrations create, list, show and report through the gateway (portability "
                 "answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  v1::CreateMigrationReply created;
  *created.mutable_migration() = sample_migration("mig_1", "planned");
  created.set_created(true);
  portability.answer("create_migration", created);
  auto started =
      hub.mpli({"migrations", "create", "--order", "ord_1", "--target", kTarget, "--mode",
                "offline", "--param", "connection_limit=20", "--idempotency-key", "k-cli"},
               acme);
  INFO(started.out << started.err);
  CHECK(started.exit_code == 0);
  CHECK(started.out.find("mig_1") != std::string::npos);
  CHECK(started.out.find("planned") != std::string::npos);
  auto sent = portability.last<v1::CreateMigrationRequest>("create_migration");
  CHECK(sent.idempotency_key() == "k-cli");
  CHECK(sent.order_id() == "ord_1");
  CHECK(sent.target_offering_id() == kTarget);
  CHECK(sent.mode() == "offline");
  CHECK(sent.target_parameters().at("connection_limit") == "20");
  // Without a key one is made up, said on stderr, and sent.
  auto made_up = hub.mpli({"migrations", "create", "--order", "ord_1", "--target", kTarget}, acme);
  CHECK(made_up.exit_code == 0);
  std::string key =
      portability.last<v1::CreateMigrationRequest>("create_migration").idempotency_key();
  CHECK(key.rfind("mpli-", 0) == 0);
  CHECK(made_up.err.find("idempotency key: " + key) != std::string::npos);
  // Bad usage is 2 and asks nobody.
  size_t asked = portability.count("create_migration");
  CHECK(hub.mpli({"migrations", "create", "--order", "ord_1"}, acme).exit_code == 2);
  CHECK(
      hub.mpli({"migrations", "create", "--order", "ord_1", "--target", kTarget, "--mode", "fast"},
               acme)
          .exit_code == 2);
  CHECK(portability.count("create_migration") == asked);
  // A refusal is exit 1 with the reason.
  portability.refuse("create_migration",
                     portability_error(StatusCode::kFailedPrecondition, v1::FORMATS_INCOMPATIBLE));
  auto refused = hub.mpli({"migrations", "create", "--order", "ord_1", "--target", kTarget}, acme);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("formats_incompatible") != std::string::npos);

  v1::ListMigrationsReply page;
  *page.add_migrations() = sample_migration("mig_1", "transferring");
  page.set_next_cursor("c2");
  portability.answer("list_migrations", page);
  auto listed =
      hub.mpli({"migrations", "list", "--state", "transferring", "--order", "ord_1"}, acme);
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("mig_1") != std::string::npos);
  CHECK(listed.out.find("transferring") != std::string::npos);
  CHECK(listed.err.find("--cursor c2") != std::string::npos);
  auto list_sent = portability.last<v1::ListMigrationsRequest>("list_migrations");
  CHECK(list_sent.state() == "transferring");
  CHECK(list_sent.order_id() == "ord_1");

  v1::GetMigrationReply got;
  *got.mutable_migration() = sample_migration("mig_1", "transferring");
  portability.answer_for_acme<v1::GetMigrationRequest>("get_migration", got);
  auto shown = hub.mpli({"migrations", "show", "mig_1"}, acme);
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("provisioning_target") != std::string::npos);
  CHECK(shown.out.find("30.000 s") != std::string::npos);
  CHECK(shown.out.find("4.7 GiB") != std::string::npos);
  auto missing = hub.mpli({"migrations", "show", "mig_1"}, hub.tokens().consumer("globex"));
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("migration_not_found") != std::string::npos);

  // The report: text by default, the hub's HTML page with --html.
  v1::GetReportReply reply;
  *reply.mutable_report() = sample_report();
  portability.answer_for_acme<v1::GetReportRequest>("get_report", reply);
  auto text = hub.mpli({"migrations", "report", "mig_1"}, acme);
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK(text.out.rfind("SWITCHING REPORT mig_1", 0) == 0);
  CHECK(text.out.find("Completed: order ord_1") != std::string::npos);
  CHECK(text.out.find("2.345 s") != std::string::npos);
  CHECK(text.out.find("public.items") != std::string::npos);
  CHECK(text.out.find("price_amount") != std::string::npos);
  std::string html_file = hub.dir() + "/report.html";
  auto html = hub.mpli({"migrations", "report", "mig_1", "--html", html_file}, acme);
  CHECK(html.exit_code == 0);
  std::ifstream in(html_file);
  std::string page_text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(page_text.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page_text.find("Polder PG S") != std::string::npos);
  CHECK(hub.mpli({"migrations", "report", "mig_1"}, hub.tokens().consumer("globex")).exit_code ==
        1);
}

TEST_CASE_METHOD(GatewayTest,
                 "mpli migrations wait prints the states and exits by the outcome (portability "
                 "answered by the test)") {
  std::string acme = hub.tokens().consumer("acme");
  // The migration moves on with every read: exporting, exporting, verifying, then completed.
  auto reads = std::make_shared<std::atomic<int>>(0);
  portability.answer("get_migration", [reads](const std::string&) -> Result<std::string> {
    int n = (*reads)++;
    const char* state = n < 2 ? "exporting" : n < 3 ? "verifying" : "completed";
    v1::GetMigrationReply reply;
    *reply.mutable_migration() = sample_migration("mig_1", state);
    return reply.SerializeAsString();
  });
  auto completed = hub.mpli({"migrations", "wait", "mig_1", "--timeout", "60s"}, acme);
  INFO(completed.out << completed.err);
  CHECK(completed.exit_code == 0);
  auto exporting = completed.out.find("state: exporting");
  auto verifying = completed.out.find("state: verifying");
  auto done = completed.out.find("state: completed");
  CHECK(exporting != std::string::npos);
  CHECK(verifying != std::string::npos);
  CHECK(done != std::string::npos);
  CHECK(exporting < verifying);
  CHECK(verifying < done);
  // Each state printed once, however often it was read.
  CHECK(completed.out.find("state: exporting", exporting + 1) == std::string::npos);

  v1::GetMigrationReply ended;
  *ended.mutable_migration() = sample_migration("mig_1", "rolled_back");
  ended.mutable_migration()->add_reasons("verification: public.items differs");
  portability.answer("get_migration", ended);
  auto rolled_back = hub.mpli({"migrations", "wait", "mig_1"}, acme);
  CHECK(rolled_back.exit_code == 5);
  CHECK(rolled_back.out.find("public.items differs") != std::string::npos);

  ended.mutable_migration()->set_state("failed");
  portability.answer("get_migration", ended);
  CHECK(hub.mpli({"migrations", "wait", "mig_1"}, acme).exit_code == 6);

  // Still running at --timeout: 3.
  ended.mutable_migration()->set_state("transferring");
  portability.answer("get_migration", ended);
  auto timed_out = hub.mpli({"migrations", "wait", "mig_1", "--timeout", "1s"}, acme);
  CHECK(timed_out.exit_code == 3);
  CHECK(timed_out.err.find("still transferring") != std::string::npos);
  CHECK(hub.mpli({"migrations", "wait", "mig_1", "--timeout", "soon"}, acme).exit_code == 2);
  // Another tenant's: refused, 1.
  portability.refuse("get_migration",
                     portability_error(StatusCode::kNotFound, v1::MIGRATION_NOT_FOUND));
  CHECK(hub.mpli({"migrations", "wait", "mig_1"}, hub.tokens().consumer("globex")).exit_code == 1);
}
