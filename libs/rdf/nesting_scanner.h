// Refuses Turtle and TriG text whose collections '( )' and blank nodes '[ ]' nest deeper than a
// limit, before Serd reads it: Serd 0.30 descends by recursion, one C stack frame chain per level.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpli::rdf {

struct NestingProblem {
  unsigned line = 0;    // 1-based
  unsigned column = 0;  // 1-based, counted in bytes like Serd's own positions
  std::string message;
};

// A byte-at-a-time scanner that reads the input the way Serd's Turtle reader tokenises it
// (strings with Serd's own escape, quote and UTF-8 rules, IRIs, comments, local-name escapes),
// counting '(' and '[' only where Serd would read them as syntax. It can be fed in pieces, so a
// file is checked without holding it in memory.
//
// Where Serd may continue reading after an error matters as much as where it reads without one:
//   * an error inside a string or an IRI unwinds Serd, which can resume (two of its callers
//     ignore the error) at the error position, in plain syntax; the scanner moves there too;
//   * in lax mode, bad UTF-8 or white space does not end a string or an IRI; the scanner
//     follows, and every line start is a fresh start (Serd skips to the next line after a bad
//     statement), so each line is also scanned as if a statement began there.
// Every possible reading is followed at once (at most one per lexical state, keeping the
// deepest), so the depth counted is never less than the depth Serd reaches.
class NestingScanner {
 public:
  NestingScanner(unsigned max_depth, bool lax);

  // Scans the next piece of the document; false once a problem has been found.
  bool feed(std::string_view chunk);
  // Call after the last piece; false when the document has a problem.
  bool finish();
  const std::optional<NestingProblem>& problem() const { return problem_; }

 private:
  enum class Mode : uint8_t {
    kCode,         // between tokens, in names, numbers and keywords
    kCodeEscape,   // after '\' in a prefixed name (PN_LOCAL_ESC)
    kComment,      // '#' up to the line end
    kIri,          // inside '<' ... '>'
    kIriEscape,    // after '\' in an IRI: 'u' or 'U' must follow
    kQuote1,       // one quote seen: a short string, or "" / """ follows
    kQuote2,       // two quotes seen: an empty string, or a long string if a third follows
    kShort,        // inside "..." or '...'
    kShortEscape,  // after '\' in a short string
    kLong,         // inside """...""" or '''...'''
    kLongEscape,   // after '\' in a long string
    kLongQuote1,   // one closing quote seen in a long string (Serd consumes the next byte raw)
    kLongQuote2,   // two closing quotes seen: a third ends the string
  };

  struct Lane {
    Mode mode = Mode::kCode;
    uint8_t quote = 0;       // the string's quote character
    uint8_t hex_left = 0;    // \u or \U digits still expected
    uint8_t utf8_left = 0;   // UTF-8 continuation bytes still expected
    bool skip_high = false;  // lax: after bad UTF-8 Serd skips bytes with the high bit set
    uint32_t code = 0;       // the code point of an IRI's \u escape being read
    unsigned depth = 0;

    bool same_state(const Lane& other) const {
      return mode == other.mode && quote == other.quote && hex_left == other.hex_left &&
             utf8_left == other.utf8_left && skip_high == other.skip_high && code == other.code;
    }
  };

  // Back to plain syntax, with nothing of the string or IRI left (so equal states compare equal).
  static void to_code(Lane& lane) {
    unsigned depth = lane.depth;
    lane = Lane{};
    lane.depth = depth;
  }
  // Advances one lane by one byte; false when the lane went deeper than the limit.
  bool step(Lane& lane, uint8_t byte) const;
  // Handles a byte inside a string or an IRI that is part of a UTF-8 sequence; true if consumed.
  bool utf8(Lane& lane, uint8_t byte) const;
  // The first byte from `p` on that can change the lane's state (or `end`).
  const uint8_t* skip_plain(const Lane& lane, const uint8_t* p, const uint8_t* end) const;
  // Keeps one lane per lexical state, the deepest.
  void merge_lanes();
  void fail(std::string message);

  unsigned max_depth_;
  bool lax_;
  std::vector<Lane> lanes_;
  unsigned line_ = 1;
  uint64_t offset_ = 0;      // of the byte being scanned, from the start of the document
  uint64_t line_start_ = 0;  // offset of the current line's first byte
  std::optional<NestingProblem> problem_;
};

}  // namespace mpli::rdf
