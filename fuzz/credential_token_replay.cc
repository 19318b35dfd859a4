// Runs the credential token fuzz body (fuzz/credential_token_input.h) without libFuzzer, so
// ctest can run it under any compiler (fuzz/replay_driver.h): every file of the given
// directories, then a fixed number of seeded mutations aimed at the token grammar (separators
// '.', '~', base64url and JSON fragments, deep nesting inside a re-encoded part), the same on
// every machine.
//   credential_token_replay [--mutations N] [--seed S] [--save-current FILE] DIR...
// Exit 0 when every input came back; a crash or a sanitizer report ends the process instead.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fuzz/credential_token_input.h"
#include "fuzz/replay_driver.h"
#include "libs/credentials/base64url.h"

namespace {

constexpr size_t kMaxInput = 300 * 1024;  // past the verifier's 256 KiB token limit

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

  // The part between separators around `at`, decoded, changed as JSON text and re-encoded: it
  // reaches the JSON and disclosure code behind the base64url layer.
  void mutate_encoded_part(std::string& text, size_t at) {
    size_t start = text.find_last_of(".~", at);
    start = start == std::string::npos ? 0 : start + 1;
    size_t end = text.find_first_of(".~", at);
    if (end == std::string::npos) end = text.size();
    if (start >= end) return;
    auto decoded = mpli::credentials::base64url_decode(text.substr(start, end - start));
    if (!decoded.is_ok()) return;
    static const char* const kJson[] = {"[",
                                        "{\"_sd\":[",
                                        "\"...\"",
                                        "\"crit\":[\"x\"],",
                                        "\"alg\":\"none\",",
                                        "\"typ\":\"vp+jwt\",",
                                        "null",
                                        "1e999",
                                        "\"\\ud800\"",
                                        "\"cnf\":{\"jwk\":{}},"};
    std::string json = *decoded;
    size_t where = below(json.size() + 1);
    if (below(4) == 0) {
      json.insert(where, std::string(below(5000) + 1, below(2) ? '[' : '{'));
    } else {
      json.insert(where, kJson[below(sizeof kJson / sizeof kJson[0])]);
    }
    text.replace(start, end - start, mpli::credentials::base64url_encode(json));
  }

  void step(std::string& text, const std::vector<std::string>& corpus) {
    static const char* const kTokens[] = {".", "~", "~~",  "..",  "=",   "+",    "/",
                                          "-", "_", "eyJ", "e30", "W10", "\xFF", "\n"};
    size_t at = below(text.size() + 1);
    switch (below(7)) {
      case 0:
        if (!text.empty()) text[below(text.size())] = static_cast<char>(below(256));
        break;
      case 1:
        text.insert(at, kTokens[below(sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 2:
        if (at < text.size()) text.erase(at, below(64) + 1);
        break;
      case 3: {
        const std::string& other = corpus[below(corpus.size())];
        text = text.substr(0, at) + other.substr(below(other.size() + 1));
        break;
      }
      case 4:
        mutate_encoded_part(text, at);
        break;
      case 5:
        text.insert(at, std::string(below(300000) + 1, 'A'));
        break;
      default:
        text.resize(at);
        break;
    }
  }

  std::mt19937_64& random_;
};

}  // namespace

int main(int argc, char** argv) {
  mpli::fuzz::ReplayTarget target;
  target.name = "credential_token_replay";
  target.check = mpli::fuzz::check_credential_token_input;
  target.mutate = [](std::mt19937_64& random, const std::vector<std::string>& corpus) {
    return Mutator(random).mutate(corpus);
  };
  // The W3C vectors next to the repository are optional.
  target.skip_missing_dirs = true;
  return mpli::fuzz::replay_main(argc, argv, target);
}
