// `mpli credentials submit|verify|list|facts|issue` (also spelt `mpli credential`, its first
// name) and `mpli anchors get|put`, on the shared hub client: the same --hub, --token-file,
// --json, messages and exit codes as every hub command.
#include "tools/mpli/credential_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/table.h"
#include "tools/mpli/views.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

// Trust may fetch a did:web document or a status list: longer than the gateway's
// request.long_timeout (20 s), so its 504 arrives before ours.
constexpr std::chrono::seconds kSlowTimeout{60};

std::vector<OptionSpec> with_hub(std::vector<OptionSpec> options) {
  for (auto& option : hub_options()) options.push_back(std::move(option));
  return options;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

int print_json_or(const HubClient& hub, const HubClient::JsonAnswer& answer,
                  const std::function<std::string(const json&)>& human) {
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub.json_output()) {
    print_line(answer.raw);
  } else {
    std::cout << human(answer.body);
  }
  return kExitOk;
}

int verify_or_submit(const ParsedArguments& arguments, bool keep) {
  const std::string command = keep ? "credentials submit" : "credentials verify";
  const std::string& file = arguments.operands[0];
  auto content = read_input(file, command);
  if (!content) return kExitUsage;
  std::string text = trim(*content);
  json request;
  if (!text.empty() && text.front() == '{') {
    // Already a request body; the options fill in what it leaves out.
    request = json::parse(text, nullptr, false);
    if (!request.is_object()) {
      std::cerr << "mpli " << command << ": " << file << " starts with '{' but is not JSON\n";
      return kExitUsage;
    }
  } else {
    if (text.empty()) {
      std::cerr << "mpli " << command << ": " << file << " is empty\n";
      return kExitUsage;
    }
    request["credential"] = text;
  }
  for (const auto& [option, member] :
       std::vector<std::pair<std::string, std::string>>{{"--media-type", "media_type"},
                                                        {"--expected-subject", "expected_subject"},
                                                        {"--nonce", "nonce"},
                                                        {"--audience", "audience"}}) {
    if (auto value = arguments.value(option)) request[member] = *value;
  }
  auto hub = HubClient::open(command, arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json("POST", keep ? "/v1/credentials" : "/v1/credentials/verify",
                               request.dump(), {"Content-Type: application/json"}, kSlowTimeout);
  return print_json_or(*hub, answer, credential_fields);
}

int list_credentials(const ParsedArguments& arguments) {
  auto hub = HubClient::open("credentials list", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  if (auto limit = arguments.value("--limit"); limit && !bounded_number(*limit, 1, 500)) {
    hub->error("--limit must be a number from 1 to 500, not '" + *limit + "'");
    return kExitUsage;
  }
  auto answer =
      hub->call_json("GET", "/v1/credentials" +
                                query_string({{"subject", *arguments.value("--subject")},
                                              {"limit", arguments.value("--limit").value_or("")}}));
  return print_json_or(*hub, answer, [](const json& body) {
    if (!body.contains("credentials") || body["credentials"].empty()) {
      return std::string("no credentials\n");
    }
    return credentials_table(body["credentials"]);
  });
}

int list_facts(const ParsedArguments& arguments) {
  auto hub = HubClient::open("credentials facts", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json(
      "GET", "/v1/facts" + query_string({{"subject", *arguments.value("--subject")}}));
  return print_json_or(*hub, answer, [](const json& body) {
    if (!body.contains("facts") || body["facts"].empty()) return std::string("no verified facts\n");
    return facts_table(body["facts"]);
  });
}

int issue(const ParsedArguments& arguments) {
  const std::string command = "credentials issue";
  const std::string& file = arguments.operands[0];
  auto credential = read_input(file, command);
  if (!credential) return kExitUsage;
  if (!json::parse(*credential, nullptr, false).is_object()) {
    std::cerr << "mpli " << command << ": " << file << " is not a JSON object\n";
    return kExitUsage;
  }
  auto hub = HubClient::open(command, arguments, TokenUse::kRequired);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json(
      "POST",
      "/v1/credentials/issue" +
          query_string({{"valid_until", arguments.value("--valid-until").value_or("")}}),
      *credential, {"Content-Type: application/json"});
  return print_json_or(*hub, answer,
                       [](const json& body) { return body.value("credential", "") + "\n"; });
}

std::string anchors_text(const json& body) {
  std::string out;
  if (body.contains("credentials_reevaluated")) {
    out += "credentials re-evaluated: " + body["credentials_reevaluated"].dump() +
           ", facts gained: " + body.value("facts_gained", json(0)).dump() +
           ", facts lost: " + body.value("facts_lost", json(0)).dump() + "\n";
  }
  out += "version " + (body.contains("version") ? body["version"].dump() : std::string("-")) + "\n";
  std::vector<std::vector<std::string>> rows;
  if (body.contains("anchors") && body["anchors"].is_array()) {
    for (const json& anchor : body["anchors"]) {
      std::string issuers;
      for (const json& issuer : anchor.value("issuers", json::array())) {
        if (issuer.is_string()) issuers += (issuers.empty() ? "" : ",") + issuer.get<std::string>();
      }
      rows.push_back({compact_iri(anchor.value("credential_type", "")), issuers,
                      std::to_string(anchor.value("root_certificates", json::array()).size()),
                      anchor.value("label", "")});
    }
  }
  if (rows.empty()) return out + "no trust anchors\n";
  return out +
         render_table({{"CREDENTIAL TYPE", 40}, {"ISSUERS", 60}, {"ROOTS", 5, true}, {"LABEL", 32}},
                      rows);
}

int get_anchors(const ParsedArguments& arguments) {
  auto hub = HubClient::open("anchors get", arguments, TokenUse::kRequired);
  if (!hub) return kExitUsage;
  return print_json_or(*hub, hub->call_json("GET", "/v1/trust/anchors"), anchors_text);
}

int put_anchors(const ParsedArguments& arguments) {
  const std::string command = "anchors put";
  const std::string& file = arguments.operands[0];
  auto anchors = read_input(file, command);
  if (!anchors) return kExitUsage;
  if (!json::parse(*anchors, nullptr, false).is_object()) {
    std::cerr << "mpli " << command << ": " << file
              << " is not a JSON object {\"anchors\": [...]}\n";
    return kExitUsage;
  }
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (auto version = arguments.value("--expected-version")) {
    if (version->find_first_not_of("0123456789") != std::string::npos) {
      std::cerr << "mpli " << command << ": --expected-version must be a number\n";
      return kExitUsage;
    }
    headers.push_back("If-Match: \"" + *version + "\"");
  }
  auto hub = HubClient::open(command, arguments, TokenUse::kRequired);
  if (!hub) return kExitUsage;
  return print_json_or(*hub,
                       hub->call_json("PUT", "/v1/trust/anchors", *anchors, headers, kSlowTimeout),
                       anchors_text);
}

const char* kCredentialFileHelp =
    "FILE holds the token (compact JWS or SD-JWT), or a JSON request {\"credential\": ...};\n"
    "- reads standard input.";

}  // namespace

int run_credential_command(int argc, char** argv) {
  std::vector<OptionSpec> check_options = {
      {"--media-type", "T",
       "vc+jwt, vc+ld+json+jwt, dc+sd-jwt, ... (default: trust reads the\ntoken's own typ)"},
      {"--expected-subject", "IRI", "the credential must be about this subject"},
      {"--nonce", "N", "SD-JWT key binding: the expected nonce"},
      {"--audience", "A", "SD-JWT key binding: the expected audience"},
  };
  std::vector<Subcommand> subcommands = {
      {{"credentials submit",
        "FILE",
        "Verifies the credential in FILE and keeps it, so its facts count.\n(POST "
        "/v1/credentials) " +
            std::string(kCredentialFileHelp),
        with_hub(check_options),
        1,
        1,
        {"mpli credentials submit iso27001.jwt"}},
       [](const ParsedArguments& a) { return verify_or_submit(a, true); }},
      {{"credentials verify",
        "FILE",
        "Verifies the credential in FILE and prints the verdict; keeps nothing.\n"
        "(POST /v1/credentials/verify) " +
            std::string(kCredentialFileHelp),
        with_hub(check_options),
        1,
        1,
        {"mpli credentials verify --expected-subject did:web:hexacloud.example iso27001.jwt"}},
       [](const ParsedArguments& a) { return verify_or_submit(a, false); }},
      {{"credentials list",
        "",
        "Lists the credentials the hub keeps about a subject.\n(GET /v1/credentials)",
        with_hub({{"--subject", "IRI", "the subject (required)"},
                  {"--limit", "N", "at most N, 1..500 (default 100)"}}),
        0,
        0,
        {"mpli credentials list --subject "
         "https://hexacloud.example/.well-known/mpli.ttl#provider"}},
       list_credentials},
      {{"credentials facts",
        "",
        "Lists the verified facts about a subject: what its credentials prove.\n(GET /v1/facts)",
        with_hub({{"--subject", "IRI", "the subject (required)"}}),
        0,
        0,
        {"mpli credentials facts --subject "
         "https://hexacloud.example/.well-known/mpli.ttl#provider"}},
       list_facts},
      {{"credentials issue",
        "FILE.json",
        "The hub signs the credential in FILE.json and prints the token (admin).\n"
        "FILE.json is a VC 2.0 credential without issuer or proof (POST /v1/credentials/issue).",
        with_hub({{"--valid-until", "T", "end of validity, RFC 3339 (2027-01-31T00:00:00Z)"}}),
        1,
        1,
        {"mpli credentials issue --valid-until 2027-01-31T00:00:00Z credential.json > c.jwt"}},
       issue},
  };
  for (auto& sub : subcommands) {
    sub.spec.footer = exit_status_help();
    if (sub.spec.name == "credentials list" || sub.spec.name == "credentials facts") {
      sub.run = [run = sub.run, name = sub.spec.name](const ParsedArguments& a) {
        if (!a.has("--subject")) {
          std::cerr << "mpli " << name << ": --subject IRI is required\n";
          return kExitUsage;
        }
        return run(a);
      };
    }
  }
  return run_group("credentials",
                   "Verifiable credentials and the facts they prove. `mpli credential` is the\n"
                   "same command.\n",
                   subcommands, argc, argv, exit_status_help());
}

int run_anchors_command(int argc, char** argv) {
  std::vector<Subcommand> subcommands = {
      {{"anchors get",
        "",
        "Prints the hub's trust anchors and their version (admin).",
        with_hub({}),
        0,
        0,
        {"mpli anchors get --json > anchors.json"}},
       get_anchors},
      {{"anchors put",
        "FILE.json",
        "Replaces the trust anchors with FILE.json and prints the result (admin).\n"
        "FILE.json: {\"anchors\": [{\"credential_type\", \"issuers\", \"root_certificates\",\n"
        "\"label\"}], \"expected_version\": N}.",
        with_hub({{"--expected-version", "N",
                   "refuse the change if someone else changed them since version N"}}),
        1,
        1,
        {"mpli anchors put --expected-version 3 anchors.json"}},
       put_anchors},
  };
  for (auto& sub : subcommands) sub.spec.footer = exit_status_help();
  return run_group("anchors", "The issuers and root certificates a hub trusts (admin).\n",
                   subcommands, argc, argv, exit_status_help());
}

}  // namespace mpli::cli
