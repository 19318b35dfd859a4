// Transactional outbox: an event is written in the same transaction as the state change it
// reports (enqueue_event); OutboxRelay publishes committed rows to JetStream with
// Nats-Msg-Id = event id, so a crash anywhere neither loses nor duplicates an event.
#pragma once

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/core/status.h"

namespace mpli::db {

struct OutgoingEvent {
  std::string subject;       // mpli.events.<service>.v1.<event>
  std::string payload_type;  // full protobuf name of payload
  std::string payload;       // serialized protobuf message
};

// Adds the event to <schema>.outbox inside `tx` and returns its id. Nothing is published until
// `tx` commits; if it rolls back, the event never existed.
std::string enqueue_event(pqxx::work& tx, const std::string& schema, const std::string& producer,
                          const OutgoingEvent& event);
// For a statement that stores a change and its event at once (one round trip, not two): the
// event's envelope, and the outbox insert to put in front of that statement as a data-modifying
// CTE, taking the event's id, subject and payload as parameters $first, $first+1, $first+2:
//
//   auto event = db::outgoing_row("delivery", event_of(change));
//   db::exec_prepared(tx, db::outbox_cte("delivery", 4) + " INSERT INTO changes ... ($1, $2, $3)",
//                     a, b, c, event.id, event.subject, event.payload);
struct OutboxRow {
  std::string id;  // the event id (Nats-Msg-Id)
  std::string subject;
  pqxx::binarystring payload;  // the serialized envelope
};
OutboxRow outgoing_row(const std::string& producer, const OutgoingEvent& event);
std::string outbox_cte(const std::string& schema, int first);
// The same for several events, in order, with one statement; returns their ids.
std::vector<std::string> enqueue_events(pqxx::work& tx, const std::string& schema,
                                        const std::string& producer,
                                        const std::vector<OutgoingEvent>& events);

struct RelayOptions {
  int batch_size = 500;
  std::chrono::milliseconds idle_poll{500};  // upper bound on latency when a NOTIFY is missed
  std::chrono::hours keep_published{24 * 7};
};

class OutboxRelay {
 public:
  OutboxRelay(std::string dsn, std::string schema, bus::Connection& bus, RelayOptions options = {});

  // Publishes until stop() is called; reconnects to PostgreSQL and waits out bus outages.
  void run();
  void stop() { stopping_ = true; }

  // One pass: publishes up to batch_size pending events. Returns how many were published.
  Result<int> publish_pending(pqxx::connection& connection);

 private:
  void purge_published(pqxx::connection& connection);

  std::string dsn_;
  std::string schema_;
  bus::Connection& bus_;
  RelayOptions options_;
  std::atomic<bool> stopping_{false};
};

}  // namespace mpli::db
