// mpli-demo-provider: a provider's web server for the local federation. Serves one manifest
// file at /.well-known/mpli.ttl with ETag and Last-Modified, answering conditional requests
// with 304, and re-reading the file on every request so an edit shows up at the next refresh.
#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/router.h>
#include <signal.h>
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "libs/core/config.h"
#include "libs/core/digest.h"

namespace {

using namespace Pistache;

std::string http_date(time_t when) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buffer;
}

class ManifestHandler {
 public:
  explicit ManifestHandler(std::string path) : path_(std::move(path)) {}

  void serve(const Rest::Request& request, Http::ResponseWriter response) {
    std::ifstream in(path_);
    struct stat info {};
    if (!in || stat(path_.c_str(), &info) != 0) {
      response.send(Http::Code::Internal_Server_Error, "manifest file unreadable\n");
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string body = text.str();
    std::string etag = "\"" + mpli::digest::sha256_hex(body).substr(0, 32) + "\"";
    std::string modified = http_date(info.st_mtime);
    response.headers().addRaw(Http::Header::Raw("ETag", etag));
    response.headers().addRaw(Http::Header::Raw("Last-Modified", modified));
    auto match = request.headers().tryGetRaw("If-None-Match");
    if (match && match->value() == etag) {
      response.send(Http::Code::Not_Modified);
      return;
    }
    response.headers().add<Http::Header::ContentType>(Http::Mime::MediaType("text/turtle"));
    response.send(Http::Code::Ok, body);
  }

 private:
  std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string manifest;
  std::string port_text;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--manifest") manifest = argv[i + 1];
    if (arg == "--port") port_text = argv[i + 1];
  }
  if (manifest.empty() || !mpli::config::int_between(1, 65535)(port_text).empty()) {
    std::cerr << "usage: mpli-demo-provider --manifest FILE.ttl --port PORT\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ManifestHandler handler(manifest);
  Rest::Router router;
  Rest::Routes::Get(router, "/.well-known/mpli.ttl", Rest::Routes::bind(&ManifestHandler::serve, &handler));
  auto endpoint = std::make_shared<Http::Endpoint>(
      Address(Ipv4::loopback(), Port(static_cast<uint16_t>(std::stoi(port_text)))));
  endpoint->init(Http::Endpoint::options().threads(1).flags(Tcp::Options::ReuseAddr));
  endpoint->setHandler(router.handler());
  try {
    endpoint->serveThreaded();
  } catch (const std::exception& e) {
    std::cerr << "mpli-demo-provider: cannot listen on port " << port_text << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "{\"msg\":\"serving\",\"manifest\":\"" << manifest << "\",\"port\":" << port_text << "}"
            << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  endpoint->shutdown();
  return 0;
}
