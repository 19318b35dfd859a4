// The bill end to end: orders and transitions in a real PostgreSQL with delivery's schema, read
// by BillStore, rated by make_bill, and served on mpli.delivery.v1.get_bill over a real
// nats-server.
#include "services/delivery/billing/billing.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/db/migrations.h"
#include "libs/db/pool.h"
#include "libs/service/endpoints.h"
#include "libs/service/runtime.h"
#include "libs/testing/environment.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "services/delivery/billing/bill.h"
#include "services/delivery/billing/bill_store.h"

using namespace mpli;
using namespace mpli::delivery::billing;
using namespace std::chrono_literals;

namespace {

// Delivery's migrations as the binary embeds them: every services/delivery/migrations/NNNN_*.sql.
std::vector<db::Migration> delivery_migrations() {
  std::vector<db::Migration> migrations;
  std::filesystem::path dir =
      std::filesystem::path(MPLI_SOURCE_DIR) / "services/delivery/migrations";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string name = file.stem().string();
    migrations.push_back({std::stoi(name.substr(0, 4)), name, text.str()});
  }
  REQUIRE_FALSE(migrations.empty());
  return migrations;
}

void insert_order(pqxx::work& tx, const std::string& id, const std::string& tenant,
                  const std::string& provider, const std::optional<std::string>& price,
                  const std::string& unit, int quantity) {
  tx.exec_params(
      "INSERT INTO delivery.orders (id, tenant, state, offering_id, offering_name, provider_id, "
      "price_amount, price_currency, price_unit, quantity, idempotency_key, request_hash) "
      "VALUES ($1, $2, 'requested', $3, $4, $5, $6::numeric, 'EUR', $7, $8, $1, 'hash')",
      id, tenant, "https://" + provider + ".example/offerings/pg", "PostgreSQL at " + provider,
      provider, price, unit, quantity);
}

// `transitions`: (to_state, RFC 3339 time) oldest first.
void insert_history(pqxx::work& tx, const std::string& id,
                    const std::vector<std::pair<std::string, std::string>>& transitions) {
  std::string from;
  for (const auto& [to, at] : transitions) {
    tx.exec_params(
        "INSERT INTO delivery.order_transitions (order_id, from_state, to_state, at) "
        "VALUES ($1, $2, $3, $4::timestamptz)",
        id, from, to, at);
    from = to;
  }
}

std::int64_t ms(const std::string& period, std::int64_t days, std::int64_t hours = 0) {
  return parse_period(period)->start_unix_ms + days * 86'400'000 + hours * 3'600'000;
}

// Tenant acme's October 2026, with orders that must and must not be read.
void seed(const std::string& dsn) {
  pqxx::connection connection(dsn);
  pqxx::work tx(connection);
  insert_order(tx, "ord_1", "acme", "alpha", "49.90", "MON", 1);
  insert_history(tx, "ord_1",
                 {{"requested", "2026-09-30T23:00:00Z"},
                  {"accepted", "2026-09-30T23:00:01Z"},
                  {"provisioning", "2026-09-30T23:00:02Z"},
                  {"active", "2026-09-30T23:30:00Z"},
                  {"modifying", "2026-10-10T00:00:00Z"},
                  {"active", "2026-10-10T00:05:00Z"},
                  {"deprovisioning", "2026-10-21T00:00:00Z"},
                  {"deleted", "2026-10-21T00:00:30.400Z"}});
  insert_order(tx, "ord_2", "acme", "beta", "0.0137", "HUR", 2);
  insert_history(tx, "ord_2",
                 {{"requested", "2026-10-15T11:59:00Z"},
                  {"active", "2026-10-15T12:00:00Z"},
                  {"modifying", "2026-11-03T00:00:00Z"}});    // after the period: not read
  insert_order(tx, "ord_3", "acme", "alpha", "5", "MON", 1);  // deleted in September
  insert_history(tx, "ord_3",
                 {{"active", "2026-08-01T00:00:00Z"}, {"deleted", "2026-09-15T00:00:00Z"}});
  insert_order(tx, "ord_4", "acme", "alpha", "5", "MON", 1);  // ordered in November
  insert_history(tx, "ord_4",
                 {{"requested", "2026-11-02T00:00:00Z"}, {"active", "2026-11-02T00:01:00Z"}});
  insert_order(tx, "ord_5", "globex", "alpha", "5", "MON", 1);  // another tenant's
  insert_history(tx, "ord_5", {{"active", "2026-10-02T00:00:00Z"}});
  insert_order(tx, "ord_6", "acme", "alpha", std::nullopt, "", 1);  // unpriced
  insert_history(tx, "ord_6", {{"active", "2026-10-02T00:00:00Z"}});
  insert_order(tx, "ord_7", "acme", "beta", "10.500", "MON", 3);  // rejected: never billable
  insert_history(tx, "ord_7",
                 {{"requested", "2026-10-05T00:00:00Z"}, {"rejected", "2026-10-05T00:00:01Z"}});
  tx.commit();
}

struct Database {
  testing::TempDir dir;
  testing::TestPostgres pg{dir.path()};
  Database() {
    pqxx::connection connection(pg.dsn());
    auto migrated = db::migrate(connection, "delivery", delivery_migrations());
    INFO(migrated.status().to_string());
    REQUIRE(migrated.is_ok());
    seed(pg.dsn());
  }
};

void check_october_bill(const delivery::v1::Bill& bill) {
  CHECK(bill.tenant() == "acme");
  CHECK(bill.period() == "2026-10");
  CHECK(bill.period_start() == "2026-10-01T00:00:00Z");
  CHECK(bill.period_end() == "2026-11-01T00:00:00Z");
  CHECK(bill.final());
  REQUIRE(bill.lines_size() == 2);
  const auto& first = bill.lines(0);
  CHECK(first.provider_id() == "alpha");
  CHECK(first.order_id() == "ord_1");
  CHECK(first.offering_id() == "https://alpha.example/offerings/pg");
  CHECK(first.offering_name() == "PostgreSQL at alpha");
  CHECK(first.unit_price() == "49.90");
  CHECK(first.price_unit() == "MON");
  CHECK(first.currency() == "EUR");
  CHECK(first.quantity() == 1);
  CHECK(first.billable_seconds() ==
        20 * 24 * kSecondsPerHour + 30);  // Oct 1 00:00 to Oct 21 00:00:30.4
  CHECK(first.amount() == "32.81");       // 49.90 x 1,728,030 / 2,628,000 = 32.8115...
  const auto& second = bill.lines(1);
  CHECK(second.provider_id() == "beta");
  CHECK(second.order_id() == "ord_2");
  CHECK(second.quantity() == 2);
  CHECK(second.billable_seconds() == 396 * kSecondsPerHour);  // Oct 15 12:00 to Nov 1 00:00
  CHECK(second.amount() == "10.85");                          // 0.0137 x 2 x 396 = 10.8504
  REQUIRE(bill.providers_size() == 2);
  CHECK(bill.providers(0).provider_id() == "alpha");
  CHECK(bill.providers(0).amount() == "32.81");
  CHECK(bill.providers(1).provider_id() == "beta");
  CHECK(bill.providers(1).amount() == "10.85");
  REQUIRE(bill.totals_size() == 1);
  CHECK(bill.totals(0).currency() == "EUR");
  CHECK(bill.totals(0).amount() == "43.66");
}

}  // namespace

TEST_CASE("the bill store reads a tenant's orders of a period with their history") {
  Database database;
  db::Pool pool(database.pg.dsn(), 2);
  BillStore store(pool);
  auto period = parse_period("2026-10").value();
  auto orders = store.usage("acme", period);
  INFO(orders.status().to_string());
  REQUIRE(orders.is_ok());
  std::vector<std::string> ids;
  for (const auto& order : *orders) ids.push_back(order.order_id);
  CHECK(ids == std::vector<std::string>{"ord_1", "ord_2", "ord_6", "ord_7"});

  const auto& first = (*orders)[0];
  CHECK(first.provider_id == "alpha");
  CHECK(first.price_amount == std::optional<std::string>("49.90"));
  CHECK(first.price_unit == "MON");
  CHECK(first.price_currency == "EUR");
  REQUIRE(first.history.size() == 8);
  CHECK(first.history[3].to_state == "active");
  CHECK(first.history[7].to_state == "deleted");
  CHECK(first.history[7].at_unix_ms == ms("2026-10", 20) + 30'400);

  const auto& second = (*orders)[1];
  CHECK(second.quantity == 2);
  REQUIRE(second.history.size() == 2);  // November's modifying is past the period
  CHECK(second.history[1].at_unix_ms == ms("2026-10", 14, 12));
  CHECK_FALSE((*orders)[2].price_amount.has_value());
  CHECK((*orders)[3].price_amount == std::optional<std::string>("10.500"));  // as written

  auto bill = make_bill("acme", period, *orders, ms("2026-11", 4));
  INFO(bill.status().to_string());
  REQUIRE(bill.is_ok());
  check_october_bill(*bill);

  auto nothing = store.usage("nobody", period);
  REQUIRE(nothing.is_ok());
  CHECK(nothing->empty());
  // September: ord_1 (active from Sept 30 23:30) and ord_3 (deleted Sept 15) are read.
  auto september = store.usage("acme", parse_period("2026-09").value());
  REQUIRE(september.is_ok());
  REQUIRE(september->size() == 2);
  CHECK((*september)[0].order_id == "ord_1");
  CHECK((*september)[0].history.size() == 4);
  CHECK((*september)[1].order_id == "ord_3");
}

TEST_CASE("get_bill answers over a real nats-server, with typed errors") {
  Database database;
  testing::TestNats nats(database.dir.path());
  bus::ConnectOptions options;
  options.url = nats.url();
  options.name = "billing-test";
  auto connected = bus::Connection::connect(options);
  REQUIRE(connected.is_ok());
  auto bus = std::move(connected).value();
  REQUIRE(bus->wait_connected(10s).is_ok());

  std::map<std::string, std::string> environment = {{"MPLI_NATS_URL", nats.url()},
                                                    {"MPLI_DATABASE_URL", database.pg.dsn()}};
  auto config = config::Config::load(service::common_settings(true), "",
                                     [&](const std::string& name) -> std::optional<std::string> {
                                       auto found = environment.find(name);
                                       if (found == environment.end()) return std::nullopt;
                                       return found->second;
                                     });
  INFO(config.status().to_string());
  REQUIRE(config.is_ok());
  db::Pool pool(database.pg.dsn(), 2);
  service::Endpoints endpoints(*bus, "delivery", "billing-test-1", "test");
  service::ServiceContext context("delivery", *config, *bus, &pool, endpoints);
  REQUIRE(serve_billing(context).is_ok());

  const std::string subject = service::request_subject("delivery", "get_bill");
  CHECK(subject == "mpli.delivery.v1.get_bill");
  delivery::v1::GetBillRequest request;
  request.set_tenant("acme");
  request.set_period("2026-10");
  auto reply = bus::call<delivery::v1::GetBillReply>(*bus, subject, request, 10s);
  INFO(reply.status().to_string());
  REQUIRE(reply.is_ok());
  check_october_bill(reply->bill());

  request.set_period("2026-13");
  auto bad_period = bus::call<delivery::v1::GetBillReply>(*bus, subject, request, 10s);
  REQUIRE_FALSE(bad_period.is_ok());
  CHECK(bad_period.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad_period.status().detail("reason") == "BILL_PERIOD_INVALID");
  CHECK(bad_period.status().detail("field") == "period");

  request.set_tenant("");
  request.set_period("2026-10");
  auto no_tenant = bus::call<delivery::v1::GetBillReply>(*bus, subject, request, 10s);
  REQUIRE_FALSE(no_tenant.is_ok());
  CHECK(no_tenant.status().code() == StatusCode::kInvalidArgument);
  CHECK(no_tenant.status().detail("reason") == "BAD_REQUEST");
  CHECK(no_tenant.status().detail("field") == "tenant");

  context.request_stop();
  CHECK(context.stop(5s));
}
