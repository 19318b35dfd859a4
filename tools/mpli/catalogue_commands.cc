#include "tools/mpli/catalogue_commands.h"

#include <iostream>

#include "services/gateway/domain/url.h"
#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/views.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

// Registration and refresh fetch a manifest and check it: longer than the gateway's
// request.long_timeout (20 s), so its 504 arrives before ours.
constexpr std::chrono::seconds kSlowTimeout{120};

std::vector<OptionSpec> with_hub(std::vector<OptionSpec> options, bool with_json = true) {
  for (auto& option : hub_options(with_json)) options.push_back(std::move(option));
  return options;
}

std::vector<OptionSpec> page_options(const std::string& what) {
  return {{"--limit", "N", what + " per page, 1..500 (default: the hub's, 50)"},
          {"--cursor", "CURSOR", "start at this page (the cursor a previous page printed)"},
          {"--all", "", "follow the cursors and print every page"}};
}

// One page, or with --all every page, of a list answer {"<key>": [...], "next_cursor": ...}.
// Prints it (table or JSON); the exit code.
int list_pages(const HubClient& hub, const ParsedArguments& arguments, const std::string& path,
               std::vector<std::pair<std::string, std::string>> parameters, const std::string& key,
               const std::function<std::string(const json&)>& table) {
  if (auto limit = arguments.value("--limit"); limit && !bounded_number(*limit, 1, 500)) {
    hub.error("--limit must be a number from 1 to 500, not '" + *limit + "'");
    return kExitUsage;
  }
  parameters.emplace_back("limit", arguments.value("--limit").value_or(""));
  bool all = arguments.has("--all");
  std::string cursor = arguments.value("--cursor").value_or("");
  json items = json::array();
  std::string raw;
  for (int page = 0;; ++page) {
    auto query = parameters;
    query.emplace_back("cursor", cursor);
    auto answer = hub.call_json("GET", path + query_string(query));
    if (answer.exit_code != kExitOk) return answer.exit_code;
    raw = answer.raw;
    if (answer.body.contains(key) && answer.body[key].is_array()) {
      for (auto& item : answer.body[key]) items.push_back(std::move(item));
    }
    const json& next = answer.body.contains("next_cursor") ? answer.body["next_cursor"] : json();
    cursor = next.is_string() ? next.get<std::string>() : "";
    if (!all || cursor.empty()) break;
  }
  if (hub.json_output()) {
    if (all) {
      print_line(json{{key, items}, {"next_cursor", nullptr}}.dump(2));
    } else {
      print_line(raw);
    }
  } else if (items.empty()) {
    std::cout << "no " << key << "\n";
  } else {
    std::cout << table(items);
  }
  if (!all && !cursor.empty() && !hub.json_output()) {
    std::cerr << "more " << key << ": add --cursor " << cursor << ", or --all for every page\n";
  }
  return kExitOk;
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

std::string provider_path(const std::string& id) {
  return "/v1/providers/" + gateway::percent_encode(id);
}

// ---- providers --------------------------------------------------------------------------

int providers_list(const ParsedArguments& arguments) {
  auto hub = HubClient::open("providers list", arguments, TokenUse::kIfGiven);
  if (!hub) return kExitUsage;
  return list_pages(*hub, arguments, "/v1/providers", {}, "providers", providers_table);
}

int providers_get(const ParsedArguments& arguments) {
  auto hub = HubClient::open("providers get", arguments, TokenUse::kIfGiven);
  if (!hub) return kExitUsage;
  return print_json_or(*hub, hub->call_json("GET", provider_path(arguments.operands[0])),
                       provider_fields);
}

int providers_register(const ParsedArguments& arguments) {
  const std::string command = "providers register";
  bool by_url = arguments.has("--url");
  bool by_file = arguments.has("--file");
  if (by_url == by_file) {
    std::cerr << "mpli " << command << ": give either --url URL or --file MANIFEST.ttl\n"
              << "Run `mpli " << command << " --help` for the options.\n";
    return kExitUsage;
  }
  std::string body;
  std::string content_type;
  if (by_url) {
    body = json{{"manifest_url", *arguments.value("--url")}}.dump();
    content_type = "application/json";
  } else {
    auto manifest = read_input(*arguments.value("--file"), command);
    if (!manifest) return kExitUsage;
    if (manifest->find_first_not_of(" \t\r\n") == std::string::npos) {
      std::cerr << "mpli " << command << ": " << *arguments.value("--file") << " is empty\n";
      return kExitUsage;
    }
    body = std::move(*manifest);
    content_type = "text/turtle";
  }
  auto hub = HubClient::open(command, arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json("POST", "/v1/providers", body, {"Content-Type: " + content_type},
                               kSlowTimeout);
  return print_json_or(*hub, answer, provider_fields);
}

int providers_refresh(const ParsedArguments& arguments) {
  auto hub = HubClient::open("providers refresh", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json("POST", provider_path(arguments.operands[0]) + "/refresh", "", {},
                               kSlowTimeout);
  return print_json_or(*hub, answer, provider_fields);
}

int providers_delete(const ParsedArguments& arguments) {
  auto hub = HubClient::open("providers delete", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  const std::string& id = arguments.operands[0];
  auto response = hub->call("DELETE", provider_path(id));
  if (response.status < 200 || response.status >= 300) return hub->fail(response);
  if (hub->json_output()) {
    print_line(json{{"deleted", id}}.dump());
  } else {
    std::cout << "deleted provider " << id << "\n";
  }
  return kExitOk;
}

// ---- offerings --------------------------------------------------------------------------

// The filters of GET /v1/offerings: option -> query parameter.
const std::vector<std::pair<std::string, std::string>> kOfferingFilters = {
    {"--kind", "kind"},
    {"--country", "country"},
    {"--region", "region"},
    {"--min-vcpu", "min_vcpu"},
    {"--min-memory-gib", "min_memory_gib"},
    {"--max-price", "max_price"},
    {"--certification", "certification"},
    {"--provider", "provider"},
    {"--q", "q"},
};

int offerings_list(const ParsedArguments& arguments) {
  auto hub = HubClient::open("offerings list", arguments, TokenUse::kIfGiven);
  if (!hub) return kExitUsage;
  std::vector<std::pair<std::string, std::string>> parameters;
  parameters.reserve(kOfferingFilters.size() + 2);  // + limit and cursor
  for (const auto& [option, parameter] : kOfferingFilters) {
    parameters.emplace_back(parameter, arguments.value(option).value_or(""));
  }
  // --property NAME=VALUE: a kind's filterable property (min_NAME=, max_NAME= for numbers).
  for (const std::string& property : arguments.all("--property")) {
    size_t equals = property.find('=');
    if (equals == std::string::npos || equals == 0) {
      hub->error(
          "--property takes NAME=VALUE (e.g. gpuModel=\"NVIDIA H100\" or min_gpuCount=2), "
          "not '" +
          property + "'");
      return kExitUsage;
    }
    parameters.emplace_back(property.substr(0, equals), property.substr(equals + 1));
  }
  return list_pages(*hub, arguments, "/v1/offerings", parameters, "offerings", offerings_table);
}

// One resource shown as fields (or --json), or with --turtle as the Turtle the hub serves.
int show_resource(const std::string& command, const ParsedArguments& arguments,
                  const std::string& path, const std::function<std::string(const json&)>& fields) {
  auto hub = HubClient::open(command, arguments, TokenUse::kIfGiven);
  if (!hub) return kExitUsage;
  if (arguments.has("--turtle")) {
    if (hub->json_output()) {
      hub->error("--turtle and --json exclude each other");
      return kExitUsage;
    }
    auto response = hub->call("GET", path, "", {"Accept: text/turtle"});
    if (response.status != 200) return hub->fail(response);
    print_line(response.body);
    return kExitOk;
  }
  return print_json_or(*hub, hub->call_json("GET", path), fields);
}

int offerings_get(const ParsedArguments& arguments) {
  return show_resource("offerings get", arguments,
                       "/v1/offerings/" + gateway::percent_encode(arguments.operands[0]),
                       offering_fields);
}

// ---- kinds --------------------------------------------------------------------------------

std::string kind_path(const std::string& name) {
  return "/v1/ontologies/" + gateway::percent_encode(name);
}

int kinds_list(const ParsedArguments& arguments) {
  auto hub = HubClient::open("kinds list", arguments, TokenUse::kIfGiven);
  if (!hub) return kExitUsage;
  return print_json_or(*hub, hub->call_json("GET", "/v1/ontologies"),
                       [](const json& body) { return kinds_table(body["kinds"]); });
}

int kinds_show(const ParsedArguments& arguments) {
  return show_resource("kinds show", arguments, kind_path(arguments.operands[0]), kind_fields);
}

int kinds_register(const ParsedArguments& arguments) {
  const std::string command = "kinds register";
  auto vocabulary = read_input(arguments.operands[0], command);
  if (!vocabulary) return kExitUsage;
  auto hub = HubClient::open(command, arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json("POST", "/v1/ontologies", *vocabulary, {"Content-Type: text/turtle"},
                               kSlowTimeout);
  return print_json_or(*hub, answer, [](const json& body) {
    return "kind " + body.value("name", std::string()) + " version " +
           std::to_string(body.value("version", 0)) + ": " + body.value("outcome", std::string()) +
           "; offerings classified at " + std::to_string(body.value("reclassified_providers", 0)) +
           " provider(s)\n" + kind_fields(body);
  });
}

}  // namespace

int run_kinds_command(int argc, char** argv) {
  std::vector<Subcommand> subcommands = {
      {{"kinds list",
        "",
        "Lists the kinds of service the hub knows, built in or registered.\n"
        "With each kind's properties; those marked * filter the catalogue\n"
        "(`mpli offerings list --property NAME=VALUE`). (GET /v1/ontologies)",
        with_hub({}),
        0,
        0,
        {"mpli kinds list", "mpli kinds list --json"}},
       kinds_list},
      {{"kinds show",
        "NAME",
        "Shows one kind: its version, provenance and properties.\n"
        "By its name (GpuInstance) or IRI (GET /v1/ontologies/{name}); --turtle prints its\n"
        "vocabulary instead.",
        with_hub({{"--turtle", "", "print the kind's vocabulary (Turtle) instead"}}),
        1,
        1,
        {"mpli kinds show GpuInstance", "mpli kinds show --turtle ManagedPostgreSQL"}},
       kinds_show},
      {{"kinds register",
        "VOCABULARY.ttl",
        "Registers a kind vocabulary with the hub (admin; POST /v1/ontologies).\n"
        "A new kind or version is created; the same text is unchanged; under the same version\n"
        "only compatible changes (an optional property, a wider range) are taken, a breaking\n"
        "one is refused naming it. Offerings of the kind that were unclassified are checked\n"
        "and classified. docs/service-kinds.md says how to write one.",
        with_hub({}),
        1,
        1,
        {"mpli kinds register ontology/kinds/gpu-instance.ttl"}},
       kinds_register},
  };
  for (auto& sub : subcommands) sub.spec.footer = exit_status_help();
  return run_group("kinds", "The kinds of service a hub knows (docs/service-kinds.md).\n",
                   subcommands, argc, argv, exit_status_help());
}

int run_providers_command(int argc, char** argv) {
  std::vector<Subcommand> subcommands = {
      {{"providers list",
        "",
        "Lists the providers registered with the hub.\nA page at a time (GET /v1/providers).",
        with_hub(page_options("providers")),
        0,
        0,
        {"mpli providers list", "mpli providers list --all --json"}},
       providers_list},
      {{"providers get",
        "ID",
        "Shows one provider: its manifest, status and last fetch.\n(GET /v1/providers/{id})",
        with_hub({}),
        1,
        1,
        {"mpli providers get hexacloud"}},
       providers_get},
      {{"providers register",
        "",
        "Registers a provider by its manifest.\n"
        "The hub fetches it from --url, or takes the Turtle in --file (POST /v1/providers),\n"
        "and prints the provider; registering a known manifest again updates it. Needs an\n"
        "admin token, or the provider's own.",
        with_hub(
            {{"--url", "URL", "the manifest's URL (https, or http where the hub allows it)"},
             {"--file", "FILE", "upload the Turtle manifest in FILE (- reads standard input)"}}),
        0,
        0,
        {"mpli providers register --url https://hexacloud.example/.well-known/mpli.ttl",
         "mpli providers register --file ontology/examples/provider-hexacloud-fr.ttl"}},
       providers_register},
      {{"providers refresh",
        "ID",
        "Fetches the provider's manifest again now.\n"
        "Prints the provider with the outcome (POST /v1/providers/{id}/refresh).",
        with_hub({}),
        1,
        1,
        {"mpli providers refresh hexacloud"}},
       providers_refresh},
      {{"providers delete",
        "ID",
        "Removes the provider and its offerings from the catalogue.\n(DELETE /v1/providers/{id})",
        with_hub({}),
        1,
        1,
        {"mpli providers delete hexacloud"}},
       providers_delete},
  };
  for (auto& sub : subcommands) sub.spec.footer = exit_status_help();
  return run_group("providers", "The providers registered with a hub.\n", subcommands, argc, argv,
                   exit_status_help());
}

int run_offerings_command(int argc, char** argv) {
  std::vector<OptionSpec> filters = {
      {"--kind", "KIND", "offering kind, e.g. ManagedPostgreSQL"},
      {"--country", "CC", "sold in this country (ISO 3166-1 alpha-2, e.g. FR)"},
      {"--region", "REGION", "sold in this region, e.g. fr-par-1"},
      {"--min-vcpu", "N", "at least N vCPUs"},
      {"--min-memory-gib", "GIB", "at least this much memory"},
      {"--max-price", "AMOUNT", "at most this monthly price"},
      {"--certification", "NAME", "holds this certification, e.g. ISO27001"},
      {"--provider", "ID", "offered by this provider"},
      {"--q", "TEXT", "TEXT in the name or description (case-insensitive)"},
      {"--property",
       "NAME=VALUE",
       "a kind's filterable property: NAME=VALUE, min_NAME=N or max_NAME=N (repeatable; "
       "`mpli kinds list` names them)",
       {},
       true},
  };
  for (auto& option : page_options("offerings")) filters.push_back(std::move(option));
  std::vector<Subcommand> subcommands = {
      {{"offerings list",
        "",
        "Lists the offerings matching every filter given.\n"
        "A page at a time (GET /v1/offerings). The last column is the offering's IRI, for\n"
        "`mpli offerings get`.",
        with_hub(filters),
        0,
        0,
        {"mpli offerings list --country FR --min-vcpu 4",
         "mpli offerings list --kind ManagedPostgreSQL --max-price 500 --all --json",
         "mpli offerings list --q \"PostgreSQL S\"",
         "mpli offerings list --kind GpuInstance --property min_gpuCount=2"}},
       offerings_list},
      {{"offerings get",
        "IRI",
        "Shows one offering by its IRI.\n(GET /v1/offerings/{IRI}); --turtle prints its RDF graph "
        "instead.",
        with_hub({{"--turtle", "", "print the offering's Turtle instead"}}),
        1,
        1,
        {"mpli offerings get 'https://hexacloud.example/.well-known/mpli.ttl#pg-small'",
         "mpli offerings get --turtle 'https://hexacloud.example/.well-known/mpli.ttl#pg-small'"}},
       offerings_get},
  };
  for (auto& sub : subcommands) sub.spec.footer = exit_status_help();
  return run_group("offerings", "The hub's catalogue of offerings (public).\n", subcommands, argc,
                   argv, exit_status_help());
}

}  // namespace mpli::cli
