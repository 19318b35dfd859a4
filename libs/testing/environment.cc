#include "libs/testing/environment.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mpli::testing {
namespace fs = std::filesystem;

namespace {
process::TempDirectory made_or_thrown(const std::string& prefix) {
  auto made = process::TempDirectory::make(prefix);
  if (!made) throw std::runtime_error(made.status().message());
  return std::move(*made);
}
}  // namespace

TempDir::TempDir() : dir_(made_or_thrown("mpli-test-")) {
  // PostgreSQL runs as `postgres` when tests run as root: it must reach its directory.
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
}

void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds within,
                const std::string& message) {
  wait_until(condition, within, message, WaitWatch{});
}

void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds within,
                const std::string& message, const WaitWatch& watch) {
  auto fail = [&](const std::string& why) {
    std::string text = why + ": " + message;
    if (watch.details) text += "\n" + watch.details();
    throw std::runtime_error(text);
  };
  auto deadline = std::chrono::steady_clock::now() + within;
  auto pause = std::chrono::milliseconds(2);
  while (!condition()) {
    if (watch.hopeless) {
      std::string why = watch.hopeless();
      if (!why.empty()) fail(why);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      fail("timed out after " + std::to_string(within.count()) + " ms");
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(50)) pause *= 2;
  }
}

namespace {
int pick_port(int port) {
  if (port != 0) return port;
  auto free = process::free_tcp_port();
  if (!free) throw std::runtime_error(free.status().to_string());
  return *free;
}
}  // namespace

TestNats::TestNats(const std::string& dir, int port) : dir_(dir + "/nats"), port_(pick_port(port)) {
  start();
}

void TestNats::start() {
  process::NatsServerOptions options;
  options.state_dir = dir_;
  options.port = port_;
  auto server = process::NatsServer::start(options, std::chrono::seconds(20));
  if (!server) throw std::runtime_error("nats-server: " + server.status().to_string());
  server_ = std::make_unique<process::NatsServer>(std::move(server).value());
}

void TestNats::stop() { server_->stop(std::chrono::seconds(5)); }

TestPostgres::TestPostgres(const std::string& dir, TestPostgresOptions options)
    : dir_(dir + "/postgres"), port_(pick_port(0)), options_(options) {
  start();
}

void TestPostgres::start() {
  process::PostgresOptions options;
  options.data_dir = dir_ + "/data";
  options.port = port_;
  options.durable = false;
  if (options_.logical_replication) {
    // Server settings go into postgresql.conf before the first start (the later line wins), so
    // no restart is needed; libs/process stays unaware of them.
    std::string conf = options.data_dir + "/postgresql.conf";
    if (!fs::exists(conf)) {
      auto initialised = process::PostgresServer::initialise(options, std::chrono::seconds(60));
      if (!initialised.is_ok()) throw std::runtime_error("initdb: " + initialised.to_string());
    }
    std::ifstream in(conf);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("# mpli TestPostgres: logical replication") == std::string::npos) {
      std::ofstream out(conf, std::ios::app);
      out << "\n# mpli TestPostgres: logical replication\nwal_level = logical\n"
             "max_replication_slots = 20\nmax_wal_senders = 20\nmax_logical_replication_workers = "
             "8\n";
      if (!out) throw std::runtime_error("cannot append to " + conf);
    }
  }
  auto server = process::PostgresServer::start(options, std::chrono::seconds(60));
  if (!server) throw std::runtime_error("postgres: " + server.status().to_string());
  server_ = std::make_unique<process::PostgresServer>(std::move(server).value());
}

void TestPostgres::stop() { server_->stop(std::chrono::seconds(10)); }

std::string bin_dir() { return MPLI_BIN_DIR; }

std::string read_example(const std::string& name) {
  std::string path = std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at == std::string::npos) {
    throw std::invalid_argument("replace_first: the text holds no \"" + from + "\"");
  }
  return text.replace(at, from.size(), to);
}

process::ChildProcess start_binary(const std::string& binary,
                                   const std::map<std::string, std::string>& environment,
                                   const std::string& log_dir) {
  process::Spec spec;
  spec.program = bin_dir() + "/" + binary;
  spec.environment = environment;
  spec.output_file = log_dir + "/" + binary + ".log";
  auto child = process::ChildProcess::spawn(spec);
  if (!child) throw std::runtime_error(binary + ": " + child.status().to_string());
  return std::move(child).value();
}

}  // namespace mpli::testing
