// What every hub command of `mpli` shares, as plain code: the common options (--hub,
// --token-file, --json), where the hub and the token come from, the exit codes, the message for
// an answer that is not a success, and query strings. No I/O (the environment is passed in).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "libs/core/config.h"
#include "tools/mpli/options.h"

namespace mpli::cli {

// The exit codes of every hub command (docs/cli.md). Scripts can tell "the hub said no" from
// "you asked wrong" from "try again later".
constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;  // the hub answered 4xx: refused, not found, unauthorised
constexpr int kExitUsage = 2;    // bad arguments, an unreadable file, no token where one is needed
constexpr int kExitUnavailable = 3;  // the hub cannot be reached, timed out, or answered 5xx
constexpr int kExitUnsatisfiable =
    4;  // `mpli resolve`: answered, but nothing satisfies the manifest

constexpr const char* kDefaultHub = "http://127.0.0.1:8080";

// --hub URL, --token-file FILE and, when `with_json`, --json.
std::vector<OptionSpec> hub_options(bool with_json = true);

// The "exit status:" lines for a command's help; `extra` adds command-specific lines.
std::string exit_status_help(const std::string& extra = "");

// --hub, else $MPLI_HUB, else $MPLI_GATEWAY_URL (the older name), else kDefaultHub; without
// trailing slashes.
std::string hub_url(const ParsedArguments& arguments, const config::Environment& environment);

// Where a command's bearer token comes from. The token itself is never on the command line.
enum class TokenUse {
  kIfGiven,    // public routes: send one only when the user gave one
  kPreferred,  // protected routes: else the admin token `mpli up` wrote, when that file exists
  kRequired,   // admin-only routes: as kPreferred, and no token at all is a usage error
};
enum class TokenSource { kNone, kFile, kEnvironment, kStateFile };
struct TokenPlan {
  TokenSource source = TokenSource::kNone;
  std::string path;  // kFile, kStateFile: the file to read (the token stays out of the plan)
};

// --token-file FILE, else $MPLI_TOKEN (the token), else for kPreferred/kRequired the admin token
// file of the local federation ($MPLI_STATE_DIR/admin-token, else .mpli/admin-token).
// `state_file_exists` tells whether that file is there (kPreferred only sends it then).
TokenPlan plan_token(const ParsedArguments& arguments, const config::Environment& environment,
                     TokenUse use, bool state_file_exists);
std::string state_token_path(const config::Environment& environment);

// kExitOk for 2xx, kExitUnavailable for no answer (status 0) and 5xx, kExitRefused otherwise.
int exit_code_for_status(long http_status);

// Why a request failed, for stderr (without "mpli <command>: "): no answer at all, or the
// problem+json's title, reason, field, detail, line and column (format_problem), and for a 401
// where the token comes from. Never contains the token.
std::string failure_message(long http_status, const std::string& body, const std::string& hub,
                            bool sent_token);

// "?kind=x&q=PostgreSQL%20S" from the pairs whose value is not empty; "" when none is left.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& parameters);

}  // namespace mpli::cli
