// Runs the manifest fuzz body (fuzz/manifest_input.h) without libFuzzer, so it can run in ctest
// under any compiler: every file of the given corpus directories, two grown variants of each
// (nesting multiplied to 30,000 levels, the longest string literal stretched to 40,000 bytes,
// both past what used to overflow a stack), then a fixed number of cheap mutations from a
// seeded generator, so a run is the same on every machine (fuzz/replay_driver.h).
//   manifest_replay [--mutations N] [--seed S] [--save-current FILE] DIR...
// Exit 0 when every input came back; a crash or a sanitizer report ends the process instead.
// --save-current writes each input to FILE before it runs, so a crash or a hang leaves the
// input that caused it behind.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fuzz/manifest_input.h"
#include "fuzz/replay_driver.h"

namespace {

constexpr size_t kMaxInput = 256 * 1024;  // grown variants and mutations stay below this

// The longest run of nested openers ('(' or '[' followed by what precedes the next opener, such
// as "[ :p "), repeated until it nests `levels` deep; "" when the text has no opener.
std::string deepen(const std::string& text, size_t levels) {
  size_t best_start = std::string::npos;
  size_t best_unit = 0;
  size_t best_count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '(' && text[i] != '[') continue;
    size_t next = text.find_first_of("([", i + 1);
    if (next == std::string::npos || next - i > 16) continue;
    size_t unit = next - i;
    size_t count = 1;
    while (i + (count + 1) * unit <= text.size() &&
           text.compare(i + count * unit, unit, text, i, unit) == 0) {
      ++count;
    }
    if (count > best_count) {
      best_start = i;
      best_unit = unit;
      best_count = count;
    }
    i += (count - 1) * unit;  // the run is counted; go on after it
  }
  if (best_start == std::string::npos || levels * best_unit > kMaxInput) return "";
  std::string unit = text.substr(best_start, best_unit);
  std::string grown = text.substr(0, best_start);
  for (size_t i = 0; i < levels; ++i) grown += unit;
  return grown + text.substr(best_start + best_unit * best_count);
}

// The longest "..." literal on one line, its content repeated to at least `bytes`; "" if none.
std::string stretch_literal(const std::string& text, size_t bytes) {
  size_t best_open = std::string::npos;
  size_t best_length = 0;
  for (size_t open = text.find('"'); open != std::string::npos;) {
    size_t close = text.find_first_of("\"\n", open + 1);
    if (close == std::string::npos) break;
    if (text[close] == '"' && close - open - 1 > best_length) {
      best_open = open;
      best_length = close - open - 1;
    }
    open = text.find('"', close + 1);
  }
  if (best_open == std::string::npos || best_length == 0) return "";
  std::string content = text.substr(best_open + 1, best_length);
  std::string grown;
  while (grown.size() < bytes) grown += content;
  return text.substr(0, best_open + 1) + grown + text.substr(best_open + 1 + best_length);
}

// Cheap mutations that reach the parser's and the engine's corners: syntax characters and
// tokens that open or end strings, IRIs, comments and escapes; cut, copied and spliced ranges;
// nesting and literal growth.
class Mutator {
 public:
  explicit Mutator(std::mt19937_64& random) : random_(random) {}

  std::string mutate(const std::vector<std::string>& corpus) {
    std::string text = corpus[below(corpus.size())];
    int rounds = 1 + static_cast<int>(below(4));
    for (int i = 0; i < rounds; ++i) step(text, corpus);
    if (text.size() > kMaxInput) text.resize(kMaxInput);
    return text;
  }

 private:
  size_t below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(random_);
  }

  void step(std::string& text, const std::vector<std::string>& corpus) {
    static const char* const kTokens[] = {"(",
                                          ")",
                                          "[",
                                          "]",
                                          "\"",
                                          "'",
                                          "\"\"\"",
                                          "'''",
                                          "<",
                                          ">",
                                          "\\",
                                          "#",
                                          "\n",
                                          ";",
                                          ",",
                                          ".",
                                          ":",
                                          "_:b",
                                          "@",
                                          "^^",
                                          "{",
                                          "}",
                                          "\\u00",
                                          "\\U0010FFFF",
                                          "\\\"",
                                          "\xC3",
                                          "\xFF",
                                          "\r",
                                          " a ",
                                          "@prefix x: <http://x/> .\n",
                                          "( [ :p ( ",
                                          "[ :p \"\\] ; :q ( ",
                                          "sh:path [ sh:inversePath ",
                                          "sh:node ",
                                          "sh:pattern \"(a?){999}\" ; ",
                                          "rdf:nil",
                                          "\"\"\"a\"\\\"\"\" ; "};
    size_t at = below(text.size() + 1);
    switch (below(8)) {
      case 0:  // overwrite a byte
        if (!text.empty()) text[below(text.size())] = static_cast<char>(below(256));
        break;
      case 1:  // insert a token
        text.insert(at, kTokens[below(sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 2: {  // cut a range
        size_t length = std::min(text.size() - std::min(at, text.size()), below(64) + 1);
        if (at < text.size()) text.erase(at, length);
        break;
      }
      case 3: {  // copy a range elsewhere
        if (text.empty()) break;
        size_t from = below(text.size());
        size_t length = std::min(text.size() - from, below(256) + 1);
        text.insert(at, text.substr(from, length));
        break;
      }
      case 4: {  // splice: this text up to a point, another from a point
        const std::string& other = corpus[below(corpus.size())];
        text = text.substr(0, at) + other.substr(below(other.size() + 1));
        break;
      }
      case 5: {  // nest deeply at a random place
        static const char* const kOpeners[] = {"(", "[ :p ", "[ <p> ( "};
        std::string opener = kOpeners[below(3)];
        size_t levels = below(30000) + 1;
        std::string run;
        for (size_t i = 0; i < levels && run.size() < kMaxInput / 2; ++i) run += opener;
        text.insert(at, run);
        break;
      }
      case 6: {  // a long literal
        text.insert(at, "\"" + std::string(below(50000) + 1, 'a') + "\" ");
        break;
      }
      default:  // truncate
        text.resize(at);
        break;
    }
  }

  std::mt19937_64& random_;
};

}  // namespace

int main(int argc, char** argv) {
  mpli::fuzz::ReplayTarget target;
  target.name = "manifest_replay";
  target.check = mpli::fuzz::check_manifest_input;
  target.mutate = [](std::mt19937_64& random, const std::vector<std::string>& corpus) {
    return Mutator(random).mutate(corpus);
  };
  target.variants = [](const std::string& text) {
    return std::vector<std::string>{deepen(text, 30000), stretch_literal(text, 40000)};
  };
  return mpli::fuzz::replay_main(argc, argv, target);
}
