#include "tools/mpli/hub_client.h"

#include <curl/curl.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace mpli::cli {
namespace {

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// What the streaming transfer's callbacks share.
struct StreamState {
  CURL* curl = nullptr;
  const std::function<bool(std::string_view)>* on_bytes = nullptr;
  const std::function<bool()>* stop = nullptr;
  long status = 0;
  std::string error_body;  // a non-200 answer, for its message
  bool stopped = false;    // we ended it: not a failure
};

size_t stream_write(char* data, size_t size, size_t count, void* target) {
  auto* state = static_cast<StreamState*>(target);
  size_t bytes = size * count;
  if (state->status == 0) curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &state->status);
  if (state->status != 200) {
    if (state->error_body.size() < 65536) state->error_body.append(data, bytes);
    return bytes;
  }
  if (!(*state->on_bytes)(std::string_view(data, bytes))) {
    state->stopped = true;
    return 0;  // aborts the transfer
  }
  return bytes;
}

// libcurl calls this about once a second even when nothing arrives: where Ctrl-C and --timeout
// are noticed while the stream is quiet.
int stream_progress(void* target, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<StreamState*>(target);
  if ((*state->stop)()) {
    state->stopped = true;
    return 1;
  }
  return 0;
}

}  // namespace

std::optional<HubClient> HubClient::open(const std::string& command,
                                         const ParsedArguments& arguments, TokenUse use) {
  auto environment = config::process_environment();
  HubClient client;
  client.command_ = command;
  client.url_ = hub_url(arguments, environment);
  client.json_ = arguments.has("--json");
  std::error_code ec;
  bool state_file_exists = std::filesystem::is_regular_file(state_token_path(environment), ec);
  TokenPlan plan = plan_token(arguments, environment, use, state_file_exists);
  switch (plan.source) {
    case TokenSource::kNone:
      break;
    case TokenSource::kEnvironment:
      client.token_ = trim(environment("MPLI_TOKEN").value_or(""));
      break;
    case TokenSource::kFile:
    case TokenSource::kStateFile: {
      std::ifstream in(plan.path);
      if (!in) {
        client.error("cannot read the token file " + plan.path +
                     (plan.source == TokenSource::kStateFile
                          ? " (this needs a token: --token-file FILE or MPLI_TOKEN; `mpli up` "
                            "writes <state>/admin-token)"
                          : ""));
        return std::nullopt;
      }
      std::stringstream text;
      text << in.rdbuf();
      client.token_ = trim(text.str());
      if (client.token_.empty()) {
        client.error("the token file " + plan.path + " is empty");
        return std::nullopt;
      }
      break;
    }
  }
  if (client.token_.find_first_of("\r\n") != std::string::npos) {
    client.error("the token has a line break inside; it must be one line");
    return std::nullopt;
  }
  return client;
}

void HubClient::error(const std::string& message) const {
  std::cerr << "mpli " << command_ << ": " << message << "\n";
}

std::vector<std::string> HubClient::with_token(std::vector<std::string> headers) const {
  if (!token_.empty()) headers.push_back("Authorization: Bearer " + token_);
  return headers;
}

http::Response HubClient::call(const std::string& method, const std::string& path_and_query,
                               const std::string& body, std::vector<std::string> headers,
                               std::chrono::milliseconds timeout) const {
  return http::request(method, url_ + path_and_query, body, with_token(std::move(headers)),
                       timeout);
}

int HubClient::fail(const http::Response& response) const {
  std::cerr << "mpli " << command_ << ": "
            << failure_message(response.status, response.body, url_, !token_.empty());
  return exit_code_for_status(response.status);
}

HubClient::JsonAnswer HubClient::call_json(const std::string& method,
                                           const std::string& path_and_query,
                                           const std::string& body,
                                           std::vector<std::string> headers,
                                           std::chrono::milliseconds timeout) const {
  headers.emplace_back("Accept: application/json");
  auto response = call(method, path_and_query, body, std::move(headers), timeout);
  JsonAnswer answer;
  if (response.status < 200 || response.status >= 300) {
    answer.exit_code = fail(response);
    return answer;
  }
  answer.raw = response.body;
  if (response.status == 204) return answer;
  answer.body = nlohmann::json::parse(response.body, nullptr, false);
  if (answer.body.is_discarded()) {
    error("the hub answered HTTP " + std::to_string(response.status) + " without JSON");
    answer.exit_code = kExitUnavailable;
  }
  return answer;
}

int HubClient::stream(const std::string& path_and_query, std::vector<std::string> headers,
                      const std::function<bool(std::string_view)>& on_bytes,
                      const std::function<bool()>& stop) const {
  headers.emplace_back("Accept: text/event-stream");
  headers = with_token(std::move(headers));
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    error("cannot start an HTTP client");
    return kExitUnavailable;
  }
  StreamState state;
  state.curl = curl;
  state.on_bytes = &on_bytes;
  state.stop = &stop;
  curl_slist* header_list = nullptr;
  for (const auto& h : headers) header_list = curl_slist_append(header_list, h.c_str());
  std::string url = url_ + path_and_query;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, stream_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, stream_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  CURLcode result = curl_easy_perform(curl);
  if (state.status == 0) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &state.status);
  curl_slist_free_all(header_list);
  curl_easy_cleanup(curl);
  if (state.stopped) return kExitOk;
  if (state.status != 200) {
    if (result != CURLE_OK && state.status == 0) return fail(http::Response{});
    return fail(http::Response{state.status, state.error_body, ""});
  }
  error(result == CURLE_OK ? "the hub ended the event stream"
                           : std::string("the event stream broke: ") + curl_easy_strerror(result));
  return kExitUnavailable;
}

std::optional<std::string> read_input(const std::string& path, const std::string& command) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::cerr << "mpli " << command << ": " << path << " is a directory\n";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "mpli " << command << ": cannot read " << path << "\n";
    return std::nullopt;
  }
  text << in.rdbuf();
  return text.str();
}

void print_line(const std::string& text) {
  std::cout << text;
  if (text.empty() || text.back() != '\n') std::cout << "\n";
  std::cout.flush();
}

}  // namespace mpli::cli
