// Exit 0 when the manifest is satisfiable, 1 when it is not (the diagnosis is printed), 2 on bad
// usage, an unreadable file, an unreachable gateway or a refusal (the problem on stderr).
#include "tools/mpli/resolve_command.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "libs/core/config.h"
#include "libs/http/client.h"
#include "tools/mpli/resolution_table.h"
#include "tools/mpli/token_command.h"

namespace mpli::cli {
namespace {
// A resolution belongs to the tenant of the token sent ($MPLI_TOKEN, else `mpli up`'s admin token).
std::vector<std::string> with_bearer(std::vector<std::string> headers) {
  for (auto& header : bearer_from_environment()) headers.push_back(std::move(header));
  return headers;
}
}  // namespace

namespace {

using nlohmann::json;

constexpr int kExitSatisfiable = 0;
constexpr int kExitUnsatisfiable = 1;
constexpr int kExitError = 2;

// Longer than the gateway's request.resolve_timeout (30 s), so its 504 arrives before ours.
constexpr std::chrono::seconds kHttpTimeout{120};

constexpr const char* kUsage =
    "usage: mpli resolve MANIFEST.ttl [--gateway URL] [--credential FILE]... [--top N] [--json]\n"
    "  Resolves the consumer manifest in MANIFEST.ttl (Turtle; - reads standard input) against\n"
    "  the hub's catalogue and verified facts (POST /v1/resolutions) and prints the resolution:\n"
    "  its id, currency and answers (rank, score, monthly price, and for each requirement the\n"
    "  offering chosen, its provider and region); when nothing satisfies the manifest, why:\n"
    "  the diagnosis, the nearest misses and the providers that refuse the consumer. Lint\n"
    "  warnings about the manifest come last.\n"
    "  --gateway URL      the hub's gateway (default $MPLI_GATEWAY_URL, else\n"
    "                     http://127.0.0.1:8080)\n"
    "  --credential FILE  a credential about the consumer (FILE holds the token: compact JWS,\n"
    "                     SD-JWT or base64 COSE), verified by the hub before resolving; repeat\n"
    "                     for several\n"
    "  --top N            answers to return, 1..100 (default 10)\n"
    "  --json             print the resolution as the gateway's JSON\n"
    "exit status: 0 satisfiable, 1 not satisfiable (the reasons printed), 2 bad usage, an\n"
    "             unreadable file, or the gateway refused or cannot be reached (its problem on\n"
    "             stderr)\n";

struct Options {
  std::string manifest_path;
  std::string gateway;
  std::vector<std::string> credential_paths;
  std::optional<int> top;
  bool json = false;
  bool help = false;
};

void fail(const std::string& message) { std::cerr << "mpli resolve: " << message << "\n"; }

std::optional<int> top_value(const std::string& text) {
  if (text.empty() || text.size() > 3 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int n = std::stoi(text);
  if (n < 1 || n > 100) return std::nullopt;
  return n;
}

// nullopt after saying what is wrong.
std::optional<Options> parse(int argc, char** argv) {
  Options options;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      options.help = true;
      continue;
    }
    if (arg == "--json") {
      options.json = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      files.push_back(arg);  // including "-": standard input
      continue;
    }
    std::string name = arg;
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (name != "--gateway" && name != "--credential" && name != "--top") {
      fail("unknown option '" + name + "'");
      return std::nullopt;
    }
    if (!inline_value) {
      if (i + 1 >= argc) {
        fail(name + " needs a value");
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (value.empty()) {
      fail(name + " is empty");
      return std::nullopt;
    }
    if (name == "--gateway") {
      options.gateway = value;
    } else if (name == "--credential") {
      options.credential_paths.push_back(value);
    } else {
      options.top = top_value(value);
      if (!options.top) {
        fail("--top must be a number from 1 to 100, not '" + value + "'");
        return std::nullopt;
      }
    }
  }
  if (options.help) return options;
  if (files.size() != 1) {
    fail(files.empty() ? "missing MANIFEST.ttl" : "one MANIFEST.ttl only");
    return std::nullopt;
  }
  options.manifest_path = files.front();
  return options;
}

std::string gateway_url(const Options& options) {
  auto environment = config::process_environment();
  std::string url = options.gateway.empty()
                        ? environment("MPLI_GATEWAY_URL").value_or("http://127.0.0.1:8080")
                        : options.gateway;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::optional<std::string> read_file(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail("cannot read " + path);
    return std::nullopt;
  }
  text << in.rdbuf();
  if (in.bad()) {
    fail("cannot read " + path + " (is it a directory?)");
    return std::nullopt;
  }
  return text.str();
}

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

std::optional<Request> build_request(const Options& options) {
  auto manifest = read_file(options.manifest_path);
  if (!manifest) return std::nullopt;
  if (trim(*manifest).empty()) {
    fail(options.manifest_path + " is empty");
    return std::nullopt;
  }
  Request request;
  request.path = "/v1/resolutions";
  if (options.credential_paths.empty()) {
    request.body = *manifest;
    request.content_type = "text/turtle";
    if (options.top) request.path += "?top_k=" + std::to_string(*options.top);
    return request;
  }
  json body = {{"manifest", *manifest}, {"credentials", json::array()}};
  for (const std::string& path : options.credential_paths) {
    auto token = read_file(path);
    if (!token) return std::nullopt;
    if (trim(*token).empty()) {
      fail("the credential file " + path + " is empty");
      return std::nullopt;
    }
    body["credentials"].push_back({{"token", trim(*token)}});
  }
  if (options.top) body["top_k"] = *options.top;
  request.body = body.dump();
  request.content_type = "application/json";
  return request;
}

}  // namespace

int run_resolve_command(int argc, char** argv) {
  auto options = parse(argc, argv);
  if (!options) {
    std::cerr << "Run `mpli resolve --help` for the options.\n";
    return kExitError;
  }
  if (options->help) {
    std::cout << kUsage;
    return kExitSatisfiable;
  }
  auto request = build_request(*options);
  if (!request) return kExitError;
  std::string base = gateway_url(*options);
  auto response = http::request(
      "POST", base + request->path, request->body,
      with_bearer({"Content-Type: " + request->content_type, "Accept: application/json"}),
      kHttpTimeout);
  if (response.status == 0) {
    fail("cannot reach the gateway at " + base +
         " (is the hub running? `mpli up` starts one; --gateway names another)");
    return kExitError;
  }
  if (response.status < 200 || response.status >= 300) {
    std::cerr << "mpli resolve: refused: " << format_problem(response.status, response.body);
    return kExitError;
  }
  json resolution = json::parse(response.body, nullptr, false);
  if (!resolution.is_object()) {
    fail("the gateway answered HTTP " + std::to_string(response.status) +
         " without a JSON resolution");
    return kExitError;
  }
  if (options->json) {
    std::cout << response.body;
    if (response.body.empty() || response.body.back() != '\n') std::cout << "\n";
  } else {
    std::cout << format_resolution(resolution);
  }
  bool satisfiable = resolution.contains("satisfiable") && resolution["satisfiable"] == true;
  return satisfiable ? kExitSatisfiable : kExitUnsatisfiable;
}

}  // namespace mpli::cli
