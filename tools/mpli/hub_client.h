// The one way every hub command of `mpli` talks to a hub: the URL and bearer token from the
// common options (tools/mpli/hub.h), requests through libs/http, a streamed GET for
// Server-Sent Events, and the message and exit code of an answer that is not a success. The
// token is sent, never printed.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/http/client.h"
#include "tools/mpli/hub.h"

namespace mpli::cli {

class HubClient {
 public:
  // nullopt after saying on stderr why (a token file that cannot be read, no token where one is
  // required): the command exits kExitUsage. `command` prefixes messages ("providers get").
  static std::optional<HubClient> open(const std::string& command, const ParsedArguments& arguments,
                                       TokenUse use);

  http::Response call(const std::string& method, const std::string& path_and_query,
                      const std::string& body = "", std::vector<std::string> headers = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // A call whose success is a JSON document. On success `exit_code` is kExitOk and `body` the
  // parsed answer (`raw` its text); otherwise the failure was printed and `exit_code` says which.
  struct JsonAnswer {
    int exit_code = kExitOk;
    nlohmann::json body;
    std::string raw;
  };
  JsonAnswer call_json(const std::string& method, const std::string& path_and_query,
                       const std::string& body = "", std::vector<std::string> headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // Prints why `response` is not a success; its exit code.
  int fail(const http::Response& response) const;

  // GET `path_and_query` as text/event-stream, handing each received chunk of a 200 answer to
  // `on_bytes` until it returns false, `stop()` says so (checked at least once a second), or the
  // hub ends the stream. kExitOk when stopped by either, kExitUnavailable when the stream ends or
  // breaks by itself, else the failure's exit code (printed).
  int stream(const std::string& path_and_query, std::vector<std::string> headers,
             const std::function<bool(std::string_view)>& on_bytes,
             const std::function<bool()>& stop) const;

  const std::string& url() const { return url_; }
  bool json_output() const { return json_; }
  void error(const std::string& message) const;  // "mpli <command>: message" on stderr

 private:
  std::vector<std::string> with_token(std::vector<std::string> headers) const;

  std::string command_;
  std::string url_;
  std::string token_;  // "" = send none
  bool json_ = false;
};

// The text of `path` ("-": standard input); nullopt after saying why on stderr.
std::optional<std::string> read_input(const std::string& path, const std::string& command);

// Writes `text` to stdout with a final newline.
void print_line(const std::string& text);

}  // namespace mpli::cli
