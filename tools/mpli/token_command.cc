#include "tools/mpli/token_command.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "libs/core/config.h"
#include "services/gateway/auth/hub_key.h"

namespace mpli::cli {
namespace {

constexpr const char* kUsage =
    "usage: mpli token create --role admin|provider|consumer|marketplace [--tenant NAME]...\n"
    "                         [--provider ID] [--ttl 1h] [--subject SUB]\n"
    "                         [--key FILE | --state DIR]\n"
    "\n"
    "Prints a bearer token for the hub's gateway (the last line of the output), signed with the\n"
    "hub's key. Send it as `Authorization: Bearer <token>`.\n"
    "  --role R      admin (anchors, providers), provider (its own registration), consumer (its\n"
    "                own resolutions), marketplace (acts for the consumers named by --tenant)\n"
    "  --tenant NAME consumer: its tenant; marketplace: a tenant it may act for (repeatable)\n"
    "  --provider ID provider: the provider id it manages (the manifest's mpli:providerId)\n"
    "  --ttl D       how long the token is valid: 90s, 15m, 1h, 30d (default 1h)\n"
    "  --subject SUB the token's sub (default derived from the role)\n"
    "  --key FILE    the hub's signing key (PKCS#8 PEM, mode 0600)\n"
    "  --state DIR   the state directory of `mpli up` (default $MPLI_STATE_DIR, else .mpli):\n"
    "                its hub-signing-key.pem is the key\n";

// "30d" as well as the config durations ("90s", "15m", "1h").
std::optional<std::chrono::seconds> parse_ttl(const std::string& text) {
  if (text.size() > 1 && text.back() == 'd') {
    try {
      size_t used = 0;
      long days = std::stol(text.substr(0, text.size() - 1), &used);
      if (used != text.size() - 1 || days <= 0) return std::nullopt;
      return std::chrono::seconds(days * 86400);
    } catch (...) {
      return std::nullopt;
    }
  }
  auto duration = config::parse_duration(text);
  if (!duration || duration->count() < 1000) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(*duration);
}

int fail(const std::string& message) {
  std::cerr << "mpli token create: " << message << "\n" << kUsage;
  return 2;
}

}  // namespace

std::vector<std::string> bearer_from_environment() {
  auto environment = config::process_environment();
  std::string token = environment("MPLI_TOKEN").value_or("");
  if (token.empty()) {
    std::ifstream in(environment("MPLI_STATE_DIR").value_or(".mpli") + "/admin-token");
    std::getline(in, token);
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return {};
  return {"Authorization: Bearer " + token};
}

int run_token_command(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "create") return fail("unknown subcommand " + args[0] + " (only: create)");
  gateway::auth::TokenRequest request;
  std::string role, key_file, state_dir;
  std::vector<std::string> tenants;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= args.size()) return fail("missing value after " + flag);
    const std::string& value = args[++i];
    if (flag == "--role") {
      role = value;
    } else if (flag == "--tenant") {
      tenants.push_back(value);
    } else if (flag == "--provider") {
      request.provider = value;
    } else if (flag == "--subject") {
      request.subject = value;
    } else if (flag == "--ttl") {
      auto ttl = parse_ttl(value);
      if (!ttl) return fail("--ttl " + value + ": give a duration such as 90s, 15m, 1h or 30d");
      request.ttl = *ttl;
    } else if (flag == "--key") {
      key_file = value;
    } else if (flag == "--state") {
      state_dir = value;
    } else {
      return fail("unknown option " + flag);
    }
  }
  auto parsed_role = gateway::auth::role_from_name(role);
  if (!parsed_role) return fail("--role must be admin, provider, consumer or marketplace");
  request.role = *parsed_role;
  if (!key_file.empty() && !state_dir.empty()) return fail("give --key or --state, not both");
  if (request.role == gateway::auth::Role::kMarketplace) {
    request.tenants = tenants;
  } else if (tenants.size() > 1) {
    return fail("only a marketplace acts for several tenants");
  } else if (!tenants.empty()) {
    request.tenant = tenants[0];
  }
  if (key_file.empty()) {
    if (state_dir.empty()) {
      state_dir = config::process_environment()("MPLI_STATE_DIR").value_or(".mpli");
    }
    key_file = state_dir + "/hub-signing-key.pem";
  }
  auto key = gateway::auth::load_signing_key(key_file, "--key");
  if (!key) {
    std::cerr << "mpli token create: " << key.status().message()
              << " (`mpli up` creates <state>/hub-signing-key.pem)\n";
    return 1;
  }
  auto token = gateway::auth::mint_token(*key, request, std::chrono::system_clock::now());
  if (!token) return fail(token.status().message());
  std::cerr << "role " << role << ", valid for " << request.ttl.count() << " s\n";
  std::cout << *token << "\n";
  return 0;
}

}  // namespace mpli::cli
