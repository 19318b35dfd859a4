#include "libs/rdf/nesting_scanner.h"

#include <algorithm>
#include <cstring>

namespace mpli::rdf {
namespace {

bool is_hex(uint8_t b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

uint32_t hex_value(uint8_t b) {
  if (b >= '0' && b <= '9') return b - '0';
  if (b >= 'a' && b <= 'f') return b - 'a' + 10;
  return b - 'A' + 10;
}

// The characters Serd accepts after '\' in a prefixed name (PN_LOCAL_ESC); it consumes them, so
// an escaped '(' or '#' is neither nesting nor a comment.
bool is_local_escape(uint8_t b) {
  return b != 0 && std::strchr("_~.-!$&'()*+,;=/?#@%", b) != nullptr;
}

// Serd's utf8_num_bytes: the length a UTF-8 lead byte announces; 0 when it is no lead byte.
unsigned utf8_sequence_length(uint8_t b) {
  if ((b & 0x80) == 0) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 0;
}

// Bytes that leave a lane's state as it is, per state: most of any document. A line end is never
// plain (lines are counted, and lax mode restarts there); neither is a byte with the high bit
// set inside a string or an IRI (UTF-8 is checked there).
struct PlainBytes {
  bool code[256] = {};
  bool comment[256] = {};
  bool iri[256] = {};
  bool string[256] = {};  // short and long strings alike; both quote characters stop a scan

  PlainBytes() {
    for (int b = 0; b < 256; ++b) {
      bool high = b >= 0x80;
      code[b] = std::strchr("#<\"'\\()[]\n", b) == nullptr || b == 0;
      comment[b] = b != '\n' && b != '\r' && b != 0;
      iri[b] = !high && b > 0x20 && std::strchr(">\"<^`{|}\\", b) == nullptr;
      string[b] = !high && std::strchr("\"'\\\n\r", b) == nullptr;
    }
  }
};

const PlainBytes& plain_bytes() {
  static const PlainBytes table;
  return table;
}

}  // namespace

NestingScanner::NestingScanner(unsigned max_depth, bool lax) : max_depth_(max_depth), lax_(lax) {
  lanes_.emplace_back();
}

void NestingScanner::fail(std::string message) {
  problem_ =
      NestingProblem{line_, static_cast<unsigned>(offset_ - line_start_ + 1), std::move(message)};
}

const uint8_t* NestingScanner::skip_plain(const Lane& lane, const uint8_t* p,
                                          const uint8_t* end) const {
  if (lane.utf8_left > 0 || lane.skip_high) return p;
  const bool* plain = nullptr;
  switch (lane.mode) {
    case Mode::kCode:
      plain = plain_bytes().code;
      break;
    case Mode::kComment:
      plain = plain_bytes().comment;
      break;
    case Mode::kIri:
      plain = plain_bytes().iri;
      break;
    case Mode::kShort:
    case Mode::kLong:
      plain = plain_bytes().string;
      break;
    default:
      return p;
  }
  while (p < end && plain[*p]) ++p;
  return p;
}

bool NestingScanner::utf8(Lane& lane, uint8_t byte) const {
  if (lane.skip_high) {
    if ((byte & 0x80) != 0) return true;
    lane.skip_high = false;
    return false;
  }
  if (lane.utf8_left > 0) {
    if ((byte & 0x80) != 0) {  // Serd checks only the high bit of a continuation byte
      --lane.utf8_left;
      return true;
    }
    // A sequence cut short. Lax Serd goes on with this byte in the string or IRI; strict Serd
    // unwinds with its cursor on this byte, which the caller then reads as plain syntax.
    lane.utf8_left = 0;
    if (!lax_) to_code(lane);
    return false;
  }
  if ((byte & 0x80) == 0) return false;
  unsigned length = utf8_sequence_length(byte);
  if (length >= 2) {
    lane.utf8_left = static_cast<uint8_t>(length - 1);
    return true;
  }
  // Not a lead byte: Serd has consumed it and skips the high bytes after it. Lax, it then goes on
  // in the string or IRI; strict, it unwinds (plain syntax ignores high bytes anyway).
  if (lax_) {
    lane.skip_high = true;
  } else {
    to_code(lane);
  }
  return true;
}

bool NestingScanner::step(Lane& lane, uint8_t b) const {
  // A byte that ends one state without being consumed is read again in the next (`continue`).
  for (;;) {
    switch (lane.mode) {
      case Mode::kCode:
        switch (b) {
          case '#':
            lane.mode = Mode::kComment;
            break;
          case '<':
            lane.mode = Mode::kIri;
            break;
          case '"':
          case '\'':
            lane.mode = Mode::kQuote1;
            lane.quote = b;
            break;
          case '\\':
            lane.mode = Mode::kCodeEscape;
            break;
          case '(':
          case '[':
            if (++lane.depth > max_depth_) return false;
            break;
          case ')':
          case ']':
            if (lane.depth > 0) --lane.depth;
            break;
          default:
            break;
        }
        return true;

      case Mode::kCodeEscape:
        to_code(lane);
        if (is_local_escape(b)) return true;
        continue;  // an invalid escape: Serd stops in front of this byte

      case Mode::kComment:
        if (b == '\n' || b == '\r' || b == 0) to_code(lane);
        return true;

      case Mode::kIri:
        if (utf8(lane, b)) return true;
        if (lane.mode != Mode::kIri) continue;
        switch (b) {
          case '>':
          case '"':  // the characters Serd refuses in an IRI: consumed, then it unwinds
          case '<':
          case '^':
          case '`':
          case '{':
          case '|':
          case '}':
            to_code(lane);
            break;
          case '\\':
            lane.mode = Mode::kIriEscape;
            lane.hex_left = 0;
            lane.code = 0;
            break;
          default:
            // White space and control characters: strict Serd unwinds after consuming one,
            // lax Serd keeps it in the IRI.
            if (b <= 0x20 && !lax_) to_code(lane);
            break;
        }
        return true;

      case Mode::kIriEscape:
        if (lane.hex_left == 0) {
          if (b == 'u' || b == 'U') {
            lane.hex_left = b == 'u' ? 4 : 8;
            return true;
          }
          to_code(lane);
          continue;
        }
        if (!is_hex(b)) {
          to_code(lane);
          continue;
        }
        lane.code = lane.code * 16 + hex_value(b);
        if (--lane.hex_left == 0) {
          // Serd refuses these escaped characters after reading the whole escape.
          bool refused = lane.code == 0 || lane.code == ' ' || lane.code == '<' || lane.code == '>';
          lane.code = 0;
          if (refused) {
            to_code(lane);
          } else {
            lane.mode = Mode::kIri;
          }
        }
        return true;

      case Mode::kQuote1:
        if (b == lane.quote) {
          lane.mode = Mode::kQuote2;
          return true;
        }
        lane.mode = Mode::kShort;
        continue;

      case Mode::kQuote2:
        if (b == lane.quote) {
          lane.mode = Mode::kLong;
          return true;
        }
        to_code(lane);  // "" or '': an empty string
        continue;

      case Mode::kShort:
        if (utf8(lane, b)) return true;
        if (lane.mode != Mode::kShort) continue;
        if (b == lane.quote) {
          to_code(lane);
        } else if (b == '\\') {
          lane.mode = Mode::kShortEscape;
          lane.hex_left = 0;
        } else if (b == '\n' || b == '\r') {
          to_code(lane);  // an error in both modes; Serd stops in front of the byte
        }
        return true;

      case Mode::kShortEscape:
      case Mode::kLongEscape: {
        Mode string_mode = lane.mode == Mode::kShortEscape ? Mode::kShort : Mode::kLong;
        if (lane.hex_left == 0) {
          if (b != 0 && std::strchr("tbnrf\\\"'", b) != nullptr) {
            lane.mode = string_mode;
            return true;
          }
          if (b == 'u' || b == 'U') {
            lane.hex_left = b == 'u' ? 4 : 8;
            return true;
          }
        } else if (is_hex(b)) {
          if (--lane.hex_left == 0) lane.mode = string_mode;
          return true;
        }
        // An invalid escape unwinds Serd in both modes, its cursor on this byte.
        to_code(lane);
        continue;
      }

      case Mode::kLong:
        if (utf8(lane, b)) return true;
        if (lane.mode != Mode::kLong) continue;
        if (b == lane.quote) {
          lane.mode = Mode::kLongQuote1;
        } else if (b == '\\') {
          lane.mode = Mode::kLongEscape;
          lane.hex_left = 0;
        }
        return true;

      case Mode::kLongQuote1:
        if (b == lane.quote) {
          lane.mode = Mode::kLongQuote2;
          return true;
        }
        // Serd takes the byte after a lone quote as a plain character, even a backslash.
        lane.mode = Mode::kLong;
        utf8(lane, b);
        return true;

      case Mode::kLongQuote2:
        if (b == lane.quote) {
          to_code(lane);
          return true;
        }
        lane.mode = Mode::kLong;
        continue;
    }
    return true;
  }
}

void NestingScanner::merge_lanes() {
  for (size_t i = 0; i < lanes_.size(); ++i) {
    for (size_t j = lanes_.size() - 1; j > i; --j) {
      if (lanes_[i].same_state(lanes_[j])) {
        lanes_[i].depth = std::max(lanes_[i].depth, lanes_[j].depth);
        lanes_.erase(lanes_.begin() + static_cast<std::ptrdiff_t>(j));
      }
    }
  }
}

bool NestingScanner::feed(std::string_view chunk) {
  if (problem_) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(chunk.data());
  const auto* end = p + chunk.size();
  while (p < end) {
    if (lanes_.size() == 1) {
      const uint8_t* next = skip_plain(lanes_.front(), p, end);
      offset_ += static_cast<uint64_t>(next - p);
      p = next;
      if (p == end) break;
    }
    uint8_t b = *p++;
    for (Lane& lane : lanes_) {
      if (!step(lane, b)) {
        fail("collections '(' and blank nodes '[' nest more than " + std::to_string(max_depth_) +
             " levels deep");
        return false;
      }
    }
    if (b == '\n') {
      ++line_;
      line_start_ = offset_ + 1;
      // After a bad statement lax Serd skips to the line end and starts afresh, at depth 0.
      if (lax_) lanes_.emplace_back();
    }
    ++offset_;
    if (lanes_.size() > 1) merge_lanes();
  }
  return true;
}

bool NestingScanner::finish() {
  if (problem_) return false;
  if (lax_) {
    // Lax Serd 0.30 reads an IRI that is still open at the end of the input forever (end of
    // input is just one more bad character to it), so such a document cannot be read at all.
    for (const Lane& lane : lanes_) {
      if (lane.mode == Mode::kIri || lane.mode == Mode::kIriEscape) {
        fail("IRI still open at the end of the input");
        return false;
      }
    }
  }
  return true;
}

}  // namespace mpli::rdf
