#include "libs/process/user_account.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "libs/process/child_process.h"

namespace mpli::process {
namespace {

TEST_CASE("a user's ids, home and groups are looked up by name") {
  auto root = lookup_user("root");
  REQUIRE(root.is_ok());
  CHECK(root->uid == 0);
  CHECK(root->gid == 0);
  CHECK(root->home == "/root");
  CHECK(std::count(root->groups.begin(), root->groups.end(), gid_t{0}) == 1);

  auto missing = lookup_user("mpli-no-such-user");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() == "no such user 'mpli-no-such-user'");
}

// `mpli up` starts servers as another user from several threads at once: each lookup must see
// its own user (getpwnam's shared buffer once gave a thread another user's ids).
TEST_CASE("users looked up from many threads at once each get their own account") {
  const std::vector<std::string> names = {"root", "nobody", "daemon", "bin"};
  std::vector<UserAccount> expected;
  for (const auto& name : names) {
    auto account = lookup_user(name);
    REQUIRE(account.is_ok());
    expected.push_back(*account);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        size_t which = (t + static_cast<size_t>(i)) % names.size();
        auto account = lookup_user(names[which]);
        if (!account.is_ok() || account->uid != expected[which].uid ||
            account->gid != expected[which].gid || account->home != expected[which].home ||
            account->groups != expected[which].groups) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
}

// As root, the child gets the user's ids and the groups looked up before the fork, none of the
// parent's; as anyone else, run_as_user is ignored (only root can switch).
TEST_CASE("a child run as another user has that user's ids and groups") {
  auto nobody = lookup_user("nobody");
  REQUIRE(nobody.is_ok());
  Spec id;
  id.program = "id";
  id.run_as_user = "nobody";
  id.capture_output = true;
  auto ran = run(id, std::chrono::seconds(10));
  REQUIRE(ran.is_ok());
  REQUIRE(ran->exit_code == 0);
  INFO(ran->output);
  if (geteuid() == 0) {
    CHECK_THAT(ran->output, Catch::StartsWith("uid=" + std::to_string(nobody->uid) +
                                              "(nobody) gid=" + std::to_string(nobody->gid) + "("));
    CHECK(ran->output.find("(root)") == std::string::npos);
  } else {
    CHECK_THAT(ran->output, Catch::StartsWith("uid=" + std::to_string(geteuid()) + "("));
  }
}

}  // namespace
}  // namespace mpli::process
