#include "libs/bus/connection.h"

#include <nats/nats.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "libs/bus/error_reply.h"
#include "libs/bus/nats_util.h"
#include "libs/bus/request_observer.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"

namespace mpli::bus {
using detail::from_nats;

namespace {

struct OptionsOwner {
  natsOptions* opts = nullptr;
  ~OptionsOwner() { natsOptions_Destroy(opts); }
};

void on_disconnected(natsConnection* nc, void*) {
  // Also called when we close or drain on purpose; only an unplanned loss is worth a warning.
  if (natsConnection_IsClosed(nc) || natsConnection_IsDraining(nc)) return;
  log::warn("bus disconnected; reconnecting");
}
void on_reconnected(natsConnection*, void*) { log::info("bus reconnected"); }

// A first connect that failed for a reason that may pass: no server listening yet, or one that
// did not finish the handshake in time (starting, or starved of CPU). Wrong credentials, a
// refused TLS requirement or bad options do not pass by waiting.
bool worth_another_try(natsStatus status) {
  switch (status) {
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_TIMEOUT:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_PROTOCOL_ERROR:
    case NATS_NOT_YET_CONNECTED:
      return true;
    default:
      return false;
  }
}

// The failed connect's status with nats.c's own detail ("Expected 'PONG', got 'PING'") when it
// says more than the status does.
Status connect_failure(natsStatus status, const std::string& url) {
  Status failed = from_nats(status, "connect to " + url);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0' && failed.message().find(detail) == std::string::npos) {
    failed = Status(failed.code(), failed.message() + " (" + detail + ")");
  }
  return failed;
}

// Sleeps until `until`, asking `keep_trying` (when set) at least every 200 ms; false as soon as
// it says to stop.
bool pause_unless_stopped(std::chrono::steady_clock::time_point until,
                          const std::function<bool()>& keep_trying) {
  while (!keep_trying || keep_trying()) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(200)));
  }
  return false;
}

// The client's last error ("Authorization Violation", "stale connection", ...), "" if none.
std::string last_error_of(natsConnection* nc) {
  const char* text = nullptr;
  if (natsConnection_GetLastError(nc, &text) == NATS_OK || text == nullptr) return "";
  return text;
}

const char* status_name(natsConnStatus status) {
  switch (status) {
    case NATS_CONN_STATUS_DISCONNECTED:
      return "disconnected";
    case NATS_CONN_STATUS_CONNECTING:
      return "connecting";
    case NATS_CONN_STATUS_CONNECTED:
      return "connected";
    case NATS_CONN_STATUS_CLOSED:
      return "closed";
    case NATS_CONN_STATUS_RECONNECTING:
      return "reconnecting";
    case NATS_CONN_STATUS_DRAINING_SUBS:
    case NATS_CONN_STATUS_DRAINING_PUBS:
      return "draining";
  }
  return "unknown";
}

}  // namespace

struct Subscription::Context {
  Handler handler;                                 // for serve()
  std::function<void(const Message&)> on_message;  // for subscribe()
  natsConnection* nc = nullptr;
};

namespace {

void reply_with(natsConnection* nc, const Message& request, const std::string& body,
                const Headers& headers) {
  if (request.reply_to.empty()) return;
  auto msg = detail::make_msg(request.reply_to, "", body, headers);
  if (!msg) return;
  natsConnection_PublishMsg(nc, msg->get());
}

// nats.c calls this on the subscription's delivery thread. Nothing may throw out of it.
void on_request(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  detail::NatsMsgPtr owned(raw);
  auto* context = static_cast<Subscription::Context*>(closure);
  Message request = detail::to_message(raw);
  std::string correlation = request.header(kCorrelationHeader);
  if (correlation.empty()) correlation = ids::new_uuid_v7();
  log::CorrelationScope scope(correlation);
  Headers headers = {{kCorrelationHeader, correlation}};
  try {
    Result<std::string> result = context->handler(request);
    if (result.is_ok()) {
      reply_with(context->nc, request, result.value(), headers);
    } else {
      headers[kStatusHeader] = "error";
      reply_with(context->nc, request, encode_error(result.status()), headers);
    }
  } catch (const std::exception& e) {
    log::error("request handler failed", {{"subject", request.subject}, {"error", e.what()}});
    headers[kStatusHeader] = "error";
    reply_with(context->nc, request, encode_error(internal_error("internal error")), headers);
  }
}

void on_plain(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  detail::NatsMsgPtr owned(raw);
  auto* context = static_cast<Subscription::Context*>(closure);
  try {
    context->on_message(detail::to_message(raw));
  } catch (const std::exception& e) {
    log::error("message handler failed", {{"error", e.what()}});
  }
}

}  // namespace

Subscription::~Subscription() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
}

void Subscription::drain(std::chrono::milliseconds timeout) {
  if (sub_ == nullptr) return;
  if (natsSubscription_Drain(sub_) == NATS_OK) {
    natsSubscription_WaitForDrainCompletion(sub_, timeout.count());
  }
}

std::vector<std::string> split_server_list(const std::string& urls) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= urls.size()) {
    size_t comma = urls.find(',', start);
    if (comma == std::string::npos) comma = urls.size();
    std::string one = urls.substr(start, comma - start);
    one.erase(0, one.find_first_not_of(" \t"));
    one.erase(one.find_last_not_of(" \t") + 1);
    if (!one.empty()) out.push_back(one);
    start = comma + 1;
  }
  return out;
}

Result<std::unique_ptr<Connection>> Connection::connect(const ConnectOptions& options) {
  OptionsOwner owner;
  natsStatus s = natsOptions_Create(&owner.opts);
  // Several servers (a cluster) go in as a list: natsOptions_SetURL takes a single URL in the
  // nats.c Debian 12 ships (3.4), and "No server available" is all a comma list gets there.
  const std::vector<std::string> servers = split_server_list(options.url);
  std::vector<const char*> server_pointers;
  server_pointers.reserve(servers.size());
  for (const auto& server : servers) server_pointers.push_back(server.c_str());
  if (s == NATS_OK && servers.size() == 1) s = natsOptions_SetURL(owner.opts, servers[0].c_str());
  if (s == NATS_OK && servers.size() > 1) {
    s = natsOptions_SetServers(owner.opts, server_pointers.data(),
                               static_cast<int>(server_pointers.size()));
  }
  if (s == NATS_OK && servers.empty()) s = NATS_INVALID_ARG;
  if (s == NATS_OK && !options.name.empty())
    s = natsOptions_SetName(owner.opts, options.name.c_str());
  if (s == NATS_OK && !options.user.empty()) {
    s = natsOptions_SetUserInfo(owner.opts, options.user.c_str(), options.password.c_str());
  }
  if (s == NATS_OK && !options.inbox_prefix.empty()) {
    s = natsOptions_SetCustomInboxPrefix(owner.opts, options.inbox_prefix.c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(owner.opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(owner.opts, options.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(owner.opts, 8 * 1024 * 1024);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(owner.opts, on_disconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(owner.opts, on_reconnected, nullptr);
  if (s != NATS_OK) return from_nats(s, "bus options");

  std::unique_ptr<Connection> connection(new Connection());
  connection->stream_replicas_ = std::max(1, options.stream_replicas);
  // The first connect is retried here, not by nats.c (natsOptions_SetRetryOnFailedConnect): in
  // the nats.c Debian 12 ships (3.4), a first attempt whose TCP connection succeeded but whose
  // handshake failed (a server starting, or slow under load) starts the library's retries with
  // no current server, and they close the connection for good at once ("No server available
  // for connection"); a service then waited for a bus that never came. Once connected, nats.c's
  // own reconnects (MaxReconnect -1) take over, which that flaw does not touch.
  //
  // Every try costs the server a bcrypt check of the password: a federation's dozen processes
  // retrying together at a fixed pace could keep a starved server too busy to answer any of
  // them, so the pause doubles (up to 2 s) with a random part.
  bool waited = false;
  auto pause = options.reconnect_wait;
  std::minstd_rand jitter(std::random_device{}());
  while (true) {
    s = natsConnection_Connect(&connection->nc_, owner.opts);
    if (s == NATS_OK) break;
    Status failed = connect_failure(s, options.url);
    if (!options.retry_on_failed_connect || !worth_another_try(s)) return failed;
    if (!waited) {
      log::warn("bus not reachable yet; retrying",
                {{"url", options.url}, {"error", failed.message()}});
      waited = true;
    }
    auto until = std::chrono::steady_clock::now() + pause +
                 std::chrono::milliseconds(jitter() % (pause.count() / 2 + 1));
    if (!pause_unless_stopped(until, options.keep_trying)) {
      return unavailable(failed.message() + "; stopped waiting for the bus");
    }
    pause = std::min(pause * 2, std::max(options.reconnect_wait, std::chrono::milliseconds(2000)));
  }
  if (waited) log::info("bus connected");
  return connection;
}

Connection::~Connection() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool Connection::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

Status Connection::wait_connected(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!connected()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      // Why, when the client knows: a service waiting for the bus says it in its log.
      std::string why = status_name(natsConnection_Status(nc_));
      std::string error = last_error_of(nc_);
      if (!error.empty()) why += "; last error: " + error;
      return unavailable("bus not connected (" + why + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::ok();
}

Status Connection::publish(const std::string& subject, const std::string& data,
                           const Headers& headers) {
  auto msg = detail::make_msg(subject, "", data, headers);
  if (!msg) return msg.status();
  return from_nats(natsConnection_PublishMsg(nc_, msg->get()), "publish " + subject);
}

namespace {

std::mutex& observer_mutex() {
  static std::mutex mutex;
  return mutex;
}
// Replaced as a whole, so a request in flight keeps the observer it started with.
std::shared_ptr<const RequestObserver>& observer_slot() {
  static std::shared_ptr<const RequestObserver> slot;
  return slot;
}
std::shared_ptr<const RequestObserver> current_observer() {
  std::lock_guard<std::mutex> lock(observer_mutex());
  return observer_slot();
}

Result<Message> request_once(natsConnection* nc, const std::string& subject,
                             const std::string& data, std::chrono::milliseconds timeout,
                             const Headers& headers) {
  Headers with_correlation = headers;
  if (with_correlation.count(kCorrelationHeader) == 0) {
    const std::string& current = log::correlation_id();
    with_correlation[kCorrelationHeader] = current.empty() ? ids::new_uuid_v7() : current;
  }
  auto msg = detail::make_msg(subject, "", data, with_correlation);
  if (!msg) return msg.status();
  natsMsg* reply_raw = nullptr;
  natsStatus s = natsConnection_RequestMsg(&reply_raw, nc, msg->get(), timeout.count());
  if (s == NATS_TIMEOUT) {
    return deadline_exceeded("no reply on " + subject + " within " +
                             std::to_string(timeout.count()) + " ms");
  }
  if (s == NATS_NO_RESPONDERS) return unavailable("no service answers " + subject);
  if (s != NATS_OK) return from_nats(s, "request " + subject);
  detail::NatsMsgPtr reply_owned(reply_raw);
  Message reply = detail::to_message(reply_raw);
  if (is_error_reply(reply)) return decode_error(reply.data);
  return reply;
}

}  // namespace

void set_request_observer(RequestObserver observer) {
  auto replacement = observer ? std::make_shared<const RequestObserver>(std::move(observer))
                              : std::shared_ptr<const RequestObserver>();
  std::lock_guard<std::mutex> lock(observer_mutex());
  observer_slot() = std::move(replacement);
}

Result<Message> Connection::request(const std::string& subject, const std::string& data,
                                    std::chrono::milliseconds timeout, const Headers& headers) {
  auto observer = current_observer();
  if (!observer) return request_once(nc_, subject, data, timeout, headers);
  auto started = std::chrono::steady_clock::now();
  auto reply = request_once(nc_, subject, data, timeout, headers);
  (*observer)(subject, reply ? Status::ok() : reply.status(),
              std::chrono::steady_clock::now() - started);
  return reply;
}

Result<std::unique_ptr<Subscription>> Connection::serve(const std::string& subject,
                                                        const std::string& queue_group,
                                                        Handler handler) {
  std::unique_ptr<Subscription> sub(new Subscription());
  sub->context_ = std::make_unique<Subscription::Context>();
  sub->context_->handler = std::move(handler);
  sub->context_->nc = nc_;
  natsStatus s = natsConnection_QueueSubscribe(
      &sub->sub_, nc_, subject.c_str(), queue_group.c_str(), on_request, sub->context_.get());
  if (s != NATS_OK) return from_nats(s, "serve " + subject);
  return sub;
}

Result<std::unique_ptr<Subscription>> Connection::subscribe(
    const std::string& subject, std::function<void(const Message&)> on_message) {
  std::unique_ptr<Subscription> sub(new Subscription());
  sub->context_ = std::make_unique<Subscription::Context>();
  sub->context_->on_message = std::move(on_message);
  sub->context_->nc = nc_;
  natsStatus s =
      natsConnection_Subscribe(&sub->sub_, nc_, subject.c_str(), on_plain, sub->context_.get());
  if (s != NATS_OK) return from_nats(s, "subscribe " + subject);
  return sub;
}

Result<std::unique_ptr<Subscription>> Connection::subscribe(
    const std::string& subject, const std::string& queue_group,
    std::function<void(const Message&)> on_message) {
  std::unique_ptr<Subscription> sub(new Subscription());
  sub->context_ = std::make_unique<Subscription::Context>();
  sub->context_->on_message = std::move(on_message);
  sub->context_->nc = nc_;
  natsStatus s = natsConnection_QueueSubscribe(&sub->sub_, nc_, subject.c_str(),
                                               queue_group.c_str(), on_plain, sub->context_.get());
  if (s != NATS_OK) return from_nats(s, "subscribe " + subject);
  return sub;
}

void Connection::reply(const Message& request, const Result<std::string>& result, Headers headers,
                       const std::string& error_domain) {
  if (result.is_ok()) {
    reply_with(nc_, request, result.value(), headers);
  } else {
    headers[kStatusHeader] = "error";
    reply_with(nc_, request, encode_error(result.status(), error_domain), headers);
  }
}

int64_t Connection::max_payload() const { return natsConnection_GetMaxPayload(nc_); }

Status Connection::flush(std::chrono::milliseconds timeout) {
  return from_nats(natsConnection_FlushTimeout(nc_, timeout.count()), "flush");
}

Status Connection::drain(std::chrono::milliseconds timeout) {
  if (closed_.exchange(true)) return Status::ok();
  if (!connected()) {
    natsConnection_Close(nc_);
    return Status::ok();
  }
  natsStatus s = natsConnection_DrainTimeout(nc_, timeout.count());
  if (s != NATS_OK) {
    natsConnection_Close(nc_);
    return from_nats(s, "drain");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::milliseconds(500);
  while (!natsConnection_IsClosed(nc_) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  natsConnection_Close(nc_);
  return Status::ok();
}

jsCtx* Connection::jetstream_context() {
  if (js_ == nullptr) {
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = 5000;
    natsConnection_JetStream(&js_, nc_, &options);
  }
  return js_;
}

}  // namespace mpli::bus
