#include "fuzz/replay_driver.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <vector>

namespace mpli::fuzz {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "a|b|c" -> {"a", "b", "c"}.
std::vector<std::string> split_tokens(std::string_view list) {
  std::vector<std::string> tokens;
  for (size_t start = 0; start <= list.size();) {
    size_t end = std::min(list.find('|', start), list.size());
    tokens.emplace_back(list.substr(start, end - start));
    start = end + 1;
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(std::mt19937_64& random, const ReplayTarget& target) : random_(random), target_(target) {}

  std::string mutate(const std::vector<std::string>& corpus) {
    std::string text = corpus[below(corpus.size())];
    int rounds = 1 + static_cast<int>(below(4));
    for (int i = 0; i < rounds; ++i) step(text, corpus);
    if (text.size() > target_.max_input) text.resize(target_.max_input);
    return text;
  }

 private:
  size_t below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(random_);
  }

  // Where a mutation may go: after the selector byte, when the target has one.
  size_t position(const std::string& text) {
    size_t first = target_.selectors.empty() || text.empty() ? 0 : 1;
    return first + below(text.size() - first + 1);
  }

  void step(std::string& text, const std::vector<std::string>& corpus) {
    // JSON structure, numbers at the edges of int32, int64 and double, escapes of JSON and of
    // URLs, bytes that are not UTF-8, and members the parsers look for.
    static const std::vector<std::string> kTokens = split_tokens(
        "{|}|[|]|\"|:|,|null|true|false|0|-1|-0|1.5|1e999|-1e400|2147483647|2147483648|"
        "-2147483649|9223372036854775807|9223372036854775808|18446744073709551616|"
        "\"\\ud800\"|\"\\u0000\"|\\|\"\\x\"|%|%zz|%00|%FF|&|=|+|&&==|\n|\r\n|\xFF|\xC3|"
        "\xF0\x9F|\"\":\"\",|{\"a\":{}}|[[],[]]|\"parameters\":{\"k\":[]},|\"attempt\":\"1\",");
    size_t at = position(text);
    switch (below(9)) {
      case 0:
        if (!text.empty()) text[below(text.size())] = static_cast<char>(below(256));
        break;
      case 1:
      case 2:
        text.insert(at, kTokens[below(kTokens.size())]);
        break;
      case 3:
        if (at < text.size()) text.erase(at, below(64) + 1);
        break;
      case 4: {
        const std::string& other = corpus[below(corpus.size())];
        text = text.substr(0, at) + other.substr(std::min(position(other), other.size()));
        break;
      }
      case 5: {
        // Nesting far past what a recursive reader survives on a small stack.
        const char* opener = below(2) ? "[" : "{\"a\":";
        std::string deep;
        for (size_t i = below(20000) + 1; i > 0; --i) deep += opener;
        text.insert(at, deep);
        break;
      }
      case 6:
        text.insert(at, std::string(below(100000) + 1, below(2) ? 'A' : ' '));
        break;
      case 7:
        if (!target_.selectors.empty() && !text.empty()) {
          text[0] = target_.selectors[below(target_.selectors.size())];
        } else {
          text.resize(at);
        }
        break;
      default:
        text.resize(at);
        break;
    }
  }

  std::mt19937_64& random_;
  const ReplayTarget& target_;
};

}  // namespace

int replay_main(int argc, char** argv, const ReplayTarget& target) {
  size_t mutations = 2000;
  uint64_t seed = 1;
  std::string save_current;
  std::vector<std::filesystem::path> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--save-current" && i + 1 < argc) {
      save_current = argv[++i];
    } else {
      dirs.emplace_back(arg);
    }
  }
  std::vector<std::filesystem::path> files;
  for (const auto& dir : dirs) {
    if (!std::filesystem::is_directory(dir)) {
      if (target.skip_missing_dirs) continue;
      std::cerr << target.name << ": " << dir << " is not a directory\n";
      return 1;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  // Sorted, so that the mutations (which pick from the corpus by index) are the same everywhere.
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  for (const auto& file : files) corpus.push_back(read_file(file));
  if (corpus.empty()) {
    std::cerr << target.name << ": no corpus files\n";
    return 1;
  }
  auto run = [&](const std::string& input) {
    if (!save_current.empty()) std::ofstream(save_current, std::ios::binary) << input;
    target.check(input);
  };
  size_t grown = 0;
  for (const auto& input : corpus) {
    run(input);
    if (!target.variants) continue;
    for (const std::string& variant : target.variants(input)) {
      if (variant.empty()) continue;
      run(variant);
      ++grown;
    }
  }
  std::mt19937_64 random(seed);
  for (size_t i = 0; i < mutations; ++i) {
    run(target.mutate ? target.mutate(random, corpus) : Mutator(random, target).mutate(corpus));
  }
  std::cout << target.name << ": " << corpus.size() << " corpus inputs, ";
  if (target.variants) std::cout << grown << " grown variants, ";
  std::cout << mutations << " mutations (seed " << seed << "): every input came back\n";
  return 0;
}

}  // namespace mpli::fuzz
