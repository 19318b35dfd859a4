// mpli-manifest-reference: renders docs/manifest-reference.md from the manifest and consumer
// shapes and the kind vocabularies, writes it (--output) or checks that a checked-in copy is
// current (--check).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "libs/rdf/parser.h"
#include "tools/manifest-reference/manifest_reference.h"

namespace {

constexpr const char* kRegenerate = "cmake --build build --target manifest-reference";

int usage() {
  std::cerr
      << "usage: mpli-manifest-reference [--root DIR] [--output FILE | --check FILE]\n"
         "  Renders the manifest reference from DIR/ontology/shapes/{manifest,consumer}.ttl,\n"
         "  the kind vocabularies DIR/ontology/kinds/*.ttl and DIR/ontology/mpli.ttl (DIR\n"
         "  defaults to .) to standard output, to FILE (--output), or compares it with FILE\n"
         "  (--check: exit 1 when they differ).\n";
  return 2;
}

bool parse(const std::string& path, mpli::rdf::Graph& graph) {
  mpli::Status status = mpli::rdf::parse_file(path, graph);
  if (!status.is_ok()) std::cerr << "mpli-manifest-reference: " << status.to_string() << "\n";
  return status.is_ok();
}

// The names of the Turtle files in `dir`, sorted; false (with a message) when it cannot be read.
bool turtle_files(const std::string& dir, std::vector<std::string>& names) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".ttl") {
      names.push_back(entry.path().filename().string());
    }
  }
  if (error) {
    std::cerr << "mpli-manifest-reference: cannot read " << dir << ": " << error.message() << "\n";
    return false;
  }
  std::sort(names.begin(), names.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = ".";
  std::string output;
  std::string check;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--root") {
      root = argv[++i];
    } else if (arg == "--output") {
      output = argv[++i];
    } else if (arg == "--check") {
      check = argv[++i];
    } else {
      return usage();
    }
  }
  if (!output.empty() && !check.empty()) return usage();

  // Each file in a term table of its own: term ids then follow each file's order.
  mpli::rdf::Graph manifest;
  mpli::rdf::Graph consumer;
  mpli::rdf::Graph vocabulary;
  if (!parse(root + "/ontology/shapes/manifest.ttl", manifest) ||
      !parse(root + "/ontology/shapes/consumer.ttl", consumer) ||
      !parse(root + "/ontology/mpli.ttl", vocabulary)) {
    return 2;
  }
  std::vector<std::string> kind_files;
  if (!turtle_files(root + "/ontology/kinds", kind_files)) return 2;
  std::vector<std::unique_ptr<mpli::rdf::Graph>> kinds;
  mpli::manifest_reference::ReferenceInput input;
  for (const std::string& name : kind_files) {
    std::string source = "ontology/kinds/" + name;
    kinds.push_back(std::make_unique<mpli::rdf::Graph>());
    if (!parse(root + "/" + source, *kinds.back())) return 2;
    input.kinds.push_back({source, kinds.back().get()});
  }
  input.documents = {{"Provider manifest", "ontology/shapes/manifest.ttl", &manifest},
                     {"Consumer manifest", "ontology/shapes/consumer.ttl", &consumer}};
  input.vocabulary = &vocabulary;
  input.command = kRegenerate;
  std::string text = mpli::manifest_reference::render_reference(input);

  if (!check.empty()) {
    std::ifstream in(check, std::ios::binary);
    if (!in) {
      std::cout << "cannot read " << check << "; generate it with `" << kRegenerate << "`\n";
      return 1;
    }
    std::stringstream checked_in;
    checked_in << in.rdbuf();
    auto diff = mpli::manifest_reference::first_difference(text, checked_in.str());
    if (!diff) {
      std::cout << check << " is current\n";
      return 0;
    }
    std::cout << check << " is out of date with the shapes: first difference at line " << diff->line
              << "\n- checked in: " << diff->actual << "\n+ generated:  " << diff->expected
              << "\nRegenerate it with `" << kRegenerate << "` and commit it.\n";
    return 1;
  }
  if (output.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "mpli-manifest-reference: cannot write " << output << "\n";
    return 2;
  }
  return 0;
}
