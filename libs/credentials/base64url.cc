#include "libs/credentials/base64url.h"

#include <array>

#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::array<int8_t, 256> reverse_of(std::string_view alphabet) {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

Result<std::string> decode_with(std::string_view text, const std::array<int8_t, 256>& table,
                                const char* what) {
  if (text.size() % 4 == 1) {
    return refusal(Refusal::kMalformed,
                   std::string(what) + ": impossible length " + std::to_string(text.size()));
  }
  // Written by index into a buffer sized once: a push_back per byte was a tenth of a whole
  // credential verification (bench/credentials).
  std::string out(text.size() * 3 / 4 + 1, '\0');
  size_t length = 0;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int8_t value = table[static_cast<unsigned char>(text[i])];
    if (value < 0) {
      return refusal(Refusal::kMalformed,
                     std::string(what) + ": character not allowed at " + std::to_string(i + 1))
          .with_detail("column", std::to_string(i + 1));
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero: otherwise two texts would decode to the same bytes.
  if (bits > 0 && (buffer & ((1U << bits) - 1)) != 0) {
    return refusal(Refusal::kMalformed, std::string(what) + ": non-zero trailing bits");
  }
  out.resize(length);
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kUrlAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kUrlAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

Result<std::string> base64url_decode(std::string_view text) {
  static const auto table = reverse_of(kUrlAlphabet);
  return decode_with(text, table, "base64url");
}

Result<std::string> base64_decode(std::string_view text) {
  static const auto table = reverse_of(kStdAlphabet);
  if (text.size() % 4 != 0) {
    return refusal(Refusal::kMalformed, "base64: length is not a multiple of 4");
  }
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  return decode_with(text.substr(0, text.size() - padding), table, "base64");
}

}  // namespace mpli::credentials
