#include "services/gateway/http/request_reader.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <vector>

namespace mpli::gateway {
namespace {

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view strip_line_end(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Splits "a, b,c" into its trimmed, non-empty elements.
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> elements;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view element = trim(value.substr(start, comma - start));
    if (!element.empty()) elements.push_back(element);
    start = comma + 1;
  }
  return elements;
}

// Index just past the empty line that ends a head, searching `text` from `from`; npos when it
// has not arrived yet. Lines end in CRLF, or in a bare LF (RFC 9112 §2.2 lets us accept it).
size_t find_head_end(const std::string& text, size_t from) {
  for (size_t i = text.find('\n', from); i != std::string::npos; i = text.find('\n', i + 1)) {
    if (i + 1 < text.size() && text[i + 1] == '\n') return i + 2;
    if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') return i + 3;
  }
  return std::string::npos;
}

// A decimal number of at most 64 bits; nullopt for anything else ("-1", "1e3", "", overflow).
std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<uint64_t> parse_hex(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  return value;
}

bool has_control_characters(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) return true;
  }
  return false;
}

Problem bad_request(const std::string& detail, const std::string& field = "") {
  Status status(StatusCode::kInvalidArgument, detail);
  if (!field.empty()) status.with_detail("field", field);
  return problem_for(status);
}

Problem body_too_large(const std::string& detail, size_t limit) {
  Problem problem = problem_for(too_large(detail).with_detail("field", "body"));
  problem.body["max_bytes"] = limit;
  return problem;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::string();
}

bool HttpRequest::wants_close() const {
  bool close = false;
  bool keep_alive = false;
  for (const auto& [key, value] : headers) {
    if (key != "connection") continue;
    for (std::string_view option : list_elements(value)) {
      std::string token = lower(option);
      close = close || token == "close";
      keep_alive = keep_alive || token == "keep-alive";
    }
  }
  return close || (minor_version == 0 && !keep_alive);
}

size_t RequestReader::read(std::string_view data) {
  size_t used = 0;
  if (state_ == State::kIdle || state_ == State::kHead) used += read_head(data);
  if (state_ == State::kBody) used += read_body(data.substr(used));
  return used;
}

bool RequestReader::take_continue_request() {
  bool requested = continue_requested_ && state_ == State::kBody;
  continue_requested_ = false;
  return requested;
}

HttpRequest RequestReader::take() {
  HttpRequest request = std::move(request_);
  request_ = HttpRequest();
  head_.clear();
  chunked_ = false;
  body_remaining_ = 0;
  chunk_state_ = ChunkState::kSize;
  chunk_line_.clear();
  chunk_remaining_ = 0;
  trailer_bytes_ = 0;
  continue_requested_ = false;
  state_ = State::kIdle;
  return request;
}

bool RequestReader::fail(Problem problem) {
  problem_ = std::move(problem);
  state_ = State::kFailed;
  return false;
}

bool RequestReader::fail_status(int http_status, const std::string& detail) {
  return fail(http_problem(http_status, detail));
}

size_t RequestReader::read_head(std::string_view data) {
  size_t used = 0;
  if (state_ == State::kIdle) {
    // Empty lines before a request line are tolerated (RFC 9112 §2.2).
    while (used < data.size() && (data[used] == '\r' || data[used] == '\n')) ++used;
    if (used == data.size()) return used;
    state_ = State::kHead;
  }
  size_t before = head_.size();
  head_.append(data.substr(used));
  size_t end = find_head_end(head_, before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (head_.size() > limits_.max_head_bytes) {
      fail_status(431, "the request line and headers exceed " +
                           std::to_string(limits_.max_head_bytes) + " bytes");
    }
    return data.size();
  }
  if (end > limits_.max_head_bytes) {
    fail_status(431, "the request line and headers exceed " +
                         std::to_string(limits_.max_head_bytes) + " bytes");
    return data.size();
  }
  used += end - before;
  head_.resize(end);
  if (!parse_head(head_)) return data.size();
  head_.clear();
  state_ = (chunked_ || body_remaining_ > 0) ? State::kBody : State::kComplete;
  return used;
}

bool RequestReader::parse_head(std::string_view head) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < head.size()) {
    size_t newline = head.find('\n', start);
    if (newline == std::string_view::npos) newline = head.size() - 1;
    lines.push_back(strip_line_end(head.substr(start, newline + 1 - start)));
    start = newline + 1;
  }
  if (lines.empty()) return fail(bad_request("empty request"));

  // Request line: method SP request-target SP HTTP-version.
  std::string_view line = lines[0];
  size_t first_space = line.find(' ');
  size_t second_space =
      first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos ||
      line.find(' ', second_space + 1) != std::string_view::npos) {
    return fail(bad_request("malformed request line"));
  }
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  std::string_view version = line.substr(second_space + 1);
  if (!is_token(method)) return fail(bad_request("malformed method in the request line"));
  if (version == "HTTP/1.1") {
    request_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request_.minor_version = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
             std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    return fail_status(505, "this server speaks HTTP/1.1 and HTTP/1.0");
  } else {
    return fail(bad_request("malformed HTTP version in the request line"));
  }
  if (target.empty() || has_control_characters(target)) {
    return fail(bad_request("malformed request target"));
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  std::string_view path_and_query;
  if (target == "*") {
    if (method != "OPTIONS") return fail(bad_request("'*' is a target for OPTIONS only"));
    path_and_query = target;
  } else if (target.front() == '/') {
    path_and_query = target;
  } else {
    // absolute-form ("http://host/path"), which servers must accept (RFC 9112 §3.2.2).
    std::string scheme = lower(target.substr(0, target.find("://")));
    if ((scheme != "http" && scheme != "https") || target.find("://") == std::string_view::npos) {
      return fail(bad_request("malformed request target"));
    }
    size_t authority = target.find("://") + 3;
    size_t path = target.find_first_of("/?#", authority);
    path_and_query = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
    if (!path_and_query.empty() && path_and_query.front() != '/') path_and_query = "/";
  }
  path_and_query = path_and_query.substr(0, path_and_query.find('#'));
  size_t question = path_and_query.find('?');
  request_.path = std::string(path_and_query.substr(0, question));
  if (question != std::string_view::npos)
    request_.query = std::string(path_and_query.substr(question + 1));

  // Header fields.
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view field = lines[i];
    if (field.empty()) continue;
    if (field.front() == ' ' || field.front() == '\t') {
      return fail(bad_request("obsolete line folding in a header field"));
    }
    size_t colon = field.find(':');
    std::string_view name = field.substr(0, colon);
    if (colon == std::string_view::npos || !is_token(name)) {
      return fail(bad_request("malformed header field"));
    }
    std::string_view value = trim(field.substr(colon + 1));
    if (has_control_characters(value)) {
      return fail(bad_request("control characters in header field " + std::string(name)));
    }
    request_.headers.emplace_back(lower(name), std::string(value));
  }

  // Framing (RFC 9112 §6): Content-Length or chunked, never both, never ambiguous.
  std::optional<uint64_t> content_length;
  std::vector<std::string> codings;
  bool has_transfer_encoding = false;
  for (const auto& [name, value] : request_.headers) {
    if (name == "content-length") {
      auto elements = list_elements(value);
      if (elements.empty()) {
        return fail(
            bad_request("Content-Length must be a non-negative decimal integer", "Content-Length"));
      }
      for (std::string_view element : elements) {
        auto length = parse_decimal(element);
        if (!length) {
          return fail(
              bad_request("Content-Length must be a non-negative decimal integer below "
                          "2^64, not '" +
                              std::string(element) + "'",
                          "Content-Length"));
        }
        if (content_length && *content_length != *length) {
          return fail(bad_request("conflicting Content-Length values", "Content-Length"));
        }
        content_length = length;
      }
    } else if (name == "transfer-encoding") {
      has_transfer_encoding = true;
      for (std::string_view coding : list_elements(value)) codings.push_back(lower(coding));
    }
  }
  if (has_transfer_encoding) {
    if (request_.minor_version == 0) {
      return fail(bad_request("Transfer-Encoding in an HTTP/1.0 request", "Transfer-Encoding"));
    }
    if (content_length) {
      return fail(bad_request("both Content-Length and Transfer-Encoding", "Transfer-Encoding"));
    }
    for (const auto& coding : codings) {
      if (coding != "chunked") {
        return fail_status(501, "transfer coding '" + coding +
                                    "' is not supported; send the "
                                    "body with Content-Length or chunked");
      }
    }
    if (codings.size() != 1) {
      return fail(bad_request("Transfer-Encoding must be exactly 'chunked'", "Transfer-Encoding"));
    }
    chunked_ = true;
  } else if (content_length) {
    if (*content_length > limits_.max_body_bytes) {
      return fail(body_too_large("the request body of " + std::to_string(*content_length) +
                                     " bytes is over the limit of " +
                                     std::to_string(limits_.max_body_bytes) + " bytes",
                                 limits_.max_body_bytes));
    }
    body_remaining_ = *content_length;
  }

  std::string expect = lower(request_.header("expect"));
  if (!expect.empty()) {
    if (expect != "100-continue")
      return fail_status(417, "only 'Expect: 100-continue' is supported");
    continue_requested_ = request_.minor_version == 1 && (chunked_ || body_remaining_ > 0);
  }
  return true;
}

size_t RequestReader::read_body(std::string_view data) {
  if (chunked_) return read_chunked(data);
  size_t take = static_cast<size_t>(std::min<uint64_t>(body_remaining_, data.size()));
  request_.body.append(data.substr(0, take));
  body_remaining_ -= take;
  if (body_remaining_ == 0) state_ = State::kComplete;
  return take;
}

size_t RequestReader::read_chunked(std::string_view data) {
  constexpr size_t kMaxChunkLine = 1024;
  size_t used = 0;
  // Takes the rest of the current line into chunk_line_; true once it is whole.
  auto take_line = [&]() {
    size_t newline = data.find('\n', used);
    size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
    chunk_line_.append(data.substr(used, end - used));
    used = end;
    return newline != std::string_view::npos;
  };
  auto failed = [&](Problem problem) {
    fail(std::move(problem));
    return used;
  };
  while (used < data.size() && state_ == State::kBody) {
    switch (chunk_state_) {
      case ChunkState::kSize: {
        bool whole = take_line();
        if (chunk_line_.size() > kMaxChunkLine)
          return failed(bad_request("chunk size line too long"));
        if (!whole) break;
        std::string_view line = strip_line_end(chunk_line_);
        auto size = parse_hex(trim(line.substr(0, line.find(';'))));
        chunk_line_.clear();
        if (!size) return failed(bad_request("malformed chunk size"));
        if (*size == 0) {
          chunk_state_ = ChunkState::kTrailers;
        } else if (*size > limits_.max_body_bytes - request_.body.size()) {
          return failed(body_too_large("the request body is over the limit of " +
                                           std::to_string(limits_.max_body_bytes) + " bytes",
                                       limits_.max_body_bytes));
        } else {
          chunk_remaining_ = *size;
          chunk_state_ = ChunkState::kData;
        }
        break;
      }
      case ChunkState::kData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_remaining_, data.size() - used));
        request_.body.append(data.substr(used, take));
        used += take;
        chunk_remaining_ -= take;
        if (chunk_remaining_ == 0) chunk_state_ = ChunkState::kDataEnd;
        break;
      }
      case ChunkState::kDataEnd: {
        bool whole = take_line();
        if (!strip_line_end(chunk_line_).empty() || chunk_line_.size() > 2) {
          return failed(bad_request("chunk data longer than its size"));
        }
        if (!whole) break;
        chunk_line_.clear();
        chunk_state_ = ChunkState::kSize;
        break;
      }
      case ChunkState::kTrailers: {
        size_t before = used;
        bool whole = take_line();
        trailer_bytes_ += used - before;
        if (trailer_bytes_ > limits_.max_head_bytes) {
          return failed(http_problem(
              431, "chunk trailers exceed " + std::to_string(limits_.max_head_bytes) + " bytes"));
        }
        if (!whole) break;
        // Trailer fields are read and dropped: no route here uses them.
        bool last = strip_line_end(chunk_line_).empty();
        chunk_line_.clear();
        if (last) state_ = State::kComplete;
        break;
      }
    }
  }
  return used;
}

}  // namespace mpli::gateway
