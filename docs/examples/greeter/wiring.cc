#include "docs/examples/greeter/wiring.h"

#include "docs/examples/greeter/greeting.h"
#include "libs/core/log.h"
#include "libs/db/applied_events.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::greeter {

const std::vector<db::Migration>& migrations();  // compiled in by mpli_embed_sql

namespace {
namespace v1 = examples::greeter::v1;
constexpr const char* kConsumer = "greeter-names";

// mpli.greeter.v1.say_hello: check, read, answer. serve() decoded the request.
Result<v1::SayHelloReply> say_hello(db::Pool& pool, const v1::SayHelloRequest& request) {
  MPLI_RETURN_IF_ERROR(check_name(request.name()));
  return pool.transact([&](pqxx::work& tx) -> Result<v1::SayHelloReply> {
    auto rows = tx.exec_params("SELECT seen FROM greeter.names WHERE name = $1", request.name());
    v1::SayHelloReply reply;
    reply.set_times_seen(rows.empty() ? 0 : rows[0][0].as<int>());
    reply.set_greeting(greeting(request.name(), reply.times_seen()));
    return reply;
  });
}

// mpli.events.greeter.v1.name_seen: counted once per event, however often it is delivered.
Status count_name(db::Pool& pool, const bus::Message& message, const service::Delivery& delivery) {
  common::v1::Envelope envelope;
  v1::NameSeen event;
  if (!envelope.ParseFromString(message.data) || !event.ParseFromString(envelope.payload())) {
    return invalid_argument("not a NameSeen envelope");  // permanent: dead-lettered at once
  }
  MPLI_RETURN_IF_ERROR(check_name(event.name()));
  return pool.transact([&](pqxx::work& tx) -> Status {
    MPLI_ASSIGN_OR_RETURN(bool first,
                          db::record_applied(tx, "greeter", kConsumer, delivery.event_id));
    if (!first) return Status::ok();
    tx.exec_params0(
        "INSERT INTO greeter.names (name, seen) VALUES ($1, 1) ON CONFLICT (name) "
        "DO UPDATE SET seen = names.seen + 1, last_seen = now()",
        event.name());
    return Status::ok();
  });
}

Status start(service::ServiceContext& context) {
  db::Pool& pool = *context.pool;
  MPLI_RETURN_IF_ERROR((context.serve<v1::SayHelloRequest, v1::SayHelloReply>(
      "say_hello", [&pool](const v1::SayHelloRequest& request, const service::CallContext&) {
        return say_hello(pool, request);
      })));

  {
    MPLI_ASSIGN_OR_RETURN(auto lease, pool.acquire());
    MPLI_RETURN_IF_ERROR(db::ensure_applied_events_table(*lease, "greeter"));
  }
  service::EventConsumerSpec names;
  names.durable = kConsumer;
  names.subjects = {service::event_subject("greeter", "name_seen")};
  MPLI_RETURN_IF_ERROR(context.consume(
      names, [&pool](const bus::Message& message, const service::Delivery& delivery) {
        return count_name(pool, message, delivery);
      }));

  long long forget_ms = context.config.get_duration("greeter.forget_after").count();
  context.every("forget", std::chrono::minutes(1), [&pool, forget_ms](const service::StopToken&) {
    Status forgotten = pool.transact([&](pqxx::work& tx) {
      tx.exec_params0("DELETE FROM greeter.names WHERE last_seen < now() - $1 * interval '1 ms'",
                      forget_ms);
    });
    if (!forgotten.is_ok()) log::warn("cannot forget names", {{"error", forgotten.to_string()}});
  });
  return Status::ok();
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "greeter";
  definition.schema = "greeter";
  definition.migrations = &migrations();
  definition.settings = {
      {"greeter.forget_after", "720h", "forget names not seen for this long", config::duration()}};
  definition.start = start;
  return definition;
}

}  // namespace mpli::greeter
