#include "tools/mpli/sse.h"

namespace mpli::cli {

std::vector<ServerSentEvent> SseParser::feed(std::string_view bytes) {
  std::vector<ServerSentEvent> out;
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      std::string text;
      text.swap(pending_);
      line(text, out);
    } else {
      pending_ += c;
    }
  }
  return out;
}

void SseParser::line(std::string_view text, std::vector<ServerSentEvent>& out) {
  if (text.empty()) {
    if (has_data_) out.push_back({last_id_, type_.empty() ? "message" : type_, data_});
    type_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment (keep-alive)
  std::string_view field = text;
  std::string_view value;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  } else if (field == "event") {
    type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  }
  // "retry" and unknown fields: ignored (mpli events does not reconnect by itself).
}

}  // namespace mpli::cli
