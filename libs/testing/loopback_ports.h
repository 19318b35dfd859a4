// Ports on 127.0.0.1 for tests that start servers on ports of their choosing (`mpli up` takes
// blocks of them), and a socket a test holds on one.
#pragma once

#include <vector>

#include "libs/core/status.h"

namespace mpli::testing {

// A TCP socket bound to 127.0.0.1:`port` (SO_REUSEADDR), closed when the object goes.
class LoopbackSocket {
 public:
  // kUnavailable when the port is taken.
  static Result<LoopbackSocket> bind(int port);
  LoopbackSocket(LoopbackSocket&& other) noexcept;
  LoopbackSocket& operator=(LoopbackSocket&&) = delete;
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;
  ~LoopbackSocket();

  // Accepts connections from here on (the kernel completes them; nobody answers on them).
  Status listen(int backlog = 16);

 private:
  explicit LoopbackSocket(int fd) : fd_(fd) {}
  int fd_;  // -1 once moved from
};

// True when a listener could bind 127.0.0.1:`port` now.
bool bindable(int port);

// A port whose next `count - 1` are free too, at least `distance` away from each of
// `clear_of`. Taken below the kernel's ephemeral range (32768 and up), so the outgoing
// connections of tests running alongside cannot take one between this check and the server
// binding it. Throws when there is none after 200 tries.
int free_port_block(int count, const std::vector<int>& clear_of = {}, int distance = 0);

}  // namespace mpli::testing
