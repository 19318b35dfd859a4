#include "libs/db/outbox.h"

#include <thread>

#include "libs/bus/jetstream.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/db/migrations.h"
#include "libs/db/prepared.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::db {
namespace {

// Must match the channel the outbox trigger notifies (library_migrations()).
std::string channel_for(const std::string& schema) { return "mpli_outbox_" + schema; }

// Wakes the relay as soon as a transaction with events commits (NOTIFY is delivered on commit).
class OutboxNotification : public pqxx::notification_receiver {
 public:
  OutboxNotification(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(const std::string&, int) override {}
};

mpli::common::v1::Envelope envelope_of(const std::string& producer, const OutgoingEvent& event) {
  mpli::common::v1::Envelope envelope;
  envelope.set_id(ids::new_uuid_v7());
  envelope.set_type(event.subject);
  envelope.set_occurred_at(clock::now_rfc3339());
  envelope.set_correlation_id(log::correlation_id());
  envelope.set_producer(producer);
  envelope.set_payload_type(event.payload_type);
  envelope.set_payload(event.payload);
  return envelope;
}

}  // namespace

OutboxRow outgoing_row(const std::string& producer, const OutgoingEvent& event) {
  auto envelope = envelope_of(producer, event);
  return {envelope.id(), event.subject, pqxx::binarystring(envelope.SerializeAsString())};
}

std::string outbox_cte(const std::string& schema, int first) {
  auto param = [&](int offset) { return "$" + std::to_string(first + offset); };
  return "WITH outbox_event AS (INSERT INTO " + quote_identifier(schema) +
         ".outbox (id, subject, payload) VALUES (" + param(0) + "::uuid, " + param(1) + ", " +
         param(2) + "))";
}

// One event (a state change's, the common case) is a prepared statement with the payload as a
// binary parameter; the table's trigger notifies the relay on commit.
std::string enqueue_event(pqxx::work& tx, const std::string& schema, const std::string& producer,
                          const OutgoingEvent& event) {
  auto row = outgoing_row(producer, event);
  exec_prepared(tx,
                "INSERT INTO " + quote_identifier(schema) +
                    ".outbox (id, subject, payload) VALUES ($1::uuid, $2, $3)",
                row.id, row.subject, row.payload);
  return row.id;
}

std::vector<std::string> enqueue_events(pqxx::work& tx, const std::string& schema,
                                        const std::string& producer,
                                        const std::vector<OutgoingEvent>& events) {
  std::vector<std::string> ids;
  if (events.empty()) return ids;
  if (events.size() == 1) return {enqueue_event(tx, schema, producer, events.front())};
  // Many events (an ingest's offerings) in one statement: its text differs with their number,
  // so it is not worth preparing.
  std::string sql =
      "INSERT INTO " + quote_identifier(schema) + ".outbox (id, subject, payload) VALUES ";
  for (size_t i = 0; i < events.size(); ++i) {
    auto envelope = envelope_of(producer, events[i]);
    std::string bytes = envelope.SerializeAsString();
    // Values go through libpq's quoting (bytea escaped), never spliced raw.
    sql += (i == 0 ? "(" : ", (") + tx.quote(envelope.id()) + ", " + tx.quote(events[i].subject) +
           ", " + tx.quote_raw(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) +
           ")";
    ids.push_back(envelope.id());
  }
  tx.exec0(sql);  // the table's trigger notifies the relay on commit
  return ids;
}

OutboxRelay::OutboxRelay(std::string dsn, std::string schema, bus::Connection& bus,
                         RelayOptions options)
    : dsn_(std::move(dsn)), schema_(std::move(schema)), bus_(bus), options_(options) {}

Result<int> OutboxRelay::publish_pending(pqxx::connection& connection) {
  const std::string table = quote_identifier(schema_) + ".outbox";
  pqxx::work tx(connection);
  // SKIP LOCKED: several instances of a service share the outbox without blocking each other.
  auto rows = exec_prepared(tx,
                            "SELECT seq, id::text, subject, payload FROM " + table +
                                " WHERE published_at IS NULL ORDER BY seq LIMIT $1"
                                " FOR UPDATE SKIP LOCKED",
                            options_.batch_size);
  std::string published_seqs;
  int published = 0;
  Status failure;
  for (const auto& row : rows) {
    pqxx::binarystring payload(row[3]);
    auto ack = bus::publish_durable(bus_, row[2].as<std::string>(), payload.str(),
                                    row[1].as<std::string>());
    if (!ack) {
      failure = ack.status();
      break;
    }
    published_seqs += (published_seqs.empty() ? "" : ",") + row[0].as<std::string>();
    ++published;
  }
  if (published > 0) {
    // A crash between the publishes above and this commit republishes the same ids on restart;
    // the stream drops them as duplicates (Nats-Msg-Id), so each event is stored once.
    exec_prepared(tx, "UPDATE " + table + " SET published_at = now() WHERE seq = ANY($1::bigint[])",
                  "{" + published_seqs + "}");
    tx.commit();
  }
  if (!failure.is_ok()) return failure;
  return published;
}

void OutboxRelay::purge_published(pqxx::connection& connection) {
  pqxx::work tx(connection);
  tx.exec_params(
      "DELETE FROM " + quote_identifier(schema_) +
          ".outbox WHERE published_at < now() - make_interval(secs => $1)",
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::seconds>(options_.keep_published).count()));
  tx.commit();
}

void OutboxRelay::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    try {
      pqxx::connection connection(dsn_);
      OutboxNotification notification(connection, channel_for(schema_));
      auto next_purge = std::chrono::steady_clock::now();
      while (!stopping_) {
        if (!bus_.connected()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        auto published = publish_pending(connection);
        if (!published) {
          log::warn("outbox relay cannot publish; retrying",
                    {{"schema", schema_}, {"error", published.status().to_string()}});
          std::this_thread::sleep_for(backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
          continue;
        }
        backoff = std::chrono::milliseconds(100);
        if (*published == options_.batch_size) continue;  // more may be waiting
        if (std::chrono::steady_clock::now() >= next_purge) {
          purge_published(connection);
          next_purge = std::chrono::steady_clock::now() + std::chrono::minutes(10);
        }
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(options_.idle_poll);
        connection.await_notification(micros.count() / 1000000, micros.count() % 1000000);
      }
    } catch (const std::exception& e) {
      log::warn("outbox relay lost the database; reconnecting",
                {{"schema", schema_}, {"error", e.what()}});
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

}  // namespace mpli::db
