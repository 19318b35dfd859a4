// A directory of one owner's own under the system's temporary directory (mkdtemp: mode 0700, a
// name no one else has), removed with everything in it when the owner drops it: a worker's
// scratch files for one item, a test's servers.
#pragma once

#include <string>

#include "libs/core/status.h"

namespace mpli::process {

class TempDirectory {
 public:
  // <temp>/<prefix>XXXXXX. kInternal when it cannot be made.
  static Result<TempDirectory> make(const std::string& prefix);
  TempDirectory(TempDirectory&& other) noexcept;
  TempDirectory& operator=(TempDirectory&&) = delete;
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  ~TempDirectory();

  const std::string& path() const { return path_; }
  // `name` inside it.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;  // "" once moved from: nothing to remove
};

}  // namespace mpli::process
