// mpli-demo-provider: a provider's web server for the local federation. Serves one manifest
// file at /.well-known/mpli.ttl (or, with --dir, every NAME.ttl of a folder at /NAME.ttl, for
// benchmarks) with ETag and Last-Modified, answering conditional requests with 304, and
// re-reading the file on every request so an edit shows up at the next refresh. With --files,
// any other path is served from that folder: the credentials a manifest points to.
#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/router.h>
#include <signal.h>
#include <sys/stat.h>

#include <cctype>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "libs/core/config.h"
#include "libs/core/digest.h"
#include "libs/core/termination.h"

namespace {

using namespace Pistache;

// Pistache 0.0.5 does not write raw response headers; typed ones it does.
class ValueHeader : public Http::Header::Header {
 public:
  explicit ValueHeader(std::string value = "") : value_(std::move(value)) {}
  void parseRaw(const char* text, size_t length) override { value_.assign(text, length); }
  void write(std::ostream& out) const override { out << value_; }

 private:
  std::string value_;
};
class ETagHeader : public ValueHeader {
 public:
  NAME("ETag")
  using ValueHeader::ValueHeader;
};
class LastModifiedHeader : public ValueHeader {
 public:
  NAME("Last-Modified")
  using ValueHeader::ValueHeader;
};

std::string http_date(time_t when) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buffer;
}

// File names a folder may serve: no path separators, no "..".
bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

class ManifestHandler {
 public:
  explicit ManifestHandler(std::string path) : path_(std::move(path)) {}

  void serve(const Rest::Request& request, Http::ResponseWriter response) {
    serve_file(path_, request, response);
  }

  void serve_from_dir(const Rest::Request& request, Http::ResponseWriter response) {
    std::string name = request.param(":name").as<std::string>();
    if (!safe_name(name)) {
      response.send(Http::Code::Not_Found, "no such manifest\n");
      return;
    }
    serve_file(path_ + "/" + name, request, response);
  }

 private:
  static void serve_file(const std::string& path, const Rest::Request& request,
                         Http::ResponseWriter& response) {
    std::ifstream in(path);
    struct stat info {};
    if (!in || stat(path.c_str(), &info) != 0) {
      response.send(Http::Code::Not_Found, "no such manifest\n");
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string body = text.str();
    std::string etag = "\"" + mpli::digest::sha256_hex(body).substr(0, 32) + "\"";
    std::string modified = http_date(info.st_mtime);
    response.headers().add<ETagHeader>(etag);
    response.headers().add<LastModifiedHeader>(modified);
    auto match = request.headers().tryGetRaw("If-None-Match");
    if (match && match->value() == etag) {
      response.send(Http::Code::Not_Modified);
      return;
    }
    response.headers().add<Http::Header::ContentType>(Http::Mime::MediaType("text/turtle"));
    response.send(Http::Code::Ok, body);
  }

  std::string path_;
};

// GET /<segment>/.../<file> from a folder: each segment a safe name (".well-known" allowed).
class FileHandler {
 public:
  explicit FileHandler(std::string dir) : dir_(std::move(dir)) {}

  void serve(const Rest::Request& request, Http::ResponseWriter response) {
    std::string path;
    std::stringstream segments(request.resource());
    std::string segment;
    while (std::getline(segments, segment, '/')) {
      if (segment.empty()) continue;
      if (segment != ".well-known" && !safe_name(segment)) {
        response.send(Http::Code::Not_Found, "not found\n");
        return;
      }
      path += "/" + segment;
    }
    std::ifstream in(dir_ + path);
    struct stat info {};
    if (path.empty() || !in || stat((dir_ + path).c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      response.send(Http::Code::Not_Found, "not found\n");
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    bool jwt = path.size() > 4 && path.compare(path.size() - 4, 4, ".jwt") == 0;
    response.headers().add<Http::Header::ContentType>(
        Http::Mime::MediaType(jwt ? "application/vc+jwt" : "application/json"));
    response.send(Http::Code::Ok, text.str());
  }

 private:
  std::string dir_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string manifest;
  std::string dir;
  std::string port_text;
  std::string threads_text = "1";
  std::string files;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--manifest") manifest = argv[i + 1];
    if (arg == "--dir") dir = argv[i + 1];
    if (arg == "--port") port_text = argv[i + 1];
    if (arg == "--threads") threads_text = argv[i + 1];
    if (arg == "--files") files = argv[i + 1];
  }
  if (manifest.empty() == dir.empty() || !mpli::config::int_between(1, 65535)(port_text).empty() ||
      !mpli::config::int_between(1, 64)(threads_text).empty()) {
    std::cerr << "usage: mpli-demo-provider (--manifest FILE.ttl | --dir DIR) --port PORT "
                 "[--threads N] [--files DIR]\n";
    return 2;
  }
  const sigset_t signals = mpli::termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ManifestHandler handler(dir.empty() ? manifest : dir);
  Rest::Router router;
  if (dir.empty()) {
    Rest::Routes::Get(router, "/.well-known/mpli.ttl",
                      Rest::Routes::bind(&ManifestHandler::serve, &handler));
  } else {
    Rest::Routes::Get(router, "/:name",
                      Rest::Routes::bind(&ManifestHandler::serve_from_dir, &handler));
  }
  FileHandler file_handler(files);
  if (!files.empty()) {
    router.addNotFoundHandler(Rest::Routes::bind(&FileHandler::serve, &file_handler));
  }
  auto endpoint = std::make_shared<Http::Endpoint>(
      Address(Ipv4::loopback(), Port(static_cast<uint16_t>(std::stoi(port_text)))));
  endpoint->init(
      Http::Endpoint::options().threads(std::stoi(threads_text)).flags(Tcp::Options::ReuseAddr));
  endpoint->setHandler(router.handler());
  try {
    endpoint->serveThreaded();
  } catch (const std::exception& e) {
    std::cerr << "mpli-demo-provider: cannot listen on port " << port_text << ": " << e.what()
              << "\n";
    return 1;
  }
  std::cout << "{\"msg\":\"serving\",\"manifest\":\"" << (dir.empty() ? manifest : dir)
            << "\",\"port\":" << port_text << "}" << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  endpoint->shutdown();
  return 0;
}
