// Who may connect to the federation's nats-server and what each may publish and subscribe to:
// one user per hub service and one per provider's worker, rendered as nats-server's
// `authorization { users = [...] }` block (all users in the one global account, so they share
// its JetStream). Pure: names, subjects and text in, text out; the passwords and their hashes
// are made elsewhere (nats_credentials.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"

namespace mpli::process {

struct NatsPermissions {
  // True: publish and subscribe to anything. The hub's services have this for now; narrowing
  // each to its own subjects (requests it serves and sends, its events, _INBOX) is the next
  // least-privilege step.
  bool unrestricted = false;
  std::vector<std::string> publish_allow;    // everything else is denied
  std::vector<std::string> subscribe_allow;  // everything else is denied
};

struct NatsUser {
  std::string name;
  // As nats-server compares it: a bcrypt hash ("$2a$..."), so the config file holds no password.
  std::string password;
  NatsPermissions permissions;
};

// A provider id becomes a subject token (mpli.work.v1.<id>.>, _INBOX_<id>.>) and a file name:
// 1-64 letters, digits, '-' or '_'. "result" is refused: mpli.work.v1.result.> carries every
// provider's updates, and a provider of that name would read them.
Status validate_provider_id(std::string_view provider_id);

// "worker-<provider_id>": the NATS user of a provider's worker (the name of its durable
// consumer too, by the worker protocol).
std::string worker_user_name(const std::string& provider_id);
// "_INBOX_<provider_id>": the only subjects a provider's worker may subscribe to.
std::string worker_inbox_prefix(const std::string& provider_id);

// What a provider's worker needs and no more: look up and pull from its own durable consumer
// on MPLI_WORK, ack (and nak, in-progress, term) what it took from it, publish its updates, and
// receive replies on its own inbox. Nothing of another provider, no event, no request subject.
NatsPermissions worker_permissions(const std::string& provider_id);

// What a worker that moves data through JetStream (the disk-image worker: export publishes an
// image's chunks, import reads them with an ordered consumer) needs besides worker_permissions:
// publish on mpli.transfer.v1.>, create, look up and delete consumers on MPLI_TRANSFER, answer
// its flow control. Known limit: any such worker may read every migration's transfer, not only
// its own (a subject per provider pair would need the target's id in the transfer subject).
void add_transfer_permissions(NatsPermissions& permissions);

// The hub's users: one per service (kServiceNames and the gateway), and "operator" for whoever
// runs the federation (tests, benchmarks, the nats CLI). All unrestricted for now.
std::vector<std::string> hub_user_names();

// The `authorization { ... }` block for nats.conf. Refuses (kInvalidArgument, naming the user)
// an empty or duplicate name, an empty password, or a name, password or subject that nats.conf
// could not hold as a plain quoted string (quotes, backslashes, control characters, spaces).
Result<std::string> render_authorization(const std::vector<NatsUser>& users);

}  // namespace mpli::process
