#include "libs/testing/loopback_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

namespace mpli::testing {

Result<LoopbackSocket> LoopbackSocket::bind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return internal_error(std::string("socket: ") + std::strerror(errno));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return unavailable("cannot bind 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
  return LoopbackSocket(fd);
}

LoopbackSocket::LoopbackSocket(LoopbackSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

LoopbackSocket::~LoopbackSocket() {
  if (fd_ >= 0) close(fd_);
}

Status LoopbackSocket::listen(int backlog) {
  if (::listen(fd_, backlog) != 0)
    return internal_error(std::string("listen: ") + std::strerror(errno));
  return Status::ok();
}

bool bindable(int port) { return LoopbackSocket::bind(port).is_ok(); }

int free_port_block(int count, const std::vector<int>& clear_of, int distance) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> base(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = base(random);
    bool clear = true;
    for (int other : clear_of) clear = clear && std::abs(port - other) >= distance;
    for (int i = 0; i < count && clear; ++i) clear = bindable(port + i);
    if (clear) return port;
  }
  throw std::runtime_error("no block of " + std::to_string(count) + " free ports");
}

}  // namespace mpli::testing
