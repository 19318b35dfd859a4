// One fuzz input through everything a manifest meets in the hub (provider manifests at
// discovery, consumer manifests at the resolver), built into both the libFuzzer target (clang,
// fuzz/run.sh) and the corpus replay that runs in ctest (any compiler).
#pragma once

#include <string_view>

namespace mpli::fuzz {

// Bytes -> the consumer manifest shapes and a resolution against the example providers ->
// strict parse -> the manifest shapes -> the catalogue's reading (ManifestChecker, as
// discovery does), then the same bytes parsed in lax mode, validated against the manifest shapes
// and compiled as a shapes graph of their own, with the reports written out as Turtle. Returns
// normally on any input; anything else (a crash, a sanitizer report, an abort on a broken
// invariant) is a finding.
void check_manifest_input(std::string_view bytes);

}  // namespace mpli::fuzz
