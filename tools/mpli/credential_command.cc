// The gateway answers problem+json on refusal; these commands print its title, reason and
// detail on stderr and exit 1, so scripts can tell "the hub said no" (1) from "you asked wrong"
// (2). The admin token is sent, never printed.
#include "tools/mpli/credential_command.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "libs/core/config.h"
#include "libs/http/client.h"
#include "tools/mpli/token_command.h"

namespace mpli::cli {
namespace {
// Verifying and submitting need a token: $MPLI_TOKEN, else `mpli up`'s admin token.
std::vector<std::string> with_bearer(std::vector<std::string> headers) {
  for (auto& header : bearer_from_environment()) headers.push_back(std::move(header));
  return headers;
}
}  // namespace

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;  // the gateway said no, or could not be reached
constexpr int kExitUsage = 2;    // bad arguments, unreadable files

constexpr const char* kCredentialUsage =
    "usage: mpli credential issue  [--gateway URL] [--admin-token-file FILE] [--valid-until T] "
    "FILE.json\n"
    "       mpli credential verify [--gateway URL] [OPTION...] FILE\n"
    "       mpli credential submit [--gateway URL] [OPTION...] FILE\n"
    "  issue   the hub signs the credential in FILE.json (a VC 2.0 credential without issuer\n"
    "          or proof) and prints the token (admin; POST /v1/credentials/issue)\n"
    "  verify  verifies the credential in FILE and prints the verdict as JSON, keeps nothing\n"
    "          (POST /v1/credentials/verify)\n"
    "  submit  verifies and keeps it, so its facts count (POST /v1/credentials)\n"
    "  FILE holds the token (compact JWS or SD-JWT), or a JSON request {\"credential\": ...};\n"
    "  - reads standard input.\n"
    "  --gateway URL            the hub's gateway (default $MPLI_GATEWAY_URL, else\n"
    "                           http://127.0.0.1:8080)\n"
    "  --admin-token-file FILE  the admin token (default $MPLI_STATE_DIR/admin-token, else\n"
    "                           .mpli/admin-token: where `mpli up` writes it)\n"
    "  --valid-until T          issue: end of validity, RFC 3339 (2027-01-31T00:00:00Z)\n"
    "  --media-type T           verify/submit: vc+jwt, vc+ld+json+jwt, dc+sd-jwt, ... (default:\n"
    "                           trust reads the token's own typ)\n"
    "  --expected-subject IRI   verify/submit: the credential must be about this subject\n"
    "  --nonce N, --audience A  verify/submit: SD-JWT key binding\n"
    "exit status: 0 done, 1 the gateway refused (its problem on stderr) or cannot be reached,\n"
    "             2 bad usage or an unreadable file\n";

constexpr const char* kAnchorsUsage =
    "usage: mpli anchors get [--gateway URL] [--admin-token-file FILE]\n"
    "       mpli anchors put [--gateway URL] [--admin-token-file FILE] [--expected-version N] "
    "FILE.json\n"
    "  get  prints the hub's trust anchors and their version as JSON (admin)\n"
    "  put  replaces them with FILE.json, {\"anchors\": [{\"credential_type\", \"issuers\",\n"
    "       \"root_certificates\", \"label\"}], \"expected_version\": N}, and prints the result\n"
    "       (admin); --expected-version N refuses the change if someone else changed them first\n"
    "  --gateway URL            the hub's gateway (default $MPLI_GATEWAY_URL, else\n"
    "                           http://127.0.0.1:8080)\n"
    "  --admin-token-file FILE  the admin token (default $MPLI_STATE_DIR/admin-token, else\n"
    "                           .mpli/admin-token: where `mpli up` writes it)\n"
    "exit status: 0 done, 1 the gateway refused (its problem on stderr) or cannot be reached,\n"
    "             2 bad usage or an unreadable file\n";

bool is_help(const std::string& arg) { return arg == "-h" || arg == "--help" || arg == "help"; }

struct Arguments {
  std::string subcommand;
  std::map<std::string, std::string> options;  // "--gateway" -> URL
  std::vector<std::string> files;
  bool help = false;
};

// Options all take a value; anything not starting with "--" is a file ("-" is stdin).
std::optional<Arguments> parse_arguments(int argc, char** argv,
                                         const std::vector<std::string>& known,
                                         const std::string& command) {
  Arguments arguments;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(arg)) {
      arguments.help = true;
    } else if (arg.rfind("--", 0) == 0) {
      std::string name = arg;
      std::string value;
      bool inline_value = false;
      if (auto eq = arg.find('='); eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        inline_value = true;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::cerr << "mpli " << command << ": unknown option '" << name << "'\n";
        return std::nullopt;
      }
      if (!inline_value) {
        if (i + 1 >= argc) {
          std::cerr << "mpli " << command << ": " << name << " needs a value\n";
          return std::nullopt;
        }
        value = argv[++i];
      }
      if (value.empty()) {
        std::cerr << "mpli " << command << ": " << name << " is empty\n";
        return std::nullopt;
      }
      arguments.options[name] = value;
    } else if (arguments.subcommand.empty()) {
      arguments.subcommand = arg;
    } else {
      arguments.files.push_back(arg);
    }
  }
  return arguments;
}

std::string option_or(const Arguments& arguments, const std::string& name,
                      const std::string& fallback) {
  auto it = arguments.options.find(name);
  return it == arguments.options.end() ? fallback : it->second;
}

std::string gateway_url(const Arguments& arguments) {
  auto environment = config::process_environment();
  std::string fallback = environment("MPLI_GATEWAY_URL").value_or("http://127.0.0.1:8080");
  std::string url = option_or(arguments, "--gateway", fallback);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::optional<std::string> read_input(const std::string& path, const std::string& command) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "mpli " << command << ": cannot read " << path << "\n";
    return std::nullopt;
  }
  text << in.rdbuf();
  if (in.bad()) {
    std::cerr << "mpli " << command << ": cannot read " << path << " (is it a directory?)\n";
    return std::nullopt;
  }
  return text.str();
}

// The admin token, read from its file; the error names the file and never the token.
std::optional<std::string> admin_token(const Arguments& arguments, const std::string& command) {
  auto environment = config::process_environment();
  std::string state_dir = environment("MPLI_STATE_DIR").value_or(".mpli");
  std::string path = option_or(arguments, "--admin-token-file", state_dir + "/admin-token");
  std::ifstream in(path);
  if (!in) {
    std::cerr << "mpli " << command << ": cannot read the admin token file " << path
              << " (give it with --admin-token-file; `mpli up` writes <state>/admin-token)\n";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string token = trim(text.str());
  if (token.empty()) {
    std::cerr << "mpli " << command << ": the admin token file " << path << " is empty\n";
    return std::nullopt;
  }
  return token;
}

std::string percent_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

// Prints a successful answer (as `print` says) or why there is none; the exit code.
int report(const http::Response& response, const std::string& url, const std::string& command,
           const std::function<void(const json&)>& print) {
  if (response.status == 0) {
    std::cerr << "mpli " << command << ": cannot reach the gateway at " << url
              << " (is the hub running? `mpli up` starts one; --gateway names another)\n";
    return kExitRefused;
  }
  json body = json::parse(response.body, nullptr, false);
  if (response.status >= 200 && response.status < 300 && !body.is_discarded()) {
    print(body);
    return kExitOk;
  }
  std::string message = "HTTP " + std::to_string(response.status);
  if (body.is_object()) {
    auto text = [&](const char* key) {
      return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
    };
    if (!text("title").empty()) message += " " + text("title");
    if (!text("reason").empty()) message += " (" + text("reason") + ")";
    if (!text("field").empty()) message += " [" + text("field") + "]";
    if (!text("detail").empty()) message += ": " + text("detail");
  } else if (!response.body.empty()) {
    message += ": " + response.body.substr(0, 500);
  }
  std::cerr << "mpli " << command << ": refused: " << message << "\n";
  return kExitRefused;
}

void print_json(const json& body) { std::cout << body.dump(2) << "\n"; }

std::optional<std::string> one_file(const Arguments& arguments, const std::string& command,
                                    const std::string& what) {
  if (arguments.files.size() != 1) {
    std::cerr << "mpli " << command << ": "
              << (arguments.files.empty() ? "missing " + what : "one " + what + " only") << "\n";
    return std::nullopt;
  }
  return arguments.files.front();
}

int issue(const Arguments& arguments) {
  const std::string command = "credential issue";
  auto file = one_file(arguments, command, "FILE.json (the credential to sign)");
  if (!file) return kExitUsage;
  auto credential = read_input(*file, command);
  if (!credential) return kExitUsage;
  if (!json::parse(*credential, nullptr, false).is_object()) {
    std::cerr << "mpli " << command << ": " << *file << " is not a JSON object\n";
    return kExitUsage;
  }
  auto token = admin_token(arguments, command);
  if (!token) return kExitUsage;
  std::string base = gateway_url(arguments);
  std::string url = base + "/v1/credentials/issue";
  if (arguments.options.count("--valid-until")) {
    url += "?valid_until=" + percent_encode(arguments.options.at("--valid-until"));
  }
  auto response = http::request("POST", url, *credential,
                                {"Content-Type: application/json", "Accept: application/json",
                                 "Authorization: Bearer " + *token});
  return report(response, base, command,
                [](const json& body) { std::cout << body.value("credential", "") << "\n"; });
}

int verify_or_submit(const Arguments& arguments, bool keep) {
  const std::string command = keep ? "credential submit" : "credential verify";
  auto file = one_file(arguments, command, "FILE (the credential token)");
  if (!file) return kExitUsage;
  auto content = read_input(*file, command);
  if (!content) return kExitUsage;
  std::string text = trim(*content);
  json request;
  if (!text.empty() && text.front() == '{') {
    // Already a request body; the options fill in what it leaves out.
    request = json::parse(text, nullptr, false);
    if (!request.is_object()) {
      std::cerr << "mpli " << command << ": " << *file << " starts with '{' but is not JSON\n";
      return kExitUsage;
    }
  } else {
    if (text.empty()) {
      std::cerr << "mpli " << command << ": " << *file << " is empty\n";
      return kExitUsage;
    }
    request["credential"] = text;
  }
  for (const auto& [option, member] :
       std::vector<std::pair<std::string, std::string>>{{"--media-type", "media_type"},
                                                        {"--expected-subject", "expected_subject"},
                                                        {"--nonce", "nonce"},
                                                        {"--audience", "audience"}}) {
    if (arguments.options.count(option)) request[member] = arguments.options.at(option);
  }
  std::string base = gateway_url(arguments);
  auto response = http::request(
      "POST", base + (keep ? "/v1/credentials" : "/v1/credentials/verify"), request.dump(),
      with_bearer({"Content-Type: application/json", "Accept: application/json"}),
      std::chrono::seconds(60));
  return report(response, base, command, print_json);
}

int get_anchors(const Arguments& arguments) {
  const std::string command = "anchors get";
  if (!arguments.files.empty()) {
    std::cerr << "mpli " << command << ": takes no file\n";
    return kExitUsage;
  }
  auto token = admin_token(arguments, command);
  if (!token) return kExitUsage;
  std::string base = gateway_url(arguments);
  auto response = http::request("GET", base + "/v1/trust/anchors", "",
                                {"Accept: application/json", "Authorization: Bearer " + *token});
  return report(response, base, command, print_json);
}

int put_anchors(const Arguments& arguments) {
  const std::string command = "anchors put";
  auto file = one_file(arguments, command, "FILE.json (the trust anchors)");
  if (!file) return kExitUsage;
  auto anchors = read_input(*file, command);
  if (!anchors) return kExitUsage;
  if (!json::parse(*anchors, nullptr, false).is_object()) {
    std::cerr << "mpli " << command << ": " << *file
              << " is not a JSON object {\"anchors\": [...]}\n";
    return kExitUsage;
  }
  auto token = admin_token(arguments, command);
  if (!token) return kExitUsage;
  std::vector<std::string> headers = {"Content-Type: application/json", "Accept: application/json",
                                      "Authorization: Bearer " + *token};
  if (arguments.options.count("--expected-version")) {
    const std::string& version = arguments.options.at("--expected-version");
    if (version.find_first_not_of("0123456789") != std::string::npos) {
      std::cerr << "mpli " << command << ": --expected-version must be a number\n";
      return kExitUsage;
    }
    headers.push_back("If-Match: \"" + version + "\"");
  }
  std::string base = gateway_url(arguments);
  auto response =
      http::request("PUT", base + "/v1/trust/anchors", *anchors, headers, std::chrono::seconds(60));
  return report(response, base, command, print_json);
}

}  // namespace

int run_credential_command(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv,
                                   {"--gateway", "--admin-token-file", "--valid-until",
                                    "--media-type", "--expected-subject", "--nonce", "--audience"},
                                   "credential");
  if (!arguments) {
    std::cerr << "Run `mpli credential --help` for the options.\n";
    return kExitUsage;
  }
  if (arguments->help) {
    std::cout << kCredentialUsage;
    return kExitOk;
  }
  const std::string& sub = arguments->subcommand;
  bool issuing = sub == "issue";
  if (issuing &&
      (arguments->options.count("--media-type") || arguments->options.count("--expected-subject") ||
       arguments->options.count("--nonce") || arguments->options.count("--audience"))) {
    std::cerr << "mpli credential issue: --media-type, --expected-subject, --nonce and "
                 "--audience are for verify and submit\n";
    return kExitUsage;
  }
  if (!issuing && (arguments->options.count("--valid-until") ||
                   arguments->options.count("--admin-token-file"))) {
    std::cerr << "mpli credential " << sub << ": --valid-until and --admin-token-file are for "
              << "issue\n";
    return kExitUsage;
  }
  if (issuing) return issue(*arguments);
  if (sub == "verify") return verify_or_submit(*arguments, false);
  if (sub == "submit") return verify_or_submit(*arguments, true);
  if (sub.empty()) {
    std::cerr << "mpli credential: missing a command (issue, verify or submit)\n";
  } else {
    std::cerr << "mpli credential: unknown command '" << sub << "'\n";
  }
  std::cerr << kCredentialUsage;
  return kExitUsage;
}

int run_anchors_command(int argc, char** argv) {
  auto arguments = parse_arguments(
      argc, argv, {"--gateway", "--admin-token-file", "--expected-version"}, "anchors");
  if (!arguments) {
    std::cerr << "Run `mpli anchors --help` for the options.\n";
    return kExitUsage;
  }
  if (arguments->help) {
    std::cout << kAnchorsUsage;
    return kExitOk;
  }
  const std::string& sub = arguments->subcommand;
  if (sub == "get") {
    if (arguments->options.count("--expected-version")) {
      std::cerr << "mpli anchors get: --expected-version is for put\n";
      return kExitUsage;
    }
    return get_anchors(*arguments);
  }
  if (sub == "put") return put_anchors(*arguments);
  if (sub.empty()) {
    std::cerr << "mpli anchors: missing a command (get or put)\n";
  } else {
    std::cerr << "mpli anchors: unknown command '" << sub << "'\n";
  }
  std::cerr << kAnchorsUsage;
  return kExitUsage;
}

}  // namespace mpli::cli
