// A local user account as a child process running as it needs it: ids, home and the
// supplementary groups. Looked up with the reentrant calls: `mpli up` starts PostgreSQL servers
// as `postgres` from several threads at once, and getpwnam's shared buffer once handed one of
// them another user's ids (initdb ran as `proxy`).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::process {

struct UserAccount {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  // Every group the user is in, the primary one included (what initgroups would set; resolved
  // before a fork, because after it only async-signal-safe calls may run).
  std::vector<gid_t> groups;
};

// kNotFound when there is no such user; kInternal when the account database cannot be read.
Result<UserAccount> lookup_user(const std::string& name);

}  // namespace mpli::process
