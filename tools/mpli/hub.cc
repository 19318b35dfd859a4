#include "tools/mpli/hub.h"

#include "services/gateway/domain/url.h"
#include "tools/mpli/resolution_table.h"

namespace mpli::cli {

std::vector<OptionSpec> hub_options(bool with_json) {
  std::vector<OptionSpec> options = {
      {"--hub",
       "URL",
       "the hub's gateway (default $MPLI_HUB, else " + std::string(kDefaultHub) + ")",
       {"--gateway"}},
      {"--token-file",
       "FILE",
       "read the bearer token from FILE (default: the token in $MPLI_TOKEN;\n"
       "commands that change things fall back to the admin token `mpli up`\n"
       "wrote, $MPLI_STATE_DIR/admin-token or .mpli/admin-token)",
       {"--admin-token-file"}},
  };
  if (with_json) {
    options.push_back({"--json", "", "print the hub's JSON answer instead of a table"});
  }
  return options;
}

std::string exit_status_help(const std::string& extra) {
  return "exit status: 0 done; 1 the hub refused (its problem on stderr) or found nothing;\n"
         "             2 bad usage or an unreadable file; 3 the hub cannot be reached, timed\n"
         "             out or failed (5xx)" +
         (extra.empty() ? std::string() : ";\n             " + extra) + "\n";
}

std::string hub_url(const ParsedArguments& arguments, const config::Environment& environment) {
  std::string url;
  if (auto given = arguments.value("--hub")) {
    url = *given;
  } else if (auto hub = environment("MPLI_HUB"); hub && !hub->empty()) {
    url = *hub;
  } else if (auto gateway = environment("MPLI_GATEWAY_URL"); gateway && !gateway->empty()) {
    url = *gateway;
  } else {
    url = kDefaultHub;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string state_token_path(const config::Environment& environment) {
  auto state = environment("MPLI_STATE_DIR");
  return (state && !state->empty() ? *state : std::string(".mpli")) + "/admin-token";
}

TokenPlan plan_token(const ParsedArguments& arguments, const config::Environment& environment,
                     TokenUse use, bool state_file_exists) {
  if (auto file = arguments.value("--token-file")) return {TokenSource::kFile, *file};
  if (auto token = environment("MPLI_TOKEN"); token && !token->empty()) {
    return {TokenSource::kEnvironment, ""};
  }
  if (use == TokenUse::kRequired || (use == TokenUse::kPreferred && state_file_exists)) {
    return {TokenSource::kStateFile, state_token_path(environment)};
  }
  return {};
}

int exit_code_for_status(long http_status) {
  if (http_status >= 200 && http_status < 300) return kExitOk;
  if (http_status == 0 || http_status >= 500) return kExitUnavailable;
  return kExitRefused;
}

std::string failure_message(long http_status, const std::string& body, const std::string& hub,
                            bool sent_token) {
  if (http_status == 0) {
    return "cannot reach the hub at " + hub +
           " (is it running? `mpli up` starts one; --hub or MPLI_HUB names another)\n";
  }
  std::string message =
      (http_status >= 500 ? "the hub failed: " : "refused: ") + format_problem(http_status, body);
  if (http_status == 401) {
    message += sent_token ? "  the hub did not accept the token (expired, or from another hub?)\n"
                          : "  this needs a token: --token-file FILE or MPLI_TOKEN (`mpli token "
                            "create`, or the admin token `mpli up` writes)\n";
  }
  return message;
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string query;
  for (const auto& [name, value] : parameters) {
    if (value.empty()) continue;
    query += (query.empty() ? "?" : "&") + gateway::percent_encode(name) + "=" +
             gateway::percent_encode(value);
  }
  return query;
}

}  // namespace mpli::cli
