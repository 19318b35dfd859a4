// One fuzz input through everything that reads a message of the worker protocol
// (docs/worker-protocol.md), built into the libFuzzer target (worker_message_fuzz.cc) and the
// corpus replay ctest runs (worker_message_replay.cc).
#pragma once

#include <string_view>

namespace mpli::fuzz {

// Bytes -> the worker's side: decode_work_item (a WorkItem as the SDK takes it from MPLI_WORK)
// and the subjects and log fields it derives; the exec worker's reading of a script's stdout
// (the outcome JSON) and stderr. Delivery's side: the bytes as a WorkUpdate (as delivery reads
// mpli.work.v1.result.<p>, and the worker's journal its lines), its Nats-Msg-Id, whether it is
// final, what its end does to an order and a task, and its secrets sealed and opened. Every
// message that decodes must encode and decode again to itself (abort otherwise: a finding).
// Returns normally on any input; a crash, a hang or a sanitizer report is a finding.
void check_worker_message_input(std::string_view bytes);

}  // namespace mpli::fuzz
