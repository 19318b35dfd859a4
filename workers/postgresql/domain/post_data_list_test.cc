// The post-data listing split: foreign keys (and what is on them) apart, everything else first.
#include "workers/postgresql/domain/post_data_list.h"

#include <catch2/catch.hpp>

namespace mpli::pgworker {
namespace {

// `pg_restore -l` of pgbench's post-data (--foreign-keys) with an index, a comment on a foreign
// key and a policy added (PostgreSQL 15).
constexpr const char* kListing =
    ";\n"
    "; Archive created at 2026-12-05 04:56:47 UTC\n"
    ";     dbname: small\n"
    ";\n"
    "; Selected TOC Entries:\n"
    ";\n"
    "3212; 2606 16479 CONSTRAINT public pgbench_accounts pgbench_accounts_pkey postgres\n"
    "3214; 2606 16475 CONSTRAINT public pgbench_branches pgbench_branches_pkey postgres\n"
    "3210; 1259 16505 INDEX public acc_bal postgres\n"
    "3219; 2606 16485 FK CONSTRAINT public pgbench_accounts pgbench_accounts_bid_fkey postgres\n"
    "3373; 0 0 COMMENT public CONSTRAINT pgbench_accounts_bid_fkey ON pgbench_accounts postgres\n"
    "3215; 2606 16500 FK CONSTRAINT public pgbench_history pgbench_history_aid_fkey postgres\n"
    "3362; 3256 16506 POLICY public pgbench_tellers p postgres\n"
    "3374; 0 0 COMMENT public POLICY p ON pgbench_tellers postgres\n";

TEST_CASE("foreign keys and the comments on them are listed apart in the archive order") {
  PostDataLists lists = split_post_data_list(kListing);
  CHECK(lists.first ==
        "3212; 2606 16479 CONSTRAINT public pgbench_accounts pgbench_accounts_pkey postgres\n"
        "3214; 2606 16475 CONSTRAINT public pgbench_branches pgbench_branches_pkey postgres\n"
        "3210; 1259 16505 INDEX public acc_bal postgres\n"
        "3362; 3256 16506 POLICY public pgbench_tellers p postgres\n"
        "3374; 0 0 COMMENT public POLICY p ON pgbench_tellers postgres\n");
  CHECK(
      lists.foreign_keys ==
      "3219; 2606 16485 FK CONSTRAINT public pgbench_accounts pgbench_accounts_bid_fkey "
      "postgres\n"
      "3373; 0 0 COMMENT public CONSTRAINT pgbench_accounts_bid_fkey ON pgbench_accounts "
      "postgres\n"
      "3215; 2606 16500 FK CONSTRAINT public pgbench_history pgbench_history_aid_fkey postgres\n");
  CHECK(lists.foreign_key_count == 2);
}

TEST_CASE("a listing without foreign keys stays whole and loses its comment lines") {
  PostDataLists lists = split_post_data_list(
      "; FK CONSTRAINT in a comment\n"
      "\n"
      "not an entry; 1 2 FK CONSTRAINT x y z\n"
      "12; 1259 3 INDEX public FK CONSTRAINT me\n"
      "13; 0 0 COMMENT public INDEX FK CONSTRAINT me");  // no newline at the end
  CHECK(lists.first ==
        "12; 1259 3 INDEX public FK CONSTRAINT me\n"
        "13; 0 0 COMMENT public INDEX FK CONSTRAINT me\n");
  CHECK(lists.foreign_keys.empty());
  CHECK(lists.foreign_key_count == 0);
  CHECK(split_post_data_list("").first.empty());
}

}  // namespace
}  // namespace mpli::pgworker
