// Server-Sent Events as `mpli events` reads them from GET /v1/events: bytes in, whole events out
// (the WHATWG event-stream rules: `id:`, `event:`, `data:` lines, a blank line ends an event,
// `:` comments and `retry:` ignored, CR, LF or CRLF line ends). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mpli::cli {

struct ServerSentEvent {
  std::string id;    // the last `id:` seen so far (it carries over, as the spec says)
  std::string type;  // `event:`, "message" when absent
  std::string data;  // the `data:` lines joined with "\n"
};

class SseParser {
 public:
  // The events the bytes complete; a partial line or event waits for the next call.
  std::vector<ServerSentEvent> feed(std::string_view bytes);
  const std::string& last_event_id() const { return last_id_; }

 private:
  void line(std::string_view text, std::vector<ServerSentEvent>& out);

  std::string pending_;    // an incomplete line
  bool after_cr_ = false;  // the previous chunk ended in CR: a leading LF is part of that end
  std::string last_id_;
  std::string type_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace mpli::cli
