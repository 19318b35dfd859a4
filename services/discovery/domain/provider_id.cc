#include "services/discovery/domain/provider_id.h"

namespace mpli::discovery {

bool valid_provider_id(std::string_view id) {
  auto letter_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > 63) return false;
  if (!letter_or_digit(id.front()) || !letter_or_digit(id.back())) return false;
  for (char c : id) {
    if (!letter_or_digit(c) && c != '-') return false;
  }
  return true;
}

}  // namespace mpli::discovery
