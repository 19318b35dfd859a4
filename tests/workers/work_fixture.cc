#include "tests/workers/work_fixture.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "libs/worker/work_json.h"
#include "libs/worker/worker.h"

namespace mpli::testing {

FakeDelivery::FakeDelivery(const std::string& nats_url, const std::string& provider_id,
                           std::chrono::milliseconds ack_wait, const std::string& user,
                           const std::string& password)
    : provider_id_(provider_id) {
  bus::ConnectOptions options;
  options.url = nats_url;
  options.user = user;
  options.password = password;
  options.name = "fake-delivery";
  auto connection = bus::Connection::connect(options);
  if (!connection) throw std::runtime_error(connection.status().to_string());
  connection_ = std::move(connection).value();
  Status connected = connection_->wait_connected(std::chrono::seconds(10));
  if (!connected.is_ok()) throw std::runtime_error(connected.to_string());
  Status stream = bus::ensure_stream(*connection_, bus::work_stream());
  if (!stream.is_ok()) throw std::runtime_error(stream.to_string());
  bus::ConsumerSpec worker;
  worker.stream = "MPLI_WORK";
  worker.durable = worker::worker_consumer(provider_id);
  worker.filter_subject = "mpli.work.v1." + provider_id + ".>";
  worker.ack_wait = ack_wait;
  Status created = bus::ensure_consumer(*connection_, worker);
  if (!created.is_ok()) throw std::runtime_error(created.to_string());
  bus::ConsumerSpec updates;
  updates.stream = "MPLI_WORK";
  updates.durable = "delivery-work-updates";
  updates.filter_subject = "mpli.work.v1.result.>";
  auto consumer = bus::PullConsumer::create(*connection_, updates);
  if (!consumer) throw std::runtime_error(consumer.status().to_string());
  updates_ = std::move(consumer).value();
}

delivery::v1::WorkItem FakeDelivery::item(const std::string& work_id, const std::string& operation,
                                          const std::string& artifact) const {
  delivery::v1::WorkItem item;
  item.set_work_id(work_id);
  item.set_attempt(1);
  item.set_order_id("ord_" + work_id);
  item.set_provider_id(provider_id_);
  item.set_operation(operation);
  item.set_offering_id("off_test");
  item.set_worker_kind("exec");
  item.set_artifact(artifact);
  item.set_quantity(1);
  item.set_tenant("tenant-a");
  (*item.mutable_parameters())["size"] = "10";
  return item;
}

void FakeDelivery::publish(const delivery::v1::WorkItem& item) {
  auto published = bus::publish_durable(
      *connection_, worker::work_subject(item.provider_id(), item.operation()),
      worker::encode_work_item(item), item.work_id() + "." + std::to_string(item.attempt()),
      {{"Content-Type", "application/json"}});
  if (!published) throw std::runtime_error(published.status().to_string());
}

delivery::v1::WorkUpdate FakeDelivery::next_update(std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    auto fetched = updates_->fetch(1, std::chrono::milliseconds(500));
    if (!fetched) continue;  // NATS restarting: try again until the deadline
    for (auto& message : *fetched) {
      auto update = worker::decode_work_update(message.message().data);
      if (!update) throw std::runtime_error("bad update: " + message.message().data);
      std::string msg_id = message.message().header("Nats-Msg-Id");
      if (msg_id != worker::update_msg_id(*update)) {
        throw std::runtime_error("update Nats-Msg-Id " + msg_id + " does not match its body");
      }
      if (message.message().subject != worker::result_subject(update->provider_id())) {
        throw std::runtime_error("update on the wrong subject " + message.message().subject);
      }
      (void)message.ack();
      return *update;
    }
  }
  throw std::runtime_error("no work update in time");
}

delivery::v1::WorkUpdate FakeDelivery::outcome(const std::string& work_id, int attempt,
                                               std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  for (auto it = buffered_.begin(); it != buffered_.end(); ++it) {
    if (it->work_id() == work_id && it->attempt() == attempt) {
      auto found = *it;
      buffered_.erase(it);
      return found;
    }
  }
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no outcome for " + work_id + " in time");
    auto update = next_update(left);
    if (update.kind() == "progress") {
      progress.push_back(update);
    } else if (update.work_id() == work_id && update.attempt() == attempt) {
      return update;
    } else {
      buffered_.push_back(update);
    }
  }
}

uint64_t FakeDelivery::pending_work() {
  // Work items are the stream's messages outside the results (acked ones are removed).
  auto state = bus::stream_state(*connection_, "MPLI_WORK");
  if (!state) throw std::runtime_error(state.status().to_string());
  return state->messages;
}

process::ChildProcess start_worker(const std::string& program, const std::vector<std::string>& args,
                                   const std::map<std::string, std::string>& environment,
                                   const std::string& log_file) {
  process::Spec spec;
  spec.program = program;
  spec.args = args;
  spec.environment = environment;
  spec.output_file = log_file;
  auto child = process::ChildProcess::spawn(spec);
  if (!child) throw std::runtime_error(program + ": " + child.status().to_string());
  return std::move(child).value();
}

void write_script(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  ::chmod(path.c_str(), 0755);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace mpli::testing
