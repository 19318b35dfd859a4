#include "services/gateway/http_server.h"

#include <pistache/async.h>
#include <pistache/listener.h>
#include <pistache/os.h>
#include <pistache/peer.h>
#include <pistache/reactor.h>
#include <pistache/stream.h>
#include <pistache/tcp.h>
#include <pistache/transport.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <mutex>
#include <unordered_set>

#include "libs/core/log.h"
#include "services/gateway/http/media_type.h"
#include "services/gateway/http/route_table.h"
#include "services/gateway/http/tls.h"
#include "services/gateway/ops/correlation.h"

namespace mpli::gateway {
namespace {

using Clock = std::chrono::steady_clock;
using Pistache::Tcp::Peer;
using PeerPtr = std::shared_ptr<Peer>;

// How often each I/O thread looks for connections past their time.
constexpr auto kTick = std::chrono::milliseconds(250);
// After a response that ends its connection, how long the client gets to read it and close
// before we do: closing with its unread bytes pending would reset the connection (RST) and
// could destroy the response on the way.
constexpr auto kLinger = std::chrono::seconds(2);
constexpr const char* kConnectionKey = "mpli.connection";

class Outbox;

// One client connection: the request being read, and where its answers go.
class Connection : public ResponseSink, public std::enable_shared_from_this<Connection> {
 public:
  enum class Phase {
    kReading,    // reading a request (or idle between requests)
    kAnswering,  // a request was handed to its route; input waits in `pending`
    kClosing,    // the last response is on its way; input is discarded
  };

  Connection(const RequestLimits& limits, std::weak_ptr<Outbox> outbox, const PeerPtr& peer)
      : reader(limits),
        peer_id(peer->getID()),
        fd(peer->fd()),
        client_address(peer->address().host()),
        outbox_(std::move(outbox)) {}

  // Any thread: hands the bytes to the connection's I/O thread.
  void write(std::string bytes, bool last, bool close) override;
  bool open() const override { return !closed; }

  // The rest belongs to the connection's I/O thread.
  RequestReader reader;
  std::string pending;  // bytes of the next request, received while this one was answered
  Phase phase = Phase::kReading;
  // kReading: when the current request began, or when the connection became idle;
  // kClosing: when the last response was handed over, then when it was fully written.
  Clock::time_point since = Clock::now();
  bool last_write_done = false;  // kClosing: the last response has left
  const size_t peer_id;          // Peer ids are never reused, unlike file descriptors
  const int fd;
  const std::string client_address;
  std::unique_ptr<TlsSession> tls;  // null for plain HTTP

  std::atomic<bool> closed{false};

 private:
  std::weak_ptr<Outbox> outbox_;
};
using ConnectionPtr = std::shared_ptr<Connection>;

struct OutgoingBytes {
  ConnectionPtr connection;
  std::string bytes;
  bool last = false;
  bool close = false;
};

// Responses written on handler threads, handed to the I/O thread that owns their connection:
// only that thread can tell whether a file descriptor still belongs to the same client (the
// client may have gone, and its descriptor number been given to someone else).
class Outbox {
 public:
  Outbox() : event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (event_fd_ < 0) throw std::runtime_error("eventfd failed");
  }
  ~Outbox() { ::close(event_fd_); }
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  int fd() const { return event_fd_; }

  void push(OutgoingBytes item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.push_back(std::move(item));
    }
    uint64_t one = 1;
    if (::write(event_fd_, &one, sizeof(one)) < 0) {
      // EAGAIN only: the counter is at its maximum, so the I/O thread is woken anyway.
    }
  }

  std::deque<OutgoingBytes> take() {
    uint64_t count = 0;
    if (::read(event_fd_, &count, sizeof(count)) < 0) {
      // EAGAIN: nothing signalled since the last take; the items may still be there.
    }
    std::deque<OutgoingBytes> items;
    std::lock_guard<std::mutex> lock(mutex_);
    items.swap(items_);
    return items;
  }

 private:
  int event_fd_;
  std::mutex mutex_;
  std::deque<OutgoingBytes> items_;
};

void Connection::write(std::string bytes, bool last, bool close) {
  if (closed) return;
  if (auto outbox = outbox_.lock()) {
    outbox->push({shared_from_this(), std::move(bytes), last, close});
  }
}

ConnectionPtr connection_of(const PeerPtr& peer) {
  return std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionKey));
}

// One request as the access log and the metrics see it.
struct Exchange {
  std::string method;
  std::string route;  // the pattern, "" when no route matched
  std::string correlation_id;
  std::string client_address;
  Clock::time_point started = Clock::now();
};

// Sits between a Responder and the connection: adds X-Request-Id to the answer's head, counts
// the bytes, and when the last ones leave writes the request's log line and records its
// metrics. Responders write one response's pieces in order, so no lock is needed.
class ObservedSink : public ResponseSink {
 public:
  ObservedSink(ResponseSinkPtr inner, Exchange exchange, GatewayMetrics& metrics)
      : inner_(std::move(inner)), exchange_(std::move(exchange)), metrics_(metrics) {}

  void write(std::string bytes, bool last, bool close) override {
    if (!head_seen_ && !bytes.empty()) {
      head_seen_ = true;
      // "HTTP/1.1 200 OK\r\n...": the status after the version, the header after that line.
      constexpr size_t kStatusAt = sizeof("HTTP/1.1 ") - 1;
      if (bytes.size() > kStatusAt) status_ = std::atoi(bytes.c_str() + kStatusAt);
      size_t line_end = bytes.find("\r\n");
      if (line_end != std::string::npos) {
        bytes.insert(line_end + 2,
                     std::string(kRequestIdHeader) + ": " + exchange_.correlation_id + "\r\n");
      }
    }
    bytes_ += bytes.size();
    if (last && !finished_) {
      finished_ = true;
      finish();
    }
    inner_->write(std::move(bytes), last, close);
  }
  bool open() const override { return inner_->open(); }

 private:
  void finish() {
    auto elapsed = Clock::now() - exchange_.started;
    metrics_.record_request(exchange_.route, exchange_.method, status_, elapsed);
    log::CorrelationScope scope(exchange_.correlation_id);
    // Never the path's query nor any header: they may carry tokens.
    log::info("http request",
              {{"method", exchange_.method},
               {"route", exchange_.route},
               {"status", status_},
               {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
               {"bytes", bytes_},
               {"client", exchange_.client_address}});
  }

  ResponseSinkPtr inner_;
  Exchange exchange_;
  GatewayMetrics& metrics_;
  bool head_seen_ = false;
  bool finished_ = false;
  int status_ = 0;
  size_t bytes_ = 0;
};

}  // namespace

// Routes, executors and the decision what to do with a complete request; shared by every I/O
// thread.
class HttpServer::Dispatcher {
 public:
  explicit Dispatcher(HttpServerOptions server_options)
      : options(std::move(server_options)),
        rate_limiter(options.rate_limit),
        unlimited(options.unlimited_routes.begin(), options.unlimited_routes.end()) {}

  struct Route {
    std::string pattern;
    std::vector<std::string> produces;
    BoundedExecutor* executor = nullptr;
    RouteHandler handler;
  };

  // On the connection's I/O thread.
  void dispatch(const ConnectionPtr& connection, HttpRequest request) {
    bool head_only = request.method == "HEAD";
    Exchange exchange{request.method, "", correlation_id_for(request.header("x-request-id")),
                      connection->client_address};
    // Every log line and bus call made for this request carries its id (the executors take
    // the scope along with the task).
    log::CorrelationScope scope(exchange.correlation_id);
    RouteTable::Match match = routes.match(request.method, request.path);
    if (match.outcome == RouteTable::Match::Outcome::kFound) {
      exchange.route = handlers[match.route].pattern;
    }
    std::string correlation_id = exchange.correlation_id;
    std::string client_address = exchange.client_address;
    Responder responder(std::make_shared<ObservedSink>(connection, std::move(exchange), metrics),
                        head_only, request.wants_close() || draining);
    if (draining) {
      responder.send_status(
          unavailable("the gateway is shutting down").with_retry_after(std::chrono::seconds(1)));
      return;
    }
    if (request.method == "OPTIONS" && request.path == "*") {
      responder.send({204, {{"Allow", join(routes.all_methods())}}, ""});
      return;
    }
    switch (match.outcome) {
      case RouteTable::Match::Outcome::kBadPath:
        responder.send_status(invalid_field("path", "malformed percent-encoding in the path"));
        return;
      case RouteTable::Match::Outcome::kNotFound:
        responder.send_status(not_found("no resource at " + request.path));
        return;
      case RouteTable::Match::Outcome::kMethodNotAllowed:
        if (request.method == "OPTIONS") {
          responder.send({204, {{"Allow", join(match.allowed)}}, ""});
        } else {
          responder.send_problem(
              http_problem(405, request.method + " is not allowed on " + request.path +
                                    "; allowed: " + join(match.allowed)),
              {{"Allow", join(match.allowed)}});
        }
        return;
      case RouteTable::Match::Outcome::kFound:
        break;
    }
    const Route& route = handlers[match.route];
    if (rate_limiter.enabled() && unlimited.count(route.pattern) == 0) {
      auto decision = rate_limiter.take(
          rate_limit_key(request.header("authorization"), client_address, *options.verified_tokens),
          Clock::now());
      if (!decision.allowed) {
        responder.send_status(
            Status(StatusCode::kResourceExhausted,
                   "too many requests from this client; the limit is " +
                       format_sample_value(options.rate_limit.requests_per_second) +
                       " per second with bursts of " +
                       format_sample_value(options.rate_limit.burst))
                .with_retry_after(std::chrono::seconds(decision.retry_after_seconds)));
        return;
      }
    }
    auto routed = std::make_shared<RouteRequest>();
    routed->http = std::move(request);
    routed->parameters = std::move(match.parameters);
    routed->pattern = route.pattern;
    routed->correlation_id = std::move(correlation_id);
    routed->client_address = std::move(client_address);
    if (!route.produces.empty()) {
      auto chosen = negotiate(routed->http.header("accept"), route.produces);
      if (!chosen) {
        responder.send_problem(
            http_problem(406, "this resource is available as " + join(route.produces)));
        return;
      }
      routed->media_type = *chosen;
    }
    if (route.executor == nullptr) {
      run(route.handler, *routed, responder);
      return;
    }
    bool queued = route.executor->try_submit(
        [handler = route.handler, routed, responder] { run(handler, *routed, responder); });
    if (!queued) {
      responder.send_status(
          busy("too many requests are waiting for the " + route.executor->name() + " executor",
               std::chrono::seconds(1)));
    }
  }

  static void run(const RouteHandler& handler, const RouteRequest& request, Responder responder) {
    try {
      handler(request, std::move(responder));
    } catch (const std::exception& e) {
      // The responder answers 500 when its last copy goes unanswered.
      log::error("route handler failed", {{"path", request.http.path}, {"error", e.what()}});
    }
  }

  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
  }

  const HttpServerOptions options;
  std::shared_ptr<TlsContext> tls;  // set by start() when TLS is configured
  GatewayMetrics metrics;
  RateLimiter rate_limiter;
  const std::unordered_set<std::string> unlimited;
  RouteTable routes;
  std::vector<Route> handlers;  // by route index
  std::vector<std::unique_ptr<BoundedExecutor>> executors;
  std::atomic<bool> draining{false};
};

namespace {

class GatewayTransport;

// Pistache's per-I/O-thread connection callbacks, handed straight to the transport, which owns
// the connections' state and timers.
class ConnectionHandler : public Pistache::Tcp::Handler {
 public:
  PROTOTYPE_OF(Pistache::Tcp::Handler, ConnectionHandler)

  explicit ConnectionHandler(std::shared_ptr<HttpServer::Dispatcher> dispatcher)
      : dispatcher_(std::move(dispatcher)) {}

  void onConnection(const PeerPtr& peer) override;
  void onInput(const char* buffer, size_t length, const PeerPtr& peer) override;
  void onDisconnection(const PeerPtr& peer) override;

 private:
  GatewayTransport& gateway_transport();
  std::shared_ptr<HttpServer::Dispatcher> dispatcher_;
};

// One I/O thread's connections: reads requests, writes responses, enforces the read, idle and
// linger times. Runs only on its I/O thread, except Outbox::push.
class GatewayTransport : public Pistache::Tcp::Transport {
 public:
  GatewayTransport(const std::shared_ptr<ConnectionHandler>& handler,
                   std::shared_ptr<HttpServer::Dispatcher> dispatcher)
      : Pistache::Tcp::Transport(handler),
        handler_(handler),
        dispatcher_(std::move(dispatcher)),
        outbox_(std::make_shared<Outbox>()) {}

  ~GatewayTransport() override {
    if (tick_fd_ >= 0) ::close(tick_fd_);
  }

  void registerPoller(Pistache::Polling::Epoll& poller) override {
    Pistache::Tcp::Transport::registerPoller(poller);
    tick_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tick_fd_ < 0) throw std::runtime_error("timerfd_create failed");
    itimerspec every{};
    every.it_interval.tv_nsec = std::chrono::nanoseconds(kTick).count();
    every.it_value = every.it_interval;
    if (timerfd_settime(tick_fd_, 0, &every, nullptr) < 0) {
      throw std::runtime_error("timerfd_settime failed");
    }
    using Pistache::Polling::NotifyOn;
    poller.addFd(tick_fd_, Pistache::Flags<NotifyOn>(NotifyOn::Read),
                 Pistache::Polling::Tag(static_cast<uint64_t>(tick_fd_)));
    poller.addFd(outbox_->fd(), Pistache::Flags<NotifyOn>(NotifyOn::Read),
                 Pistache::Polling::Tag(static_cast<uint64_t>(outbox_->fd())));
  }

  void onReady(const Pistache::Aio::FdSet& fds) override {
    for (const auto& entry : fds) {
      if (entry.getTag() == Pistache::Polling::Tag(static_cast<uint64_t>(outbox_->fd()))) {
        for (auto& item : outbox_->take()) deliver(std::move(item));
      } else if (entry.getTag() == Pistache::Polling::Tag(static_cast<uint64_t>(tick_fd_))) {
        uint64_t expirations = 0;
        if (::read(tick_fd_, &expirations, sizeof(expirations)) > 0) check_times();
      }
    }
    // Our own descriptors are neither peers nor Pistache timers: the base ignores them.
    Pistache::Tcp::Transport::onReady(fds);
  }

  std::shared_ptr<Pistache::Aio::Handler> clone() const override {
    return std::make_shared<GatewayTransport>(
        std::static_pointer_cast<ConnectionHandler>(handler_->clone()), dispatcher_);
  }

  void connected(const PeerPtr& peer) {
    auto connection = std::make_shared<Connection>(dispatcher_->options.limits, outbox_, peer);
    if (dispatcher_->tls) connection->tls = std::make_unique<TlsSession>(*dispatcher_->tls);
    peer->putData(kConnectionKey, std::move(connection));
  }

  void received(const PeerPtr& peer, std::string_view received_bytes) {
    ConnectionPtr connection = connection_of(peer);
    if (!connection) return;
    std::string_view data = received_bytes;
    std::string plain;
    if (connection->tls) {
      if (connection->phase == Connection::Phase::kClosing) return;
      std::string out;
      bool ok = connection->tls->receive(received_bytes, plain, out);
      if (!out.empty()) write_raw(*connection, std::move(out), false, false);
      if (!ok) {
        // A failed handshake, a bad record or the client's close_notify: nothing more to read.
        connection->phase = Connection::Phase::kClosing;
        connection->since = Clock::now();
        ::shutdown(connection->fd, SHUT_RDWR);
        return;
      }
      data = plain;
      if (data.empty()) return;  // handshake bytes only
    }
    switch (connection->phase) {
      case Connection::Phase::kClosing:
        return;
      case Connection::Phase::kAnswering: {
        // HTTP/1.1 pipelining: the next request waits until this one is answered, so answers
        // leave in order. A client that sends more than one more request's worth meanwhile is
        // not pipelining but flooding.
        const RequestLimits& limits = dispatcher_->options.limits;
        if (connection->pending.size() + data.size() >
            limits.max_head_bytes + limits.max_body_bytes) {
          connection->phase = Connection::Phase::kClosing;
          ::shutdown(connection->fd, SHUT_RDWR);
          return;
        }
        connection->pending.append(data);
        return;
      }
      case Connection::Phase::kReading:
        process(connection, data);
        return;
    }
  }

  void disconnected(const PeerPtr& peer) {
    if (ConnectionPtr connection = connection_of(peer)) connection->closed = true;
  }

 private:
  // Reads `data` into the connection's current request; hands a complete one to its route, or
  // refuses a malformed one and closes.
  void process(const ConnectionPtr& connection, std::string_view data) {
    while (connection->phase == Connection::Phase::kReading && !data.empty()) {
      RequestReader& reader = connection->reader;
      bool was_idle = reader.state() == RequestReader::State::kIdle;
      size_t used = reader.read(data);
      data.remove_prefix(used);
      if (was_idle && reader.state() != RequestReader::State::kIdle) {
        connection->since = Clock::now();  // the read timeout counts from a request's first byte
      }
      if (reader.take_continue_request()) {
        write_now(*connection, "HTTP/1.1 100 Continue\r\n\r\n", false, false);
      }
      if (reader.state() == RequestReader::State::kFailed) {
        refuse(connection, reader.problem());
        return;
      }
      if (reader.state() == RequestReader::State::kComplete) {
        connection->phase = Connection::Phase::kAnswering;
        connection->pending.assign(data.data(), data.size());
        dispatcher_->dispatch(connection, reader.take());
        return;
      }
      if (used == 0) return;
    }
  }

  // Answers `problem` and closes: after a malformed request the stream cannot be trusted.
  void refuse(const ConnectionPtr& connection, const Problem& problem) {
    connection->phase = Connection::Phase::kClosing;
    connection->since = Clock::now();
    connection->last_write_done = false;
    // Logged and counted like any request, without a method or route (it may have neither).
    Exchange exchange{"", "", correlation_id_for(""), connection->client_address};
    auto sink =
        std::make_shared<ObservedSink>(connection, std::move(exchange), dispatcher_->metrics);
    Responder(sink, false, true).send_problem(problem);
  }

  void deliver(OutgoingBytes item) {
    Connection& connection = *item.connection;
    if (!write_now(connection, std::move(item.bytes), item.last, item.close) || !item.last) return;
    if (item.close || connection.phase == Connection::Phase::kClosing) {
      connection.phase = Connection::Phase::kClosing;
      connection.since = Clock::now();
      return;
    }
    connection.phase = Connection::Phase::kReading;
    connection.since = Clock::now();
    std::string next = std::move(connection.pending);
    connection.pending.clear();
    process(item.connection, next);
  }

  // Writes on the I/O thread, to the connection only if its descriptor still belongs to it;
  // through TLS when the connection has it.
  bool write_now(Connection& connection, std::string bytes, bool last, bool close) {
    if (!connection.tls) return write_raw(connection, std::move(bytes), last, close);
    if (connection.closed) return false;
    std::string cipher;
    if (!bytes.empty() && !connection.tls->send(bytes, cipher)) {
      ::shutdown(connection.fd, SHUT_RDWR);
      return false;
    }
    // A stream cut short (no bytes, last) gets no close_notify: the abrupt end says it is cut.
    if (last && close && !bytes.empty()) connection.tls->close(cipher);
    return write_raw(connection, std::move(cipher), last, close);
  }

  bool write_raw(Connection& connection, std::string bytes, bool last, bool close) {
    if (connection.closed) return false;
    auto it = peers.find(connection.fd);
    if (it == peers.end() || it->second->getID() != connection.peer_id) return false;
    if (bytes.empty()) {
      // A stream cut short: closing is how the client learns its body is incomplete.
      if (last && close) ::shutdown(connection.fd, SHUT_RDWR);
      return true;
    }
    size_t size = bytes.size();
    auto written = asyncWrite(connection.fd, Pistache::RawBuffer(std::move(bytes), size));
    if (last && close) {
      // Resolved on this thread once every byte is out, while the descriptor is still this
      // client's (a client that goes first drops the write and rejects instead).
      int fd = connection.fd;
      std::weak_ptr<Connection> weak = connection.shared_from_this();
      written.then(
          [fd, weak](ssize_t) {
            ::shutdown(fd, SHUT_WR);
            if (auto done = weak.lock()) {
              done->last_write_done = true;
              done->since = Clock::now();
            }
          },
          [](std::exception_ptr) {});
    }
    // Writes now: between the check above and the write nothing else runs on this thread.
    flush();
    return true;
  }

  void check_times() {
    auto now = Clock::now();
    const HttpServerOptions& options = dispatcher_->options;
    std::vector<ConnectionPtr> too_slow;
    std::vector<PeerPtr> to_close;
    for (const auto& [fd, peer] : peers) {
      ConnectionPtr connection = connection_of(peer);
      if (!connection) continue;
      auto elapsed = now - connection->since;
      switch (connection->phase) {
        case Connection::Phase::kReading:
          if (connection->reader.state() == RequestReader::State::kIdle) {
            if (elapsed > options.idle_timeout) to_close.push_back(peer);
          } else if (elapsed > options.read_timeout) {
            too_slow.push_back(connection);
          }
          break;
        case Connection::Phase::kAnswering:
          break;  // the route's own deadline bounds it
        case Connection::Phase::kClosing:
          if (elapsed > (connection->last_write_done ? std::chrono::milliseconds(kLinger)
                                                     : options.idle_timeout)) {
            to_close.push_back(peer);
          }
          break;
      }
    }
    for (const auto& connection : too_slow) {
      refuse(connection,
             http_problem(408, "the request was not received within " +
                                   std::to_string(options.read_timeout.count()) + " ms"));
    }
    for (const auto& peer : to_close) {
      handler_->onDisconnection(peer);
      removePeer(peer);
    }
  }

  std::shared_ptr<ConnectionHandler> handler_;
  std::shared_ptr<HttpServer::Dispatcher> dispatcher_;
  std::shared_ptr<Outbox> outbox_;
  int tick_fd_ = -1;
};

GatewayTransport& ConnectionHandler::gateway_transport() {
  // The listener only ever makes GatewayTransports (see HttpServer::start).
  return static_cast<GatewayTransport&>(*transport());
}

void ConnectionHandler::onConnection(const PeerPtr& peer) { gateway_transport().connected(peer); }

void ConnectionHandler::onInput(const char* buffer, size_t length, const PeerPtr& peer) {
  gateway_transport().received(peer, std::string_view(buffer, length));
}

void ConnectionHandler::onDisconnection(const PeerPtr& peer) {
  gateway_transport().disconnected(peer);
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options)
    : options_(options), dispatcher_(std::make_shared<Dispatcher>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

BoundedExecutor& HttpServer::add_executor(const std::string& name, int threads, int queue_limit) {
  dispatcher_->executors.push_back(std::make_unique<BoundedExecutor>(name, threads, queue_limit));
  return *dispatcher_->executors.back();
}

void HttpServer::route(const std::string& method, const std::string& pattern,
                       std::vector<std::string> produces, BoundedExecutor* executor,
                       RouteHandler handler) {
  dispatcher_->routes.add(method, pattern);
  dispatcher_->handlers.push_back({pattern, std::move(produces), executor, std::move(handler)});
}

std::vector<std::pair<std::string, std::string>> HttpServer::registered_routes() const {
  return dispatcher_->routes.routes();
}

Status HttpServer::start() {
  using namespace Pistache;
  if (!options_.tls_certificate_file.empty() || !options_.tls_key_file.empty()) {
    auto tls = TlsContext::load(options_.tls_certificate_file, options_.tls_key_file);
    if (!tls) return tls.status();
    dispatcher_->tls = std::move(tls).value();
  }
  try {
    listener_ = std::make_unique<Tcp::Listener>();
    Flags<Tcp::Options> flags(Tcp::Options::ReuseAddr);
    flags.setFlag(Tcp::Options::NoDelay);
    flags.setFlag(Tcp::Options::CloseOnExec);
    listener_->init(static_cast<size_t>(options_.io_threads), flags);
    auto dispatcher = dispatcher_;
    listener_->setTransportFactory([dispatcher] {
      return std::make_shared<GatewayTransport>(std::make_shared<ConnectionHandler>(dispatcher),
                                                dispatcher);
    });
    listener_->bind(Address(options_.address, Port(static_cast<uint16_t>(options_.port))));
    listener_->runThreaded();
  } catch (const std::exception& e) {
    listener_.reset();
    return unavailable("cannot listen on " + options_.address + ":" +
                       std::to_string(options_.port) + ": " + e.what());
  }
  log::info("http listening", {{"address", options_.address},
                               {"port", options_.port},
                               {"tls", dispatcher_->tls != nullptr}});
  // What this gateway serves, as registered: tests/integration/gateway_openapi_test.cc holds the
  // OpenAPI document against this line.
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& [method, pattern] : registered_routes())
    routes.push_back(method + " " + pattern);
  log::debug("http routes", {{"routes", routes}});
  return Status::ok();
}

GatewayMetrics& HttpServer::metrics() { return dispatcher_->metrics; }

std::string HttpServer::render_load() const {
  std::vector<ExecutorSample> samples;
  for (const auto& executor : dispatcher_->executors) {
    auto load = executor->load();
    samples.push_back({executor->name(), executor->threads(), executor->queue_limit(), load.queued,
                       load.running, load.refused});
  }
  return render_executors(samples) + render_rate_limit(dispatcher_->rate_limiter.buckets(),
                                                       dispatcher_->rate_limiter.enabled());
}

void HttpServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  dispatcher_->draining = true;
  // Requests in flight finish and their answers still go out: the I/O threads run until the
  // executors are done.
  auto deadline = Clock::now() + options_.drain_timeout;
  for (auto& executor : dispatcher_->executors) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    executor->stop(std::max(left, std::chrono::milliseconds(0)));
  }
  if (listener_) listener_->shutdown();
  listener_.reset();
}

}  // namespace mpli::gateway
