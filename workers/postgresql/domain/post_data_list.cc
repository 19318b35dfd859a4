#include "workers/postgresql/domain/post_data_list.h"

#include <cctype>

namespace mpli::pgworker {

namespace {

// The entry's type and what follows it ("FK CONSTRAINT public t t_fkey owner"), or "" for a
// comment, a blank line or a line that is not an entry.
std::string_view entry_description(std::string_view line) {
  const auto semicolon = line.find(';');
  if (semicolon == 0 || semicolon == std::string_view::npos) return {};
  for (char c : line.substr(0, semicolon)) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return {};
  }
  std::string_view rest = line.substr(semicolon + 1);
  for (int number = 0; number < 2; ++number) {  // the catalog's oid and the object's
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return {};
    const auto end = rest.find(' ', start);
    if (end == std::string_view::npos) return {};
    rest = rest.substr(end);
  }
  const auto start = rest.find_first_not_of(' ');
  return start == std::string_view::npos ? std::string_view{} : rest.substr(start);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

PostDataLists split_post_data_list(std::string_view listing) {
  PostDataLists lists;
  bool after_foreign_key = false;
  while (!listing.empty()) {
    const auto newline = listing.find('\n');
    const std::string_view line = listing.substr(0, newline);
    listing = newline == std::string_view::npos ? std::string_view{} : listing.substr(newline + 1);
    const std::string_view description = entry_description(line);
    if (description.empty()) continue;  // a comment: pg_restore -L would ignore it
    const bool foreign_key = starts_with(description, "FK CONSTRAINT ");
    const bool on_previous =
        starts_with(description, "COMMENT ") || starts_with(description, "SECURITY LABEL ");
    after_foreign_key = foreign_key || (after_foreign_key && on_previous);
    std::string& list = after_foreign_key ? lists.foreign_keys : lists.first;
    list.append(line).push_back('\n');
    if (foreign_key) ++lists.foreign_key_count;
  }
  return lists;
}

}  // namespace mpli::pgworker
