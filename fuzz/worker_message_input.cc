#include "fuzz/worker_message_input.h"

#include <google/protobuf/util/message_differencer.h>

#include <array>
#include <cstdlib>
#include <map>
#include <string>

#include "libs/worker/work_json.h"
#include "libs/worker/worker.h"
#include "services/delivery/domain/order_state.h"
#include "services/delivery/domain/task.h"
#include "services/delivery/secret_box.h"
#include "workers/exec/script.h"

namespace mpli::fuzz {
namespace {

using google::protobuf::util::MessageDifferencer;

// What was decoded must read back as itself from what the SDK writes: a worker republishes
// journal lines and delivery stores item bodies in this form.
template <typename Message, typename Decode, typename Encode>
void check_round_trip(const Message& message, Decode decode, Encode encode) {
  auto again = decode(encode(message));
  if (!again.is_ok() || !MessageDifferencer::Equals(message, *again)) std::abort();
}

void check_work_item(const std::string& text) {
  auto item = worker::decode_work_item(text);
  if (!item.is_ok()) return;
  check_round_trip(*item, worker::decode_work_item, worker::encode_work_item);
  (void)worker::work_subject(item->provider_id(), item->operation());
  (void)worker::result_subject(item->provider_id());
  (void)worker::worker_consumer(item->provider_id());
  (void)delivery::is_migration_operation(item->operation());
  (void)delivery::check_task_operation({"provision", "modify", "deprovision"}, item->operation(),
                                       item->offering_id());
}

const delivery::SecretBox& secret_box() {
  static const delivery::SecretBox box(std::array<unsigned char, delivery::SecretBox::kKeySize>{});
  return box;
}

void check_work_update(const std::string& text) {
  auto update = worker::decode_work_update(text);
  if (!update.is_ok()) return;
  check_round_trip(*update, worker::decode_work_update, worker::encode_work_update);
  (void)worker::update_msg_id(*update);
  (void)worker::is_final(*update);
  // What delivery does with an outcome (order_service.cc): the order's next state, the task's
  // next step, the secrets sealed at rest.
  const bool succeeded = update->kind() == "succeeded";
  for (const char* state : {"provisioning", "active", "modifying", "deprovisioning"}) {
    for (const char* operation : {"provision", "modify", "deprovision"}) {
      delivery::WorkFacts work{operation, "order", update->attempt(), 5};
      (void)delivery::decide_outcome(
          {state, update->retryable()}, work,
          succeeded ? delivery::WorkEnd::kSucceeded : delivery::WorkEnd::kFailed,
          update->retryable(), update->message());
    }
  }
  (void)delivery::decide_task_step(succeeded, update->retryable(), update->attempt(), 5);
  if (!update->secrets().empty()) {
    std::map<std::string, std::string> secrets(update->secrets().begin(), update->secrets().end());
    auto sealed = secret_box().seal_map(secrets, update->work_id());
    if (!sealed.is_ok()) return;
    auto opened = secret_box().open_map(*sealed, update->work_id());
    if (!opened.is_ok() || *opened != secrets) std::abort();
  }
}

// The exec worker's reading of a finished script: the bytes as its stdout under each exit
// status that means something different, and as its stderr.
void check_script_output(const std::string& text) {
  for (int exit_code : {0, 75, 1, -1}) {
    worker::exec::ScriptRun run;
    run.exit_code = exit_code;
    run.stdout_text = text;
    (void)worker::exec::interpret(run);
  }
  worker::exec::ScriptRun failed;
  failed.exit_code = 2;
  failed.stderr_tail = text;
  (void)worker::exec::interpret(failed);
}

}  // namespace

void check_worker_message_input(std::string_view bytes) {
  const std::string text(bytes);
  check_work_item(text);
  check_work_update(text);
  check_script_output(text);
}

}  // namespace mpli::fuzz
