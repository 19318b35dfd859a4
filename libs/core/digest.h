// Content digests used for change detection and migration checksums.
#pragma once

#include <string>
#include <string_view>

namespace mpli::digest {

std::string sha256_hex(std::string_view data);

}  // namespace mpli::digest
