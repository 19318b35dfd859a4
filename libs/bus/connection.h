// Connection: the one owner of a nats.c connection. Connects with unlimited reconnects (and
// keeps trying when NATS is not up yet), request/reply with deadlines and typed errors, queue
// group services, and drain on shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libs/bus/message.h"
#include "libs/core/status.h"

struct __natsConnection;
struct __natsSubscription;
struct __jsCtx;

namespace mpli::bus {

struct ConnectOptions {
  // One server, or a cluster's servers separated by commas.
  std::string url = "nats://127.0.0.1:4222";
  std::string name;  // shown by the server's monitoring, e.g. "mpli-discovery"
  std::string user;  // optional credentials
  std::string password;
  // Replies (requests, JetStream pulls) come to "<inbox_prefix>.<id>" instead of "_INBOX.<id>".
  // A provider's worker gets "_INBOX_<provider_id>" and may subscribe to nothing else, so it
  // cannot read the replies another provider's worker receives.
  std::string inbox_prefix;
  std::chrono::milliseconds reconnect_wait{250};
  // True: a missing or unready server is not an error; connect() tries again every
  // reconnect_wait until one answers (wrong credentials are not tried again). False: one try.
  bool retry_on_failed_connect = true;
  // Asked before each new try: false gives up (kUnavailable). Empty: tries until connected. A
  // process lets a termination signal end the wait with it.
  std::function<bool()> keep_trying;
  // How many servers keep a copy of each stream this connection creates (ensure_stream): 1 on
  // a single server, 3 on a three-node JetStream cluster, so losing a node loses nothing.
  int stream_replicas = 1;
};

// What a request handler returns: the reply body, or a Status sent back as a typed error.
using Handler = std::function<Result<std::string>(const Message& request)>;

class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Stops taking new messages and waits (up to timeout) for handlers in flight to finish.
  void drain(std::chrono::milliseconds timeout);

  struct Context;  // what the C callback needs; defined in connection.cc

 private:
  friend class Connection;
  Subscription() = default;
  __natsSubscription* sub_ = nullptr;
  std::unique_ptr<Context> context_;
};

// "nats://a:4222, nats://b:4222" -> each URL, trimmed; empty items dropped.
std::vector<std::string> split_server_list(const std::string& urls);

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> connect(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const;
  // Waits until connected (returns at once when already connected).
  Status wait_connected(std::chrono::milliseconds timeout) const;

  Status publish(const std::string& subject, const std::string& data, const Headers& headers = {});
  // Sends a request and waits for one reply. A typed error reply becomes its Status; no reply in
  // time is kDeadlineExceeded; nobody subscribed is kUnavailable.
  Result<Message> request(const std::string& subject, const std::string& data,
                          std::chrono::milliseconds timeout, const Headers& headers = {});
  // Answers requests on `subject` as one member of `queue_group`; each request runs `handler`
  // with the request's correlation id in the log scope. Exceptions from the handler are caught
  // and replied as kInternal: none crosses into nats.c.
  Result<std::unique_ptr<Subscription>> serve(const std::string& subject,
                                              const std::string& queue_group, Handler handler);
  // Plain subscription without replies (for tests and monitors).
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& subject,
                                                  std::function<void(const Message&)> on_message);
  // The same as one member of `queue_group`: the caller replies (publish to reply_to) itself,
  // possibly later and from another thread.
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& subject,
                                                  const std::string& queue_group,
                                                  std::function<void(const Message&)> on_message);
  // Sends `body` (or the typed error for a non-ok `result`) to the requester of `request`.
  // `error_domain`: the service whose ErrorReason an error's reason belongs to.
  void reply(const Message& request, const Result<std::string>& result, Headers headers = {},
             const std::string& error_domain = "");

  // The largest message the server accepts (bytes), known once connected; 0 before.
  int64_t max_payload() const;

  Status flush(std::chrono::milliseconds timeout);
  // Drains every subscription and closes; blocks up to timeout.
  Status drain(std::chrono::milliseconds timeout);

  __natsConnection* raw() const { return nc_; }
  __jsCtx* jetstream_context();
  int stream_replicas() const { return stream_replicas_; }

 private:
  Connection() = default;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::atomic<bool> closed_{false};
  int stream_replicas_ = 1;
};

}  // namespace mpli::bus
