#include "libs/process/nats_authorization.h"

#include <set>
#include <sstream>

#include "libs/core/services.h"

namespace mpli::process {
namespace {

constexpr size_t kMaxProviderIdLength = 64;

// What nats.conf holds verbatim between double quotes: printable ASCII without '"', '\' or
// spaces. Everything we render (names, hex passwords, bcrypt hashes, subjects) fits.
bool plain_quotable(std::string_view text) {
  for (char c : text) {
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
  }
  return !text.empty();
}

// One direction's rule. An empty allow list would mean "no restriction" to nats-server; "deny
// everything" is what an empty list means here, so it is spelled out.
void render_rule(std::ostringstream& out, const std::vector<std::string>& allow) {
  if (allow.empty()) {
    out << "{deny: [\">\"]}";
    return;
  }
  out << "{allow: [";
  for (size_t i = 0; i < allow.size(); ++i) out << (i > 0 ? ", " : "") << '"' << allow[i] << '"';
  out << "]}";
}

}  // namespace

Status validate_provider_id(std::string_view provider_id) {
  if (provider_id.empty() || provider_id.size() > kMaxProviderIdLength) {
    return invalid_argument("provider id must be 1-" + std::to_string(kMaxProviderIdLength) +
                            " characters, got '" + std::string(provider_id) + "'");
  }
  for (char c : provider_id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
    if (!allowed) {
      return invalid_argument("provider id '" + std::string(provider_id) +
                              "' may hold only letters, digits, '-' and '_' (it becomes a NATS "
                              "subject token)");
    }
  }
  if (provider_id == "result") {
    return invalid_argument(
        "provider id 'result' is reserved: mpli.work.v1.result.> carries every provider's "
        "work updates");
  }
  return Status::ok();
}

std::string worker_user_name(const std::string& provider_id) { return "worker-" + provider_id; }

std::string worker_inbox_prefix(const std::string& provider_id) { return "_INBOX_" + provider_id; }

NatsPermissions worker_permissions(const std::string& provider_id) {
  const std::string consumer = "MPLI_WORK." + worker_user_name(provider_id);
  NatsPermissions permissions;
  permissions.publish_allow = {
      // nats.c looks the durable up when it binds, and again when pull heartbeats go missing.
      "$JS.API.CONSUMER.INFO." + consumer,
      "$JS.API.CONSUMER.MSG.NEXT." + consumer,
      // The reply subject of every message pulled from the consumer: ack, nak, +WPI, +TERM.
      "$JS.ACK." + consumer + ".>",
      "mpli.work.v1.result." + provider_id,
  };
  permissions.subscribe_allow = {
      worker_inbox_prefix(provider_id) + ".>",
      // JetStream announces the creation of its consumer: the waiting worker binds at once.
      "$JS.EVENT.ADVISORY.CONSUMER.CREATED." + consumer,
  };
  return permissions;
}

void add_transfer_permissions(NatsPermissions& permissions) {
  for (const char* subject : {
           "mpli.transfer.v1.>",
           // nats.c creates an ordered consumer with the plain or the named form of the request.
           "$JS.API.CONSUMER.CREATE.MPLI_TRANSFER",
           "$JS.API.CONSUMER.CREATE.MPLI_TRANSFER.>",
           "$JS.API.CONSUMER.INFO.MPLI_TRANSFER.>",
           "$JS.API.CONSUMER.DELETE.MPLI_TRANSFER.>",
           // The replies to the ordered consumer's flow-control messages.
           "$JS.FC.MPLI_TRANSFER.>",
       }) {
    permissions.publish_allow.emplace_back(subject);
  }
}

std::vector<std::string> hub_user_names() {
  std::vector<std::string> names(kServiceNames.begin(), kServiceNames.end());
  names.emplace_back("gateway");
  names.emplace_back("operator");
  return names;
}

Result<std::string> render_authorization(const std::vector<NatsUser>& users) {
  std::set<std::string> seen;
  std::ostringstream out;
  out << "authorization {\n  users = [\n";
  for (const auto& user : users) {
    if (!plain_quotable(user.name)) {
      return invalid_argument("NATS user name '" + user.name +
                              "' must be non-empty printable ASCII without spaces or quotes");
    }
    if (!seen.insert(user.name).second) {
      return invalid_argument("NATS user '" + user.name + "' is listed twice");
    }
    if (!plain_quotable(user.password)) {
      return invalid_argument("NATS user '" + user.name +
                              "': the password (hash) must be non-empty printable ASCII without "
                              "spaces or quotes");
    }
    out << "    {user: \"" << user.name << "\", password: \"" << user.password << "\"";
    const NatsPermissions& permissions = user.permissions;
    if (!permissions.unrestricted) {
      for (const auto* list : {&permissions.publish_allow, &permissions.subscribe_allow}) {
        for (const auto& subject : *list) {
          if (!plain_quotable(subject)) {
            return invalid_argument("NATS user '" + user.name + "': subject '" + subject +
                                    "' is empty or holds spaces, quotes or control characters");
          }
        }
      }
      out << ",\n     permissions: {publish: ";
      render_rule(out, permissions.publish_allow);
      out << ", subscribe: ";
      render_rule(out, permissions.subscribe_allow);
      out << "}";
    }
    out << "}\n";
  }
  out << "  ]\n}\n";
  return out.str();
}

}  // namespace mpli::process
