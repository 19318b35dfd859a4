// `mpli resolve` on the shared hub client: the common options, messages and exit codes, plus
// kExitUnsatisfiable when the hub answered but nothing satisfies the manifest.
#include "tools/mpli/resolve_command.h"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/resolution_table.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

// Longer than the gateway's request.resolve_timeout (30 s), so its 504 arrives before ours.
constexpr std::chrono::seconds kHttpTimeout{120};
constexpr const char* kCommand = "resolve";

CommandSpec resolve_spec() {
  std::vector<OptionSpec> options = {
      {"--credential",
       "FILE",
       "a credential about the consumer (FILE holds the token: compact JWS,\n"
       "SD-JWT or base64 COSE), verified by the hub before resolving; repeat\n"
       "for several",
       {},
       true},
      {"--top", "N", "answers to return, 1..100 (default 10)"},
  };
  for (auto& option : hub_options()) options.push_back(std::move(option));
  return {
      "resolve",
      "MANIFEST.ttl",
      "Resolves the consumer manifest in MANIFEST.ttl (Turtle; - reads standard input) against\n"
      "the hub's catalogue and verified facts (POST /v1/resolutions) and prints the resolution:\n"
      "its id, currency and answers (rank, score, monthly price, and for each requirement the\n"
      "offering chosen, its provider and region); when nothing satisfies the manifest, why:\n"
      "the diagnosis, the nearest misses and the providers that refuse the consumer. Lint\n"
      "warnings about the manifest come last. The resolution is kept for your tenant.",
      options,
      1,
      1,
      {"mpli resolve ontology/examples/consumer-web-shop.ttl",
       "mpli resolve --top 3 --credential kyb.jwt --json manifest.ttl"},
      exit_status_help("4 resolved, but nothing satisfies the manifest (the reasons printed)")};
}

void fail(const std::string& message) { std::cerr << "mpli resolve: " << message << "\n"; }

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// The request: the manifest itself as text/turtle, or JSON when credentials go with it.
struct Request {
  std::string path;
  std::string body;
  std::string content_type;
};

std::optional<Request> build_request(const ParsedArguments& arguments) {
  std::optional<int> top;
  if (auto text = arguments.value("--top")) {
    top = bounded_number(*text, 1, 100);
    if (!top) {
      fail("--top must be a number from 1 to 100, not '" + *text + "'");
      return std::nullopt;
    }
  }
  const std::string& manifest_path = arguments.operands[0];
  auto manifest = read_input(manifest_path, kCommand);
  if (!manifest) return std::nullopt;
  if (trim(*manifest).empty()) {
    fail(manifest_path + " is empty");
    return std::nullopt;
  }
  Request request;
  request.path = "/v1/resolutions";
  std::vector<std::string> credential_paths = arguments.all("--credential");
  if (credential_paths.empty()) {
    request.body = *manifest;
    request.content_type = "text/turtle";
    if (top) request.path += "?top_k=" + std::to_string(*top);
    return request;
  }
  json body = {{"manifest", *manifest}, {"credentials", json::array()}};
  for (const std::string& path : credential_paths) {
    auto token = read_input(path, kCommand);
    if (!token) return std::nullopt;
    if (trim(*token).empty()) {
      fail("the credential file " + path + " is empty");
      return std::nullopt;
    }
    body["credentials"].push_back({{"token", trim(*token)}});
  }
  if (top) body["top_k"] = *top;
  request.body = body.dump();
  request.content_type = "application/json";
  return request;
}

int resolve(const ParsedArguments& arguments) {
  auto request = build_request(arguments);
  if (!request) return kExitUsage;
  auto hub = HubClient::open(kCommand, arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto answer = hub->call_json("POST", request->path, request->body,
                               {"Content-Type: " + request->content_type}, kHttpTimeout);
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (!answer.body.is_object()) {
    hub->error("the hub answered without a JSON resolution");
    return kExitUnavailable;
  }
  if (hub->json_output()) {
    print_line(answer.raw);
  } else {
    std::cout << format_resolution(answer.body);
  }
  bool satisfiable = answer.body.contains("satisfiable") && answer.body["satisfiable"] == true;
  return satisfiable ? kExitOk : kExitUnsatisfiable;
}

}  // namespace

int run_resolve_command(int argc, char** argv) {
  return run_single(resolve_spec(), resolve, argc, argv);
}

}  // namespace mpli::cli
