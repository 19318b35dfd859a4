#include "libs/testing/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

#include "libs/core/digest.h"

namespace mpli::testing {

HttpTestServer::HttpTestServer(Handler handler) : handler_(std::move(handler)) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener_, 64) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listener_);
    throw std::runtime_error("test HTTP server cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpTestServer::~HttpTestServer() {
  stopping_ = true;
  shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  close(listener_);
}

std::string HttpTestServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpTestServer::serve() {
  while (!stopping_) {
    pollfd pfd{listener_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    handle(client);
    close(client);
  }
}

void HttpTestServer::handle(int client) {
  std::string raw;
  char buffer[4096];
  while (raw.find("\r\n\r\n") == std::string::npos && raw.size() < 65536) {
    pollfd pfd{client, POLLIN, 0};
    if (poll(&pfd, 1, 2000) <= 0) return;
    ssize_t n = read(client, buffer, sizeof(buffer));
    if (n <= 0) return;
    raw.append(buffer, static_cast<size_t>(n));
  }
  ++requests_;
  HttpTestRequest request;
  size_t line_end = raw.find("\r\n");
  std::string first = raw.substr(0, line_end);
  size_t sp1 = first.find(' ');
  size_t sp2 = first.find(' ', sp1 + 1);
  request.method = first.substr(0, sp1);
  request.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end + 2;
  while (true) {
    size_t end = raw.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    std::string line = raw.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request.headers[name] = value;
    }
    pos = end + 2;
  }

  HttpTestResponse response = handler_(request);
  if (response.delay.count() > 0) {
    auto until = std::chrono::steady_clock::now() + response.delay;
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " X\r\nConnection: close\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  head +=
      "Content-Length: " + std::to_string(response.body.size() * response.repeat_body) + "\r\n\r\n";
  auto send_all = [client](const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(client, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  };
  if (!send_all(head)) return;
  if (request.method == "HEAD") return;
  for (size_t i = 0; i < response.repeat_body && !stopping_; ++i) {
    if (!send_all(response.body)) return;  // the client hung up (it refused a huge body)
  }
}

HttpTestResponse static_document(const HttpTestRequest& request, const std::string& body,
                                 const std::string& content_type) {
  HttpTestResponse response;
  std::string etag = "\"" + digest::sha256_hex(body).substr(0, 32) + "\"";
  auto match = request.headers.find("if-none-match");
  if (match != request.headers.end() && match->second == etag) {
    response.status = 304;
    response.headers["ETag"] = etag;
    return response;
  }
  response.headers["ETag"] = etag;
  response.headers["Content-Type"] = content_type;
  response.body = body;
  return response;
}

}  // namespace mpli::testing
