#include "libs/process/user_account.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mpli::process {

Result<UserAccount> lookup_user(const std::string& name) {
  long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<size_t>(suggested) : 4096);
  struct passwd entry {};
  struct passwd* found = nullptr;
  int error = 0;
  // ERANGE: an entry longer than the buffer; grow it (bounded: 1 MiB is far beyond any entry).
  while ((error = getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
             ERANGE &&
         buffer.size() < (1U << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (error != 0) {
    return internal_error("cannot look up user '" + name + "': " + std::strerror(error));
  }
  if (found == nullptr) return not_found("no such user '" + name + "'");

  UserAccount account;
  account.name = name;
  account.uid = entry.pw_uid;
  account.gid = entry.pw_gid;
  account.home = entry.pw_dir;
  // getgrouplist says how many groups there are when the array is too small.
  int count = 16;
  for (int attempt = 0; attempt < 8; ++attempt) {
    account.groups.resize(static_cast<size_t>(count));
    int capacity = count;
    if (getgrouplist(name.c_str(), account.gid, account.groups.data(), &count) >= 0) {
      account.groups.resize(static_cast<size_t>(count));
      return account;
    }
    if (count <= capacity) count = capacity * 2;
  }
  return internal_error("cannot list the groups of user '" + name + "'");
}

}  // namespace mpli::process
