// The offline import's post-data section in two parts (docs/migrations.md, "The offline copy"):
// pg_restore's table of contents (`pg_restore -l`) split so the foreign keys can be restored
// beside the target's checksum. Adding a foreign key takes SHARE ROW EXCLUSIVE locks, which let
// the checksum's readers (ACCESS SHARE) in; what else post-data holds can take ACCESS EXCLUSIVE
// (a primary key, a policy) and must come before the checksum starts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mpli::pgworker {

struct PostDataLists {
  std::string first;         // everything else, in the archive's order: indexes, keys, triggers
  std::string foreign_keys;  // each FK CONSTRAINT entry, with the comments and labels on it
  std::size_t foreign_key_count = 0;
};

// Splits a `pg_restore -l` listing ("<id>; <catalog oid> <oid> <TYPE> <schema> <name> <owner>"
// per entry, ';' lines are comments). A COMMENT or SECURITY LABEL entry right after a foreign
// key is on that key (pg_dump writes them next to their object) and goes with it.
PostDataLists split_post_data_list(std::string_view listing);

}  // namespace mpli::pgworker
