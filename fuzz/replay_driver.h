// The replay driver of the fuzz targets (manifest, credential_token, gateway_request,
// worker_message): runs a target's fuzz body without libFuzzer, so ctest can run it under any
// compiler, over every file of the given directories (sorted) and then a fixed number of seeded
// mutations, the same on every machine. A target may bring its own mutations and variants
// grown from each seed; the driver's mutations know JSON and query strings (tokens, numbers at
// the edges of int32 and int64, bad escapes, nesting thousands deep, long strings) and, for a
// target whose first byte picks the parser, may swap that byte for another of its `selectors`.
//   <name> [--mutations N] [--seed S] [--save-current FILE] DIR...
// Exit 0 when every input came back; a crash or a sanitizer report ends the process instead.
// --save-current writes each input to FILE before it runs, so a crash or a hang leaves the
// input that caused it behind.
#pragma once

#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mpli::fuzz {

// One mutation of an input drawn from the corpus, with the driver's seeded generator.
using Mutate =
    std::function<std::string(std::mt19937_64& random, const std::vector<std::string>& corpus)>;

struct ReplayTarget {
  std::string name;
  std::function<void(std::string_view)> check;
  std::string selectors;           // first bytes that pick a parser ("" when the target has none)
  size_t max_input = 256 * 1024;   // what the driver's mutations are cut to
  Mutate mutate;                   // empty: the driver's JSON-aware mutations
  bool skip_missing_dirs = false;  // a directory that is not there is an optional corpus
  // Inputs grown from each corpus file, run after it ("" is skipped); not mutated further.
  std::function<std::vector<std::string>(const std::string&)> variants;
};

int replay_main(int argc, char** argv, const ReplayTarget& target);

}  // namespace mpli::fuzz
